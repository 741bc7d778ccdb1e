package frontend

import (
	"context"
	"encoding/json"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/geolayer/geolayer/pkg/report"
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

// imageConfig keeps the runtime image's config and adds the platform's
// environment only where the image does not set it (a real Lambda image sets
// its own LD_LIBRARY_PATH, with /var/lang/lib first); ENV instructions win.
func imageConfig(base *dockerspec.DockerOCIImage, plat ocispecs.Platform, platformEnv, env map[string]string) *dockerspec.DockerOCIImage {
	img := base
	if img == nil {
		img = &dockerspec.DockerOCIImage{}
	}
	img.Platform = plat
	img.Created = nil
	img.History = nil
	img.RootFS = ocispecs.RootFS{}
	for _, k := range slices.Sorted(maps.Keys(platformEnv)) {
		if !hasEnv(img.Config.Env, k) {
			img.Config.Env = append(img.Config.Env, k+"="+platformEnv[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		img.Config.Env = setEnv(img.Config.Env, k, env[k])
	}
	return img
}

func hasEnv(env []string, k string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, k+"=") {
			return true
		}
	}
	return false
}

func setEnv(env []string, k, v string) []string {
	for i, kv := range env {
		if strings.HasPrefix(kv, k+"=") {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}

// safeDataEnv returns GDAL_DATA/PROJ_DATA for the image where exactly one
// package of the layer bundles that data: then pointing the variable at it
// cannot make another package read data of a different version
// (lambgeo/docker-lambda#86). With several copies the variables stay unset
// and each package finds its own. ENV in the Geolayerfile wins (mergeEnv).
//
// This is the one part of the image's config the plan cannot give: which
// packages bundle the data, and where, is found by the assemble step in
// the installed and pruned packages (report.json's environment advice),
// so the image route reads the layer's report first (layerReport).
func safeDataEnv(rep *report.Report, pl *plan) map[string]string {
	env := map[string]string{}
	for _, a := range rep.Environment {
		if a.Safe && len(a.Values) == 1 {
			env[a.Variable] = path.Join(pl.runtime.MountPoint, a.Values[0].Path)
		}
	}
	return env
}

func mergeEnv(base, over map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}
