package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// Squarify.

const tileEps = 1e-6

func rectArea(r rect) float64 { return r.W * r.H }

func overlap(a, b rect) float64 {
	w := min(a.X+a.W, b.X+b.W) - max(a.X, b.X)
	h := min(a.Y+a.H, b.Y+b.H) - max(a.Y, b.Y)
	if w <= 0 || h <= 0 {
		return 0
	}
	return w * h
}

func aspect(r rect) float64 { return max(r.W/r.H, r.H/r.W) }

// checkTiling checks that rs tile parent: each inside it, areas
// proportional to sizes and summing to the parent's, and no two
// overlapping (together: every point of parent is covered exactly once).
func checkTiling(t *testing.T, sizes []float64, parent rect, rs []rect) {
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
			t.Fatalf("rect %d %+v has a negative side", i, r)
		}
		if r.X < parent.X-tileEps || r.Y < parent.Y-tileEps || r.X+r.W > parent.X+parent.W+tileEps || r.Y+r.H > parent.Y+parent.H+tileEps {
			t.Fatalf("rect %d %+v outside %+v", i, r, parent)
		}
		want := 0.0
		if sizes[i] > 0 {
			want = sizes[i] / total * rectArea(parent)
		}
		if math.Abs(rectArea(r)-want) > tol {
			t.Fatalf("rect %d area %g, want %g (size %g of %g)", i, rectArea(r), want, sizes[i], total)
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
	parent := rect{0, 0, 6, 4}
	got := squarify(sizes, parent)
	want := []rect{
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
			t.Errorf("rect %d (size %g) = %+v, want %+v", i, sizes[i], g, w)
		}
	}
	checkTiling(t, sizes, parent, got)
}

func TestSquarifyProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	parents := []rect{{0, 0, 1200, 720}, {10, 20, 30, 400}, {5, 5, 1, 1}, {0, 0, 333.3, 0.5}}
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
		rs := squarify(sizes, parent)
		if trial%3 == 2 && slicesAllZero(sizes) {
			for _, r := range rs {
				if rectArea(r) != 0 {
					t.Fatalf("all-zero sizes: rect %+v", r)
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
	for i, r := range squarify(sizes, rect{0, 0, 100, 100}) {
		if aspect(r) > 1+tileEps {
			t.Errorf("equal sizes: rect %d %+v has aspect ratio %g", i, r, aspect(r))
		}
	}

	// Random sizes: the area-weighted mean aspect ratio stays low, and far
	// below that of strips (n cells side by side).
	rng := rand.New(rand.NewPCG(3, 5))
	parent := rect{0, 0, 1200, 720}
	for trial := range 50 {
		n := 20 + rng.IntN(200)
		sizes := make([]float64, n)
		for i := range sizes {
			sizes[i] = math.Exp(rng.NormFloat64() * 1.5)
		}
		var weighted, total float64
		for _, r := range squarify(sizes, parent) {
			weighted += aspect(r) * rectArea(r)
			total += rectArea(r)
		}
		if mean := weighted / total; mean > 2 {
			t.Errorf("trial %d (%d cells): area-weighted mean aspect ratio %.2f > 2", trial, n, mean)
		}
	}
}

// Treemap selection and tree.

func randomLayer(n int, seed uint64) []FileSize {
	rng := rand.New(rand.NewPCG(seed, 99))
	pkgs := make([]string, 60)
	for i := range pkgs {
		pkgs[i] = fmt.Sprintf("pkg%02d", i)
	}
	files := make([]FileSize, n)
	for i := range files {
		p := pkgs[rng.IntN(len(pkgs))]
		dir := "python/lib/python3.12/site-packages/" + p
		for d := rng.IntN(4); d > 0; d-- {
			dir += fmt.Sprintf("/sub%d", rng.IntN(6))
		}
		files[i] = FileSize{
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
		files []FileSize
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
			fs := treemapFiles(c.files)
			k, depth := treemapKeep(fs, c.max)
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
			root, shown := treemapTree(fs, c.max)
			var bytes int64
			for _, f := range fs {
				bytes += f.size
			}
			if root.size != bytes || root.files != len(fs) {
				t.Errorf("tree holds %d bytes in %d files, want %d in %d", root.size, root.files, bytes, len(fs))
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

func manyDirs(n int) []FileSize {
	var files []FileSize
	for i := range n {
		for j := range 2 {
			files = append(files, FileSize{Path: fmt.Sprintf("top%d/dir%04d/f%d", i%7, i, j), Size: int64(1000 + i + j), Package: "p"})
		}
	}
	return files
}

func countLeaves(n *treemapNode) int {
	if !n.dir {
		return 1
	}
	c := 0
	for _, k := range n.kids {
		c += countLeaves(k)
	}
	return c
}

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
	var leaves []rect
	seenTop := false
	for _, c := range tm.Cells {
		r := cellRect(t, c)
		if r.X < 0 || r.Y < 0 || r.X+r.W > treemapWidth+tileEps || r.Y+r.H > treemapHeight+tileEps {
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

func cellRect(t *testing.T, c htmlCell) rect {
	t.Helper()
	var v [4]float64
	for i, s := range []string{c.X, c.Y, c.W, c.H} {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		v[i] = f
	}
	return rect{v[0], v[1], v[2], v[3]}
}

func TestPackageColor(t *testing.T) {
	hex := regexp.MustCompile(`^#[0-9a-f]{6}$`)
	seen := map[string]string{}
	for i := range 200 {
		name := fmt.Sprintf("package-%d", i)
		c := packageColor(name)
		if !hex.MatchString(c) {
			t.Fatalf("packageColor(%q) = %q", name, c)
		}
		if c != packageColor(name) {
			t.Fatalf("packageColor(%q) is not stable", name)
		}
		seen[c] = name
	}
	if len(seen) < 190 {
		t.Errorf("only %d distinct colours for 200 names", len(seen))
	}
	if packageColor("numpy") == packageColor("pandas") {
		t.Error("numpy and pandas share a colour")
	}
}

// The page.

func renderHTML(t *testing.T, r *Report, files []FileSize) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r, files); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// checkSelfContained fails on anything that would make a browser fetch
// something: the page must work from a file, offline.
func checkSelfContained(t *testing.T, page string) {
	t.Helper()
	lower := strings.ToLower(page)
	for _, bad := range []string{"http://", "https://", "src=", "@import", "url(", "<link", "<img", "<iframe", "<object", "<embed", "href="} {
		if i := strings.Index(lower, bad); i >= 0 {
			t.Errorf("page contains %q: ...%s...", bad, page[max(0, i-60):min(len(page), i+60)])
		}
	}
}

var voidElements = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true,
}

// checkBalanced tokenizes page and checks that every element that is
// opened is closed, in order.
func checkBalanced(t *testing.T, page string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(page))
	var stack []string
	for {
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			if len(stack) > 0 {
				t.Fatalf("unclosed elements at the end: %v", stack)
			}
			return
		case html.StartTagToken:
			name, _ := z.TagName()
			if !voidElements[string(name)] {
				stack = append(stack, string(name))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if len(stack) == 0 || stack[len(stack)-1] != string(name) {
				t.Fatalf("</%s> closes %v", name, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
}

// parsePage parses page as a browser would and returns the elements by tag.
func parsePage(t *testing.T, page string) map[string][]*html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	els := map[string][]*html.Node{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			els[n.Data] = append(els[n.Data], n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return els
}

func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func nodeAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func sampleFiles() []FileSize {
	sp := "python/lib/python3.12/site-packages/"
	return []FileSize{
		{Path: sp + "numpy/_core/_multiarray_umath.cpython-312-aarch64-linux-gnu.so", Size: 60 * testMiB, Package: "numpy"},
		{Path: sp + "numpy/linalg/_umath_linalg.cpython-312-aarch64-linux-gnu.so", Size: 30 * testMiB, Package: "numpy"},
		{Path: sp + "numpy/__init__.py", Size: 10 * testMiB, Package: "numpy"},
		{Path: sp + "pandas/_libs/lib.so", Size: 50 * testMiB, Package: "pandas"},
		{Path: sp + "pandas/_libs/tslibs/offsets.so", Size: 40 * testMiB, Package: "pandas"},
		{Path: sp + "pyarrow/libarrow.so.1700", Size: 22 * testMiB, Package: "pyarrow"},
		{Path: sp + "certifi/cacert.pem", Size: 290_000, Package: "certifi"},
		{Path: sp + "certifi/__init__.py", Size: 10_000, Package: "certifi"},
		{Path: sp + "six.py", Size: 900, Package: "six"},
	}
}

func TestWriteHTML(t *testing.T) {
	page := renderHTML(t, sampleReport(), sampleFiles())
	checkSelfContained(t, page)
	checkBalanced(t, page)
	els := parsePage(t, page)

	if got := nodeText(els["title"][0]); got != "Layer report · linux/arm64 · lambda · python3.12" {
		t.Errorf("title %q", got)
	}
	if len(els["script"]) != 1 || len(els["style"]) != 1 || len(els["svg"]) != 1 {
		t.Errorf("%d scripts, %d styles, %d svgs; want one each", len(els["script"]), len(els["style"]), len(els["svg"]))
	}
	for _, want := range []string{"linux/arm64", "lambda", "python3.12", "public.ecr.aws/lambda/python@sha256:0123", "3434"} {
		if !strings.Contains(nodeText(els["dl"][0]), want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	// Limits: the text and a bar as wide as the share used.
	var limits []string
	for _, d := range els["div"] {
		if nodeAttr(d, "class") == "lim" {
			limits = append(limits, nodeText(d))
		}
	}
	if want := []string{"Unzipped 212.4 MiB of 250.0 MiB (85%)", "Zipped 48.0 MiB of 50.0 MiB (96%)"}; fmt.Sprint(limits) != fmt.Sprint(want) {
		t.Errorf("limits %q, want %q", limits, want)
	}
	if !strings.Contains(page, `<div class="ok" style="width:85.0%">`) || !strings.Contains(page, `<div class="warn" style="width:96.0%">`) {
		t.Error("limit bars missing or of the wrong width")
	}

	// The package table: largest first, a swatch in the package's colour.
	rows := els["tr"]
	if len(rows) != 1+5+1 {
		t.Fatalf("%d table rows, want header + 5 + totals", len(rows))
	}
	var order []string
	for _, row := range rows[1:6] {
		td := row.FirstChild
		order = append(order, nodeText(td))
		sw := td.FirstChild
		if want := "background:" + packageColor(nodeText(td)); nodeAttr(sw, "style") != want {
			t.Errorf("%s swatch style %q, want %q", nodeText(td), nodeAttr(sw, "style"), want)
		}
	}
	if fmt.Sprint(order) != "[numpy pandas pyarrow certifi six]" {
		t.Errorf("package order %v", order)
	}
	if got := nodeText(rows[6]); !strings.Contains(got, "Total (5 packages)") || !strings.Contains(got, "212.4 MiB") {
		t.Errorf("totals row %q", got)
	}

	// The treemap: one rect per file (all fit), each with a tooltip naming
	// path, size and package, filled with the package's colour.
	var files []*html.Node
	for _, r := range els["rect"] {
		if nodeAttr(r, "class") != "d" {
			files = append(files, r)
		}
	}
	if len(files) != len(sampleFiles()) {
		t.Errorf("%d file rects, want %d", len(files), len(sampleFiles()))
	}
	found := false
	for _, r := range files {
		tip := nodeText(r.Parent.FirstChild)
		if tip == "python/lib/python3.12/site-packages/pandas/_libs/lib.so\n50.0 MiB (52428800 bytes)\npackage: pandas" {
			found = true
			if nodeAttr(r, "fill") != packageColor("pandas") {
				t.Errorf("pandas file filled %q", nodeAttr(r, "fill"))
			}
		}
	}
	if !found {
		t.Error("no tooltip for pandas/_libs/lib.so")
	}
	// The single-child chain of directories is one frame.
	if !strings.Contains(page, ">python/lib/python3.12/site-packages/  212.3 MiB</text>") {
		t.Error("no merged site-packages frame label")
	}

	// Notes.
	notes := nodeText(els["ul"][0])
	for _, want := range []string{"warning: numpy: bundled libgfortran", "strip left pandas/_libs/odd.so unchanged in pandas: patchelf-style layout", "1 file", "pandas: pandas/_libs/odd.so: patchelf layout"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q", want)
		}
	}
}

func TestWriteHTMLWithoutFiles(t *testing.T) {
	r := sampleReport()
	r.Packages[1].Warnings = nil
	r.Packages[2].Strip.Skipped = nil
	page := renderHTML(t, r, nil)
	checkSelfContained(t, page)
	checkBalanced(t, page)
	if strings.Contains(page, "<svg") || strings.Contains(page, "<h2>Notes") {
		t.Error("treemap or notes without content")
	}
	if err := WriteHTML(&bytes.Buffer{}, nil, nil); err == nil {
		t.Error("nil report: no error")
	}
}

func TestWriteHTMLEscapes(t *testing.T) {
	const evil = `<script>alert(1)</script>`
	r := sampleReport()
	r.Platform = `"><script>alert(2)</script>`
	r.Packages[0].Name = `<img src=x onerror=alert(3)>`
	r.Packages[0].Wheel = `x" onmouseover="alert(4)`
	r.Packages[0].Warnings = []string{evil}
	files := append(sampleFiles(),
		FileSize{Path: "python/" + evil + ".py", Size: 5 * testMiB, Package: `<img src=x onerror=alert(3)>`},
		FileSize{Path: `python/"quoted' & dir/x.py`, Size: 4 * testMiB, Package: "six"},
	)
	page := renderHTML(t, r, files)
	checkBalanced(t, page)
	for _, bad := range []string{"<script>alert", "<img", `" onmouseover`} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains unescaped %q", bad)
		}
	}
	els := parsePage(t, page)
	if n := len(els["script"]); n != 1 {
		t.Errorf("%d script elements, want only ours", n)
	}
	if len(els["img"]) != 0 {
		t.Error("an img element was injected")
	}
	for _, list := range els {
		for _, n := range list {
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("<%s %s=%q> injected", n.Data, a.Key, a.Val)
				}
			}
		}
	}
	// The hostile names are shown, as text.
	var tips []string
	for _, n := range els["title"] {
		tips = append(tips, nodeText(n))
	}
	all := strings.Join(tips, "\n")
	for _, want := range []string{"python/" + evil + ".py", `python/"quoted' & dir/x.py`, "package: <img src=x onerror=alert(3)>"} {
		if !strings.Contains(all, want) {
			t.Errorf("no tooltip shows %q", want)
		}
	}
	if !strings.Contains(nodeText(els["body"][0]), "warning: <img src=x onerror=alert(3)>: "+evil) {
		t.Error("the hostile warning is not shown as text")
	}
}

func TestWriteHTMLDeterministic(t *testing.T) {
	files := randomLayer(3000, 6)
	want := renderHTML(t, sampleReport(), files)
	rng := rand.New(rand.NewPCG(8, 9))
	for range 3 {
		r := sampleReport()
		rng.Shuffle(len(r.Packages), func(i, j int) { r.Packages[i], r.Packages[j] = r.Packages[j], r.Packages[i] })
		fs := append([]FileSize(nil), files...)
		rng.Shuffle(len(fs), func(i, j int) { fs[i], fs[j] = fs[j], fs[i] })
		if got := renderHTML(t, r, fs); got != want {
			t.Fatal("output depends on the order of packages or files")
		}
	}
}

// A 10,000-file layer: at most treemapMaxCells file cells, the rest
// grouped, and a page of modest size.
func TestWriteHTMLLargeLayer(t *testing.T) {
	files := randomLayer(10_000, 10)
	page := renderHTML(t, sampleReport(), files)
	const limit = 1_500_000
	if len(page) > limit {
		t.Errorf("page is %d bytes, want <= %d", len(page), limit)
	}
	t.Logf("10k files: %d bytes", len(page))
	checkSelfContained(t, page)
	checkBalanced(t, page)
	els := parsePage(t, page)
	cells, others := 0, 0
	for _, r := range els["rect"] {
		if nodeAttr(r, "class") == "d" {
			continue
		}
		cells++
		if strings.Contains(nodeText(r.Parent.FirstChild), "/other (") {
			others++
		}
	}
	if cells > treemapMaxCells || cells < treemapMaxCells*9/10 {
		t.Errorf("%d file cells, want a little under %d", cells, treemapMaxCells)
	}
	if others == 0 {
		t.Error(`no "other (N files)" cells`)
	}
	if !strings.Contains(page, "are grouped per directory") {
		t.Error("caption does not say files were grouped")
	}
}
