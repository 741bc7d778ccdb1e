// Package report defines report.json: what went into a layer, per package,
// and the totals against the platform's limits. It is written by the helper
// and read by tests, the CLI and people; its output is deterministic.
package report

import (
	"encoding/json"
	"io"
	"os"
	"sort"
)

// Key names the package in a layer: its name, or "<name>@<runtime>" in a
// layer for several runtimes. Shares, notes and the layer's entries name
// packages by their keys.
func (p *Package) Key() string {
	if p.Runtime == "" {
		return p.Name
	}
	return p.Name + "@" + p.Runtime
}

// Package is one installed distribution.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Runtime is the runtime this copy of the package was chosen and
	// installed for, set only in a layer for several runtimes (TARGET
	// aws-lambda python3.11 python3.13), where a package can be there once
	// per runtime; Key tells the copies apart.
	Runtime string `json:"runtime,omitempty"`
	Wheel   string `json:"wheel"`
	URL     string `json:"url,omitempty"`
	SHA256  string `json:"sha256"`
	// Files and Bytes are what the package holds after slimming, every
	// file at its full size: before deduplication, so files it shares with
	// other packages count in each of them (Layer says what is its own).
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
	// ZippedBytes is the size of the package's compressed fragment (also
	// before deduplication).
	ZippedBytes int64 `json:"zippedBytes,omitempty"`
	// Layer is the package's part of the assembled layer, after
	// deduplication: what only it holds, what it shares with which
	// packages, and what removing it would save (schema v2; nil in the
	// per-package reports the steps before assembly write).
	Layer *PackageLayer `json:"layer,omitempty"`
	// Installed is the package as its wheel installed it, before slimming.
	Installed *Size `json:"installed,omitempty"`
	// Prune says what the prune step removed (nil when it did not run).
	Prune *Prune `json:"prune,omitempty"`
	// Strip says what the strip step did (nil when it did not run).
	Strip *Strip `json:"strip,omitempty"`
	// Bytecode says what the bytecode step added (nil when it did not run).
	Bytecode *Bytecode `json:"bytecode,omitempty"`
	// Licenses are the package's license files, kept in the layer.
	Licenses []string `json:"licenses,omitempty"`
	// DataDirs are data folders the package bundles for a native library
	// that reads an environment variable (PROJ_DATA, GDAL_DATA).
	DataDirs []DataDir `json:"dataDirs,omitempty"`
	// Vendored lists the build stage's libraries this package (the
	// native-libraries pseudo-package) carries for the BUILD packages.
	Vendored []VendoredLib `json:"vendored,omitempty"`
	Warnings []string      `json:"warnings,omitempty"`
	// License is the license the wheel's METADATA declares: its
	// License-Expression (PEP 639, SPDX syntax; LicenseExpression is then
	// true) or else its free-text License field ("" when neither).
	License           string `json:"license,omitempty"`
	LicenseExpression bool   `json:"licenseExpression,omitempty"`
	// Built is set for a package compiled from its sdist (BUILD): URL and
	// SHA256 above are then the sdist's, Wheel the wheel compiled from it.
	Built *Built `json:"built,omitempty"`
}

// Built says how a package was compiled from its sdist.
type Built struct {
	Sdist string `json:"sdist"`
	// BuildImage is the build image the wheel was compiled in, pinned by
	// digest (the build stage is that image after the RUN steps).
	BuildImage string `json:"buildImage"`
	// WheelSHA256 is the sha256 of the wheel pip compiled (hex).
	WheelSHA256 string `json:"wheelSha256"`
}

// VendoredLib is one library copied from the build stage into the layer's
// library folder because a compiled package needs it and the runtime lacks
// it.
type VendoredLib struct {
	Soname string `json:"soname"`
	// Path is where it is in the layer; Source where it came from in the
	// build stage.
	Path   string `json:"path"`
	Source string `json:"source"`
	Bytes  int64  `json:"bytes"`
	// NeededBy are the layer files and vendored libraries that need it.
	NeededBy []string `json:"neededBy"`
	// SHA256 and SHA1 are the hashes of the file as shipped in the layer
	// (after STRIP); SourceSHA256 that of Source in the build stage.
	SHA256       string `json:"sha256,omitempty"`
	SHA1         string `json:"sha1,omitempty"`
	SourceSHA256 string `json:"sourceSha256,omitempty"`
	// OSPackage is the build stage's package that installed Source, as its
	// package database says (nil when none does: a library built by RUN,
	// or a build stage without a dpkg database).
	OSPackage *OSPackage `json:"osPackage,omitempty"`
}

