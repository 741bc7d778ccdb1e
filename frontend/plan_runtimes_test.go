package frontend

import (
	"strings"
	"testing"

	"github.com/geolayer/geolayer/frontend/instructions"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Several runtimes of one profile: one llbgen input per runtime, each
// with its own site-packages, runtime image, glibc ceiling and check
// view; what the Geolayerfile says once (PRUNE, STRIP, BUDGET, ...) is
// the same in each.
func TestPlanSeveralRuntimes(t *testing.T) {
	pl, err := planOf(t, "TARGET aws-lambda python3.11 python3.13\nPLATFORM linux/amd64 linux/arm64\nREQUIRE glf-pure==1.0.0\nSTRIP\nBUDGET unzipped=100MB\nENV A=1\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.runtimes) != 2 || pl.runtime != pl.runtimes[0] || len(pl.bases) != 2 {
		t.Fatalf("runtimes %d, bases %d", len(pl.runtimes), len(pl.bases))
	}
	if len(pl.Platforms) != 2 {
		t.Errorf("platforms %v", pl.Platforms)
	}
	want := []struct{ name, site, glibc, image string }{
		{"python3.11", "python/lib/python3.11/site-packages", "2.26", "public.ecr.aws/lambda/python:3.11"},
		{"python3.13", "python/lib/python3.13/site-packages", "2.34", "public.ecr.aws/lambda/python:3.13"},
	}
	arm := ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	for i, w := range want {
		b := pl.bases[i]
		if b.RuntimeName != w.name || b.Layout.SitePackages != w.site || b.Glibc != w.glibc || !strings.HasPrefix(b.RuntimeImage, w.image) {
			t.Errorf("runtime %d: %s %s %s %s, want %+v", i, b.RuntimeName, b.Layout.SitePackages, b.Glibc, b.RuntimeImage, w)
		}
		if b.SiteDir != "/opt/"+w.site || b.LimitUnzipped != 100<<20 || b.UserEnv["A"] != "1" || b.Env["A"] != "1" || !b.Dedup {
			t.Errorf("runtime %d: site dir %s, budget %d, env %v", i, b.SiteDir, b.LimitUnzipped, b.Env)
		}
		tg := pl.runtimeTarget(i, arm)
		if tg.Platform.Architecture != "arm64" || tg.CheckConfig.GlibcCeiling != w.glibc || tg.CheckConfig.SitePackages != w.site {
			t.Errorf("runtime %d target: %+v %+v", i, tg.Platform, tg.CheckConfig)
		}
	}
	if pl.bases[0].StripMode != pl.bases[1].StripMode || pl.bases[0].StripMode == 0 {
		t.Errorf("STRIP differs between runtimes: %v %v", pl.bases[0].StripMode, pl.bases[1].StripMode)
	}
	pl.setNoCache(true)
	if !pl.base.NoCache || !pl.bases[0].NoCache || !pl.bases[1].NoCache || !pl.target(arm).NoCache || !pl.runtimeTarget(1, arm).NoCache {
		t.Error("--no-cache does not reach every runtime")
	}
}

// One runtime: one base, the same the plan always had.
func TestPlanOneRuntime(t *testing.T) {
	pl, err := planOf(t, lambda+"REQUIRE glf-pure==1.0.0\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.runtimes) != 1 || len(pl.bases) != 1 || pl.bases[0].RuntimeName != pl.base.RuntimeName || pl.base.Layout != pl.bases[0].Layout {
		t.Errorf("runtimes %d bases %d", len(pl.runtimes), len(pl.bases))
	}
	p := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	if a, b := pl.target(p), pl.runtimeTarget(0, p); a.SiteDir != b.SiteDir || a.CheckConfig.GlibcCeiling != b.CheckConfig.GlibcCeiling {
		t.Errorf("target and runtimeTarget(0) differ")
	}
}

// Runtimes that cannot share a layer are refused at TARGET (or at the
// flag or runtime word the refusal is about).
func TestPlanSeveralRuntimesRefused(t *testing.T) {
	cases := []struct {
		name, file, want string
		line             int
	}{
		{"gcp has one site-packages", "TARGET gcp-functions python311 python312\nREQUIRE glf-pure==1.0.0\n",
			"gcp-functions python311 and python312 install into the same site-packages (.)", 1},
		{"azure has one site-packages", "ARG X\nTARGET azure-functions python3.11 python3.12\nREQUIRE glf-pure==1.0.0\n",
			"install into the same site-packages (.python_packages/lib/site-packages)", 2},
		{"a layout override joins the trees", "TARGET aws-lambda python3.11 python3.13 --layout=site-packages\nREQUIRE glf-pure==1.0.0\n",
			"install into the same site-packages", 1},
		{"one runtime image for two Pythons", "TARGET aws-lambda python3.11 python3.13 \\\n  --runtime-image=example.com/lambda:3.13\nREQUIRE glf-pure==1.0.0\n",
			"--runtime-image names one image, with one CPython, and TARGET lists 2 runtimes", 2},
		{"one build image for two Pythons", "TARGET aws-lambda python3.11 python3.13 --build-image=example.com/b:1\nREQUIRE glf-pure==1.0.0\n",
			"--build-image names one image", 1},
		{"BUILD", "TARGET aws-lambda python3.11 python3.13\nREQUIRE glf-pure==1.0.0\nBUILD glf-pure\n",
			"BUILD with several runtimes in TARGET is not supported", 3},
		{"RUN", "TARGET aws-lambda python3.11 python3.13\nREQUIRE glf-pure==1.0.0\nRUN echo\n",
			"RUN prepares BUILD, which several runtimes", 3},
		{"TEST --profile-imports", "TARGET aws-lambda python3.11 python3.13\nREQUIRE glf-pure==1.0.0\nTEST import glf_pure\nTEST --profile-imports import glf_pure\n",
			"TEST --profile-imports with several runtimes", 4},
		{"unknown second runtime", "TARGET aws-lambda python3.13 \\\n  python3.99\nREQUIRE glf-pure==1.0.0\n",
			`unknown runtime "python3.99" for profile aws-lambda`, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := planOf(t, tc.file)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if got := errLine(err); got != tc.line {
				t.Errorf("error at line %d, want %d", got, tc.line)
			}
		})
	}
}

// A Spec built without instructions.Load (Runtimes unset) still plans
// its one runtime.
func TestPlanSpecWithoutRuntimes(t *testing.T) {
	spec := &instructions.Spec{Target: &instructions.TargetCommand{
		Profile: instructions.Value{Value: "aws-lambda"},
		Runtime: instructions.Value{Value: "python3.13"},
	}}
	rts, err := targetRuntimes(spec)
	if err != nil || len(rts) != 1 || rts[0].Name != "python3.13" {
		t.Fatalf("%v %v", rts, err)
	}
}
