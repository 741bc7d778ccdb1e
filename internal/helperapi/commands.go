package helperapi

import (
	"fmt"

	"github.com/geolayer/geolayer/pkg/prune"
)

// Install is `geolayer helper install`: unpack one wheel into a layer tree
// per the wheel spec and write the package's report.
type Install struct {
	Wheel        string `flag:"wheel,required" help:"the wheel file"`
	Root         string `flag:"root,required" help:"layer root to install into"`
	SitePackages string `flag:"site-packages,required" help:"purelib/platlib folder, relative to the root"`
	Scripts      string `flag:"scripts" help:"scripts folder, relative to the root (default bin)"`
	Data         string `flag:"data" help:"data folder, relative to the root (default: the root)"`
	Headers      string `flag:"headers" help:"headers folder, relative to the root (default <data>/include)"`
	Interpreter  string `flag:"interpreter" help:"shebang interpreter for scripts (default /usr/bin/env python3)"`
	URL          string `flag:"url" help:"where the wheel came from (for the report)"`
	SHA256       string `flag:"sha256" help:"the wheel's sha256 (for the report)"`
	Epoch        int64  `flag:"epoch" help:"SOURCE_DATE_EPOCH for file times (0: 1980-01-01)"`
	Meta         string `flag:"meta,required" help:"write this package's report JSON here"`
	Sdist        string `flag:"sdist" help:"the sdist the wheel was compiled from (BUILD; --url and --sha256 are then the sdist's)"`
	BuildImage   string `flag:"build-image" help:"the build image (digest-pinned) the wheel was compiled in (with --sdist)"`
	// Runtime is set in a layer for several runtimes: the report says
	// which runtime this copy of the package is for.
	Runtime string `flag:"runtime" help:"the runtime this copy is for, in a layer for several runtimes (default: the layer's one runtime)"`
}

// Slim is `geolayer helper slim`: copy one package's installed tree
// without what the PRUNE rules remove, stripping ELF files.
type Slim struct {
	In    string    `flag:"in,required" help:"installed package tree (relative to the layer root)"`
	Out   string    `flag:"out,required" help:"output tree"`
	Strip StripMode `flag:"strip" help:"strip mode: none (default), debug or unneeded"`
	// Prune is PRUNE and KEEP (Package is set by the helper from the
	// package's report); nil prunes nothing.
	Prune        *prune.Options `flag:"prune,json" help:"prune options (pkg/prune.Options); none: no pruning"`
	SitePackages string         `flag:"site-packages,required" help:"site-packages folder relative to the layer root"`
	MetaIn       string         `flag:"meta-in,required" help:"the package's report JSON from install"`
	MetaOut      string         `flag:"meta-out,required" help:"where to write the updated report JSON"`
}

// Bytecode is `geolayer helper bytecode`: copy one package's tree and
// compile its Python sources with the target's CPython (BYTECODE). It runs
// in the build image, the helper binary mounted.
type Bytecode struct {
	In           string `flag:"in,required" help:"package tree (relative to the layer root)"`
	Out          string `flag:"out,required" help:"output tree"`
	SitePackages string `flag:"site-packages,required" help:"site-packages folder relative to the layer root"`
	MountPoint   string `flag:"mount-point" help:"where the layer is mounted at run time (default /opt)"`
	Python       string `flag:"python" help:"the target's CPython (default python3)"`
	Optimize     int    `flag:"optimize" help:"0, 1 or 2 (python -O levels)"`
	Sourceless   bool   `flag:"sourceless" help:"legacy .pyc next to each module, .py removed"`
	MetaIn       string `flag:"meta-in,required" help:"the package's report JSON"`
	MetaOut      string `flag:"meta-out,required" help:"where to write the updated report JSON"`
}

// Vendor is `geolayer helper vendor`: copy the build stage's libraries the
// compiled packages need and the runtime lacks into the layer's library
// folder.
type Vendor struct {
	Layer   string       `flag:"layer,required" help:"the compiled packages, installed as in the layer"`
	Build   string       `flag:"build,required" help:"the build stage's root file system"`
	Runtime string       `flag:"runtime" help:"the runtime image's root file system (default: none)"`
	Config  CheckOptions `flag:"config,json,required" help:"the platform's check options"`
	LibDir  string       `flag:"lib-dir" help:"the layer's library folder, relative to the layer root (default: the platform has none)"`
	Strip   StripMode    `flag:"strip" help:"strip mode: none (default), debug or unneeded"`
	Out     string       `flag:"out,required" help:"output tree"`
	MetaOut string       `flag:"meta-out,required" help:"report JSON of the vendored libraries"`
}

