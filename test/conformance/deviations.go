package conformance

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/geolayer/geolayer/pkg/pep440"
	"github.com/geolayer/geolayer/pkg/pyreq"
	"github.com/geolayer/geolayer/pkg/simpleindex"
)

// Rule is one deliberate, documented difference between geolayer and the
// reference packaging release (Debian 12's 23.0). Match decides from the
// case and the two answers whether a mismatch is of this kind; the
// allowlist names the cases, and the test re-checks each against its rule.
// Changelog references are to packaging's CHANGELOG.rst.
type Rule struct {
	ID      string
	Kinds   []string
	Summary string
	Match   func(m Mismatch) bool
}

// Rules, most specific first.
var Rules = []Rule{
	{
		ID:    "non-ascii-letters-digits",
		Kinds: []string{"version", "compare", "specifier", "wheel"},
		Summary: "packaging 23.0 matches versions case-insensitively in Unicode (\"ſ\" is \"s\", \"ı\" is \"i\", the Kelvin sign is \"k\") " +
			"and takes any Unicode digit in a wheel build tag; geolayer takes ASCII only, as packaging does since 26.1 " +
			"(\"Restrict local version to ASCII\", #1102, which made the version and build tag patterns ASCII)",
		Match: func(m Mismatch) bool {
			return refAcceptsMore(m) && anyInput(m, hasNonASCII)
		},
	},
	{
		ID:    "huge-numbers",
		Kinds: []string{"version", "compare", "specifier", "wheel"},
		Summary: "a version number above 2^63-1 (19+ digits) is refused: geolayer keeps version numbers in an int; " +
			"packaging takes Python integers of any size (up to 4300 digits)",
		Match: func(m Mismatch) bool {
			return refAcceptsMore(m) && anyInput(m, hasHugeNumber)
		},
	},
	{
		ID:    "epoch-prefix-match",
		Kinds: []string{"specifier"},
		Summary: "packaging 23.0 ignores or misplaces the epoch in prefix matching (==V.* and the prefix of ~=): fixed in 24.0 " +
			"(\"Do specifier matching correctly when the specifier contains an epoch number and has more components than the version\", #683)",
		Match: func(m Mismatch) bool {
			in := m.Case.Input
			return onlyLettersDiffer(m) && (strings.Contains(in, "~=") || strings.Contains(in, ".*")) &&
				(strings.Contains(in, "!") || differingVersions(m, func(v string) bool { return strings.Contains(v, "!") }))
		},
	},
	{
		ID:    "compatible-unnormalized",
		Kinds: []string{"specifier"},
		Summary: "packaging 23.0 to 26.2 derive the prefix of ~=V from the clause as written (a suffix spelled \"A\", \"Dev\", \"-a\" or \"_r\" " +
			"is taken for a release number); geolayer uses the version's release segment, as 26.3's range engine does " +
			"(\"Implement Specifier and SpecifierSet filtering with the new range engine\", #1120, #1259)",
		Match: func(m Mismatch) bool {
			return onlyLettersDiffer(m) && hasUnnormalizedCompatible(m.Case.Input)
		},
	},
	{
		ID:    "arbitrary-equality-as-written",
		Kinds: []string{"specifier"},
		Summary: "===V compares the version as written (case-insensitively); packaging 23.0 compared its normalized form: " +
			"changed in 26.1 (\"Specifier's === uses original string, not normalized, when available\", #1124)",
		Match: func(m Mismatch) bool {
			if !onlyLettersDiffer(m) {
				return false
			}
			// Each differing version matches an === clause as written or
			// normalized, but not both.
			var arb []string
			for _, part := range strings.Split(m.Case.Input, ",") {
				if t, ok := strings.CutPrefix(strings.TrimSpace(part), "==="); ok {
					arb = append(arb, strings.TrimSpace(t))
				}
			}
			g, r := m.Geolayer.Contains, m.Ref.Contains
			for i, v := range m.Case.Versions {
				if i >= len(g) || g[i] == r[i] {
					continue
				}
				pv, err := pep440.ParseVersion(v)
				if err != nil {
					return false
				}
				explained := false
				for _, t := range arb {
					if strings.EqualFold(pv.String(), t) != strings.EqualFold(strings.TrimSpace(v), t) {
						explained = true
					}
				}
				if !explained {
					return false
				}
			}
			return len(arb) > 0
		},
	},
	{
		ID:    "marker-pep751-sets",
		Kinds: []string{"marker"},
		Summary: "the PEP 751 set-valued markers extras and dependency_groups are unknown to packaging 23.0 (a syntax error); " +
			"added in 25.0 (\"PEP 751: Add support for extras and dependency_groups markers\", #885)",
		Match: func(m Mismatch) bool {
			a := m.Case.Atom
			return a != nil && m.Geolayer.Valid && !m.Ref.Valid &&
				(a.LhsVar && contains(setVars, a.Lhs) || a.RhsVar && contains(setVars, a.Rhs))
		},
	},
	atomRule("marker-string-ordering",
		"<, <=, >, >= on strings (a String field, or a version field whose value or literal is not a version): packaging 23.0 "+
			"compares Python strings (\"aarch64\" < \"x86_64\"); geolayer follows the specification as amended in January 2026 and "+
			"packaging since 26.0 (\"Only try to parse as Version on certain marker keys, return False on unequal ordered comparisons\", #939): "+
			"< and > are false, <= and >= are =="),
	atomRule("marker-string-field-as-version",
		"packaging 23.0 tries every field as a version: on a String field (os_name, platform_machine, extra...) a literal that "+
			"makes a valid specifier makes it parse the field's value as a version, an error for \"x86_64\"; geolayer compares "+
			"strings, as packaging does since 26.0 (#939, above)"),
	atomRule("marker-version-parse-error",
		"a version field (python_full_version, implementation_version, platform_release, platform_version) whose value is not a "+
			"PEP 440 version (\"3.12.0+\", \"6.1.0-18-amd64\") compared with a valid specifier: packaging 23.0 raises InvalidVersion, "+
			"26.0 returns False (\"Return False instead of raising for .contains with invalid version\", #932); geolayer falls back "+
			"to the String rules, as the specification (January 2026) allows for Version fields and recommends for Version | String ones, "+
			"and === is arbitrary (case-insensitive) equality whether or not either side is a version, as the specification says"),
	atomRule("marker-two-variables",
		"a comparison of two variables (os_name == sys_platform): packaging compares the left variable's value with the right "+
			"variable's name; geolayer refuses it (an evaluation error): the grammar means a variable against a literal "+
			"(pypa/packaging.python.org#2055 makes that explicit)"),
	{
		ID:    "marker-trailing-text",
		Kinds: []string{"marker-expr", "requirement"},
		Summary: "packaging 23.0 ignores text after a complete marker (`os_name == \"posix\" \"b\"`, `... )`, `... || ...`); " +
			"fixed in 23.2 (\"Enforce that the entire marker string is parsed\", #687): geolayer refuses it",
		Match: func(m Mismatch) bool {
			return !m.Geolayer.Valid && m.Ref.Valid && trailingTextExplains(m)
		},
	},
	{
		ID:    "name-trailing-underscore",
		Kinds: []string{"requirement"},
		Summary: "a project or extra name ending in '_' (foo_, a._): packaging's tokenizer ([a-zA-Z0-9][a-zA-Z0-9._-]*\\b) " +
			"accepts it, in 23.0 and 26.x alike; geolayer follows PEP 508's name grammar, which ends a name with a letter or digit",
		Match: func(m Mismatch) bool {
			return !m.Geolayer.Valid && m.Ref.Valid && trailingUnderscore.MatchString(m.Case.Input)
		},
	},
	{
		ID:    "url-not-validated",
		Kinds: []string{"requirement"},
		Summary: "packaging 23.0 refuses a direct reference URL without a scheme and a host (file: URLs: unless they survive " +
			"urlunparse(urlparse(url))); 23.2 dropped that check (\"Requirement parsing no longer automatically validates the URL\", #120). " +
			"geolayer only requires a scheme (a ':'), and its frontend takes http and https URLs only",
		Match: func(m Mismatch) bool {
			return m.Geolayer.Valid && !m.Ref.Valid && m.Geolayer.URL != "" && !pyURLValid(m.Geolayer.URL)
		},
	},
	{
		ID:    "url-semicolon-marker",
		Kinds: []string{"requirement"},
		Summary: "`name @ url;marker` (no white space before ';'): packaging reads the marker as part of the URL; geolayer refuses " +
			"it when the text after the ';' is a marker, as the user almost certainly meant one",
		Match: func(m Mismatch) bool {
			if m.Geolayer.Valid || !m.Ref.Valid || m.Ref.URL == "" {
				return false
			}
			i := strings.LastIndexByte(m.Ref.URL, ';')
			if i < 0 {
				return false
			}
			_, err := pyreq.ParseMarker(m.Ref.URL[i+1:])
			return err == nil
		},
	},
	{
		ID:    "wheel-empty-tag-component",
		Kinds: []string{"wheel"},
		Summary: "an empty element in a wheel file name's tag sets (py3..py2, any.): packaging 23.0 makes a tag with an empty " +
			"part; refused since 26.3 (\"Reject empty tag components in parse_wheel_filename() and parse_tag()\", #1234), as here",
		Match: func(m Mismatch) bool {
			if m.Geolayer.Valid || !m.Ref.Valid {
				return false
			}
			for _, t := range m.Ref.Tags {
				for _, p := range strings.Split(t, "-") {
					if p == "" {
						return true
					}
				}
			}
			return false
		},
	},
	{
		ID:    "wheel-empty-name",
		Kinds: []string{"wheel"},
		Summary: "a wheel file name with an empty project name: accepted by packaging 23.0, refused since 26.3 " +
			"(\"Reject an empty project name in the wheel and sdist filename parsers\", #1305), as here",
		Match: func(m Mismatch) bool {
			return !m.Geolayer.Valid && m.Ref.Valid && m.Ref.Name == "" && strings.HasPrefix(m.Case.Input, "-")
		},
	},
	{
		ID:    "wheel-space-control",
		Kinds: []string{"wheel"},
		Summary: "geolayer refuses wheel file names with white space or control characters anywhere (packaging strips the " +
			"version's surrounding white space and keeps the rest of a build tag after a line break); file names come from " +
			"indexes and end up in paths and reports",
		Match: func(m Mismatch) bool {
			return !m.Geolayer.Valid && m.Ref.Valid && strings.IndexFunc(m.Case.Input, func(r rune) bool {
				return unicode.IsSpace(r) || unicode.IsControl(r)
			}) >= 0
		},
	},
}

