package llbgen

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"google.golang.org/protobuf/proto"
)

// runtimeTarget is testTarget for Python 3.11 (Lambda's AL2 image) or
// 3.13, in a layer for both.
func runtimeTarget(arch, pyver string) *Target {
	t := testTarget(arch)
	r := strings.NewReplacer("3.13", pyver, "cp313", "cp"+strings.ReplaceAll(pyver, ".", ""))
	t.Layout.SitePackages = r.Replace(t.Layout.SitePackages)
	t.RuntimeImage = r.Replace(t.RuntimeImage)
	t.Runtime.Ref, t.Runtime.Python = r.Replace(t.Runtime.Ref), r.Replace(t.Runtime.Python)
	t.SysPath = slices.Clone(t.SysPath)
	for i := range t.SysPath {
		t.SysPath[i] = r.Replace(t.SysPath[i])
	}
	t.SiteDir = r.Replace(t.SiteDir)
	t.RuntimeName = "python" + pyver
	t.CheckMode = helperapi.CheckError
	t.CheckConfig.SitePackages = t.Layout.SitePackages
	t.LayerRuntimes = []string{"python3.11", "python3.13"}
	return t
}

// Two runtimes in one layer: every package chain once per runtime, with
// its site-packages and its report and fragment named <name>@<runtime>;
// one check per runtime against its runtime image; each TEST once per
// runtime in that runtime's image; one assembly that knows both.
func TestBuildRuntimes(t *testing.T) {
	g := newGen()
	wheels := func(abi string) []Wheel {
		return []Wheel{
			{Name: "glf-pure", Version: "1.0.0", Filename: "glf_pure-1.0.0-py3-none-any.whl", URL: "http://127.0.0.1:5001/files/glf_pure-1.0.0-py3-none-any.whl", SHA256: strings.Repeat("1", 64)},
			{Name: "glf-cext", Version: "1.0.0", Filename: "glf_cext-1.0.0-" + abi + "-" + abi + "-manylinux_2_25_aarch64.whl", URL: "http://127.0.0.1:5001/files/glf_cext-" + abi + ".whl", SHA256: strings.Repeat("c", 64)},
		}
	}
	l := g.BuildRuntimes([]RuntimePart{
		{Target: runtimeTarget("arm64", "3.11"), Wheels: wheels("cp311")},
		{Target: runtimeTarget("arm64", "3.13"), Wheels: wheels("cp313")},
	})
	g.AddTests(l, []Test{{Code: "import glf_pure, glf_cext"}}, nil)
	if len(l.Runtimes) != 2 || len(l.Checks) != 2 || len(l.Packages) != 4 {
		t.Fatalf("runtimes %d, checks %d, packages %d", len(l.Runtimes), len(l.Checks), len(l.Packages))
	}
	def, err := g.Gated(l, l.Archive).Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var installs, frags, checks, tests, assembles []string
	for _, dt := range def.Def {
		var op pb.Op
		if err := proto.Unmarshal(dt, &op); err != nil {
			t.Fatal(err)
		}
		ex := op.GetExec()
		if ex == nil {
			continue
		}
		name := def.Metadata[digest.FromBytes(dt)].Description["llb.customname"]
		args := strings.Join(ex.GetMeta().GetArgs(), " ")
		switch {
		case strings.Contains(args, "helper install"):
			installs = append(installs, name+" | "+args)
		case strings.Contains(args, "helper fragment"):
			frags = append(frags, args)
		case strings.Contains(args, "helper check"):
			checks = append(checks, name)
		case strings.Contains(args, "helper assemble"):
			assembles = append(assembles, name+" | "+args)
		case strings.Contains(name, "TEST "):
			tests = append(tests, name+" | "+args)
		}
	}
	if len(installs) != 4 || len(frags) != 4 || len(checks) != 2 || len(tests) != 2 || len(assembles) != 1 {
		t.Fatalf("installs %d, fragments %d, checks %d, tests %d, assemblies %d", len(installs), len(frags), len(checks), len(tests), len(assembles))
	}
	for _, rt := range []string{"python3.11", "python3.13"} {
		has := func(list []string, subs ...string) bool {
			return slices.ContainsFunc(list, func(s string) bool {
				for _, sub := range subs {
					if !strings.Contains(s, sub) {
						return false
					}
				}
				return true
			})
		}
		if !has(installs, "["+"linux/arm64 "+rt+"] install glf-cext", "python/lib/"+rt+"/site-packages", "--runtime="+rt, "/meta/glf-cext@"+rt+".json") {
			t.Errorf("no install of glf-cext for %s: %v", rt, installs)
		}
		if !has(frags, "--name=glf-pure@"+rt) {
			t.Errorf("no fragment glf-pure@%s: %v", rt, frags)
		}
		if !has(checks, "[linux/arm64 "+rt+"] check the layer against public.ecr.aws/lambda/python:"+strings.TrimPrefix(rt, "python")) {
			t.Errorf("no check for %s: %v", rt, checks)
		}
		if !has(tests, "[linux/arm64 "+rt+"] TEST import glf_pure, glf_cext", "/var/lang/bin/"+rt) {
			t.Errorf("no TEST under %s: %v", rt, tests)
		}
	}
	if a := assembles[0]; !strings.Contains(a, "[linux/arm64 python3.11+python3.13] assemble layer.zip") ||
		!strings.Contains(a, "--runtime=python3.11") || !strings.Contains(a, `--runtimes=["python3.11","python3.13"]`) ||
		!strings.Contains(a, "--checks=python3.11=/checks/python3.11/check.json") || !strings.Contains(a, "--checks=python3.13=/checks/python3.13/check.json") || strings.Contains(a, "--check=") {
		t.Errorf("assembly %s", a)
	}
}
