package report

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Note is one line of the report's notes: a warning with the packages that
// gave it, or a kind of file a step left alone, with the count and bytes.
type Note struct {
	// Kind is "warning" or "strip-skipped".
	Kind string `json:"kind"`
	// Text is the line as the build log and report.html show it.
	Text string `json:"text"`
	// Packages concerned, by name.
	Packages []string `json:"packages"`
	// Files and Bytes: the files the note is about and their size in the
	// layer (strip-skipped; Bytes 0 when the sizes are not known).
	Files int   `json:"files,omitempty"`
	Bytes int64 `json:"bytes,omitempty"`
	// Details are the per-file lines behind the note, for report.html's
	// collapsed list. Not in report.json, whose packages carry the same
	// detail (warnings, strip.skipped).
	Details []string `json:"-"`
}

// Note kinds.
const (
	NoteWarning      = "warning"
	NoteStripSkipped = "strip-skipped"
)

// GroupNotes returns the notes of r, grouped so that repetitive ones are
// one line each: a warning given by several packages is one line naming
// them; the files strip left alone are one line per kind of reason (the
// reason with its numbers, offsets and quoted names taken out, or a known
// kind such as patchelf's layout explained in words), with the number of
// files and their bytes, per package. Warnings come first (by text), then
// strip notes (most files first). The result depends only on r.
func GroupNotes(r *Report) []Note {
	var notes []Note
	if d := r.Limits.DirectUpload; d > 0 && r.Totals.Zipped > d && (r.Limits.Zipped == 0 || r.Limits.Zipped > d) {
		notes = append(notes, Note{Kind: NoteWarning, Bytes: r.Totals.Zipped, Text: fmt.Sprintf(
			"layer.zip is %s, over the %s a direct upload takes: publish it from S3 (aws lambda publish-layer-version --content S3Bucket=<bucket>,S3Key=<key>), where only the unzipped limit applies; BUDGET zipped=%d makes this an error",
			humanBytes(r.Totals.Zipped), humanBytes(d), d)})
	}
	type warning struct {
		pkgs []string
	}
	warnings := map[string]*warning{}
	for _, p := range sortedByName(r.Packages) {
		for _, w := range p.Warnings {
			w = oneLine(w)
			g := warnings[w]
			if g == nil {
				g = &warning{}
				warnings[w] = g
			}
			if !slices.Contains(g.pkgs, p.Key()) {
				g.pkgs = append(g.pkgs, p.Key())
			}
		}
	}
	for _, w := range slices.Sorted(maps.Keys(warnings)) {
		g := warnings[w]
		notes = append(notes, Note{Kind: NoteWarning, Packages: g.pkgs,
			Text: "warning: " + strings.Join(g.pkgs, ", ") + ": " + w})
	}

	type skips struct {
		label   string
		files   int
		bytes   int64
		sized   bool
		perPkg  map[string]int
		details []string
		first   string // the only file's path, for a group of one
	}
	groups := map[string]*skips{}
	for _, p := range sortedByName(r.Packages) {
		if p.Strip == nil {
			continue
		}
		for _, s := range p.Strip.Skipped {
			label := skipKind(s.Reason)
			g := groups[label]
			if g == nil {
				g = &skips{label: label, perPkg: map[string]int{}}
				groups[label] = g
			}
			g.files++
			g.bytes += s.Bytes
			g.sized = g.sized || s.Bytes > 0
			g.perPkg[p.Key()]++
			g.first = s.Path
			d := p.Key() + ": " + oneLine(s.Path)
			if s.Bytes > 0 {
				d += " (" + humanBytes(s.Bytes) + ")"
			}
			g.details = append(g.details, d+": "+oneLine(s.Reason))
		}
	}
	var strip []Note
	for _, g := range groups {
		pkgs := slices.Sorted(maps.Keys(g.perPkg))
		n := Note{Kind: NoteStripSkipped, Packages: pkgs, Files: g.files, Bytes: g.bytes, Details: g.details}
		size := ""
		if g.sized {
			size = " (" + humanBytes(g.bytes) + ")"
		}
		if g.files == 1 {
			n.Text = fmt.Sprintf("strip left %s%s unchanged in %s: %s", oneLine(g.first), size, pkgs[0], g.label)
		} else {
			n.Text = fmt.Sprintf("strip left %d files%s unchanged in %s: %s", g.files, size, packageCounts(g.perPkg), g.label)
		}
		strip = append(strip, n)
	}
	slices.SortFunc(strip, func(a, b Note) int {
		return cmp.Or(cmp.Compare(b.Files, a.Files), cmp.Compare(b.Bytes, a.Bytes), strings.Compare(a.Text, b.Text))
	})
	return append(notes, strip...)
}

// packageCounts is "rasterio 52, fiona 51, pyproj 10" (most first, then by
// name), or "7 packages" beyond four.
func packageCounts(per map[string]int) string {
	names := slices.Sorted(maps.Keys(per))
	if len(names) > 4 {
		return fmt.Sprintf("%d packages", len(names))
	}
	slices.SortStableFunc(names, func(a, b string) int { return cmp.Compare(per[b], per[a]) })
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, per[n]))
	}
	return strings.Join(parts, ", ")
}

var (
	quotedRe = regexp.MustCompile(`"[^"]*"`)
	hexRe    = regexp.MustCompile(`0x[0-9a-fA-F]+`)
	numberRe = regexp.MustCompile(`[0-9]+`)
)

// skipKind is the kind of reason strip gave for leaving a file alone: a
// sentence for the kinds people meet (patchelf's layout, which every
// auditwheel-repaired library has), otherwise the reason without what
// differs from file to file (numbers, offsets, quoted names).
func skipKind(reason string) string {
	r := oneLine(reason)
	switch {
	case strings.Contains(r, "patchelf"), strings.Contains(r, "to drop lies inside segment"):
		return "patchelf-style layout: the sections to drop lie inside the loaded image, so their symbols and " +
			"debug info stay (strip before patchelf to avoid it, pypa/auditwheel#717)"
	case strings.HasPrefix(r, "elfstrip: output verification failed"):
		return "the stripped copy failed verification, so the original was kept (a bug to report, with the file)"
	}
	r = strings.TrimPrefix(r, "elfstrip: skipped: ")
	r = quotedRe.ReplaceAllString(r, `"…"`)
	r = hexRe.ReplaceAllString(r, "0x…")
	return numberRe.ReplaceAllString(r, "N")
}
