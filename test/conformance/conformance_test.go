//go:build conformance

package conformance

import (
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestConformance is the differential test: every generated case answered
// by geolayer and by Python's packaging (reference.py), compared. It fails
// on any difference not in allowlist.txt, on any allowlisted case that
// now agrees or that its rule does not explain, and when the reference
// interpreter or its packaging is missing (make test-conformance installs
// Debian's python3-packaging). GEOLAYER_CONFORMANCE_PYTHON overrides the
// interpreter (default /usr/bin/python3).
func TestConformance(t *testing.T) {
	python := os.Getenv("GEOLAYER_CONFORMANCE_PYTHON")
	if python == "" {
		python = DefaultPython
	}
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("reference interpreter: %v: install Debian's python3 and python3-packaging (make test-conformance does)", err)
	}
	cases := Generate()
	if len(cases) < 10000 {
		t.Fatalf("only %d cases generated, want at least 10000", len(cases))
	}
	t0 := time.Now()
	ref, err := RunReference(python, nil, cases)
	if err != nil {
		t.Fatalf("reference side failed (is python3-packaging installed? make test-conformance installs it): %v", err)
	}
	want := AllowlistReference()
	if ref.Packaging != want {
		t.Fatalf("reference is packaging %s on Python %s; allowlist.txt was made against packaging %s: "+
			"run the tool (go run ./test/conformance/cmd/conformance) and review every difference before rewriting it",
			ref.Packaging, ref.Python, want)
	}
	mm, err := Diff(cases, ref)
	if err != nil {
		t.Fatal(err)
	}
	allow, err := ReadAllowlist()
	if err != nil {
		t.Fatal(err)
	}
	rep := Classify(mm)
	seen := map[string]bool{}
	bad := 0
	for _, m := range mm {
		id := m.Case.ID
		seen[id] = true
		rule, ok := allow[id]
		switch {
		case !ok:
			bad++
			hint := "no deviation rule explains it: fix geolayer"
			if r := rep.RuleOf[id]; r != "" {
				hint = "rule " + r + " would explain it; if that is right, add it to allowlist.txt"
			}
			if bad <= 50 {
				t.Errorf("geolayer differs from packaging %s (%s):\n%s", ref.Packaging, hint, m)
			}
		case !RuleByID(rule).applies(m):
			bad++
			if bad <= 50 {
				t.Errorf("allowlisted as %s, but that rule does not explain the difference:\n%s", rule, m)
			}
		}
	}
	var stale []string
	for id := range allow {
		if !seen[id] {
			stale = append(stale, id)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("%d allowlisted cases now agree with packaging (remove them from allowlist.txt): %s", len(stale), strings.Join(stale, " "))
	}
	if bad > 50 {
		t.Errorf("... %d unexplained differences in all", bad)
	}
	t.Logf("%s%d cases in %.1fs", rep.Summary(cases, ref, 0), len(cases), time.Since(t0).Seconds())
}
