package frontend

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/gateway/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
)

// resolveImage returns an image's config and its digest-pinned reference.
func resolveImage(ctx context.Context, c client.Client, ref string, p ocispecs.Platform) (*dockerspec.DockerOCIImage, string, error) {
	// As llb.Image does: a name without a tag means :latest (the resolver
	// itself wants a tag or a digest).
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		ref = reference.TagNameOnly(named).String()
	}
	_, dgst, dt, err := c.ResolveImageConfig(ctx, ref, sourceresolver.Opt{
		LogName:  "[internal] load metadata for " + ref,
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &p},
	})
	if err != nil {
		return nil, "", errors.Wrapf(err, "resolving runtime image %s", ref)
	}
	var img dockerspec.DockerOCIImage
	if err := json.Unmarshal(dt, &img); err != nil {
		return nil, "", errors.Wrapf(err, "reading the config of %s", ref)
	}
	pinned := ref
	if dgst != "" {
		pinned = strings.SplitN(ref, "@", 2)[0] + "@" + dgst.String()
	}
	return &img, pinned, nil
}
