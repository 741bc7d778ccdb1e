//go:build integration

package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/geolayer/geolayer/pkg/publish"
	"github.com/geolayer/geolayer/pkg/report"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdxlib"
)

// sbomCheck is what checkSBOM found, for the callers' own assertions.
type sbomCheck struct {
	doc *spdx.Document
	rep *report.Report
	// purls maps each package URL to its package.
	purls map[string]*spdx.Package
	// files maps each file name to its SPDX file.
	files map[string]*spdx.File
}

// checkSBOM reads dir's sbom.spdx.json with the SPDX library's own parser
// and cross-checks it against report.json and layer.zip: the described
// element is the archive with its sha256; every package of the report is
// there with its wheel's (or, compiled, its sdist's and its wheel's)
// sha256 and a pkg:pypi purl naming the file; every vendored library is a
// file with the sha256 of its bytes in the archive; each package's
// .dist-info/METADATA is still in the layer for other scanners. It also
// checks publish.json's values against the archive.
func checkSBOM(t *testing.T, dir string) *sbomCheck {
	t.Helper()
	rep, err := report.Read(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(dir, "layer.zip")
	zipBytes, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	zipSum := sha256.Sum256(zipBytes)
	f, err := os.Open(filepath.Join(dir, "sbom.spdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	doc, err := spdxjson.Read(f)
	if err != nil {
		t.Fatalf("the SPDX library cannot read sbom.spdx.json: %v", err)
	}
	if err := spdxlib.ValidateDocument(doc); err != nil {
		t.Fatalf("sbom.spdx.json: %v", err)
	}
	if doc.SPDXVersion != "SPDX-2.3" {
		t.Errorf("spdxVersion %s", doc.SPDXVersion)
	}
	c := &sbomCheck{doc: doc, rep: rep, purls: map[string]*spdx.Package{}, files: map[string]*spdx.File{}}
	byID := map[string]*spdx.Package{}
	for _, p := range doc.Packages {
		byID[string(p.PackageSPDXIdentifier)] = p
		for _, r := range p.PackageExternalReferences {
			if r.RefType == "purl" {
				c.purls[r.Locator] = p
			}
		}
	}
	for _, fl := range doc.Files {
		c.files[fl.FileName] = fl
	}
	described, err := spdxlib.GetDescribedPackageIDs(doc)
	if err != nil || len(described) != 1 {
		t.Fatalf("described %v, %v; want the layer only", described, err)
	}
	layer := byID[string(described[0])]
	if got := checksum(layer.PackageChecksums, "SHA256"); layer.PackageFileName != "layer.zip" || got != hex.EncodeToString(zipSum[:]) {
		t.Errorf("described element %s with sha256 %s; layer.zip's is %x", layer.PackageFileName, got, zipSum)
	}

	zf := readZip(t, zipPath)
	var unzipped int64
	metadata := map[string]bool{}
	for n, e := range zf {
		unzipped += int64(e.UncompressedSize64)
		if strings.HasSuffix(n, ".dist-info/METADATA") {
			metadata[strings.ToLower(strings.ReplaceAll(path.Base(path.Dir(n)), "_", "-"))] = true
		}
	}
	pypi := 0
	for _, p := range rep.Packages {
		if p.Wheel == "" {
			continue
		}
		pypi++
		purl := "pkg:pypi/" + p.Name + "@" + p.Version + "?file_name=" + p.Wheel
		sp := c.purls[purl]
		if sp == nil {
			t.Errorf("%s: no SPDX package with purl %s", p.Name, purl)
			continue
		}
		wantSum := p.SHA256
		if p.Built != nil {
			wantSum = p.Built.WheelSHA256
			sd := c.purls["pkg:pypi/"+p.Name+"@"+p.Version+"?file_name="+p.Built.Sdist]
			if sd == nil || checksum(sd.PackageChecksums, "SHA256") != p.SHA256 || sd.PackageDownloadLocation != p.URL {
				t.Errorf("%s: the sdist %s is not in the SBOM with sha256 %s and URL %s: %+v", p.Name, p.Built.Sdist, p.SHA256, p.URL, sd)
			}
			_, digest, _ := strings.Cut(p.Built.BuildImage, "@")
			if !strings.Contains(sp.PackageSourceInfo, p.Built.BuildImage) || digest == "" {
				t.Errorf("%s: source info %q does not name the build image %s", p.Name, sp.PackageSourceInfo, p.Built.BuildImage)
			}
		} else if sp.PackageDownloadLocation != p.URL {
			t.Errorf("%s: download location %s, the report's URL %s", p.Name, sp.PackageDownloadLocation, p.URL)
		}
		if got := checksum(sp.PackageChecksums, "SHA256"); got != wantSum || got == "" {
			t.Errorf("%s: sha256 %q in the SBOM, %q in the report", p.Name, got, wantSum)
		}
		if sp.PackageLicenseDeclared == "" {
			t.Errorf("%s: no licenseDeclared (NOASSERTION when METADATA declares none)", p.Name)
		}
		if !metadata[p.Name+"-"+strings.ToLower(p.Version)+".dist-info"] {
			t.Errorf("%s: its .dist-info/METADATA is not in the layer (scanners read it)", p.Name)
		}
		for _, v := range p.Vendored {
			t.Errorf("a wheel package with vendored libraries: %+v", v)
		}
	}
	got := 0
	for _, sp := range doc.Packages {
		if sp.PrimaryPackagePurpose == "LIBRARY" && strings.HasPrefix(firstPURL(sp), "pkg:pypi/") {
			got++
		}
	}
	if got != pypi {
		t.Errorf("%d pypi library packages in the SBOM, %d in the report", got, pypi)
	}
	for _, p := range rep.Packages {
		for _, v := range p.Vendored {
			fname := path.Join(path.Dir(v.Path), path.Base(v.Source))
			e := zf[fname]
			if e == nil {
				t.Errorf("vendored %s: %s not in the layer", v.Soname, fname)
				continue
			}
			sum := sha256.Sum256(zipData(t, e))
			fl := c.files["./"+fname]
			if fl == nil {
				t.Errorf("vendored %s: no SPDX file ./%s", v.Soname, fname)
				continue
			}
			if got := checksum(fl.Checksums, "SHA256"); got != hex.EncodeToString(sum[:]) || got != v.SHA256 {
				t.Errorf("vendored %s: sha256 %s in the SBOM, %s in the report, %x in the layer", v.Soname, got, v.SHA256, sum)
			}
			if checksum(fl.Checksums, "SHA1") == "" || !strings.Contains(fl.FileComment, "soname "+v.Soname) {
				t.Errorf("vendored %s: %+v", v.Soname, fl)
			}
		}
	}

	var pub publish.Publish
	b, err := os.ReadFile(filepath.Join(dir, "publish.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &pub); err != nil {
		t.Fatal(err)
	}
	if pub.SHA256 != hex.EncodeToString(zipSum[:]) || pub.CodeSHA256 != base64.StdEncoding.EncodeToString(zipSum[:]) {
		t.Errorf("publish.json digests %s / %s; layer.zip's sha256 is %x", pub.SHA256, pub.CodeSHA256, zipSum)
	}
	if pub.Zipped != int64(len(zipBytes)) || pub.Unzipped != unzipped {
		t.Errorf("publish.json sizes %d zipped / %d unzipped; the archive is %d bytes and unpacks %d", pub.Zipped, pub.Unzipped, len(zipBytes), unzipped)
	}
	if rep.Profile == "aws-lambda" {
		arch := map[string]string{"linux/amd64": "x86_64", "linux/arm64": "arm64"}[rep.Platform]
		runtimes := []string{rep.Runtime}
		if len(rep.Runtimes) > 0 { // a layer for several runtimes
			runtimes = rep.Runtimes
		}
		if !reflect.DeepEqual(pub.CompatibleRuntimes, runtimes) || !reflect.DeepEqual(pub.CompatibleArchitectures, []string{arch}) {
			t.Errorf("publish.json runtimes %v architectures %v, want %v [%s]", pub.CompatibleRuntimes, pub.CompatibleArchitectures, runtimes, arch)
		}
		for _, l := range pub.Limits {
			if l.Name == "unzipped" && (l.Limit != 250<<20 || l.Size != unzipped || !l.OK) {
				t.Errorf("publish.json unzipped limit %+v", l)
			}
		}
		last := pub.Commands[len(pub.Commands)-1]
		if !strings.Contains(last, "aws lambda publish-layer-version --layer-name ") ||
			!strings.Contains(last, " --compatible-runtimes "+strings.Join(runtimes, " ")+" --compatible-architectures "+arch) {
			t.Errorf("publish command %q", last)
		}
	}
	return c
}

func checksum(cs []spdx.Checksum, alg string) string {
	for _, c := range cs {
		if string(c.Algorithm) == alg {
			return c.Value
		}
	}
	return ""
}

func firstPURL(p *spdx.Package) string {
	for _, r := range p.PackageExternalReferences {
		if r.RefType == "purl" {
			return r.Locator
		}
	}
	return ""
}

// `--sbom=true` gets geolayer's own SPDX document as each platform's
// attestation, and BuildKit runs no scanner (the dev world has no scanner
// image: a scan would fail, and the log would name it). The control: the
// lock target supplies no SBOM, and the same flag makes BuildKit try its
// scanner. The zip target writes sbom.spdx.json and publish.json beside
// layer.zip, cross-checked against report.json and the archive; the build
// log's report ends with the publish command; the report target exports
// the same files.
func TestSBOMAttestationReplacesTheScanner(t *testing.T) {
	dir := fixtureProject(t, "3.13")
	// A fresh SOURCE_DATE_EPOCH re-runs the fragment and assemble steps
	// (whose log holds the publish command) but not install or TEST.
	epoch := time.Now().Unix()
	out := filepath.Join(dir, "out")
	log := buildx(t, dir, false, "-f", "Geolayerfile", "--sbom=true", "--build-arg", "SOURCE_DATE_EPOCH="+strconv.FormatInt(epoch, 10),
		"--platform", "linux/amd64,linux/arm64", "-o", out, ".")
	for _, bad := range []string{"generating sbom using", "buildkit-syft-scanner"} {
		if strings.Contains(log, bad) {
			t.Errorf("the build ran BuildKit's scanner (%q in the log)", bad)
		}
	}
	for _, arch := range []string{"amd64", "arm64"} {
		pdir := filepath.Join(out, "linux_"+arch)
		c := checkSBOM(t, pdir)
		if want := time.Unix(epoch, 0).UTC().Format("2006-01-02T15:04:05Z"); c.doc.CreationInfo.Created != want {
			t.Errorf("%s: created %s, want SOURCE_DATE_EPOCH %s", arch, c.doc.CreationInfo.Created, want)
		}
		// The attestation: an in-toto statement whose predicate is our
		// document and whose subjects include layer.zip.
		raw, err := os.ReadFile(filepath.Join(pdir, "sbom.spdx.intoto.json"))
		if err != nil {
			t.Fatalf("%s: no attestation beside the layer: %v", arch, err)
		}
		var stmt struct {
			PredicateType string `json:"predicateType"`
			Subject       []struct {
				Name   string            `json:"name"`
				Digest map[string]string `json:"digest"`
			} `json:"subject"`
			Predicate json.RawMessage `json:"predicate"`
		}
		if err := json.Unmarshal(raw, &stmt); err != nil {
			t.Fatal(err)
		}
		if stmt.PredicateType != "https://spdx.dev/Document" {
			t.Errorf("%s: predicate type %s", arch, stmt.PredicateType)
		}
		pred, err := spdxjson.Read(bytes.NewReader(stmt.Predicate))
		if err != nil {
			t.Fatalf("%s: the attestation's predicate is not SPDX: %v", arch, err)
		}
		if pred.DocumentNamespace != c.doc.DocumentNamespace || len(pred.Packages) != len(c.doc.Packages) || len(pred.Files) != len(c.doc.Files) {
			t.Errorf("%s: the attestation is not sbom.spdx.json: %s, %d packages", arch, pred.DocumentNamespace, len(pred.Packages))
		}
		zipSum := sha(t, filepath.Join(pdir, "layer.zip"))
		found := false
		for _, s := range stmt.Subject {
			found = found || strings.HasSuffix(s.Name, "layer.zip") && s.Digest["sha256"] == zipSum
		}
		if !found {
			t.Errorf("%s: no subject layer.zip with sha256 %s: %+v", arch, zipSum, stmt.Subject)
		}
		var pub publish.Publish
		b, err := os.ReadFile(filepath.Join(pdir, "publish.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &pub); err != nil {
			t.Fatal(err)
		}
		if cmd := pub.Commands[len(pub.Commands)-1]; !strings.Contains(log, "$ "+cmd) {
			t.Errorf("%s: the build log does not show %q", arch, cmd)
		}
	}
	// The report target exports the same SBOM and publish.json.
	rout := filepath.Join(dir, "report")
	buildx(t, dir, false, "-f", "Geolayerfile", "--target", "report", "--build-arg", "SOURCE_DATE_EPOCH="+strconv.FormatInt(epoch, 10),
		"--platform", "linux/amd64", "-o", rout, ".")
	for _, f := range []string{"sbom.spdx.json", "publish.json"} {
		if sha(t, filepath.Join(rout, f)) != sha(t, filepath.Join(out, "linux_amd64", f)) {
			t.Errorf("--target report's %s differs from the zip target's", f)
		}
	}

	// Control: no SBOM of ours (the lock target), and BuildKit tries its
	// scanner, which this offline world lacks.
	ctl := buildx(t, dir, true, "-f", "Geolayerfile", "--target", "lock", "--sbom=true", "--platform", "linux/amd64", "-o", filepath.Join(dir, "lock"), ".")
	if !strings.Contains(ctl, "buildkit-syft-scanner") {
		t.Errorf("the control build did not try BuildKit's scanner:\n%s", tail(ctl, 20))
	}
}

// Lambda takes a single image manifest, not an index (any attestation
// turns an image into one): built for one platform with
// --provenance=false, the image target pushes one manifest whose media
// types are ones Lambda's loader accepts (OCI or Docker v2 schema 2, gzip
// layers).
func TestLambdaImageIsOneManifest(t *testing.T) {
	dir := project(t, "TARGET aws-lambda python3.13\nREQUIRE glf-pure==1.0.0 glf-pure-dep==1.0.0\n", nil)
	ref := env.registry + "/geolayer-test/lambda-single:it"
	buildx(t, dir, false, "-f", "Geolayerfile", "--target", "image", "--platform", "linux/amd64", "--provenance=false",
		"-o", "type=image,name="+ref+",push=true,registry.insecure=true", ".")
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(r)
	if err != nil {
		t.Fatal(err)
	}
	if desc.MediaType != types.OCIManifestSchema1 && desc.MediaType != types.DockerManifestSchema2 {
		t.Fatalf("the image is a %s, not a single manifest Lambda accepts", desc.MediaType)
	}
	img, err := desc.Image()
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != types.OCIConfigJSON && m.Config.MediaType != types.DockerConfigJSON {
		t.Errorf("config media type %s", m.Config.MediaType)
	}
	// The layers geolayer adds are gzip tars; the runtime image's own
	// layers are reused as that image has them (the dev world's stand-in
	// is pushed uncompressed; the real public.ecr.aws/lambda/python layers
	// are gzip). compression=gzip,force-compression=true re-compresses
	// them all (docs/geolayerfile.md).
	baseRef, err := name.ParseReference(env.registry+"/lambda/python:3.13", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	base, err := remote.Image(baseRef, remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"}))
	if err != nil {
		t.Fatal(err)
	}
	bm, err := base.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	inBase := map[v1.Hash]bool{}
	for _, l := range bm.Layers {
		inBase[l.Digest] = true
	}
	added := 0
	for _, l := range m.Layers {
		if inBase[l.Digest] {
			continue
		}
		added++
		if l.MediaType != types.OCILayer && l.MediaType != types.DockerLayer {
			t.Errorf("layer %s has media type %s (Lambda takes gzip tar layers)", l.Digest, l.MediaType)
		}
	}
	if added == 0 || added == len(m.Layers) {
		t.Errorf("%d of %d layers are not the runtime image's: want the layer added on top of it", added, len(m.Layers))
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("config platform %s/%s", cf.OS, cf.Architecture)
	}
}