// OSPackage is a package of the build stage's operating system.
type OSPackage struct {
	// Manager is the package database read: "dpkg".
	Manager      string `json:"manager"`
	Name         string `json:"name"`
	Version      string `json:"version,omitempty"`
	Architecture string `json:"architecture,omitempty"`
	// Distro is os-release's ID ("debian", "ubuntu"), for the purl.
	Distro string `json:"distro,omitempty"`
}

// Size is a file count and byte total.
type Size struct {
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
}

// Prune is what the prune step removed from one package.
type Prune struct {
	Files      int   `json:"files"`
	SavedBytes int64 `json:"savedBytes"`
	// Rules are the rules that removed something, with what each removed.
	Rules []PruneRule `json:"rules,omitempty"`
	// Removed lists every removed path (relative to site-packages) and the
	// pattern that removed it.
	Removed []Removed `json:"removed,omitempty"`
}

// PruneRule is one PRUNE rule's effect on a package.
type PruneRule struct {
	Pattern string `json:"pattern"`
	Source  string `json:"source"`
	Files   int    `json:"files"`
	Bytes   int64  `json:"bytes"`
}

// Removed is one removed file.
type Removed struct {
	Path    string `json:"path"`
	Pattern string `json:"pattern"`
	Bytes   int64  `json:"bytes"`
}

// Bytecode is what BYTECODE did to one package.
type Bytecode struct {
	Optimize   int   `json:"optimize"`
	Sourceless bool  `json:"sourceless,omitempty"`
	AddedBytes int64 `json:"addedBytes"`
}

// DataDir is a bundled data folder and the variable that points a native
// library at it.
type DataDir struct {
	Variable string `json:"variable"` // PROJ_DATA, GDAL_DATA
	Path     string `json:"path"`     // run-time path, e.g. /opt/python/pyproj/proj_dir/share/proj
	Version  string `json:"version,omitempty"`
}

// Strip is what the strip step did to one package.
type Strip struct {
	Mode       string `json:"mode"`
	Files      int    `json:"files"`
	SavedBytes int64  `json:"savedBytes"`
	// Skipped are ELF files left untouched, with the reason (unusual
	// layouts such as patchelf'ed libraries).
	Skipped []Skip `json:"skipped,omitempty"`
}

// Skip is one file a step left alone, and why.
type Skip struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
	// Bytes is the file's size in the layer (schema v2: set at assembly).
	Bytes int64 `json:"bytes,omitempty"`
}

// Totals are for the whole layer.
type Totals struct {
	Files    int   `json:"files"`
	Unzipped int64 `json:"unzipped"`
	Zipped   int64 `json:"zipped"`
}

// Limits are the platform's size limits (0 = none).
type Limits struct {
	Unzipped int64 `json:"unzipped,omitempty"`
	Zipped   int64 `json:"zipped,omitempty"`
	// DirectUpload is the zipped size the platform takes in a direct
	// upload (Lambda: 50 MB; larger layers go through S3): a warning when
	// exceeded, not a limit.
	DirectUpload int64 `json:"directUpload,omitempty"`
}

