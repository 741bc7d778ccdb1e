// Package sbom writes a layer's SPDX 2.3 software bill of materials,
// sbom.spdx.json, from what the build used: the report of the assembled
// layer (pkg/report: every wheel with its file, URL and sha256, every
// package compiled from an sdist with the sdist and the build image, every
// library vendored from the build stage with its hashes and the OS package
// that installed it) and the layer archive itself, which the document
// describes. Nothing is scanned: each element comes from a step that
// fetched, compiled or copied it.
//
// The document is built with the types of github.com/spdx/tools-golang
// (spdx/v2/v2_3) and written with its json package; tests read it back
// with the same library's parser. Package URLs are built with
// github.com/package-url/packageurl-go. The package imports no BuildKit
// code.
package sbom

import (
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/geolayer/geolayer/pkg/report"
	packageurl "github.com/package-url/packageurl-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// FileName is the SBOM's name beside layer.zip.
const FileName = "sbom.spdx.json"

// LayerID is the SPDX identifier of the layer archive, the element the
// document describes.
const LayerID = "SPDXRef-Layer"

// Layer is the archive the document describes.
type Layer struct {
	FileName string // "layer.zip"
	SHA256   string // hex
	SHA1     string // hex
	Size     int64
}

// Options are the document's creation facts.
type Options struct {
	// Created is the document's creation time: the build's
	// SOURCE_DATE_EPOCH (the archive's timestamps), so that the same
	// inputs give the same document.
	Created time.Time
	// Tool names the generator ("geolayer-1.2.0").
	Tool string
}

const noAssertion = "NOASSERTION"

// Build returns the SPDX 2.3 document of a layer: the archive (described
// by the document) contains one package per wheel (name, version, the
// wheel file, its URL and sha256, a pkg:pypi purl, the license its
// METADATA declares), for a package compiled from its sdist the sdist and
// the build image it was compiled in, and one file per vendored library
// (its path in the layer, soname, sha1 and sha256, and the OS package of
// the build stage that installed it).
func Build(rep *report.Report, layer Layer, opts Options) (*spdx.Document, error) {
	if rep == nil {
		return nil, fmt.Errorf("sbom: no report")
	}
	if !isHex(layer.SHA256, 64) || !isHex(layer.SHA1, 40) {
		return nil, fmt.Errorf("sbom: the layer's sha256 and sha1 must be hex digests")
	}
	b := &builder{ids: map[string]bool{}, licenses: map[string]string{}}
	tool := opts.Tool
	if tool == "" {
		tool = "geolayer"
	}
	doc := &spdx.Document{
		SPDXVersion:    spdx.Version,
		DataLicense:    spdx.DataLicense,
		SPDXIdentifier: "DOCUMENT",
		DocumentName:   fmt.Sprintf("%s %s layer for %s", rep.Profile, runtimesOf(rep), rep.Platform),
		// The SPDX spec's suggested form for documents not published at a
		// URL of their own: https://spdx.org/spdxdocs/<name>-<unique part>;
		// the archive's digest makes it unique to this layer.
		DocumentNamespace: fmt.Sprintf("https://spdx.org/spdxdocs/geolayer-%s-%s", slug(rep.Platform), layer.SHA256),
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: tool}},
			Created:  opts.Created.UTC().Format("2006-01-02T15:04:05Z"),
		},
	}
	b.ids[LayerID] = true
	layerPkg := &spdx.Package{
		PackageName:               layer.FileName,
		PackageSPDXIdentifier:     common.ElementID(strings.TrimPrefix(LayerID, "SPDXRef-")),
		PackageFileName:           layer.FileName,
		PackageDownloadLocation:   noAssertion,
		FilesAnalyzed:             false,
		IsFilesAnalyzedTagPresent: true,
		PackageChecksums: []common.Checksum{
			{Algorithm: common.SHA1, Value: layer.SHA1},
			{Algorithm: common.SHA256, Value: layer.SHA256},
		},
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  noAssertion,
		PackageCopyrightText:    noAssertion,
		PrimaryPackagePurpose:   "ARCHIVE",
		PackageComment: fmt.Sprintf("%s %s layer for %s: %d files, %d bytes unzipped, %d bytes zipped",
			rep.Profile, runtimesOf(rep), rep.Platform, rep.Totals.Files, rep.Totals.Unzipped, layer.Size),
	}
	doc.Packages = append(doc.Packages, layerPkg)
	doc.Relationships = append(doc.Relationships, rel("DOCUMENT", LayerID, "DESCRIBES"))

	pkgs := append([]report.Package(nil), rep.Packages...)
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Name < pkgs[j].Name })
	images := map[string]string{} // build image -> SPDX id
	osPkgs := map[string]string{} // purl -> SPDX id
	files := map[string]bool{}
	for _, p := range pkgs {
		// Every package with a file of its own is described, its name
		// or not: only the vendored libraries' entry has none (an SBOM
		// never leaves a package out).
		if p.Wheel != "" || p.SHA256 != "" || p.Built != nil {
			id, err := b.wheelPackage(doc, p, images)
			if err != nil {
				return nil, err
			}
			doc.Relationships = append(doc.Relationships, rel(LayerID, id, "CONTAINS"))
		}
		for _, v := range p.Vendored {
			if err := b.vendoredFile(doc, v, files, osPkgs); err != nil {
				return nil, err
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(b.licenses)) {
		doc.OtherLicenses = append(doc.OtherLicenses, &spdx.OtherLicense{
			LicenseIdentifier: id,
			ExtractedText:     b.licenses[id],
			LicenseName:       "License field of the package's METADATA",
		})
	}
	return doc, nil
}

// Write writes the document as indented JSON.
func Write(w io.Writer, doc *spdx.Document) error {
	return spdxjson.Write(doc, w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false))
}

