//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/pkg/report"
)

// Lambda's 50 MB zipped limit is for direct uploads; a layer published from
// S3 is bound by the 250 MB unzipped limit only. So the geo layer (~66 MiB
// zipped, ~200 MiB unzipped) builds under the default budget, with a
// warning naming the S3 route, and BUDGET zipped=50MB refuses it.
func TestZippedBudgetIsForDirectUploads(t *testing.T) {
	const gl = "TARGET aws-lambda python3.11 --glibc=2.36\nPLATFORM linux/amd64\nREQUIRE numpy shapely pyproj rasterio fiona\n"
	dir := project(t, archiveRuns(t, gl), nil)
	out := buildx(t, dir, false, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
	rep, err := report.Read(filepath.Join(dir, "out", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Zipped <= 50<<20 || rep.Totals.Unzipped > 250<<20 {
		t.Fatalf("the geo layer is %d bytes zipped, %d unzipped: not the case this test is about", rep.Totals.Zipped, rep.Totals.Unzipped)
	}
	if rep.Limits.Zipped != 0 || rep.Limits.DirectUpload != 50<<20 {
		t.Errorf("limits %+v: want no enforced zipped limit and a 50 MiB direct-upload size", rep.Limits)
	}
	var warned bool
	for _, n := range rep.Notes {
		warned = warned || strings.Contains(n.Text, "publish it from S3")
	}
	if !warned || !strings.Contains(out, "OVER the direct-upload limit of 50.0 MiB") {
		t.Errorf("no S3 warning in report.json's notes (%v) or the build log", rep.Notes)
	}
	strict := project(t, gl+"BUDGET zipped=50MB\n", nil)
	out = buildx(t, strict, true, "-f", "Geolayerfile", "-o", filepath.Join(strict, "out"), ".")
	if !strings.Contains(out, "zipped") || !strings.Contains(out, "budget") {
		t.Errorf("BUDGET zipped=50MB did not refuse the layer:\n%s", tail(out, 20))
	}
	if _, err := os.Stat(filepath.Join(strict, "out", "layer.zip")); err == nil {
		t.Errorf("an over-budget build exported layer.zip")
	}
}
