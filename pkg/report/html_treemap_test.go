package report

import (
	"strconv"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/pkg/report/treemap"
)

func TestTreemapCellsDoNotOverlap(t *testing.T) {
	files := randomLayer(600, 5)
	// Paths that need cleaning, and files with nothing to draw.
	files = append(files,
		FileSize{Path: "/bin/../top.txt", Size: 123456, Package: ""},
		FileSize{Path: "./python/empty.py", Size: 0, Package: "pkg00"},
		FileSize{Path: "", Size: 10, Package: "pkg00"},
	)
	d, ok := htmlTreemapData(sampleReport(), files)
	if !ok {
		t.Fatal("no treemap")
	}
	tm := d.(*htmlTreemap)
	var leaves []treemap.Rect
	seenTop := false
	for _, c := range tm.Cells {
		r := cellRect(t, c)
		if r.X < 0 || r.Y < 0 || r.X+r.W > treemapWidth+1e-6 || r.Y+r.H > treemapHeight+1e-6 {
			t.Errorf("cell %q %+v outside the canvas", c.Title, r)
		}
		if !c.Dir {
			leaves = append(leaves, r)
		}
		if strings.HasPrefix(c.Title, "top.txt\n") {
			seenTop = true
		}
		if strings.Contains(c.Title, "empty.py") {
			t.Errorf("empty file drawn: %q", c.Title)
		}
	}
	if !seenTop {
		t.Error(`"/bin/../top.txt" not drawn as "top.txt"`)
	}
	for i := range leaves {
		for j := i + 1; j < len(leaves); j++ {
			if o := overlap(leaves[i], leaves[j]); o > 1e-9 {
				t.Fatalf("leaf cells %+v and %+v overlap", leaves[i], leaves[j])
			}
		}
	}
}

func cellRect(t *testing.T, c htmlCell) treemap.Rect {
	t.Helper()
	var v [4]float64
	for i, s := range []string{c.X, c.Y, c.W, c.H} {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		v[i] = f
	}
	return treemap.Rect{X: v[0], Y: v[1], W: v[2], H: v[3]}
}

// overlap is the area two rectangles share.
func overlap(a, b treemap.Rect) float64 {
	w := min(a.X+a.W, b.X+b.W) - max(a.X, b.X)
	h := min(a.Y+a.H, b.Y+b.H) - max(a.Y, b.Y)
	if w <= 0 || h <= 0 {
		return 0
	}
	return w * h
}
