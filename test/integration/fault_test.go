//go:build integration

package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildUntil runs a build on addr and calls kill as soon as a step whose
// name contains step starts (from buildctl's rawjson progress). It returns
// whether kill was called and the build's error.
func buildUntil(t *testing.T, addr, dir, out, step string, kill func(), opts ...string) (killed bool, err error) {
	t.Helper()
	cmd := exec.Command("buildctl", buildctlArgs(addr, dir, out, "rawjson", opts...)...)
	cmd.Dir = dir
	// buildctl writes its progress to stderr.
	progress, perr := cmd.StderrPipe()
	if perr != nil {
		t.Fatal(perr)
	}
	var stderr strings.Builder
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(progress)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "{") {
			stderr.WriteString(sc.Text() + "\n")
		}
		var st struct {
			Vertexes []vertex `json:"vertexes"`
		}
		if json.Unmarshal(sc.Bytes(), &st) != nil {
			continue
		}
		for _, v := range st.Vertexes {
			if !killed && v.Started != nil && !v.Cached && strings.Contains(v.Name, step) {
				kill()
				killed = true
			}
		}
	}
	err = cmd.Wait()
	if err != nil {
		err = fmt.Errorf("%v: %s", err, tail(stderr.String(), 10))
	}
	return killed, err
}

// buildkitd killed with SIGKILL while a layer's packages install, and again
// while they compress, then started on the same state: the next build
// succeeds and its layer is byte-identical to a clean build on a fresh
// daemon (the interrupted steps left nothing in the cache).
func TestDaemonKilledMidBuildRecovers(t *testing.T) {
	plats := []string{"linux/amd64", "linux/arm64"}
	dir := project(t, "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\nREQUIRE -r requirements.txt\n",
		map[string]string{"requirements.txt": "glf-cext==1.0.0\nglf-data==1.0.0\nglf-pure==1.1.0\nglf-vendored==1.0.0\n"})
	epoch := fmt.Sprintf("build-arg:SOURCE_DATE_EPOCH=%d", time.Now().Unix())
	opt := "platform=linux/amd64,linux/arm64"

	clean := newTestDaemon(t, plats, false)
	if err := buildctlPlain(clean.addr, dir, filepath.Join(dir, "clean"), opt, epoch); err != nil {
		t.Fatal(err)
	}
	clean.kill()

	for _, step := range []string{"] install ", "] compress "} {
		d := newTestDaemon(t, plats, false)
		out := filepath.Join(dir, "killed-"+strings.Trim(step, "] "))
		killed, err := buildUntil(t, d.addr, dir, out, step, d.kill, opt, epoch)
		if !killed {
			t.Fatalf("no %q step started: %v", step, err)
		}
		if err == nil {
			t.Fatalf("the build survived the daemon's SIGKILL during %q", step)
		}
		d.start(t)
		if err := buildctlPlain(d.addr, dir, out, opt, epoch); err != nil {
			t.Fatalf("after a SIGKILL during %q and a restart: %v", step, err)
		}
		for _, p := range []string{"linux_amd64", "linux_arm64"} {
			for _, f := range []string{"layer.zip", "report.json"} {
				a, b := sha(t, filepath.Join(dir, "clean", p, f)), sha(t, filepath.Join(out, p, f))
				if a != b {
					t.Errorf("after a SIGKILL during %q: %s/%s %s, clean build %s", step, p, f, b, a)
				}
			}
		}
		d.kill()
	}
}

// A push to a registry that does not answer fails with an error naming it,
// and nothing else goes wrong.
func TestImagePushToUnreachableRegistry(t *testing.T) {
	dir := project(t, "TARGET aws-lambda python3.13\nPLATFORM linux/amd64\nREQUIRE glf-pure==1.1.0\n", nil)
	// 127.0.0.1:9 (discard) has nothing listening here.
	ref := "127.0.0.1:9/geolayer-test/unreachable:1"
	cmd := exec.Command("buildctl", "--addr", env.buildkitHost, "build", "--progress=plain",
		"--frontend", "gateway.v0", "--opt", "source="+env.frontendImage,
		"--local", "context="+dir, "--local", "dockerfile="+dir,
		"--opt", "filename=Geolayerfile", "--opt", "target=image",
		"--opt", "build-arg:GEOLAYER_INDEX_URL="+env.indexURL,
		"--output", "type=image,name="+ref+",push=true,registry.insecure=true")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the push to %s succeeded", ref)
	}
	last := ""
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "error:") || strings.HasPrefix(l, "ERROR:") {
			last = l
		}
	}
	if !strings.Contains(last, "127.0.0.1:9") || !strings.Contains(last, "connection refused") {
		t.Errorf("the final error does not name the registry and why: %q\n%s", last, tail(string(out), 15))
	}
	if strings.Contains(string(out), "panic") {
		t.Errorf("a panic reached the user:\n%s", tail(string(out), 30))
	}
}
