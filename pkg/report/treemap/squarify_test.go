package treemap

import (
	"math"
	"math/rand/v2"
	"testing"
)

const tileEps = 1e-6

func rectArea(r Rect) float64 { return r.W * r.H }

func overlap(a, b Rect) float64 {
	w := min(a.X+a.W, b.X+b.W) - max(a.X, b.X)
	h := min(a.Y+a.H, b.Y+b.H) - max(a.Y, b.Y)
	if w <= 0 || h <= 0 {
		return 0
	}
	return w * h
}

func aspect(r Rect) float64 { return max(r.W/r.H, r.H/r.W) }

// checkTiling checks that rs tile parent: each inside it, areas
// proportional to sizes and summing to the parent's, and no two
// overlapping (together: every point of parent is covered exactly once).
func checkTiling(t *testing.T, sizes []float64, parent Rect, rs []Rect) {
	t.Helper()
	if len(rs) != len(sizes) {
		t.Fatalf("%d rects for %d sizes", len(rs), len(sizes))
	}
	var total, sum float64
	for _, s := range sizes {
		total += max(s, 0)
	}
	tol := tileEps * max(1, rectArea(parent))
	for i, r := range rs {
		if r.W < 0 || r.H < 0 {
			t.Fatalf("Rect %d %+v has a negative side", i, r)
		}
		if r.X < parent.X-tileEps || r.Y < parent.Y-tileEps || r.X+r.W > parent.X+parent.W+tileEps || r.Y+r.H > parent.Y+parent.H+tileEps {
			t.Fatalf("Rect %d %+v outside %+v", i, r, parent)
		}
		want := 0.0
		if sizes[i] > 0 {
			want = sizes[i] / total * rectArea(parent)
		}
		if math.Abs(rectArea(r)-want) > tol {
			t.Fatalf("Rect %d area %g, want %g (size %g of %g)", i, rectArea(r), want, sizes[i], total)
		}
		sum += rectArea(r)
	}
	if math.Abs(sum-rectArea(parent)) > tol {
		t.Fatalf("areas sum to %g, parent is %g", sum, rectArea(parent))
	}
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			if o := overlap(rs[i], rs[j]); o > tol {
				t.Fatalf("rects %d %+v and %d %+v overlap by %g", i, rs[i], j, rs[j], o)
			}
		}
	}
}

// The example of Bruls, Huizing and van Wijk: 6,6,4,3,2,2,1 in a 6x4
// rectangle lays out as columns {6,6}, a row {4,3}, then 2, 2 and 1.
func TestSquarifyPaperExample(t *testing.T) {
	sizes := []float64{6, 6, 4, 3, 2, 2, 1}
	parent := Rect{0, 0, 6, 4}
	got := Squarify(sizes, parent)
	want := []Rect{
		{0, 0, 3, 2},
		{0, 2, 3, 2},
		{3, 0, 12.0 / 7, 7.0 / 3},
		{3 + 12.0/7, 0, 9.0 / 7, 7.0 / 3},
		{3, 7.0 / 3, 1.2, 5.0 / 3},
		{4.2, 7.0 / 3, 1.2, 5.0 / 3},
		{5.4, 7.0 / 3, 0.6, 5.0 / 3},
	}
	for i := range want {
		g, w := got[i], want[i]
		if math.Abs(g.X-w.X) > tileEps || math.Abs(g.Y-w.Y) > tileEps || math.Abs(g.W-w.W) > tileEps || math.Abs(g.H-w.H) > tileEps {
			t.Errorf("Rect %d (size %g) = %+v, want %+v", i, sizes[i], g, w)
		}
	}
	checkTiling(t, sizes, parent, got)
}

func TestSquarifyProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	parents := []Rect{{0, 0, 1200, 720}, {10, 20, 30, 400}, {5, 5, 1, 1}, {0, 0, 333.3, 0.5}}
	for trial := range 300 {
		parent := parents[trial%len(parents)]
		n := 1 + rng.IntN(150)
		sizes := make([]float64, n)
		for i := range sizes {
			switch trial % 3 {
			case 0: // uniform
				sizes[i] = 1 + rng.Float64()*100
			case 1: // heavy-tailed, like file sizes
				sizes[i] = math.Exp(rng.NormFloat64()*2.5 + 8)
			default: // integers with ties and zeros
				sizes[i] = float64(rng.IntN(5))
			}
		}
		rs := Squarify(sizes, parent)
		if trial%3 == 2 && slicesAllZero(sizes) {
			for _, r := range rs {
				if rectArea(r) != 0 {
					t.Fatalf("all-zero sizes: Rect %+v", r)
				}
			}
			continue
		}
		checkTiling(t, sizes, parent, rs)
	}
}

func slicesAllZero(s []float64) bool {
	for _, v := range s {
		if v > 0 {
			return false
		}
	}
	return true
}

// Squarified layouts keep cells near square, where slicing a rectangle
// into strips makes slivers.
func TestSquarifyAspectRatios(t *testing.T) {
	// Equal sizes in a square: a 4x4 grid.
	sizes := make([]float64, 16)
	for i := range sizes {
		sizes[i] = 1
	}
	for i, r := range Squarify(sizes, Rect{0, 0, 100, 100}) {
		if aspect(r) > 1+tileEps {
			t.Errorf("equal sizes: Rect %d %+v has aspect ratio %g", i, r, aspect(r))
		}
	}

	// Random sizes: the area-weighted mean aspect ratio stays low, and far
	// below that of strips (n cells side by side).
	rng := rand.New(rand.NewPCG(3, 5))
	parent := Rect{0, 0, 1200, 720}
	for trial := range 50 {
		n := 20 + rng.IntN(200)
		sizes := make([]float64, n)
		for i := range sizes {
			sizes[i] = math.Exp(rng.NormFloat64() * 1.5)
		}
		var weighted, total float64
		for _, r := range Squarify(sizes, parent) {
			weighted += aspect(r) * rectArea(r)
			total += rectArea(r)
		}
		if mean := weighted / total; mean > 2 {
			t.Errorf("trial %d (%d cells): area-weighted mean aspect ratio %.2f > 2", trial, n, mean)
		}
	}
}
