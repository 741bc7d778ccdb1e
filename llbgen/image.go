package llbgen

import (
	"strings"

	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Image is an image that steps run in, as a Dockerfile RUN on it sees it:
// the reference pinned by digest and the parts of its config that a
// process in it gets (environment, working directory, user). Python is the
// path of the target's CPython in it, checked by the frontend before any
// step uses it ("" when no step runs Python there).
type Image struct {
	Ref        string
	Env        []string // KEY=VALUE, in the config's order
	WorkingDir string
	User       string
	Python     string
}

// ConfiguredImage is the image's root file system with its config applied (what
// llb.Image with a meta resolver does, without resolving again: the
// frontend resolved the config once when it pinned the digest). The user
// is not applied here: geolayer's own steps run as root to write their
// outputs; RUN applies it (see buildStage).
func (g *Gen) ConfiguredImage(img Image, p ocispecs.Platform) llb.State {
	st := g.rootfs(img.Ref, p)
	for _, kv := range img.Env {
		if k, v, _ := strings.Cut(kv, "="); k != "" {
			st = st.AddEnv(k, v)
		}
	}
	if img.WorkingDir != "" {
		st = st.Dir(img.WorkingDir)
	}
	return st
}

// rootfs is an image's file system only, for read-only mounts that are
// never executed (the static check, vendoring) and for the image target.
func (g *Gen) rootfs(ref string, p ocispecs.Platform) llb.State {
	return llb.Image(ref, append([]llb.ImageOption{llb.Platform(p)}, g.ImageOpt...)...)
}

// python is the interpreter steps call in img.
func (img Image) python() string {
	if img.Python == "" {
		return "python3"
	}
	return img.Python
}
