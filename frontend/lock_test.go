package frontend

import (
	"strconv"
	"testing"

	"github.com/geolayer/geolayer/pkg/pep440"
)

// requires-python admits exactly the runtimes' Python versions.
func TestRequiresPython(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{[]string{"3.13"}, "==3.13.*"},
		{[]string{"3.11", "3.13"}, ">=3.11,!=3.12.*,<3.14"},
		{[]string{"3.13", "3.12"}, ">=3.12,<3.14"},
		{[]string{"3.9", "3.12", "3.10"}, ">=3.9,!=3.11.*,<3.13"},
	} {
		got, err := requiresPython(c.in)
		if err != nil || got != c.want {
			t.Errorf("requiresPython(%v) = %q, %v; want %q", c.in, got, err, c.want)
			continue
		}
		// What the specifier admits, by our PEP 440 evaluator: the
		// listed versions (any patch release) and no other 3.x.
		for minor := 6; minor <= 16; minor++ {
			v := "3." + strconv.Itoa(minor)
			listed := false
			for _, in := range c.in {
				listed = listed || in == v
			}
			for _, patch := range []string{".0", ".7"} {
				ok, err := pep440.SatisfiesRequiresPython(got, v+patch)
				if err != nil || ok != listed {
					t.Errorf("%q admits %s%s: %v, %v; want %v", got, v, patch, ok, err, listed)
				}
			}
		}
	}
	for _, bad := range [][]string{{"3"}, {"2.7", "3.13"}, {"3.x"}} {
		if got, err := requiresPython(bad); err == nil {
			t.Errorf("requiresPython(%v) = %q, want an error", bad, got)
		}
	}
}
