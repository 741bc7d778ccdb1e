//go:build integration

// Package integration runs geolayer against the real dev world: buildkitd
// with arm64 emulation, the loopback registry with stand-in images, and the
// fixture index. `make test` brings the world up first; these tests never
// skip: when the world is missing they fail and say why.
package integration

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var env struct {
	buildkitHost, registry, indexURL, frontendImage, builder, devHome string
}

func TestMain(m *testing.M) {
	missing := []string{}
	get := func(k string) string {
		v := os.Getenv(k)
		if v == "" {
			missing = append(missing, k)
		}
		return v
	}
	env.buildkitHost = get("BUILDKIT_HOST")
	env.registry = get("GEOLAYER_REGISTRY")
	env.indexURL = get("GEOLAYER_INDEX_URL")
	env.frontendImage = get("GEOLAYER_FRONTEND_IMAGE")
	env.builder = get("GEOLAYER_BUILDER")
	env.devHome = get("GEOLAYER_DEV_HOME")
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "integration tests need the dev world: %s not set.\nRun `make dev-up` and `. $GEOLAYER_DEV_HOME/env`, or `make test`.\n", strings.Join(missing, ", "))
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// run runs a command and returns its combined output; it fails the test on
// error unless wantErr.
func run(t *testing.T, dir string, wantErr bool, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("$ %s %s (%.1fs)", name, strings.Join(args, " "), time.Since(start).Seconds())
	if err != nil && !wantErr {
		t.Fatalf("%s failed: %v\n%s", name, err, tail(out.String(), 80))
	}
	if err == nil && wantErr {
		t.Fatalf("%s succeeded but should have failed:\n%s", name, tail(out.String(), 40))
	}
	return out.String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d lines cut)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// project writes a build context with a Geolayerfile (the syntax line is
// added) and extra files.
func project(t *testing.T, geolayerfile string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	content := "# syntax=" + env.frontendImage + "\n" + geolayerfile
	if err := os.WriteFile(filepath.Join(dir, "Geolayerfile"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// archiveRuns appends a BUDGET of this run's own to a Geolayerfile, so
// that the layer's archive step (which prints the report table, the
// import times and the publish command in the build log) executes rather
// than being found in the cache of an earlier run on the same daemon:
// BuildKit prints a step's log only when the step runs. The budget is
// within a few KiB of the platform's 250 MiB unzipped limit, so it refuses
// nothing the limit allows; installs and the zip's bytes do not change.
func archiveRuns(t *testing.T, geolayerfile string) string {
	t.Helper()
	b := make([]byte, 2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return geolayerfile + fmt.Sprintf("BUDGET unzipped=%d\n", 250<<20-1-int(b[0])<<8-int(b[1]))
}

// buildx runs docker buildx build on the dev builder.
func buildx(t *testing.T, dir string, wantErr bool, args ...string) string {
	t.Helper()
	base := []string{"buildx", "build", "--builder", env.builder, "--progress=plain",
		"--build-arg", "GEOLAYER_INDEX_URL=" + env.indexURL}
	return run(t, dir, wantErr, "docker", append(base, args...)...)
}

// vertex is one line of buildctl's rawjson progress.
type vertex struct {
	Digest  string     `json:"digest"`
	Name    string     `json:"name"`
	Cached  bool       `json:"cached"`
	Started *time.Time `json:"started"`
	Error   string     `json:"error"`
}

// buildctlRaw builds through buildctl with the gateway frontend and returns
// the vertices that executed (not cached), by name. opts are frontend
// options (key=value); ones starting with "--" are buildctl flags.
func buildctlRaw(t *testing.T, addr, dir, out string, opts ...string) (executed []string, all map[string]vertex) {
	t.Helper()
	return parseProgress(run(t, dir, false, "buildctl", buildctlArgs(addr, dir, out, "rawjson", opts...)...))
}

// buildctlArgs is a buildctl build of dir's Geolayerfile with the gateway
// frontend into out, with the given progress mode. opts are frontend
// options (key=value); ones starting with "--" are buildctl flags.
func buildctlArgs(addr, dir, out, progress string, opts ...string) []string {
	args := []string{"--addr", addr, "build", "--progress=" + progress,
		"--frontend", "gateway.v0", "--opt", "source=" + env.frontendImage,
		"--local", "context=" + dir, "--local", "dockerfile=" + dir,
		"--opt", "filename=Geolayerfile",
		"--opt", "build-arg:GEOLAYER_INDEX_URL=" + env.indexURL,
		"--output", "type=local,dest=" + out}
	for _, o := range opts {
		if strings.HasPrefix(o, "--") { // a buildctl flag, e.g. --secret
			args = append(args, o)
			continue
		}
		args = append(args, "--opt", o)
	}
	return args
}

// parseProgress reads rawjson progress (buildctl's or buildx's: one
// SolveStatus a line) and returns the vertices that executed (not cached),
// by name, and every vertex by digest.
func parseProgress(raw string) (executed []string, all map[string]vertex) {
	all = map[string]vertex{}
	sc := bufio.NewScanner(strings.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var st struct {
			Vertexes []vertex `json:"vertexes"`
		}
		if json.Unmarshal(sc.Bytes(), &st) != nil {
			continue
		}
		for _, v := range st.Vertexes {
			prev := all[v.Digest]
			if v.Started == nil {
				v.Started = prev.Started
			}
			v.Cached = v.Cached || prev.Cached
			all[v.Digest] = v
		}
	}
	for _, v := range all {
		if !v.Cached && v.Started != nil {
			executed = append(executed, v.Name)
		}
	}
	return executed, all
}

var cliOnce struct {
	sync.Once
	path string
	err  error
	out  []byte
}

// geolayerCLI builds cmd/geolayer once per test run and returns its path.
func geolayerCLI(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		dir, err := os.MkdirTemp("", "geolayer-cli-")
		if err != nil {
			cliOnce.err = err
			return
		}
		cliOnce.path = filepath.Join(dir, "geolayer")
		build := exec.Command("go", "build", "-o", cliOnce.path, "./cmd/geolayer")
		build.Dir = repoRoot(t)
		cliOnce.out, cliOnce.err = build.CombinedOutput()
	})
	if cliOnce.err != nil {
		t.Fatalf("go build ./cmd/geolayer: %v\n%s", cliOnce.err, cliOnce.out)
	}
	return cliOnce.path
}
