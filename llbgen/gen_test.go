package llbgen

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/protobuf/proto"
)

func testTarget(arch string) *Target {
	return &Target{
		Platform:      ocispecs.Platform{OS: "linux", Architecture: arch},
		BuildPlatform: ocispecs.Platform{OS: "linux", Architecture: "amd64"},
		Layout:        Layout{SitePackages: "python/lib/python3.13/site-packages", Scripts: "bin", Data: "python", Headers: "python/include", MountPoint: "/opt"},
		Interpreter:   "/usr/bin/env python3",
		RuntimeImage:  "public.ecr.aws/lambda/python:3.13",
		Runtime: Image{Ref: "public.ecr.aws/lambda/python:3.13@sha256:" + strings.Repeat("1", 64), Python: "/var/lang/bin/python3.13",
			Env: []string{"PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin", "LD_LIBRARY_PATH=/var/lang/lib:/lib64", "LANG=en_US.UTF-8"}, WorkingDir: "/var/task"},
		Build:       Image{Ref: "public.ecr.aws/sam/build-python3.13@sha256:" + strings.Repeat("2", 64), Python: "/var/lang/bin/python3.13"},
		BuildHost:   Image{Ref: "public.ecr.aws/sam/build-python3.13@sha256:" + strings.Repeat("3", 64), Python: "/var/lang/bin/python3.13"},
		Env:         map[string]string{"LD_LIBRARY_PATH": "/var/lang/lib:/lib64:/opt/lib"},
		SysPath:     []string{"/var/task", "/opt/python/lib/python3.13/site-packages", "/opt/python", "/var/lang/lib/python3.13/site-packages", "/var/runtime"},
		SiteDir:     "/opt/python/lib/python3.13/site-packages",
		ProfileName: "aws-lambda", RuntimeName: "python3.13", StripMode: helperapi.StripUnneeded,
	}
}

func testWheels(pureVersion string) []Wheel {
	return []Wheel{
		{Name: "glf-pure", Version: pureVersion, Filename: "glf_pure-" + pureVersion + "-py3-none-any.whl", URL: "http://127.0.0.1:5001/files/glf_pure-" + pureVersion + "-py3-none-any.whl", SHA256: strings.Repeat(pureVersion[:1], 64)},
		{Name: "glf-cext", Version: "1.0.0", Filename: "glf_cext-1.0.0-cp313-cp313-manylinux_2_17_x86_64.whl", URL: "http://127.0.0.1:5001/files/glf_cext.whl", SHA256: strings.Repeat("c", 64)},
		{Name: "glf-data", Version: "1.0.0", Filename: "glf_data-1.0.0-py3-none-any.whl", URL: "http://127.0.0.1:5001/files/glf_data.whl", SHA256: strings.Repeat("d", 64)},
	}
}

// ops marshals a state and returns its op digests with their names.
func ops(t *testing.T, st llb.State) map[digest.Digest]string {
	t.Helper()
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[digest.Digest]string{}
	for _, dt := range def.Def {
		var op pb.Op
		if err := proto.Unmarshal(dt, &op); err != nil {
			t.Fatal(err)
		}
		d := digest.FromBytes(dt)
		out[d] = def.Metadata[d].Description["llb.customname"]
	}
	return out
}

func newGen() *Gen {
	return &Gen{Helper: llb.Image("example.com/geolayer/frontend:test"), Merge: true}
}

// Generating twice gives the same graph (no map-order or time leaks).
func TestGraphIsDeterministic(t *testing.T) {
	for i := 0; i < 5; i++ {
		g := newGen()
		a := g.Build(testTarget("arm64"), testWheels("1.0.0"))
		g.AddTests(a, []Test{{Code: "import glf_pure"}}, nil)
		b := g.Build(testTarget("arm64"), testWheels("1.0.0"))
		g.AddTests(b, []Test{{Code: "import glf_pure"}}, nil)
		da, db := ops(t, g.Gated(a, a.Archive)), ops(t, g.Gated(b, b.Archive))
		if len(da) != len(db) {
			t.Fatalf("graphs differ in size: %d vs %d", len(da), len(db))
		}
		for d := range da {
			if _, ok := db[d]; !ok {
				t.Fatalf("op %s (%s) is not in the second graph", d, da[d])
			}
		}
	}
}

// Bumping one pin changes only that package's ops and the ops that
// combine packages: everything else keeps its cache key.
func TestPinBumpChangesOnlyThatPackage(t *testing.T) {
	g := newGen()
	before := ops(t, g.Build(testTarget("amd64"), testWheels("1.0.0")).Archive)
	after := ops(t, g.Build(testTarget("amd64"), testWheels("1.1.0")).Archive)
	var changed []string
	for d, name := range after {
		if _, ok := before[d]; !ok {
			changed = append(changed, name)
		}
	}
	if len(changed) == 0 {
		t.Fatal("bumping a pin changed nothing")
	}
	for _, n := range changed {
		// "" is the terminal op Marshal adds, which points at the result.
		if n == "" || strings.Contains(n, "glf-pure 1.1.0") || strings.Contains(n, "collect ") || strings.Contains(n, "assemble") {
			continue
		}
		t.Errorf("bumping glf-pure changed an unrelated step: %q (all changed: %q)", n, changed)
	}
}

