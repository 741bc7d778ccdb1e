// Package treemap lays out the files of a layer as a treemap: it picks
// the files drawn one by one when there are too many (the others grouped
// per directory), builds their directory tree (chains of single
// directories merged) and divides rectangles among children in proportion
// to their sizes (Squarify). It knows nothing of HTML, colours or labels:
// pkg/report draws the tree (report.html) and decides the insets for
// directory labels.
//
// The result depends only on the set of files, not on their order.
package treemap

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"
)

// File is one file of the layer.
type File struct {
	// Path is the file's slash-separated path inside the layer.
	Path string
	// Size is its unzipped size in bytes.
	Size int64
	// Package is the name of the distribution that installed it ("" when
	// unknown).
	Package string
	// Shared lists, for a file that several packages hold and the layer
	// stores once, all of them by name (Package is the one whose copy is
	// kept); nil otherwise.
	Shared []string
}

// Tree is the treemap's tree of a layer's files.
type Tree struct {
	// Root is the top directory; nil when there is no non-empty file.
	Root *Node
	// Files and Bytes count the non-empty files and their sizes.
	Files int
	Bytes int64
	// Shown is how many files have a cell of their own; the other
	// Files-Shown are in "other" groups.
	Shown int
}

// Build makes the tree of files with at most maxCells (>= 1) file cells:
// the largest files one by one, the rest grouped per directory into one
// cell each, which counts against maxCells too (directories are drawn in
// addition). Empty files and paths that clean to nothing are left out.
func Build(files []File, maxCells int) *Tree {
	fs := prepare(files)
	t := &Tree{Files: len(fs)}
	if len(fs) == 0 {
		return t
	}
	for _, f := range fs {
		t.Bytes += f.size
	}
	t.Root, t.Shown = build(fs, maxCells)
	return t
}

// file is a File with a clean path, cut into its directories.
type file struct {
	path    string
	dirs    []string // directory components
	size    int64
	pkg     string
	holders []string // the packages sharing the file (sorted), or nil
}

// owner is whom the file belongs to: its package, or the packages sharing
// it. A group of files with one owner is drawn as that owner's.
func (f file) owner() string {
	if len(f.holders) > 1 {
		return "\x00" + strings.Join(f.holders, "\x00")
	}
	return f.pkg
}

// prepare cleans the paths, drops empty files and sorts by size
// (largest first), then path and package, so that the rest of the layout
// does not depend on the input order.
func prepare(files []File) []file {
	var out []file
	for _, f := range files {
		if f.Size <= 0 {
			continue
		}
		p := strings.TrimPrefix(path.Clean("/"+f.Path), "/")
		if p == "" {
			continue
		}
		dirs := strings.Split(p, "/")
		tf := file{path: p, dirs: dirs[:len(dirs)-1], size: f.Size, pkg: f.Package}
		if h := slices.Compact(slices.Sorted(slices.Values(f.Shared))); len(h) > 1 {
			tf.holders = h
		}
		out = append(out, tf)
	}
	slices.SortFunc(out, func(a, b file) int {
		if c := cmp.Compare(b.size, a.size); c != 0 {
			return c
		}
		if c := cmp.Compare(a.path, b.path); c != 0 {
			return c
		}
		return cmp.Compare(a.owner(), b.owner())
	})
	return out
}

// keep decides which files get a cell of their own when there are
// more than maxCells: the largest k, with the others grouped by directory
// truncated to depth components (see groupDirs). It picks
// the largest k for which k plus the number of groups fits, using the
// deepest grouping that can fit at all. fs is sorted largest first.
func keep(fs []file, maxCells int) (k, depth int) {
	if len(fs) <= maxCells {
		return len(fs), -1
	}
	deepest := 0
	for _, f := range fs {
		deepest = max(deepest, len(f.dirs))
	}
	for d := deepest; d >= 0; d-- {
		// groups[i] is the number of distinct groups among fs[i:]. As k
		// grows by one, the groups shrink by at most one, so k+groups[k]
		// never decreases and the k that fit form a prefix.
		groups := make([]int, len(fs)+1)
		seen := map[string]bool{}
		for i := len(fs) - 1; i >= 0; i-- {
			seen[groupKey(fs[i], d)] = true
			groups[i] = len(seen)
		}
		if groups[0] > maxCells {
			continue
		}
		k := 0
		for k < len(fs) && k+1+groups[k+1] <= maxCells {
			k++
		}
		return k, d
	}
	return 0, 0 // not reached for maxCells >= 1: depth 0 is one group
}

