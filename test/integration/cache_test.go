//go:build integration

package integration

import (
	"archive/zip"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/geolayer/geolayer/pkg/report"
)

const cacheGeolayerfile = "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\nREQUIRE -r requirements.txt\n"

func sha(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// A no-op rebuild executes nothing; bumping one pin re-executes only that
// package's steps plus the layer's final assembly.
func TestRebuildCostFollowsTheChange(t *testing.T) {
	reqs := "glf-pure==1.0.0\nglf-pure-dep==1.0.0\nglf-cext==1.0.0\nglf-data==1.0.0\n"
	dir := project(t, cacheGeolayerfile, map[string]string{"requirements.txt": reqs})
	out := filepath.Join(dir, "out")
	// A SOURCE_DATE_EPOCH of our own makes this run's install and archive
	// steps new to the daemon, whatever earlier runs left in its cache, so
	// "what executed" is measured against a known starting point.
	epoch := fmt.Sprintf("build-arg:SOURCE_DATE_EPOCH=%d", time.Now().Unix())
	opts := []string{"platform=linux/amd64,linux/arm64", epoch}
	buildctlRaw(t, env.buildkitHost, dir, out, opts...)

	mark := indexLogSize(t)
	executed, _ := buildctlRaw(t, env.buildkitHost, dir, out, opts...)
	var real []string
	for _, n := range executed {
		if notAStep(n) {
			continue
		}
		real = append(real, n)
	}
	if len(real) > 0 {
		t.Errorf("no-op rebuild executed steps: %v", real)
	}
	if got := downloadsSince(t, mark); len(got) > 0 {
		t.Errorf("no-op rebuild downloaded %v", got)
	}

	bumped := strings.Replace(reqs, "glf-pure==1.0.0", "glf-pure==1.1.0", 1)
	if err := os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte(bumped), 0o644); err != nil {
		t.Fatal(err)
	}
	mark = indexLogSize(t)
	executed, _ = buildctlRaw(t, env.buildkitHost, dir, out, opts...)
	sort.Strings(executed)
	// Only the new wheel may be downloaded (once for both platforms; not at
	// all when an earlier run left it in BuildKit's cache).
	if got := downloadsSince(t, mark); len(got) > 1 || (len(got) == 1 && !strings.Contains(got[0], "glf_pure-1.1.0")) {
		t.Errorf("bumping glf-pure should download only its new wheel, got %v", got)
	}
	var unexpected []string
	sawPure := false
	for _, n := range executed {
		switch {
		case notAStep(n):
		case strings.Contains(n, "glf-pure 1.1.0") || strings.Contains(n, "glf-pure-1.1.0"):
			sawPure = true
		case strings.Contains(n, "assemble layer.zip"), strings.Contains(n, "collect "), strings.Contains(n, "compose layer tree"), strings.Contains(n, "check the layer"), strings.Contains(n, "require checks and tests"):
		default:
			unexpected = append(unexpected, n)
		}
	}
	if !sawPure {
		t.Errorf("the bumped package's steps did not run: %v", executed)
	}
	if len(unexpected) > 0 {
		t.Errorf("bumping glf-pure re-executed other steps: %v", unexpected)
	}
}

