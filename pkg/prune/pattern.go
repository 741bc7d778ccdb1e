package prune

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxSegments bounds the number of path segments in one pattern; the
// matcher keeps its state set in a uint64.
const maxSegments = 62

// pattern is one compiled gitignore-style pattern.
type pattern struct {
	segs    []segment
	dirOnly bool // trailing '/': matches directories only
}

// segment is one '/'-separated part of a pattern.
type segment struct {
	star2   bool   // the whole segment is "**"
	literal string // set when the segment has no wildcard: compare directly
	toks    []token
}

type tokKind uint8

const (
	tokRune  tokKind = iota
	tokAny           // ?
	tokStar          // *
	tokClass         // [...]
)

type token struct {
	kind tokKind
	r    rune
	cls  *class
}

type class struct {
	negate bool
	ranges []runeRange
	posix  []func(rune) bool
}

type runeRange struct{ lo, hi rune }

func (c *class) match(r rune) bool {
	in := false
	for _, rg := range c.ranges {
		if rg.lo <= r && r <= rg.hi {
			in = true
			break
		}
	}
	if !in {
		for _, f := range c.posix {
			if f(r) {
				in = true
				break
			}
		}
	}
	return in != c.negate
}

// parsePattern compiles p, which must not carry the PRUNE negation prefix
// any more. It returns a reason when p is invalid.
func parsePattern(p string) (*pattern, string) {
	if p == "" {
		return nil, "the pattern is empty"
	}
	pat := &pattern{}
	if strings.HasSuffix(p, "/") && !escapedAt(p, len(p)-1) {
		pat.dirOnly = true
		p = p[:len(p)-1]
		if p == "" {
			return nil, "the pattern is only '/'"
		}
	}
	anchored := false
	if strings.HasPrefix(p, "/") {
		anchored = true
		p = p[1:]
		if p == "" {
			return nil, "the pattern is only '/'"
		}
	}
	parts := splitUnescaped(p)
	if len(parts) > 1 {
		anchored = true
	}
	var segs []segment
	for _, part := range parts {
		switch part {
		case "":
			return nil, "empty path segment ('//', or a leading or trailing '/' too many)"
		case ".", "..":
			return nil, fmt.Sprintf("%q segments are not allowed; patterns are relative to site-packages", part)
		case "**":
			if len(segs) > 0 && segs[len(segs)-1].star2 {
				continue // "**/**" is the same as "**"
			}
			segs = append(segs, segment{star2: true})
			continue
		}
		seg, problem := parseSegment(part)
		if problem != "" {
			return nil, problem
		}
		segs = append(segs, seg)
	}
	if !anchored && !segs[0].star2 {
		segs = append([]segment{{star2: true}}, segs...)
	}
	if len(segs) > maxSegments {
		return nil, fmt.Sprintf("more than %d path segments", maxSegments)
	}
	pat.segs = segs
	return pat, ""
}

// escapedAt reports whether the byte at i is preceded by an odd number of
// backslashes.
func escapedAt(s string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// splitUnescaped splits at '/'. A backslash never escapes a '/': like git,
// a '/' is always a separator.
func splitUnescaped(p string) []string { return strings.Split(p, "/") }

func parseSegment(s string) (segment, string) {
	var toks []token
	literal := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\\':
			if i+size >= len(s) {
				return segment{}, "trailing backslash escapes nothing"
			}
			r2, size2 := utf8.DecodeRuneInString(s[i+size:])
			toks = append(toks, token{kind: tokRune, r: r2})
			i += size + size2
			continue
		case '?':
			literal = false
			toks = append(toks, token{kind: tokAny})
		case '*':
			literal = false
			if n := len(toks); n == 0 || toks[n-1].kind != tokStar {
				toks = append(toks, token{kind: tokStar})
			}
		case '[':
			literal = false
			cls, n, problem := parseClass(s[i:])
			if problem != "" {
				return segment{}, problem
			}
			toks = append(toks, token{kind: tokClass, cls: cls})
			i += n
			continue
		default:
			if r == utf8.RuneError && size == 1 {
				return segment{}, "not valid UTF-8"
			}
			toks = append(toks, token{kind: tokRune, r: r})
		}
		i += size
	}
	if literal {
		var b strings.Builder
		for _, t := range toks {
			b.WriteRune(t.r)
		}
		return segment{literal: b.String()}, ""
	}
	return segment{toks: toks}, ""
}

var posixClasses = map[string]func(rune) bool{
	"alnum":  func(r rune) bool { return isAlpha(r) || isDigit(r) },
	"alpha":  isAlpha,
	"blank":  func(r rune) bool { return r == ' ' || r == '\t' },
	"cntrl":  func(r rune) bool { return r < 0x20 || r == 0x7f },
	"digit":  isDigit,
	"graph":  func(r rune) bool { return r > 0x20 && r < 0x7f },
	"lower":  func(r rune) bool { return r >= 'a' && r <= 'z' },
	"print":  func(r rune) bool { return r >= 0x20 && r < 0x7f },
	"punct":  func(r rune) bool { return r > 0x20 && r < 0x7f && !isAlpha(r) && !isDigit(r) },
	"space":  func(r rune) bool { return r == ' ' || (r >= '\t' && r <= '\r') },
	"upper":  func(r rune) bool { return r >= 'A' && r <= 'Z' },
	"xdigit": func(r rune) bool { return isDigit(r) || (r >= 'a' && r <= 'f') || (r >= 'A' && r <= 'F') },
}

