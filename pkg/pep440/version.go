package pep440

// Version parsing and ordering
// (https://packaging.python.org/en/latest/specifications/version-specifiers/).

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Version is a parsed PEP 440 version. The zero value is not a valid version;
// use ParseVersion.
type Version struct {
	Epoch   int
	Release []int
	// Pre is the pre-release phase ("a", "b" or "rc"), empty if none.
	Pre    string
	PreNum int
	// Post is true for post-releases (".postN", "-N", "revN"...).
	Post    bool
	PostNum int
	// Dev is true for developmental releases (".devN").
	Dev    bool
	DevNum int
	// Local holds the local version label segments (after "+"), each either
	// a decimal number or a lowercase alphanumeric string.
	Local []string
}

// InvalidVersionError reports a string that is not a PEP 440 version.
type InvalidVersionError struct{ Input string }

func (e *InvalidVersionError) Error() string {
	return fmt.Sprintf("invalid PEP 440 version %q", e.Input)
}

// ParseVersion parses s as a PEP 440 version, accepting the spellings the
// spec lists under "Normalization" (case, leading "v", alternate separators
// and phase names, implicit numbers, implicit post releases), as packaging's
// Version does: surrounding whitespace is ignored (Python's \s, which also
// counts U+001C..U+001F), a phase word may end in a separator with no number
// ("1.1pre-" is 1.1rc0), and letters are ASCII only (packaging >= 26.1; older
// releases also took "ſ" for "s" and "K" for "k"). Numbers must fit in an
// int: larger ones are refused (packaging takes any size).
func ParseVersion(s string) (Version, error) {
	p := verParser{s: asciiLower(TrimPySpace(s))}
	v, ok := p.parse()
	if !ok {
		return Version{}, &InvalidVersionError{Input: s}
	}
	return v, nil
}

// TrimPySpace trims what Python's str.strip() and a regular expression's
// \s trim: Unicode white space, and U+001C..U+001F.
func TrimPySpace(s string) string {
	return strings.TrimFunc(s, IsPySpace)
}

// IsPySpace reports whether Python's str.isspace() is true for r.
func IsPySpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}

// asciiLower lowercases ASCII letters only (strings.ToLower would also turn
// the Kelvin sign into "k").
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

type verParser struct {
	s   string
	pos int
}

func (p *verParser) rest() string { return p.s[p.pos:] }

func (p *verParser) digits() (int, bool) {
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	if start == p.pos {
		return 0, false
	}
	n, err := strconv.Atoi(p.s[start:p.pos])
	if err != nil { // overflow
		return 0, false
	}
	return n, true
}

// sep consumes one optional separator among "._-" and reports whether it did.
func (p *verParser) sep() bool {
	if p.pos < len(p.s) && strings.IndexByte("._-", p.s[p.pos]) >= 0 {
		p.pos++
		return true
	}
	return false
}

// word consumes the longest of words found at the current position.
func (p *verParser) word(words ...string) (string, bool) {
	best := ""
	for _, w := range words {
		if len(w) > len(best) && strings.HasPrefix(p.rest(), w) {
			best = w
		}
	}
	if best == "" {
		return "", false
	}
	p.pos += len(best)
	return best, true
}

// optNum parses "[sep][N]" after a phase word; the number defaults to 0.
// A separator with no number after it belongs to the phase, as in
// packaging's regular expression ("1.1pre-", "1.0.post_").
func (p *verParser) optNum() (int, bool) {
	p.sep()
	if p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		return p.digits()
	}
	return 0, true
}

func (p *verParser) parse() (Version, bool) {
	var v Version
	if strings.HasPrefix(p.s, "v") {
		p.pos++
	}
	// Epoch or first release segment.
	n, ok := p.digits()
	if !ok {
		return v, false
	}
	if strings.HasPrefix(p.rest(), "!") {
		p.pos++
		v.Epoch = n
		if n, ok = p.digits(); !ok {
			return v, false
		}
	}
	v.Release = append(v.Release, n)
	for strings.HasPrefix(p.rest(), ".") {
		save := p.pos
		p.pos++
		n, ok := p.digits()
		if !ok {
			p.pos = save
			break
		}
		v.Release = append(v.Release, n)
	}
	// Pre-release.
	save := p.pos
	p.sep()
	if w, ok := p.word("a", "alpha", "b", "beta", "c", "rc", "pre", "preview"); ok {
		switch w {
		case "a", "alpha":
			v.Pre = "a"
		case "b", "beta":
			v.Pre = "b"
		default:
			v.Pre = "rc"
		}
		if v.PreNum, ok = p.optNum(); !ok {
			return v, false
		}
	} else {
		p.pos = save
	}
	// Post-release: "-N" (implicit) or [sep](post|rev|r)[sep][N].
	save = p.pos
	if strings.HasPrefix(p.rest(), "-") {
		p.pos++
		if n, ok := p.digits(); ok {
			v.Post, v.PostNum = true, n
		} else {
			p.pos = save
		}
	}
	if !v.Post {
		p.sep()
		if _, ok := p.word("post", "rev", "r"); ok {
			v.Post = true
			if v.PostNum, ok = p.optNum(); !ok {
				return v, false
			}
		} else {
			p.pos = save
		}
	}
	// Dev release.
	save = p.pos
	p.sep()
	if _, ok := p.word("dev"); ok {
		v.Dev = true
		if v.DevNum, ok = p.optNum(); !ok {
			return v, false
		}
	} else {
		p.pos = save
	}
	// Local version label.
	if strings.HasPrefix(p.rest(), "+") {
		p.pos++
		local, ok := parseLocal(p.rest())
		if !ok {
			return v, false
		}
		v.Local = local
		p.pos = len(p.s)
	}
	return v, p.pos == len(p.s)
}