// atomRule is a rule for single marker comparisons, decided by py23Atom.
func atomRule(id, summary string) Rule {
	return Rule{ID: id, Kinds: []string{"marker"}, Summary: summary, Match: func(m Mismatch) bool {
		rules, ok := explainAtom(m)
		return ok && rules[id]
	}}
}

// refAcceptsMore: packaging answers where geolayer refuses (the whole case
// or some versions of a specifier case), and nothing else differs.
func refAcceptsMore(m Mismatch) bool {
	g, r := m.Geolayer, m.Ref
	if !g.Valid && r.Valid {
		return true
	}
	if g.Valid && r.Valid && len(g.Contains) == len(r.Contains) && g.Contains != r.Contains {
		for i := range g.Contains {
			if g.Contains[i] != r.Contains[i] && g.Contains[i] != 'E' {
				return false
			}
		}
		return true
	}
	if m.Case.Kind == "wheel" && g.Valid && r.Valid && strings.HasPrefix(g.Version, "unparsable") {
		return true
	}
	return false
}

// anyInput reports whether f holds for the case's input, other version, or
// one of the versions whose answers differ.
func anyInput(m Mismatch, f func(string) bool) bool {
	if f(m.Case.Input) || f(m.Case.Other) {
		return true
	}
	return differingVersions(m, f)
}