type builder struct {
	ids map[string]bool
	// licenses are the LicenseRef- identifiers made for free-text
	// declarations, with their text.
	licenses map[string]string
}

// id returns a fresh SPDX identifier ("SPDXRef-" + idstring, idstring
// made of letters, digits, "." and "-").
// runtimesOf names the layer's runtimes: "python3.13", or
// "python3.11+python3.13" for a layer for several.
func runtimesOf(rep *report.Report) string {
	if len(rep.Runtimes) > 1 {
		return strings.Join(rep.Runtimes, "+")
	}
	return rep.Runtime
}

// runtimeSuffix tells a package's copies apart in a layer for several
// runtimes ("-python3.11"); "" otherwise.
func runtimeSuffix(p report.Package) string {
	if p.Runtime == "" {
		return ""
	}
	return "-" + p.Runtime
}

func (b *builder) id(kind, name string) string {
	base := "SPDXRef-" + kind + "-" + slug(name)
	id := base
	for i := 2; b.ids[id]; i++ {
		id = fmt.Sprintf("%s-%d", base, i)
	}
	b.ids[id] = true
	return id
}

func (b *builder) wheelPackage(doc *spdx.Document, p report.Package, images map[string]string) (string, error) {
	id := b.id("Package-pypi", p.Name+"-"+p.Version+runtimeSuffix(p))
	sp := &spdx.Package{
		PackageName:               p.Name,
		PackageSPDXIdentifier:     elementID(id),
		PackageVersion:            p.Version,
		PackageFileName:           p.Wheel,
		PackageDownloadLocation:   orNoAssertion(p.URL),
		FilesAnalyzed:             false,
		IsFilesAnalyzedTagPresent: true,
		PackageLicenseConcluded:   noAssertion,
		PackageLicenseDeclared:    b.declared(p),
		PackageCopyrightText:      noAssertion,
		PrimaryPackagePurpose:     "LIBRARY",
		PackageExternalReferences: []*spdx.PackageExternalReference{{
			Category: "PACKAGE-MANAGER", RefType: "purl", Locator: pypiPURL(p.Name, p.Version, p.Wheel),
		}},
	}
	if p.Built == nil {
		if !isHex(p.SHA256, 64) {
			return "", fmt.Errorf("sbom: %s: the wheel's sha256 %q is not a hex digest", p.Name, p.SHA256)
		}
		sp.PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: p.SHA256}}
		doc.Packages = append(doc.Packages, sp)
		return id, nil
	}
	// Compiled from its sdist (BUILD): the wheel was made here, not
	// downloaded; the sdist it came from and the build image it was
	// compiled in are elements of their own.
	if !isHex(p.Built.WheelSHA256, 64) || !isHex(p.SHA256, 64) {
		return "", fmt.Errorf("sbom: %s: the compiled wheel's or the sdist's sha256 is not a hex digest", p.Name)
	}
	sp.PackageDownloadLocation = noAssertion
	sp.PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: p.Built.WheelSHA256}}
	sp.PackageSourceInfo = fmt.Sprintf("compiled from %s (sha256 %s) in the build image %s", p.Built.Sdist, p.SHA256, p.Built.BuildImage)
	doc.Packages = append(doc.Packages, sp)

	sid := b.id("Package-sdist", p.Name+"-"+p.Version+runtimeSuffix(p))
	doc.Packages = append(doc.Packages, &spdx.Package{
		PackageName:               p.Name,
		PackageSPDXIdentifier:     elementID(sid),
		PackageVersion:            p.Version,
		PackageFileName:           p.Built.Sdist,
		PackageDownloadLocation:   orNoAssertion(p.URL),
		FilesAnalyzed:             false,
		IsFilesAnalyzedTagPresent: true,
		PackageChecksums:          []common.Checksum{{Algorithm: common.SHA256, Value: p.SHA256}},
		PackageLicenseConcluded:   noAssertion,
		PackageLicenseDeclared:    noAssertion,
		PackageCopyrightText:      noAssertion,
		PrimaryPackagePurpose:     "SOURCE",
		PackageExternalReferences: []*spdx.PackageExternalReference{{
			Category: "PACKAGE-MANAGER", RefType: "purl", Locator: pypiPURL(p.Name, p.Version, p.Built.Sdist),
		}},
	})
	doc.Relationships = append(doc.Relationships, rel(id, sid, "GENERATED_FROM"))
	if img := p.Built.BuildImage; img != "" {
		iid, ok := images[img]
		if !ok {
			iid = b.id("Image", img)
			images[img] = iid
			doc.Packages = append(doc.Packages, imagePackage(iid, img))
		}
		doc.Relationships = append(doc.Relationships, rel(iid, id, "BUILD_TOOL_OF"))
	}
	return id, nil
}

