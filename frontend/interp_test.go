package frontend

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/llbgen"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// fakeImages stands for BuildKit: it pins every ref and answers the probe
// with the facts given per image reference.
type fakeImages struct {
	facts  map[string]pythonFacts
	probed []string // python argument per probe, in order
}

func (f *fakeImages) image(_ context.Context, ref string, p ocispecs.Platform) (llbgen.Image, error) {
	return llbgen.Image{Ref: ref + "@sha256:" + strings.Repeat("ab", 32), Env: []string{"PATH=/var/lang/bin:/usr/bin"}, WorkingDir: "/var/task"}, nil
}

func (f *fakeImages) probe(_ context.Context, img llbgen.Image, p ocispecs.Platform, python, what string) (pythonFacts, error) {
	f.probed = append(f.probed, python)
	ref, _, _ := strings.Cut(img.Ref, "@")
	return f.facts[ref+" "+p.Architecture], nil
}

func cpython(path, version, machine string, pip bool) pythonFacts {
	mm := strings.Join(strings.Split(version, ".")[:2], "")
	maj, min := 3, 0
	for _, c := range mm[1:] {
		min = min*10 + int(c-'0')
	}
	return pythonFacts{Found: true, Path: path, Executable: path, Implementation: "cpython", Version: version, Major: maj, Minor: min,
		SOABI: "cpython-" + mm + "-" + machine + "-linux-gnu", ExtSuffix: ".cpython-" + mm + "-" + machine + "-linux-gnu.so", Machine: machine, Pip: pip}
}

var (
	amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = ocispecs.Platform{OS: "linux", Architecture: "arm64"}
)

// Each image is used by the interpreter path the profile names, once it is
// the target's CPython; anything else fails at TARGET, naming the image
// and what it has.
func TestCheckedImageFindsTheTargetsInterpreter(t *testing.T) {
	pl, err := planOf(t, "# comment\n"+lambda+"REQUIRE glf-pure==1.0.0\n")
	if err != nil {
		t.Fatal(err)
	}
	build, runtime := "public.ecr.aws/sam/build-python3.13:latest", "public.ecr.aws/lambda/python:3.13"
	cases := []struct {
		name  string
		role  imageRole
		plat  ocispecs.Platform
		facts pythonFacts
		want  []string // in the error; none: success
	}{
		{"runtime ok", runtimeRole(pl.runtime), arm64, cpython("/var/lang/bin/python3.13", "3.13.5", "aarch64", false), nil},
		{"build ok", buildRole(pl.runtime, true), amd64, cpython("/var/lang/bin/python3.13", "3.13.5", "x86_64", true), nil},
		{"decoy version", buildRole(pl.runtime, true), arm64, cpython("/var/lang/bin/python3.13", "3.11.2", "aarch64", true),
			[]string{"aws-lambda python3.13, linux/arm64: the build image " + build + " (sha256:", "cpython 3.11.2 at /var/lang/bin/python3.13", "version 3.11.2", "ABI cpython-311-aarch64-linux-gnu", "not the target's CPython 3.13 (cp313, aarch64)"}},
		{"missing", runtimeRole(pl.runtime), amd64, pythonFacts{OnPath: "/usr/bin/python3"},
			[]string{"the runtime image " + runtime, "has no /var/lang/bin/python3.13", "python3 on its PATH is /usr/bin/python3, which is not used"}},
		{"machine", runtimeRole(pl.runtime), arm64, cpython("/var/lang/bin/python3.13", "3.13.5", "x86_64", false), []string{"machine x86_64", "aarch64"}},
		{"no pip", buildRole(pl.runtime, true), amd64, cpython("/var/lang/bin/python3.13", "3.13.5", "x86_64", false), []string{"has no pip"}},
		{"does not run", runtimeRole(pl.runtime), amd64, pythonFacts{Found: true, Path: "/var/lang/bin/python3.13", Error: "error while loading shared libraries: libpython3.13.so.1.0"}, []string{"/var/lang/bin/python3.13 does not run: error while loading shared libraries"}},
		{"pypy", runtimeRole(pl.runtime), amd64, func() pythonFacts {
			f := cpython("/var/lang/bin/python3.13", "3.13.5", "x86_64", false)
			f.Implementation = "pypy"
			return f
		}(), []string{"implementation pypy"}},
	}
	for _, c := range cases {
		fi := &fakeImages{facts: map[string]pythonFacts{c.role.ref + " " + c.plat.Architecture: c.facts}}
		img, err := checkedImage(context.Background(), fi, pl, c.role, c.plat, true)
		if len(fi.probed) != 1 || fi.probed[0] != "/var/lang/bin/python3.13" {
			t.Errorf("%s: probed %q, want the profile's /var/lang/bin/python3.13 once", c.name, fi.probed)
		}
		if c.want == nil {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			} else if img.Python != "/var/lang/bin/python3.13" || img.WorkingDir != "/var/task" || !strings.Contains(img.Ref, "@sha256:") {
				t.Errorf("%s: image %+v", c.name, img)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", c.name, err, w)
			}
		}
		if errLine(err) != 2 {
			t.Errorf("%s: error at line %d, want TARGET's line 2", c.name, errLine(err))
		}
	}
}

