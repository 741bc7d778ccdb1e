package pep440

// Fuzzers for the versions and specifier sets indexes and users write
// (Requires-Python, requirement specifiers, pins). `make fuzz` runs them
// all; one alone:
//
//	go test ./pkg/pep440/ -run '^$' -fuzz '^FuzzParseSpecifierSet$' -fuzztime 60s

import (
	"regexp"
	"strings"
	"testing"
)

// longNumber matches a run of digits that may not fit in an int64.
var longNumber = regexp.MustCompile(`[0-9]{19}`)

// FuzzParseVersion: the normalized form of a version parses to an equal
// version, and makes a specifier; Valid agrees with ParseVersion on the
// text without surrounding white space, unless a number is too large for
// ParseVersion.
func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{
		"1.0", "1!2.0rc1.post2.dev3+abc.1", "v1.0-1", "1.0+", "", "1..0",
		"1.0.post_", "1.1pre-", " 1.0 ", "1.0-", "1.0rev", "1.0preview.1-dev",
		"99999999999999999999", "1.0+abc-def_1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if trimmed := TrimPySpace(s); Valid(trimmed) != (err == nil) && !longNumber.MatchString(trimmed) {
			t.Errorf("Valid(%q) = %v, ParseVersion: %v", trimmed, Valid(trimmed), err)
		}
		if err != nil {
			return
		}
		// The normalized form parses to an equal version.
		w, err := ParseVersion(v.String())
		if err != nil || v.Compare(w) != 0 || w.String() != v.String() {
			t.Errorf("%q -> %q -> %q, %v", s, v, w, err)
		}
		if _, err := ParseSpecifierSet(">=" + v.Public().String()); err != nil {
			t.Errorf("specifier from %q: %v", s, err)
		}
	})
}

// FuzzParseSpecifierSet: a set that parses round-trips through String();
// Contains agrees with ContainsString, with the re-parsed set and with its
// clauses one by one; "==" and "!=" of the same version are complements,
// ">=V" excludes "<V" and "<=V" excludes ">V", and "~=V" is ">=V" with
// "==prefix.*".
func FuzzParseSpecifierSet(f *testing.F) {
	for _, s := range [][2]string{
		{">=3.9", "3.13"}, {">= 3.9", "3.10"}, {">=3.8, <4", "4.0"}, {"<4", "4.0rc1"},
		{"<4.0rc2", "4.0rc1"}, {">3.8", "3.8.post1"}, {">3.8.post1", "3.8.post2"},
		{">3.8", "3.8+local"}, {"<=3.12", "3.12.5"}, {"!=3.0.*,!=3.1.*,!=3.2.*,>=2.7", "3.2.5"},
		{"==3.13.0.*", "3.13"}, {"~=3.10", "4.0"}, {"~=3.10.2", "3.10.5"}, {"~=1!2.0rc1", "1!2.5"},
		{"==1.0+local", "1.0+LOCAL"}, {"!=1.0+abc.1", "1.0"}, {"===1.0", "1.0"}, {"===foobar", "1.0"},
		{">=3.8,", "3.9"}, {"", "1.0"}, {">=", "1"}, {"~=1", "1"}, {">=1.0+x", "1"}, {"==1.0a1.*", "1"},
		{"<2!1.0.dev3", "2!1.0a1"}, {">=v1.0-1", "1.0.post1"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, spec, version string) {
		set, err := ParseSpecifierSet(spec)
		if err != nil {
			return
		}
		canon := set.String()
		set2, err := ParseSpecifierSet(canon)
		if err != nil || set2.String() != canon || len(set2) != len(set) {
			t.Fatalf("%q -> %q -> %q, %v", spec, canon, set2, err)
		}
		v, err := ParseVersion(version)
		if err != nil {
			if _, err := set.ContainsString(version); err == nil {
				t.Fatalf("ContainsString(%q) accepts an invalid version", version)
			}
			return
		}
		got := set.Contains(v)
		if set2.Contains(v) != got {
			t.Fatalf("%q and its String() %q disagree on %q", spec, canon, version)
		}
		all, arbitrary := true, false
		for _, sp := range set {
			all = all && sp.Contains(v)
			arbitrary = arbitrary || sp.Op == "==="
		}
		if all != got {
			t.Fatalf("%q contains %q = %v, but its clauses give %v", spec, version, got, all)
		}
		if !arbitrary {
			if cs, err := set.ContainsString(version); err != nil || cs != got {
				t.Fatalf("%q: Contains(%q) = %v, ContainsString = %v, %v", spec, version, got, cs, err)
			}
		}
		clause := func(s string) Specifier {
			sp, err := ParseSpecifier(s)
			if err != nil {
				t.Fatalf("%q parses, %q does not: %v", spec, s, err)
			}
			return sp
		}
		for _, sp := range set {
			text := strings.TrimPrefix(sp.String(), sp.Op)
			in := sp.Contains(v)
			switch sp.Op {
			case "==", "!=":
				other := map[string]string{"==": "!=", "!=": "=="}[sp.Op]
				if clause(other+text).Contains(v) == in {
					t.Fatalf("%s and %s%s agree on %q (%v)", sp, other, text, version, in)
				}
			case ">=", "<":
				other := map[string]string{">=": "<", "<": ">="}[sp.Op]
				if in && clause(other+text).Contains(v) {
					t.Fatalf("both %s and %s%s contain %q", sp, other, text, version)
				}
			case "<=", ">":
				other := map[string]string{"<=": ">", ">": "<="}[sp.Op]
				if in && clause(other+text).Contains(v) {
					t.Fatalf("both %s and %s%s contain %q", sp, other, text, version)
				}
			case "~=":
				prefix := Version{Epoch: sp.v.Epoch, Release: sp.v.Release[:len(sp.v.Release)-1]}
				eq := mustSpecifierSet(t, ">="+text+",=="+prefix.String()+".*")
				if eq.Contains(v) != in {
					t.Fatalf("%s contains %q = %v, %s = %v", sp, version, in, eq, !in)
				}
			}
		}
	})
}

// mustSpecifierSet parses s or fails the test.
func mustSpecifierSet(t *testing.T, s string) SpecifierSet {
	t.Helper()
	set, err := ParseSpecifierSet(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return set
}
