package prune

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Rule is one PRUNE or KEEP pattern.
type Rule struct {
	// Pattern is a gitignore-style pattern relative to site-packages. In a
	// PRUNE rule (Keep false) a leading '!' turns the rule into a KEEP.
	Pattern string `json:"pattern"`
	// Keep makes the rule a KEEP: matching files are never removed by
	// PRUNE rules (see the package documentation for built-in KEEPs).
	Keep bool `json:"keep,omitempty"`
	// Source says where the rule comes from: "default", "preset geo",
	// "Geolayerfile:12".
	Source string `json:"source"`
	// Reason says why a built-in rule exists. For a built-in KEEP it is
	// also the warning shown when a user PRUNE removes a protected file.
	Reason string `json:"reason,omitempty"`
	// Projects limits the rule to these projects (PEP 503 normalized
	// names, path.Match globs); empty means every project. Options.Package
	// selects the project.
	Projects []string `json:"projects,omitempty"`
	// Except turns the rule off for these projects (same syntax).
	Except []string `json:"except,omitempty"`
	// NoCodeBelow limits a directory rule to directories without Python
	// code at any depth (no .py, .pyc, .so or .pyd file), so an importable
	// package that happens to be called docs or examples (botocore.docs,
	// imported by botocore.client) is never removed. Only Plan, Copy and
	// Decide with a hasCode function can apply such a rule; Match, which
	// sees paths only, never does.
	NoCodeBelow bool `json:"no_code_below,omitempty"`
}

// String renders the rule for messages: `PRUNE "*.pyc" (default)`.
func (r *Rule) String() string {
	if r == nil {
		return "<none>"
	}
	verb := "PRUNE"
	if r.Keep {
		verb = "KEEP"
	}
	return fmt.Sprintf("%s %q (%s)", verb, r.Pattern, r.Source)
}

// Options selects the rules for one package.
type Options struct {
	// Rules are the Geolayerfile's PRUNE (Keep false) and KEEP (Keep true)
	// patterns, in file order.
	Rules []Rule
	// NoDefaults turns off the default PRUNE rules (PRUNE --no-defaults).
	// The built-in KEEPs stay.
	NoDefaults bool
	// Presets adds preset rule sets: "geo", "geo-cli".
	Presets []string
	// Bytecode keeps __pycache__ directories and .pyc/.pyo files (BYTECODE).
	Bytecode bool
	// Package is the project name of the package being pruned (normalized
	// here per PEP 503). It selects project-specific rules such as the
	// tests allow-list.
	Package string
}

type tier uint8

const (
	tierBuiltinPrune tier = iota // default and preset PRUNE rules
	tierProtect                  // built-in KEEPs: beat built-in PRUNEs only
	tierUserPrune                // Geolayerfile PRUNE
	tierUserKeep                 // Geolayerfile KEEP and PRUNE !pattern: beat everything
)

type compiled struct {
	rule  *Rule
	pat   *pattern
	tier  tier
	index int
}

// Matcher decides file by file. It is safe for concurrent use.
type Matcher struct {
	rules   []*compiled
	pkg     string
	byRule  map[*Rule]int
	builtin []Rule // copies of the selected built-in rules
	user    []Rule // copies of Options.Rules (negations normalized)
}

// PatternError reports an invalid pattern.
type PatternError struct {
	Pattern string
	Source  string
	Problem string
}

func (e *PatternError) Error() string {
	if e.Source != "" {
		return fmt.Sprintf("invalid pattern %q (%s): %s", e.Pattern, e.Source, e.Problem)
	}
	return fmt.Sprintf("invalid pattern %q: %s", e.Pattern, e.Problem)
}

var nonNormal = regexp.MustCompile(`[-_.]+`)

// NormalizeName returns the PEP 503 normalized project name.
func NormalizeName(name string) string {
	return strings.ToLower(nonNormal.ReplaceAllString(strings.TrimSpace(name), "-"))
}

