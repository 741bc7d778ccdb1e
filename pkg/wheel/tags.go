package wheel

import (
	"fmt"
	"strconv"
	"strings"
)

// Tag is one PEP 425 compatibility tag.
type Tag struct {
	Python, ABI, Platform string
}

// String returns the tag in its "python-abi-platform" form.
func (t Tag) String() string {
	return t.Python + "-" + t.ABI + "-" + t.Platform
}

// ParseTag parses a single, uncompressed "python-abi-platform" tag.
func ParseTag(s string) (Tag, error) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 {
		return Tag{}, fmt.Errorf("invalid tag %q: want python-abi-platform", s)
	}
	tags, err := expandTags(parts[0], parts[1], parts[2])
	if err != nil {
		return Tag{}, fmt.Errorf("invalid tag %q: %v", s, err)
	}
	if len(tags) != 1 {
		return Tag{}, fmt.Errorf("invalid tag %q: compressed tag sets are not a single tag", s)
	}
	return tags[0], nil
}

// Target describes a CPython interpreter on a manylinux (glibc) system.
type Target struct {
	// PythonVersion is "3.MINOR", e.g. "3.13". CPython 3.8 or newer.
	PythonVersion string
	// Arch is the manylinux architecture name, e.g. "x86_64" or "aarch64"
	// (see PlatformArch).
	Arch string
	// Glibc is the target's glibc version "2.MINOR", e.g. "2.34".
	Glibc string
}

// manylinuxArches are the architectures packaging's _manylinux module will
// produce manylinux tags for.
var manylinuxArches = map[string]bool{
	"x86_64": true, "i686": true, "aarch64": true, "armv7l": true,
	"ppc64": true, "ppc64le": true, "s390x": true, "riscv64": true, "loongarch64": true,
}

// legacyManylinux maps glibc 2.MINOR to the PEP 600 legacy alias prefix.
var legacyManylinux = map[int]string{17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}

// PlatformArch maps a Go GOARCH value to the architecture name used in
// manylinux platform tags ("amd64" -> "x86_64", "arm64" -> "aarch64", ...).
// It returns "" for architectures without manylinux tags.
func PlatformArch(goarch string) string {
	switch goarch {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	case "386":
		return "i686"
	case "arm":
		return "armv7l"
	case "ppc64", "ppc64le", "s390x", "riscv64":
		return goarch
	case "loong64":
		return "loongarch64"
	}
	return ""
}

// manylinuxFloor is the oldest glibc minor version packaging yields
// manylinux tags for on arch: 2.5 on x86_64/i686, 2.17 elsewhere.
func manylinuxFloor(arch string) int {
	if arch == "x86_64" || arch == "i686" {
		return 5
	}
	return 17
}

// parseMajorMinor parses "X.Y" (both non-negative decimal integers).
func parseMajorMinor(what, s string) (int, int, error) {
	majS, minS, ok := strings.Cut(s, ".")
	if !ok {
		return 0, 0, fmt.Errorf("invalid %s %q: want MAJOR.MINOR", what, s)
	}
	a, okA := decimal(majS)
	b, okB := decimal(minS)
	if !okA || !okB || len(majS) > 3 || len(minS) > 3 {
		return 0, 0, fmt.Errorf("invalid %s %q: want MAJOR.MINOR", what, s)
	}
	return a, b, nil
}

