package frontend

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/internal/helperapi"
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

// The image and lock targets make something for one runtime: several are
// refused at TARGET.
func TestBuildSeveralRuntimesRefusedRoutes(t *testing.T) {
	for target, want := range map[string]string{
		"image": "--target image builds one runtime's image, and TARGET lists 2 runtimes (python3.11, python3.13)",
		"lock":  "a pylock.toml is for one Python version",
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