func isAlpha(r rune) bool { return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') }
func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// parseClass parses a bracket expression at the start of s ("[...]") and
// returns it with the number of bytes consumed.
func parseClass(s string) (*class, int, string) {
	c := &class{}
	i := 1
	if i < len(s) && (s[i] == '!' || s[i] == '^') {
		c.negate = true
		i++
	}
	first := true
	for {
		if i >= len(s) {
			return nil, 0, "unclosed '[' character class"
		}
		if s[i] == ']' && !first {
			i++
			break
		}
		first = false
		if strings.HasPrefix(s[i:], "[:") {
			end := strings.Index(s[i+2:], ":]")
			if end < 0 {
				return nil, 0, "unclosed '[:' in a character class"
			}
			name := s[i+2 : i+2+end]
			f, ok := posixClasses[name]
			if !ok {
				return nil, 0, fmt.Sprintf("unknown character class [:%s:]", name)
			}
			c.posix = append(c.posix, f)
			i += 2 + end + 2
			continue
		}
		lo, n, problem := classRune(s, i)
		if problem != "" {
			return nil, 0, problem
		}
		i += n
		hi := lo
		if i+1 < len(s) && s[i] == '-' && s[i+1] != ']' {
			var n2 int
			hi, n2, problem = classRune(s, i+1)
			if problem != "" {
				return nil, 0, problem
			}
			i += 1 + n2
			if hi < lo {
				return nil, 0, fmt.Sprintf("character range %c-%c is reversed", lo, hi)
			}
		}
		c.ranges = append(c.ranges, runeRange{lo, hi})
	}
	return c, i, ""
}

func classRune(s string, i int) (rune, int, string) {
	n := 0
	if s[i] == '\\' {
		if i+1 >= len(s) {
			return 0, 0, "unclosed '[' character class"
		}
		i++
		n = 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size == 1 {
		return 0, 0, "not valid UTF-8"
	}
	return r, n + size, ""
}

// matchSegment reports whether one path segment (no '/') matches seg.
func (seg *segment) match(name string) bool {
	if seg.star2 {
		return true
	}
	if seg.toks == nil {
		return seg.literal == name
	}
	return matchToks(seg.toks, name)
}

// matchToks is a glob matcher with single-star backtracking: on a mismatch
// it retries from the most recent '*' with one more rune consumed, which is
// enough because later stars subsume earlier choices.
func matchToks(toks []token, name string) bool {
	ti, ni := 0, 0
	starTi, starNi := -1, 0
	for {
		if ti < len(toks) {
			t := toks[ti]
			if t.kind == tokStar {
				starTi, starNi = ti, ni
				ti++
				continue
			}
			if ni < len(name) {
				r, size := utf8.DecodeRuneInString(name[ni:])
				ok := false
				switch t.kind {
				case tokRune:
					ok = r == t.r
				case tokAny:
					ok = true
				case tokClass:
					ok = t.cls.match(r)
				}
				if ok {
					ti++
					ni += size
					continue
				}
			}
		} else if ni == len(name) {
			return true
		}
		if starTi < 0 || starNi >= len(name) {
			return false
		}
		_, size := utf8.DecodeRuneInString(name[starNi:])
		starNi += size
		ti, ni = starTi+1, starNi
	}
}

// run feeds path segments through the pattern's automaton. State i means
// "pattern segments before i have been matched". It calls accept(k) for
// every k (1..len(path)) at which the first k path segments match the
// whole pattern, stopping early if accept returns true, and reports the
// live state set after all of path (for "could anything below match").
func (p *pattern) run(path []string, accept func(k int) bool) (stop bool, live uint64) {
	m := len(p.segs)
	final := uint64(1) << uint(m)
	states := p.closure(1)
	for k, name := range path {
		var next uint64
		for i := 0; i < m; i++ {
			if states&(1<<uint(i)) == 0 {
				continue
			}
			s := &p.segs[i]
			if s.star2 {
				next |= 1 << uint(i)
				if i == m-1 {
					next |= final // trailing "**" needs at least one segment
				}
				continue
			}
			if s.match(name) {
				next |= 1 << uint(i+1)
			}
		}
		states = p.closure(next)
		if states == 0 {
			return false, 0
		}
		if states&final != 0 && accept != nil && accept(k+1) {
			return true, states
		}
	}
	return false, states
}

// closure adds the states reachable by letting a non-final "**" match
// nothing.
func (p *pattern) closure(states uint64) uint64 {
	m := len(p.segs)
	for i := 0; i < m-1; i++ {
		if states&(1<<uint(i)) != 0 && p.segs[i].star2 {
			states |= 1 << uint(i+1)
		}
	}
	return states
}
