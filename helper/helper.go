// Package helper holds the subcommands the geolayer binary runs inside
// builds (`geolayer helper <cmd>`): install one wheel, compress one package
// into a zip fragment, assemble fragments into layer.zip. Each runs on the
// build host's own architecture, whatever the target.
package helper

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type command struct {
	name, usage string
	run         func(args []string, stdout io.Writer) error
}

var commands = []command{
	{"install", "install one wheel into a layer tree", runInstall},
	{"bytecode", "copy a package tree and compile its Python sources with the target CPython", runBytecode},
	{"licenses", "collect the packages' license files into THIRD_PARTY_LICENSES", runLicenses},
	{"vendor", "copy the build stage's libraries the compiled packages need into the layer's library folder", runVendor},
	{"check", "check the layer's ELF files against the runtime, statically", runCheck},
	{"slim", "copy a package tree without pruned files, stripping ELF files safely", runSlim},
	{"fragment", "compress a package tree into a zip fragment", runFragment},
	{"assemble", "assemble fragments into layer.zip and report.json", runAssemble},
	{"imports", "add TEST --profile-imports' import times to report.json and report.html", runImports},
}

// Main runs a helper subcommand.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	for _, c := range commands {
		if c.name == args[0] {
			cause := reserveCause()
			if err := c.run(args[1:], stdout); err != nil {
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

// causeFileEnv: when set (only by the frontend's rerun of a failed step,
// frontend.explainStep), the error is also written to that file so the
// frontend can report the cause as the build's error.
const causeFileEnv = "GEOLAYER_CAUSE_FILE"

func usage(w io.Writer) {
	_, _ = fmt.Fprintln(w, "usage: geolayer helper <command> [flags]")
	names := make([]string, 0, len(commands))
	for _, c := range commands {
		names = append(names, fmt.Sprintf("  %-10s %s", c.name, c.usage))
	}
	sort.Strings(names)
	_, _ = fmt.Fprintln(w, strings.Join(names, "\n"))
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("geolayer helper "+name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	return fs
}

func required(fs *flag.FlagSet, names ...string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, n := range names {
		if !set[n] {
			return fmt.Errorf("--%s is required", n)
		}
	}
	return nil
}
