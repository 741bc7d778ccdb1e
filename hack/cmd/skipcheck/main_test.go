package main

import (
	"bytes"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goTestJSON runs `go test -json` on a throwaway module and returns what it
// printed (stdout and stderr, as the Makefile pipes them).
func goTestJSON(t *testing.T, pkgs ...string) []byte {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(build.Default.GOROOT, "bin", "go")
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/m\n\ngo 1.22\n",
		"a/a_test.go": `package a

import "testing"

func TestPass(t *testing.T) { t.Log("a log line of a passing test") }

func TestMeasure(t *testing.T) { t.Skip("CORPUS not set") }

func TestTool(t *testing.T) { t.Skip("tool is not installed") }

func TestParent(t *testing.T) {
	t.Run("ok", func(t *testing.T) {})
	t.Run("skipped", func(t *testing.T) { t.Skip("no world") })
}
`,
		"b/b_test.go": `package b

import "testing"

func TestBroken(t *testing.T) {
	t.Log("context for the failure")
	t.Fatal("it broke")
}

func TestFine(t *testing.T) {}
`,
		"c/c.go": "package c\n",
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
	cmd := exec.Command(goBin, append([]string{"test", "-json", "-count=1"}, pkgs...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	out, _ := cmd.CombinedOutput() // b fails: go test exits 1
	return out
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "expected-skips")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runOn(t *testing.T, input []byte, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, bytes.NewReader(input), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestSkipCheck(t *testing.T) {
	skipsOnly := goTestJSON(t, "./a", "./c")
	withFailure := goTestJSON(t, "./...")
	allow := writeFile(t, `# expected skips
a TestMeasure   a measurement, not a test
example.com/m/a TestParent/skipped the world is elsewhere
`)

	t.Run("unexpected skip fails", func(t *testing.T) {
		code, out, stderr := runOn(t, skipsOnly, "-expected", allow, "-module", "example.com/m")
		if code != 1 || stderr != "" {
			t.Fatalf("exit %d, want 1\n%s%s", code, out, stderr)
		}
		wantLines(t, out,
			"--- SKIP: TestTool",
			"tool is not installed",
			"ok  \texample.com/m/a",
			"?   \texample.com/m/c\t[no test files]",
			"skipcheck: 2 packages, 6 tests (subtests included): 3 passed, 0 failed, 3 skipped (2 expected, 1 not)",
			"skipcheck: expected skip: a TestMeasure: a measurement, not a test ("+allow+" line 2); it said: a_test.go:7: CORPUS not set",
			"skipcheck: expected skip: a TestParent/skipped: the world is elsewhere",
			"skipcheck: UNEXPECTED SKIP: a TestTool: a_test.go:9: tool is not installed",
			"skipcheck: FAIL: 1 skipped tests are not listed in "+allow,
		)
		// Without -v: no progress lines, no output of passing tests.
		if strings.Contains(out, "=== RUN") || strings.Contains(out, "a log line of a passing test") || strings.Contains(out, "\nPASS\n") {
			t.Errorf("non-verbose output has -v lines:\n%s", out)
		}
	})

	t.Run("all skips expected", func(t *testing.T) {
		all := writeFile(t, "a TestMeasure a measurement\na TestTool tool checked elsewhere\na TestParent whole test\nc TestNothing listed for a package without tests\n")
		code, out, _ := runOn(t, skipsOnly, "-expected", all, "-module", "example.com/m")
		if code != 0 {
			t.Fatalf("exit %d, want 0\n%s", code, out)
		}
		wantLines(t, out, "skipcheck: expected skip: a TestParent/skipped: whole test", "3 skipped (3 expected, 0 not)",
			"skipcheck: note: c TestNothing is listed in "+all+" (line 4) but did not skip in this run")
	})

	t.Run("verbose and log", func(t *testing.T) {
		log := filepath.Join(t.TempDir(), "log")
		code, out, _ := runOn(t, skipsOnly, "-v", "-log", log, "-expected", allow, "-module", "example.com/m")
		if code != 1 {
			t.Fatalf("exit %d, want 1", code)
		}
		wantLines(t, out, "=== RUN   TestPass", "a log line of a passing test", "--- PASS: TestPass", "skipcheck: UNEXPECTED SKIP")
		b, err := os.ReadFile(log)
		if err != nil || !strings.Contains(string(b), "=== RUN   TestPass") || strings.Contains(string(b), "skipcheck:") {
			t.Errorf("log: %v\n%s", err, b)
		}
	})

	t.Run("failures", func(t *testing.T) {
		code, out, _ := runOn(t, withFailure, "-expected", allow, "-module", "example.com/m")
		if code != 1 {
			t.Fatalf("exit %d, want 1", code)
		}
		wantLines(t, out, "--- FAIL: TestBroken", "context for the failure", "it broke", "FAIL\texample.com/m/b",
			"skipcheck: FAIL: 1 failed tests; failed packages: b")
		if strings.Contains(out, "TestFine") {
			t.Errorf("passing test printed:\n%s", out)
		}
	})

	t.Run("no events", func(t *testing.T) {
		if code, out, _ := runOn(t, []byte("go: no Go files\n")); code != 1 || !strings.Contains(out, "no test events") {
			t.Errorf("exit %d\n%s", code, out)
		}
	})

	t.Run("bad allowlist", func(t *testing.T) {
		for _, body := range []string{"a TestX\n", "a NotATest reason\n", "a TestX r\na TestX again\n"} {
			if code, _, stderr := runOn(t, skipsOnly, "-expected", writeFile(t, body)); code != 2 || stderr == "" {
				t.Errorf("%q: exit %d, stderr %q", body, code, stderr)
			}
		}
	})
}
