package report

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// geoEntries is a geo-like layer: rasterio and fiona vendor the same GDAL
// stack (fiona's copies kept: "Fiona.libs" sorts first), pyproj, rasterio
// and fiona the same libproj, numpy and shapely their own files; rasterio
// holds one file twice (deduplicated within the package).
func geoEntries() []LayerEntry {
	sp := "python/lib/python3.11/site-packages/"
	var es []LayerEntry
	add := func(pkg, p string, size int64, stored string) {
		es = append(es, LayerEntry{Path: sp + p, Package: pkg, Size: size, Stored: stored})
	}
	dir := func(pkg, p string) { es = append(es, LayerEntry{Path: sp + p + "/", Package: pkg, Dir: true}) }
	dir("fiona", "Fiona.libs")
	dir("rasterio", "rasterio.libs")
	for i, size := range []int64{80 * testMiB, 30 * testMiB, 9 * testMiB, 1_234_567} {
		lib := fmt.Sprintf("lib%d-0123abcd.so.%d", i, i)
		kept := sp + "Fiona.libs/" + lib
		add("fiona", "Fiona.libs/"+lib, size, kept)
		add("rasterio", "rasterio.libs/"+lib, int64(len("../Fiona.libs/"+lib)), kept)
	}
	proj := sp + "Fiona.libs/libproj-5a5a5a5a.so.25"
	add("fiona", "Fiona.libs/libproj-5a5a5a5a.so.25", 4*testMiB, proj)
	add("rasterio", "rasterio.libs/libproj-5a5a5a5a.so.25", int64(len("../Fiona.libs/libproj-5a5a5a5a.so.25")), proj)
	add("pyproj", "pyproj.libs/libproj-5a5a5a5a.so.25", int64(len("../Fiona.libs/libproj-5a5a5a5a.so.25")), proj)
	add("fiona", "fiona/ogrext.cpython-311-x86_64-linux-gnu.so", 3*testMiB, "")
	add("fiona", "fiona/__init__.py", 12_345, "")
	add("rasterio", "rasterio/_io.cpython-311-x86_64-linux-gnu.so", 5*testMiB, "")
	add("rasterio", "rasterio/gdal_data/a.xsd", 40_000, sp+"rasterio/gdal_data/a.xsd")
	add("rasterio", "rasterio/gdal_data/b.xsd", 5, sp+"rasterio/gdal_data/a.xsd")
	add("numpy", "numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so", 20*testMiB, "")
	add("numpy", "numpy/__init__.py", 10_001, "")
	add("pyproj", "pyproj/_crs.cpython-311-x86_64-linux-gnu.so", 2*testMiB, "")
	add("pyproj", "pyproj/proj_dir/share/proj/proj.db", 9*testMiB, "")
	add("shapely", "shapely/lib.so", 3*testMiB+7, "")
	add("six", "six.py", 34_549, "")
	return es
}

