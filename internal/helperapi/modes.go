package helperapi

import (
	"fmt"
	"strconv"
	"strings"
)

// StripMode is what the slim and vendor steps strip from ELF files (STRIP
// --mode; pkg/elfstrip's modes). The zero value strips nothing.
type StripMode uint8

// Strip modes.
const (
	StripNone StripMode = iota
	StripDebug
	StripUnneeded
)

var stripModes = []string{StripNone: "none", StripDebug: "debug", StripUnneeded: "unneeded"}

// String is the mode's name as STRIP --mode spells it.
func (m StripMode) String() string { return modeName(stripModes, "StripMode", uint8(m)) }

// ParseStripMode reads "none", "debug" or "unneeded".
func ParseStripMode(s string) (StripMode, error) {
	i, err := parseMode(stripModes, "strip mode", s)
	return StripMode(i), err
}

// MarshalText writes the mode's name.
func (m StripMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a mode's name.
func (m *StripMode) UnmarshalText(b []byte) error {
	v, err := ParseStripMode(string(b))
	if err == nil {
		*m = v
	}
	return err
}

// CheckMode is CHECK: whether the static check runs and whether its errors
// fail the build. The zero value is off.
type CheckMode uint8

// Check modes.
const (
	CheckOff CheckMode = iota
	CheckWarn
	CheckError
)

var checkModes = []string{CheckOff: "off", CheckWarn: "warn", CheckError: "error"}

// String is the mode's name as CHECK spells it.
func (m CheckMode) String() string { return modeName(checkModes, "CheckMode", uint8(m)) }

// ParseCheckMode reads "off", "warn" or "error".
func ParseCheckMode(s string) (CheckMode, error) {
	i, err := parseMode(checkModes, "check mode", s)
	return CheckMode(i), err
}

// MarshalText writes the mode's name.
func (m CheckMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a mode's name.
func (m *CheckMode) UnmarshalText(b []byte) error {
	v, err := ParseCheckMode(string(b))
	if err == nil {
		*m = v
	}
	return err
}

func modeName(names []string, typ string, i uint8) string {
	if int(i) < len(names) {
		return names[i]
	}
	// Not a mode: the parse side refuses this name.
	return typ + "(" + strconv.Itoa(int(i)) + ")"
}

func parseMode(names []string, what, s string) (uint8, error) {
	for i, n := range names {
		if s == n {
			return uint8(i), nil
		}
	}
	return 0, fmt.Errorf("invalid %s %s (want %s)", what, strconv.Quote(bounded(s)), strings.Join(names, ", "))
}
