// Package publish writes publish.json beside a layer.zip: what publishing
// the layer needs and how, from the layer's report and the platform's
// facts (runtimes, architectures, limits, environment). For AWS Lambda it
// gives the `aws lambda publish-layer-version` command with those values;
// for platforms without layers, what to deploy and where. The package
// imports no BuildKit code.
package publish

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/geolayer/geolayer/pkg/report"
)

// FileName is publish.json's name beside layer.zip.
const FileName = "publish.json"

// Schema names the format.
const Schema = "geolayer.publish/v1"

// Facts are the platform's, for one layer.
type Facts struct {
	// MountPoint is where the platform puts the archive's root ("/opt").
	MountPoint string
	// LibDir is the layer's library folder relative to its root ("lib"),
	// "" when the layout has none; LibraryPath the platform's own
	// LD_LIBRARY_PATH, in order.
	LibDir      string
	LibraryPath []string
	// Limits are the platform's (the profile's), not the BUDGET's.
	Limits report.Limits
	// Env is the Geolayerfile's ENV: run-time variables its author set.
	Env map[string]string
}

// Publish is publish.json.
type Publish struct {
	Schema   string `json:"schema"`
	Platform string `json:"platform"`
	Profile  string `json:"profile"`
	Runtime  string `json:"runtime"`
	File     string `json:"file"`
	// SHA256 is the archive's sha256 in hex; CodeSHA256 the same digest
	// in base64, as Lambda reports a layer version's Content.CodeSha256.
	SHA256     string `json:"sha256"`
	CodeSHA256 string `json:"codeSha256"`
	Zipped     int64  `json:"zipped"`
	Unzipped   int64  `json:"unzipped"`
	// Limits compares the sizes with the platform's limits.
	Limits []Limit `json:"limits,omitempty"`
	// Upload is how the archive reaches the platform: "direct" or "s3"
	// (Lambda: above the direct-upload size a layer is published from
	// S3); "" where the platform has no layers.
	Upload string `json:"upload,omitempty"`
	// CompatibleRuntimes and CompatibleArchitectures are Lambda's
	// publish-layer-version values (empty for other platforms).
	CompatibleRuntimes      []string `json:"compatibleRuntimes,omitempty"`
	CompatibleArchitectures []string `json:"compatibleArchitectures,omitempty"`
	// Environment is what the functions using the layer must set.
	Environment []EnvVar `json:"environment,omitempty"`
	// Notes explain the route and what is left unset.
	Notes []string `json:"notes,omitempty"`
	// Commands publish (or deploy) the layer, in order; values in angle
	// brackets are the user's to fill in.
	Commands []string `json:"commands"`
}

// Limit is one size against one platform limit.
type Limit struct {
	Name  string `json:"name"` // "unzipped", "zipped", "directUpload"
	Limit int64  `json:"limit"`
	Size  int64  `json:"size"`
	OK    bool   `json:"ok"`
	// Enforced is false for a limit that only changes the route
	// (directUpload: publish from S3 instead).
	Enforced bool `json:"enforced"`
}

// EnvVar is one variable the layer needs at run time, and why.
type EnvVar struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// Digest returns the hex and base64 forms of an archive's sha256.
func Digest(r io.Reader) (hexSum, b64Sum string, size int64, err error) {
	h := sha256.New()
	size, err = io.Copy(h, r)
	if err != nil {
		return "", "", 0, err
	}
	sum := h.Sum(nil)
	return hex.EncodeToString(sum), base64.StdEncoding.EncodeToString(sum), size, nil
}

