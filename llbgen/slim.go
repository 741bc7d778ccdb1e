package llbgen

import (
	"strings"

	"github.com/moby/buildkit/client/llb"
)

// slims reports whether a package gets a slim step: pruning is on, or it
// carries native code and stripping is on (a …-any.whl has no ELF files).
func (t *Target) slims(w Wheel) bool {
	strip := t.StripMode != "" && t.StripMode != "none" && !strings.HasSuffix(w.Filename, "-any.whl")
	return t.Prune != "" || strip
}

// slim copies one package's installed tree without what the PRUNE rules
// remove and with its ELF files stripped (helper slim: pkg/prune and
// pkg/elfstrip), on the build host's architecture. Its cache key is the
// package's install output and the options only: changing a pattern re-runs
// this step, never a download.
func (g *Gen) slim(t *Target, p *Package) (tree, meta llb.State) {
	w := p.Wheel
	mode := t.StripMode
	if mode == "" || strings.HasSuffix(w.Filename, "-any.whl") {
		mode = "none"
	}
	args := []string{"slim",
		"--in", "/in",
		"--out", "/out",
		"--strip", mode,
		"--site-packages", t.Layout.SitePackages,
		"--meta-in", "/meta-in" + metaName(w),
		"--meta-out", "/meta" + metaName(w),
	}
	var what []string
	if t.Prune != "" {
		args = append(args, "--prune", t.Prune)
		what = append(what, "prune")
	}
	if mode != "none" {
		what = append(what, "strip "+mode)
	}
	run := g.helperExec(t, args, located(g, []llb.RunOption{
		llb.AddMount("/in", p.Tree, llb.Readonly),
		llb.AddMount("/meta-in", p.Meta, llb.Readonly),
		t.name("slim %s %s (%s)", w.Name, w.Version, strings.Join(what, ", ")),
	}, w.Location)...)
	return run.AddMount("/out", llb.Scratch()), run.AddMount("/meta", llb.Scratch())
}
