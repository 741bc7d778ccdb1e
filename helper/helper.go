// Package helper holds the subcommands the geolayer binary runs inside
// builds (`geolayer helper <cmd>`): install one wheel, compress one package
// into a zip fragment, assemble fragments into layer.zip. Each runs on the
// build host's own architecture, whatever the target. Their command lines
// are internal/helperapi's option structs: llbgen writes them, Main reads
// them back, both through helperapi.
package helper

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/geolayer/geolayer/internal/helperapi"
)

type command struct {
	name, usage string
	run         func(args []string, stdout io.Writer) error
}

// commands are the helper's commands; each reads its command line through
// helperapi (the same structs llbgen writes it from) and runs on the
// typed options.
var commands = []command{
	{"install", "install one wheel into a layer tree", typed(helperapi.ParseInstall, runInstall)},
	{"bytecode", "copy a package tree and compile its Python sources with the target CPython", typed(helperapi.ParseBytecode, runBytecode)},
	{"licenses", "collect the packages' license files into THIRD_PARTY_LICENSES", typed(helperapi.ParseLicenses, runLicenses)},
	{"vendor", "copy the build stage's libraries the compiled packages need into the layer's library folder", typed(helperapi.ParseVendor, runVendor)},
	{"check", "check the layer's ELF files against the runtime, statically", typed(helperapi.ParseCheck, runCheck)},
	{"slim", "copy a package tree without pruned files, stripping ELF files safely", typed(helperapi.ParseSlim, runSlim)},
	{"fragment", "compress a package tree into a zip fragment", typed(helperapi.ParseFragment, runFragment)},
	{"assemble", "assemble fragments into layer.zip and report.json", typed(helperapi.ParseAssemble, runAssemble)},
	{"imports", "add TEST --profile-imports' import times to report.json and report.html", typed(helperapi.ParseImports, runImports)},
}

// typed reads a command line (its command name first) with parse and runs
// run on the options.
func typed[T any](parse func([]string) (*T, error), run func(*T, io.Writer) error) func([]string, io.Writer) error {
	return func(args []string, stdout io.Writer) error {
		o, err := parse(args)
		if err != nil {
			return err
		}
		return run(o, stdout)
	}
}

// Main runs a helper subcommand: args are its command line as
// helperapi writes it (the command name first). `<command> --help` lists
// the command's flags.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if isHelp(args[0]) {
		usage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			if len(args) == 2 && isHelp(args[1]) {
				_, _ = fmt.Fprintf(stdout, "%s\n%s", c.usage, helperapi.Usage(c.name))
				return 0
			}
			cause := reserveCause()
			if err := c.run(args, stdout); err != nil {
				err = explainDiskFull(err)
				_, _ = fmt.Fprintf(stderr, "geolayer helper %s: %v\n", c.name, err)
				cause.write(err)
				return 1
			}
			cause.clear()
			return 0
		}
	}
	usage(stderr)
	return 2
}

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

func usage(w io.Writer) {
	_, _ = fmt.Fprintln(w, "usage: geolayer helper <command> [flags]  ('geolayer helper <command> --help' lists its flags)")
	names := make([]string, 0, len(commands))
	for _, c := range commands {
		names = append(names, fmt.Sprintf("  %-10s %s", c.name, c.usage))
	}
	sort.Strings(names)
	_, _ = fmt.Fprintln(w, strings.Join(names, "\n"))
}
