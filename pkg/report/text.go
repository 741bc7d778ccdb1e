package report

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// WriteText writes a plain-text summary of r for the build log: a header,
// the package table, the limits with the share used, and the notes grouped
// (GroupNotes). The table has one row per package (largest own bytes
// first): the entries only it has (ALONE), their share of the layer, its
// copies of files other packages also hold (SHARED) and what the layer
// would lose without it (IF REMOVED); then one row per group of packages
// sharing files, stored once; then the totals. ALONE and the groups' rows
// add up to the layer's unzipped size, and their shares to 100.0% (see
// shareTenths). Columns are aligned and the table is at most 100 columns
// wide (long names and versions are shortened); sizes use binary units
// with one decimal. The output depends only on r.
func WriteText(w io.Writer, r *Report) error {
	if r == nil {
		return errors.New("report: WriteText: nil report")
	}
	var b bytes.Buffer
	first := true
	for _, section := range textSections {
		var s bytes.Buffer
		section(&s, r)
		if s.Len() == 0 {
			continue
		}
		if !first {
			b.WriteByte('\n')
		}
		first = false
		b.Write(s.Bytes())
	}
	_, err := w.Write(b.Bytes())
	return err
}

// textSections are the blocks of WriteText, in order. Each writes
// newline-terminated lines, or nothing when it does not apply; blocks are
// separated by one blank line. A new optional part of the report gets its
// own function here.
var textSections = []func(b *bytes.Buffer, r *Report){
	textHeader,
	textPackages,
	textVendored,
	textLimits,
	textNotes,
	textImports,
}

// textImports is the import-time table (TEST --profile-imports).
func textImports(b *bytes.Buffer, r *Report) { _ = WriteImportsText(b, r) } // a bytes.Buffer write cannot fail

// textVendored lists the libraries vendored from the build stage: what,
// how big, who needs them.
func textVendored(b *bytes.Buffer, r *Report) {
	for _, p := range sortedByName(r.Packages) {
		for _, v := range p.Vendored {
			fmt.Fprintf(b, "vendored %s (%s, from the build stage's %s) for %s\n", v.Path, humanBytes(v.Bytes), v.Source, oneLine(strings.Join(v.NeededBy, ", ")))
		}
	}
}

// Widths the package table keeps to, so that it fits in 100 columns.
const (
	textNameWidth    = 28
	textVersionWidth = 14
)

func textHeader(b *bytes.Buffer, r *Report) {
	var parts []string
	for _, f := range []struct{ k, v string }{
		{"platform", r.Platform},
		{"profile", r.Profile},
		{"runtime", r.Runtime},
	} {
		if f.v != "" {
			parts = append(parts, f.k+" "+f.v)
		}
	}
	b.WriteString("geolayer layer report")
	if len(parts) > 0 {
		b.WriteString(": " + strings.Join(parts, ", "))
	}
	b.WriteByte('\n')
	if r.RuntimeImage != "" {
		// Not shortened: a digest is only useful whole.
		b.WriteString("runtime image: " + r.RuntimeImage + "\n")
	}
}