// String returns the normalized form of the version.
func (v Version) String() string {
	var b strings.Builder
	if v.Epoch != 0 {
		fmt.Fprintf(&b, "%d!", v.Epoch)
	}
	b.WriteString(v.releaseString())
	if v.Pre != "" {
		fmt.Fprintf(&b, "%s%d", v.Pre, v.PreNum)
	}
	if v.Post {
		fmt.Fprintf(&b, ".post%d", v.PostNum)
	}
	if v.Dev {
		fmt.Fprintf(&b, ".dev%d", v.DevNum)
	}
	if len(v.Local) > 0 {
		b.WriteString("+" + strings.Join(v.Local, "."))
	}
	return b.String()
}

// parseLocal splits a local version label into its segments; segments are
// alphanumeric and separated by single ".", "-" or "_". Numeric segments
// are normalized as numbers ("007" is "7"), as packaging does.
func parseLocal(label string) ([]string, bool) {
	var segs []string
	start := 0
	for i := 0; i <= len(label); i++ {
		if i < len(label) {
			c := label[i]
			if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
				continue
			}
			if c != '.' && c != '-' && c != '_' {
				return nil, false
			}
		}
		if i == start {
			return nil, false // empty segment
		}
		seg := label[start:i]
		if isDigits(seg) {
			seg = strings.TrimLeft(seg, "0")
			if seg == "" {
				seg = "0"
			}
		}
		segs = append(segs, seg)
		start = i + 1
	}
	return segs, true
}

func (v Version) releaseString() string {
	parts := make([]string, len(v.Release))
	for i, n := range v.Release {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ".")
}

// Public returns the version without its local label.
func (v Version) Public() Version {
	v.Local = nil
	return v
}

// Base returns the epoch and release segment only.
func (v Version) Base() Version {
	return Version{Epoch: v.Epoch, Release: v.Release}
}

// IsPrerelease reports whether v is a pre-release or a developmental release.
func (v Version) IsPrerelease() bool { return v.Pre != "" || v.Dev }

// IsPostrelease reports whether v is a post-release.
func (v Version) IsPostrelease() bool { return v.Post }

// Compare orders v and w per PEP 440: -1 if v < w, 0 if equal, +1 if v > w.
// Trailing zeros in the release segment are insignificant (1.0 == 1.0.0).
func (v Version) Compare(w Version) int {
	if c := cmp.Compare(v.Epoch, w.Epoch); c != 0 {
		return c
	}
	for i := 0; i < max(len(v.Release), len(w.Release)); i++ {
		if c := cmp.Compare(at(v.Release, i), at(w.Release, i)); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(v.preKey(), w.preKey()); c != 0 {
		return c
	}
	if v.Pre != "" && v.Pre == w.Pre {
		if c := cmp.Compare(v.PreNum, w.PreNum); c != 0 {
			return c
		}
	}
	if c := cmpFlagNum(v.Post, v.PostNum, w.Post, w.PostNum, false); c != 0 {
		return c
	}
	if c := cmpFlagNum(v.Dev, v.DevNum, w.Dev, w.DevNum, true); c != 0 {
		return c
	}
	return compareLocal(v.Local, w.Local)
}

// preKey ranks the pre-release phase. A bare dev release (1.0.dev0) sorts
// before any pre-release of the same release; a final release after all.
func (v Version) preKey() int {
	switch {
	case v.Pre == "a":
		return 1
	case v.Pre == "b":
		return 2
	case v.Pre == "rc":
		return 3
	case v.Dev && !v.Post:
		return 0
	default:
		return 4
	}
}

// cmpFlagNum compares optional numbered segments. For post releases absence
// sorts first; for dev releases (absentHigh) absence sorts last.
func cmpFlagNum(a bool, an int, b bool, bn int, absentHigh bool) int {
	switch {
	case a && b:
		return cmp.Compare(an, bn)
	case a == b:
		return 0
	}
	c := 1 // a present, b absent, absence low
	if absentHigh {
		c = -1
	}
	if !a {
		c = -c
	}
	return c
}

func compareLocal(a, b []string) int {
	for i := 0; i < min(len(a), len(b)); i++ {
		an, aNum := localNum(a[i])
		bn, bNum := localNum(b[i])
		var c int
		switch {
		case aNum && bNum:
			c = compareDigits(an, bn)
		case aNum: // numeric segments sort after alphanumeric ones
			c = 1
		case bNum:
			c = -1
		default:
			c = strings.Compare(a[i], b[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// localNum returns a numeric segment without leading zeros; ok is false for
// alphanumeric segments.
func localNum(s string) (string, bool) {
	if !isDigits(s) {
		return "", false
	}
	if t := strings.TrimLeft(s, "0"); t != "" {
		return t, true
	}
	return "0", true
}

// compareDigits compares two decimal numbers without leading zeros.
func compareDigits(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func at(s []int, i int) int {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// CompareVersions parses a and b and compares them per PEP 440.
func CompareVersions(a, b string) (int, error) {
	va, err := ParseVersion(a)
	if err != nil {
		return 0, err
	}
	vb, err := ParseVersion(b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb), nil
}