// Build returns publish.json for a layer. sha256Hex is the archive's
// digest.
func Build(rep *report.Report, file, sha256Hex string, f Facts) (*Publish, error) {
	raw, err := hex.DecodeString(sha256Hex)
	if err != nil || len(raw) != sha256.Size {
		return nil, fmt.Errorf("publish: %q is not a sha256 in hex", sha256Hex)
	}
	p := &Publish{
		Schema: Schema, Platform: rep.Platform, Profile: rep.Profile, Runtime: rep.Runtime,
		File: file, SHA256: sha256Hex, CodeSHA256: base64.StdEncoding.EncodeToString(raw),
		Zipped: rep.Totals.Zipped, Unzipped: rep.Totals.Unzipped,
	}
	add := func(name string, limit, size int64, enforced bool) {
		if limit > 0 {
			p.Limits = append(p.Limits, Limit{Name: name, Limit: limit, Size: size, OK: size <= limit, Enforced: enforced})
		}
	}
	add("unzipped", f.Limits.Unzipped, p.Unzipped, true)
	add("zipped", f.Limits.Zipped, p.Zipped, true)
	add("directUpload", f.Limits.DirectUpload, p.Zipped, false)
	p.Environment, p.Notes = environment(rep, f)
	arch := lambdaArch(rep.Platform)
	switch rep.Profile {
	case "aws-lambda":
		p.CompatibleRuntimes = []string{rep.Runtime}
		if len(rep.Runtimes) > 0 { // one layer for several runtimes
			p.CompatibleRuntimes = slices.Clone(rep.Runtimes)
		}
		if arch != "" {
			p.CompatibleArchitectures = []string{arch}
		}
		p.Upload = "direct"
		if f.Limits.DirectUpload > 0 && p.Zipped > f.Limits.DirectUpload {
			p.Upload = "s3"
			p.Notes = append(p.Notes, fmt.Sprintf("the zipped layer (%d bytes) is over Lambda's %d-byte direct upload: upload it to S3 and publish it from there (publish-layer-version --content S3Bucket=...,S3Key=...); from S3 only the %d-byte unzipped limit applies",
				p.Zipped, f.Limits.DirectUpload, f.Limits.Unzipped))
		}
		p.Commands = lambdaCommands(p, arch)
	case "azure-functions":
		// Azure Functions has no layers: the packages go into the app's
		// .python_packages/lib/site-packages and the app is published
		// without a remote build ("Custom dependencies",
		// https://learn.microsoft.com/azure/azure-functions/python-build-options).
		p.Notes = append(p.Notes, "Azure Functions has no layers: unpack the archive into the function app's project folder (it holds .python_packages/lib/site-packages) and publish the app without a remote build")
		p.Commands = []string{
			"unzip -o " + file + " -d <function app project folder>",
			"func azure functionapp publish <app name> --no-build",
		}
	case "gcp-functions":
		// Cloud Run functions have no layers: packages vendored next to
		// main.py are importable ("Package local dependencies",
		// https://cloud.google.com/functions/docs/writing/specifying-dependencies-python).
		p.Notes = append(p.Notes, "Cloud Run functions have no layers: unpack the archive into the function's source folder, next to main.py, and deploy that folder")
		p.Commands = []string{
			"unzip -o " + file + " -d <function source folder>",
			fmt.Sprintf("gcloud functions deploy <function name> --gen2 --runtime=%s --region=<region> --source=<function source folder> --entry-point=<entry point> --trigger-http", rep.Runtime),
		}
	default:
		p.Notes = append(p.Notes, fmt.Sprintf("profile %s: no publish command is known; the layer's root goes at %s", rep.Profile, orNone(f.MountPoint)))
		p.Commands = []string{}
	}
	return p, nil
}

// lambdaCommands are the commands that publish the layer version: from
// the file itself, or through S3 above the direct-upload size.
func lambdaCommands(p *Publish, arch string) []string {
	name := LayerName(p.Runtime, arch)
	tail := " --compatible-runtimes " + strings.Join(p.CompatibleRuntimes, " ")
	if len(p.CompatibleArchitectures) > 0 {
		tail += " --compatible-architectures " + strings.Join(p.CompatibleArchitectures, " ")
	}
	if p.Upload == "s3" {
		key := name + "/" + p.SHA256 + ".zip"
		return []string{
			"aws s3 cp " + p.File + " s3://<bucket>/" + key,
			"aws lambda publish-layer-version --layer-name " + name + " --content S3Bucket=<bucket>,S3Key=" + key + tail,
		}
	}
	return []string{"aws lambda publish-layer-version --layer-name " + name + " --zip-file fileb://" + p.File + tail}
}