func textPackages(b *bytes.Buffer, r *Report) {
	pkgs, shared := layerRows(r)
	alone := "ALONE"
	if len(r.Shares) == 0 {
		alone = "UNZIPPED" // a report without shares: sizes before deduplication
	}
	rows := [][]string{{"PACKAGE", "VERSION", "FILES", alone, "SHARE", "SHARED", "IF REMOVED"}}
	for _, row := range pkgs {
		name, version, sharedBytes, removal := row.share.Label(), "", "-", "-"
		if p := row.pkg; p != nil {
			name, version = p.Key(), p.Version // <name>@<runtime> in a layer for several runtimes
			if l := p.Layer; l != nil {
				sharedBytes = bytesOrDash(l.SharedBytes)
				if l.RemovalSaves != nil {
					removal = humanBytes(l.RemovalSaves.Unzipped)
				}
			}
		}
		rows = append(rows, []string{
			shorten(name, textNameWidth),
			shorten(version, textVersionWidth),
			fmt.Sprint(row.share.Files),
			humanBytes(row.share.Bytes),
			row.percent,
			sharedBytes,
			removal,
		})
	}
	// A group's label spans the name and version columns: blank cells
	// now, the label written over them once the columns are laid out.
	for _, row := range shared {
		removal := "-"
		if row.share.RemovalSaves != nil {
			removal = humanBytes(row.share.RemovalSaves.Unzipped)
		}
		rows = append(rows, []string{"", "", fmt.Sprint(row.share.Files), humanBytes(row.share.Bytes), row.percent, "", removal})
	}
	total := "-"
	if r.Totals.Unzipped > 0 {
		total = "100.0%"
	}
	rows = append(rows, []string{
		fmt.Sprintf("TOTAL (%d %s)", len(r.Packages), plural(len(r.Packages), "package", "packages")),
		"",
		fmt.Sprint(r.Totals.Files),
		humanBytes(r.Totals.Unzipped),
		total,
		"",
		"",
	})
	// A group's label spans the name and version columns, widened for
	// it up to their most (longer labels are shortened).
	nw, vw, lw := 0, 0, 0
	for _, row := range rows {
		nw = max(nw, utf8.RuneCountInString(row[0]))
		vw = max(vw, utf8.RuneCountInString(row[1]))
	}
	for _, row := range shared {
		lw = max(lw, utf8.RuneCountInString(row.share.Label()))
	}
	if want := min(lw, textNameWidth+2+textVersionWidth) - 2 - vw; want > nw {
		rows[0][0] += strings.Repeat(" ", want-utf8.RuneCountInString(rows[0][0]))
		nw = want
	}
	right := []bool{false, false, true, true, true, true, true}
	lines := alignTable(rows, right)
	if len(shared) > 0 {
		// Where the FILES column starts, less its gap.
		span := nw + 2 + vw
		for i, row := range shared {
			l := lines[1+len(pkgs)+i]
			label := shorten(row.share.Label(), span)
			pad := span - utf8.RuneCountInString(label)
			lines[1+len(pkgs)+i] = label + strings.Repeat(" ", pad) + string([]rune(l)[span:])
		}
	}

	// A rule between the rows and the totals, as wide as the table.
	width := 0
	for _, l := range lines {
		width = max(width, utf8.RuneCountInString(l))
	}
	for i, l := range lines {
		if i == len(lines)-1 {
			b.WriteString(strings.Repeat("-", width) + "\n")
		}
		b.WriteString(l + "\n")
	}
	b.WriteString(textLegend(r, len(shared) > 0))
}

// textLegend explains the columns under the table, and what slimming
// saved.
func textLegend(r *Report, shared bool) string {
	var b strings.Builder
	if len(r.Shares) > 0 {
		legend := "ALONE: bytes only that package has, after deduplication. SHARED: its copies of files other packages also have"
		if shared {
			legend += ", stored once and counted in the \"shared by\" rows"
		}
		legend += ". IF REMOVED: what the layer would lose without it"
		if shared {
			legend += " (for a \"shared by\" row: without all of those packages)"
		}
		legend += ". ALONE"
		if shared {
			legend += " and the \"shared by\" rows"
		}
		legend += " add up to the total, their shares to 100.0%."
		for _, l := range wrapText(legend, 100) {
			b.WriteString(l + "\n")
		}
	}
	var strip, prune int64
	for _, p := range r.Packages {
		if p.Strip != nil {
			strip += p.Strip.SavedBytes
		}
		if p.Prune != nil {
			prune += p.Prune.SavedBytes
		}
	}
	var parts []string
	if prune > 0 {
		parts = append(parts, "PRUNE removed "+humanBytes(prune))
	}
	if strip > 0 {
		parts = append(parts, "STRIP saved "+humanBytes(strip))
	}
	if len(parts) > 0 {
		b.WriteString("slimming: " + strings.Join(parts, ", ") + " (per package and file: report.json)\n")
	}
	return b.String()
}

