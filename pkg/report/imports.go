package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Imports is what TEST --profile-imports measured in the runtime image:
// the import time of each module a TEST imported itself, and the layer's
// files the import mapped into the process (report.json's optional
// "imports" section, schema v2; readers that do not know it ignore it).
type Imports struct {
	// Emulated is true when the TESTs ran under emulation (a foreign
	// architecture, e.g. QEMU): the times are then not representative of
	// the platform, only comparable with each other.
	Emulated bool `json:"emulated"`
	// Python is the runtime's CPython version.
	Python string `json:"python,omitempty"`
	// MountPoint is where the layer was mounted (mapped files are those
	// under it).
	MountPoint string           `json:"mountPoint,omitempty"`
	Modules    []ImportedModule `json:"modules"`
}

// ImportedModule is one import a TEST made at top level: a line of
// CPython's -X importtime output at nesting level 0 (`import a.b` is one
// such line, a.b, its parent a nested in it; `from a import b` can be two,
// a and a.b).
type ImportedModule struct {
	// Test is the TEST's number, 1 for the Geolayerfile's first TEST.
	Test   int    `json:"test"`
	Module string `json:"module"`
	// Package is the layer's package the module belongs to (by its
	// top-level name, from the packages' RECORD and top_level.txt); ""
	// for a module not from the layer (the standard library).
	Package string `json:"package,omitempty"`
	// SelfMicros and CumulativeMicros are -X importtime's figures in
	// microseconds: the module's own execution, and with everything it
	// imported that was not imported yet.
	SelfMicros       int64 `json:"selfMicros"`
	CumulativeMicros int64 `json:"cumulativeMicros"`
	// Mapped is the distinct files under the mount point that the process
	// had mapped (/proc/self/maps) after this import and not before it,
	// with their file sizes: the shared libraries and other mmap'ed files
	// it brought in (.py sources are read, not mapped). Nil when it was not
	// measured (an import made through importlib.import_module).
	Mapped *Size `json:"mapped,omitempty"`
}

// ImportTime is one line of -X importtime output.
type ImportTime struct {
	Module           string
	Level            int // nesting: 0 for an import the importing code made itself
	SelfMicros       int64
	CumulativeMicros int64
}

// ParseImportTime reads CPython's -X importtime output
// ("import time: <self> | <cumulative> | <indent><module>", the indent two
// spaces per nesting level). The header and any other line are skipped.
func ParseImportTime(r io.Reader) ([]ImportTime, error) {
	var out []ImportTime
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "import time:")
		if !ok {
			continue
		}
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			continue
		}
		self, err1 := strconv.ParseInt(strings.TrimSpace(parts[0]), 10, 64)
		cum, err2 := strconv.ParseInt(strings.TrimSpace(parts[1]), 10, 64)
		if err1 != nil || err2 != nil {
			continue // the header: "self [us] | cumulative | imported package"
		}
		name := strings.TrimPrefix(parts[2], " ")
		indent := len(name) - len(strings.TrimLeft(name, " "))
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		out = append(out, ImportTime{Module: name, Level: indent / 2, SelfMicros: self, CumulativeMicros: cum})
	}
	return out, sc.Err()
}

// TopLevel keeps the entries at nesting level 0, in order.
func TopLevel(entries []ImportTime) []ImportTime {
	var out []ImportTime
	for _, e := range entries {
		if e.Level == 0 {
			out = append(out, e)
		}
	}
	return out
}

