package report

// The treemap section: the tree and rectangles of pkg/report/treemap,
// drawn as SVG cells with colours, stripes, labels and tooltips.

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/geolayer/geolayer/pkg/report/treemap"
)

const (
	// The treemap's coordinate space (the SVG viewBox); it scales to the
	// page width.
	treemapWidth  = 1200
	treemapHeight = 720
	// treemapMaxCells bounds the file cells: the largest files are drawn
	// one by one, the rest are grouped per directory into one cell each
	// ("other (N files)"), which counts against the bound too. Directory
	// frames are drawn in addition; after the merging of single-child
	// chains there are fewer of them than file cells.
	treemapMaxCells = 2000

	dirHeader   = 14 // height of a directory's label strip
	labelFont   = 10 // label font size (see the CSS)
	labelCharW  = 6  // a generous average character width at labelFont
	labelMinW   = 30 // a cell gets a label when at least this wide
	labelMinH   = 12 // and this high
	headerMinW  = 60 // a directory gets a label strip when at least this wide
	headerMinH  = 30 // and this high
	dirMinFrame = 4  // a directory's frame is inset only when bigger than this
	stripeWidth = 6  // width of a stripe of a file several packages share
)

type htmlTreemap struct {
	W, H    int
	Caption string
	Cells   []htmlCell
}

// htmlCell is one SVG rect, its tooltip and optional label. Coordinates are
// pre-formatted with one decimal.
type htmlCell struct {
	X, Y, W, H string
	Fill       string
	Bands      []htmlBand // further stripes of a file several packages share
	Dir        bool
	Title      string
	Label      *htmlLabel
}

// htmlBand is one stripe of a shared file's cell.
type htmlBand struct{ X, Y, W, H, Fill string }

type htmlLabel struct {
	X, Y, Text string
	Head       bool
}

func htmlTreemapData(_ *Report, files []FileSize) (any, bool) {
	tree := treemap.Build(files, treemapMaxCells)
	if tree.Root == nil {
		return nil, false
	}
	t := &htmlTreemap{W: treemapWidth, H: treemapHeight}
	if tree.Shown == tree.Files {
		t.Caption = fmt.Sprintf("%d non-empty files, %s, by directory; each area is proportional to size within its directory. Hover over a cell for its path, size and package.",
			tree.Files, humanBytes(tree.Bytes))
	} else {
		t.Caption = fmt.Sprintf("%d non-empty files, %s, by directory; the %d largest are drawn one by one, the other %d are grouped per directory as “other”. Hover over a cell for its path, size and package.",
			tree.Files, humanBytes(tree.Bytes), tree.Shown, tree.Files-tree.Shown)
	}
	if tree.Root.Shared > 0 {
		t.Caption += fmt.Sprintf(" Cells in stripes with a dashed outline are files several packages hold, stored once (%s): one stripe in the colour of each of those packages.", humanBytes(tree.Root.Shared))
	}
	t.layout(tree.Root, treemap.Rect{X: 0, Y: 0, W: treemapWidth, H: treemapHeight}, true)
	return t, true
}

