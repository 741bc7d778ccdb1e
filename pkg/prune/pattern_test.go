package prune

import (
	"errors"
	"math/rand"
	"path"
	"strconv"
	"strings"
	"testing"
)

// userMatcher compiles Geolayerfile-style rules without the default PRUNE
// rules (the built-in KEEPs stay, as they always do).
func userMatcher(t *testing.T, rules ...Rule) *Matcher {
	t.Helper()
	m, err := Compile(Options{NoDefaults: true, Rules: rules})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return m
}

func pr(p string) Rule { return Rule{Pattern: p, Source: "Geolayerfile:1"} }
func kp(p string) Rule { return Rule{Pattern: p, Keep: true, Source: "Geolayerfile:2"} }

type pathCase struct {
	path  string
	isDir bool
	want  bool
}

func TestPatternSemantics(t *testing.T) {
	tests := []struct {
		pattern string
		cases   []pathCase
	}{
		// Unanchored (no '/' except a trailing one): any depth.
		{"*.pyc", []pathCase{
			{"a.pyc", false, true},
			{"pkg/sub/a.pyc", false, true},
			{"a.pyco", false, false},
			{"a.py", false, false},
			{"pkg/x.pyc/inner.txt", false, true}, // below a matching directory
		}},
		{"foo", []pathCase{
			{"foo", false, true},
			{"x/foo", false, true},
			{"x/foo/y", false, true},
			{"foox", false, false},
			{"x/afoo", false, false},
		}},
		// '*' and '?' do not cross '/'.
		{"pkg/*.txt", []pathCase{
			{"pkg/a.txt", false, true},
			{"pkg/.hidden.txt", false, true},
			{"pkg/sub/a.txt", false, false},
			{"x/pkg/a.txt", false, false}, // a '/' in the middle anchors
		}},
		{"a?c", []pathCase{
			{"abc", false, true},
			{"x/a.c", false, true},
			{"ac", false, false},
			{"abbc", false, false},
		}},
		{"a*/c", []pathCase{
			{"ab/c", false, true},
			{"a/c", false, true},
			{"ab/x/c", false, false},
		}},
		// "**" at the start, in the middle and at the end.
		{"**/tests/", []pathCase{
			{"tests/t.py", false, true},
			{"a/b/tests/t.py", false, true},
			{"a/tests", true, true},
			{"a/tests", false, false}, // a file called tests is no directory
			{"a/tests.py", false, false},
		}},
		{"**/foo", []pathCase{
			{"foo", false, true},
			{"a/b/foo", false, true},
			{"a/b/foo/c", false, true},
		}},
		{"a/**/b", []pathCase{
			{"a/b", false, true},
			{"a/x/b", false, true},
			{"a/x/y/b", false, true},
			{"a/x/y/b/z", false, true},
			{"x/a/b", false, false},
			{"a/bb", false, false},
			{"a/x/bb", false, false},
		}},
		{"a/**", []pathCase{
			{"a/x", false, true},
			{"a/x/y", false, true},
			{"a", false, false},
			{"a", true, false}, // "a/**" is what is inside a, not a itself
			{"b/a/x", false, false},
		}},
		{"**", []pathCase{
			{"x", false, true},
			{"x/y/z", false, true},
		}},
		{"a/**/**/b", []pathCase{{"a/b", false, true}, {"a/x/y/b", false, true}}},
		// Directory-only patterns.
		{"foo/", []pathCase{
			{"foo", false, false},
			{"foo", true, true},
			{"foo/bar", false, true},
			{"x/foo/bar", false, true}, // only a trailing '/': still unanchored
			{"x/foo", false, false},
		}},
		{"a/b/", []pathCase{
			{"a/b", true, true},
			{"a/b/c", false, true},
			{"a/b", false, false},
			{"x/a/b/c", false, false},
		}},
		// Leading '/' anchors.
		{"/foo", []pathCase{
			{"foo", false, true},
			{"foo/bar", false, true},
			{"x/foo", false, false},
		}},
		{"doc/frotz", []pathCase{
			{"doc/frotz", false, true},
			{"a/doc/frotz", false, false},
		}},
		// Character classes.
		{"[abc].py", []pathCase{
			{"a.py", false, true},
			{"c.py", false, true},
			{"d.py", false, false},
			{"ab.py", false, false},
		}},
		{"[!abc].py", []pathCase{{"d.py", false, true}, {"a.py", false, false}}},
		{"[^abc].py", []pathCase{{"d.py", false, true}, {"b.py", false, false}}},
		{"lib[0-9][a-c].so", []pathCase{
			{"lib5b.so", false, true},
			{"lib5d.so", false, false},
			{"libxb.so", false, false},
		}},
		{"[[:digit:]]*.so", []pathCase{{"3d.so", false, true}, {"d3.so", false, false}}},
		{"[[:upper:][:digit:]]x", []pathCase{{"Ax", false, true}, {"7x", false, true}, {"ax", false, false}}},
		{"[]]", []pathCase{{"]", false, true}, {"a", false, false}}},
		{"[a-]", []pathCase{{"-", false, true}, {"a", false, true}, {"b", false, false}}},
		{"[!]]", []pathCase{{"a", false, true}, {"]", false, false}}},
		{`[\]]x`, []pathCase{{"]x", false, true}}},
		{"[é]", []pathCase{{"é", false, true}, {"e", false, false}}},
		// Escapes.
		{`\*.txt`, []pathCase{{"*.txt", false, true}, {"a.txt", false, false}}},
		{`what\?`, []pathCase{{"what?", false, true}, {"whatx", false, false}}},
		{`\[a\]`, []pathCase{{"[a]", false, true}, {"a", false, false}}},
		{`\!important`, []pathCase{{"!important", false, true}, {"important", false, false}}},
		{`\#notacomment`, []pathCase{{"#notacomment", false, true}}},
		// Consecutive stars inside a segment are one star.
		{"foo**bar", []pathCase{
			{"fooXbar", false, true},
			{"foobar", false, true},
			{"foo/bar", false, false},
		}},
		// Runes, not bytes.
		{"?.txt", []pathCase{{"ü.txt", false, true}, {"ab.txt", false, false}}},
		// Literal, case-sensitive.
		{"README", []pathCase{{"README", false, true}, {"readme", false, false}}},
	}
	for _, tc := range tests {
		m := userMatcher(t, pr(tc.pattern))
		for _, c := range tc.cases {
			got, rule := m.Match(c.path, c.isDir)
			if got != c.want {
				t.Errorf("pattern %q, path %q (dir=%v): remove=%v, want %v", tc.pattern, c.path, c.isDir, got, c.want)
			}
			if got && (rule == nil || rule.Pattern != tc.pattern) {
				t.Errorf("pattern %q, path %q: rule = %v", tc.pattern, c.path, rule)
			}
		}
	}
}

