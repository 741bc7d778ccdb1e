package report

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"html/template"
	"io"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
)

// FileSize is one file of the layer, for the treemap of WriteHTML.
type FileSize struct {
	// Path is the file's slash-separated path inside the layer.
	Path string
	// Size is its unzipped size in bytes.
	Size int64
	// Package is the name of the distribution that installed it ("" when
	// unknown).
	Package string
	// Shared lists, for a file that several packages hold and the layer
	// stores once, all of them by name (Package is the one whose copy is
	// kept); nil otherwise. The treemap draws such a file in stripes of
	// their colours.
	Shared []string
}

// WriteHTML writes report.html: one self-contained page (inline CSS and a
// few lines of optional JavaScript; no external scripts, styles, fonts or
// images) with the build's platform, profile and runtime, the totals
// against the limits, the package table (as WriteText's: what each package
// alone holds, shares adding up to 100%, what removing it saves, and the
// groups of files several packages share), a treemap of files (nil files
// leave the treemap out; shared files are striped) and the notes, grouped
// (GroupNotes), each with its per-file detail in a collapsed <details>. The treemap is laid out here and drawn as inline
// SVG, so the page reads the same with JavaScript disabled. It shows at
// most treemapMaxCells files; smaller ones are grouped per directory. The
// output depends only on r and the set of files, not on their order.
func WriteHTML(w io.Writer, r *Report, files []FileSize) error {
	if r == nil {
		return errors.New("report: WriteHTML: nil report")
	}
	var b bytes.Buffer
	if err := htmlTemplates.ExecuteTemplate(&b, "head", htmlTitle(r)); err != nil {
		return err
	}
	for _, s := range htmlSections {
		data, ok := s.data(r, files)
		if !ok {
			continue
		}
		if err := htmlTemplates.ExecuteTemplate(&b, s.template, data); err != nil {
			return fmt.Errorf("report: html section %s: %w", s.template, err)
		}
	}
	if err := htmlTemplates.ExecuteTemplate(&b, "foot", nil); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// htmlSection is one part of the page: a template defined in htmlSource and
// the function that builds its data (ok=false leaves the section out). A new
// optional part of the report is one more entry here plus its template.
type htmlSection struct {
	template string
	data     func(r *Report, files []FileSize) (data any, ok bool)
}

var htmlSections = []htmlSection{
	{"summary", htmlSummaryData},
	{"packages", htmlPackagesData},
	{"imports", htmlImportsData},
	{"treemap", htmlTreemapData},
	{"notes", htmlNotesData},
}

var htmlTemplates = template.Must(template.New("report").Parse(htmlSource + htmlImportsSource))

const htmlSource = `
{{- define "head" -}}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.4em;margin:0 0 .6em}
h2{font-size:1.1em;margin:1.6em 0 .5em}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em;margin:0}
dt{color:#666}
dd{margin:0;word-break:break-all}
.lim{margin:.7em 0;max-width:40em}
.bar{height:.8em;background:#e4e4e4;border-radius:3px;overflow:hidden}
.bar>div{height:100%;background:#3a8}
.bar>.warn{background:#d90}
.bar>.over{background:#c33}
table{border-collapse:collapse}
th,td{padding:.2em .7em;text-align:left;border-bottom:1px solid #ddd}
th{background:#f3f3f3}
.js th{cursor:pointer}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tfoot td{font-weight:600;border-top:2px solid #999}
.sw{display:inline-block;width:.8em;height:.8em;margin-right:.4em;border:1px solid #0003}
svg.tm{display:block;width:100%;max-width:1200px;height:auto;border:1px solid #bbb}
.tm rect{stroke:#fff;stroke-width:.5}
.tm .b{stroke:none}
.tm .o{fill:none;stroke:#222;stroke-width:1;stroke-dasharray:4 2}
.tm .d{fill:#ececec;stroke:#888}
.tm text{font:10px sans-serif;fill:#111;pointer-events:none}
.tm .h{font-weight:600}
.note{color:#555}
tbody.shared td{background:#f7f7f7}
.sw.st{border-color:#333}
ul.notes>li{margin:.2em 0}
details{margin:.2em 0 .4em}
summary{cursor:pointer;color:#555}
details li{font-size:.9em;word-break:break-all}
</style>
</head>
<body>
{{end}}

{{- define "summary" -}}
<h1>Layer report</h1>
<dl>
{{- range .Fields}}
<dt>{{.Name}}</dt><dd>{{.Value}}</dd>
{{- end}}
</dl>
{{- range .Limits}}
<div class="lim"><div>{{.Text}}</div>
{{- if .Width}}<div class="bar"><div class="{{.Class}}" style="width:{{.Width}}"></div></div>{{end}}</div>
{{- end}}
{{end}}

{{- define "packages" -}}
<h2>Packages</h2>
<table class="sort">
<thead><tr><th>Package</th><th>Version</th><th class="n">Files</th><th class="n" title="bytes only this package has, after deduplication">Alone</th><th class="n" title="share of the layer's unzipped size: the packages' own bytes and the shared groups add up to 100%">Share</th><th class="n" title="its copies of files other packages also have, each at its size; the layer stores them once, in the shared rows">Shared</th><th class="n" title="what the layer would lose, unzipped, without this package (for a shared row: without all of its packages)">Removing saves</th><th class="n" title="the same, in the zipped layer">zipped</th><th class="n">Strip saved</th></tr></thead>
<tbody>
{{- range .Rows}}
{{template "pkgrow" .}}
{{- end}}
</tbody>
{{- if .Shared}}
<tbody class="shared">
{{- range .Shared}}
{{template "pkgrow" .}}
{{- end}}
</tbody>
{{- end}}
<tfoot><tr><td>{{.Total.Name}}</td><td></td><td class="n">{{.Total.Files}}</td><td class="n">{{.Total.BytesText}}</td><td class="n">{{.Total.Share}}</td><td class="n"></td><td class="n"></td><td class="n"></td><td class="n">{{.Total.SavedText}}</td></tr></tfoot>
</table>
<p class="note">{{.Legend}}</p>
{{end}}

{{- define "pkgrow" -}}
<tr><td data-v="{{.Name}}">{{range .Swatches}}<span class="sw{{if $.Group}} st{{end}}" style="background:{{.}}"></span>{{end}}{{if .Wheel}}<span title="{{.Wheel}}">{{.Name}}</span>{{else}}{{.Name}}{{end}}</td><td>{{.Version}}</td><td class="n" data-v="{{.Files}}">{{.Files}}</td><td class="n" data-v="{{.Bytes}}"{{if .BytesTitle}} title="{{.BytesTitle}}"{{end}}>{{.BytesText}}</td><td class="n" data-v="{{.Bytes}}">{{.Share}}</td><td class="n" data-v="{{.SharedBytes}}"{{if .SharedTitle}} title="{{.SharedTitle}}"{{end}}>{{.SharedText}}</td><td class="n" data-v="{{.Removal}}">{{.RemovalText}}</td><td class="n" data-v="{{.RemovalZipped}}">{{.RemovalZippedText}}</td><td class="n" data-v="{{.Saved}}"{{if .StripTitle}} title="{{.StripTitle}}"{{end}}>{{.SavedText}}</td></tr>
{{- end}}

{{- define "treemap" -}}
<h2>Files</h2>
<p class="note">{{.Caption}}</p>
<svg class="tm" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="Treemap of the layer's files by size">
{{- range .Cells}}
<g><title>{{.Title}}</title><rect{{if .Dir}} class="d"{{end}} x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"{{if .Fill}} fill="{{.Fill}}"{{end}}/>
{{- range .Bands}}<rect class="b" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Fill}}"/>{{end}}
{{- if .Bands}}<rect class="o" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"/>{{end}}
{{- with .Label}}<text{{if .Head}} class="h"{{end}} x="{{.X}}" y="{{.Y}}">{{.Text}}</text>{{end}}</g>
{{- end}}
</svg>
{{end}}

{{- define "notes" -}}
<h2>Notes</h2>
<ul class="notes">
{{- range .}}
<li>{{.Text}}
{{- if .Details}}
<details><summary>{{len .Details}} {{if eq (len .Details) 1}}file{{else}}files{{end}}</summary>
<ul>
{{- range .Details}}
<li>{{.}}</li>
{{- end}}
</ul>
</details>
{{- end}}</li>
{{- end}}
</ul>
{{end}}

{{- define "foot" -}}
<script>
(function () {
  var tables = document.querySelectorAll("table.sort");
  for (var t = 0; t < tables.length; t++) {
    (function (table) {
      table.classList.add("js");
      var heads = table.tHead.rows[0].cells;
      for (var i = 0; i < heads.length; i++) {
        (function (th, col) {
          var dir = 0;
          th.addEventListener("click", function () {
            var num = th.classList.contains("n");
            dir = dir === 0 ? (num ? -1 : 1) : -dir;
            var body = table.tBodies[0];
            var rows = Array.prototype.slice.call(body.rows);
            rows.sort(function (x, y) {
              var a = x.cells[col].getAttribute("data-v") || x.cells[col].textContent;
              var b = y.cells[col].getAttribute("data-v") || y.cells[col].textContent;
              return dir * (num ? Number(a) - Number(b) : a.localeCompare(b));
            });
            rows.forEach(function (r) { body.appendChild(r); });
          });
        })(heads[i], i);
      }
    })(tables[t]);
  }
})();
</script>
</body>
</html>
{{end}}`

func htmlTitle(r *Report) string {
	parts := []string{"Layer report"}
	for _, s := range []string{r.Platform, r.Profile, r.Runtime} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " · ")
}