// Wheel-only work runs on the build host's platform for every target; only
// TEST runs on the target platform.
func TestOnlyTestsRunOnTheTargetPlatform(t *testing.T) {
	g := newGen()
	l := g.Build(testTarget("arm64"), testWheels("1.0.0"))
	g.AddTests(l, []Test{{Code: "import glf_pure"}}, nil)
	def, err := g.Gated(l, l.Archive).Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	nTests := 0
	for _, dt := range def.Def {
		var op pb.Op
		if err := proto.Unmarshal(dt, &op); err != nil {
			t.Fatal(err)
		}
		name := def.Metadata[digest.FromBytes(dt)].Description["llb.customname"]
		if op.GetExec() == nil {
			continue
		}
		arch := op.GetPlatform().GetArchitecture()
		if strings.Contains(name, "TEST ") {
			nTests++
			if arch != "arm64" {
				t.Errorf("%q runs on %s, want the target arm64", name, arch)
			}
		} else if arch != "amd64" {
			t.Errorf("%q runs on %s, want the build platform amd64", name, arch)
		}
		if !strings.HasPrefix(name, "[linux/arm64] ") {
			t.Errorf("vertex %q does not name its platform", name)
		}
	}
	if nTests != 1 {
		t.Errorf("found %d TEST steps, want 1", nTests)
	}
}

// TEST runs the runtime image's own CPython by its checked path, with the
// image's config (PATH, working directory) and the platform's documented
// environment over it.
func TestTestRunsTheRuntimeInterpreterWithTheImageConfig(t *testing.T) {
	g := newGen()
	tg := testTarget("arm64")
	l := g.Build(tg, testWheels("1.0.0"))
	g.AddTests(l, []Test{{Code: "import glf_pure"}}, nil)
	var found *pb.ExecOp
	for args, e := range execs(t, g.Gated(l, l.Archive)) {
		if strings.Contains(args, "/geolayer-test/test.py") {
			found = e
		}
	}
	if found == nil {
		t.Fatal("no TEST exec")
	}
	m := found.Meta
	if m.Args[0] != "/var/lang/bin/python3.13" || m.Args[1] != "-I" {
		t.Errorf("TEST runs %q, want the runtime's /var/lang/bin/python3.13 -I", m.Args[:2])
	}
	if m.Cwd != "/var/task" {
		t.Errorf("TEST cwd %q, want the image's WORKDIR /var/task", m.Cwd)
	}
	env := map[string]string{}
	for _, kv := range m.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	if env["PATH"] != "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin" || env["LANG"] != "en_US.UTF-8" ||
		env["LD_LIBRARY_PATH"] != "/var/lang/lib:/lib64:/opt/lib" {
		t.Errorf("TEST env %v: want the image's PATH and LANG, the platform's LD_LIBRARY_PATH over the image's", m.Env)
	}
}

// The runner orders sys.path as the platform documents it: the head in
// order (the layer's site directory processed with its .pth files), then
// PYTHONPATH, then the interpreter's own entries. Run with this machine's
// Python, as the runtime would run it.
func TestTestRunnerOrdersSysPath(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed to run the TEST runner")
	}
	dir := t.TempDir()
	site := filepath.Join(dir, "opt/python/lib/python3.x/site-packages")
	if err := os.MkdirAll(filepath.Join(site, "extra"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(site, "x.pth"), []byte("extra\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	head := []string{"/var/task", site, filepath.Join(dir, "opt/python"), "/var/lang/lib/python3.x/site-packages", "/var/runtime"}
	test := filepath.Join(dir, "test.py")
	if err := os.WriteFile(test, []byte("import json, sys; print(json.dumps(sys.path))\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runner := strings.Replace(testRunner(head, site, ""), "/geolayer-test/test.py", test, 1)
	cmd := exec.Command(py, "-I", "-c", runner)
	cmd.Env = append(os.Environ(), "PYTHONPATH=/from/env")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var got []string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := []string{"/var/task", site, filepath.Join(site, "extra"), filepath.Join(dir, "opt/python"), "/var/lang/lib/python3.x/site-packages", "/var/runtime", "/from/env"}
	if len(got) <= len(want) || strings.Join(got[:len(want)], " ") != strings.Join(want, " ") {
		t.Errorf("sys.path %q\nwant it to start with %q", got, want)
	}
}
