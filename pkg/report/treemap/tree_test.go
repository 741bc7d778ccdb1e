package treemap

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// randomLayer is n files of 60 packages in site-packages, of log-normal
// sizes.
func randomLayer(n int, seed uint64) []File {
	rng := rand.New(rand.NewPCG(seed, 99))
	pkgs := make([]string, 60)
	for i := range pkgs {
		pkgs[i] = fmt.Sprintf("pkg%02d", i)
	}
	files := make([]File, n)
	for i := range files {
		p := pkgs[rng.IntN(len(pkgs))]
		dir := "python/lib/python3.12/site-packages/" + p
		for d := rng.IntN(4); d > 0; d-- {
			dir += fmt.Sprintf("/sub%d", rng.IntN(6))
		}
		files[i] = File{
			Path:    fmt.Sprintf("%s/module_with_a_typical_name_%05d.py", dir, i),
			Size:    int64(math.Exp(rng.NormFloat64()*2 + 8)),
			Package: p,
		}
	}
	return files
}

func TestTreemapKeep(t *testing.T) {
	for _, c := range []struct {
		name  string
		files []File
		max   int
	}{
		{"random", randomLayer(5000, 1), 2000},
		{"small max", randomLayer(3000, 2), 50},
		{"fits", randomLayer(100, 3), 2000},
		// More directories than cells: grouping has to move up a level.
		{"many dirs", manyDirs(3000), 2000},
		{"one cell", randomLayer(100, 4), 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := prepare(c.files)
			k, depth := keep(fs, c.max)
			groups := func(k int) int {
				seen := map[string]bool{}
				for _, f := range fs[k:] {
					seen[groupKey(f, depth)] = true
				}
				return len(seen)
			}
			if k+groups(k) > c.max {
				t.Fatalf("k=%d + %d groups > %d", k, groups(k), c.max)
			}
			if k < len(fs) && k+1+groups(k+1) <= c.max {
				t.Errorf("k=%d is not the largest that fits", k)
			}
			root, shown := build(fs, c.max)
			var bytes int64
			for _, f := range fs {
				bytes += f.size
			}
			if root.Size != bytes || root.Files != len(fs) {
				t.Errorf("tree holds %d bytes in %d files, want %d in %d", root.Size, root.Files, bytes, len(fs))
			}
			cells := countLeaves(root)
			if cells > c.max {
				t.Errorf("%d file cells > %d", cells, c.max)
			}
			if shown < k || shown > cells {
				t.Errorf("shown %d, k %d, cells %d", shown, k, cells)
			}
		})
	}
}

func manyDirs(n int) []File {
	var files []File
	for i := range n {
		for j := range 2 {
			files = append(files, File{Path: fmt.Sprintf("top%d/dir%04d/f%d", i%7, i, j), Size: int64(1000 + i + j), Package: "p"})
		}
	}
	return files
}

func countLeaves(n *Node) int {
	if !n.Dir {
		return 1
	}
	c := 0
	for _, k := range n.Kids {
		c += countLeaves(k)
	}
	return c
}
