package elfcheck

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Severity says whether a finding stops the layer from working.
type Severity int

const (
	// Error: the file will not load on the platform.
	Error Severity = iota
	// Warning: it loads, but not as the layer intends, or fragilely.
	Warning
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// MarshalText encodes the severity as "error" or "warning".
func (s Severity) MarshalText() ([]byte, error) {
	if s != Error && s != Warning {
		return nil, fmt.Errorf("elfcheck: invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText is the inverse of MarshalText.
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = Error
	case "warning":
		*s = Warning
	default:
		return fmt.Errorf("elfcheck: unknown severity %q", b)
	}
	return nil
}

// Kind classifies a finding.
type Kind string

// Finding kinds.
const (
	// A DT_NEEDED library is found nowhere in the search path (Error).
	KindMissingLibrary Kind = "missing-library"
	// A DT_NEEDED library is only in the runtime image, and Config.Absent
	// says the real platform lacks it (Error).
	KindAbsentOnPlatform Kind = "absent-on-platform"
	// A GLIBC_x.y version need above Config.GlibcCeiling (Error).
	KindGlibcTooNew Kind = "glibc-too-new"
	// A GLIBC_PRIVATE need: ties the file to one glibc build (Warning).
	KindGlibcPrivate Kind = "glibc-private"
	// The library the loader picks does not define a needed symbol version
	// (Error; Warning for weak version needs, which ld.so tolerates).
	KindMissingSymbolVersion Kind = "missing-symbol-version"
	// A soname the layer ships resolves to the runtime's copy (Warning).
	KindShadowed Kind = "shadowed"
	// A loadable ELF for another machine or class (Error).
	KindWrongArchitecture Kind = "wrong-architecture"
	// A file with the ELF magic that cannot be parsed (Error).
	KindMalformed Kind = "malformed-elf"
	// A layer file that cannot be read (Error).
	KindUnreadable Kind = "unreadable"
	// A symbolic link in the layer whose target does not exist at run time
	// (Warning).
	KindBrokenSymlink Kind = "broken-symlink"
)

// Result is the outcome of Check. Files and Findings are sorted (by path;
// findings then by severity, kind and detail) so that equal inputs give
// byte-identical JSON.
type Result struct {
	Files    []File    `json:"files"`
	Findings []Finding `json:"findings"`
}

// File is one loadable ELF object in the layer.
type File struct {
	Path     string       `json:"path"` // slash-separated, relative to Config.LayerRoot
	Soname   string       `json:"soname,omitempty"`
	Needed   []Resolution `json:"needed,omitempty"`    // DT_NEEDED in link order
	MaxGlibc string       `json:"max_glibc,omitempty"` // highest GLIBC_x.y needed, e.g. "2.17"
}

// Resolution is where the loader finds one DT_NEEDED entry.
type Resolution struct {
	Soname string `json:"soname"`
	// Path is the run-time path the loader opens (search directory +
	// soname), "" when not found or provided without a file.
	Path string `json:"path,omitempty"`
	// Real is Path with symbolic links resolved, when different.
	Real string `json:"real,omitempty"`
	// From is the search step that found it: "rpath", "ld_library_path",
	// "runpath", "system", "path" (a DT_NEEDED containing a slash), or
	// "provided" (Config.Provided, or glibc when there is no runtime root).
	// "" when not found.
	From string `json:"from,omitempty"`
}

// Finding is one problem.
type Finding struct {
	Severity Severity `json:"severity"`
	Kind     Kind     `json:"kind"`
	File     string   `json:"file"`              // layer path of the affected file
	Package  string   `json:"package,omitempty"` // Config.Owner(File)
	Detail   string   `json:"detail"`
	Fix      string   `json:"fix,omitempty"`
}

// Errors returns the findings with Severity Error.
func (r *Result) Errors() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Severity == Error {
			out = append(out, f)
		}
	}
	return out
}

func (r *Result) sort() {
	slices.SortFunc(r.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(r.Findings, func(a, b Finding) int {
		return cmp.Or(
			strings.Compare(a.File, b.File),
			cmp.Compare(a.Severity, b.Severity),
			strings.Compare(string(a.Kind), string(b.Kind)),
			strings.Compare(a.Detail, b.Detail),
			strings.Compare(a.Package, b.Package),
			strings.Compare(a.Fix, b.Fix),
		)
	})
	r.Findings = slices.Compact(r.Findings)
}

// WriteText writes a compact human-readable report: a summary line, then
// one line per finding with its fix indented below.
func (r *Result) WriteText(w io.Writer) error {
	var errs, warns int
	for _, f := range r.Findings {
		if f.Severity == Error {
			errs++
		} else {
			warns++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "elfcheck: %d ELF %s, %d %s, %d %s\n", len(r.Files), plural(len(r.Files), "file", "files"),
		errs, plural(errs, "error", "errors"), warns, plural(warns, "warning", "warnings"))
	for _, f := range r.Findings {
		who := f.File
		if f.Package != "" {
			who += " [" + f.Package + "]"
		}
		fmt.Fprintf(&b, "%-7s %s: %s: %s\n", f.Severity, f.Kind, who, f.Detail)
		if f.Fix != "" {
			fmt.Fprintf(&b, "        fix: %s\n", f.Fix)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