// A build image with no CPython of the runtime (GCP's buildpacks stack) is
// refused before anything runs when a step needs Python there; an image
// named by TARGET --build-image is looked up on its own PATH and checked.
func TestCheckedImageWithoutABuildPython(t *testing.T) {
	pl, err := planOf(t, "TARGET gcp-functions python311\nREQUIRE glf-pure==1.0.0\n")
	if err != nil {
		t.Fatal(err)
	}
	fi := &fakeImages{}
	_, err = checkedImage(context.Background(), fi, pl, buildRole(pl.runtime, true), amd64, true)
	if err == nil || !strings.Contains(err.Error(), "has no CPython 3.11 of the runtime") || !strings.Contains(err.Error(), "--build-image") || errLine(err) != 1 || len(fi.probed) != 0 {
		t.Errorf("got %v (line %d, probes %v)", err, errLine(err), fi.probed)
	}
	// Without a Python step it is only pinned.
	if _, err := checkedImage(context.Background(), fi, pl, buildRole(pl.runtime, true), amd64, false); err != nil {
		t.Error(err)
	}
	pl, err = planOf(t, "TARGET gcp-functions python311 --build-image=example.com/py311\nREQUIRE glf-pure==1.0.0\n")
	if err != nil {
		t.Fatal(err)
	}
	fi = &fakeImages{facts: map[string]pythonFacts{"example.com/py311 amd64": cpython("/usr/local/bin/python3", "3.11.9", "x86_64", true)}}
	img, err := checkedImage(context.Background(), fi, pl, buildRole(pl.runtime, true), amd64, true)
	if err != nil || img.Python != "/usr/local/bin/python3" || fi.probed[0] != "python3" {
		t.Errorf("--build-image: %v, %+v, probed %v", err, img, fi.probed)
	}
}

// The probe, run with this machine's sh and Python as it runs in an image:
// facts for an interpreter it finds, "not found" with python3 on PATH for
// one it does not, and the error for one that does not run.
func TestProbeScript(t *testing.T) {
	dir := t.TempDir()
	run := func(python string) pythonFacts {
		t.Helper()
		out := filepath.Join(dir, "python.json")
		_ = os.Remove(out)
		cmd := exec.Command("/bin/sh", "-c", probeScript, "geolayer-probe", python, probePython)
		cmd.Env = append(os.Environ(), "GEOLAYER_PROBE_OUT="+out)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", python, err, b)
		}
		var f pythonFacts
		dt, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(dt, &f); err != nil {
			t.Fatalf("%s: %v: %s", python, err, dt)
		}
		return f
	}
	host, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed to run the probe")
	}
	f := run("python3")
	if !f.Found || f.Path != host || f.Implementation != "cpython" || f.Major != 3 || !strings.HasPrefix(f.SOABI, "cpython-3") || f.Machine == "" || f.ExtSuffix == "" {
		t.Errorf("python3: %+v", f)
	}
	f = run("/nonexistent/python3.13")
	if f.Found || f.OnPath != host {
		t.Errorf("missing: %+v", f)
	}
	bad := filepath.Join(dir, "python-broken")
	if err := os.WriteFile(bad, []byte("#!/bin/sh\necho 'error while loading shared libraries: \"libpython\"' >&2; exit 127\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	f = run(bad)
	if !f.Found || !strings.Contains(f.Error, "error while loading shared libraries") {
		t.Errorf("broken: %+v", f)
	}
}