// Summary.

type htmlField struct{ Name, Value string }

type htmlLimit struct {
	Text  string
	Width string // bar width as a CSS percentage; "" when there is no limit
	Class string // "ok", "warn" (90% or more) or "over"
}

func htmlSummaryData(r *Report, _ []FileSize) (any, bool) {
	var d struct {
		Fields []htmlField
		Limits []htmlLimit
	}
	for _, f := range []htmlField{
		{"Platform", r.Platform},
		{"Profile", r.Profile},
		{"Runtime", r.Runtime},
		{"Runtime image", r.RuntimeImage},
		{"Files", strconv.Itoa(r.Totals.Files)},
		{"Schema", r.Schema},
	} {
		if f.Value != "" {
			d.Fields = append(d.Fields, f)
		}
	}
	for _, l := range []struct {
		name        string
		used, limit int64
	}{
		{"Unzipped", r.Totals.Unzipped, r.Limits.Unzipped},
		{"Zipped", r.Totals.Zipped, r.Limits.Zipped},
	} {
		hl := htmlLimit{Text: l.name + " " + limitLine(l.used, l.limit)}
		if l.limit > 0 {
			frac := min(float64(l.used)/float64(l.limit), 1)
			hl.Width = strconv.FormatFloat(math.Round(frac*1000)/10, 'f', 1, 64) + "%"
			switch {
			case l.used > l.limit:
				hl.Class = "over"
			case usedPercent(l.used, l.limit) >= 90:
				hl.Class = "warn"
			default:
				hl.Class = "ok"
			}
		}
		d.Limits = append(d.Limits, hl)
	}
	return d, true
}

