package prune

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Removed is one removed file or symlink.
type Removed struct {
	Path string `json:"path"` // slash-separated, relative to the root
	Size int64  `json:"size"` // bytes (a symlink counts its target's length)
	Rule *Rule  `json:"rule"`
}

// RemovedDir is a directory that is gone after pruning, listed only when
// its parent stays.
type RemovedDir struct {
	Path string `json:"path"`
	// Rule is the PRUNE rule matching the directory itself, or nil when
	// file rules emptied it.
	Rule  *Rule `json:"rule,omitempty"`
	Files int   `json:"files"` // files and symlinks below it
	Bytes int64 `json:"bytes"`
}

// RuleStat counts what one rule removed.
type RuleStat struct {
	Rule  *Rule `json:"rule"`
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
}

// Warning flags a removal that probably breaks something.
type Warning struct {
	Message string `json:"message"`
	// Rule is the PRUNE rule that removed the paths.
	Rule *Rule `json:"rule,omitempty"`
	// Protected is the built-in KEEP the removal overrode.
	Protected *Rule    `json:"protected,omitempty"`
	Paths     []string `json:"paths"`
}

// Result is the plan for one tree. All lists are sorted.
type Result struct {
	Removed  []Removed    `json:"removed"`  // by path
	Dirs     []RemovedDir `json:"dirs"`     // by path
	Rules    []RuleStat   `json:"rules"`    // in rule order; rules that removed nothing are left out
	Warnings []Warning    `json:"warnings"` // by rule order, then message

	Files      int   `json:"files"` // removed files and symlinks
	Bytes      int64 `json:"bytes"`
	KeptFiles  int   `json:"kept_files"`
	KeptBytes  int64 `json:"kept_bytes"`
	TotalFiles int   `json:"total_files"`
	TotalBytes int64 `json:"total_bytes"`

	removed map[string]bool // files, symlinks and directories that go
}

// IsRemoved reports whether the plan removes relpath (a file, symlink or
// directory).
func (r *Result) IsRemoved(relpath string) bool {
	segs := splitPath(relpath)
	return len(segs) > 0 && r.removed[strings.Join(segs, "/")]
}

type entry struct {
	rel    string // slash-separated; "" for the root
	kind   fs.FileMode
	mode   fs.FileMode
	size   int64
	mtime  time.Time
	target string // symlinks
	remove bool
	rule   *Rule
	files  int // directories: files and symlinks below
	bytes  int64
	kept   int // directories: entries below that stay
	kids   int // directories: direct children
}

// Plan decides, for every file below root (site-packages of one package),
// whether it goes and why. It reads the tree and writes nothing. Symlinks
// are not followed; files other than regular files, directories and
// symlinks are an error.
func Plan(root string, m *Matcher) (*Result, error) {
	res, _, err := plan(root, m)
	return res, err
}

func plan(root string, m *Matcher) (*Result, []*entry, error) {
	entries, err := scan(root)
	if err != nil {
		return nil, nil, err
	}
	byPath := make(map[string]*entry, len(entries))
	for _, e := range entries {
		byPath[e.rel] = e
	}
	hasCode := map[string]bool{}
	for _, e := range entries {
		if e.kind == fs.ModeDir || !isCode(e.rel) {
			continue
		}
		for d := path.Dir(e.rel); d != "."; d = path.Dir(d) {
			if hasCode[d] {
				break
			}
			hasCode[d] = true
		}
	}
	codeBelow := func(dir string) bool { return hasCode[dir] }

	res := &Result{removed: map[string]bool{}}
	stats := make([]RuleStat, len(m.rules))
	type warnKey struct{ rule, protect int }
	warns := map[warnKey]*Warning{}

	for _, e := range entries {
		if e.rel == "" || e.kind == fs.ModeDir {
			continue
		}
		res.TotalFiles++
		res.TotalBytes += e.size
		d := m.decide(strings.Split(e.rel, "/"), false, codeBelow)
		if !d.Remove {
			res.KeptFiles++
			res.KeptBytes += e.size
			continue
		}
		e.remove, e.rule = true, d.Rule
		res.Files++
		res.Bytes += e.size
		res.Removed = append(res.Removed, Removed{Path: e.rel, Size: e.size, Rule: d.Rule})
		s := &stats[m.byRule[d.Rule]]
		s.Rule = d.Rule
		s.Files++
		s.Bytes += e.size
		if d.Protected != nil {
			k := warnKey{m.byRule[d.Rule], m.byRule[d.Protected]}
			w := warns[k]
			if w == nil {
				w = &Warning{Rule: d.Rule, Protected: d.Protected,
					Message: fmt.Sprintf("%s removes files that the built-in KEEP %q protects: %s", d.Rule, d.Protected.Pattern, d.Protected.Reason)}
				warns[k] = w
			}
			w.Paths = append(w.Paths, e.rel)
		}
	}

	// Directories, deepest first: a directory stays when something below
	// it stays, or when it was empty to begin with and no rule matches it.
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.rel == "" {
			continue
		}
		parent := byPath[parentOf(e.rel)]
		parent.kids++
		if e.kind == fs.ModeDir {
			if e.kids == 0 {
				d := m.decide(strings.Split(e.rel, "/"), true, codeBelow)
				e.remove, e.rule = d.Remove, d.Rule
			} else {
				e.remove = e.kept == 0
				if e.remove {
					if d := m.decide(strings.Split(e.rel, "/"), true, codeBelow); d.Remove {
						e.rule = d.Rule
					}
				}
			}
			parent.files += e.files
			parent.bytes += e.bytes
		} else {
			parent.files++
			parent.bytes += e.size
		}
		if !e.remove {
			parent.kept++
		} else {
			res.removed[e.rel] = true
		}
	}
	for _, e := range entries {
		if e.kind != fs.ModeDir || !e.remove {
			continue
		}
		if p := byPath[parentOf(e.rel)]; p.rel != "" && p.remove {
			continue
		}
		res.Dirs = append(res.Dirs, RemovedDir{Path: e.rel, Rule: e.rule, Files: e.files, Bytes: e.bytes})
	}

	// Symlinks that stay but point at something removed.
	var dangling []string
	for _, e := range entries {
		if e.kind != fs.ModeSymlink || e.remove || path.IsAbs(e.target) {
			continue
		}
		t := path.Join(path.Dir(e.rel), e.target)
		if t == "." || strings.HasPrefix(t, "../") || t == ".." {
			continue
		}
		for p := t; p != "."; p = path.Dir(p) {
			if res.removed[p] {
				dangling = append(dangling, e.rel+" -> "+e.target)
				break
			}
		}
	}

	for _, s := range stats {
		if s.Rule != nil {
			res.Rules = append(res.Rules, s)
		}
	}
	keys := slices.Collect(maps.Keys(warns))
	slices.SortFunc(keys, func(a, b warnKey) int {
		return cmp.Or(cmp.Compare(a.rule, b.rule), cmp.Compare(a.protect, b.protect))
	})
	for _, k := range keys {
		w := warns[k]
		slices.Sort(w.Paths)
		res.Warnings = append(res.Warnings, *w)
	}
	if len(dangling) > 0 {
		slices.Sort(dangling)
		res.Warnings = append(res.Warnings, Warning{
			Message: "symlinks that stay point at removed files; they will dangle",
			Paths:   dangling,
		})
	}
	// A package PRUNE leaves without any module cannot be imported.
	var modules, removedModules int
	for _, e := range entries {
		if e.kind == fs.ModeDir || !isModuleFile(e.rel) {
			continue
		}
		modules++
		if e.remove {
			removedModules++
		}
	}
	if modules > 0 && removedModules == modules {
		res.Warnings = append(res.Warnings, Warning{
			Message: fmt.Sprintf("%s every module of the package (%d files): importing it will fail", NoModuleLeft, modules),
		})
	}
	slices.SortFunc(res.Removed, func(a, b Removed) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(res.Dirs, func(a, b RemovedDir) int { return strings.Compare(a.Path, b.Path) })
	return res, entries, nil
}

