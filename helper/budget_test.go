package helper

import (
	"strings"
	"testing"

	"github.com/geolayer/geolayer/pkg/layerzip"
	"github.com/geolayer/geolayer/pkg/report"
)

func TestCheckBudget(t *testing.T) {
	rep := &report.Report{
		Profile: "aws-lambda", Runtime: "python3.13", Platform: "linux/amd64",
		Packages: []report.Package{{Name: "small", Version: "1", Bytes: 10}, {Name: "big", Version: "2", Bytes: 5000, ZippedBytes: 900}},
		Totals:   report.Totals{Unzipped: 5010, Zipped: 1000},
		Limits:   report.Limits{Unzipped: 4096, Zipped: 2000},
	}
	frags := []layerzip.Fragment{{Index: &layerzip.FragmentIndex{Entries: []layerzip.IndexEntry{
		{Name: "python/big/lib.so", UncompressedSize: 4990}, {Name: "python/small.py", UncompressedSize: 10},
	}}}}
	err := checkBudget(rep, frags, nil)
	if err == nil {
		t.Fatal("over budget, but no error")
	}
	msg := err.Error()
	for _, want := range []string{"unzipped 4.9 KiB > budget 4.0 KiB", "largest packages", "big 2", "python/big/lib.so"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "zipped 1000") {
		t.Errorf("zipped is within budget but reported:\n%s", msg)
	}
	if strings.Index(msg, "big 2") > strings.Index(msg, "small 1") {
		t.Errorf("packages not sorted by size:\n%s", msg)
	}
	rep.Limits = report.Limits{}
	if err := checkBudget(rep, frags, nil); err != nil {
		t.Errorf("no limits, but: %v", err)
	}
}

// A layer for several runtimes names them all, and a file both runtimes'
// fragments hold alike (kept once in the zip) is listed once.
func TestCheckBudgetSeveralRuntimes(t *testing.T) {
	rep := &report.Report{
		Profile: "aws-lambda", Runtime: "python3.11", Runtimes: []string{"python3.11", "python3.13"}, Platform: "linux/amd64",
		Packages: []report.Package{{Name: "big", Version: "2", Runtime: "python3.11", Bytes: 5000}, {Name: "big", Version: "2", Runtime: "python3.13", Bytes: 5000}},
		Totals:   report.Totals{Unzipped: 5000},
		Limits:   report.Limits{Unzipped: 4096},
	}
	script := layerzip.IndexEntry{Name: "bin/big", UncompressedSize: 4000}
	frags := []layerzip.Fragment{
		{Index: &layerzip.FragmentIndex{Entries: []layerzip.IndexEntry{script, {Name: "python/lib/python3.11/site-packages/big.py", UncompressedSize: 1000}}}},
		{Index: &layerzip.FragmentIndex{Entries: []layerzip.IndexEntry{script, {Name: "python/lib/python3.13/site-packages/big.py", UncompressedSize: 1000}}}},
	}
	err := checkBudget(rep, frags, nil)
	if err == nil {
		t.Fatal("over budget, but no error")
	}
	msg := err.Error()
	if !strings.Contains(msg, "for aws-lambda python3.11+python3.13 on linux/amd64") {
		t.Errorf("the headline does not name both runtimes:\n%s", msg)
	}
	if n := strings.Count(msg, "bin/big\n"); n != 1 {
		t.Errorf("bin/big listed %d times:\n%s", n, msg)
	}
}
