package publish

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/pkg/report"
)

func lambdaReport(zipped int64) *report.Report {
	return &report.Report{
		Platform: "linux/arm64", Profile: "aws-lambda", Runtime: "python3.13",
		Packages: []report.Package{{Name: "native-libraries", Vendored: []report.VendoredLib{{Soname: "libgdal.so.32"}}}},
		Environment: []report.EnvAdvice{
			{Variable: "GDAL_DATA", Values: []report.DataDirOf{{Package: "rasterio", Path: "python/lib/python3.13/site-packages/rasterio/gdal_data"}}, Safe: true},
			{Variable: "PROJ_DATA", Values: []report.DataDirOf{{Package: "pyproj"}, {Package: "rasterio"}}, Advice: "2 packages bundle their own PROJ_DATA data"},
		},
		Totals: report.Totals{Unzipped: 200 << 20, Zipped: zipped},
	}
}

var lambdaFacts = Facts{
	MountPoint: "/opt", LibDir: "lib",
	LibraryPath: []string{"/var/lang/lib", "/lib64", "/opt/lib"},
	Limits:      report.Limits{Unzipped: 250 << 20, DirectUpload: 50 << 20},
	Env:         map[string]string{"MY_FLAG": "1"},
}

func TestLambdaDirect(t *testing.T) {
	data := []byte("pretend zip")
	hexSum, b64, size, err := Digest(bytes.NewReader(data))
	if err != nil || size != int64(len(data)) {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if hexSum != hex.EncodeToString(sum[:]) || b64 != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("digest %s %s", hexSum, b64)
	}
	p, err := Build(lambdaReport(10<<20), "layer.zip", hexSum, lambdaFacts)
	if err != nil {
		t.Fatal(err)
	}
	if p.CodeSHA256 != b64 || p.Upload != "direct" || p.CompatibleRuntimes[0] != "python3.13" || p.CompatibleArchitectures[0] != "arm64" {
		t.Errorf("%+v", p)
	}
	want := "aws lambda publish-layer-version --layer-name geolayer-python3-13-arm64 --zip-file fileb://layer.zip --compatible-runtimes python3.13 --compatible-architectures arm64"
	if len(p.Commands) != 1 || p.Commands[0] != want {
		t.Errorf("commands %q, want %q", p.Commands, want)
	}
	env := map[string]string{}
	for _, e := range p.Environment {
		env[e.Name] = e.Value
	}
	// /opt/lib is on Lambda's LD_LIBRARY_PATH: not asked for.
	if env["MY_FLAG"] != "1" || env["GDAL_DATA"] != "/opt/python/lib/python3.13/site-packages/rasterio/gdal_data" || len(env) != 2 {
		t.Errorf("environment %v", env)
	}
	if len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "PROJ_DATA stays unset") {
		t.Errorf("notes %q", p.Notes)
	}
	if len(p.Limits) != 2 || !p.Limits[0].OK || !p.Limits[1].OK || p.Limits[1].Enforced {
		t.Errorf("limits %+v", p.Limits)
	}
	var buf bytes.Buffer
	if err := WriteText(&buf, p); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(buf.String()), "\n"); lines[len(lines)-1] != "  $ "+want {
		t.Errorf("the text does not end with the command:\n%s", buf.String())
	}
}

func TestLambdaOverDirectUploadGoesThroughS3(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	p, err := Build(lambdaReport(70<<20), "layer.zip", sum, lambdaFacts)
	if err != nil {
		t.Fatal(err)
	}
	if p.Upload != "s3" || len(p.Commands) != 2 || !strings.HasPrefix(p.Commands[0], "aws s3 cp layer.zip s3://<bucket>/") ||
		!strings.Contains(p.Commands[1], "--content S3Bucket=<bucket>,S3Key=geolayer-python3-13-arm64/"+sum+".zip") {
		t.Errorf("%q", p.Commands)
	}
	if p.Limits[1].OK || p.Limits[1].Name != "directUpload" {
		t.Errorf("limits %+v", p.Limits)
	}
	found := false
	for _, n := range p.Notes {
		found = found || strings.Contains(n, "direct upload") && strings.Contains(n, "S3")
	}
	if !found {
		t.Errorf("no note names the S3 route: %q", p.Notes)
	}
}

func TestLibraryPathWhenThePlatformLacksIt(t *testing.T) {
	f := lambdaFacts
	f.MountPoint, f.LibraryPath = "/layer", nil
	p, err := Build(lambdaReport(1), "layer.zip", strings.Repeat("0", 64), f)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, e := range p.Environment {
		if e.Name == "LD_LIBRARY_PATH" {
			got = e.Value
		}
	}
	if got != "/layer/lib" {
		t.Errorf("LD_LIBRARY_PATH = %q, want /layer/lib (%+v)", got, p.Environment)
	}
}

func TestPlatformsWithoutLayers(t *testing.T) {
	for profile, want := range map[string]string{
		"azure-functions": "func azure functionapp publish <app name> --no-build",
		"gcp-functions":   "gcloud functions deploy <function name> --gen2 --runtime=python313",
	} {
		rep := &report.Report{Platform: "linux/amd64", Profile: profile, Runtime: "python313"}
		p, err := Build(rep, "layer.zip", strings.Repeat("0", 64), Facts{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Upload != "" || len(p.CompatibleRuntimes) != 0 || len(p.Commands) != 2 || !strings.HasPrefix(p.Commands[1], want) || !strings.HasPrefix(p.Commands[0], "unzip -o layer.zip -d ") {
			t.Errorf("%s: %+v", profile, p)
		}
	}
	if _, err := Build(&report.Report{}, "layer.zip", "zz", Facts{}); err == nil {
		t.Error("a bad digest was accepted")
	}
}
