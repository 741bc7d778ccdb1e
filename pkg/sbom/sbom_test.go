package sbom

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/geolayer/geolayer/pkg/report"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdxlib"
)

var (
	hexA = strings.Repeat("a", 64)
	hexB = strings.Repeat("b", 64)
	hexC = strings.Repeat("c", 64)
	hexD = strings.Repeat("d", 64)
	sha1 = strings.Repeat("1", 40)
)

func testReport() *report.Report {
	return &report.Report{
		Schema: report.SchemaV2, Platform: "linux/arm64", Profile: "aws-lambda", Runtime: "python3.13",
		Packages: []report.Package{
			{Name: "shapely", Version: "2.0.6", Wheel: "shapely-2.0.6-cp313-cp313-manylinux_2_17_aarch64.whl",
				URL: "http://127.0.0.1:5001/files/shapely-2.0.6-cp313-cp313-manylinux_2_17_aarch64.whl", SHA256: hexA,
				License: "BSD 3-Clause"},
			{Name: "glf_pure", Version: "1.0", Wheel: "glf_pure-1.0-py3-none-any.whl", URL: "http://x/glf_pure-1.0-py3-none-any.whl", SHA256: hexB,
				License: "MIT OR (Apache-2.0 WITH LLVM-exception)", LicenseExpression: true},
			{Name: "gdal", Version: "3.6.2", Wheel: "gdal-3.6.2-cp313-cp313-linux_aarch64.whl", URL: "http://x/gdal-3.6.2.tar.gz", SHA256: hexC,
				License: "MIT",
				Built:   &report.Built{Sdist: "gdal-3.6.2.tar.gz", BuildImage: "127.0.0.1:5000/sam/build-python3.13:latest@sha256:" + hexD, WheelSHA256: hexD}},
			{Name: "native-libraries", Vendored: []report.VendoredLib{
				{Soname: "libgdal.so.32", Path: "lib/libgdal.so.32", Source: "/usr/lib/aarch64-linux-gnu/libgdal.so.32.3.6.2", SHA256: hexA, SHA1: sha1, SourceSHA256: hexB,
					NeededBy:  []string{"python/lib/python3.13/site-packages/osgeo/_gdal.so"},
					OSPackage: &report.OSPackage{Manager: "dpkg", Name: "libgdal32", Version: "3.6.2+dfsg-1+b2", Architecture: "arm64", Distro: "debian"}},
				{Soname: "libbuilt.so.1", Path: "lib/libbuilt.so.1", Source: "/usr/local/lib/libbuilt.so.1", SHA256: hexC, SHA1: sha1, SourceSHA256: hexC,
					NeededBy: []string{"libgdal.so.32"}},
			}},
			{Name: "licenses"},
		},
		Totals: report.Totals{Files: 10, Unzipped: 1000, Zipped: 400},
	}
}

func buildAndParse(t *testing.T, rep *report.Report) (*spdx.Document, []byte) {
	t.Helper()
	doc, err := Build(rep, Layer{FileName: "layer.zip", SHA256: hexB, SHA1: sha1, Size: 400}, Options{Created: time.Unix(315532800, 0), Tool: "geolayer-test"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, doc); err != nil {
		t.Fatal(err)
	}
	// Read back through the SPDX library's own parser, not our types.
	parsed, err := spdxjson.Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("the SPDX library cannot read what we wrote: %v\n%s", err, buf.String())
	}
	if err := spdxlib.ValidateDocument(parsed); err != nil {
		t.Fatalf("invalid: %v", err)
	}
	return parsed, buf.Bytes()
}