// wrapText breaks s into lines of at most width runes, between words.
func wrapText(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = w
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

func textLimits(b *bytes.Buffer, r *Report) {
	for _, l := range []struct {
		name        string
		used, limit int64
	}{
		{"unzipped", r.Totals.Unzipped, r.Limits.Unzipped},
		{"zipped", r.Totals.Zipped, r.Limits.Zipped},
	} {
		fmt.Fprintf(b, "%-8s %s\n", l.name, limitLine(l.used, l.limit))
	}
	if d := r.Limits.DirectUpload; d > 0 && r.Limits.Zipped == 0 {
		state := "under"
		if r.Totals.Zipped > d {
			state = "OVER"
		}
		fmt.Fprintf(b, "%-8s %s the direct-upload limit of %s (larger layers are published from S3)\n", "", state, humanBytes(d))
	}
}

// limitLine is "212.4 MiB of 250.0 MiB (84%)", with the excess when over.
func limitLine(used, limit int64) string {
	if limit <= 0 {
		return humanBytes(used) + " (no limit)"
	}
	s := fmt.Sprintf("%s of %s (%d%%)", humanBytes(used), humanBytes(limit), usedPercent(used, limit))
	if used > limit {
		s += ", OVER by " + humanBytes(used-limit)
	}
	return s
}

func textNotes(b *bytes.Buffer, r *Report) {
	notes := GroupNotes(r)
	for _, n := range notes {
		b.WriteString(oneLine(n.Text) + "\n")
	}
	for _, n := range notes {
		if n.Kind == NoteStripSkipped && n.Files > 1 {
			b.WriteString("(report.json lists each file strip left alone: packages[].strip.skipped)\n")
			break
		}
	}
}

// alignTable lays rows out in columns two spaces apart. Cells of the
// columns marked in right are right-aligned. Cell text is taken as is, so
// callers keep it to one line.
func alignTable(rows [][]string, right []bool) []string {
	widths := make([]int, len(right))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	for _, row := range rows {
		for i, c := range row {
			if right[i] {
				c = strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)) + c
			}
			if i > 0 {
				_, _ = tw.Write([]byte{'\t'})
			}
			_, _ = tw.Write([]byte(c))
		}
		_, _ = tw.Write([]byte{'\n'})
	}
	_ = tw.Flush() // writes to a bytes.Buffer: cannot fail
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return lines
}

// humanBytes formats n with binary units and one decimal: "512 B",
// "1.5 KiB", "212.4 MiB", "1.2 GiB". A value never shows as 1024.0 of a
// unit; it moves up to the next one instead.
func humanBytes(n int64) string {
	if n > -1024 && n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n) / 1024
	u := 0
	for math.Abs(math.Round(v*10)/10) >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}

// usedPercent is used as a whole percentage of limit, rounded, except that
// it shows 100 only when used is exactly the limit: 99 just under it and
// 101 just over.
func usedPercent(used, limit int64) int64 {
	if limit <= 0 {
		return 0
	}
	p := int64(math.Round(float64(used) / float64(limit) * 100))
	switch {
	case used < limit && p >= 100:
		p = 99
	case used > limit && p <= 100:
		p = 101
	}
	return p
}

func bytesOrDash(n int64) string {
	if n == 0 {
		return "-"
	}
	return humanBytes(n)
}

func sortedByName(pkgs []Package) []Package {
	out := slices.Clone(pkgs)
	slices.SortStableFunc(out, func(a, b Package) int {
		if c := cmp.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return cmp.Compare(a.Version, b.Version)
	})
	return out
}

// shorten cuts s to at most n runes, ending it with "..." when cut, and
// makes it one line.
func shorten(s string, n int) string {
	s = oneLine(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-3]) + "..."
}

// oneLine replaces control characters (tabs and newlines would break the
// table's columns) with spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
