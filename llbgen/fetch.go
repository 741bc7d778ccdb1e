package llbgen

import (
	"github.com/moby/buildkit/client/llb"
	digest "github.com/opencontainers/go-digest"
)

// fetch downloads a wheel by hash: BuildKit verifies the checksum, so a file
// whose bytes differ from the index's sha256 fails the build.
func (g *Gen) fetch(t *Target, w Wheel) llb.State {
	opts := []llb.HTTPOption{
		llb.Checksum(digest.NewDigestFromEncoded(digest.SHA256, w.SHA256)),
		llb.Filename(w.Filename),
		t.name("fetch %s %s %s", w.Name, w.Version, w.Tag),
	}
	if w.AuthSecret != "" {
		opts = append(opts, llb.AuthHeaderSecret(w.AuthSecret))
	}
	return llb.HTTP(w.URL, opts...)
}
