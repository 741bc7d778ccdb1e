package sbom

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/geolayer/geolayer/pkg/report"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdxlib"
)

var idRe = regexp.MustCompile(`^[A-Za-z0-9.-]+$`)

// FuzzSBOM feeds a build stage's dpkg database (status and one .list file)
// and a package's name, version, file and declared license, all outside
// input, through DpkgOwners and Build: whatever they hold, the document is
// written, the SPDX library parses it back and validates its
// relationships, every identifier keeps SPDX's character set, and the
// package's hash survives.
func FuzzSBOM(f *testing.F) {
	f.Add("Package: libgdal32\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.6.2+dfsg-1\n", "/usr/lib/libgdal.so.32\n",
		"shapely", "2.0.6", "shapely-2.0.6-cp313-cp313-manylinux_2_17_x86_64.whl", "BSD 3-Clause", false)
	f.Add("", "", "glf_pure", "1.0", "glf_pure-1.0-py3-none-any.whl", "MIT OR (Apache-2.0 WITH LLVM-exception)", true)
	f.Add("Package: x\nStatus: install ok installed\n", "/usr/lib/libgdal.so.32", "a b/c", "1!2.0+local", "\x00.whl", "((MIT", true)
	f.Fuzz(func(t *testing.T, status, list, name, version, file, license string, expr bool) {
		root := t.TempDir()
		info := filepath.Join(root, "var", "lib", "dpkg", "info")
		if err := os.MkdirAll(info, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "var", "lib", "dpkg", "status"), []byte(status), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(info, "libgdal32:amd64.list"), []byte(list), 0o644); err != nil {
			t.Fatal(err)
		}
		owners, err := DpkgOwners(root, []string{"/usr/lib/libgdal.so.32"})
		if err != nil {
			return // refused input is fine; the vendor step reports it
		}
		rep := &report.Report{Platform: "linux/amd64", Profile: "aws-lambda", Runtime: "python3.13", Packages: []report.Package{
			{Name: name, Version: version, Wheel: file, URL: "http://127.0.0.1/" + file, SHA256: hexA, License: license, LicenseExpression: expr},
			{Name: "native-libraries", Vendored: []report.VendoredLib{{Soname: "libgdal.so.32", Path: "lib/libgdal.so.32",
				Source: "/usr/lib/libgdal.so.32", SHA256: hexB, SHA1: sha1, OSPackage: owners["/usr/lib/libgdal.so.32"]}}},
		}}
		doc, err := Build(rep, Layer{FileName: "layer.zip", SHA256: hexC, SHA1: sha1}, Options{Created: time.Unix(0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, doc); err != nil {
			t.Fatal(err)
		}
		parsed, err := spdxjson.Read(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("the SPDX library cannot read the document: %v", err)
		}
		if err := spdxlib.ValidateDocument(parsed); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range parsed.Packages {
			if !idRe.MatchString(string(p.PackageSPDXIdentifier)) {
				t.Errorf("package id %q", p.PackageSPDXIdentifier)
			}
			if l := p.PackageLicenseDeclared; strings.ContainsAny(l, "\n\r") {
				t.Errorf("licenseDeclared %q", l)
			}
			for _, c := range p.PackageChecksums {
				found = found || c.Value == hexA
			}
		}
		for _, fl := range parsed.Files {
			if !idRe.MatchString(string(fl.FileSPDXIdentifier)) {
				t.Errorf("file id %q", fl.FileSPDXIdentifier)
			}
		}
		if !found {
			t.Error("the wheel's sha256 is not in the parsed document")
		}
	})
}