// imagePackage is the build image, by its digest-pinned reference.
func imagePackage(id, ref string) *spdx.Package {
	name, dgst, _ := strings.Cut(ref, "@")
	sp := &spdx.Package{
		PackageName:               name,
		PackageSPDXIdentifier:     elementID(id),
		PackageVersion:            dgst,
		PackageDownloadLocation:   noAssertion,
		FilesAnalyzed:             false,
		IsFilesAnalyzedTagPresent: true,
		PackageLicenseConcluded:   noAssertion,
		PackageLicenseDeclared:    noAssertion,
		PackageCopyrightText:      noAssertion,
		PrimaryPackagePurpose:     "CONTAINER",
		PackageComment:            "the image BUILD compiled in (the build stage is this image after the Geolayerfile's RUN steps): " + ref,
	}
	if alg, hexd, ok := strings.Cut(dgst, ":"); ok && alg == "sha256" && isHex(hexd, 64) {
		sp.PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: hexd}}
		// pkg:oci/<last path element>@<digest>?repository_url=<name>
		// (purl-spec PURL-TYPES: oci).
		base := path.Base(strings.ToLower(name))
		if i := strings.LastIndexByte(base, ':'); i > 0 {
			base = base[:i]
		}
		repo := name
		if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
			repo = repo[:i] // the tag is not part of the repository
		}
		q := packageurl.QualifiersFromMap(map[string]string{"repository_url": repo})
		sp.PackageExternalReferences = []*spdx.PackageExternalReference{{
			Category: "PACKAGE-MANAGER", RefType: "purl",
			Locator: packageurl.NewPackageURL(packageurl.TypeOCI, "", base, dgst, q, "").ToString(),
		}}
	}
	return sp
}