func TestBuildParsesBack(t *testing.T) {
	doc, raw := buildAndParse(t, testReport())
	if doc.SPDXVersion != "SPDX-2.3" || doc.DataLicense != "CC0-1.0" || doc.CreationInfo.Created != "1980-01-01T00:00:00Z" {
		t.Errorf("header: %s %s %s", doc.SPDXVersion, doc.DataLicense, doc.CreationInfo.Created)
	}
	described, err := spdxlib.GetDescribedPackageIDs(doc)
	if err != nil || len(described) != 1 || string(described[0]) != "Layer" {
		t.Fatalf("described = %v, %v; want the layer", described, err)
	}
	byID := map[string]*spdx.Package{}
	purls := map[string]string{}
	for _, p := range doc.Packages {
		byID[string(p.PackageSPDXIdentifier)] = p
		for _, r := range p.PackageExternalReferences {
			if r.RefType == "purl" {
				purls[r.Locator] = string(p.PackageSPDXIdentifier)
			}
		}
	}
	layer := byID["Layer"]
	if layer == nil || layer.PackageFileName != "layer.zip" || len(layer.PackageChecksums) != 2 || layer.PackageChecksums[1].Value != hexB {
		t.Fatalf("layer package: %+v", layer)
	}
	want := []string{
		"pkg:pypi/shapely@2.0.6?file_name=shapely-2.0.6-cp313-cp313-manylinux_2_17_aarch64.whl",
		"pkg:pypi/glf-pure@1.0?file_name=glf_pure-1.0-py3-none-any.whl",
		"pkg:pypi/gdal@3.6.2?file_name=gdal-3.6.2-cp313-cp313-linux_aarch64.whl",
		"pkg:pypi/gdal@3.6.2?file_name=gdal-3.6.2.tar.gz",
		"pkg:deb/debian/libgdal32@3.6.2%2Bdfsg-1%2Bb2?arch=arm64",
		"pkg:oci/build-python3.13@sha256:" + hexD + "?repository_url=127.0.0.1:5000%2Fsam%2Fbuild-python3.13",
	}
	for _, w := range want {
		if _, ok := purls[w]; !ok {
			t.Errorf("no package with purl %s; have %v", w, purls)
		}
	}
	shapely := byID[purls[want[0]]]
	if shapely.PackageChecksums[0].Value != hexA || !strings.HasPrefix(shapely.PackageDownloadLocation, "http://127.0.0.1:5001/") {
		t.Errorf("shapely: %+v", shapely)
	}
	// Free text becomes a LicenseRef with the text; an expression stays.
	if shapely.PackageLicenseDeclared != "LicenseRef-shapely" || len(doc.OtherLicenses) != 1 || doc.OtherLicenses[0].ExtractedText != "BSD 3-Clause" {
		t.Errorf("shapely license %q, other licenses %+v", shapely.PackageLicenseDeclared, doc.OtherLicenses)
	}
	if l := byID[purls[want[1]]].PackageLicenseDeclared; l != "MIT OR (Apache-2.0 WITH LLVM-exception)" {
		t.Errorf("glf-pure license %q", l)
	}
	built := byID[purls[want[2]]]
	if built.PackageChecksums[0].Value != hexD || built.PackageDownloadLocation != "NOASSERTION" || !strings.Contains(built.PackageSourceInfo, "sha256:"+hexD) {
		t.Errorf("built gdal: %+v", built)
	}
	if sd := byID[purls[want[3]]]; sd.PackageChecksums[0].Value != hexC || sd.PrimaryPackagePurpose != "SOURCE" {
		t.Errorf("sdist: %+v", sd)
	}
	rels := map[string]bool{}
	for _, r := range doc.Relationships {
		rels[string(r.RefA.ElementRefID)+" "+r.Relationship+" "+string(r.RefB.ElementRefID)] = true
	}
	for _, w := range []string{
		"Layer CONTAINS " + purls[want[0]],
		purls[want[2]] + " GENERATED_FROM " + purls[want[3]],
		purls[want[5]] + " BUILD_TOOL_OF " + purls[want[2]],
		"Layer CONTAINS File-vendored-libgdal.so.32.3.6.2",
		"File-vendored-libgdal.so.32.3.6.2 GENERATED_FROM " + purls[want[4]],
	} {
		if !rels[w] {
			t.Errorf("no relationship %q in %v", w, rels)
		}
	}
	if len(doc.Files) != 2 {
		t.Fatalf("files: %d, want the two vendored libraries", len(doc.Files))
	}
	f := doc.Files[0]
	if f.FileName != "./lib/libgdal.so.32.3.6.2" || f.Checksums[1].Value != hexA || !strings.Contains(f.FileComment, "soname libgdal.so.32") || !strings.Contains(f.FileComment, "libgdal32 3.6.2+dfsg-1+b2") {
		t.Errorf("vendored file: %+v", f)
	}
	if !strings.Contains(doc.Files[1].FileComment, "no package of the build stage's package database lists it") {
		t.Errorf("a library built by RUN: %s", doc.Files[1].FileComment)
	}
	// Pseudo-packages (vendored libraries, licenses) are no SPDX packages.
	for _, p := range doc.Packages {
		if p.PackageName == "native-libraries" || p.PackageName == "licenses" {
			t.Errorf("pseudo-package %s in the SBOM", p.PackageName)
		}
	}
	// Deterministic.
	if _, again := buildAndParse(t, testReport()); !bytes.Equal(raw, again) {
		t.Error("two runs wrote different documents")
	}
}

func TestBuildRefusesMissingHashes(t *testing.T) {
	rep := testReport()
	rep.Packages[0].SHA256 = "not-a-digest"
	if _, err := Build(rep, Layer{FileName: "layer.zip", SHA256: hexB, SHA1: sha1}, Options{}); err == nil || !strings.Contains(err.Error(), "shapely") {
		t.Errorf("err = %v, want shapely's bad hash named", err)
	}
	rep = testReport()
	rep.Packages[3].Vendored[0].SHA256 = ""
	if _, err := Build(rep, Layer{FileName: "layer.zip", SHA256: hexB, SHA1: sha1}, Options{}); err == nil || !strings.Contains(err.Error(), "lib/libgdal.so.32") {
		t.Errorf("err = %v, want the vendored library named", err)
	}
	if _, err := Build(testReport(), Layer{FileName: "layer.zip", SHA256: "x"}, Options{}); err == nil {
		t.Error("a layer without a digest was accepted")
	}
}

func TestValidExpression(t *testing.T) {
	for s, want := range map[string]bool{
		"MIT": true, "MIT OR Apache-2.0": true, "(MIT OR Apache-2.0) AND BSD-3-Clause": true,
		"GPL-2.0-or-later WITH Classpath-exception-2.0": true, "LicenseRef-x": true, "GPL-2.0+": true,
		"": false, "MIT OR": false, "(MIT": false, "MIT)": false, "BSD 3-Clause": false, "AND MIT": false, "MIT (Apache-2.0)": false,
	} {
		if got := validExpression(s); got != want {
			t.Errorf("validExpression(%q) = %v, want %v", s, got, want)
		}
	}
}
