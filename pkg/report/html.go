package report

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/geolayer/geolayer/pkg/report/treemap"
)

// The page report.html: WriteHTML runs the templates (html_template.go)
// with the data of each section (html_sections.go, html_treemap.go,
// imports.go); package colours are in colour.go, the treemap's layout in
// pkg/report/treemap.

// FileSize is one file of the layer, for the treemap of WriteHTML (see
// treemap.File). The treemap draws a Shared file in stripes of the
// colours of the packages holding it.
type FileSize = treemap.File

// WriteHTML writes report.html: one self-contained page (inline CSS and a
// few lines of optional JavaScript; no external scripts, styles, fonts or
// images) with the build's platform, profile and runtime, the totals
// against the limits, the package table (as WriteText's: what each package
// alone holds, shares adding up to 100%, what removing it saves, and the
// groups of files several packages share), a treemap of files (nil files
// leave the treemap out; shared files are striped) and the notes, grouped
// (GroupNotes), each with its per-file detail in a collapsed <details>.
// The treemap is laid out by pkg/report/treemap and drawn as inline SVG,
// so the page reads the same with JavaScript disabled. It shows at most
// treemapMaxCells files; smaller ones are grouped per directory. The
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

func htmlTitle(r *Report) string {
	parts := []string{"Layer report"}
	for _, s := range []string{r.Platform, r.Profile, r.Runtime} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " · ")
}
