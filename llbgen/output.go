package llbgen

import (
	"github.com/moby/buildkit/client/llb"
)

// ImageState puts the layer into the runtime image where the platform
// expects it (for Lambda: the archive root at /opt).
func (g *Gen) ImageState(l *Layer) llb.State {
	t := l.Target
	base := g.rootfs(t.runtimeImage(), t.Platform)
	layer := llb.Scratch().File(llb.Copy(l.Tree, "/", t.Layout.MountPoint+"/", &llb.CopyInfo{
		CopyDirContentsOnly: true, CreateDestPath: true, AllowEmptyWildcard: true,
	}), t.name("place layer at %s", t.Layout.MountPoint))
	return g.merge([]llb.State{base, layer}, t.name("runtime image with layer"))
}