// decimal parses s, a non-empty run of ASCII digits that fits in an int;
// unlike strconv.Atoi it takes no sign.
func decimal(s string) (int, bool) {
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// manylinuxPlatforms returns the manylinux platform tags a glibc 2.minor
// system accepts on arch, newest first, each legacy alias right after its
// manylinux_2_M equivalent (packaging's _manylinux.platform_tags without the
// trailing linux_<arch>).
func manylinuxPlatforms(arch string, glibcMinor int) []string {
	var out []string
	for m := glibcMinor; m >= manylinuxFloor(arch); m-- {
		out = append(out, fmt.Sprintf("manylinux_2_%d_%s", m, arch))
		if legacy, ok := legacyManylinux[m]; ok {
			out = append(out, legacy+"_"+arch)
		}
	}
	return out
}

// TargetTags returns the ordered list of tags (most preferred first) that
// packaging's sys_tags() yields for a non-debug, GIL-enabled CPython of
// t.PythonVersion on a glibc t.Glibc manylinux system of arch t.Arch, with
// the linux_<arch> and musllinux_* platforms left out:
//
//	cpXY-cpXY-<plats>, cpXY-abi3-<plats>, cpXY-none-<plats>,
//	cp3{Y-1..2}-abi3-<plats>, pyXY-none-<plats>, py3-none-<plats>,
//	py3{Y-1..0}-none-<plats>, cpXY-none-any, pyXY-none-any, py3-none-any,
//	py3{Y-1..0}-none-any
//
// where <plats> is manylinux_2_{glibc minor..floor}_<arch> newest first with
// the manylinux2014/2010/1 aliases right after 2_17/2_12/2_5.
func TargetTags(t Target) ([]Tag, error) {
	pyMajor, pyMinor, err := parseMajorMinor("python version", t.PythonVersion)
	if err != nil {
		return nil, err
	}
	if pyMajor != 3 || pyMinor < 8 {
		return nil, fmt.Errorf("unsupported python version %q: only CPython 3.8 and newer", t.PythonVersion)
	}
	if !manylinuxArches[t.Arch] {
		return nil, fmt.Errorf("unsupported architecture %q for manylinux tags", t.Arch)
	}
	gMajor, gMinor, err := parseMajorMinor("glibc version", t.Glibc)
	if err != nil {
		return nil, err
	}
	if gMajor != 2 {
		return nil, fmt.Errorf("unsupported glibc version %q: only glibc 2.x", t.Glibc)
	}
	if floor := manylinuxFloor(t.Arch); gMinor < floor {
		return nil, fmt.Errorf("glibc %s is older than the oldest manylinux tag for %s (glibc 2.%d)", t.Glibc, t.Arch, floor)
	}
	plats := manylinuxPlatforms(t.Arch, gMinor)

	cp := fmt.Sprintf("cp3%d", pyMinor)
	py := fmt.Sprintf("py3%d", pyMinor)
	tags := make([]Tag, 0, len(plats)*(2*pyMinor+3)+pyMinor+4)
	addPlats := func(python, abi string) {
		for _, p := range plats {
			tags = append(tags, Tag{python, abi, p})
		}
	}
	// cpython_tags
	addPlats(cp, cp)
	addPlats(cp, "abi3")
	addPlats(cp, "none")
	for m := pyMinor - 1; m >= 2; m-- {
		addPlats(fmt.Sprintf("cp3%d", m), "abi3")
	}
	// compatible_tags: _py_interpreter_range yields py3Y, py3, py3{Y-1..0}.
	pyRange := []string{py, "py3"}
	for m := pyMinor - 1; m >= 0; m-- {
		pyRange = append(pyRange, fmt.Sprintf("py3%d", m))
	}
	for _, v := range pyRange {
		addPlats(v, "none")
	}
	tags = append(tags, Tag{cp, "none", "any"})
	for _, v := range pyRange {
		tags = append(tags, Tag{v, "none", "any"})
	}
	return tags, nil
}

// manylinuxGlibc returns the glibc (major, minor) a manylinux platform tag
// requires and its architecture; ok is false for other platforms.
func manylinuxGlibc(platform string) (major, minor int, arch string, ok bool) {
	for m, legacy := range legacyManylinux {
		if rest, found := strings.CutPrefix(platform, legacy+"_"); found && rest != "" {
			return 2, m, rest, true
		}
	}
	rest, found := strings.CutPrefix(platform, "manylinux_")
	if !found {
		return 0, 0, "", false
	}
	parts := strings.SplitN(rest, "_", 3)
	if len(parts) != 3 || parts[2] == "" {
		return 0, 0, "", false
	}
	a, okA := decimal(parts[0])
	b, okB := decimal(parts[1])
	if !okA || !okB {
		return 0, 0, "", false
	}
	return a, b, parts[2], true
}

// isExcludedPlatform reports platforms geolayer never installs for cloud
// targets: musllinux_* (wrong libc) and linux_* (not portable).
func isExcludedPlatform(platform string) bool {
	return strings.HasPrefix(platform, "musllinux_") || strings.HasPrefix(platform, "linux_")
}
