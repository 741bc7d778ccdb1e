package llbgen

import (
	"slices"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/prune"
)

// Every helper step of a plan that uses every helper command runs a
// command line helperapi parses back (the helper reads it the same way),
// carrying the target's typed options.
func TestHelperCommandsParseBack(t *testing.T) {
	tg := testTarget("arm64")
	tg.Layout.Lib = "lib"
	tg.Prune = &prune.Options{Presets: []string{"geo"}, Rules: []prune.Rule{{Pattern: "tests/", Source: "PRUNE, Geolayerfile line 3"}}}
	tg.CheckMode = helperapi.CheckWarn
	tg.CheckConfig = helperapi.CheckOptions{Machine: "aarch64", MountPoint: "/opt", LibraryPath: []string{"/opt/lib"}, SitePackages: tg.Layout.SitePackages}
	tg.Bytecode = &Bytecode{Optimize: 2, Sourceless: true}
	tg.CollectLicenses = true
	tg.Dedup = true
	tg.Epoch = 1700000000
	tg.UserEnv = map[string]string{"GDAL_DATA": "/opt/share/gdal", "A": "b=c"}
	wheels := testWheels("1.0.0")
	wheels = append(wheels, Wheel{Name: "glf-built", Version: "2.0.0", Filename: "glf_built-2.0.0-cp313-cp313-linux_aarch64.whl",
		Sdist: &Sdist{Filename: "glf_built-2.0.0.tar.gz", URL: "http://127.0.0.1:5001/files/glf_built-2.0.0.tar.gz", SHA256: strings.Repeat("e", 64), ABI: "cp313"}})
	g := newGen()
	l := g.Build(tg, wheels)
	g.AddTests(l, []Test{{Code: "import glf_pure", ProfileImports: true}}, nil)

	seen := map[string][]helperapi.Command{}
	for _, e := range execs(t, g.Gated(l, l.Archive)) {
		args := e.Meta.Args
		var rest []string
		switch {
		case len(args) > 2 && args[0] == helperapi.Binary && args[1] == "helper":
			rest = args[2:]
		case len(args) > 2 && args[0] == bytecodeHelper+helperapi.Binary && args[1] == "helper":
			rest = args[2:]
		case slices.Contains(args, "helper"):
			t.Errorf("a helper step not run through helperapi.Argv: %q", args)
			continue
		default:
			continue // TEST, RUN, pip
		}
		c, err := helperapi.Parse(rest)
		if err != nil {
			t.Errorf("%q: %v", args, err)
			continue
		}
		if !slices.Equal(c.Args(), rest) {
			t.Errorf("%q parses to %#v, which writes %q", args, c, c.Args())
		}
		seen[c.Name()] = append(seen[c.Name()], c)
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	if !slices.Equal(names, helperapi.Names()) {
		t.Errorf("the plan runs helper commands %v, want every one of %v", names, helperapi.Names())
	}

	// The typed options arrive as the target has them.
	for _, c := range seen["slim"] {
		s := c.(*helperapi.Slim)
		if s.Prune == nil || len(s.Prune.Rules) != 1 || s.Prune.Presets[0] != "geo" {
			t.Errorf("slim prune options %+v", s.Prune)
		}
		if want := map[bool]helperapi.StripMode{true: helperapi.StripNone, false: helperapi.StripUnneeded}[strings.HasSuffix(s.MetaIn, "pure.json") || strings.HasSuffix(s.MetaIn, "data.json")]; s.Strip != want {
			t.Errorf("%s: strip %v, want %v (a -any wheel is not stripped)", s.MetaIn, s.Strip, want)
		}
	}
	if n := len(seen["slim"]); n != len(wheels) {
		t.Errorf("%d slim steps, want %d", n, len(wheels))
	}
	chk := seen["check"][0].(*helperapi.Check)
	if chk.Config.Mode != helperapi.CheckWarn || chk.Config.Machine != "aarch64" {
		t.Errorf("check options %+v", chk.Config)
	}
	v := seen["vendor"][0].(*helperapi.Vendor)
	if v.Strip != helperapi.StripUnneeded || v.LibDir != "lib" || v.Config.Machine != "aarch64" {
		t.Errorf("vendor options %+v", v)
	}
	a := seen["assemble"][0].(*helperapi.Assemble)
	if !a.Dedup || a.Epoch != 1700000000 || a.Env["A"] != "b=c" || a.Check == "" || a.Platform != "linux/arm64" {
		t.Errorf("assemble options %+v", a)
	}
	b := seen["bytecode"][0].(*helperapi.Bytecode)
	if b.Optimize != 2 || !b.Sourceless || b.Python != "/var/lang/bin/python3.13" {
		t.Errorf("bytecode options %+v", b)
	}
	if i := seen["imports"][0].(*helperapi.Imports); !i.Emulated {
		t.Errorf("imports options %+v: an arm64 TEST on amd64 is emulated", i)
	}
}

// CHECK off (the zero mode) adds no check step; strip none and no PRUNE
// add no slim step.
func TestZeroModesAddNoSteps(t *testing.T) {
	tg := testTarget("amd64")
	tg.StripMode = helperapi.StripNone
	g := newGen()
	l := g.Build(tg, testWheels("1.0.0"))
	for _, e := range execs(t, l.Archive) {
		if len(e.Meta.Args) > 2 && (e.Meta.Args[2] == "slim" || e.Meta.Args[2] == "check") {
			t.Errorf("unexpected step %q", e.Meta.Args)
		}
	}
	if l.Check != nil {
		t.Error("CHECK off made a check step")
	}
}