// Check is `geolayer helper check`: the static ABI check of the layer's ELF
// files against the runtime image's file system; writes CheckJSON.
type Check struct {
	Layer   string       `flag:"layer,required" help:"the unpacked layer"`
	Runtime string       `flag:"runtime" help:"the runtime image's root file system (default: none)"`
	Config  CheckOptions `flag:"config,json,required" help:"the platform's check options"`
	Out     string       `flag:"out,required" help:"output folder for check.json"`
}

// Licenses is `geolayer helper licenses`: collect the packages' license
// files into LicensesFile at the layer root.
type Licenses struct {
	Tree    string `flag:"tree,required" help:"the composed layer"`
	Meta    string `flag:"meta,required" help:"folder of per-package report JSON"`
	Out     string `flag:"out,required" help:"output tree"`
	MetaOut string `flag:"meta-out,required" help:"report JSON for the collected file"`
}

// Fragment is `geolayer helper fragment`: compress a package tree into a
// zip fragment, <out>/<name>.frag.
type Fragment struct {
	Root    string `flag:"root,required" help:"package tree (paths relative to the layer root)"`
	Package string `flag:"name,required" help:"package name: the fragment is <out>/<name>.frag"`
	Out     string `flag:"out,required" help:"output folder"`
	Epoch   int64  `flag:"epoch" help:"SOURCE_DATE_EPOCH for entry times (0: 1980-01-01)"`
	Level   int    `flag:"level" help:"deflate level 1-9 (0: default)"`
}

// Assemble is `geolayer helper assemble`: fragments into LayerZip, with
// ReportJSON, sbom.spdx.json and publish.json beside it and ReportHTML.
type Assemble struct {
	Fragments string `flag:"fragments,required" help:"folder of *.frag fragments"`
	Meta      string `flag:"meta,required" help:"folder of per-package report JSON"`
	Out       string `flag:"out,required" help:"output folder for layer.zip and report.json"`
	Platform  string `flag:"platform" help:"target platform"`
	Profile   string `flag:"profile" help:"target profile"`
	Runtime   string `flag:"runtime" help:"target runtime"`
	// Runtimes are every runtime of a layer for several (Runtime is the
	// first): the packages' fragments and reports are then named
	// <name>@<runtime>, and names that several runtimes' copies hold
	// identically (console scripts) are stored once.
	Runtimes      []string `flag:"runtimes,json" help:"every runtime of a layer for several, as a JSON list (default: --runtime only)"`
	LimitUnzipped int64    `flag:"limit-unzipped" help:"the budget, unzipped bytes (0: none)"`
	LimitZipped   int64    `flag:"limit-zipped" help:"the budget, zipped bytes (0: none)"`
	DirectUpload  int64    `flag:"direct-upload" help:"the platform's zipped size for a direct upload (a warning, not a limit)"`
	RuntimeImage  string   `flag:"runtime-image" help:"the runtime image (digest-pinned) tests ran in"`
	Dedup         bool     `flag:"dedup" help:"store files identical across packages once (the copies become relative symlinks)"`
	// Epoch, the platform limits, MountPoint, LibDir, LibraryPath and Env
	// are for sbom.spdx.json and publish.json.
	Epoch                 int64             `flag:"epoch" help:"SOURCE_DATE_EPOCH: the SBOM's creation time (0: 1980-01-01, as the archive's entries)"`
	PlatformLimitUnzipped int64             `flag:"platform-limit-unzipped" help:"the platform's own unzipped limit (publish.json; the budget is --limit-unzipped)"`
	PlatformLimitZipped   int64             `flag:"platform-limit-zipped" help:"the platform's own zipped limit (publish.json)"`
	MountPoint            string            `flag:"mount-point" help:"where the platform puts the archive's root (publish.json)"`
	LibDir                string            `flag:"lib-dir" help:"the layer's library folder, relative to its root (publish.json)"`
	LibraryPath           string            `flag:"library-path" help:"the platform's LD_LIBRARY_PATH (publish.json)"`
	Env                   map[string]string `flag:"env" help:"the Geolayerfile's ENV (publish.json)"`
	Check                 string            `flag:"check" help:"check.json of the static check, for the report (default: none)"`
	// Checks are, in a layer for several runtimes, each runtime's
	// check.json (runtime -> path), instead of Check.
	Checks map[string]string `flag:"checks" help:"in a layer for several runtimes: RUNTIME=check.json of each runtime's static check (repeatable)"`
	HTML   string            `flag:"html" help:"where to write report.html (default: not written)"`
}

