package pyreq

// Environment markers, "Environment Markers" section of
// https://packaging.python.org/en/latest/specifications/dependency-specifiers/

import (
	"fmt"
	"strings"

	"github.com/geolayer/geolayer/pkg/pep440"
	"github.com/geolayer/geolayer/pkg/simpleindex"
)

// markerVarType is the type the spec assigns to each marker variable.
type markerVarType int

const (
	typeString markerVarType = iota
	typeVersion
	typeSet
	// typeVersionOrString fields compare as versions when both sides are
	// versions, else as strings (platform_release is "6.1.0-18-amd64" on
	// Debian but "14.5.0" on macOS).
	typeVersionOrString
)

var markerVars = map[string]markerVarType{
	"os_name":                        typeString,
	"sys_platform":                   typeString,
	"platform_machine":               typeString,
	"platform_python_implementation": typeString,
	"platform_release":               typeVersionOrString,
	"platform_system":                typeString,
	"platform_version":               typeVersionOrString,
	"python_version":                 typeVersion,
	"python_full_version":            typeVersion,
	"implementation_name":            typeString,
	"implementation_version":         typeVersion,
	"extra":                          typeString,
	"extras":                         typeSet, // lock files only
	"dependency_groups":              typeSet, // lock files only
}

// Legacy spellings still found in old metadata (PEP 345 dotted names).
var markerAliases = map[string]string{
	"os.name":                        "os_name",
	"sys.platform":                   "sys_platform",
	"platform.version":               "platform_version",
	"platform.machine":               "platform_machine",
	"platform.python_implementation": "platform_python_implementation",
	"python_implementation":          "platform_python_implementation",
}

// Marker is a parsed environment marker expression.
type Marker struct {
	root markerNode
	src  string
}

// String returns the marker as it was written.
func (m *Marker) String() string { return m.src }

type markerNode interface {
	eval(env map[string]string) (bool, error)
}

type markerBool struct {
	and  bool
	l, r markerNode
}

type markerOperand struct {
	variable string // canonical variable name, or "" for a literal
	literal  string
}

type markerCmp struct {
	lhs, rhs markerOperand
	op       string
}

// ParseMarker parses a marker expression.
func ParseMarker(s string) (*Marker, error) {
	toks, err := tokenizeMarker(s)
	if err != nil {
		return nil, err
	}
	p := &markerParser{toks: toks}
	root, err := p.parseOr()
	if err != nil {
		return nil, fmt.Errorf("invalid marker %q: %w", s, err)
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("invalid marker %q: unexpected %q", s, p.toks[p.pos].text)
	}
	return &Marker{root: root, src: strings.TrimSpace(s)}, nil
}

// EvalMarker parses and evaluates marker against env (see LinuxEnv). An
// empty marker is true. Variables missing from env are an error, except
// "extra" (treated as "") and the sets "extras" and "dependency_groups"
// (treated as empty); set values in env are comma-separated names.
func EvalMarker(marker string, env map[string]string) (bool, error) {
	if strings.TrimSpace(marker) == "" {
		return true, nil
	}
	m, err := ParseMarker(marker)
	if err != nil {
		return false, err
	}
	return m.Eval(env)
}

// Eval evaluates the marker against env; see EvalMarker.
func (m *Marker) Eval(env map[string]string) (bool, error) {
	ok, err := m.root.eval(env)
	if err != nil {
		return false, fmt.Errorf("marker %q: %w", m.src, err)
	}
	return ok, nil
}

func (n markerBool) eval(env map[string]string) (bool, error) {
	l, err := n.l.eval(env)
	if err != nil {
		return false, err
	}
	// Both sides are evaluated so that errors are not hidden by
	// short-circuiting.
	r, err := n.r.eval(env)
	if err != nil {
		return false, err
	}
	if n.and {
		return l && r, nil
	}
	return l || r, nil
}

func (o markerOperand) value(env map[string]string) (string, error) {
	if o.variable == "" {
		return o.literal, nil
	}
	v, ok := env[o.variable]
	if !ok {
		switch o.variable {
		case "extra", "extras", "dependency_groups":
			return "", nil
		}
		return "", fmt.Errorf("marker variable %s is not defined in the target environment", o.variable)
	}
	return v, nil
}

