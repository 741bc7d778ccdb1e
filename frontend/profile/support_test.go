package profile

import (
	"strings"
	"testing"
	"time"
)

func TestLambdaSupportSchedule(t *testing.T) {
	rt, err := Lookup("aws-lambda", "python3.10")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time { return day(s) }
	cases := []struct {
		day  string
		want []string // substrings; none for ""
	}{
		{"2026-10-30", nil},
		{"2026-10-31", []string{"deprecated since 2026-10-31", "blocks new functions from 2026-11-30 and updates from 2027-01-15"}},
		{"2026-12-05", []string{"deprecated since 2026-10-31", "new functions cannot use it since 2026-11-30", "cannot be updated from 2027-01-15"}},
		{"2027-01-15", []string{"past end of support", "updated with it since 2027-01-15", "created since 2026-11-30"}},
	}
	for _, tc := range cases {
		got := rt.Support.Status(at(tc.day))
		if tc.want == nil {
			if got != "" {
				t.Errorf("%s: Status = %q, want supported", tc.day, got)
			}
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: Status = %q, want it to contain %q", tc.day, got, w)
			}
		}
	}
	// The time of day does not matter: dates compare in UTC.
	late := time.Date(2026, 10, 30, 23, 59, 0, 0, time.UTC)
	if got := rt.Support.Status(late); got != "" {
		t.Errorf("2026-10-30 23:59 UTC: %q, want supported", got)
	}

	// Every Lambda runtime has the three dates from AWS's table, in order.
	for _, p := range Profiles() {
		for _, r := range p.Runtimes {
			s := r.Support
			if p.Name != "aws-lambda" {
				if s != (Support{}) {
					t.Errorf("%s %s has support dates without a cited source", p.Name, r.Name)
				}
				continue
			}
			if s.Deprecated.IsZero() || s.BlockCreate.IsZero() || s.BlockUpdate.IsZero() || s.Source == "" {
				t.Errorf("%s %s: incomplete schedule %+v", p.Name, r.Name, s)
				continue
			}
			if !s.Deprecated.Before(s.BlockCreate) || !s.BlockCreate.Before(s.BlockUpdate) {
				t.Errorf("%s %s: dates out of order %+v", p.Name, r.Name, s)
			}
		}
	}
	if got := (Support{}).Status(at("2100-01-01")); got != "" {
		t.Errorf("no dates: %q, want supported", got)
	}
}
