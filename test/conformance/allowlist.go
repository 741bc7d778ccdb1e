package conformance

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Report sorts the mismatches of one run by deviation rule.
type Report struct {
	Mismatches  []Mismatch
	ByRule      map[string][]Mismatch
	RuleOf      map[string]string // case id -> rule id
	Unexplained []Mismatch
}

// Classify gives each mismatch the first rule that explains it.
func Classify(mm []Mismatch) *Report {
	rep := &Report{Mismatches: mm, ByRule: map[string][]Mismatch{}, RuleOf: map[string]string{}}
	for _, m := range mm {
		if r := ruleFor(m); r != nil {
			rep.ByRule[r.ID] = append(rep.ByRule[r.ID], m)
			rep.RuleOf[m.Case.ID] = r.ID
		} else {
			rep.Unexplained = append(rep.Unexplained, m)
		}
	}
	return rep
}

func ruleFor(m Mismatch) *Rule {
	for i := range Rules {
		r := &Rules[i]
		if r.applies(m) {
			return r
		}
	}
	return nil
}

func (r *Rule) applies(m Mismatch) bool {
	return contains(r.Kinds, m.Case.Kind) && r.Match(m)
}

// RuleByID returns the rule with that id, or nil.
func RuleByID(id string) *Rule {
	for i := range Rules {
		if Rules[i].ID == id {
			return &Rules[i]
		}
	}
	return nil
}

// AllowlistPath is the committed allowlist.
func AllowlistPath() string { return filepath.Join(Dir(), "allowlist.txt") }

// AllowlistReference is the packaging version allowlist.txt was made
// against (its "# reference: packaging X" line).
func AllowlistReference() string {
	b, err := os.ReadFile(AllowlistPath())
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "# reference: packaging "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// ReadAllowlist reads "case-id rule-id" lines ('#' starts a comment).
func ReadAllowlist() (map[string]string, error) {
	f, err := os.Open(AllowlistPath())
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("allowlist.txt:%d: want \"case-id rule-id\", got %q", n, line)
		}
		if RuleByID(f[1]) == nil {
			return nil, fmt.Errorf("allowlist.txt:%d: unknown rule %q", n, f[1])
		}
		out[f[0]] = f[1]
	}
	return out, sc.Err()
}

// WriteAllowlist writes the classified mismatches of rep as the allowlist
// for reference ref.
func WriteAllowlist(rep *Report, ref *Reference) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# reference: packaging %s\n", ref.Packaging)
	b.WriteString("# Deliberate, documented differences between geolayer and the reference\n")
	b.WriteString("# packaging release (Debian's python3-packaging), one case a line:\n")
	b.WriteString("#   <case id> <rule id>\n")
	b.WriteString("# The rules and their reasons are in deviations.go and docs/conformance.md.\n")
	b.WriteString("# Regenerate with: go run ./test/conformance/cmd/conformance -write-allowlist\n")
	b.WriteString("# (it lists only mismatches a rule explains; the test re-checks each one).\n")
	for _, r := range Rules {
		ms := rep.ByRule[r.ID]
		if len(ms) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n# %s (%d cases):\n", r.ID, len(ms))
		for _, line := range wrap(r.Summary, 76) {
			b.WriteString("#   " + line + "\n")
		}
		for _, m := range ms {
			fmt.Fprintf(&b, "%s %s\n", m.Case.ID, r.ID)
		}
	}
	return os.WriteFile(AllowlistPath(), []byte(b.String()), 0o644)
}

// Summary is a human report: counts per kind, per rule, and the first
// show unexplained mismatches of each kind.
func (rep *Report) Summary(cases []Case, ref *Reference, show int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "reference: packaging %s on Python %s\n", ref.Packaging, ref.Python)
	perKind := map[string]int{}
	for _, c := range cases {
		perKind[c.Kind]++
	}
	mmKind := map[string]int{}
	for _, m := range rep.Mismatches {
		mmKind[m.Case.Kind]++
	}
	total := 0
	for _, k := range Kinds {
		if perKind[k] == 0 {
			continue
		}
		total += perKind[k]
		fmt.Fprintf(&b, "  %-12s %6d cases, %4d differ\n", k, perKind[k], mmKind[k])
	}
	fmt.Fprintf(&b, "  %-12s %6d cases, %4d differ (%d explained by a deviation rule, %d not)\n",
		"total", total, len(rep.Mismatches), len(rep.Mismatches)-len(rep.Unexplained), len(rep.Unexplained))
	ids := make([]string, 0, len(rep.ByRule))
	for id := range rep.ByRule {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(&b, "  rule %-28s %4d\n", id, len(rep.ByRule[id]))
	}
	shown := map[string]int{}
	for _, m := range rep.Unexplained {
		if shown[m.Case.Kind] >= show {
			continue
		}
		shown[m.Case.Kind]++
		b.WriteString("UNEXPLAINED " + m.String() + "\n")
	}
	return b.String()
}

func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