func (n markerCmp) eval(env map[string]string) (bool, error) {
	// A comparison is between one marker variable and one literal. With two
	// literals packaging looks the right one up as a variable name (an
	// error); with two variables it compares the left one's value with the
	// right one's name. Both are refused here.
	switch {
	case n.lhs.variable == "" && n.rhs.variable == "":
		return false, fmt.Errorf("%q %s %q compares two literals: one side must be a marker variable", n.lhs.literal, n.op, n.rhs.literal)
	case n.lhs.variable != "" && n.rhs.variable != "":
		return false, fmt.Errorf("%s %s %s compares two marker variables: one side must be a quoted literal", n.lhs.variable, n.op, n.rhs.variable)
	}
	lhs, err := n.lhs.value(env)
	if err != nil {
		return false, err
	}
	rhs, err := n.rhs.value(env)
	if err != nil {
		return false, err
	}
	key := n.lhs.variable + n.rhs.variable // the one variable
	switch markerVars[key] {
	case typeSet:
		if n.lhs.variable != "" {
			return false, fmt.Errorf("%s can only appear on the right of 'in' or 'not in'", key)
		}
		if n.op != "in" && n.op != "not in" {
			return false, fmt.Errorf("%s can only be compared with 'in' or 'not in'", key)
		}
		member := false
		for _, item := range strings.Split(rhs, ",") {
			if item = strings.TrimSpace(item); item != "" && simpleindex.NormalizeName(item) == simpleindex.NormalizeName(lhs) {
				member = true
			}
		}
		return member == (n.op == "in"), nil
	case typeVersion, typeVersionOrString:
		if ok, handled := compareVersionMarker(lhs, n.op, rhs); handled {
			return ok, nil
		}
	}
	if key == "extra" {
		// Extra names compare normalized (PEP 685).
		lhs, rhs = simpleindex.NormalizeName(lhs), simpleindex.NormalizeName(rhs)
	}
	return compareStringMarker(lhs, n.op, rhs)
}

// compareVersionMarker applies PEP 440 semantics ("lhs" must satisfy the
// specifier "op rhs", pre-releases included, as packaging evaluates
// markers). "===" is arbitrary equality, whether or not the sides are
// versions (the specification, January 2026; packaging 26.x). handled is
// false for "in" and "not in" and when either side is not a valid version
// (or "op rhs" not a valid specifier): the caller then compares strings, as
// the specification recommends for installers.
func compareVersionMarker(lhs, op, rhs string) (ok, handled bool) {
	switch op {
	case "in", "not in":
		return false, false
	}
	sp, err := pep440.ParseSpecifier(op + rhs)
	if err != nil {
		return false, false
	}
	if op == "===" {
		return strings.EqualFold(lhs, sp.Version), true
	}
	v, err := pep440.ParseVersion(lhs)
	if err != nil {
		return false, false
	}
	return sp.Contains(v), true
}

// compareStringMarker implements the specification's String rules (as
// amended in January 2026, and packaging since 26.0): == and != compare
// exactly, "in" is a substring test, the ordered comparisons make no sense
// on strings: <= and >= behave as ==, < and > are false. ~= and === are
// errors, as in packaging (the specification lets installers treat them as
// ==).
func compareStringMarker(lhs, op, rhs string) (bool, error) {
	switch op {
	case "==", "<=", ">=":
		return lhs == rhs, nil
	case "!=":
		return lhs != rhs, nil
	case "in":
		return strings.Contains(rhs, lhs), nil
	case "not in":
		return !strings.Contains(rhs, lhs), nil
	case "<", ">":
		return false, nil
	}
	return false, fmt.Errorf("%q %s %q: %s is undefined for strings", lhs, op, rhs, op)
}

// LinuxEnv returns the marker environment of CPython on Linux.
// pythonVersion is "3.13" (python_full_version becomes "3.13.0") or
// "3.13.1"; machine is a uname machine ("x86_64", "aarch64") or a GOARCH
// ("amd64", "arm64"). platform_release and platform_version (kernel
// details) are unknown when building and set to "".
func LinuxEnv(pythonVersion, machine string) map[string]string {
	full := strings.TrimSpace(pythonVersion)
	parts := strings.Split(full, ".")
	short := full
	if len(parts) >= 2 {
		short = parts[0] + "." + parts[1]
	}
	if len(parts) == 2 {
		full += ".0"
	}
	switch machine {
	case "amd64":
		machine = "x86_64"
	case "arm64":
		machine = "aarch64"
	}
	return map[string]string{
		"os_name":                        "posix",
		"sys_platform":                   "linux",
		"platform_system":                "Linux",
		"platform_machine":               machine,
		"platform_python_implementation": "CPython",
		"implementation_name":            "cpython",
		"implementation_version":         full,
		"python_version":                 short,
		"python_full_version":            full,
		"platform_release":               "",
		"platform_version":               "",
		"extra":                          "",
	}
}