func TestInvalidPatterns(t *testing.T) {
	bad := []struct{ pattern, problem string }{
		{"", "empty"},
		{"/", "only '/'"},
		{"[abc", "unclosed '['"},
		{"a[", "unclosed '['"},
		{"[a-", "unclosed '['"},
		{"a//b", "empty path segment"},
		{"../x", `".." segments`},
		{"a/./b", `"." segments`},
		{`foo\`, "trailing backslash"},
		{"[z-a]", "reversed"},
		{"[[:nope:]]", "unknown character class"},
		{"[[:alpha:]", "unclosed"},
		{"[a/b]", "unclosed '['"}, // '/' always separates, even inside [...]
		{"a\xffb", "UTF-8"},
		{strings.Repeat("a/", 70) + "b", "path segments"},
	}
	for _, b := range bad {
		_, err := Compile(Options{Rules: []Rule{{Pattern: b.pattern, Source: "Geolayerfile:7"}}})
		var pe *PatternError
		if !errors.As(err, &pe) {
			t.Errorf("pattern %q: err = %v, want a *PatternError", b.pattern, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, b.problem) {
			t.Errorf("pattern %q: error %q does not say %q", b.pattern, msg, b.problem)
		}
		if b.pattern != "" && !strings.Contains(msg, strconv.Quote(b.pattern)) {
			t.Errorf("pattern %q: error %q does not name the pattern", b.pattern, msg)
		}
		if !strings.Contains(msg, "Geolayerfile:7") {
			t.Errorf("pattern %q: error %q does not name the source line", b.pattern, msg)
		}
	}
	// The same checks apply to KEEP, and '!' is a PRUNE-only prefix.
	_, err := Compile(Options{Rules: []Rule{{Pattern: "[x", Keep: true, Source: "Geolayerfile:3"}}})
	if err == nil || !strings.Contains(err.Error(), `"[x"`) {
		t.Errorf("bad KEEP pattern: err = %v", err)
	}
	_, err = Compile(Options{Rules: []Rule{{Pattern: "!x", Keep: true, Source: "Geolayerfile:4"}}})
	if err == nil || !strings.Contains(err.Error(), `"!x"`) || !strings.Contains(err.Error(), "only allowed in PRUNE") {
		t.Errorf("negated KEEP: err = %v", err)
	}
	_, err = Compile(Options{Presets: []string{"nope"}})
	if err == nil || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "geo") {
		t.Errorf("unknown preset: err = %v", err)
	}
}

// TestSegmentMatchAgainstPathMatch compares the glob matcher with the
// standard library's path.Match on random one-segment patterns both accept
// (path.Match knows no "!" negation, POSIX classes or "**", so those are
// not generated).
func TestSegmentMatchAgainstPathMatch(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	pieces := []string{"a", "b", "c", "*", "?", "[ab]", "[^a]", "[a-c]", `\*`, `\a`, ".", "-", "é"}
	names := []string{"", "a", "b", "c", "ab", "ba", "abc", "cab", "aaa", "*", "a*", ".a", "a.b", "-", "é", "aé", "bbbbbbbbbbba", "abcabcabc"}
	checked := 0
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := 1 + rng.Intn(6); n > 0; n-- {
			b.WriteString(pieces[rng.Intn(len(pieces))])
		}
		p := b.String()
		seg, problem := parseSegment(p)
		if _, err := path.Match(p, ""); err != nil || problem != "" {
			continue
		}
		for _, name := range names {
			want, _ := path.Match(p, name)
			if got := seg.match(name); got != want {
				t.Fatalf("pattern %q, name %q: got %v, path.Match says %v", p, name, got, want)
			}
			checked++
		}
	}
	if checked < 10000 {
		t.Fatalf("only %d comparisons; the generator is broken", checked)
	}
}