func (b *builder) vendoredFile(doc *spdx.Document, v report.VendoredLib, files map[string]bool, osPkgs map[string]string) error {
	// The library is shipped under its real file name, with a link of its
	// soname when they differ (helper vendor).
	name := "./" + path.Join(path.Dir(v.Path), path.Base(v.Source))
	if files[name] {
		return nil
	}
	files[name] = true
	if !isHex(v.SHA256, 64) || !isHex(v.SHA1, 40) {
		return fmt.Errorf("sbom: vendored %s: no sha256/sha1 recorded (report from an older helper?)", v.Path)
	}
	id := b.id("File-vendored", path.Base(v.Source))
	comment := fmt.Sprintf("vendored from the build stage: %s (sha256 %s), soname %s, needed by %s",
		v.Source, v.SourceSHA256, v.Soname, strings.Join(v.NeededBy, ", "))
	if v.OSPackage != nil {
		comment += fmt.Sprintf("; installed there by the %s package %s %s", v.OSPackage.Manager, v.OSPackage.Name, v.OSPackage.Version)
	} else {
		comment += "; no package of the build stage's package database lists it"
	}
	doc.Files = append(doc.Files, &spdx.File{
		FileName:           name,
		FileSPDXIdentifier: elementID(id),
		FileTypes:          []string{"BINARY"},
		Checksums: []common.Checksum{
			{Algorithm: common.SHA1, Value: v.SHA1},
			{Algorithm: common.SHA256, Value: v.SHA256},
		},
		LicenseConcluded:  noAssertion,
		FileCopyrightText: noAssertion,
		FileComment:       comment,
	})
	doc.Relationships = append(doc.Relationships, rel(LayerID, id, "CONTAINS"))
	if op := v.OSPackage; op != nil && op.Name != "" {
		purl := osPURL(op)
		pid, ok := osPkgs[purl]
		if !ok {
			pid = b.id("Package-"+slug(op.Manager), op.Name+"-"+op.Version+"-"+op.Architecture)
			osPkgs[purl] = pid
			doc.Packages = append(doc.Packages, &spdx.Package{
				PackageName:               op.Name,
				PackageSPDXIdentifier:     elementID(pid),
				PackageVersion:            op.Version,
				PackageDownloadLocation:   noAssertion,
				FilesAnalyzed:             false,
				IsFilesAnalyzedTagPresent: true,
				PackageLicenseConcluded:   noAssertion,
				PackageLicenseDeclared:    noAssertion,
				PackageCopyrightText:      noAssertion,
				PrimaryPackagePurpose:     "LIBRARY",
				PackageComment:            "installed in the build stage (" + op.Manager + " database); the layer carries a copy of its library",
				PackageExternalReferences: []*spdx.PackageExternalReference{{
					Category: "PACKAGE-MANAGER", RefType: "purl", Locator: purl,
				}},
			})
		}
		doc.Relationships = append(doc.Relationships, rel(id, pid, "GENERATED_FROM"))
	}
	return nil
}

// declared is the package's licenseDeclared: its License-Expression when
// it reads as an SPDX expression, a known SPDX identifier written alone
// in License, else a LicenseRef- carrying the free text; NOASSERTION when
// METADATA declares none.
func (b *builder) declared(p report.Package) string {
	lic := strings.TrimSpace(p.License)
	switch {
	case lic == "":
		return noAssertion
	case p.LicenseExpression && validExpression(lic):
		return lic
	case !p.LicenseExpression && commonIDs[lic]:
		return lic
	}
	base := "LicenseRef-" + slug(p.Name)
	id := base
	for i := 2; b.licenses[id] != "" && b.licenses[id] != lic; i++ {
		id = fmt.Sprintf("%s-%d", base, i)
	}
	b.licenses[id] = lic
	return id
}

