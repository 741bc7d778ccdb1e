package llbgen

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/pkg/report"
)

// The profiled runner (TEST --profile-imports) keeps -X importtime's lines
// of the test's own imports out of the log and in imports.json, with the
// files under the mount point each top-level import mapped; the test's
// other stderr passes through. Run with this machine's Python.
func TestProfiledRunnerRecordsImports(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed to run the TEST runner")
	}
	dir := t.TempDir()
	mount := filepath.Join(dir, "opt")
	site := filepath.Join(mount, "python")
	out := filepath.Join(dir, "out")
	for _, d := range []string{filepath.Join(site, "mapper"), out} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data := make([]byte, 12345)
	files := map[string]string{
		filepath.Join(site, "data.bin"): string(data),
		// mapper maps a file of the layer, as loading a shared object does.
		filepath.Join(site, "mapper", "__init__.py"): "import mmap, os\n" +
			"_f = open(os.path.join(os.path.dirname(__file__), '..', 'data.bin'), 'rb')\n" +
			"_m = mmap.mmap(_f.fileno(), 0, prot=mmap.PROT_READ)\n",
		filepath.Join(site, "plain.py"): "import json\n",
		filepath.Join(dir, "test.py"):   "import sys\nimport mapper, plain\nprint('from the test', file=sys.stderr)\n",
	}
	for p, body := range files {
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runner := testRunner([]string{site}, "", mount)
	runner = strings.Replace(runner, "/geolayer-test/test.py", filepath.Join(dir, "test.py"), 1)
	runner = strings.Replace(runner, importsDir, out, 1)
	cmd := exec.Command(py, "-X", "importtime", "-I", "-c", runner)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "from the test") {
		t.Errorf("the test's stderr was lost: %s", stderr.String())
	}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, "mapper") || strings.Contains(l, "plain") {
			t.Errorf("import time of the test's imports in the log: %s", l)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "imports.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Python, Mount, ImportTime string
		Events                    []struct {
			Module string
			Files  map[string]int64
		}
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Mount != mount || got.Python == "" {
		t.Errorf("mount %q python %q", got.Mount, got.Python)
	}
	entries, err := report.ParseImportTime(strings.NewReader(got.ImportTime))
	if err != nil {
		t.Fatal(err)
	}
	var top []string
	for _, e := range report.TopLevel(entries) {
		top = append(top, e.Module)
	}
	if strings.Join(top, " ") != "mapper plain" {
		t.Errorf("top-level imports %v, want mapper plain (all: %+v)", top, entries)
	}
	if len(got.Events) != 2 || got.Events[0].Module != "mapper" || got.Events[1].Module != "plain" {
		t.Fatalf("events %+v", got.Events)
	}
	real, _ := filepath.EvalSymlinks(filepath.Join(site, "data.bin"))
	if n, ok := got.Events[0].Files[real]; !ok || n != int64(len(data)) || len(got.Events[0].Files) != 1 {
		t.Errorf("mapper mapped %v, want %s (%d bytes)", got.Events[0].Files, real, len(data))
	}
	if len(got.Events[1].Files) != 0 {
		t.Errorf("plain mapped %v", got.Events[1].Files)
	}
}
