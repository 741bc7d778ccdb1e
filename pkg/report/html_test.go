package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// randomLayer is n files of 60 packages in site-packages, of log-normal
// sizes.
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
