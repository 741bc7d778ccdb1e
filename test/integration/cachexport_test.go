//go:build integration

package integration

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Caches shared between daemons, as CI uses them (issue #16 item 1): a
// build on a fresh daemon A exports its cache (docker buildx build
// --cache-to ...,mode=max); the same build on another fresh daemon B with
// an empty state and --cache-from executes no step, downloads no wheel and
// returns byte-identical zips, although it builds from another checkout
// (another path, group-writable modes); a one-pin bump on B then
// re-executes only that package's steps and the per-layer ones, and gives
// the bytes the same bump gives on A.

const crossDaemonReqs = "glf-pure==1.0.0\nglf-pure-dep==1.0.0\nglf-cext==1.0.0\nglf-data==1.0.0\n"

const crossDaemonFile = "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\nREQUIRE -r requirements.txt\n" +
	"TEST import glf_pure, glf_cext, glf_data; assert glf_cext.add(2, 3) == 5\n"

var bothPlatforms = []string{"linux/amd64", "linux/arm64"}

func TestRegistryCacheAcrossDaemons(t *testing.T) {
	ref := fmt.Sprintf("%s/geolayer-test/cache:%s", env.registry, uniqueTag(t))
	cacheAcrossDaemons(t, fixtureCrossDaemon(), "type=registry,ref="+ref+",mode=max", "type=registry,ref="+ref)
}

func TestLocalCacheAcrossDaemons(t *testing.T) {
	dir := t.TempDir()
	cacheAcrossDaemons(t, fixtureCrossDaemon(), "type=local,dest="+dir+",mode=max", "type=local,src="+dir)
}

// At geo scale, with pip resolving the unpinned set in the build image:
// the realistic geo set plus glf-pure, both platforms, TEST importing
// them. The cache goes uncompressed to the loopback registry (gzip of the
// ~2 GB of intermediate trees would be most of the test's time; what is
// tested is the keys).
func TestRegistryCacheAcrossDaemonsGeo(t *testing.T) {
	requireGeoOnIndex(t, "rasterio")
	ref := fmt.Sprintf("%s/geolayer-test/cache:geo-%s", env.registry, uniqueTag(t))
	cacheAcrossDaemons(t, crossDaemonCase{
		file: `TARGET aws-lambda python3.11 --glibc=2.36
PLATFORM linux/amd64 linux/arm64
REQUIRE numpy shapely pyproj rasterio fiona glf-pure==1.0.0
BUDGET unzipped=1GiB zipped=1GiB
TEST import numpy, shapely, pyproj, rasterio, fiona, glf_pure
`,
		mustRun: []string{"] resolve requirements with pip", "] install rasterio ", "] slim rasterio ", "] compress rasterio ",
			"] check the layer", "] assemble layer.zip", "] TEST import numpy", "] check the runtime image's Python"},
		noBump: true,
	}, "type=registry,ref="+ref+",mode=max,compression=uncompressed", "type=registry,ref="+ref)
}

// crossDaemonCase is a project for cacheAcrossDaemons.
type crossDaemonCase struct {
	file  string            // the Geolayerfile, without the syntax line
	files map[string]string // other files of the context
	// mustRun are step name parts daemon A must execute on each platform
	// ("] install x 1.0" matches "[linux/amd64] install x 1.0").
	mustRun []string
	// noBump skips the one-pin bump (glf-pure 1.0.0 -> 1.1.0 in
	// requirements.txt), which the fixture cases test.
	noBump bool
}

func fixtureCrossDaemon() crossDaemonCase {
	return crossDaemonCase{
		file:  crossDaemonFile,
		files: map[string]string{"requirements.txt": crossDaemonReqs},
		mustRun: []string{"] install glf-cext 1.0.0", "] slim glf-cext 1.0.0", "] compress glf-cext 1.0.0",
			"] check the layer", "] assemble layer.zip", "] TEST import glf_pure", "] check the runtime image's Python"},
	}
}

func cacheAcrossDaemons(t *testing.T, c crossDaemonCase, cacheTo, cacheFrom string) {
	dir := project(t, c.file, c.files)
	outA, outB := filepath.Join(dir, "a"), filepath.Join(dir, "b")

	a := buildxBuilder(t, startDaemon(t, bothPlatforms))
	execA, allA := buildxRaw(t, a, dir, outA, "--cache-to", cacheTo)
	stepsA := realSteps(execA)
	// What B must find cached: every kind of step, on both platforms.
	for _, p := range bothPlatforms {
		for _, kind := range c.mustRun {
			if !hasStep(stepsA, "["+p+kind) {
				t.Fatalf("daemon A (empty state) did not execute %q: the cache test measures nothing; it executed %v", "["+p+kind, stepsA)
			}
		}
	}

	// B builds from another checkout: another path, and the modes a
	// umask of 002 gives (group-writable files and folders).
	dirB := t.TempDir()
	writeMode(t, filepath.Join(dirB, "Geolayerfile"), readFile(t, filepath.Join(dir, "Geolayerfile")), 0o664)
	for f := range c.files {
		writeMode(t, filepath.Join(dirB, f), readFile(t, filepath.Join(dir, f)), 0o664)
	}
	if err := os.Chmod(dirB, 0o775); err != nil {
		t.Fatal(err)
	}
	b := buildxBuilder(t, startDaemon(t, bothPlatforms))
	mark := indexLogSize(t)
	execB, allB := buildxRaw(t, b, dirB, outB, "--cache-from", cacheFrom)
	if got := downloadsSince(t, mark); len(got) > 0 {
		t.Errorf("daemon B with the cache downloaded %v", got)
	}
	if steps := realSteps(execB); len(steps) > 0 {
		t.Errorf("daemon B with the cache executed steps: %v", steps)
	}
	// Matched by vertex digest (the same LLB on both daemons), not by
	// name: a step both platforms share (a pure wheel's install) is one
	// vertex, named after whichever platform asked first.
	var notCached []string
	for dg, v := range allA {
		if v.Cached || v.Started == nil || notAStep(v.Name) {
			continue
		}
		if vb, ok := allB[dg]; !ok || !vb.Cached {
			notCached = append(notCached, fmt.Sprintf("%s (B: seen %v, cached %v)", v.Name, ok, vb.Cached))
		}
	}
	sort.Strings(notCached)
	if len(notCached) > 0 {
		t.Errorf("steps daemon A executed that daemon B does not show CACHED: %v", notCached)
	}
	t.Logf("daemon A executed %d steps; daemon B: %d of them CACHED, %d vertices executed (none a step)", len(stepsA), len(stepsA)-len(notCached), len(execB))
	sameOutputs(t, outA, outB)
	if c.noBump {
		return
	}

	// One pin bumped on B: that package's steps and the per-layer ones run
	// again, and only its new wheel is downloaded.
	bumped := strings.Replace(crossDaemonReqs, "glf-pure==1.0.0", "glf-pure==1.1.0", 1)
	writeMode(t, filepath.Join(dir, "requirements.txt"), []byte(bumped), 0o644)
	writeMode(t, filepath.Join(dirB, "requirements.txt"), []byte(bumped), 0o664)
	mark = indexLogSize(t)
	outB2 := filepath.Join(dir, "b2")
	execB2, _ := buildxRaw(t, b, dirB, outB2, "--cache-from", cacheFrom)
	if got := downloadsSince(t, mark); len(got) != 1 || !strings.Contains(got[0], "glf_pure-1.1.0") {
		t.Errorf("bumping glf-pure on B should download its new wheel once (both platforms share it), got %v", got)
	}
	var unexpected []string
	sawPure := false
	for _, n := range realSteps(execB2) {
		switch {
		case strings.Contains(n, "] install glf-pure 1.1.0"):
			// A pure wheel's steps are the same operation for both
			// platforms: BuildKit runs (and names) them once.
			sawPure = true
		case strings.Contains(n, "glf-pure 1.1.0"), perLayerStep(n):
		default:
			unexpected = append(unexpected, n)
		}
	}
	if !sawPure {
		t.Errorf("the bumped package was not installed: %v", execB2)
	}
	if len(unexpected) > 0 {
		t.Errorf("bumping glf-pure on B re-executed other steps: %v", unexpected)
	}
	// The same bump on A, from A's own state: the same bytes.
	outA2 := filepath.Join(dir, "a2")
	buildxRaw(t, a, dir, outA2)
	sameOutputs(t, outA2, outB2)
}

// perLayerStep tells the steps that depend on every package: they run
// again whenever one package changes.
func perLayerStep(n string) bool {
	for _, s := range []string{"] compose layer tree", "] collect ", "] check the layer", "] assemble layer.zip", "] TEST ", "] require checks and tests"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// realSteps drops the vertices that are not build work (notAStep), sorted.
func realSteps(executed []string) []string {
	var out []string
	for _, n := range executed {
		if !notAStep(n) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func hasStep(steps []string, prefix string) bool {
	for _, s := range steps {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// sameOutputs compares layer.zip and report.json of both platforms by
// sha256.
func sameOutputs(t *testing.T, a, b string) {
	t.Helper()
	for _, p := range []string{"linux_amd64", "linux_arm64"} {
		for _, f := range []string{"layer.zip", "report.json"} {
			ha, hb := sha(t, filepath.Join(a, p, f)), sha(t, filepath.Join(b, p, f))
			if ha != hb {
				t.Errorf("%s/%s differs: %s has sha256 %s, %s has %s", p, f, a, ha, b, hb)
			}
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeMode writes a file with exactly mode (chmod: the creation mode is
// subject to the test process's umask).
func writeMode(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func uniqueTag(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// buildxBuilder makes a docker buildx builder (remote driver) for a
// daemon's address and removes it when the test ends.
func buildxBuilder(t *testing.T, addr string) string {
	t.Helper()
	name := "geolayer-test-" + uniqueTag(t)
	if out, err := exec.Command("docker", "buildx", "create", "--name", name, "--driver", "remote", addr).CombinedOutput(); err != nil {
		t.Fatalf("docker buildx create %s: %v\n%s", addr, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "buildx", "rm", name).Run() })
	if out, err := exec.Command("docker", "buildx", "inspect", "--bootstrap", name).CombinedOutput(); err != nil {
		t.Fatalf("docker buildx inspect --bootstrap %s: %v\n%s", name, err, out)
	}
	return name
}

// buildxRaw runs docker buildx build for both platforms into out with
// rawjson progress and returns the executed vertices (parseProgress).
func buildxRaw(t *testing.T, builder, dir, out string, args ...string) (executed []string, all map[string]vertex) {
	t.Helper()
	base := []string{"buildx", "build", "--builder", builder, "--progress=rawjson",
		"--build-arg", "GEOLAYER_INDEX_URL=" + env.indexURL,
		"--platform", strings.Join(bothPlatforms, ","),
		"-f", "Geolayerfile", "-o", "type=local,dest=" + out}
	return parseProgress(run(t, dir, false, "docker", append(append(base, args...), ".")...))
}