// Packages.

type htmlPackageRow struct {
	Name, Version, Wheel           string
	Swatches                       []string // colours: one, or one per package of a shared group
	Group                          bool
	Files                          int
	Bytes, SharedBytes, Saved      int64
	Removal, RemovalZipped         int64
	BytesText, BytesTitle, Share   string
	SharedText, SharedTitle        string
	RemovalText, RemovalZippedText string
	SavedText, StripTitle          string
}

func htmlPackagesData(r *Report, _ []FileSize) (any, bool) {
	var d struct {
		Rows, Shared []htmlPackageRow
		Total        htmlPackageRow
		Legend       string
	}
	pkgs, shared := layerRows(r)
	removal := func(row *htmlPackageRow, s *Saving) {
		row.RemovalText, row.RemovalZippedText = "-", "-"
		if s != nil {
			row.Removal, row.RemovalZipped = s.Unzipped, s.Zipped
			row.RemovalText, row.RemovalZippedText = humanBytes(s.Unzipped), humanBytes(s.Zipped)
		}
	}
	var saved int64
	for _, lr := range pkgs {
		row := htmlPackageRow{
			Name:       lr.share.Label(),
			Swatches:   []string{packageColor(lr.share.Label())},
			Files:      lr.share.Files,
			Bytes:      lr.share.Bytes,
			BytesText:  humanBytes(lr.share.Bytes),
			Share:      lr.percent,
			SharedText: "-",
			SavedText:  "-",
		}
		removal(&row, nil)
		if p := lr.pkg; p != nil {
			row.Version, row.Wheel = p.Version, p.Wheel
			row.BytesTitle = fmt.Sprintf("%s in %d %s as installed (after slimming, before deduplication)", humanBytes(p.Bytes), p.Files, plural(p.Files, "file", "files"))
			if p.ZippedBytes > 0 {
				row.BytesTitle += fmt.Sprintf(", %s compressed", humanBytes(p.ZippedBytes))
			}
			if l := p.Layer; l != nil {
				removal(&row, l.RemovalSaves)
				if l.SharedBytes > 0 {
					row.SharedBytes = l.SharedBytes
					row.SharedText = humanBytes(l.SharedBytes)
					var parts []string
					for _, sp := range l.Shared {
						parts = append(parts, fmt.Sprintf("with %s: %s in %d %s", strings.Join(sp.With, ", "), humanBytes(sp.Bytes), sp.Files, plural(sp.Files, "file", "files")))
					}
					row.SharedTitle = strings.Join(parts, "\n")
				}
			}
			if s := p.Strip; s != nil {
				row.Saved = s.SavedBytes
				row.SavedText = humanBytes(s.SavedBytes)
				row.StripTitle = fmt.Sprintf("mode %s, %d %s stripped", s.Mode, s.Files, plural(s.Files, "file", "files"))
				if n := len(s.Skipped); n > 0 {
					row.StripTitle += fmt.Sprintf(", %d left unchanged (see Notes)", n)
				}
				saved += s.SavedBytes
			}
		}
		d.Rows = append(d.Rows, row)
	}
	for _, lr := range shared {
		row := htmlPackageRow{
			Name:       lr.share.Label(),
			Group:      true,
			Files:      lr.share.Files,
			Bytes:      lr.share.Bytes,
			BytesText:  humanBytes(lr.share.Bytes),
			BytesTitle: fmt.Sprintf("files all of %s hold, stored once: %d entries (one copy kept, the others links to it)", strings.Join(lr.share.Packages, ", "), lr.share.Files),
			Share:      lr.percent,
			SharedText: "",
			SavedText:  "",
		}
		for _, p := range lr.share.Packages {
			row.Swatches = append(row.Swatches, packageColor(p))
		}
		removal(&row, lr.share.RemovalSaves)
		d.Shared = append(d.Shared, row)
	}
	n := len(r.Packages)
	d.Total = htmlPackageRow{
		Name:      fmt.Sprintf("Total (%d %s)", n, plural(n, "package", "packages")),
		Files:     r.Totals.Files,
		BytesText: humanBytes(r.Totals.Unzipped),
		Share:     "-",
		SavedText: humanBytes(saved),
	}
	if r.Totals.Unzipped > 0 {
		d.Total.Share = "100.0%"
	}
	if len(r.Shares) > 0 {
		d.Legend = "Alone: what only that package has in the layer, after deduplication. " +
			"Shared: its copies of files other packages also have; the layer stores each once, " +
			"counted in the “shared by” rows below the packages. Alone and the shared rows add up to the total, " +
			"and their shares to 100.0% (one decimal, rounded so that they do). " +
			"Removing saves: what the layer would lose without the package (or, for a shared row, without all of its packages). " +
			"Hover over a size for the package's size as installed."
	} else {
		d.Legend = "Sizes as each package installed them, before deduplication."
	}
	return d, true
}

