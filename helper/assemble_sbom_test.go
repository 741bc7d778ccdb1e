package helper

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/publish"
	"github.com/geolayer/geolayer/pkg/report"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdxlib"
)

// The assemble step writes sbom.spdx.json and publish.json beside
// layer.zip, both with the archive's own digest, and the build log ends
// with the publish command.
func TestAssembleWritesSBOMAndPublish(t *testing.T) {
	l := newReportLayer()
	for _, name := range []string{"alpha", "beta", "gamma"} {
		m := l.metas[name]
		m.Wheel = name + "-" + m.Version + "-py3-none-any.whl"
		m.URL = "http://127.0.0.1:5001/files/" + m.Wheel
		sum := sha256.Sum256([]byte(m.Wheel))
		m.SHA256 = hex.EncodeToString(sum[:])
		l.metas[name] = m
	}
	dir := t.TempDir()
	l.write(t, dir, "alpha", "beta", "gamma")
	out := filepath.Join(dir, "out")
	var log bytes.Buffer
	err := runAssemble(&helperapi.Assemble{Fragments: filepath.Join(dir, "frags"), Meta: filepath.Join(dir, "meta"), Out: out,
		Platform: "linux/amd64", Profile: "aws-lambda", Runtime: "python3.12", Dedup: true,
		Epoch: 1700000000, PlatformLimitUnzipped: 262144000, DirectUpload: 52428800,
		MountPoint: "/opt", LibDir: "lib", LibraryPath: "/var/lang/lib:/opt/lib", Env: map[string]string{"A": "1"}}, &log)
	if err != nil {
		t.Fatal(err)
	}
	zipBytes, err := os.ReadFile(filepath.Join(out, "layer.zip"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(zipBytes)
	f, err := os.Open(filepath.Join(out, "sbom.spdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	doc, err := spdxjson.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := spdxlib.ValidateDocument(doc); err != nil {
		t.Fatal(err)
	}
	if doc.CreationInfo.Created != "2023-11-14T22:13:20Z" {
		t.Errorf("created %s, want SOURCE_DATE_EPOCH's time", doc.CreationInfo.Created)
	}
	found := map[string]string{}
	for _, p := range doc.Packages {
		for _, c := range p.PackageChecksums {
			if c.Algorithm == "SHA256" {
				found[p.PackageName] = c.Value
			}
		}
	}
	if found["layer.zip"] != hex.EncodeToString(sum[:]) {
		t.Errorf("layer sha256 in the SBOM %s, the archive's %x", found["layer.zip"], sum)
	}
	for _, name := range []string{"alpha", "beta", "gamma"} {
		if found[name] != l.metas[name].SHA256 {
			t.Errorf("%s: sha256 %q in the SBOM, %q in its report", name, found[name], l.metas[name].SHA256)
		}
	}
	var pub publish.Publish
	b, err := os.ReadFile(filepath.Join(out, "publish.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &pub); err != nil {
		t.Fatal(err)
	}
	rep, err := report.Read(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if pub.SHA256 != hex.EncodeToString(sum[:]) || pub.CodeSHA256 != base64.StdEncoding.EncodeToString(sum[:]) ||
		pub.Zipped != int64(len(zipBytes)) || pub.Unzipped != rep.Totals.Unzipped || pub.CompatibleArchitectures[0] != "x86_64" {
		t.Errorf("publish.json %+v", pub)
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "  $ aws lambda publish-layer-version ") || last != "  $ "+pub.Commands[len(pub.Commands)-1] {
		t.Errorf("the log ends with %q", last)
	}
}
