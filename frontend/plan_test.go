package frontend

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/frontend/instructions"
	"github.com/geolayer/geolayer/frontend/parser"
	"github.com/geolayer/geolayer/pkg/wheel"
	dfparser "github.com/moby/buildkit/frontend/dockerfile/parser"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

func planOf(t *testing.T, src string) (*plan, error) {
	t.Helper()
	parsed, err := parser.Parse(bytes.NewReader([]byte(src)))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := instructions.Load(parsed, nil)
	if err != nil {
		t.Fatal(err)
	}
	return newPlan(spec, nil, []ocispecs.Platform{{OS: "linux", Architecture: "amd64"}}, nil)
}

// errLine is the first Geolayerfile line an error points at (0: none).
func errLine(err error) int {
	var le *dfparser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		return le.Locations[0][0].Start.Line
	}
	return 0
}

const lambda = "TARGET aws-lambda python3.13\n"

func TestPlanBuildAndRun(t *testing.T) {
	pl, err := planOf(t, lambda+"REQUIRE gdal==3.6.2 glf-x==1\n"+
		"RUN --mount=type=cache,target=/var/cache/apt --mount=type=secret,id=tok,env=TOKEN apt-get install -y libgdal-dev\n"+
		"RUN make install\n"+
		"BUILD GDAL --no-build-isolation\n"+
		"BUILD glf_x\n"+
		"BUILD --auto\n")
	if err != nil {
		t.Fatal(err)
	}
	if iso, ok := pl.builds["gdal"]; !ok || !iso {
		t.Errorf("gdal: built %v, no isolation %v", ok, iso)
	}
	if iso, ok := pl.builds["glf-x"]; !ok || iso {
		t.Errorf("glf-x: built %v, no isolation %v", ok, iso)
	}
	if !pl.buildAuto || pl.autoNoIsolation {
		t.Errorf("auto %v, auto without isolation %v", pl.buildAuto, pl.autoNoIsolation)
	}
	if !noIsolation(pl, "gdal") || noIsolation(pl, "glf-x") || noIsolation(pl, "other") {
		t.Errorf("noIsolation: gdal %v glf-x %v other %v", noIsolation(pl, "gdal"), noIsolation(pl, "glf-x"), noIsolation(pl, "other"))
	}
	// Failures point at the BUILD line naming the package, or BUILD --auto.
	if l := buildLocation(pl, "gdal"); len(l) == 0 || l[0].Start.Line != 5 {
		t.Errorf("gdal's BUILD location %v", l)
	}
	if l := buildLocation(pl, "other"); len(l) == 0 || l[0].Start.Line != 7 {
		t.Errorf("--auto location %v", l)
	}
	if len(pl.base.Runs) != 2 || pl.base.Runs[0].Command != "apt-get install -y libgdal-dev" || pl.base.Runs[1].Command != "make install" {
		t.Fatalf("runs %+v", pl.base.Runs)
	}
	m := pl.base.Runs[0].Mounts
	if len(m) != 2 || m[0].Type != "cache" || m[0].Target != "/var/cache/apt" || m[1].Type != "secret" || m[1].ID != "tok" || m[1].Env != "TOKEN" {
		t.Errorf("mounts %+v", m)
	}
	if len(pl.base.Runs[0].Location) == 0 || pl.base.Runs[0].Location[0].Start.Line != 3 {
		t.Errorf("RUN location %v", pl.base.Runs[0].Location)
	}
	tg := pl.target(ocispecs.Platform{OS: "linux", Architecture: "arm64"})
	if len(tg.Runs) != 2 || tg.Layout.Lib != "lib" {
		t.Errorf("target runs %d, lib %q", len(tg.Runs), tg.Layout.Lib)
	}
}

func TestPlanBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
		line            int
	}{
		{"RUN without BUILD", lambda + "REQUIRE glf-pure==1.0.0\nRUN echo hi\n", "nothing is built", 3},
		{"--shared-libs", lambda + "REQUIRE gdal==3.6.2\nBUILD gdal --shared-libs\n", "always vendored once", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := planOf(t, tc.src)
			if err == nil || !strings.Contains(err.Error(), tc.want) || errLine(err) != tc.line {
				t.Errorf("got %v at line %d, want %q at line %d", err, errLine(err), tc.want, tc.line)
			}
		})
	}
}

// TEST sees the platform's environment with ENV over it.
func TestTestEnv(t *testing.T) {
	pl, err := planOf(t, lambda+"REQUIRE glf-pure==1.0.0\nENV PROJ_DATA=/opt/proj LD_LIBRARY_PATH=/opt/x\n")
	if err != nil {
		t.Fatal(err)
	}
	env := pl.target(ocispecs.Platform{OS: "linux", Architecture: "amd64"}).Env
	if env["PROJ_DATA"] != "/opt/proj" || env["LD_LIBRARY_PATH"] != "/opt/x" {
		t.Errorf("ENV not applied over the platform's: %v", env)
	}
	if pl.runtime.Env["LD_LIBRARY_PATH"] == "/opt/x" {
		t.Errorf("the profile's own environment was modified")
	}
	if _, ok := env["PYTHONPATH"]; !ok && pl.runtime.Env["PYTHONPATH"] != "" {
		t.Errorf("platform variables lost: %v", env)
	}
}

// Wheels are chosen for each profile's glibc: Azure python3.11 (Debian 11,
// glibc 2.31) accepts manylinux_2_31 and nothing newer.
func TestWheelTagsFollowTheProfilesGlibc(t *testing.T) {
	pl, err := planOf(t, "TARGET azure-functions python3.11\nREQUIRE glf-pure==1.1.0\n")
	if err != nil {
		t.Fatal(err)
	}
	tags, err := wheel.TargetTags(wheelTarget(pl.runtime, ocispecs.Platform{OS: "linux", Architecture: "amd64"}))
	if err != nil {
		t.Fatal(err)
	}
	var has231 bool
	for _, tg := range tags {
		if tg.Platform == "manylinux_2_31_x86_64" {
			has231 = true
		}
		if tg.Platform == "manylinux_2_32_x86_64" || tg.Platform == "manylinux_2_34_x86_64" {
			t.Errorf("Azure python3.11 (glibc 2.31) accepts %s", tg)
		}
	}
	if !has231 {
		t.Errorf("manylinux_2_31_x86_64 missing from %v", tags)
	}
}
