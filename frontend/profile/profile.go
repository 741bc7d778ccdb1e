// Package profile holds the table of target profiles (serverless platforms
// and their Python runtimes): images, glibc, layer layout, mount point,
// environment and size limits, each with its source (profiles.go).
package profile

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Profile is a target platform with its Python runtimes.
type Profile struct {
	Name     string
	Runtimes []Runtime
}

// Runtime is one Python runtime of a profile.
type Runtime struct {
	// Profile is the name of the profile the runtime belongs to.
	Profile string
	// Name is the platform's runtime identifier ("python3.13", "python313").
	Name string
	// PythonVersion is "3.13"; ABI the CPython ABI tag ("cp313").
	PythonVersion string
	ABI           string
	// RuntimeImage and BuildImage are image references. They carry no
	// placeholders; both name multi-platform images.
	RuntimeImage string
	BuildImage   string
	OS           string // "Amazon Linux 2023"
	Glibc        string // "2.34"
	// Platforms are the supported OCI platforms ("linux/amd64").
	Platforms []string
	Layout    Layout
	// MountPoint is where the platform puts the archive's root ("/opt").
	MountPoint string
	// Python is the path of the runtime's CPython in RuntimeImage, and
	// BuildPython in BuildImage: every step that runs Python calls it by
	// this path, after the frontend has checked that it is the target's
	// CPython (version, ABI, machine). "python3" means: looked up on the
	// image's own PATH (images named by TARGET flags). BuildPython is ""
	// when the build image has no CPython of the target (then BUILD,
	// BYTECODE and pip's resolver need TARGET --build-image).
	Python      string
	BuildPython string
	// Env is the platform's runtime environment where it differs from (or
	// is not set by) the runtime image's own config, as documented; TEST
	// runs with the image's config and these over it. May be empty.
	Env map[string]string
	// SysPath is the head of sys.path as the platform's bootstrap builds
	// it, in order, before the interpreter's own entries. Folders under
	// MountPoint are the layer's and are added as site directories (their
	// .pth files are processed).
	SysPath []string
	// SysLibDirs are the runtime's system library directories.
	SysLibDirs []string
	// Absent lists libraries (by soname) that the public runtime image has
	// but the real platform does not, with the reason and its source: the
	// static check then does not count the image's copy.
	Absent map[string]string
	Limits Limits
	// Support is the platform's end-of-support schedule for the runtime
	// (support.go).
	Support Support
}

// Layout is the directory layout inside the archive, relative to its root
// ("." is the root itself). An empty field means the layout has no such
// directory.
type Layout struct {
	SitePackages string // "python/lib/python3.13/site-packages"
	Bin          string // scripts
	Lib          string // native libraries on the loader path
	Data         string // the wheel "data" scheme root
}

// Limits are size limits in bytes; 0 means none. Unzipped and Zipped are
// enforced (BUDGET's defaults); DirectUpload is the zipped size above which
// the platform takes the archive only through another route (Lambda: S3),
// reported as a warning, not enforced.
type Limits struct {
	Unzipped     int64
	Zipped       int64
	DirectUpload int64
}

// Profiles returns a deep copy of the profile table.
func Profiles() []Profile {
	out := make([]Profile, len(table))
	for i, p := range table {
		out[i] = Profile{Name: p.Name}
		for _, rt := range p.Runtimes {
			c := rt.clone()
			c.Profile = p.Name
			out[i].Runtimes = append(out[i].Runtimes, *c)
		}
	}
	return out
}

// ProfileNames lists the profile names in table order.
func ProfileNames() []string {
	var names []string
	for _, p := range table {
		names = append(names, p.Name)
	}
	return names
}

// Lookup returns a copy of a profile's runtime. For the custom profile the
// runtime may be written "python3.13", "python313", "3.13" or "cp313"; the
// result has only the Python facts and platforms set, and ApplyOverrides
// must supply the rest (Validate reports what is missing).
func Lookup(profile, runtime string) (*Runtime, error) {
	for _, p := range table {
		if p.Name != profile {
			continue
		}
		if p.Name == CustomProfile {
			return customRuntime(runtime)
		}
		var names []string
		for _, rt := range p.Runtimes {
			if rt.Name == runtime {
				c := rt.clone()
				c.Profile = p.Name
				return c, nil
			}
			names = append(names, rt.Name)
		}
		msg := fmt.Sprintf("unknown runtime %q for profile %s (valid runtimes: %s)", runtime, profile, strings.Join(names, ", "))
		if pv, ok := parseRuntimePython(runtime); ok {
			for _, rt := range p.Runtimes {
				if rt.PythonVersion == pv {
					msg += fmt.Sprintf("; did you mean %s?", rt.Name)
				}
			}
		}
		return nil, fmt.Errorf("%s", msg)
	}
	return nil, fmt.Errorf("unknown target profile %q (valid profiles: %s)", profile, strings.Join(ProfileNames(), ", "))
}

var runtimeRe = regexp.MustCompile(`^(?:python|cp)?(3)\.?([0-9]{1,2})$`)

// parseRuntimePython extracts "3.13" from python3.13, python313, 3.13, cp313.
func parseRuntimePython(s string) (string, bool) {
	m := runtimeRe.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return "", false
	}
	return m[1] + "." + m[2], true
}