// NoModuleLeft starts the warning for a package PRUNE left without any
// module (the frontend raises it as a build warning).
const NoModuleLeft = "PRUNE removed"

// isModuleFile: Python source, bytecode or an extension module, outside
// the package's metadata.
func isModuleFile(rel string) bool {
	for _, part := range strings.Split(path.Dir(rel), "/") {
		if strings.HasSuffix(part, ".dist-info") || strings.HasSuffix(part, ".data") {
			return false
		}
	}
	switch path.Ext(rel) {
	case ".py", ".pyc", ".so":
		return true
	}
	return false
}

func parentOf(rel string) string {
	if d := path.Dir(rel); d != "." {
		return d
	}
	return ""
}

// isCode reports whether a file is importable Python code.
func isCode(rel string) bool {
	switch path.Ext(rel) {
	case ".py", ".pyc", ".so", ".pyd":
		return true
	}
	return false
}

// scan lists root in lexical walk order (a directory before its contents).
func scan(root string) ([]*entry, error) {
	fi, err := os.Lstat(root)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("prune: %s is not a directory", root)
	}
	var entries []*entry
	err = filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			rel = ""
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		e := &entry{rel: rel, mode: info.Mode(), mtime: info.ModTime()}
		switch {
		case info.Mode().IsDir():
			e.kind = fs.ModeDir
		case info.Mode().IsRegular():
			e.size = info.Size()
		case info.Mode()&fs.ModeSymlink != 0:
			e.kind = fs.ModeSymlink
			if e.target, err = os.Readlink(p); err != nil {
				return err
			}
			e.size = int64(len(e.target))
		default:
			return fmt.Errorf("prune: %s: unsupported file type %s", p, info.Mode().Type())
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return entries, nil
}

// Apply removes, in place, what r says from the tree at root, which must
// not have changed since Plan: files first, then the emptied directories
// (deepest first). A directory that is not empty then is an error, never
// removed recursively. r must come from Plan or Copy; a Result decoded
// from JSON does not carry the directory set, so only files would go.
func Apply(root string, r *Result) error {
	for _, f := range r.Removed {
		if err := os.Remove(filepath.Join(root, filepath.FromSlash(f.Path))); err != nil {
			return err
		}
	}
	dirs := slices.Collect(maps.Keys(r.removed))
	// Deepest first: a longer path never sorts before one of its parents
	// when comparing in reverse.
	slices.SortFunc(dirs, func(a, b string) int { return strings.Compare(b, a) })
	for _, d := range dirs {
		full := filepath.Join(root, filepath.FromSlash(d))
		fi, err := os.Lstat(full)
		if errors.Is(err, fs.ErrNotExist) {
			continue // a file, removed above
		}
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			continue
		}
		if err := os.Remove(full); err != nil {
			return fmt.Errorf("prune: removing directory %s: %w", d, err)
		}
	}
	return nil
}