// Report is report.json.
type Report struct {
	Schema   string `json:"schema"`
	Platform string `json:"platform"`
	Profile  string `json:"profile"`
	Runtime  string `json:"runtime"`
	// Runtimes are all the runtimes of a layer for several (Runtime is the
	// first of them); empty for a layer for one runtime.
	Runtimes []string `json:"runtimes,omitempty"`
	// RuntimeImage is the runtime image, pinned by digest, that TEST ran in.
	RuntimeImage string    `json:"runtimeImage,omitempty"`
	Packages     []Package `json:"packages"`
	// Shares divide the layer's unzipped bytes (Totals.Unzipped) among the
	// packages and the groups of packages that share files, every byte
	// counted once: their Bytes add up to Totals.Unzipped exactly (schema
	// v2; see Attribute).
	Shares []Share `json:"shares,omitempty"`
	// Notes are the build's warnings and the files a step left alone,
	// grouped: one line per kind, with counts and bytes (schema v2; see
	// GroupNotes). The per-file detail is in Packages (Warnings,
	// Strip.Skipped).
	Notes []Note `json:"notes,omitempty"`
	// Dedup is what cross-package deduplication stored once.
	Dedup *Dedup `json:"dedup,omitempty"`
	// Environment advises on data variables (GDAL_DATA, PROJ_DATA): which
	// values match each package's own data, and whether setting one
	// globally would shadow another package's copy.
	Environment []EnvAdvice `json:"environment,omitempty"`
	// Check is the static check's summary (nil when CHECK off).
	Check *Check `json:"check,omitempty"`
	// Imports are the import times TEST --profile-imports measured (an
	// optional v2 section, added after assembly; nil without the flag).
	Imports *Imports `json:"imports,omitempty"`
	Totals  Totals   `json:"totals"`
	Limits  Limits   `json:"limits"`
}

// Check summarizes the static ABI check of the layer's ELF files.
type Check struct {
	Files    int            `json:"files"`
	Errors   int            `json:"errors"`
	Warnings int            `json:"warnings"`
	Findings []CheckFinding `json:"findings,omitempty"`
}

// CheckFinding is one problem the check found.
type CheckFinding struct {
	Severity string `json:"severity"`
	Kind     string `json:"kind"`
	File     string `json:"file"`
	Package  string `json:"package,omitempty"`
	Detail   string `json:"detail"`
	Fix      string `json:"fix,omitempty"`
	// Runtime is set in a layer for several runtimes: the runtime whose
	// packages and image the finding is about (each runtime's packages are
	// checked against its own runtime image).
	Runtime string `json:"runtime,omitempty"`
}

// Dedup is the deduplication summary of a layer.
type Dedup struct {
	Files         int          `json:"files"`
	SavedUnzipped int64        `json:"savedUnzipped"`
	SavedZipped   int64        `json:"savedZipped"`
	Groups        []DedupGroup `json:"groups,omitempty"`
	// NearDuplicates are libraries with the same soname in several places
	// and different bytes: a shared build (BUILD --shared-libs) would keep
	// one.
	NearDuplicates []NearDuplicate `json:"nearDuplicates,omitempty"`
}

// DedupGroup is one file stored once; the duplicates became symlinks.
type DedupGroup struct {
	Kept       string   `json:"kept"`
	Duplicates []string `json:"duplicates"`
	Size       int64    `json:"size"`
}

// NearDuplicate is a library present several times with different bytes.
type NearDuplicate struct {
	Key    string   `json:"key"`
	Files  []string `json:"files"`
	Bytes  int64    `json:"bytes"`
	Saving int64    `json:"saving"`
}

// EnvAdvice is one data variable's advice.
type EnvAdvice struct {
	Variable string `json:"variable"`
	// Values lists each candidate with the package that bundles it.
	Values []DataDirOf `json:"values"`
	// Safe is true when a single global value cannot shadow another
	// package's data (one candidate only).
	Safe   bool   `json:"safe"`
	Advice string `json:"advice"`
}

// DataDirOf is a data folder with its package.
type DataDirOf struct {
	Package string `json:"package"`
	Path    string `json:"path"`
	Version string `json:"version,omitempty"`
}

// SchemaV1 names the first format: package sizes before deduplication
// only.
const SchemaV1 = "geolayer.report/v1"

// SchemaV2 names this format: v1 plus Shares, Notes, Package.Layer and
// Skip.Bytes (docs/report.md). Every v1 field keeps its meaning.
const SchemaV2 = "geolayer.report/v2"

// Sort orders packages by name so output is stable.
func (r *Report) Sort() {
	sort.Slice(r.Packages, func(i, j int) bool {
		a, b := &r.Packages[i], &r.Packages[j]
		return a.Name < b.Name || a.Name == b.Name && a.Runtime < b.Runtime
	})
}

// Write writes indented JSON with a trailing newline.
func Write(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// ReadPackage reads one package's JSON.
func ReadPackage(path string) (*Package, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p Package
	return &p, json.Unmarshal(b, &p)
}

// Read reads a report.json.
func Read(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	return &r, json.Unmarshal(b, &r)
}
