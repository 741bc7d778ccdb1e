//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/pkg/report"
	"golang.org/x/net/html"
)

// reportBuild builds a Geolayerfile's report target (report.json and
// report.html) and returns both.
func reportBuild(t *testing.T, geolayerfile string) (*report.Report, string) {
	t.Helper()
	dir := project(t, geolayerfile, nil)
	out := filepath.Join(dir, "out")
	buildx(t, dir, false, "-f", "Geolayerfile", "--target", "report", "-o", out, ".")
	rep, err := report.Read(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	return rep, string(page)
}

func reportPackage(rep *report.Report, name string) *report.Package {
	for i := range rep.Packages {
		if rep.Packages[i].Name == name {
			return &rep.Packages[i]
		}
	}
	return nil
}

func packageNames(rep *report.Report) []string {
	var names []string
	for _, p := range rep.Packages {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	return names
}

// htmlElements parses page and returns its elements in document order.
func htmlElements(t *testing.T, page string) []*html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var els []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			els = append(els, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return els
}

func htmlAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func htmlText(n *html.Node) string {
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

// On the geo set, where rasterio and fiona vendor the same GDAL stack and
// the layer stores it once: the package shares add up to the layer, to the
// byte in report.json and to 100.0% in report.html; what removing fiona
// saves is exactly the difference with the same layer without fiona; and
// the notes are a few grouped lines, the per-file detail collapsed.
func TestReportSharesOnGeoSet(t *testing.T) {
	requireGeoOnIndex(t, "fiona")
	const head = "TARGET aws-lambda python3.11 --glibc=2.36\nPLATFORM linux/amd64\n"
	const budget = "BUDGET unzipped=1GiB zipped=1GiB\n"
	with, page := reportBuild(t, head+"REQUIRE numpy shapely pyproj rasterio fiona\n"+budget)

	// Shares: to the byte, every entry once.
	var sum int64
	var files int
	for _, s := range with.Shares {
		sum += s.Bytes
		files += s.Files
		t.Logf("share %-45s %6d files %12d bytes (%.2f%%), removing saves %+v", s.Label(), s.Files, s.Bytes, float64(s.Bytes)*100/float64(with.Totals.Unzipped), s.RemovalSaves)
	}
	if sum != with.Totals.Unzipped || files != with.Totals.Files {
		t.Errorf("shares add up to %d bytes in %d files; the layer is %d bytes in %d files", sum, files, with.Totals.Unzipped, with.Totals.Files)
	}
	var shared *report.Share
	for i, s := range with.Shares {
		if slices.Contains(s.Packages, "rasterio") && slices.Contains(s.Packages, "fiona") && (shared == nil || s.Bytes > shared.Bytes) {
			shared = &with.Shares[i]
		}
	}
	if shared == nil || shared.Bytes < 100<<20 {
		t.Errorf("no group of files rasterio and fiona share, of 100 MiB or more: %+v", shared)
	}

	// report.html: the Share column of the package table (packages and
	// shared groups) adds up to 100.0%.
	var tenths int64
	var rows int
	els := htmlElements(t, page)
	for _, n := range els {
		if n.Data != "tbody" {
			continue
		}
		for tr := n.FirstChild; tr != nil; tr = tr.NextSibling {
			if tr.Type != html.ElementNode || tr.Data != "tr" {
				continue
			}
			var cells []*html.Node
			for td := tr.FirstChild; td != nil; td = td.NextSibling {
				if td.Type == html.ElementNode {
					cells = append(cells, td)
				}
			}
			share := strings.TrimSuffix(htmlText(cells[4]), "%")
			whole, frac, ok := strings.Cut(share, ".")
			w, err1 := strconv.ParseInt(whole, 10, 64)
			f, err2 := strconv.ParseInt(frac, 10, 64)
			if !ok || err1 != nil || err2 != nil || len(frac) != 1 {
				t.Fatalf("share cell %q of row %q", htmlText(cells[4]), htmlText(cells[0]))
			}
			tenths += w*10 + f
			rows++
		}
	}
	if tenths != 1000 || rows != len(with.Shares) {
		t.Errorf("report.html's %d share rows add up to %d.%d%%; want %d rows and 100.0%%", rows, tenths/10, tenths%10, len(with.Shares))
	}

	// Removing fiona: the same packages but fiona (munch, which only fiona
	// requires, named so that it and six stay).
	fiona := reportPackage(with, "fiona")
	if fiona == nil || fiona.Layer == nil || fiona.Layer.RemovalSaves == nil {
		t.Fatalf("fiona without its layer accounting: %+v", fiona)
	}
	t.Logf("fiona: %d bytes before deduplication; alone %d, shared %d (%+v); removing saves %+v",
		fiona.Bytes, fiona.Layer.ExclusiveBytes, fiona.Layer.SharedBytes, fiona.Layer.Shared, *fiona.Layer.RemovalSaves)
	same, _ := reportBuild(t, head+"REQUIRE numpy shapely pyproj rasterio munch\n"+budget)
	wantNames := slices.DeleteFunc(packageNames(with), func(n string) bool { return n == "fiona" })
	if got := packageNames(same); !slices.Equal(got, wantNames) {
		t.Fatalf("the layer without fiona has %v, want %v", got, wantNames)
	}
	diff := report.Saving{Unzipped: with.Totals.Unzipped - same.Totals.Unzipped, Zipped: with.Totals.Zipped - same.Totals.Zipped}
	t.Logf("layer %d / %d bytes, without fiona %d / %d: difference %+v", with.Totals.Unzipped, with.Totals.Zipped, same.Totals.Unzipped, same.Totals.Zipped, diff)
	if *fiona.Layer.RemovalSaves != diff {
		t.Errorf("removing fiona saves %+v by the report; the layers differ by %+v", *fiona.Layer.RemovalSaves, diff)
	}

	// REQUIRE without fiona also drops what only fiona requires (munch,
	// and six through it): they share nothing, so the difference is what
	// removing each saves, added.
	plain, _ := reportBuild(t, head+"REQUIRE numpy shapely pyproj rasterio\n"+budget)
	want := *fiona.Layer.RemovalSaves
	dropped := slices.DeleteFunc(packageNames(with), func(n string) bool { return slices.Contains(packageNames(plain), n) || n == "fiona" })
	for _, name := range dropped {
		p := reportPackage(with, name)
		if p.Layer.SharedBytes != 0 {
			t.Fatalf("%s, dropped with fiona, shares files: %+v", name, p.Layer)
		}
		want.Unzipped += p.Layer.RemovalSaves.Unzipped
		want.Zipped += p.Layer.RemovalSaves.Zipped
	}
	plainDiff := report.Saving{Unzipped: with.Totals.Unzipped - plain.Totals.Unzipped, Zipped: with.Totals.Zipped - plain.Totals.Zipped}
	t.Logf("REQUIRE without fiona also drops %v: difference %+v", dropped, plainDiff)
	if plainDiff != want {
		t.Errorf("the layer of REQUIRE without fiona is %+v smaller; fiona and %v would save %+v", plainDiff, dropped, want)
	}

	// Notes: a dozen lines at most, the per-file detail collapsed.
	var notes []string
	details := 0
	for _, n := range els {
		if n.Data == "details" {
			details++
		}
		if n.Data != "ul" || htmlAttr(n, "class") != "notes" {
			continue
		}
		for li := n.FirstChild; li != nil; li = li.NextSibling {
			if li.Type == html.ElementNode && li.Data == "li" {
				var text string // the line, not its details
				for c := li.FirstChild; c != nil; c = c.NextSibling {
					if c.Type == html.TextNode {
						text += c.Data
					}
				}
				notes = append(notes, strings.TrimSpace(text))
			}
		}
	}
	t.Logf("%d note lines in report.html, %d with details:\n%s", len(notes), details, strings.Join(notes, "\n"))
	if len(notes) > 12 {
		t.Errorf("%d note lines, want at most a dozen", len(notes))
	}
	skipped := 0
	for _, p := range with.Packages {
		if p.Strip != nil {
			skipped += len(p.Strip.Skipped)
		}
	}
	if skipped > 12 && details == 0 {
		t.Errorf("%d files strip left alone, but no per-file detail in report.html", skipped)
	}
	if len(with.Notes) != len(notes) {
		t.Errorf("report.json has %d notes, report.html %d", len(with.Notes), len(notes))
	}
}
