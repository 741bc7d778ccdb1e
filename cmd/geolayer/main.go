// Command geolayer is one static binary with four faces:
//   - with no arguments, a BuildKit gateway frontend (the image's entrypoint);
//   - `geolayer helper ...`, the steps it runs inside builds;
//   - `geolayer build ...`, a CLI that runs the frontend in-process;
//   - `geolayer check ...`, the build's static ABI check on an existing layer.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/geolayer/geolayer/frontend"
	"github.com/geolayer/geolayer/helper"
	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/util/appcontext"
	_ "github.com/moby/buildkit/util/grpcutil/encoding/proto"
)

var version = "dev"

// command is one subcommand of the CLI.
type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) int
	hidden        bool // not listed in the usage (run inside builds)
}

var commands []command

// init fills the table (runHelp reads it, so it cannot be its initializer).
func init() {
	commands = []command{
		{name: "build", summary: "build a layer with a BuildKit daemon, running the frontend in-process", run: runBuild},
		{name: "check", summary: "run the static ABI check on an existing layer (zip or directory)", run: runCheck},
		{name: "version", summary: "print the version", run: func(_ []string, stdout, _ io.Writer) int {
			_, _ = fmt.Fprintln(stdout, "geolayer", version)
			return 0
		}},
		{name: "help", summary: "show help for a command", run: runHelp},
		{name: "helper", summary: "the steps geolayer runs inside builds", run: func(args []string, stdout, stderr io.Writer) int {
			return helper.Main(args, stdout, stderr)
		}, hidden: true},
	}
}

// Exit statuses (README "Exit codes"): 0 success, 1 the command failed (a
// build failed, the check found errors), 2 usage error.
const (
	exitOK    = 0
	exitUsage = 2
)

func main() {
	if len(os.Args) < 2 {
		// No arguments: the BuildKit gateway frontend (the image's entrypoint).
		if err := grpcclient.RunFromEnvironment(appcontext.Context(), frontend.Build); err != nil {
			fmt.Fprintf(os.Stderr, "geolayer frontend: %v\n", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the CLI: geolayer <command> [flags], with the conventional help
// forms (-h, --help, help [command], <command> --help) and version forms.
func run(args []string, stdout, stderr io.Writer) int {
	switch args[0] {
	case "-h", "--help", "-help":
		usage(stdout)
		return exitOK
	case "--version", "-version", "-v":
		args[0] = "version"
	}
	if c := lookup(args[0]); c != nil {
		return c.run(args[1:], stdout, stderr)
	}
	_, _ = fmt.Fprintf(stderr, "geolayer: unknown command %q; run 'geolayer --help' for the commands\n", args[0])
	return exitUsage
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

func runHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return exitOK
	}
	c := lookup(args[0])
	if c == nil || c.name == "help" || c.name == "version" {
		if c != nil {
			_, _ = fmt.Fprintf(stdout, "usage: geolayer %s\n%s\n", c.name, c.summary)
			return exitOK
		}
		_, _ = fmt.Fprintf(stderr, "geolayer help: unknown command %q; run 'geolayer --help' for the commands\n", args[0])
		return exitUsage
	}
	return c.run([]string{"--help"}, stdout, stderr)
}

func usage(w io.Writer) {
	_, _ = fmt.Fprintln(w, "geolayer builds Python layers for serverless platforms with BuildKit.")
	_, _ = fmt.Fprintln(w, "\nUsage:\n  geolayer <command> [flags]\n  docker buildx build -f Geolayerfile -o out .   (with '# syntax=<geolayer image>' on line 1)")
	_, _ = fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		if !c.hidden {
			_, _ = fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
		}
	}
	_, _ = fmt.Fprintln(w, "\nRun 'geolayer <command> --help' for a command's flags.")
	_, _ = fmt.Fprintln(w, "Exit status: 0 success, 1 the command failed (build failed, check found errors), 2 usage error.")
}

// parseFlags parses a command's flags the conventional way: -h/--help
// prints the usage on stdout and exits 0; a bad flag prints the flag
// package's one-line error and a hint on stderr and exits 2. done reports
// that the command should return code.
func parseFlags(fs *flag.FlagSet, args []string, usage func(io.Writer), stdout, stderr io.Writer, parse func() error) (code int, done bool) {
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	if err := parse(); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return exitOK, true
		}
		_, _ = fmt.Fprintf(stderr, "run 'geolayer %s --help' for the flags\n", strings.TrimPrefix(fs.Name(), "geolayer "))
		return exitUsage, true
	}
	fs.Usage = func() { usage(stderr) }
	return 0, false
}
