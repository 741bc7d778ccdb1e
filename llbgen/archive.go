package llbgen

import (
	"sort"
	"strconv"

	"github.com/moby/buildkit/client/llb"
)

// fragment compresses one package's files into its own cached zip fragment.
func (g *Gen) fragment(t *Target, p *Package) llb.State {
	args := []string{"fragment",
		"--root", "/tree",
		"--name", p.Wheel.Name,
		"--out", "/frag",
		"--epoch", strconv.FormatInt(t.Epoch, 10),
	}
	run := g.helperExec(t, args,
		llb.AddMount("/tree", p.Tree, llb.Readonly),
		t.name("compress %s %s", p.Wheel.Name, p.Wheel.Version),
	)
	return run.AddMount("/frag", llb.Scratch())
}

// assemble concatenates the fragments, writes the central directory and
// report.json. It only copies compressed bytes, so it is I/O-bound.
func (g *Gen) assemble(t *Target, frags, metas llb.State, check *llb.State) (archive, html llb.State) {
	args := []string{"assemble",
		"--fragments", "/frags",
		"--meta", "/meta",
		"--out", "/out",
		"--platform", platformString(t.Platform),
		"--profile", t.ProfileName,
		"--runtime", t.RuntimeName,
		"--limit-unzipped", strconv.FormatInt(t.LimitUnzipped, 10),
		"--limit-zipped", strconv.FormatInt(t.LimitZipped, 10),
		"--direct-upload", strconv.FormatInt(t.DirectUpload, 10),
		"--runtime-image", t.runtimeImage(),
	}
	if t.Dedup {
		args = append(args, "--dedup")
	}
	// sbom.spdx.json and publish.json
	args = append(args,
		"--epoch", strconv.FormatInt(t.Epoch, 10),
		"--platform-limit-unzipped", strconv.FormatInt(t.PlatformLimitUnzipped, 10),
		"--platform-limit-zipped", strconv.FormatInt(t.PlatformLimitZipped, 10),
		"--mount-point", t.Layout.MountPoint,
		"--lib-dir", t.Layout.Lib,
		"--library-path", t.PlatformLibraryPath,
	)
	for _, k := range sortedKeys(t.UserEnv) {
		args = append(args, "--env", k+"="+t.UserEnv[k])
	}
	opts := []llb.RunOption{
		llb.AddMount("/frags", frags, llb.Readonly, wholeLayer),
		llb.AddMount("/meta", metas, llb.Readonly, wholeLayer),
		t.name("assemble layer.zip"),
	}
	if check != nil {
		args = append(args, "--check", "/check"+CheckJSON)
		opts = append(opts, llb.AddMount("/check", *check, llb.Readonly))
	}
	if g.SourceMap != nil && len(t.BudgetLocation) > 0 {
		opts = append(opts, g.SourceMap.Location(t.BudgetLocation))
	}
	args = append(args, "--html", "/html/report.html")
	run := g.helperExec(t, args, opts...)
	return run.AddMount("/out", llb.Scratch()), run.AddMount("/html", llb.Scratch())
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
