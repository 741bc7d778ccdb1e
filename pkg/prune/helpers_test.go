package prune

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// buildTree creates files from specs:
//
//	"a/b.py"        a file whose content is its own path
//	"a/b.so@5000"   a file of 5000 bytes
//	"a/empty/"      a directory
//	"a/l -> b.py"   a symlink
func buildTree(t *testing.T, root string, specs ...string) {
	t.Helper()
	for _, s := range specs {
		if name, target, ok := strings.Cut(s, " -> "); ok {
			full := filepath.Join(root, filepath.FromSlash(name))
			mkdirs(t, filepath.Dir(full))
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if strings.HasSuffix(s, "/") {
			mkdirs(t, filepath.Join(root, filepath.FromSlash(s)))
			continue
		}
		name, content := s, []byte(s)
		if n, size, ok := strings.Cut(s, "@"); ok {
			k, err := strconv.Atoi(size)
			if err != nil {
				t.Fatalf("bad spec %q", s)
			}
			name, content = n, []byte(strings.Repeat("x", k))
		}
		full := filepath.Join(root, filepath.FromSlash(name))
		mkdirs(t, filepath.Dir(full))
		if err := os.WriteFile(full, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mkdirs(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

// listTree returns every entry below root: files as "a/b", directories
// as "a/", symlinks as "a/l -> target".
func listTree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out = append(out, rel+" -> "+target)
		case d.IsDir():
			out = append(out, rel+"/")
		default:
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// plan builds a tree, compiles o and plans; it returns the removed and
// kept file paths.
func planTree(t *testing.T, o Options, specs ...string) (res *Result, removed, kept map[string]*Rule) {
	t.Helper()
	root := t.TempDir()
	buildTree(t, root, specs...)
	m, err := Compile(o)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	res, err = Plan(root, m)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	removed, kept = map[string]*Rule{}, map[string]*Rule{}
	for _, r := range res.Removed {
		removed[r.Path] = r.Rule
	}
	for _, s := range specs {
		name, _, _ := strings.Cut(s, " -> ")
		name, _, _ = strings.Cut(name, "@")
		if strings.HasSuffix(name, "/") {
			continue
		}
		if _, ok := removed[name]; !ok {
			kept[name] = nil
		}
	}
	return res, removed, kept
}

func expectRemoved(t *testing.T, removed map[string]*Rule, source string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		r, ok := removed[p]
		if !ok {
			t.Errorf("%s: kept, want removed", p)
			continue
		}
		if source != "" && r.Source != source {
			t.Errorf("%s: removed by %v, want a rule from %q", p, r, source)
		}
	}
}

func expectKept(t *testing.T, removed map[string]*Rule, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if r, ok := removed[p]; ok {
			t.Errorf("%s: removed by %v, want kept", p, r)
		}
	}
}