// Compile validates the rules and builds a Matcher. Built-in rules come
// first (defaults, then presets in the given order), then Options.Rules.
func Compile(o Options) (*Matcher, error) {
	m := &Matcher{pkg: NormalizeName(o.Package), byRule: map[*Rule]int{}}
	var builtin []Rule
	builtin = append(builtin, protectRules...)
	if !o.NoDefaults {
		for _, r := range defaultRules {
			if o.Bytecode && bytecodePatterns[r.Pattern] {
				continue
			}
			builtin = append(builtin, r)
		}
	}
	seen := map[string]bool{}
	for _, name := range o.Presets {
		p, ok := presets[name]
		if !ok {
			return nil, fmt.Errorf("unknown prune preset %q (known: %s)", name, strings.Join(PresetNames(), ", "))
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		builtin = append(builtin, p...)
	}
	for _, r := range builtin {
		ok, err := appliesTo(&r, m.pkg)
		if err != nil {
			return nil, err
		}
		if ok {
			m.builtin = append(m.builtin, r)
		}
	}
	for _, r := range o.Rules {
		r.Projects = slices.Clone(r.Projects)
		r.Except = slices.Clone(r.Except)
		if strings.HasPrefix(r.Pattern, "!") {
			if r.Keep {
				return nil, &PatternError{Pattern: r.Pattern, Source: r.Source, Problem: "'!' negation is only allowed in PRUNE; a KEEP pattern is already a negation"}
			}
			r.Pattern = r.Pattern[1:]
			r.Keep = true
		}
		ok, err := appliesTo(&r, m.pkg)
		if err != nil {
			return nil, err
		}
		if ok {
			m.user = append(m.user, r)
		}
	}
	add := func(r *Rule, t tier) error {
		pat, problem := parsePattern(r.Pattern)
		if problem != "" {
			return &PatternError{Pattern: r.Pattern, Source: r.Source, Problem: problem}
		}
		if r.NoCodeBelow && !pat.dirOnly {
			return &PatternError{Pattern: r.Pattern, Source: r.Source, Problem: "NoCodeBelow needs a directory pattern (trailing '/')"}
		}
		c := &compiled{rule: r, pat: pat, tier: t, index: len(m.rules)}
		m.byRule[r] = c.index
		m.rules = append(m.rules, c)
		return nil
	}
	for i := range m.builtin {
		r := &m.builtin[i]
		t := tierBuiltinPrune
		if r.Keep {
			t = tierProtect
		}
		if err := add(r, t); err != nil {
			return nil, err
		}
	}
	for i := range m.user {
		r := &m.user[i]
		t := tierUserPrune
		if r.Keep {
			t = tierUserKeep
		}
		if err := add(r, t); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func appliesTo(r *Rule, pkg string) (bool, error) {
	for _, list := range [][]string{r.Projects, r.Except} {
		for _, p := range list {
			if _, err := path.Match(p, ""); err != nil {
				return false, fmt.Errorf("rule %s: bad project glob %q", r, p)
			}
		}
	}
	if len(r.Projects) > 0 && !matchAny(r.Projects, pkg) {
		return false, nil
	}
	return !matchAny(r.Except, pkg), nil
}

func matchAny(globs []string, name string) bool {
	if name == "" {
		return false
	}
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// Rules returns the active rules in evaluation order: built-in KEEPs,
// default and preset PRUNEs (filtered for the package), then the
// Geolayerfile rules.
func (m *Matcher) Rules() []*Rule {
	out := make([]*Rule, len(m.rules))
	for i, c := range m.rules {
		out[i] = c.rule
	}
	return out
}

// Decision is the verdict for one path.
type Decision struct {
	// Remove is true when the path is to be removed.
	Remove bool
	// Rule is the PRUNE rule that removes the path, or, when a PRUNE rule
	// matched but the path stays, the KEEP rule that saved it. It is nil
	// when no PRUNE rule applies.
	Rule *Rule
	// Protected is set when a user PRUNE removes a path that a built-in
	// KEEP protects from the built-in rules; its Reason is the warning.
	Protected *Rule
}

// Match decides relpath (slash-separated, relative to site-packages) from
// its path alone: it returns whether the path is removed and the rule that
// decided (see Decision.Rule). For a directory, remove means the directory
// itself is matched; files below it that a KEEP matches stay (use
// SubtreeRemovable to ask whether nothing below can be kept). Rules with
// NoCodeBelow never apply here.
func (m *Matcher) Match(relpath string, isDir bool) (remove bool, rule *Rule) {
	d := m.Decide(relpath, isDir, nil)
	return d.Remove, d.Rule
}

// Decide is Match with knowledge of the tree: hasCode reports whether a
// directory (slash-separated relative path) holds Python code at any
// depth. With a nil hasCode, NoCodeBelow rules do not apply.
func (m *Matcher) Decide(relpath string, isDir bool, hasCode func(dir string) bool) Decision {
	segs := splitPath(relpath)
	if len(segs) == 0 {
		return Decision{}
	}
	return m.decide(segs, isDir, hasCode)
}

func splitPath(p string) []string {
	p = path.Clean("/" + strings.TrimPrefix(p, "./"))
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}

// matches reports whether the rule matches the path or one of its parent
// directories.
func (c *compiled) matches(segs []string, isDir bool, hasCode func(string) bool) bool {
	n := len(segs)
	hit, _ := c.pat.run(segs, func(k int) bool {
		if c.pat.dirOnly && k == n && !isDir {
			return false
		}
		if c.rule.NoCodeBelow {
			if hasCode == nil || hasCode(strings.Join(segs[:k], "/")) {
				return false
			}
		}
		return true
	})
	return hit
}

func (m *Matcher) decide(segs []string, isDir bool, hasCode func(string) bool) Decision {
	var builtinPrune, protect, userPrune, userKeep *compiled
	for _, c := range m.rules {
		switch c.tier {
		case tierBuiltinPrune:
			if builtinPrune != nil {
				continue
			}
		case tierProtect:
			if protect != nil {
				continue
			}
		case tierUserPrune:
			if userPrune != nil {
				continue
			}
		case tierUserKeep:
			if userKeep != nil {
				continue
			}
		}
		if !c.matches(segs, isDir, hasCode) {
			continue
		}
		switch c.tier {
		case tierBuiltinPrune:
			builtinPrune = c
		case tierProtect:
			protect = c
		case tierUserPrune:
			userPrune = c
		case tierUserKeep:
			userKeep = c
		}
	}
	switch {
	case builtinPrune == nil && userPrune == nil:
		return Decision{}
	case userKeep != nil:
		return Decision{Rule: userKeep.rule}
	case userPrune != nil && (protect != nil || builtinPrune == nil):
		// A user PRUNE removes even protected files (with a warning). When
		// a built-in PRUNE would remove the file anyway, it gets the credit:
		// built-in rules come first.
		d := Decision{Remove: true, Rule: userPrune.rule}
		if protect != nil {
			d.Protected = protect.rule
		}
		return d
	case protect != nil:
		return Decision{Rule: protect.rule}
	default:
		return Decision{Remove: true, Rule: builtinPrune.rule}
	}
}

// SubtreeRemovable reports whether the directory dir is matched by a PRUNE
// rule and no KEEP rule can match it or anything below it, so that the
// whole directory can go without looking inside. It is conservative: a
// false answer means "look at the files".
func (m *Matcher) SubtreeRemovable(dir string) bool {
	segs := splitPath(dir)
	if len(segs) == 0 {
		return false
	}
	d := m.decide(segs, true, nil)
	if !d.Remove {
		return false
	}
	// Below a directory removed by a built-in rule, built-in KEEPs can save
	// files; below one removed by a user rule only user KEEPs can.
	byBuiltin := m.rules[m.byRule[d.Rule]].tier == tierBuiltinPrune
	for _, c := range m.rules {
		if c.tier == tierUserKeep || (c.tier == tierProtect && byBuiltin) {
			if c.couldMatchAtOrBelow(segs) {
				return false
			}
		}
	}
	return true
}

// couldMatchAtOrBelow reports whether the pattern can match dir itself, a
// parent of it, or some path below it.
func (c *compiled) couldMatchAtOrBelow(segs []string) bool {
	hit, live := c.pat.run(segs, func(int) bool { return true })
	if hit {
		return true
	}
	// Any live state that is not final can still go on matching below.
	final := uint64(1) << uint(len(c.pat.segs))
	return live&^final != 0
}