// Imports is `geolayer helper imports`: add the import times the TEST
// --profile-imports steps measured to report.json and report.html.
type Imports struct {
	Report       string `flag:"report,required" help:"the assembled report.json"`
	HTMLIn       string `flag:"html-in" help:"the assembled report.html (default: none)"`
	Tree         string `flag:"tree" help:"the unpacked layer"`
	SitePackages string `flag:"site-packages" help:"site-packages inside the layer"`
	Results      string `flag:"results,required" help:"folder with one sub-folder per profiled TEST, named by its number, holding imports.json"`
	Emulated     bool   `flag:"emulated" help:"the TESTs ran under emulation"`
	Out          string `flag:"out,required" help:"where to write report.json"`
	HTML         string `flag:"html" help:"where to write report.html"`
}

// Name, Args and Parse<Command> for each command.

func (Install) Name() string     { return "install" }
func (o Install) Args() []string { return encode(o.Name(), o) }

// ParseInstall reads an install command line (as Install.Args writes it).
func ParseInstall(args []string) (*Install, error) { return parseAs[Install](args) }

func (Slim) Name() string     { return "slim" }
func (o Slim) Args() []string { return encode(o.Name(), o) }

// ParseSlim reads a slim command line (as Slim.Args writes it).
func ParseSlim(args []string) (*Slim, error) { return parseAs[Slim](args) }

func (Bytecode) Name() string     { return "bytecode" }
func (o Bytecode) Args() []string { return encode(o.Name(), o) }

// ParseBytecode reads a bytecode command line (as Bytecode.Args writes it).
func ParseBytecode(args []string) (*Bytecode, error) { return parseAs[Bytecode](args) }

func (Vendor) Name() string     { return "vendor" }
func (o Vendor) Args() []string { return encode(o.Name(), o) }

// ParseVendor reads a vendor command line (as Vendor.Args writes it).
func ParseVendor(args []string) (*Vendor, error) { return parseAs[Vendor](args) }

func (Check) Name() string     { return "check" }
func (o Check) Args() []string { return encode(o.Name(), o) }

// ParseCheck reads a check command line (as Check.Args writes it).
func ParseCheck(args []string) (*Check, error) { return parseAs[Check](args) }

func (Licenses) Name() string     { return "licenses" }
func (o Licenses) Args() []string { return encode(o.Name(), o) }

// ParseLicenses reads a licenses command line (as Licenses.Args writes it).
func ParseLicenses(args []string) (*Licenses, error) { return parseAs[Licenses](args) }

func (Fragment) Name() string     { return "fragment" }
func (o Fragment) Args() []string { return encode(o.Name(), o) }

// ParseFragment reads a fragment command line (as Fragment.Args writes it).
func ParseFragment(args []string) (*Fragment, error) { return parseAs[Fragment](args) }

func (Assemble) Name() string     { return "assemble" }
func (o Assemble) Args() []string { return encode(o.Name(), o) }

// ParseAssemble reads an assemble command line (as Assemble.Args writes it).
func ParseAssemble(args []string) (*Assemble, error) { return parseAs[Assemble](args) }

func (Imports) Name() string     { return "imports" }
func (o Imports) Args() []string { return encode(o.Name(), o) }

// ParseImports reads an imports command line (as Imports.Args writes it).
func ParseImports(args []string) (*Imports, error) { return parseAs[Imports](args) }

// parseAs reads a command line of the command T (its name first).
func parseAs[T any, P interface {
	*T
	Command
}](args []string) (*T, error) {
	o := P(new(T))
	if len(args) == 0 || args[0] != o.Name() {
		got := "nothing"
		if len(args) > 0 {
			got = bounded(args[0])
		}
		return nil, fmt.Errorf("not a helper %s command line (it starts with %q)", o.Name(), got)
	}
	if err := decode(o.Name(), args[1:], o); err != nil {
		return nil, err
	}
	return o, nil
}
