package pep440

// PEP 440 version specifiers ("Version specifiers" section of
// https://packaging.python.org/en/latest/specifications/version-specifiers/).

import (
	"fmt"
	"strings"
)

// Specifier is one clause of a specifier set, e.g. ">=3.9" or "!=3.0.*".
type Specifier struct {
	Op string // one of ~= == != <= >= < > ===
	// Version is the version text after the operator, without a ".*" suffix.
	Version string
	// Wildcard is true for "==X.*" and "!=X.*".
	Wildcard bool

	v Version // parsed Version (unused for ===)
}

// SpecifierSet is a comma-separated list of specifiers that must all match.
// The empty set matches every version.
type SpecifierSet []Specifier

// operators, longest first so that prefixes do not shadow longer ones.
var operators = []string{"===", "~=", "==", "!=", "<=", ">=", "<", ">"}

// ParseSpecifier parses a single clause such as ">= 3.9" or "==3.*".
func ParseSpecifier(s string) (Specifier, error) {
	s = TrimPySpace(s)
	var sp Specifier
	for _, op := range operators {
		if strings.HasPrefix(s, op) {
			sp.Op = op
			break
		}
	}
	if sp.Op == "" {
		return sp, fmt.Errorf("invalid specifier %q: missing comparison operator", s)
	}
	ver := TrimPySpace(s[len(sp.Op):])
	if sp.Op == "===" {
		// Arbitrary equality takes any text without white space, ';' or
		// ')', even none (packaging's regular expression: [^\s;)]*).
		if strings.IndexFunc(ver, func(r rune) bool { return IsPySpace(r) || r == ';' || r == ')' }) >= 0 {
			return sp, fmt.Errorf("invalid specifier %q", s)
		}
		sp.Version = ver
		return sp, nil
	}
	if ver == "" || strings.IndexFunc(ver, func(r rune) bool { return IsPySpace(r) || r == ',' || r == ';' }) >= 0 {
		return sp, fmt.Errorf("invalid specifier %q", s)
	}
	if strings.HasSuffix(ver, ".*") {
		if sp.Op != "==" && sp.Op != "!=" {
			return sp, fmt.Errorf("invalid specifier %q: .* is only allowed with == and !=", s)
		}
		sp.Wildcard = true
		ver = strings.TrimSuffix(ver, ".*")
	}
	v, err := ParseVersion(ver)
	if err != nil {
		return sp, fmt.Errorf("invalid specifier %q: %w", s, err)
	}
	switch {
	case sp.Wildcard && (v.Pre != "" || v.Post || v.Dev || len(v.Local) > 0):
		// Prefix matching only makes sense on epoch + release.
		return sp, fmt.Errorf("invalid specifier %q: wildcard after a non-release segment", s)
	case sp.Op == "~=" && len(v.Release) < 2:
		return sp, fmt.Errorf("invalid specifier %q: ~= needs at least two release segments", s)
	case len(v.Local) > 0 && sp.Op != "==" && sp.Op != "!=":
		return sp, fmt.Errorf("invalid specifier %q: local versions are only allowed with == and !=", s)
	}
	sp.Version, sp.v = ver, v
	return sp, nil
}

// ParseSpecifierSet parses a comma-separated specifier set. Empty items (as
// in a trailing comma, seen in real-world requires-python metadata) are
// ignored.
func ParseSpecifierSet(s string) (SpecifierSet, error) {
	var set SpecifierSet
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		sp, err := ParseSpecifier(part)
		if err != nil {
			return nil, err
		}
		set = append(set, sp)
	}
	return set, nil
}

// String returns the clause in canonical form (no spaces).
func (s Specifier) String() string {
	if s.Wildcard {
		return s.Op + s.Version + ".*"
	}
	return s.Op + s.Version
}

// String joins the clauses with commas.
func (s SpecifierSet) String() string {
	parts := make([]string, len(s))
	for i, sp := range s {
		parts[i] = sp.String()
	}
	return strings.Join(parts, ",")
}

// Contains reports whether v satisfies every clause. Pre-releases are not
// filtered out: callers that want PEP 440's default pre-release exclusion
// must apply it themselves.
func (s SpecifierSet) Contains(v Version) bool {
	for _, sp := range s {
		if !sp.Contains(v) {
			return false
		}
	}
	return true
}

// ContainsString parses version and reports whether the set contains it.
// "===" clauses compare against version as written (case-insensitively),
// as arbitrary equality requires (and packaging does since 26.1; 23.0
// compared the normalized version).
func (s SpecifierSet) ContainsString(version string) (bool, error) {
	v, err := ParseVersion(version)
	if err != nil {
		return false, err
	}
	for _, sp := range s {
		if sp.Op == "===" {
			if !strings.EqualFold(TrimPySpace(version), sp.Version) {
				return false, nil
			}
		} else if !sp.Contains(v) {
			return false, nil
		}
	}
	return true, nil
}

// Contains reports whether v satisfies the clause.
func (s Specifier) Contains(v Version) bool {
	switch s.Op {
	case "===":
		// Without the original text, compare with the normalized form;
		// SpecifierSet.ContainsString compares the text as written.
		return strings.EqualFold(s.Version, v.String())
	case "==":
		return s.equal(v)
	case "!=":
		return !s.equal(v)
	case "~=":
		// ~=X.Y.Z is >=X.Y.Z, ==X.Y.*
		prefix := Specifier{Op: "==", Wildcard: true, v: Version{Epoch: s.v.Epoch, Release: s.v.Release[:len(s.v.Release)-1]}}
		return v.Public().Compare(s.v) >= 0 && prefix.equal(v)
	case "<=":
		return v.Public().Compare(s.v) <= 0
	case ">=":
		return v.Public().Compare(s.v) >= 0
	case "<":
		if v.Public().Compare(s.v) >= 0 {
			return false
		}
		// <V excludes pre-releases of V itself unless V is one.
		return s.v.IsPrerelease() || !v.IsPrerelease() || v.Base().Compare(s.v.Base()) != 0
	case ">":
		if v.Public().Compare(s.v) <= 0 {
			return false
		}
		// >V excludes post-releases of V unless V is one, and local versions of V.
		if !s.v.IsPostrelease() && v.IsPostrelease() && v.Base().Compare(s.v.Base()) == 0 {
			return false
		}
		return len(v.Local) == 0 || v.Base().Compare(s.v.Base()) != 0
	}
	return false
}

func (s Specifier) equal(v Version) bool {
	if s.Wildcard {
		if v.Epoch != s.v.Epoch {
			return false
		}
		for i, n := range s.v.Release {
			if at(v.Release, i) != n {
				return false
			}
		}
		return true
	}
	if len(s.v.Local) == 0 {
		v = v.Public()
	}
	return v.Compare(s.v) == 0
}

// SatisfiesRequiresPython reports whether a Python version such as "3.13" or
// "3.13.1" satisfies a Requires-Python specifier set such as ">=3.9,<4". An
// empty spec is always satisfied.
func SatisfiesRequiresPython(spec, pythonVersion string) (bool, error) {
	v, err := ParseVersion(pythonVersion)
	if err != nil {
		return false, fmt.Errorf("python version: %w", err)
	}
	set, err := ParseSpecifierSet(spec)
	if err != nil {
		return false, fmt.Errorf("requires-python: %w", err)
	}
	return set.Contains(v), nil
}