func customRuntime(runtime string) (*Runtime, error) {
	pv, ok := parseRuntimePython(runtime)
	if !ok {
		return nil, fmt.Errorf("custom profile: runtime %q is not a CPython 3 version (write e.g. python3.13)", runtime)
	}
	return &Runtime{
		Profile:       CustomProfile,
		Name:          runtime,
		PythonVersion: pv,
		ABI:           abiFor(pv),
		Platforms:     []string{"linux/amd64", "linux/arm64"},
		Python:        PythonOnPath,
		BuildPython:   PythonOnPath,
		Env:           map[string]string{},
	}, nil
}

// PythonOnPath as a Runtime's Python or BuildPython: the image's python3,
// found on its PATH.
const PythonOnPath = "python3"

// abiFor returns the CPython ABI tag of a version ("3.13" -> "cp313").
func abiFor(pyver string) string {
	return "cp" + strings.ReplaceAll(pyver, ".", "")
}

var glibcRe = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// ParseGlibc parses "2.34" into (2, 34).
func ParseGlibc(s string) (major, minor int, err error) {
	if !glibcRe.MatchString(s) {
		return 0, 0, fmt.Errorf("invalid glibc version %q (want X.Y, e.g. 2.34)", s)
	}
	maj, mi, _ := strings.Cut(s, ".")
	major, _ = strconv.Atoi(maj)
	minor, _ = strconv.Atoi(mi)
	return major, minor, nil
}

// ApplyOverrides returns a copy of rt with the non-empty arguments
// replacing its images, glibc version and layout (a layout name:
// lambda, site-packages, azure or gcp). The result is validated.
func (rt *Runtime) ApplyOverrides(runtimeImage, buildImage, glibc, layout string) (*Runtime, error) {
	c := rt.clone()
	// Another image has its CPython wherever its PATH says.
	if runtimeImage != "" {
		c.RuntimeImage = runtimeImage
		c.Python = PythonOnPath
		if c.BuildImage == "" && buildImage == "" {
			c.BuildImage = runtimeImage // custom: build where it runs
			c.BuildPython = PythonOnPath
		}
	}
	if buildImage != "" {
		c.BuildImage = buildImage
		c.BuildPython = PythonOnPath
	}
	if glibc != "" {
		if _, _, err := ParseGlibc(glibc); err != nil {
			return nil, err
		}
		c.Glibc = glibc
	}
	if layout != "" {
		l := layoutFor(layout, c.PythonVersion)
		if l == (Layout{}) {
			return nil, fmt.Errorf("unknown layout %q (valid layouts: %s, %s, %s, %s)", layout, LayoutLambda, LayoutSitePackages, LayoutAzure, LayoutGCP)
		}
		c.Layout = l
		if c.MountPoint == "" {
			c.MountPoint = mountPointFor(layout)
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate reports missing or malformed facts, naming the TARGET flags
// that supply them.
func (rt *Runtime) Validate() error {
	var missing []string
	if rt.RuntimeImage == "" {
		missing = append(missing, "--runtime-image")
	}
	if rt.Glibc == "" {
		missing = append(missing, "--glibc")
	}
	if rt.Layout.SitePackages == "" {
		missing = append(missing, "--layout")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s %s: missing %s", rt.Profile, rt.Name, strings.Join(missing, ", "))
	}
	if _, _, err := ParseGlibc(rt.Glibc); err != nil {
		return err
	}
	if _, ok := parseRuntimePython(rt.PythonVersion); !ok {
		return fmt.Errorf("%s %s: invalid Python version %q", rt.Profile, rt.Name, rt.PythonVersion)
	}
	for _, p := range rt.Platforms {
		if _, err := platforms.Parse(p); err != nil {
			return fmt.Errorf("%s %s: platform %q: %w", rt.Profile, rt.Name, p, err)
		}
	}
	return nil
}

// SupportsPlatform reports whether p is one of the runtime's platforms,
// after containerd normalization (linux/arm64/v8 is linux/arm64). Matching
// is strict: the fallbacks of platforms.Only (386 on amd64, arm/v7 on
// arm64) are not accepted, since those binaries would not run on the
// target.
func (rt *Runtime) SupportsPlatform(p ocispecs.Platform) bool {
	want := platforms.Normalize(p)
	for _, s := range rt.Platforms {
		sp, err := platforms.Parse(s)
		if err != nil {
			continue
		}
		if platforms.OnlyStrict(sp).Match(want) {
			return true
		}
	}
	return false
}

func (rt *Runtime) clone() *Runtime {
	c := *rt
	c.Platforms = slices.Clone(rt.Platforms)
	c.SysLibDirs = slices.Clone(rt.SysLibDirs)
	c.Absent = maps.Clone(rt.Absent)
	c.Env = maps.Clone(rt.Env)
	c.SysPath = slices.Clone(rt.SysPath)
	return &c
}

// LibraryPath is the platform's LD_LIBRARY_PATH as a list, in order.
func (rt *Runtime) LibraryPath() []string {
	var out []string
	for _, d := range strings.Split(rt.Env["LD_LIBRARY_PATH"], ":") {
		if d != "" {
			out = append(out, d)
		}
	}
	return out
}

// ELFMachine names the ELF machine of an OCI architecture ("amd64" ->
// "x86_64", "arm64" -> "aarch64"); "" when unsupported.
func ELFMachine(arch string) string {
	switch arch {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return ""
}
