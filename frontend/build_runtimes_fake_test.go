package frontend

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/pyreq"
	"github.com/moby/buildkit/solver/pb"
)

// The whole of Build for a layer for two runtimes on two platforms,
// without a daemon (run with -race: the platforms build in parallel):
// each platform's layer holds both runtimes' wheels (cp311 and cp313,
// markers evaluated per runtime), installs each into its own
// site-packages, checks each runtime against its own image, runs the TEST
// under each runtime and assembles one layer that knows both.
func TestBuildSeveralRuntimesWithoutDaemon(t *testing.T) {
	geolayerfile := "# syntax=example.com/geolayer/frontend:1\n" +
		"TARGET aws-lambda python3.11 python3.13\n" +
		"PLATFORM linux/amd64 linux/arm64\n" +
		"INDEX https://index.example/simple/\n" +
		"REQUIRE glf-cext==1.0.0 glf-pure==1.0.0 \"glf-old==1.0.0 ; python_version < '3.12'\"\n" +
		"TEST import glf_cext, glf_pure\n"
	cext := func(abi, arch string) string {
		return "glf_cext-1.0.0-" + abi + "-" + abi + "-manylinux_2_17_" + arch + ".whl"
	}
	f := &fakeDaemon{
		opts:  map[string]string{"platform": "linux/amd64,linux/arm64", "filename": "Geolayerfile"},
		files: map[string]string{"Geolayerfile": geolayerfile},
		pages: map[string]string{
			"https://index.example/simple/glf-cext/": fakePage("glf-cext",
				cext("cp311", "x86_64"), cext("cp311", "aarch64"), cext("cp313", "x86_64"), cext("cp313", "aarch64")),
			"https://index.example/simple/glf-pure/": fakePage("glf-pure", "glf_pure-1.0.0-py3-none-any.whl"),
			"https://index.example/simple/glf-old/":  fakePage("glf-old", "glf_old-1.0.0-py3-none-any.whl"),
		},
	}
	for i := 0; i < 3; i++ {
		f.solved = nil
		res, err := Build(context.Background(), f)
		if err != nil {
			t.Fatalf("build: %v", err)
		}
		if len(res.Refs) != 2 {
			t.Fatalf("want one result per platform, got refs %v", res.Refs)
		}
	}
	found := map[string]bool{}
	for _, def := range f.solved {
		arch := assemblyArch(t, def)
		if arch == "" {
			continue
		}
		found[arch] = true
		machine := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[arch]
		want := []string{
			"https://files.example/" + cext("cp311", machine),
			"https://files.example/" + cext("cp313", machine),
			"https://files.example/glf_old-1.0.0-py3-none-any.whl",
			"https://files.example/glf_pure-1.0.0-py3-none-any.whl",
		}
		if got := slices.Compact(httpSources(t, def)); !slices.Equal(got, want) {
			t.Errorf("%s layer downloads %v, want %v", arch, got, want)
		}
		var installs, checks, tests []string
		var asm *helperapi.Assemble
		for _, dt := range def.Def {
			var op pb.Op
			if err := op.UnmarshalVT(dt); err != nil {
				t.Fatal(err)
			}
			args := op.GetExec().GetMeta().GetArgs()
			switch {
			case len(args) > 2 && args[0] == helperapi.Binary && args[2] == "install":
				in, err := helperapi.ParseInstall(args[2:])
				if err != nil {
					t.Fatal(err)
				}
				installs = append(installs, in.Runtime+" "+in.SitePackages+" "+in.Meta)
			case len(args) > 2 && args[0] == helperapi.Binary && args[2] == "check":
				c, err := helperapi.ParseCheck(args[2:])
				if err != nil {
					t.Fatal(err)
				}
				checks = append(checks, c.Config.GlibcCeiling+" "+c.Config.SitePackages)
			case len(args) > 2 && args[0] == helperapi.Binary && args[2] == "assemble":
				a, err := helperapi.ParseAssemble(args[2:])
				if err != nil {
					t.Fatal(err)
				}
				asm = a
			case len(args) > 1 && strings.HasPrefix(args[0], "/var/lang/bin/python3."):
				tests = append(tests, args[0]+" "+op.GetPlatform().GetArchitecture())
			}
		}
		slices.Sort(installs)
		wantInstalls := []string{
			"python3.11 python/lib/python3.11/site-packages /meta/glf-cext@python3.11.json",
			"python3.11 python/lib/python3.11/site-packages /meta/glf-old@python3.11.json",
			"python3.11 python/lib/python3.11/site-packages /meta/glf-pure@python3.11.json",
			"python3.13 python/lib/python3.13/site-packages /meta/glf-cext@python3.13.json",
			"python3.13 python/lib/python3.13/site-packages /meta/glf-pure@python3.13.json",
		}
		if !slices.Equal(installs, wantInstalls) {
			t.Errorf("%s installs %v, want %v", arch, installs, wantInstalls)
		}
		slices.Sort(checks)
		if want := []string{"2.26 python/lib/python3.11/site-packages", "2.34 python/lib/python3.13/site-packages"}; !slices.Equal(checks, want) {
			t.Errorf("%s checks %v, want %v", arch, checks, want)
		}
		slices.Sort(tests)
		if want := []string{"/var/lang/bin/python3.11 " + arch, "/var/lang/bin/python3.13 " + arch}; !slices.Equal(tests, want) {
			t.Errorf("%s TESTs %v, want %v", arch, tests, want)
		}
		if asm == nil || asm.Runtime != "python3.11" || !slices.Equal(asm.Runtimes, []string{"python3.11", "python3.13"}) || len(asm.Checks) != 2 || asm.Check != "" {
			t.Errorf("%s assembly %+v", arch, asm)
		}
	}
	if !found["amd64"] || !found["arm64"] {
		t.Errorf("assemblies for %v", found)
	}
}