// groupDirs is the directory a file not drawn on its own is grouped in:
// its own truncated to depth components (depth < 0: not truncated).
func groupDirs(f file, depth int) []string {
	if depth < 0 || depth > len(f.dirs) {
		depth = len(f.dirs)
	}
	return f.dirs[:depth]
}

func groupKey(f file, depth int) string {
	return strings.Join(groupDirs(f, depth), "/")
}

// Node is a directory or a cell of the treemap: a file, or a group of
// files of one directory ("other (N files)") when there are too many.
type Node struct {
	Name     string // path relative to the parent (several components after merging)
	Path     string
	Size     int64
	Files    int
	Package  string   // the package of a file or group; "" unknown or mixed
	Packages int      // distinct packages (or sets of packages sharing files) of a group
	Holders  []string // the packages sharing a file, or every file of a group
	Shared   int64    // bytes of files several packages share, below and including this node
	Dir      bool
	Kids     []*Node
	index    map[string]*Node // child directories by name, while building
}

// build builds the directory tree of fs with at most maxCells file
// cells (see keep), and returns it with the number of files that
// have a cell of their own.
func build(fs []file, maxCells int) (*Node, int) {
	k, depth := keep(fs, maxCells)
	root := &Node{Dir: true}
	mkdir := func(dirs []string) *Node {
		n := root
		for _, d := range dirs {
			c := n.index[d]
			if c == nil {
				c = &Node{Name: d, Path: path.Join(n.Path, d), Dir: true}
				if n.index == nil {
					n.index = map[string]*Node{}
				}
				n.index[d] = c
				n.Kids = append(n.Kids, c)
			}
			n = c
		}
		return n
	}
	shown := k
	for _, f := range fs[:k] {
		parent := mkdir(f.dirs)
		parent.Kids = append(parent.Kids, fileNode(f))
	}
	// Group the rest; fs[k:] is sorted, so groups are built in a fixed order.
	type group struct {
		dirs  []string
		files []file
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, f := range fs[k:] {
		key := groupKey(f, depth)
		g := byKey[key]
		if g == nil {
			g = &group{dirs: groupDirs(f, depth)}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.files = append(g.files, f)
	}
	for _, g := range groups {
		parent := mkdir(g.dirs)
		if len(g.files) == 1 { // a group of one is just the file
			f := g.files[0]
			parent.Kids = append(parent.Kids, fileNode(f))
			shown++
			continue
		}
		n := &Node{Name: fmt.Sprintf("other (%d files)", len(g.files)), Files: len(g.files)}
		n.Path = path.Join(parent.Path, n.Name)
		var owners []string
		for _, f := range g.files {
			n.Size += f.size
			if f.holders != nil {
				n.Shared += f.size
			}
			if !slices.Contains(owners, f.owner()) {
				owners = append(owners, f.owner())
			}
		}
		n.Packages = len(owners)
		if len(owners) == 1 {
			n.Package, n.Holders = g.files[0].pkg, g.files[0].holders
		}
		parent.Kids = append(parent.Kids, n)
	}
	finish(root, true)
	return root, shown
}

func fileNode(f file) *Node {
	n := &Node{Name: path.Base(f.path), Path: f.path, Size: f.size, Files: 1, Package: f.pkg, Holders: f.holders}
	if f.holders != nil {
		n.Shared = f.size
	}
	return n
}

// finish sums sizes, sorts children (largest first, then by name),
// merges chains of single-directory directories, such as
// python/lib/python3.12/site-packages, into one, and replaces directories
// holding a single file by the file.
func finish(n *Node, isRoot bool) {
	if !n.Dir {
		return
	}
	for !isRoot && len(n.Kids) == 1 && n.Kids[0].Dir {
		c := n.Kids[0]
		n.Name += "/" + c.Name
		n.Path = c.Path
		n.Kids = c.Kids
	}
	n.index = nil
	n.Size, n.Files, n.Shared = 0, 0, 0
	for i, c := range n.Kids {
		finish(c, false)
		if c.Dir && len(c.Kids) == 1 && !c.Kids[0].Dir {
			// A directory of one file: the file's tooltip has the path.
			c = c.Kids[0]
			n.Kids[i] = c
		}
		n.Size += c.Size
		n.Files += c.Files
		n.Shared += c.Shared
	}
	slices.SortFunc(n.Kids, func(a, b *Node) int {
		if c := cmp.Compare(b.Size, a.Size); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return cmp.Compare(a.Path, b.Path)
	})
}
