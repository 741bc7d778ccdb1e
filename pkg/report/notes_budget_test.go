package report

import (
	"bytes"
	"strings"
	"testing"
)

// A zip over the platform's direct-upload size is a warning naming the S3
// route, not an error, unless BUDGET zipped enforces a limit.
func TestDirectUploadWarning(t *testing.T) {
	r := &Report{Limits: Limits{Unzipped: 250 << 20, DirectUpload: 50 << 20}}
	r.Totals.Zipped = 88 << 20
	notes := GroupNotes(r)
	if len(notes) != 1 || notes[0].Kind != NoteWarning || !strings.Contains(notes[0].Text, "publish it from S3") || !strings.Contains(notes[0].Text, "BUDGET zipped=52428800") {
		t.Errorf("notes %+v", notes)
	}
	var b bytes.Buffer
	textLimits(&b, r)
	if !strings.Contains(b.String(), "OVER the direct-upload limit of 50.0 MiB") {
		t.Errorf("limits text:\n%s", b.String())
	}
	r.Totals.Zipped = 40 << 20
	if n := GroupNotes(r); len(n) != 0 {
		t.Errorf("under the direct-upload size: %+v", n)
	}
	r.Totals.Zipped, r.Limits.Zipped = 88<<20, 50<<20 // BUDGET zipped=50MB: the budget check refuses it; no extra note
	if n := GroupNotes(r); len(n) != 0 {
		t.Errorf("with an enforced zipped budget: %+v", n)
	}
}