// geoReport is a report of geoEntries, attributed, with removal savings
// as the assembly would compute them and 120 files strip left alone.
func geoReport() *Report {
	r := &Report{Schema: SchemaV2, Platform: "linux/amd64", Profile: "aws-lambda", Runtime: "python3.11"}
	for _, n := range []string{"fiona", "numpy", "pyproj", "rasterio", "shapely", "six"} {
		r.Packages = append(r.Packages, Package{Name: n, Version: "1.0"})
	}
	es := geoEntries()
	for _, e := range es {
		r.Totals.Unzipped += e.Size
		if !e.Dir {
			r.Totals.Files++
		}
		for i := range r.Packages {
			if p := &r.Packages[i]; p.Name == e.Package && !e.Dir {
				p.Files++
				p.Bytes += e.Size
			}
		}
	}
	r.Totals.Zipped = r.Totals.Unzipped / 3
	r.Limits = Limits{Unzipped: 250 * testMiB, Zipped: 50 * testMiB}
	Attribute(r, es)
	for i := range r.Packages {
		l := r.Packages[i].Layer
		l.RemovalSaves = &Saving{Unzipped: l.ExclusiveBytes + 100, Zipped: l.ExclusiveBytes/3 + 200}
	}
	for i := range r.Shares {
		r.Shares[i].RemovalSaves = &Saving{Unzipped: r.Shares[i].Bytes + 1000, Zipped: r.Shares[i].Bytes / 3}
	}
	for i := range r.Packages {
		p := &r.Packages[i]
		n := map[string]int{"fiona": 60, "rasterio": 50, "pyproj": 9, "shapely": 1}[p.Name]
		if n == 0 {
			continue
		}
		p.Strip = &Strip{Mode: "unneeded", Files: 3, SavedBytes: 1 << 20}
		for j := range n {
			p.Strip.Skipped = append(p.Strip.Skipped, Skip{
				Path:   fmt.Sprintf("python/lib/python3.11/site-packages/%s.libs/lib%03d.so", p.Name, j),
				Reason: fmt.Sprintf("section .gnu_debuglink (#%d) to drop lies at %#x, before the end of the loaded image (%#x): removing it would move segments (a patchelf-style layout)", 20+j%5, 0x610c8+j*64, 0x62000+j*4096),
				Bytes:  int64(100_000 + j),
			})
		}
	}
	r.Packages[3].Strip.Skipped = append(r.Packages[3].Strip.Skipped, Skip{Path: "python/lib/python3.11/site-packages/rasterio/odd.so", Reason: "no section header table", Bytes: 4096})
	for _, i := range []int{0, 3} {
		r.Packages[i].Warnings = []string{`PRUNE "*.so" removes files that the built-in KEEP "*.so.*" protects: shared libraries`}
	}
	r.Notes = GroupNotes(r)
	return r
}

func sumShares(r *Report) (bytes int64, files int) {
	for _, s := range r.Shares {
		bytes += s.Bytes
		files += s.Files
	}
	return bytes, files
}

// The shares add up to the layer to the byte and file; files several
// packages hold are one share of all of them; each package's own share is
// its exclusive bytes, and its shared bytes are its copies at full size.
func TestAttribute(t *testing.T) {
	r := geoReport()
	if b, f := sumShares(r); b != r.Totals.Unzipped || f != r.Totals.Files {
		t.Errorf("shares add up to %d bytes in %d files, the layer has %d in %d", b, f, r.Totals.Unzipped, r.Totals.Files)
	}
	var labels []string
	for _, s := range r.Shares {
		labels = append(labels, s.Label())
	}
	want := []string{"shared by fiona, rasterio", "numpy", "pyproj", "rasterio", "shared by fiona, pyproj, rasterio", "fiona", "shapely", "six"}
	if !slices.Equal(labels, want) {
		t.Errorf("shares %q, want %q (largest first)", labels, want)
	}
	gdal := r.Shares[0]
	wantGdal := 80*testMiB + 30*testMiB + 9*testMiB + 1_234_567 + int64(len("../Fiona.libs/lib0-0123abcd.so.0"))*4
	if gdal.Bytes != int64(wantGdal) || gdal.Files != 8 {
		t.Errorf("fiona and rasterio's share %+v, want %d bytes in 8 files", gdal, wantGdal)
	}
	fiona, rasterio := r.Packages[0].Layer, r.Packages[3].Layer
	if fiona.ExclusiveBytes != 3*testMiB+12_345 || fiona.ExclusiveFiles != 2 {
		t.Errorf("fiona exclusive %+v", fiona)
	}
	// rasterio's own: its extension and its data file stored once within
	// it (the copy a 5-byte link).
	if rasterio.ExclusiveBytes != 5*testMiB+40_005 || rasterio.ExclusiveFiles != 3 {
		t.Errorf("rasterio exclusive %+v", rasterio)
	}
	if fiona.SharedBytes != rasterio.SharedBytes || fiona.SharedBytes != 123*testMiB+1_234_567 || fiona.SharedFiles != 5 {
		t.Errorf("shared: fiona %+v, rasterio %+v", fiona, rasterio)
	}
	if got := rasterio.Shared; len(got) != 2 || !slices.Equal(got[0].With, []string{"fiona"}) || got[0].Files != 4 ||
		!slices.Equal(got[1].With, []string{"fiona", "pyproj"}) || got[1].Bytes != 4*testMiB {
		t.Errorf("rasterio's shared parts %+v", got)
	}
	if pyproj := r.Packages[2].Layer; pyproj.SharedBytes != 4*testMiB || !slices.Equal(pyproj.Shared[0].With, []string{"fiona", "rasterio"}) {
		t.Errorf("pyproj %+v", pyproj)
	}
	if six := r.Packages[5].Layer; six.SharedBytes != 0 || six.Shared != nil || six.ExclusiveBytes != 34_549 {
		t.Errorf("six %+v", six)
	}

	// Independent of the entries' order.
	es := geoEntries()
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(es), func(i, j int) { es[i], es[j] = es[j], es[i] })
	r1, r2 := geoReport(), geoReport()
	Attribute(r1, geoEntries())
	Attribute(r2, es)
	if !reflect.DeepEqual(r1, r2) {
		t.Error("shares depend on the order of the entries")
	}
}

