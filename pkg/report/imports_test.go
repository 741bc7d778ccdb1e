package report

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

const sampleImportTime = `import time: self [us] | cumulative | imported package
import time:      2717 |       2717 |           _json
import time:       301 |       4598 |     json
import time:      1381 |       5978 |   pk
import time:       482 |      11340 | pk.sub
import time:       211 |       2675 | decimal
some other stderr line
import time:       201 |        201 | email
import time:      1674 |      28404 | email.message
`

func TestParseImportTime(t *testing.T) {
	got, err := ParseImportTime(strings.NewReader(sampleImportTime))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 7 {
		t.Fatalf("got %d entries: %+v", len(got), got)
	}
	if want := (ImportTime{Module: "_json", Level: 5, SelfMicros: 2717, CumulativeMicros: 2717}); got[0] != want {
		t.Errorf("first = %+v, want %+v", got[0], want)
	}
	if got[2].Level != 1 || got[2].Module != "pk" {
		t.Errorf("pk = %+v", got[2])
	}
	var top []string
	for _, e := range TopLevel(got) {
		top = append(top, e.Module)
	}
	if want := []string{"pk.sub", "decimal", "email", "email.message"}; !reflect.DeepEqual(top, want) {
		t.Errorf("top level = %v, want %v", top, want)
	}
	if e := TopLevel(got)[0]; e.SelfMicros != 482 || e.CumulativeMicros != 11340 {
		t.Errorf("pk.sub = %+v", e)
	}
}

func importsReport(emulated bool) *Report {
	r := sampleReport()
	r.Imports = &Imports{Emulated: emulated, Python: "3.13.1", MountPoint: "/opt", Modules: []ImportedModule{
		{Test: 1, Module: "glf_cext", Package: "glf-cext", SelfMicros: 1500, CumulativeMicros: 2500, Mapped: &Size{Files: 1, Bytes: 3 << 20}},
		{Test: 1, Module: "decimal", SelfMicros: 211, CumulativeMicros: 2675},
	}}
	return r
}

func TestWriteImportsText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteImportsText(&b, importsReport(true)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"Import times, " + sampleReport().Platform + ", CPython 3.13.1 (EMULATED: not representative of the platform)",
		"TEST  MODULE    PACKAGE   SELF ms  CUMULATIVE ms  MAPPED MiB  FILES  EMULATED",
		"   1  glf_cext  glf-cext      1.5            2.5         3.0      1  yes",
		"   1  decimal   -             0.2            2.7           -      -  yes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	// WriteText ends with the same table when the report has imports.
	var full bytes.Buffer
	if err := WriteText(&full, importsReport(true)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(full.String(), out) {
		t.Errorf("WriteText does not end with the import table:\n%s", full.String())
	}
	b.Reset()
	if err := WriteImportsText(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 0 {
		t.Errorf("no imports, got %q", b.String())
	}
}

// Adding the section to the assembled page gives what WriteHTML writes for
// the report with its imports.
func TestAddImportsHTML(t *testing.T) {
	for _, withFiles := range []bool{true, false} {
		r := importsReport(true)
		var files []FileSize
		if withFiles {
			files = sampleFiles()
		}
		plain := *r
		plain.Imports = nil
		var before, want bytes.Buffer
		if err := WriteHTML(&before, &plain, files); err != nil {
			t.Fatal(err)
		}
		if err := WriteHTML(&want, r, files); err != nil {
			t.Fatal(err)
		}
		got, err := AddImportsHTML(before.Bytes(), r)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want.String() {
			t.Errorf("files %v: AddImportsHTML differs from WriteHTML", withFiles)
		}
		for _, s := range []string{"<h2>Import times</h2>", "<td>glf_cext</td><td>glf-cext</td>", "3.0 MiB", "EMULATED"} {
			if !strings.Contains(string(got), s) {
				t.Errorf("page lacks %q", s)
			}
		}
	}
	if _, err := AddImportsHTML([]byte("not a page"), importsReport(false)); err == nil {
		t.Error("no error for a page without sections")
	}
}