func differingVersions(m Mismatch, f func(string) bool) bool {
	g, r := m.Geolayer.Contains, m.Ref.Contains
	for i, v := range m.Case.Versions {
		if i < len(g) && i < len(r) && g[i] != r[i] && f(v) {
			return true
		}
	}
	return false
}

func onlyLettersDiffer(m Mismatch) bool {
	g, r := m.Geolayer, m.Ref
	g.Contains, r.Contains = "", ""
	return g.Key() == r.Key()
}

func hasNonASCII(s string) bool {
	for _, r := range s {
		if r > 0x7f {
			return true
		}
	}
	return false
}

var (
	digitRun           = regexp.MustCompile(`[0-9]{19,}`)
	trailingUnderscore = regexp.MustCompile(`[A-Za-z0-9][A-Za-z0-9._-]*_(?:$|[^A-Za-z0-9._-])`)
)

func hasHugeNumber(s string) bool {
	for _, d := range digitRun.FindAllString(s, -1) {
		if _, err := strconv.ParseInt(strings.TrimLeft(d, "0"), 10, 64); err != nil && strings.TrimLeft(d, "0") != "" {
			return true
		}
	}
	return false
}

// hasUnnormalizedCompatible reports a ~= clause whose version is not
// written in normalized form.
func hasUnnormalizedCompatible(spec string) bool {
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if !strings.HasPrefix(part, "~=") {
			continue
		}
		text := strings.TrimSpace(part[2:])
		v, err := pep440.ParseVersion(text)
		if err == nil && v.String() != text {
			return true
		}
	}
	return false
}