// Shares in tenths of a percent add up to exactly 100.0% whatever the
// parts, and each is its exact share rounded down or up.
func TestShareTenths(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		parts := make([]int64, 1+rng.IntN(30))
		var whole int64
		for i := range parts {
			switch rng.IntN(4) {
			case 0:
				parts[i] = 0
			case 1:
				parts[i] = rng.Int64N(1000)
			default:
				parts[i] = rng.Int64N(300 << 20)
			}
			whole += parts[i]
		}
		if whole == 0 {
			continue
		}
		tenths, ok := shareTenths(parts, whole)
		if !ok {
			t.Fatal("not ok")
		}
		var sum int64
		for i, x := range tenths {
			sum += x
			exact := float64(parts[i]) * 1000 / float64(whole)
			if float64(x) < exact-1 || float64(x) > exact+1 || parts[i] == 0 && x != 0 {
				t.Fatalf("part %d of %d: %d tenths for exactly %f", parts[i], whole, x, exact)
			}
		}
		if sum != 1000 {
			t.Fatalf("%v of %d: tenths %v add up to %d", parts, whole, tenths, sum)
		}
	}
	// Three equal thirds: 33.4, 33.3, 33.3 (the earliest gets the tenth).
	if got, _ := shareTenths([]int64{1, 1, 1}, 3); !slices.Equal(got, []int64{334, 333, 333}) {
		t.Errorf("thirds: %v", got)
	}
	if _, ok := shareTenths([]int64{1}, 0); ok {
		t.Error("an empty layer has no shares")
	}
	// Parts that do not add up to the whole (a v1 report): each rounded.
	if got, _ := shareTenths([]int64{600, 600}, 1000); !slices.Equal(got, []int64{600, 600}) {
		t.Errorf("v1 shares %v", got)
	}
}