// WriteImportsText writes the build log's table of import times (nothing
// when r has none).
func WriteImportsText(w io.Writer, r *Report) error {
	im := r.Imports
	if im == nil {
		return nil
	}
	var b bytes.Buffer
	head := "Import times"
	for _, s := range []string{r.Platform, cpython(im.Python)} {
		if s != "" {
			head += ", " + s
		}
	}
	if im.Emulated {
		head += " (EMULATED: not representative of the platform)"
	}
	b.WriteString(head + "\n")
	if len(im.Modules) == 0 {
		b.WriteString("  no module imported by the TESTs\n")
		_, err := w.Write(b.Bytes())
		return err
	}
	rows := [][]string{{"TEST", "MODULE", "PACKAGE", "SELF ms", "CUMULATIVE ms", "MAPPED MiB", "FILES", "EMULATED"}}
	for _, m := range im.Modules {
		pkg := m.Package
		if pkg == "" {
			pkg = "-"
		}
		mib, files := "-", "-"
		if m.Mapped != nil {
			mib = fmt.Sprintf("%.1f", float64(m.Mapped.Bytes)/(1<<20))
			files = strconv.Itoa(m.Mapped.Files)
		}
		rows = append(rows, []string{strconv.Itoa(m.Test), m.Module, pkg, millis(m.SelfMicros), millis(m.CumulativeMicros), mib, files, yesNo(im.Emulated)})
	}
	for _, l := range alignTable(rows, []bool{true, false, false, true, true, true, true, false}) {
		b.WriteString("  " + l + "\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

func cpython(v string) string {
	if v == "" {
		return ""
	}
	return "CPython " + v
}

func millis(us int64) string { return fmt.Sprintf("%.1f", float64(us)/1000) }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// HTML: the "imports" section, after the package table.

type htmlImports struct {
	Note string
	Rows []htmlImportRow
}

type htmlImportRow struct {
	Test                 int
	Module, Package      string
	Self, Cumulative     int64
	SelfText, CumulText  string
	Mapped               int64
	MappedText, FilesTxt string
}

func htmlImportsData(r *Report, _ []FileSize) (any, bool) {
	im := r.Imports
	if im == nil {
		return nil, false
	}
	d := htmlImports{}
	parts := []string{"CPython's -X importtime in the runtime image"}
	if im.Python != "" {
		parts[0] += " (CPython " + im.Python + ")"
	}
	parts = append(parts, "one row per module a TEST imported itself; cumulative includes what it imported in turn; mapped: the layer's files the import mapped into the process")
	if im.Emulated {
		parts = append(parts, "EMULATED: this platform ran under emulation, the times are not representative of it")
	}
	d.Note = strings.Join(parts, "; ") + "."
	for _, m := range im.Modules {
		row := htmlImportRow{Test: m.Test, Module: m.Module, Package: m.Package,
			Self: m.SelfMicros, Cumulative: m.CumulativeMicros,
			SelfText: millis(m.SelfMicros) + " ms", CumulText: millis(m.CumulativeMicros) + " ms",
			Mapped: -1, MappedText: "-", FilesTxt: "-"}
		if m.Mapped != nil {
			row.Mapped = m.Mapped.Bytes
			row.MappedText = humanBytes(m.Mapped.Bytes)
			row.FilesTxt = strconv.Itoa(m.Mapped.Files)
		}
		d.Rows = append(d.Rows, row)
	}
	return d, true
}

const htmlImportsSource = `
{{- define "imports" -}}
<h2>Import times</h2>
<table class="sort">
<thead><tr><th class="n">TEST</th><th>Module</th><th>Package</th><th class="n">Self</th><th class="n">Cumulative</th><th class="n">Mapped</th><th class="n">Files</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr><td class="n" data-v="{{.Test}}">{{.Test}}</td><td>{{.Module}}</td><td>{{.Package}}</td><td class="n" data-v="{{.Self}}">{{.SelfText}}</td><td class="n" data-v="{{.Cumulative}}">{{.CumulText}}</td><td class="n" data-v="{{.Mapped}}">{{.MappedText}}</td><td class="n">{{.FilesTxt}}</td></tr>
{{- end}}
</tbody>
</table>
<p class="note">{{.Note}}</p>
{{end}}`

// AddImportsHTML adds the import-time section of r to a page WriteHTML
// wrote for r without it, where WriteHTML puts it (after the package
// table): the result is what WriteHTML writes for r with its imports. The
// page is the assemble step's, so the files of the treemap need not be
// known again.
func AddImportsHTML(page []byte, r *Report) ([]byte, error) {
	data, ok := htmlImportsData(r, nil)
	if !ok {
		return page, nil
	}
	var sec bytes.Buffer
	if err := htmlTemplates.ExecuteTemplate(&sec, "imports", data); err != nil {
		return nil, err
	}
	at := -1
	for _, mark := range []string{"<h2>Files</h2>", "<h2>Notes</h2>", "<script>"} {
		if i := bytes.Index(page, []byte(mark)); i >= 0 {
			at = i
			break
		}
	}
	if at < 0 {
		return nil, fmt.Errorf("report: AddImportsHTML: not a report.html page")
	}
	out := append([]byte{}, page[:at]...)
	out = append(out, sec.Bytes()...)
	return append(out, page[at:]...), nil
}
