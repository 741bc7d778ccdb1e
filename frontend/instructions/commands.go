// Package instructions turns parsed Geolayerfile nodes into typed, expanded
// and validated instructions.
//
// Load walks the nodes in file order, expands `$VAR`/`${VAR...}` references
// from ARG values (overridden by build args), validates every instruction and
// flag, and returns a Spec. Every error carries a source location (BuildKit
// parser.LocationError) precise to the word or variable reference at fault.
package instructions

import (
	"github.com/containerd/platforms"
	"github.com/geolayer/geolayer/frontend/parser"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Command is implemented by every instruction type.
type Command interface {
	// Name is the upper-case instruction keyword.
	Name() string
	// Location is the source range of the whole instruction.
	Location() []parser.Range
}

type cmdBase struct {
	name string
	loc  []parser.Range
}

func (c *cmdBase) Name() string             { return c.name }
func (c *cmdBase) Location() []parser.Range { return c.loc }

// Value is a user-written value after variable expansion, with the range of
// the word it came from. A zero Value means "not set".
type Value struct {
	Value    string
	Location []parser.Range
}

// IsSet reports whether the value was given.
func (v Value) IsSet() bool { return v.Location != nil }

func (v Value) String() string { return v.Value }

// Spec is a loaded Geolayerfile.
type Spec struct {
	Args      []*ArgCommand
	Target    *TargetCommand   // exactly one
	Platforms *PlatformCommand // at most one
	Indexes   []*IndexCommand
	Requires  []*RequireCommand
	Prunes    []*PruneCommand
	Keeps     []*KeepCommand
	Strip     *StripCommand    // at most one
	Bytecode  *BytecodeCommand // at most one
	Budget    *BudgetCommand   // at most one
	Tests     []*TestCommand
	Env       []*EnvCommand
	Check     *CheckCommand // at most one
	Builds    []*BuildCommand
	Runs      []*RunCommand

	// Commands holds every instruction in file order.
	Commands []Command
	// UnusedBuildArgs lists build args (sorted) that no ARG declares, except
	// BUILDKIT_* ones. The caller may warn about them.
	UnusedBuildArgs []string
	// UsedArgs holds the ARG names referenced by expanded text (every
	// instruction but RUN, whose command is not expanded), for the UnusedArg
	// check rule.
	UsedArgs map[string]bool
}

// ArgCommand is `ARG NAME[=default] ...`.
type ArgCommand struct {
	cmdBase
	Args []*Arg
}

// Arg is one variable declared by ARG.
type Arg struct {
	Name string
	// Default is the default written in the Geolayerfile, after expansion.
	Default    string
	HasDefault bool
	// Value is the effective value: the build arg if given, else the
	// default. HasValue is false for `ARG NAME` without default or build
	// arg: the variable is declared (references are allowed and expand to
	// the empty string) but unset (`${NAME-x}` gives "x").
	Value        string
	HasValue     bool
	FromBuildArg bool
	// Description comes from the comment directly above the ARG line.
	Description string
	Location    []parser.Range
}

// Layout is the directory layout inside the layer archive.
type Layout string

// Layouts accepted by TARGET --layout.
const (
	LayoutLambda       Layout = "lambda"
	LayoutSitePackages Layout = "site-packages"
	LayoutAzure        Layout = "azure"
	LayoutGCP          Layout = "gcp"
)

// TargetCommand is `TARGET <profile> <runtime>... [flags]`. Profile and
// runtimes are only checked syntactically here; the profile table
// validates them.
type TargetCommand struct {
	cmdBase
	Profile Value
	// Runtime is the first runtime; Runtimes all of them, in the order
	// written, without duplicates (one layer for several runtimes of the
	// profile).
	Runtime      Value
	Runtimes     []Value
	RuntimeImage Value // --runtime-image, a normalised image reference
	BuildImage   Value // --build-image
	Glibc        Value // --glibc=X.Y
	Layout       Value // --layout, one of the Layout constants
}

// PlatformCommand is `PLATFORM <os/arch[/variant]>...`.
type PlatformCommand struct {
	cmdBase
	// Platforms are normalised (platforms.Normalize: linux/arm64/v8 becomes
	// linux/arm64), in the order written, without duplicates.
	Platforms []ocispecs.Platform
	// PlatformLocations[i] is the range of the word Platforms[i] came from.
	PlatformLocations [][]parser.Range
}

// Strings formats the platforms as os/arch[/variant].
func (c *PlatformCommand) Strings() []string {
	out := make([]string, len(c.Platforms))
	for i, p := range c.Platforms {
		out[i] = platforms.Format(p)
	}
	return out
}

// IndexCommand is `INDEX <url> [--extra] [--secret=<id>]`.
type IndexCommand struct {
	cmdBase
	URL    Value
	Extra  bool
	Secret Value // build secret id holding credentials
}

// RequireKind tells the three REQUIRE forms apart.
type RequireKind int

const (
	// RequireSpecs is `REQUIRE <requirement>...`.
	RequireSpecs RequireKind = iota
	// RequireFile is `REQUIRE -r <file>`.
	RequireFile
	// RequireLock is `REQUIRE --lock=<pylock.toml>`.
	RequireLock
)

// RequireCommand is one REQUIRE instruction.
type RequireCommand struct {
	cmdBase
	Kind         RequireKind
	Requirements []Value // RequireSpecs
	File         Value   // RequireFile / RequireLock: a clean relative context path
}

// PruneCommand is `PRUNE [--no-defaults] [--preset=geo] <pattern>...`.
type PruneCommand struct {
	cmdBase
	NoDefaults bool
	// CollectLicenses gathers every package's license files into one
	// THIRD_PARTY_LICENSES file at the layer root (the originals stay).
	CollectLicenses bool
	Preset          Value
	Patterns        []Value
}

// KeepCommand is `KEEP <pattern>...`.
type KeepCommand struct {
	cmdBase
	Patterns []Value
}

// StripMode is the STRIP --mode value.
type StripMode string

// Strip modes.
const (
	StripDebug    StripMode = "debug"
	StripUnneeded StripMode = "unneeded"
	StripNone     StripMode = "none"
)

// StripCommand is `STRIP [--mode=debug|unneeded|none]`.
type StripCommand struct {
	cmdBase
	Mode StripMode // default StripUnneeded
}

// BytecodeCommand is `BYTECODE [--optimize=0|1|2] [--sourceless]`.
type BytecodeCommand struct {
	cmdBase
	Optimize   int
	Sourceless bool
}

// Size is a byte count parsed from a SIZE literal.
type Size struct {
	Bytes    int64
	Text     string // as written, after expansion
	Location []parser.Range
}

// BudgetCommand is `BUDGET [unzipped=SIZE] [zipped=SIZE]`; nil fields are
// not set.
type BudgetCommand struct {
	cmdBase
	Unzipped *Size
	Zipped   *Size
}

// TestCommand is `TEST [--required] <python source>`.
type TestCommand struct {
	cmdBase
	Required bool
	// ProfileImports measures the import times of the test's imports
	// (TEST --profile-imports).
	ProfileImports bool
	// Source is the Python source after variable expansion. Continuation
	// lines become separate source lines (see docs/geolayerfile.md).
	Source string
}

// KeyValue is one ENV assignment.
type KeyValue struct {
	Key      string
	Value    string
	Location []parser.Range
}

// EnvCommand is `ENV KEY=VALUE...`.
type EnvCommand struct {
	cmdBase
	Env []KeyValue
}

// CheckMode is the CHECK value.
type CheckMode string

// Check modes.
const (
	CheckOff   CheckMode = "off"
	CheckWarn  CheckMode = "warn"
	CheckError CheckMode = "error"
)

// CheckCommand is `CHECK off|warn|error`.
type CheckCommand struct {
	cmdBase
	Mode CheckMode
}

// BuildCommand is `BUILD <package>... [--from-source] [--auto] [--no-build-isolation]`.
type BuildCommand struct {
	cmdBase
	Packages   []Value
	FromSource bool
	Auto       bool
	// NoBuildIsolation compiles with the build stage's own Python packages
	// (pip --no-build-isolation) instead of build dependencies from the
	// indexes.
	NoBuildIsolation bool
	// SharedLibs is the --shared-libs flag, which is refused with an
	// explanation: vendored libraries are always stored once.
	SharedLibs bool
}

// MountType is a RUN --mount type.
type MountType string

// Mount types accepted by RUN --mount.
const (
	MountCache  MountType = "cache"
	MountSecret MountType = "secret"
	MountTmpfs  MountType = "tmpfs"
)

// Mount is one parsed RUN --mount value.
type Mount struct {
	Type     MountType
	Target   string // absolute path in the container
	ID       string // cache id or secret id
	Sharing  string // cache: shared|private|locked
	ReadOnly bool   // cache
	Env      string // secret: expose as this environment variable
	Required bool   // secret
	Mode     *uint32
	UID, GID *int
	Size     int64 // tmpfs, bytes; 0 means default
	Location []parser.Range
}

// RunCommand is `RUN [--mount=...]... <shell command>`.
type RunCommand struct {
	cmdBase
	Mounts []*Mount
	// Command is the shell command text; it is not expanded by the frontend.
	Command string
}
