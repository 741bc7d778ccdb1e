package treemap

import (
	"cmp"
	"slices"
)

// Rect is an axis-aligned rectangle: top-left corner, width and height.
type Rect struct{ X, Y, W, H float64 }

// Squarify divides r into one rectangle per size, each with an area
// proportional to its size, using the squarified treemap layout (Bruls,
// Huizing and van Wijk, 2000): sizes are taken largest first and laid in
// rows along the shorter side of the space left; a row takes another item
// as long as that does not make its worst aspect ratio worse. The result is
// in the order of sizes; the rectangles tile r exactly (the last of each
// row and the last row absorb rounding). Sizes <= 0 get empty rectangles.
func Squarify(sizes []float64, r Rect) []Rect {
	out := make([]Rect, len(sizes))
	var order []int
	var total float64
	for i, s := range sizes {
		out[i] = Rect{r.X, r.Y, 0, 0}
		if s > 0 {
			order = append(order, i)
			total += s
		}
	}
	if total <= 0 || r.W <= 0 || r.H <= 0 {
		return out
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(sizes[b], sizes[a]) })
	scale := r.W * r.H / total
	// The conversion rounds the product, so that no GOARCH fuses it into a
	// multiply-add below: the layout is the same everywhere.
	area := func(i int) float64 { return float64(sizes[i] * scale) }

	free := r
	for start := 0; start < len(order); {
		side := min(free.W, free.H)
		sum := area(order[start])
		lo, hi := sum, sum
		end := start + 1
		for ; end < len(order); end++ {
			a := area(order[end])
			if worstRatio(sum+a, min(lo, a), max(hi, a), side) > worstRatio(sum, lo, hi, side) {
				break
			}
			sum += a
			lo, hi = min(lo, a), max(hi, a)
		}
		last := end == len(order)
		if free.W >= free.H {
			// A column at the left of the free space, as high as it.
			w := sum / free.H
			if last || w > free.W {
				w = free.W
			}
			y := free.Y
			for j := start; j < end; j++ {
				h := area(order[j]) / w
				if j == end-1 {
					h = free.Y + free.H - y
				}
				out[order[j]] = Rect{free.X, y, w, h}
				y += h
			}
			free.X += w
			free.W = max(free.W-w, 0)
		} else {
			// A row at the top of the free space, as wide as it.
			h := sum / free.W
			if last || h > free.H {
				h = free.H
			}
			x := free.X
			for j := start; j < end; j++ {
				w := area(order[j]) / h
				if j == end-1 {
					w = free.X + free.W - x
				}
				out[order[j]] = Rect{x, free.Y, w, h}
				x += w
			}
			free.Y += h
			free.H = max(free.H-h, 0)
		}
		start = end
	}
	return out
}

// worstRatio is the largest aspect ratio (>= 1) in a row of total area sum
// laid along a side of length side, whose smallest and largest areas are
// lo and hi.
func worstRatio(sum, lo, hi, side float64) float64 {
	s2, w2 := sum*sum, side*side
	return max(w2*hi/s2, s2/(w2*lo))
}
