// Package report defines report.json: what went into a layer, per package,
// and the totals against the platform's limits. It is written by the helper
// and read by tests, the CLI and people; its output is deterministic.
package report

import (
	"encoding/json"
	"io"
	"os"
	"sort"
)

// Package is one installed distribution.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Wheel   string `json:"wheel"`
	URL     string `json:"url,omitempty"`
	SHA256  string `json:"sha256"`
	// Files and Bytes are what the installed package holds in the layer.
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
	// ZippedBytes is the size of the package's compressed fragment.
	ZippedBytes int64 `json:"zippedBytes,omitempty"`
	// Strip says what the strip step did (nil when it did not run).
	Strip    *Strip   `json:"strip,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Strip is what the strip step did to one package.
type Strip struct {
	Mode       string `json:"mode"`
	Files      int    `json:"files"`
	SavedBytes int64  `json:"savedBytes"`
	// Skipped are ELF files left untouched, with the reason (unusual
	// layouts such as patchelf'ed libraries).
	Skipped []Skip `json:"skipped,omitempty"`
}

// Skip is one file a step left alone, and why.
type Skip struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Totals are for the whole layer.
type Totals struct {
	Files    int   `json:"files"`
	Unzipped int64 `json:"unzipped"`
	Zipped   int64 `json:"zipped"`
}

// Limits are the platform's size limits (0 = none).
type Limits struct {
	Unzipped int64 `json:"unzipped,omitempty"`
	Zipped   int64 `json:"zipped,omitempty"`
}

// Report is report.json.
type Report struct {
	Schema   string `json:"schema"`
	Platform string `json:"platform"`
	Profile  string `json:"profile"`
	Runtime  string `json:"runtime"`
	// RuntimeImage is the runtime image, pinned by digest, that TEST ran in.
	RuntimeImage string    `json:"runtimeImage,omitempty"`
	Packages     []Package `json:"packages"`
	Totals       Totals    `json:"totals"`
	Limits       Limits    `json:"limits"`
}

// SchemaV1 names this format.
const SchemaV1 = "geolayer.report/v1"

// Sort orders packages by name so output is stable.
func (r *Report) Sort() {
	sort.Slice(r.Packages, func(i, j int) bool { return r.Packages[i].Name < r.Packages[j].Name })
}

// Write writes indented JSON with a trailing newline.
func Write(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// ReadPackage reads one package's JSON.
func ReadPackage(path string) (*Package, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p Package
	return &p, json.Unmarshal(b, &p)
}

// Read reads a report.json.
func Read(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	return &r, json.Unmarshal(b, &r)
}