// 120 files strip left alone for the same kind of reason are one line
// with the count and bytes; another reason its own line; a warning two
// packages gave, one line naming both.
func TestGroupNotes(t *testing.T) {
	r := geoReport()
	notes := GroupNotes(r)
	if len(notes) != 3 {
		t.Fatalf("%d notes:\n%+v", len(notes), notes)
	}
	w, pe, other := notes[0], notes[1], notes[2]
	if w.Text != `warning: fiona, rasterio: PRUNE "*.so" removes files that the built-in KEEP "*.so.*" protects: shared libraries` {
		t.Errorf("warning %q", w.Text)
	}
	var bytes int64
	for j := range 120 {
		bytes += int64(100_000 + j%60)
	}
	bytes = 0
	for _, n := range []int{60, 50, 9, 1} {
		for j := range n {
			bytes += int64(100_000 + j)
		}
	}
	if pe.Kind != NoteStripSkipped || pe.Files != 120 || pe.Bytes != bytes || len(pe.Details) != 120 ||
		!slices.Equal(pe.Packages, []string{"fiona", "pyproj", "rasterio", "shapely"}) {
		t.Errorf("patchelf note %+v", pe)
	}
	if want := "strip left 120 files (11.4 MiB) unchanged in fiona 60, rasterio 50, pyproj 9, shapely 1: patchelf-style layout"; !strings.HasPrefix(pe.Text, want) {
		t.Errorf("patchelf note %q, want it to start %q", pe.Text, want)
	}
	if !strings.Contains(pe.Details[0], "fiona: python/lib/python3.11/site-packages/fiona.libs/lib000.so (97.7 KiB): section .gnu_debuglink (#20) to drop lies at 0x610c8") {
		t.Errorf("detail %q", pe.Details[0])
	}
	if other.Text != "strip left python/lib/python3.11/site-packages/rasterio/odd.so (4.0 KiB) unchanged in rasterio: no section header table" {
		t.Errorf("other note %q", other.Text)
	}
	// Unknown reasons are grouped by their shape: numbers, offsets and
	// quoted names taken out.
	for _, c := range []struct{ a, b string }{
		{"PT_LOAD 2: p_align 0x3 is not a power of two", "PT_LOAD 4: p_align 0x6 is not a power of two"},
		{`dynamic symbol "foo" refers to section .text (#12), which would be dropped`, `dynamic symbol "bar" refers to section .text (#13), which would be dropped`},
	} {
		if skipKind(c.a) != skipKind(c.b) {
			t.Errorf("%q and %q are of different kinds: %q, %q", c.a, c.b, skipKind(c.a), skipKind(c.b))
		}
	}
	if skipKind("no program headers") == skipKind("no section header table") {
		t.Error("different reasons, one kind")
	}
	// Five packages or more: counted, not listed.
	r.Packages[1].Strip = &Strip{Skipped: []Skip{{Path: "numpy/x.so", Reason: "patchelf"}}}
	r.Packages[5].Strip = &Strip{Skipped: []Skip{{Path: "six/x.so", Reason: "patchelf"}}}
	if n := GroupNotes(r)[1]; !strings.HasPrefix(n.Text, "strip left 122 files (11.4 MiB) unchanged in 6 packages: ") {
		t.Errorf("note %q", n.Text)
	}
}

// The build log of a deduplicated layer: the groups of shared files as
// rows of their own, shares adding up to 100.0%, notes grouped.
func TestWriteTextShared(t *testing.T) {
	r := geoReport()
	out := renderText(t, r)
	golden := filepath.Join("testdata", "report-shared.txt")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("WriteText differs from %s (rerun with -updateGolden to accept):\n%s", golden, out)
	}
	header, rows, total := tableLines(t, out)
	if !strings.Contains(header, "ALONE") || !strings.Contains(header, "IF REMOVED") {
		t.Errorf("header %q", header)
	}
	var tenths int64
	for _, row := range rows {
		f := strings.Fields(row)
		var w, d int64
		for _, c := range f {
			if strings.HasSuffix(c, "%") {
				if _, err := fmt.Sscanf(c, "%d.%d%%", &w, &d); err != nil {
					t.Fatalf("share %q: %v", c, err)
				}
			}
		}
		tenths += w*10 + d
	}
	if tenths != 1000 || len(rows) != len(r.Shares) {
		t.Errorf("%d rows (want %d) with shares adding up to %d tenths:\n%s", len(rows), len(r.Shares), tenths, out)
	}
	if !strings.HasPrefix(rows[len(rows)-2], "shared by fiona, rasterio  ") || !strings.HasPrefix(rows[len(rows)-1], "shared by fiona, pyproj, rasterio") {
		t.Errorf("shared rows:\n%s", strings.Join(rows, "\n"))
	}
	if !strings.Contains(total, "100.0%") {
		t.Errorf("total %q", total)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "strip left") || strings.HasPrefix(l, "warning") {
			continue
		}
		if n := len([]rune(l)); n > 100 {
			t.Errorf("%d columns: %q", n, l)
		}
	}
	if strings.Count(out, "\nstrip left") != 2 {
		t.Errorf("strip notes not grouped:\n%s", out)
	}
}

