package helper

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/internal/helperapi"
)

// The helper runs exactly the commands helperapi describes.
func TestCommandsAreHelperapis(t *testing.T) {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	slices.Sort(names)
	if !slices.Equal(names, helperapi.Names()) {
		t.Errorf("helper runs %v, helperapi describes %v", names, helperapi.Names())
	}
}

// Main runs a command line as helperapi writes it.
func TestMainRunsACommandLine(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(filepath.Join(tree, "pkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "pkg", "a.py"), []byte("x = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := helperapi.Fragment{Root: tree, Package: "p", Out: filepath.Join(dir, "frag")}.Args()
	if code := Main(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "frag", "p.frag")); err != nil {
		t.Error(err)
	}
}

// A command line of another protocol version fails, saying so, and the
// cause file the frontend's explanation rerun reads gets the same words.
func TestMainRefusesAnotherProtocol(t *testing.T) {
	cause := filepath.Join(t.TempDir(), "cause")
	t.Setenv(helperapi.CauseFileEnv, cause)
	var stdout, stderr bytes.Buffer
	code := Main([]string{"fragment", "--api=99", "--root=/t", "--name=p", "--out=/o"}, &stdout, &stderr)
	want := "geolayer helper fragment: helper protocol 1, frontend sent 99: the frontend image and the helper differ\n"
	if code != 1 || stderr.String() != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", code, stderr.String(), want)
	}
	b, err := os.ReadFile(cause)
	if err != nil || string(b) != strings.TrimPrefix(want, "geolayer helper fragment: ") {
		t.Errorf("cause file %q, %v", b, err)
	}
}

func TestMainHelpAndUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"slim", "--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "--prune=JSON") {
		t.Errorf("slim --help: exit %d, %q %q", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := Main([]string{"--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "assemble") {
		t.Errorf("--help: exit %d, %q", code, stdout.String())
	}
	stderr.Reset()
	if code := Main([]string{"frobnicate"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage: geolayer helper") {
		t.Errorf("unknown command: exit %d, %q", code, stderr.String())
	}
}
