package helper

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/elfcheck"
	"github.com/geolayer/geolayer/pkg/publish"
	"github.com/geolayer/geolayer/pkg/report"
)

// One package installed for two runtimes: its reports and fragments are
// named <name>@<runtime>, the identical console script is stored once and
// held by both copies, the identical pure file (above the deduplication
// threshold) is a link, and report.json and publish.json list both
// runtimes.
func TestAssembleSeveralRuntimes(t *testing.T) {
	big := strings.Repeat("def f():\n    return 1\n", 400)
	script := "#!/usr/bin/env python3\nfrom glf.cli import main\nmain()\n"
	l := &reportLayer{trees: map[string]map[string]string{}, metas: map[string]report.Package{}}
	for _, rt := range []string{"python3.11", "python3.13"} {
		key := "glf@" + rt
		site := "python/lib/" + rt + "/site-packages/"
		l.trees[key] = map[string]string{
			"bin/glf":                     script,
			site + "glf/__init__.py":      "from glf.core import *\n",
			site + "glf/core.py":          big,
			site + "glf/_c." + rt + ".so": "compiled for " + rt,
		}
		l.metas[key] = report.Package{Name: "glf", Version: "1.0", Runtime: rt, Files: 4, Wheel: "glf-1.0-py3-none-any.whl", SHA256: strings.Repeat("a", 64)}
	}
	dir := t.TempDir()
	l.write(t, dir, "glf@python3.11", "glf@python3.13")
	o := &helperapi.Assemble{Fragments: filepath.Join(dir, "frags"), Meta: filepath.Join(dir, "meta"), Out: filepath.Join(dir, "out"),
		Platform: "linux/arm64", Profile: "aws-lambda", Runtime: "python3.11", Runtimes: []string{"python3.11", "python3.13"}, Dedup: true}
	if err := runAssemble(o, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	rep, err := report.Read(filepath.Join(dir, "out", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Runtimes, []string{"python3.11", "python3.13"}) || rep.Runtime != "python3.11" {
		t.Errorf("runtimes %v %q", rep.Runtimes, rep.Runtime)
	}
	if len(rep.Packages) != 2 || rep.Packages[0].Key() != "glf@python3.11" || rep.Packages[1].Key() != "glf@python3.13" ||
		rep.Packages[0].ZippedBytes == 0 || rep.Packages[1].ZippedBytes == 0 {
		t.Fatalf("packages %+v", rep.Packages)
	}
	zr, err := zip.OpenReader(filepath.Join(dir, "out", "layer.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = zr.Close() }()
	names := map[string]int{}
	var unzipped int64
	files := 0
	for _, f := range zr.File {
		names[f.Name]++
		unzipped += int64(f.UncompressedSize64)
		if !strings.HasSuffix(f.Name, "/") {
			files++
		}
	}
	if names["bin/glf"] != 1 || len(zr.File) != 7 {
		t.Errorf("entries %v", names)
	}
	if rep.Totals.Unzipped != unzipped || rep.Totals.Files != files {
		t.Errorf("totals %+v, the archive unpacks %d bytes in %d files", rep.Totals, unzipped, files)
	}
	var shared *report.Share
	var sum int64
	for i, s := range rep.Shares {
		sum += s.Bytes
		if len(s.Packages) == 2 {
			shared = &rep.Shares[i]
		}
	}
	if sum != rep.Totals.Unzipped {
		t.Errorf("shares add up to %d, the layer has %d", sum, rep.Totals.Unzipped)
	}
	// core.py kept once plus its link, and the script, are both copies'
	if shared == nil || !slices.Equal(shared.Packages, []string{"glf@python3.11", "glf@python3.13"}) || shared.Bytes < int64(len(big)+len(script)) {
		t.Errorf("shares %+v", rep.Shares)
	}
	if rep.Dedup == nil || rep.Dedup.Files != 1 {
		t.Errorf("dedup %+v", rep.Dedup)
	}
	// the SBOM lists both runtimes' copies
	rawSBOM, err := os.ReadFile(filepath.Join(dir, "out", "sbom.spdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Name     string `json:"name"`
		Packages []struct {
			ID   string `json:"SPDXID"`
			Name string `json:"name"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(rawSBOM, &doc); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range doc.Packages {
		if p.Name == "glf" {
			ids = append(ids, p.ID)
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"SPDXRef-Package-pypi-glf-1.0-python3.11", "SPDXRef-Package-pypi-glf-1.0-python3.13"}) || !strings.Contains(doc.Name, "python3.11+python3.13") {
		t.Errorf("SBOM %q packages %v", doc.Name, ids)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "out", publish.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var pub publish.Publish
	if err := json.Unmarshal(raw, &pub); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pub.CompatibleRuntimes, []string{"python3.11", "python3.13"}) || !strings.Contains(strings.Join(pub.Commands, "\n"), "--compatible-runtimes python3.11 python3.13") {
		t.Errorf("publish %v %q", pub.CompatibleRuntimes, pub.Commands)
	}
}

// Copies that differ at a shared path are refused, naming both.
func TestAssembleSeveralRuntimesConflict(t *testing.T) {
	l := &reportLayer{trees: map[string]map[string]string{
		"glf@python3.11": {"bin/glf": "#!/usr/bin/env python3\nimport a\n"},
		"glf@python3.13": {"bin/glf": "#!/usr/bin/env python3\nimport b\n"},
	}, metas: map[string]report.Package{
		"glf@python3.11": {Name: "glf", Version: "1.0", Runtime: "python3.11"},
		"glf@python3.13": {Name: "glf", Version: "2.0", Runtime: "python3.13"},
	}}
	dir := t.TempDir()
	l.write(t, dir, "glf@python3.11", "glf@python3.13")
	o := &helperapi.Assemble{Fragments: filepath.Join(dir, "frags"), Meta: filepath.Join(dir, "meta"), Out: filepath.Join(dir, "out"),
		Platform: "linux/arm64", Profile: "aws-lambda", Runtime: "python3.11", Runtimes: []string{"python3.11", "python3.13"}, Dedup: true}
	err := runAssemble(o, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), `"bin/glf"`) || !strings.Contains(err.Error(), "glf@python3.11") || !strings.Contains(err.Error(), "glf@python3.13") {
		t.Errorf("got %v", err)
	}
}

// The checks of a layer for several runtimes join in the report, each
// finding with its runtime; a runtime without its check is an error.
func TestReadChecksOfSeveralRuntimes(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, r elfcheck.Result) string {
		p := filepath.Join(dir, name)
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c11 := write("c11.json", elfcheck.Result{Files: []elfcheck.File{{Path: "a.so"}, {Path: "b.so"}},
		Findings: []elfcheck.Finding{{Severity: elfcheck.Error, Kind: "glibc", File: "python/lib/python3.11/site-packages/x.so", Detail: "needs GLIBC_2.28"}}})
	c13 := write("c13.json", elfcheck.Result{Files: []elfcheck.File{{Path: "c.so"}}})
	c, err := readChecks(map[string]string{"python3.13": c13, "python3.11": c11}, []string{"python3.11", "python3.13"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Files != 3 || c.Errors != 1 || c.Warnings != 0 || len(c.Findings) != 1 || c.Findings[0].Runtime != "python3.11" {
		t.Errorf("check %+v", c)
	}
	if _, err := readChecks(map[string]string{"python3.11": c11}, []string{"python3.11", "python3.13"}); err == nil || !strings.Contains(err.Error(), "python3.13") {
		t.Errorf("missing check: %v", err)
	}
}
