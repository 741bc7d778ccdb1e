// Package helperapi is the contract between the frontend and the helper:
// llbgen writes every `geolayer helper <command>` command line from one of
// the option structs here (Install, Slim, Bytecode, Vendor, Check, Licenses,
// Fragment, Assemble, Imports), and package helper reads it back with the
// matching Parse function, so the flags are spelled in one place.
//
// A command line is the command name, the protocol version (--api=N, see
// Version) and the options as --flag=value, one per non-zero field, in the
// struct's field order; a bool is --flag alone, a map one --flag=KEY=VALUE
// per key in key order, and a nested option struct (prune options, check
// options) is JSON inside its one flag, which only this package writes and
// reads. Zero values are not written, so a field's zero value is its
// default (each field says what its default means). Parsing is strict: an
// unknown flag, a repeated one, a value that does not parse, a missing
// required option or a different protocol version is an error naming the
// flag.
//
// The names both sides use (where the helper binary sits, the cause file
// of a failed step, the pseudo-packages and the files a step leaves for
// another) are here too. The package imports no BuildKit.
package helperapi

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Version is the helper protocol: every command line llbgen writes carries
// it (--api=N right after the command name) and the helper refuses a
// command line with another. Raise it when a command's options change
// incompatibly (a flag renamed or removed, a value's meaning changed): the
// helper that runs a step is the frontend image's own binary, so the two
// differ only when a graph names another helper image.
const Version = 1

// versionFlag is the flag that carries Version.
const versionFlag = "api"

// Binary is where the helper binary sits in the frontend image (the image
// is that one static binary): llbgen runs Binary with "helper" and a
// command's Args.
const Binary = "/geolayer"

// A failed helper step is rerun by the frontend (frontend/explain.go) with
// CauseFileEnv set to CauseDir/CauseFile, a scratch mount at CauseDir; the
// helper writes its error there and the frontend reads it back as the
// build's error.
const (
	CauseFileEnv = "GEOLAYER_CAUSE_FILE"
	CauseDir     = "/.geolayer-cause"
	CauseFile    = "cause"
)

// Pseudo-packages: packages a helper step makes rather than a wheel, each
// with its own report and archive fragment.
const (
	// NativeLibrariesName carries the libraries vendored from the build
	// stage (helper vendor).
	NativeLibrariesName = "native-libraries"
	// LicensesName carries THIRD_PARTY_LICENSES (helper licenses).
	LicensesName = "third-party-licenses"
)

// Files one step writes and another reads.
const (
	// LicensesFile is the collected license file at the layer root.
	LicensesFile = "THIRD_PARTY_LICENSES"
	// CheckJSON is the check step's findings, in its --out folder.
	CheckJSON = "check.json"
	// LayerZip and ReportJSON are what assemble writes in its --out folder
	// (with sbom.spdx.json and publish.json, named by pkg/sbom and
	// pkg/publish); ReportHTML is the page it writes at --html.
	LayerZip   = "layer.zip"
	ReportJSON = "report.json"
	ReportHTML = "report.html"
	// ImportsJSON is what a TEST --profile-imports leaves in its results
	// folder for helper imports.
	ImportsJSON = "imports.json"
)

// Command is one helper command's options: every option struct of this
// package is one.
type Command interface {
	// Name is the helper subcommand: geolayer helper <Name>.
	Name() string
	// Args is the command line after "geolayer helper": Name, the
	// protocol version, the options.
	Args() []string
}

// Argv is the whole command line that runs c with the helper binary at
// bin: bin, "helper", c.Args().
func Argv(bin string, c Command) []string {
	return append([]string{bin, "helper"}, c.Args()...)
}

// commands makes an empty option struct for each command name.
var commands = map[string]func() Command{
	"install":  func() Command { return &Install{} },
	"slim":     func() Command { return &Slim{} },
	"bytecode": func() Command { return &Bytecode{} },
	"vendor":   func() Command { return &Vendor{} },
	"check":    func() Command { return &Check{} },
	"licenses": func() Command { return &Licenses{} },
	"fragment": func() Command { return &Fragment{} },
	"assemble": func() Command { return &Assemble{} },
	"imports":  func() Command { return &Imports{} },
}

// Names are the helper commands, sorted.
func Names() []string {
	out := make([]string, 0, len(commands))
	for n := range commands {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Parse reads a command line as Args writes it (the command name first)
// into the option struct of that command (a pointer: *Install, *Slim ...).
func Parse(args []string) (Command, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("no helper command (want one of %s)", strings.Join(Names(), ", "))
	}
	mk, ok := commands[args[0]]
	if !ok {
		return nil, fmt.Errorf("unknown helper command %q (want one of %s)", bounded(args[0]), strings.Join(Names(), ", "))
	}
	c := mk()
	if err := decode(args[0], args[1:], c); err != nil {
		return nil, err
	}
	return c, nil
}

// checkVersion reads the protocol version, which must come first.
func checkVersion(args []string) error {
	const prefix = "--" + versionFlag + "="
	if len(args) == 0 || !strings.HasPrefix(args[0], prefix) {
		first := "nothing"
		if len(args) > 0 {
			first = strconv.Quote(bounded(args[0]))
		}
		return fmt.Errorf("helper protocol %d, frontend sent none (the command line starts with %s, not --%s=N): the frontend image and the helper differ", Version, first, versionFlag)
	}
	v := strings.TrimPrefix(args[0], prefix)
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("helper protocol %d, frontend sent %s (not a number): the frontend image and the helper differ", Version, strconv.Quote(bounded(v)))
	}
	if n != Version {
		return fmt.Errorf("helper protocol %d, frontend sent %d: the frontend image and the helper differ", Version, n)
	}
	return nil
}

// bounded shortens a value for an error message.
func bounded(s string) string {
	const max = 200
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