// The image target makes one runtime's image: several runtimes are
// refused at TARGET.
func TestBuildSeveralRuntimesRefusedRoutes(t *testing.T) {
	for target, want := range map[string]string{
		"image": "--target image builds one runtime's image, and TARGET lists 2 runtimes (python3.11, python3.13)",
	} {
		f := &fakeDaemon{
			opts:  map[string]string{"filename": "Geolayerfile", "target": target},
			files: map[string]string{"Geolayerfile": "TARGET aws-lambda python3.11 python3.13\nREQUIRE glf-pure==1.0.0\n"},
		}
		_, err := Build(context.Background(), f)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--target %s: %v, want %q", target, err, want)
		}
	}
}

// A package only the second runtime requires (a marker false for the
// first) is downloaded for that runtime alone: its download still has its
// deadline, and the error names it at its REQUIRE line.
func TestSeveralRuntimesDownloadTimeoutOfOneRuntime(t *testing.T) {
	geolayerfile := "TARGET aws-lambda python3.11 python3.13\n" +
		"PLATFORM linux/amd64\n" +
		"INDEX https://index.example/simple/\n" +
		"REQUIRE glf-pure==1.0.0\n" +
		"REQUIRE \"glf-new==1.0.0 ; python_version >= '3.12'\"\n"
	f := &fakeDaemon{
		opts:  map[string]string{"platform": "linux/amd64", "filename": "Geolayerfile", "build-arg:GEOLAYER_DOWNLOAD_TIMEOUT": "1"},
		files: map[string]string{"Geolayerfile": geolayerfile},
		pages: map[string]string{
			"https://index.example/simple/glf-pure/": fakePage("glf-pure", "glf_pure-1.0.0-py3-none-any.whl"),
			"https://index.example/simple/glf-new/":  fakePage("glf-new", "glf_new-1.0.0-py3-none-any.whl"),
		},
		stallDownloads: map[string]bool{"https://files.example/glf_new-1.0.0-py3-none-any.whl": true},
	}
	_, err := Build(context.Background(), f)
	if err == nil {
		t.Fatal("the build succeeded")
	}
	for _, w := range []string{"glf-new 1.0.0: downloading https://files.example/glf_new-1.0.0-py3-none-any.whl", "did not complete within 1s"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if loc := errLine(err); loc != 5 {
		t.Errorf("the error is at line %d, want 5 (the REQUIRE of glf-new): %v", loc, err)
	}
}

// --target lock for several runtimes writes one pylock.toml per platform
// for all of them (an environment per runtime, a requires-python of
// exactly their versions, each runtime's wheels in the entry of the
// version it chose, a python_version marker on what one runtime alone
// chose), and REQUIRE --lock reading it back gives each runtime the same
// wheels a build from the index chose.
func TestSeveralRuntimesLockRoundTrip(t *testing.T) {
	cext := func(abi string) string {
		return "glf_cext-1.0.0-" + abi + "-" + abi + "-manylinux_2_17_x86_64.whl"
	}
	pages := map[string]string{
		"https://index.example/simple/glf-cext/": fakePage("glf-cext", cext("cp311"), cext("cp313")),
		"https://index.example/simple/glf-pure/": fakePage("glf-pure", "glf_pure-1.0.0-py3-none-any.whl"),
		"https://index.example/simple/glf-old/":  fakePage("glf-old", "glf_old-1.0.0-py3-none-any.whl"),
	}
	head := "TARGET aws-lambda python3.11 python3.13\nPLATFORM linux/amd64\nINDEX https://index.example/simple/\n"
	f := &fakeDaemon{
		opts: map[string]string{"platform": "linux/amd64", "filename": "Geolayerfile", "target": "lock"},
		files: map[string]string{"Geolayerfile": head +
			"REQUIRE glf-cext==1.0.0 glf-pure==1.0.0 \"glf-old==1.0.0 ; python_version < '3.12'\"\n"},
		pages: pages,
	}
	if _, err := Build(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	var data []byte
	for _, def := range f.solved {
		if d := mkfileData(t, def, "/pylock.toml"); d != nil {
			data = d
		}
	}
	if data == nil {
		t.Fatal("no pylock.toml written")
	}
	lock, err := pyreq.ParsePylock(data)
	if err != nil {
		t.Fatalf("the written lock does not parse: %v\n%s", err, data)
	}
	if lock.RequiresPython != ">=3.11,!=3.12.*,<3.14" || len(lock.Environments) != 2 ||
		!strings.Contains(lock.Environments[0], "python_version == '3.11'") || !strings.Contains(lock.Environments[1], "python_version == '3.13'") {
		t.Errorf("requires-python %q, environments %q", lock.RequiresPython, lock.Environments)
	}
	got := map[string]pyreq.LockPackage{}
	for _, p := range lock.Packages {
		got[p.Name] = p
	}
	if c := got["glf-cext"]; len(c.Wheels) != 2 || c.Marker != "" {
		t.Errorf("glf-cext: %+v, want both runtimes' wheels and no marker", c)
	}
	if o := got["glf-old"]; o.Marker != "python_version == '3.11'" || len(o.Wheels) != 1 {
		t.Errorf("glf-old: %+v, want the marker of python3.11 alone", o)
	}
	if p := got["glf-pure"]; len(p.Wheels) != 1 || p.Marker != "" {
		t.Errorf("glf-pure: %+v", p)
	}

	// Read back: the layer built from the lock downloads what the index
	// build does.
	fromIndex := &fakeDaemon{opts: map[string]string{"platform": "linux/amd64", "filename": "Geolayerfile"},
		files: f.files, pages: pages}
	fromLock := &fakeDaemon{opts: map[string]string{"platform": "linux/amd64", "filename": "Geolayerfile"},
		files: map[string]string{"Geolayerfile": head + "REQUIRE --lock=pylock.toml\n", "pylock.toml": string(data)}}
	for _, d := range []*fakeDaemon{fromIndex, fromLock} {
		if _, err := Build(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	a, b := finalDownloads(t, fromIndex)["amd64"], finalDownloads(t, fromLock)["amd64"]
	if len(a) != 4 || !slices.Equal(a, b) {
		t.Errorf("downloads from the index %v, from the lock %v", a, b)
	}
	installs := func(f *fakeDaemon) []string {
		var out []string
		for _, n := range customNames(f) {
			if strings.Contains(n, "] install ") && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
		slices.Sort(out)
		return out
	}
	ia, ib := installs(fromIndex), installs(fromLock)
	if !slices.Equal(ia, ib) || !slices.Contains(ib, "[linux/amd64 python3.11] install glf-old 1.0.0") ||
		slices.ContainsFunc(ib, func(n string) bool { return strings.Contains(n, "python3.13] install glf-old") }) {
		t.Errorf("installs from the index %q, from the lock %q", ia, ib)
	}
}

// mkfileData is the data a definition's FileOp writes at path (nil: none).
func mkfileData(t *testing.T, def *pb.Definition, path string) []byte {
	t.Helper()
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		for _, a := range op.GetFile().GetActions() {
			if m := a.GetMkfile(); m != nil && m.Path == path {
				return m.Data
			}
		}
	}
	return nil
}