// The default prune list takes what no import needs and keeps what
// importlib.metadata and entry points read; changing a PRUNE pattern re-runs
// the slim steps (and what depends on their output) but no download or
// install.
func TestPruneDefaultsAndPatternChange(t *testing.T) {
	reqs := "glf-pure==1.0.0\nglf-pure-dep==1.0.0\nglf-cext==1.0.0\n"
	dir := project(t, cacheGeolayerfile, map[string]string{"requirements.txt": reqs})
	out := filepath.Join(dir, "out")
	epoch := fmt.Sprintf("build-arg:SOURCE_DATE_EPOCH=%d", time.Now().Unix())
	opts := []string{"platform=linux/amd64,linux/arm64", epoch}
	buildctlRaw(t, env.buildkitHost, dir, out, opts...)
	names := zipNames(t, filepath.Join(out, "linux_amd64", "layer.zip"))
	site := "python/lib/python3.13/site-packages/"
	for _, gone := range []string{"glf_pure/__init__.pyi", "glf_pure/py.typed", "glf_pure/helper.c", "glf_pure/docs/index.rst", "glf_pure-1.0.0.dist-info/RECORD"} {
		if names[site+gone] {
			t.Errorf("the default prune list should remove %s", gone)
		}
	}
	for _, kept := range []string{"glf_pure/__init__.py", "glf_pure/tests/test_glf_pure.py", "glf_pure-1.0.0.dist-info/METADATA", "glf_pure-1.0.0.dist-info/entry_points.txt", "bin/glf-pure"} {
		p := kept
		if !strings.HasPrefix(kept, "bin/") {
			p = site + kept
		}
		if !names[p] {
			t.Errorf("the default prune list must keep %s", p)
		}
	}

	// A pattern unique to this run: the slim steps are keyed by the
	// installed tree and the options only, so a rerun of the test would
	// find them cached.
	if err := os.WriteFile(filepath.Join(dir, "Geolayerfile"), []byte("# syntax="+env.frontendImage+"\n"+cacheGeolayerfile+"PRUNE glf_pure/tests/ nothing-"+epoch[len(epoch)-10:]+".txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mark := indexLogSize(t)
	executed, _ := buildctlRaw(t, env.buildkitHost, dir, out, opts...)
	if got := downloadsSince(t, mark); len(got) > 0 {
		t.Errorf("a PRUNE change downloaded %v", got)
	}
	sawSlim := false
	for _, n := range executed {
		switch {
		case notAStep(n):
		case strings.Contains(n, "] slim "):
			sawSlim = true
		case strings.Contains(n, "] compress glf-pure 1.0.0"), strings.Contains(n, "assemble layer.zip"), strings.Contains(n, "collect "),
			strings.Contains(n, "compose layer tree"), strings.Contains(n, "check the layer"), strings.Contains(n, "require checks and tests"):
		default:
			t.Errorf("a PRUNE change re-executed %q", n)
		}
	}
	if !sawSlim {
		t.Errorf("a PRUNE change did not re-run pruning: %v", executed)
	}
	names = zipNames(t, filepath.Join(out, "linux_arm64", "layer.zip"))
	if names[site+"glf_pure/tests/test_glf_pure.py"] || !names[site+"glf_pure/__init__.py"] {
		t.Errorf("PRUNE glf_pure/tests/ should remove the tests folder only")
	}
	rep, err := report.Read(filepath.Join(out, "linux_arm64", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range rep.Packages {
		if p.Name != "glf-pure" || p.Prune == nil {
			continue
		}
		for _, r := range p.Prune.Rules {
			if r.Pattern == "glf_pure/tests/" && r.Files == 2 && strings.Contains(r.Source, "line 5") {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("report.json should credit PRUNE glf_pure/tests/ (Geolayerfile line 5) with 2 files")
	}
}

func zipNames(t *testing.T, path string) map[string]bool {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = zr.Close() }()
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	return names
}

// Two builds on two daemons with empty caches give byte-identical zips.
func TestZipIsByteIdenticalAcrossDaemons(t *testing.T) {
	dir := fixtureProject(t, "3.13")
	second := startDaemon(t, []string{"linux/amd64", "linux/arm64"})
	outA, outB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	buildctlRaw(t, env.buildkitHost, dir, outA, "platform=linux/amd64,linux/arm64", "no-cache=")
	buildctlRaw(t, second, dir, outB, "platform=linux/amd64,linux/arm64")
	for _, p := range []string{"linux_amd64", "linux_arm64"} {
		for _, f := range []string{"layer.zip", "report.json"} {
			a, b := sha(t, filepath.Join(outA, p, f)), sha(t, filepath.Join(outB, p, f))
			if a != b {
				t.Errorf("%s/%s differs between daemons: %s vs %s", p, f, a, b)
			}
		}
	}
}

// startDaemon runs a throwaway buildkitd with an empty state dir, the dev
// world's registry mirrors, and only the given platforms; it returns its
// address.
func startDaemon(t *testing.T, plats []string) string {
	return startDaemonWith(t, plats, false)
}

// startDaemonWith can start the daemon without emulation: its worker then
// lists only the host's own platform.
func startDaemonWith(t *testing.T, plats []string, noEmulation bool) string {
	t.Helper()
	return newTestDaemon(t, plats, noEmulation).addr
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

// notAStep tells vertices that are not build work: loading the definition
// and context, resolving the frontend, exporting, and the checksum-keyed
// fetches, which BuildKit reports as started when it computes their cache
// key from the sha256 without downloading (downloads are counted separately,
// from the index's access log).
func notAStep(name string) bool {
	return strings.HasPrefix(name, "[internal]") || strings.Contains(name, "load build definition") ||
		strings.HasPrefix(name, "load ") || strings.HasPrefix(name, "resolve image config") ||
		strings.HasPrefix(name, "exporting ") || strings.Contains(name, "] fetch ") ||
		// reading an imported cache's manifest (--cache-from)
		strings.HasPrefix(name, "importing cache manifest from ") ||
		// Image sources pinned by digest (the runtime image the static
		// check mounts) are listed on every solve; with the content in
		// the daemon's store nothing is pulled.
		strings.HasPrefix(name, "docker-image://")
}

func indexLog(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(env.devHome, "logs", "index.log"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func indexLogSize(t *testing.T) int { return len(indexLog(t)) }

// downloadsSince lists the wheel files the index served after mark.
func downloadsSince(t *testing.T, mark int) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(string(indexLog(t)[mark:]), "\n") {
		if i := strings.Index(line, "access GET /files/"); i >= 0 {
			out = append(out, line[i+len("access GET "):])
		}
	}
	return out
}