// trailingTextExplains: some prefix of the marker (the requirement's
// marker) parses, and evaluates as packaging evaluated the whole.
func trailingTextExplains(m Mismatch) bool {
	text := m.Case.Input
	if m.Case.Kind == "requirement" {
		_, after, ok := strings.Cut(text, ";")
		if !ok {
			return false
		}
		text = after
	}
	envs := EnvsFor(m.Case.Kind)
	for i := len(text) - 1; i > 0; i-- {
		mk, err := pyreq.ParseMarker(text[:i])
		if err != nil {
			continue
		}
		var b strings.Builder
		for _, env := range envs {
			ok, err := mk.Eval(env)
			b.WriteString(letter(ok, err))
		}
		if b.String() == m.Ref.Eval {
			return true
		}
	}
	return false
}

// pyURLValid is packaging 23.0's URL check: urllib.parse.urlparse(url) has
// a scheme and a netloc, or the scheme is file and urlunparse gives the URL
// back; a lone '[' or ']' in the netloc is a ValueError.
func pyURLValid(u string) bool {
	scheme, rest, ok := strings.Cut(u, ":")
	if !ok || scheme == "" || !isLetter(scheme[0]) || strings.TrimFunc(scheme, func(r rune) bool {
		return r < 0x80 && (isLetter(byte(r)) || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')
	}) != "" {
		return false
	}
	if !strings.HasPrefix(rest, "//") {
		return false
	}
	netloc := rest[2:]
	if i := strings.IndexAny(netloc, "/?#"); i >= 0 {
		netloc = netloc[:i]
	}
	if strings.Contains(netloc, "[") != strings.Contains(netloc, "]") {
		return false
	}
	if strings.EqualFold(scheme, "file") {
		// urlunparse drops an empty query or fragment.
		if strings.HasSuffix(rest, "?") || strings.HasSuffix(rest, "#") || strings.Contains(rest, "?#") {
			return false
		}
		return true
	}
	return netloc != ""
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// specAtom is the comparison as geolayer means to evaluate it: the
// specification's rules as amended in January 2026 (packaging 26.x), with
// packaging's errors for ~= and === on strings and geolayer's refusal of
// comparisons without exactly one variable.
func specAtom(a *Atom, env map[string]string) string {
	if a.LhsVar == a.RhsVar {
		return "E"
	}
	var key string
	lhs, rhs := a.Lhs, a.Rhs
	if a.LhsVar {
		key, lhs = canonicalVar(a.Lhs), env[canonicalVar(a.Lhs)]
	} else {
		key, rhs = canonicalVar(a.Rhs), env[canonicalVar(a.Rhs)]
	}
	if key == "extra" {
		lhs, rhs = simpleindex.NormalizeName(lhs), simpleindex.NormalizeName(rhs)
	}
	if (contains(versionVars, key) || contains(vsVars, key)) && a.Op != "in" && a.Op != "not in" {
		v, verr := pep440.ParseVersion(lhs)
		sp, serr := pep440.ParseSpecifier(a.Op + rhs)
		if serr == nil && sp.Op == "===" {
			return boolLetter(strings.EqualFold(lhs, sp.Version)) // arbitrary equality
		}
		if verr == nil && serr == nil {
			return boolLetter(sp.Contains(v))
		}
	}
	switch a.Op {
	case "==", "<=", ">=":
		return boolLetter(lhs == rhs)
	case "!=":
		return boolLetter(lhs != rhs)
	case "in":
		return boolLetter(strings.Contains(rhs, lhs))
	case "not in":
		return boolLetter(!strings.Contains(rhs, lhs))
	case "<", ">":
		return "F"
	}
	return "E"
}

// explainAtom checks every environment in which the two sides evaluate a
// single comparison differently against packaging 23.0's evaluation as
// modelled by py23Atom: ok when the model gives packaging's answer each
// time, with the rules involved.
func explainAtom(m Mismatch) (map[string]bool, bool) {
	a := m.Case.Atom
	g, r := m.Geolayer, m.Ref
	if a == nil || !g.Valid || !r.Valid || len(g.Eval) != len(r.Eval) {
		return nil, false
	}
	envs := EnvsFor(m.Case.Kind)
	rules := map[string]bool{}
	for i := range g.Eval {
		if g.Eval[i] == r.Eval[i] {
			continue
		}
		l, rule := py23Atom(a, envs[i])
		if l != r.Eval[i:i+1] || rule == "" || specAtom(a, envs[i]) != g.Eval[i:i+1] {
			return nil, false
		}
		rules[rule] = true
	}
	return rules, len(rules) > 0
}

// canonicalVar is the environment key packaging 23.0 looks a marker
// variable up by (dots become underscores; python_implementation is
// platform_python_implementation).
func canonicalVar(v string) string {
	v = strings.ReplaceAll(v, ".", "_")
	if v == "python_implementation" {
		return "platform_python_implementation"
	}
	return v
}

// py23Atom evaluates a comparison as packaging 23.0's markers.py does, and
// names the rule when its path differs from geolayer's.
func py23Atom(a *Atom, env map[string]string) (letter, rule string) {
	var lhs, rhs, key string
	switch {
	case a.LhsVar && a.RhsVar && canonicalVar(a.Rhs) == "extra":
		// Marker() replaces the other side of the first comparison
		// with extra by a literal: its normalized variable name.
		key, lhs, rhs = "extra", canonicalVar(a.Lhs), env["extra"]
		rule = "marker-two-variables"
	case a.LhsVar:
		key = canonicalVar(a.Lhs)
		lhs = env[key]
		rhs = a.Rhs
		if a.RhsVar { // the right variable's name, as a string
			rhs = canonicalVar(a.Rhs)
			rule = "marker-two-variables"
		}
	case a.RhsVar:
		key = canonicalVar(a.Rhs)
		lhs, rhs = a.Lhs, env[key]
	default:
		return "E", "" // the right literal is looked up as a variable
	}
	if key == "extra" {
		lhs, rhs = simpleindex.NormalizeName(lhs), simpleindex.NormalizeName(rhs)
	}
	setRule := func(r string) {
		if rule == "" {
			rule = r
		}
	}
	isString := !contains(versionVars, key) && !contains(vsVars, key)
	if sp, err := pep440.ParseSpecifier(a.Op + rhs); err == nil && a.Op != "in" && a.Op != "not in" {
		v, err := pep440.ParseVersion(lhs)
		if isString {
			setRule("marker-string-field-as-version")
		}
		if err != nil {
			setRule("marker-version-parse-error")
			return "E", rule
		}
		if sp.Op == "===" {
			return boolLetter(strings.EqualFold(v.String(), sp.Version)), rule
		}
		return boolLetter(sp.Contains(v)), rule
	}
	switch a.Op {
	case "==":
		return boolLetter(lhs == rhs), rule
	case "!=":
		return boolLetter(lhs != rhs), rule
	case "in":
		return boolLetter(strings.Contains(rhs, lhs)), rule
	case "not in":
		return boolLetter(!strings.Contains(rhs, lhs)), rule
	case "<":
		setRule("marker-string-ordering")
		return boolLetter(lhs < rhs), rule
	case "<=":
		setRule("marker-string-ordering")
		return boolLetter(lhs <= rhs), rule
	case ">":
		setRule("marker-string-ordering")
		return boolLetter(lhs > rhs), rule
	case ">=":
		setRule("marker-string-ordering")
		return boolLetter(lhs >= rhs), rule
	}
	return "E", rule // ~= and === have no string meaning
}

func boolLetter(b bool) string {
	if b {
		return "T"
	}
	return "F"
}
