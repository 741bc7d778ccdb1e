package profile

import (
	"fmt"
	"strings"
	"time"
)

// Support is a runtime's end-of-support schedule as its platform publishes
// it. A zero date is not announced, or not known from a source we can
// cite; a runtime without any date is treated as supported.
type Support struct {
	// Deprecated is the day the platform stops patching and supporting
	// the runtime.
	Deprecated time.Time
	// BlockCreate is the first day new functions can no longer use it,
	// BlockUpdate the first day existing functions can no longer be
	// updated.
	BlockCreate time.Time
	BlockUpdate time.Time
	// Source is where the dates come from.
	Source string
}

// Status says where the runtime stands on day (compared by calendar date,
// UTC): "" while it is supported, otherwise a sentence fragment such as
// "deprecated since 2026-10-31; new functions cannot use it since
// 2026-11-30 and existing ones cannot be updated from 2027-01-15".
func (s Support) Status(day time.Time) string {
	day = dateOf(day)
	reached := func(t time.Time) bool { return !t.IsZero() && !day.Before(t) }
	if !reached(s.Deprecated) && !reached(s.BlockCreate) && !reached(s.BlockUpdate) {
		return ""
	}
	var parts []string
	if !s.Deprecated.IsZero() {
		parts = append(parts, "deprecated since "+ymd(s.Deprecated))
	}
	switch {
	case reached(s.BlockUpdate):
		msg := "past end of support: functions can no longer be updated with it since " + ymd(s.BlockUpdate)
		if !s.BlockCreate.IsZero() {
			msg += " (nor created since " + ymd(s.BlockCreate) + ")"
		}
		parts = append(parts, msg)
	case reached(s.BlockCreate):
		msg := "new functions cannot use it since " + ymd(s.BlockCreate)
		if !s.BlockUpdate.IsZero() {
			msg += " and existing ones cannot be updated from " + ymd(s.BlockUpdate)
		}
		parts = append(parts, msg)
	default:
		var next []string
		if !s.BlockCreate.IsZero() {
			next = append(next, "new functions from "+ymd(s.BlockCreate))
		}
		if !s.BlockUpdate.IsZero() {
			next = append(next, "updates from "+ymd(s.BlockUpdate))
		}
		if len(next) > 0 {
			parts = append(parts, "the platform blocks "+strings.Join(next, " and "))
		}
	}
	return strings.Join(parts, "; ")
}

func ymd(t time.Time) string { return t.Format(time.DateOnly) }

func dateOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(fmt.Sprintf("profile table: bad date %q", s))
	}
	return t
}

// lambdaSupportSource is AWS's runtime table for Python.
const lambdaSupportSource = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html"

// lambdaSupport: the "Deprecation", "Block function create" and "Block
// function update" columns of the supported-runtimes table at
// https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html, as
// quoted in /work/shared/reference/platforms-and-standards.md §1.3.
var lambdaSupport = map[string]Support{
	"3.10": {Deprecated: day("2026-10-31"), BlockCreate: day("2026-11-30"), BlockUpdate: day("2027-01-15"), Source: lambdaSupportSource},
	"3.11": {Deprecated: day("2027-06-30"), BlockCreate: day("2027-07-31"), BlockUpdate: day("2027-08-31"), Source: lambdaSupportSource},
	"3.12": {Deprecated: day("2028-10-31"), BlockCreate: day("2028-11-30"), BlockUpdate: day("2029-01-10"), Source: lambdaSupportSource},
	"3.13": {Deprecated: day("2029-06-30"), BlockCreate: day("2029-07-31"), BlockUpdate: day("2029-08-31"), Source: lambdaSupportSource},
	"3.14": {Deprecated: day("2029-06-30"), BlockCreate: day("2029-07-31"), BlockUpdate: day("2029-08-31"), Source: lambdaSupportSource},
}

// gcp-functions and azure-functions rows carry no dates: their schedules
// (Cloud Run functions "Runtime support schedule", Azure Functions
// "Language runtime support policy") are not quoted in the reference
// notes, and the policy pages at hand give no Python dates.
