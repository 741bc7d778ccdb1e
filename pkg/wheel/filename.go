package wheel

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/geolayer/geolayer/pkg/pep440"
)

// Filename is a parsed wheel filename
// ({distribution}-{version}(-{build tag})?-{python}-{abi}-{platform}.whl).
type Filename struct {
	// Name is the distribution name normalized per PEP 503 (NormalizeName),
	// as the packaging library's parse_wheel_filename returns it.
	Name string
	// Version is the version exactly as it appears in the filename.
	Version string
	// Build is the optional build tag ("" when absent). It always starts
	// with a digit; see ParseBuildTag and CompareBuildTags.
	Build string
	// Tags is the expansion of the (possibly compressed) tag triple,
	// lowercased, de-duplicated, in python x abi x platform order.
	Tags []Tag
}

// FilenameError reports a malformed wheel filename.
type FilenameError struct {
	Filename string
	Reason   string
}

func (e *FilenameError) Error() string {
	return fmt.Sprintf("invalid wheel filename %q: %s", e.Filename, e.Reason)
}

var buildTagRe = regexp.MustCompile(`^([0-9]+)(.*)$`)

// ParseFilename parses a wheel filename (a base name, not a path or URL).
// It follows the binary distribution format specification and the checks of
// packaging's parse_wheel_filename: a ".whl" suffix, four or five '-'
// separated components, a name made of letters, digits, '_' and '.' without
// "__" (letters and digits in Python's sense: any script, numerals such as
// "²" included), a PEP 440 version, a build tag starting with an ASCII
// digit, and non-empty dot-separated tag sets (any characters: packaging
// does not restrict them), which are expanded to their cartesian product.
// Unlike packaging it refuses path separators, white space and control
// characters anywhere in the name, and empty tag components (as packaging
// does since 26.3).
func ParseFilename(name string) (Filename, error) {
	fail := func(format string, args ...any) (Filename, error) {
		return Filename{}, &FilenameError{Filename: name, Reason: fmt.Sprintf(format, args...)}
	}
	if strings.ContainsAny(name, "/\\\x00") {
		return fail("must be a base name without path separators or NUL")
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		return fail("contains white space or a control character (%q)", []rune(name[i:])[0])
	}
	stem, ok := strings.CutSuffix(name, ".whl")
	if !ok {
		return fail("missing .whl suffix")
	}
	parts := strings.Split(stem, "-")
	if len(parts) != 5 && len(parts) != 6 {
		return fail("want 5 or 6 '-'-separated components ({name}-{version}(-{build})?-{python}-{abi}-{platform}), got %d", len(parts))
	}
	rawName, version := parts[0], parts[1]
	if rawName == "" {
		return fail("empty distribution name")
	}
	if strings.Contains(rawName, "__") {
		return fail("distribution name %q contains \"__\"", rawName)
	}
	for _, r := range rawName {
		if r != '_' && r != '.' && !unicode.IsLetter(r) && !unicode.IsNumber(r) {
			return fail("distribution name %q contains %q (allowed: letters, digits, '_', '.')", rawName, r)
		}
	}
	// version has no white space (refused above) and no '-' (split on).
	if !pep440.Valid(version) {
		return fail("version %q is not a valid PEP 440 version", version)
	}
	f := Filename{Name: NormalizeName(rawName), Version: version}
	if len(parts) == 6 {
		f.Build = parts[2]
		if !buildTagRe.MatchString(f.Build) {
			return fail("build tag %q must start with a digit", f.Build)
		}
	}
	n := len(parts)
	tags, err := expandTags(parts[n-3], parts[n-2], parts[n-1])
	if err != nil {
		return fail("%v", err)
	}
	f.Tags = tags
	return f, nil
}

// expandTags expands a compressed tag triple (each component may be a
// '.'-separated set) into the cartesian product, lowercased and de-duplicated.
func expandTags(py, abi, plat string) ([]Tag, error) {
	split := func(what, s string) ([]string, error) {
		if s == "" {
			return nil, fmt.Errorf("empty %s tag", what)
		}
		items := strings.Split(strings.ToLower(s), ".")
		for _, it := range items {
			if it == "" {
				return nil, fmt.Errorf("empty element in %s tag set %q", what, s)
			}
		}
		return items, nil
	}
	pys, err := split("python", py)
	if err != nil {
		return nil, err
	}
	abis, err := split("abi", abi)
	if err != nil {
		return nil, err
	}
	plats, err := split("platform", plat)
	if err != nil {
		return nil, err
	}
	seen := make(map[Tag]bool, len(pys)*len(abis)*len(plats))
	var out []Tag
	for _, x := range pys {
		for _, y := range abis {
			for _, z := range plats {
				t := Tag{Python: x, ABI: y, Platform: z}
				if !seen[t] {
					seen[t] = true
					out = append(out, t)
				}
			}
		}
	}
	return out, nil
}

// NormalizeName returns the PEP 503 normalized form of a project name: runs
// of '-', '_' and '.' become a single '-', and the result is lowercased.
func NormalizeName(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' || c == '.' {
			sep = true
			continue
		}
		if sep {
			b.WriteByte('-')
			sep = false
		}
		b.WriteByte(c)
	}
	if sep {
		b.WriteByte('-')
	}
	return strings.ToLower(b.String())
}

// ParseBuildTag splits a build tag into its leading decimal number (leading
// zeros removed, "0" for all zeros) and the remaining suffix, per the spec's
// `(\d+)(.*)`. ok is false for "" (no build tag) and for tags not starting
// with a digit. The number is kept as a string so arbitrarily long numbers
// compare correctly.
func ParseBuildTag(build string) (num, suffix string, ok bool) {
	m := buildTagRe.FindStringSubmatch(build)
	if m == nil {
		return "", "", false
	}
	num = strings.TrimLeft(m[1], "0")
	if num == "" {
		num = "0"
	}
	return num, m[2], true
}

// CompareBuildTags orders build tags as the specification sorts them: an
// absent (or unparsable) build tag sorts as the empty tuple, before any
// present tag; present tags compare as (int(number), suffix). It returns -1,
// 0 or +1.
func CompareBuildTags(a, b string) int {
	an, as, aok := ParseBuildTag(a)
	bn, bs, bok := ParseBuildTag(b)
	switch {
	case !aok && !bok:
		return 0
	case !aok:
		return -1
	case !bok:
		return 1
	}
	if len(an) != len(bn) {
		if len(an) < len(bn) {
			return -1
		}
		return 1
	}
	if c := strings.Compare(an, bn); c != 0 {
		return c
	}
	return strings.Compare(as, bs)
}
