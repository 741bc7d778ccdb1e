package llbgen

import (
	"github.com/moby/buildkit/client/llb"
	digest "github.com/opencontainers/go-digest"
)

// FetchState is the step that downloads w (its sdist for BUILD), as the
// graph has it: the frontend maps a failed step back to its package.
func (g *Gen) FetchState(t *Target, w Wheel) llb.State {
	if w.Sdist != nil {
		return sdistSource(t, w)
	}
	return g.fetch(t, w)
}

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
	return llb.HTTP(w.URL, located(g, opts, w.Location)...)
}

// downloaded is an empty state that reads w's download (the wheel, or the
// sdist BUILD compiles) without taking any file from it: solving it on its
// own waits for that download, or finds it in a cache, and nothing else,
// so the frontend can bound the download's time (BuildKit's HTTP source
// has a connect timeout only). It is part of the layer's gate, so an
// exported cache holds it and a daemon importing that cache answers it
// without fetching the file.
func (g *Gen) downloaded(t *Target, w Wheel) llb.State {
	return llb.Scratch().File(
		llb.Copy(g.FetchState(t, w), "/.geolayer-nothing-*", "/", &llb.CopyInfo{AllowWildcard: true, AllowEmptyWildcard: true}),
		located(g, []llb.ConstraintsOpt{t.name("downloaded %s %s", w.Name, w.Version)}, w.Location)...)
}
