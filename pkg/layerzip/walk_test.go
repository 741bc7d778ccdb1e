package layerzip

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWalkDir(t *testing.T) {
	root := sampleTree(t)
	es, err := WalkDir(root, "python/lib")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Name)
	}
	want := []string{
		"python/lib/bin/tool",
		"python/lib/pkg/__init__.py",
		"python/lib/pkg/_ext.so",
		"python/lib/pkg/data/big.txt",
		"python/lib/pkg/données/été.py",
		"python/lib/pkg/empty/",
		"python/lib/pkg/libfoo.so",
		"python/lib/pkg/libfoo.so.1",
		"python/lib/pkg/mod.py",
		"python/lib/pkg/nested/empty/",
		"python/lib/pkg/one",
		"python/lib/pkg/up",
		"python/lib/pkg/日本/__init__.py",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("names:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	byName := map[string]Entry{}
	for _, e := range es {
		byName[strings.TrimPrefix(e.Name, "python/lib/")] = e
	}
	if e := byName["pkg/libfoo.so"]; e.Mode.Type() != fs.ModeSymlink || e.LinkTarget != "libfoo.so.1" || e.Size != 11 {
		t.Errorf("symlink entry: %+v", e)
	}
	if e := byName["pkg/empty/"]; !e.Mode.IsDir() || e.Size != 0 {
		t.Errorf("dir entry: %+v", e)
	}
	if e := byName["bin/tool"]; e.Mode.Perm() != 0o700 || e.unixMode() != 0o100755 {
		t.Errorf("exec entry mode %v -> %o", e.Mode, e.unixMode())
	}
	if e := byName["pkg/data/big.txt"]; e.unixMode() != 0o100644 || e.Size != 640000 {
		t.Errorf("file entry: %v %o %d", e.Mode, e.unixMode(), e.Size)
	}
	rc, err := byName["pkg/one"].Open()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	_ = rc.Close()
	if string(b) != "1" {
		t.Errorf("content %q", b)
	}
}

func TestWalkDirEmptyAndPrefixes(t *testing.T) {
	root := t.TempDir()
	if es, err := WalkDir(root, ""); err != nil || len(es) != 0 {
		t.Fatalf("empty root: %v %v", es, err)
	}
	if err := os.WriteFile(filepath.Join(root, "a"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/abs", "../up", "a//b", "a/./b", "back\\slash"} {
		if _, err := WalkDir(root, p); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
	if _, err := WalkDir(filepath.Join(root, "a"), ""); err == nil {
		t.Error("file as root accepted")
	}
}

func TestWalkDirRefusesEscapingSymlinks(t *testing.T) {
	cases := []struct {
		name   string
		nodes  map[string]node
		prefix string
		bad    string // file named in the error
	}{
		{"absolute", map[string]node{"lib/ld.so": {link: "/lib/x86_64-linux-gnu/ld-2.23.so"}}, "", "lib/ld.so"},
		{"dotdot", map[string]node{"a/b/l": {link: "../../../etc/passwd"}}, "", "a/b/l"},
		{"beyond prefix", map[string]node{"l": {link: "../../x"}}, "python/", "l"},
		{"via symlink", map[string]node{"a/s": {link: ".."}, "a/l": {link: "s/../x"}}, "", "a/l"},
		{"loop", map[string]node{"a": {link: "b"}, "b": {link: "a"}}, "", "a"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := makeTree(t, c.nodes)
			_, err := WalkDir(root, c.prefix)
			var le *LinkError
			if !errors.As(err, &le) {
				t.Fatalf("got %v, want a LinkError", err)
			}
			if want := filepath.Join(root, c.bad); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
		})
	}
	// Inside the archive root although outside the walked root: allowed.
	root := makeTree(t, map[string]node{"lib/x": {link: "../../bin/x"}, "s": {link: "lib/.."}})
	if _, err := WalkDir(root, "python/site"); err != nil {
		t.Errorf("in-archive links refused: %v", err)
	}
}

func TestWalkDirRefusesSpecialFiles(t *testing.T) {
	root := t.TempDir()
	fifo := filepath.Join(root, "sub", "fifo")
	if err := os.Mkdir(filepath.Dir(fifo), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal("mkfifo:", err)
	}
	_, err := WalkDir(root, "")
	if err == nil || !strings.Contains(err.Error(), fifo) {
		t.Fatalf("fifo: got %v, want an error naming %s", err, fifo)
	}
}

func TestLinkEscapes(t *testing.T) {
	links := map[string]string{"d/up": "..", "d/abs": "/x", "d/self": "self"}
	for _, c := range []struct {
		name, target string
		ok           bool
	}{
		{"a/l", "b", true},
		{"a/l", "../b", true},
		{"a/l", "./../a/./b/", true},
		{"a/l", "../../b", false},
		{"l", "..", false},
		{"l", ".", true},
		{"a/b/c/l", "../../../x/../y", true},
		{"a/b/c/l", "../x/../../../../y", false},
		{"d/l", "up/x", true},
		{"d/l", "up/../x", false},
		{"d/l", "abs/x", false},
		{"d/l", "self", false},
		{"d/l", "", false},
		{"d/l", "/etc", false},
	} {
		if got := linkEscapes(c.name, c.target, links) == ""; got != c.ok {
			t.Errorf("%s -> %s: ok=%v, want %v (%s)", c.name, c.target, got, c.ok, linkEscapes(c.name, c.target, links))
		}
	}
}

func TestCheckName(t *testing.T) {
	for _, c := range []struct {
		name string
		dir  bool
		ok   bool
	}{
		{"a/b.py", false, true},
		{"a/b/", true, true},
		{"é/ü.py", false, true},
		{"", false, false},
		{"/a", false, false},
		{"a//b", false, false},
		{"a/../b", false, false},
		{"./a", false, false},
		{"a/", false, false},
		{"a", true, false},
		{"a\\b", false, false},
		{"a\x00", false, false},
		{"\xff", false, false},
		{strings.Repeat("a", 70000), false, false},
	} {
		if err := checkName(c.name, c.dir); (err == nil) != c.ok {
			t.Errorf("checkName(%.20q, %v) = %v, want ok=%v", c.name, c.dir, err, c.ok)
		}
	}
}
