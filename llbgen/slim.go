package llbgen

import (
	"strings"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/moby/buildkit/client/llb"
)

// stripMode is what the slim step strips from a package: nothing for a
// …-any.whl (it has no ELF files).
func (t *Target) stripMode(w Wheel) helperapi.StripMode {
	if strings.HasSuffix(w.Filename, "-any.whl") {
		return helperapi.StripNone
	}
	return t.StripMode
}

// slims reports whether a package gets a slim step: pruning is on, or it
// carries native code and stripping is on.
func (t *Target) slims(w Wheel) bool {
	return t.Prune != nil || t.stripMode(w) != helperapi.StripNone
}

// slim copies one package's installed tree without what the PRUNE rules
// remove and with its ELF files stripped (helper slim: pkg/prune and
// pkg/elfstrip), on the build host's architecture. Its cache key is the
// package's install output and the options only: changing a pattern re-runs
// this step, never a download.
func (g *Gen) slim(t *Target, p *Package) (tree, meta llb.State) {
	w := p.Wheel
	cmd := helperapi.Slim{
		In:           "/in",
		Out:          "/out",
		Strip:        t.stripMode(w),
		Prune:        t.Prune,
		SitePackages: t.Layout.SitePackages,
		MetaIn:       "/meta-in" + t.metaName(w),
		MetaOut:      "/meta" + t.metaName(w),
	}
	var what []string
	if cmd.Prune != nil {
		what = append(what, "prune")
	}
	if cmd.Strip != helperapi.StripNone {
		what = append(what, "strip "+cmd.Strip.String())
	}
	run := g.helperExec(t, cmd, located(g, []llb.RunOption{
		llb.AddMount("/in", p.Tree, llb.Readonly),
		llb.AddMount("/meta-in", p.Meta, llb.Readonly),
		t.name("slim %s %s (%s)", w.Name, w.Version, strings.Join(what, ", ")),
	}, w.Location)...)
	return run.AddMount("/out", llb.Scratch()), run.AddMount("/meta", llb.Scratch())
}
