// Package pyreq reads Python dependency declarations: PEP 508 requirement
// strings and environment markers, pip requirements files (with hashes) and
// PEP 751 pylock.toml lock files. It does no file or network IO.
package pyreq

import (
	"fmt"
	"strings"

	"github.com/geolayer/geolayer/pkg/pep440"
	"github.com/geolayer/geolayer/pkg/simpleindex"
)

// Requirement is one PEP 508 requirement, optionally with the pip hash
// options that followed it in a requirements file.
type Requirement struct {
	// Name is the normalized project name (PEP 503).
	Name string
	// Extras are the normalized extras, in the order written.
	Extras []string
	// Specifier is the version specifier set in canonical form (no spaces,
	// clauses in the order written), e.g. ">=1.0,<2"; empty if none.
	Specifier string
	// URL is the direct reference after "@", empty if none.
	URL string
	// Marker is the environment marker after ";", trimmed; empty if none.
	Marker string
	// Hashes are the --hash options (any one must match the file).
	Hashes []Hash
	// File and Line locate the requirement in a requirements file (Line is
	// the first physical line of a continued line); zero for strings.
	File string
	Line int
	// Raw is the requirement text as written, without per-requirement
	// options such as --hash.
	Raw string
}

// Hash is an expected file digest: Alg is lowercase ("sha256"), Hex is
// lowercase hex.
type Hash struct {
	Alg string
	Hex string
}

// Pinned returns the version when the requirement is pinned to exactly one
// version with "==X" (or "===X"); "==X.*" and ranges are not pins.
func (r Requirement) Pinned() (version string, ok bool) {
	if r.Specifier == "" {
		return "", false
	}
	set, err := pep440.ParseSpecifierSet(r.Specifier)
	if err != nil || len(set) != 1 {
		return "", false
	}
	sp := set[0]
	if (sp.Op != "==" && sp.Op != "===") || sp.Wildcard {
		return "", false
	}
	return sp.Version, true
}

// String formats the requirement as a PEP 508 string.
func (r Requirement) String() string {
	var b strings.Builder
	b.WriteString(r.Name)
	if len(r.Extras) > 0 {
		b.WriteString("[" + strings.Join(r.Extras, ",") + "]")
	}
	if r.URL != "" {
		b.WriteString(" @ " + r.URL)
		if r.Marker != "" {
			b.WriteString(" ")
		}
	} else {
		b.WriteString(r.Specifier)
	}
	if r.Marker != "" {
		b.WriteString("; " + r.Marker)
	}
	return b.String()
}

// ParseRequirement parses a PEP 508 dependency specifier such as
// `requests[socks]>=2.8.1,==2.8.*; python_version < "3.13"` or
// `pkg @ https://example.com/pkg-1.0-py3-none-any.whl`.
func ParseRequirement(s string) (Requirement, error) {
	r := Requirement{Raw: strings.TrimSpace(s)}
	in := r.Raw
	fail := func(format string, args ...any) (Requirement, error) {
		return Requirement{}, fmt.Errorf("invalid requirement %q: %s", r.Raw, fmt.Sprintf(format, args...))
	}
	// Name.
	n := 0
	for n < len(in) && isNameChar(in[n]) {
		n++
	}
	name := in[:n]
	if name == "" {
		return fail("expected a project name")
	}
	if !simpleindex.ValidName(name) {
		return fail("invalid project name %q", name)
	}
	r.Name = simpleindex.NormalizeName(name)
	in = strings.TrimLeft(in[n:], " \t")
	// Extras.
	if strings.HasPrefix(in, "[") {
		end := strings.IndexByte(in, ']')
		if end < 0 {
			return fail("unterminated extras")
		}
		for _, e := range strings.Split(in[1:end], ",") {
			e = strings.TrimSpace(e)
			if e == "" && strings.TrimSpace(in[1:end]) == "" {
				break // "[]" is allowed
			}
			if !simpleindex.ValidName(e) {
				return fail("invalid extra %q", e)
			}
			r.Extras = append(r.Extras, simpleindex.NormalizeName(e))
		}
		in = strings.TrimLeft(in[end+1:], " \t")
	}
	// Direct reference or version specifier.
	var marker string
	hasMarker := false
	if strings.HasPrefix(in, "@") {
		in = strings.TrimLeft(in[1:], " \t")
		url, rest, _ := strings.Cut(in, " ")
		if i := strings.IndexByte(url, '\t'); i >= 0 {
			url, rest = url[:i], url[i:]+" "+rest
		}
		if url == "" {
			return fail("expected a URL after @")
		}
		if i := strings.LastIndexByte(url, ';'); i >= 0 {
			// packaging reads "url;marker" as one URL. A ';' is fine in
			// a URL, but what follows this one is a marker: refuse the
			// ambiguity rather than fetch a URL ending in a marker.
			if _, err := ParseMarker(url[i+1:]); err == nil {
				return fail("a marker after a URL needs whitespace before ';'")
			}
		}
		if !strings.Contains(url, ":") {
			return fail("%q is not a URL", url)
		}
		r.URL = url
		rest = strings.TrimSpace(rest)
		if rest != "" {
			if !strings.HasPrefix(rest, ";") {
				return fail("unexpected %q after URL", rest)
			}
			marker, hasMarker = rest[1:], true
		}
	} else {
		spec, rest, found := strings.Cut(in, ";")
		marker, hasMarker = rest, found
		spec = strings.TrimSpace(spec)
		if strings.HasPrefix(spec, "(") {
			if !strings.HasSuffix(spec, ")") {
				return fail("unbalanced parentheses in version specifier")
			}
			spec = strings.TrimSpace(spec[1 : len(spec)-1])
		}
		if spec != "" {
			// One trailing comma is allowed (the grammar's version_many,
			// as amended in June 2024, and packaging since 22.0).
			parts := strings.Split(spec, ",")
			if len(parts) > 1 && strings.TrimSpace(parts[len(parts)-1]) == "" {
				parts = parts[:len(parts)-1]
			}
			for _, part := range parts {
				if strings.TrimSpace(part) == "" {
					return fail("empty version specifier clause")
				}
			}
			if err := checkArbitraryClauses(spec); err != nil {
				return fail("%v", err)
			}
			set, err := pep440.ParseSpecifierSet(spec)
			if err != nil {
				return fail("%v", err)
			}
			r.Specifier = set.String()
		}
	}
	if hasMarker {
		r.Marker = strings.TrimSpace(marker)
		if r.Marker == "" {
			return fail("empty marker after ';'")
		}
		if _, err := ParseMarker(r.Marker); err != nil {
			return fail("%v", err)
		}
	}
	return r, nil
}

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

// checkArbitraryClauses applies packaging's tokenizer to "===" clauses: the
// arbitrary text after "===" runs to the next white space, ';' or ')',
// commas included, and only a comma (or the end) may follow it. So
// "===1.0,>=2" is two clauses, but "===1.0, >=2" is refused.
func checkArbitraryClauses(spec string) error {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' }
	for i := 0; ; {
		j := strings.Index(spec[i:], "===")
		if j < 0 {
			return nil
		}
		k := i + j + 3
		for k < len(spec) && isSpace(spec[k]) {
			k++
		}
		for k < len(spec) && !isSpace(spec[k]) && spec[k] != ';' && spec[k] != ')' {
			k++
		}
		m := k
		for m < len(spec) && isSpace(spec[m]) {
			m++
		}
		if m < len(spec) && spec[m] != ',' {
			return fmt.Errorf("%q: the arbitrary version after === runs to the next white space, so what follows it must be a comma", spec[i+j:])
		}
		i = k
	}
}