// Notes: warnings and the files the strip step left alone, grouped.

func htmlNotesData(r *Report, _ []FileSize) (any, bool) {
	notes := GroupNotes(r)
	return notes, len(notes) > 0
}

// packageColor is a colour for a package name, the same on every run: the
// FNV-1a hash of the name picks the hue, saturation and lightness (kept
// light enough for dark labels). Files of no known package are grey.
func packageColor(name string) string {
	if name == "" {
		return "#b4b4b4"
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	v := h.Sum32()
	hue := float64(v % 360)
	sat := 0.45 + float64(v>>9%30)/100
	lig := 0.60 + float64(v>>17%16)/100
	return hslHex(hue, sat, lig)
}

// hslHex converts a hue in degrees and saturation and lightness in [0,1] to
// "#rrggbb".
func hslHex(h, s, l float64) string {
	c := (1 - math.Abs(float64(2*l)-1)) * s // float64(): no fused multiply-add, same bytes on every GOARCH
	hp := h / 60
	x := c * (1 - math.Abs(math.Mod(hp, 2)-1))
	var r, g, b float64
	switch {
	case hp < 1:
		r, g = c, x
	case hp < 2:
		r, g = x, c
	case hp < 3:
		g, b = c, x
	case hp < 4:
		g, b = x, c
	case hp < 5:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := l - c/2
	to := func(v float64) int { return int(math.Round((v + m) * 255)) }
	return fmt.Sprintf("#%02x%02x%02x", to(r), to(g), to(b))
}

// Treemap.

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
	fs := treemapFiles(files)
	if len(fs) == 0 {
		return nil, false
	}
	root, shown := treemapTree(fs, treemapMaxCells)
	var total int64
	for _, f := range fs {
		total += f.size
	}
	t := &htmlTreemap{W: treemapWidth, H: treemapHeight}
	if shown == len(fs) {
		t.Caption = fmt.Sprintf("%d non-empty files, %s, by directory; each area is proportional to size within its directory. Hover over a cell for its path, size and package.",
			len(fs), humanBytes(total))
	} else {
		t.Caption = fmt.Sprintf("%d non-empty files, %s, by directory; the %d largest are drawn one by one, the other %d are grouped per directory as “other”. Hover over a cell for its path, size and package.",
			len(fs), humanBytes(total), shown, len(fs)-shown)
	}
	if root.shared > 0 {
		t.Caption += fmt.Sprintf(" Cells in stripes with a dashed outline are files several packages hold, stored once (%s): one stripe in the colour of each of those packages.", humanBytes(root.shared))
	}
	t.layout(root, rect{0, 0, treemapWidth, treemapHeight}, true)
	return t, true
}

type treemapFile struct {
	path    string
	dirs    []string // directory components
	size    int64
	pkg     string
	holders []string // the packages sharing the file (sorted), or nil
}

// owner is what the file's cell is coloured by: its package, or the
// packages sharing it.
func (f treemapFile) owner() string {
	if len(f.holders) > 1 {
		return "\x00" + strings.Join(f.holders, "\x00")
	}
	return f.pkg
}

// treemapFiles cleans the paths, drops empty files and sorts by size
// (largest first), then path and package, so that the rest of the layout
// does not depend on the input order.
func treemapFiles(files []FileSize) []treemapFile {
	var out []treemapFile
	for _, f := range files {
		if f.Size <= 0 {
			continue
		}
		p := strings.TrimPrefix(path.Clean("/"+f.Path), "/")
		if p == "" {
			continue
		}
		dirs := strings.Split(p, "/")
		tf := treemapFile{path: p, dirs: dirs[:len(dirs)-1], size: f.Size, pkg: f.Package}
		if h := slices.Compact(slices.Sorted(slices.Values(f.Shared))); len(h) > 1 {
			tf.holders = h
		}
		out = append(out, tf)
	}
	slices.SortFunc(out, func(a, b treemapFile) int {
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

// treemapKeep decides which files get a cell of their own when there are
// more than maxCells: the largest k, with the others grouped by directory
// truncated to depth components (see groupDirs). It picks
// the largest k for which k plus the number of groups fits, using the
// deepest grouping that can fit at all. fs is sorted largest first.
func treemapKeep(fs []treemapFile, maxCells int) (k, depth int) {
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
func groupDirs(f treemapFile, depth int) []string {
	if depth < 0 || depth > len(f.dirs) {
		depth = len(f.dirs)
	}
	return f.dirs[:depth]
}

func groupKey(f treemapFile, depth int) string {
	return strings.Join(groupDirs(f, depth), "/")
}

// treemapNode is a directory or a cell of the treemap.
type treemapNode struct {
	name    string // path relative to the parent (several components after merging)
	path    string
	size    int64
	files   int
	pkg     string   // the package of a file or group; "" unknown or mixed
	pkgs    int      // distinct packages (or sets of packages sharing files) of a group
	holders []string // the packages sharing a file, or every file of a group
	shared  int64    // bytes of files several packages share, below and including this node
	dir     bool
	kids    []*treemapNode
	index   map[string]*treemapNode // child directories by name, while building
}

// treemapTree builds the directory tree of fs with at most maxCells file
// cells (see treemapKeep), and returns it with the number of files that
// have a cell of their own.
func treemapTree(fs []treemapFile, maxCells int) (*treemapNode, int) {
	k, depth := treemapKeep(fs, maxCells)
	root := &treemapNode{dir: true}
	mkdir := func(dirs []string) *treemapNode {
		n := root
		for _, d := range dirs {
			c := n.index[d]
			if c == nil {
				c = &treemapNode{name: d, path: path.Join(n.path, d), dir: true}
				if n.index == nil {
					n.index = map[string]*treemapNode{}
				}
				n.index[d] = c
				n.kids = append(n.kids, c)
			}
			n = c
		}
		return n
	}
	shown := k
	for _, f := range fs[:k] {
		parent := mkdir(f.dirs)
		parent.kids = append(parent.kids, fileNode(f))
	}
	// Group the rest; fs[k:] is sorted, so groups are built in a fixed order.
	type group struct {
		dirs  []string
		files []treemapFile
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
			parent.kids = append(parent.kids, fileNode(f))
			shown++
			continue
		}
		n := &treemapNode{name: fmt.Sprintf("other (%d files)", len(g.files)), files: len(g.files)}
		n.path = path.Join(parent.path, n.name)
		var owners []string
		for _, f := range g.files {
			n.size += f.size
			if f.holders != nil {
				n.shared += f.size
			}
			if !slices.Contains(owners, f.owner()) {
				owners = append(owners, f.owner())
			}
		}
		n.pkgs = len(owners)
		if len(owners) == 1 {
			n.pkg, n.holders = g.files[0].pkg, g.files[0].holders
		}
		parent.kids = append(parent.kids, n)
	}
	treemapFinish(root, true)
	return root, shown
}

func fileNode(f treemapFile) *treemapNode {
	n := &treemapNode{name: path.Base(f.path), path: f.path, size: f.size, files: 1, pkg: f.pkg, holders: f.holders}
	if f.holders != nil {
		n.shared = f.size
	}
	return n
}

// treemapFinish sums sizes, sorts children (largest first, then by name),
// merges chains of single-directory directories, such as
// python/lib/python3.12/site-packages, into one, and replaces directories
// holding a single file by the file.
func treemapFinish(n *treemapNode, isRoot bool) {
	if !n.dir {
		return
	}
	for !isRoot && len(n.kids) == 1 && n.kids[0].dir {
		c := n.kids[0]
		n.name += "/" + c.name
		n.path = c.path
		n.kids = c.kids
	}
	n.index = nil
	n.size, n.files, n.shared = 0, 0, 0
	for i, c := range n.kids {
		treemapFinish(c, false)
		if c.dir && len(c.kids) == 1 && !c.kids[0].dir {
			// A directory of one file: the file's tooltip has the path.
			c = c.kids[0]
			n.kids[i] = c
		}
		n.size += c.size
		n.files += c.files
		n.shared += c.shared
	}
	slices.SortFunc(n.kids, func(a, b *treemapNode) int {
		if c := cmp.Compare(b.size, a.size); c != 0 {
			return c
		}
		if c := cmp.Compare(a.name, b.name); c != 0 {
			return c
		}
		return cmp.Compare(a.path, b.path)
	})
}

// layout emits the cells of n, placed in r, and of its descendants.
func (t *htmlTreemap) layout(n *treemapNode, r rect, isRoot bool) {
	cell, ok := newCell(r)
	if !ok {
		return // too small to see, and so is everything inside
	}
	inner := r
	if !n.dir {
		cell.Fill = packageColor(n.pkg)
		switch {
		case n.pkgs > 1:
			cell.Fill = "#c8c8c8"
		case len(n.holders) > 1:
			// Vertical stripes about stripeWidth wide, in the colours
			// of the packages sharing the file in turn (at least one
			// stripe each): the cell itself in the first one's colour,
			// bands over it for the others.
			k := len(n.holders)
			cell.Fill = packageColor(n.holders[0])
			stripes := max(int(r.W/stripeWidth), k)
			w := r.W / float64(stripes)
			for i := range stripes {
				if i%k == 0 {
					continue
				}
				if c, ok := newCell(rect{r.X + w*float64(i), r.Y, w, r.H}); ok {
					cell.Bands = append(cell.Bands, htmlBand{X: c.X, Y: c.Y, W: c.W, H: c.H, Fill: packageColor(n.holders[i%k])})
				}
			}
		}
		cell.Title = cellTitle(n)
		if r.W >= labelMinW && r.H >= labelMinH {
			cell.Label = fitLabel(n.name, r.X+2, r.Y+labelFont, r.W-4, false)
		}
		t.Cells = append(t.Cells, cell)
		return
	}
	if !isRoot {
		cell.Dir = true
		cell.Title = fmt.Sprintf("%s/\n%s in %d %s", n.path, humanBytes(n.size), n.files, plural(n.files, "file", "files"))
		if n.shared > 0 {
			cell.Title += fmt.Sprintf("\n%s of it in files several packages share", humanBytes(n.shared))
		}
		switch {
		case r.W >= headerMinW && r.H >= headerMinH:
			cell.Label = fitLabel(n.name+"/  "+humanBytes(n.size), r.X+3, r.Y+labelFont+1, r.W-6, true)
			inner = rect{r.X + 1, r.Y + dirHeader, r.W - 2, r.H - dirHeader - 1}
		case r.W > dirMinFrame && r.H > dirMinFrame:
			inner = rect{r.X + 1, r.Y + 1, r.W - 2, r.H - 2}
		}
		t.Cells = append(t.Cells, cell)
	}
	sizes := make([]float64, len(n.kids))
	for i, c := range n.kids {
		sizes[i] = float64(c.size)
	}
	for i, cr := range squarify(sizes, inner) {
		t.layout(n.kids[i], cr, false)
	}
}

// newCell formats r with one decimal, rounding its corners so that cells
// that touch still touch. ok is false when r rounds to nothing.
func newCell(r rect) (htmlCell, bool) {
	x0, y0 := round1(r.X), round1(r.Y)
	x1, y1 := round1(r.X+r.W), round1(r.Y+r.H)
	if x1 <= x0 || y1 <= y0 {
		return htmlCell{}, false
	}
	return htmlCell{X: fmt1(x0), Y: fmt1(y0), W: fmt1(x1 - x0), H: fmt1(y1 - y0)}, true
}

func cellTitle(n *treemapNode) string {
	pkg := "package: " + n.pkg
	switch {
	case n.pkgs > 1:
		pkg = fmt.Sprintf("packages: %d different", n.pkgs)
	case len(n.holders) > 1 && n.files == 1:
		pkg = "shared by " + strings.Join(n.holders, ", ") + " (stored once; the other copies link to it)"
	case len(n.holders) > 1:
		pkg = "each shared by " + strings.Join(n.holders, ", ") + " (stored once)"
	case n.pkg == "":
		pkg = "package: unknown"
	}
	size := humanBytes(n.size)
	if n.size >= 1024 {
		size += fmt.Sprintf(" (%d bytes)", n.size)
	}
	return n.path + "\n" + size + "\n" + pkg
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

// rect is an axis-aligned rectangle: top-left corner, width and height.
type rect struct{ X, Y, W, H float64 }

// squarify divides r into one rectangle per size, each with an area
// proportional to its size, using the squarified treemap layout (Bruls,
// Huizing and van Wijk, 2000): sizes are taken largest first and laid in
// rows along the shorter side of the space left; a row takes another item
// as long as that does not make its worst aspect ratio worse. The result is
// in the order of sizes; the rectangles tile r exactly (the last of each
// row and the last row absorb rounding). Sizes <= 0 get empty rectangles.
func squarify(sizes []float64, r rect) []rect {
	out := make([]rect, len(sizes))
	var order []int
	var total float64
	for i, s := range sizes {
		out[i] = rect{r.X, r.Y, 0, 0}
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
				out[order[j]] = rect{free.X, y, w, h}
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
				out[order[j]] = rect{x, free.Y, w, h}
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
