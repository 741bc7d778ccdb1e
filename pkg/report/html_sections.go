package report

// The data of the page's sections but the treemap (html_treemap.go) and
// the imports (imports.go).

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

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
