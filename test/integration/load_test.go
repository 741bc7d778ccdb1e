//go:build integration

package integration

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// buildctlPlain builds like buildctlRaw but returns its error instead of
// failing the test, so it can run in goroutines.
func buildctlPlain(addr, dir, out string, opts ...string) error {
	cmd := exec.Command("buildctl", buildctlArgs(addr, dir, out, "plain", opts...)...)
	cmd.Dir = dir
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v\n%s", dir, err, tail(b.String(), 30))
	}
	return nil
}

// Eight different layers (both platforms each) built at once on one
// daemon give the same bytes as each built alone; two builds of the same
// Geolayerfile at once both succeed with the same bytes. The concurrent
// builds run first with an epoch no earlier run used, so they execute
// every step; the serial ones rebuild without the cache.
func TestConcurrentLayersMatchSerialBuilds(t *testing.T) {
	layers := []struct{ python, reqs string }{
		{"3.13", "glf-pure==1.0.0\nglf-pure-dep==1.0.0\n"},
		{"3.13", "glf-cext==1.0.0\n"},
		{"3.13", "glf-data==1.0.0\nglf-pure==1.1.0\n"},
		{"3.11", "glf-cext==1.0.0\nglf-pure==1.1.0\n"},
		{"3.13", "glf-abi3==1.0.0\n"},
		{"3.13", "glf-plugins==1.0.0\nglf-plugin-a==1.0.0\n"},
		{"3.11", "glf-data==1.0.0\n"},
		{"3.13", "glf-vendored==1.0.0\n"},
	}
	epoch := fmt.Sprintf("build-arg:SOURCE_DATE_EPOCH=%d", time.Now().Unix())
	plat := "platform=linux/amd64,linux/arm64"
	dirs := make([]string, len(layers))
	for i, l := range layers {
		dirs[i] = project(t, "TARGET aws-lambda python"+l.python+"\nPLATFORM linux/amd64 linux/arm64\nREQUIRE -r requirements.txt\n",
			map[string]string{"requirements.txt": l.reqs})
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(layers))
	for i, dir := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = buildctlPlain(env.buildkitHost, dir, filepath.Join(dir, "concurrent"), plat, epoch)
		}()
	}
	wg.Wait()
	t.Logf("8 layers x 2 platforms concurrently: %.1fs", time.Since(start).Seconds())
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	start = time.Now()
	for _, dir := range dirs {
		if err := buildctlPlain(env.buildkitHost, dir, filepath.Join(dir, "serial"), plat, epoch, "no-cache="); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("the same 8 serially without the cache: %.1fs", time.Since(start).Seconds())
	for i, dir := range dirs {
		for _, p := range []string{"linux_amd64", "linux_arm64"} {
			for _, f := range []string{"layer.zip", "report.json"} {
				a, b := sha(t, filepath.Join(dir, "concurrent", p, f)), sha(t, filepath.Join(dir, "serial", p, f))
				if a != b {
					t.Errorf("layer %d %s/%s: concurrent %s, serial %s", i, p, f, a, b)
				}
			}
		}
	}

	// The same Geolayerfile twice at once, with a new epoch: both build
	// the same steps (BuildKit shares them) and both succeed identically.
	epoch2 := fmt.Sprintf("build-arg:SOURCE_DATE_EPOCH=%d", time.Now().Unix()+1)
	twice := make([]error, 2)
	for i := range twice {
		wg.Add(1)
		go func() {
			defer wg.Done()
			twice[i] = buildctlPlain(env.buildkitHost, dirs[0], filepath.Join(dirs[0], fmt.Sprintf("twice%d", i)), plat, epoch2)
		}()
	}
	wg.Wait()
	for _, err := range twice {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"linux_amd64", "linux_arm64"} {
		a, b := sha(t, filepath.Join(dirs[0], "twice0", p, "layer.zip")), sha(t, filepath.Join(dirs[0], "twice1", p, "layer.zip"))
		if a != b {
			t.Errorf("%s: two concurrent builds of one Geolayerfile differ: %s vs %s", p, a, b)
		}
	}
}