// commonIDs are SPDX license list identifiers that wheels write alone in
// their License field (https://spdx.org/licenses/); any other text becomes
// a LicenseRef-.
var commonIDs = map[string]bool{
	"MIT": true, "BSD-2-Clause": true, "BSD-3-Clause": true, "Apache-2.0": true, "ISC": true,
	"MPL-2.0": true, "LGPL-2.1-only": true, "LGPL-2.1-or-later": true, "LGPL-3.0-only": true, "LGPL-3.0-or-later": true,
	"GPL-2.0-only": true, "GPL-2.0-or-later": true, "GPL-3.0-only": true, "GPL-3.0-or-later": true,
	"PSF-2.0": true, "Python-2.0": true, "Zlib": true, "Unlicense": true, "0BSD": true, "CC0-1.0": true,
}

// validExpression checks SPDX license expression syntax (SPDX 2.3 annex
// D): identifiers and LicenseRef-s joined by AND, OR, WITH and balanced
// parentheses. It does not check identifiers against the license list.
func validExpression(s string) bool {
	s = strings.NewReplacer("(", " ( ", ")", " ) ").Replace(s)
	depth, wantTerm := 0, true
	for _, tok := range strings.Fields(s) {
		switch tok {
		case "(":
			if !wantTerm {
				return false
			}
			depth++
		case ")":
			if wantTerm || depth == 0 {
				return false
			}
			depth--
		case "AND", "OR", "WITH":
			if wantTerm {
				return false
			}
			wantTerm = true
		default:
			if !wantTerm || !licenseID(strings.TrimSuffix(tok, "+")) {
				return false
			}
			wantTerm = false
		}
	}
	return depth == 0 && !wantTerm
}

func licenseID(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '.' && r != '-' && r != ':' {
			return false
		}
	}
	return true
}

// pypiPURL is pkg:pypi/<name>@<version>?file_name=<file> (purl-spec
// PURL-TYPES pypi: name lower-cased with "_" as "-"; file_name selects the
// distribution file).
func pypiPURL(name, version, file string) string {
	n := strings.ReplaceAll(strings.ToLower(name), "_", "-")
	var q packageurl.Qualifiers
	if file != "" {
		q = packageurl.QualifiersFromMap(map[string]string{"file_name": file})
	}
	return packageurl.NewPackageURL(packageurl.TypePyPi, "", n, version, q, "").ToString()
}

// osPURL is pkg:deb/<distro>/<name>@<version>?arch=<arch>.
func osPURL(op *report.OSPackage) string {
	typ := packageurl.TypeGeneric
	if op.Manager == "dpkg" {
		typ = packageurl.TypeDebian
	}
	var q packageurl.Qualifiers
	if op.Architecture != "" {
		q = packageurl.QualifiersFromMap(map[string]string{"arch": op.Architecture})
	}
	return packageurl.NewPackageURL(typ, op.Distro, op.Name, op.Version, q, "").ToString()
}

func rel(a, b, kind string) *spdx.Relationship {
	return &spdx.Relationship{RefA: docElement(a), RefB: docElement(b), Relationship: kind}
}

func docElement(id string) common.DocElementID {
	return common.MakeDocElementID("", strings.TrimPrefix(id, "SPDXRef-"))
}

func elementID(id string) common.ElementID {
	return common.ElementID(strings.TrimPrefix(id, "SPDXRef-"))
}

// slug keeps the characters SPDX identifiers allow (letters, digits, "."
// and "-") and writes "-" for any other.
func slug(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}

func orNoAssertion(s string) string {
	if s == "" {
		return noAssertion
	}
	return s
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}