var layerNameRe = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// LayerName is the default layer name: geolayer-<runtime>-<architecture>
// in the characters Lambda allows in a layer name ([a-zA-Z0-9-_]).
func LayerName(runtime, arch string) string {
	n := "geolayer-" + runtime
	if arch != "" {
		n += "-" + arch
	}
	return layerNameRe.ReplaceAllString(n, "-")
}

// lambdaArch is Lambda's architecture name of an OCI platform (x86_64,
// arm64), "" for any other.
func lambdaArch(platform string) string {
	switch strings.TrimSuffix(platform, "/v8") {
	case "linux/amd64":
		return "x86_64"
	case "linux/arm64":
		return "arm64"
	}
	return ""
}

// environment lists the variables the layer needs: the Geolayerfile's
// ENV, a data variable (GDAL_DATA, PROJ_DATA) where exactly one package
// bundles that data, and LD_LIBRARY_PATH when the layer ships libraries in
// a folder the platform's loader path lacks.
func environment(rep *report.Report, f Facts) ([]EnvVar, []string) {
	var env []EnvVar
	var notes []string
	set := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(f.Env)) {
		env = append(env, EnvVar{Name: k, Value: f.Env[k], Reason: "ENV in the Geolayerfile"})
		set[k] = true
	}
	for _, a := range rep.Environment {
		if set[a.Variable] {
			continue
		}
		if a.Safe && len(a.Values) == 1 {
			env = append(env, EnvVar{Name: a.Variable, Value: path.Join(f.MountPoint, a.Values[0].Path),
				Reason: fmt.Sprintf("only %s bundles %s data", a.Values[0].Package, a.Variable)})
			set[a.Variable] = true
		} else {
			notes = append(notes, fmt.Sprintf("%s stays unset: %s", a.Variable, a.Advice))
		}
	}
	vendored := false
	for _, p := range rep.Packages {
		vendored = vendored || len(p.Vendored) > 0
	}
	if vendored && f.LibDir != "" && !set["LD_LIBRARY_PATH"] {
		dir := path.Join(f.MountPoint, f.LibDir)
		on := false
		for _, d := range f.LibraryPath {
			on = on || path.Clean(d) == dir
		}
		if !on {
			env = append(env, EnvVar{Name: "LD_LIBRARY_PATH", Value: dir,
				Reason: "the layer ships libraries in " + dir + ", which is not on the platform's loader path (prepend it to the existing value)"})
		}
	}
	return env, notes
}

// WriteText prints the publish summary: the digests, the limits and the
// commands, last.
func WriteText(w io.Writer, p *Publish) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\nPUBLISH %s (%s %s, %s)\n", p.File, p.Profile, p.Runtime, p.Platform)
	fmt.Fprintf(&b, "  sha256 %s  CodeSha256 %s\n", p.SHA256, p.CodeSHA256)
	for _, l := range p.Limits {
		state := "ok"
		if !l.OK && l.Enforced {
			state = "OVER"
		} else if !l.OK {
			state = "over: " + routeOf(l.Name)
		}
		fmt.Fprintf(&b, "  %-13s %d of %d bytes (%s)\n", l.Name, l.Size, l.Limit, state)
	}
	for _, e := range p.Environment {
		fmt.Fprintf(&b, "  env %s=%s  (%s)\n", e.Name, e.Value, e.Reason)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	for _, c := range p.Commands {
		fmt.Fprintf(&b, "  $ %s\n", c)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func routeOf(limit string) string {
	if limit == "directUpload" {
		return "publish from S3"
	}
	return "not enforced"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