// report.html of a deduplicated layer: the shared groups in their own
// table body, shares adding up to 100.0%, shared files striped in the
// treemap, the notes' per-file detail collapsed.
func TestWriteHTMLShared(t *testing.T) {
	r := geoReport()
	var files []FileSize
	holders := map[string][]string{}
	for _, e := range geoEntries() {
		if e.Stored != "" {
			holders[e.Stored] = append(holders[e.Stored], e.Package)
		}
	}
	for _, e := range geoEntries() {
		if e.Dir || e.Stored != "" && e.Stored != e.Path {
			continue
		}
		f := FileSize{Path: e.Path, Size: e.Size, Package: e.Package}
		if h := holders[e.Path]; len(slices.Compact(slices.Sorted(slices.Values(h)))) > 1 {
			f.Shared = h
		}
		files = append(files, f)
	}
	page := renderHTML(t, r, files)
	checkSelfContained(t, page)
	checkBalanced(t, page)
	els := parsePage(t, page)
	var tenths int64
	rows := 0
	for _, body := range els["tbody"] {
		for tr := body.FirstChild; tr != nil; tr = tr.NextSibling {
			if tr.Data != "tr" {
				continue
			}
			var cells []string
			for td := tr.FirstChild; td != nil; td = td.NextSibling {
				cells = append(cells, nodeText(td))
			}
			var w, d int64
			if _, err := fmt.Sscanf(cells[4], "%d.%d%%", &w, &d); err != nil {
				t.Fatalf("share %q: %v", cells[4], err)
			}
			tenths += w*10 + d
			rows++
		}
	}
	if tenths != 1000 || rows != len(r.Shares) {
		t.Errorf("%d rows with shares adding up to %d tenths", rows, tenths)
	}
	if len(els["tbody"]) != 2 || nodeAttr(els["tbody"][1], "class") != "shared" || !strings.Contains(nodeText(els["tbody"][1]), "shared by fiona, rasterio") {
		t.Error("no table body of shared groups")
	}
	// The shared libraries' cells: fiona's colour, a rasterio band.
	found := false
	for _, rect := range els["rect"] {
		tip := nodeText(rect.Parent.FirstChild)
		if strings.HasSuffix(nodeText(rect.Parent.FirstChild), "shared by fiona, rasterio (stored once; the other copies link to it)") && nodeAttr(rect, "class") == "" {
			found = true
			if nodeAttr(rect, "fill") != packageColor("fiona") {
				t.Errorf("shared cell filled %q", nodeAttr(rect, "fill"))
			}
			band := rect.NextSibling
			if band == nil || nodeAttr(band, "class") != "b" || nodeAttr(band, "fill") != packageColor("rasterio") {
				t.Errorf("no rasterio band after %q", tip)
			}
		}
	}
	if !found {
		t.Error("no striped cell for the libraries fiona and rasterio share")
	}
	if !strings.Contains(page, "Cells in stripes with a dashed outline are files several packages hold, stored once (124.2 MiB)") {
		t.Error("caption does not explain the stripes")
	}
	// Notes: three lines; the 120 files behind one in a <details>.
	var notes []string
	for _, ul := range els["ul"] {
		if nodeAttr(ul, "class") != "notes" {
			continue
		}
		for li := ul.FirstChild; li != nil; li = li.NextSibling {
			if li.Data == "li" {
				notes = append(notes, nodeText(li.FirstChild))
			}
		}
	}
	if len(notes) != 3 || !strings.HasPrefix(notes[1], "strip left 120 files (11.4 MiB) unchanged") {
		t.Errorf("notes %q", notes)
	}
	if len(els["details"]) != 2 || !strings.Contains(nodeText(els["details"][0]), "120 files") || nodeAttr(els["details"][0], "open") != "" {
		t.Errorf("per-file detail not collapsed in <details>")
	}
}