// layout emits the cells of n, placed in r, and of its descendants.
func (t *htmlTreemap) layout(n *treemap.Node, r treemap.Rect, isRoot bool) {
	cell, ok := newCell(r)
	if !ok {
		return // too small to see, and so is everything inside
	}
	inner := r
	if !n.Dir {
		cell.Fill = packageColor(n.Package)
		switch {
		case n.Packages > 1:
			cell.Fill = "#c8c8c8"
		case len(n.Holders) > 1:
			// Vertical stripes about stripeWidth wide, in the colours
			// of the packages sharing the file in turn (at least one
			// stripe each): the cell itself in the first one's colour,
			// bands over it for the others.
			k := len(n.Holders)
			cell.Fill = packageColor(n.Holders[0])
			stripes := max(int(r.W/stripeWidth), k)
			w := r.W / float64(stripes)
			for i := range stripes {
				if i%k == 0 {
					continue
				}
				if c, ok := newCell(treemap.Rect{X: r.X + w*float64(i), Y: r.Y, W: w, H: r.H}); ok {
					cell.Bands = append(cell.Bands, htmlBand{X: c.X, Y: c.Y, W: c.W, H: c.H, Fill: packageColor(n.Holders[i%k])})
				}
			}
		}
		cell.Title = cellTitle(n)
		if r.W >= labelMinW && r.H >= labelMinH {
			cell.Label = fitLabel(n.Name, r.X+2, r.Y+labelFont, r.W-4, false)
		}
		t.Cells = append(t.Cells, cell)
		return
	}
	if !isRoot {
		cell.Dir = true
		cell.Title = fmt.Sprintf("%s/\n%s in %d %s", n.Path, humanBytes(n.Size), n.Files, plural(n.Files, "file", "files"))
		if n.Shared > 0 {
			cell.Title += fmt.Sprintf("\n%s of it in files several packages share", humanBytes(n.Shared))
		}
		switch {
		case r.W >= headerMinW && r.H >= headerMinH:
			cell.Label = fitLabel(n.Name+"/  "+humanBytes(n.Size), r.X+3, r.Y+labelFont+1, r.W-6, true)
			inner = treemap.Rect{X: r.X + 1, Y: r.Y + dirHeader, W: r.W - 2, H: r.H - dirHeader - 1}
		case r.W > dirMinFrame && r.H > dirMinFrame:
			inner = treemap.Rect{X: r.X + 1, Y: r.Y + 1, W: r.W - 2, H: r.H - 2}
		}
		t.Cells = append(t.Cells, cell)
	}
	sizes := make([]float64, len(n.Kids))
	for i, c := range n.Kids {
		sizes[i] = float64(c.Size)
	}
	for i, cr := range treemap.Squarify(sizes, inner) {
		t.layout(n.Kids[i], cr, false)
	}
}

// newCell formats r with one decimal, rounding its corners so that cells
// that touch still touch. ok is false when r rounds to nothing.
func newCell(r treemap.Rect) (htmlCell, bool) {
	x0, y0 := round1(r.X), round1(r.Y)
	x1, y1 := round1(r.X+r.W), round1(r.Y+r.H)
	if x1 <= x0 || y1 <= y0 {
		return htmlCell{}, false
	}
	return htmlCell{X: fmt1(x0), Y: fmt1(y0), W: fmt1(x1 - x0), H: fmt1(y1 - y0)}, true
}

func cellTitle(n *treemap.Node) string {
	pkg := "package: " + n.Package
	switch {
	case n.Packages > 1:
		pkg = fmt.Sprintf("packages: %d different", n.Packages)
	case len(n.Holders) > 1 && n.Files == 1:
		pkg = "shared by " + strings.Join(n.Holders, ", ") + " (stored once; the other copies link to it)"
	case len(n.Holders) > 1:
		pkg = "each shared by " + strings.Join(n.Holders, ", ") + " (stored once)"
	case n.Package == "":
		pkg = "package: unknown"
	}
	size := humanBytes(n.Size)
	if n.Size >= 1024 {
		size += fmt.Sprintf(" (%d bytes)", n.Size)
	}
	return n.Path + "\n" + size + "\n" + pkg
}

// fitLabel is text at (x, y), cut to fit width, or nil when too little of
// it would.
func fitLabel(text string, x, y, width float64, head bool) *htmlLabel {
	n := int(width / labelCharW)
	r := []rune(text)
	if len(r) > n {
		if n < 4 {
			return nil
		}
		text = string(r[:n-1]) + "…"
	}
	return &htmlLabel{X: fmt1(round1(x)), Y: fmt1(round1(y)), Text: text, Head: head}
}

func round1(v float64) float64 {
	v = math.Round(v*10) / 10
	if v == 0 {
		return 0 // not -0
	}
	return v
}

// fmt1 formats v with at most one decimal: "12", "12.3".
func fmt1(v float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(round1(v), 'f', 1, 64), ".0")
}
