package main

import (
	"bytes"
	"strings"
	"testing"
)

// The conventional help and version forms print on stdout and exit 0;
// usage errors print one line and a hint on stderr and exit 2.
func TestCLIConventions(t *testing.T) {
	cli := func(args ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := run(args, &o, &e)
		return code, o.String(), e.String()
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		code, out, errOut := cli(args...)
		if code != 0 || !strings.Contains(out, "Commands:") || !strings.Contains(out, "  build ") || !strings.Contains(out, "  check ") ||
			strings.Contains(out, "helper") || errOut != "" {
			t.Errorf("geolayer %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	for _, args := range [][]string{{"help", "build"}, {"build", "--help"}, {"build", "-h"}} {
		code, out, errOut := cli(args...)
		if code != 0 || !strings.Contains(out, "usage: geolayer build [flags] [context]") || !strings.Contains(out, "-platform") || errOut != "" {
			t.Errorf("geolayer %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	for _, args := range [][]string{{"help", "check"}, {"check", "--help"}} {
		code, out, _ := cli(args...)
		if code != 0 || !strings.Contains(out, "usage: geolayer check [flags] <layer.zip|dir>") || !strings.Contains(out, "-profile") {
			t.Errorf("geolayer %s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		if code, out, _ := cli(args...); code != 0 || out != "geolayer "+version+"\n" {
			t.Errorf("geolayer %s: exit %d %q", strings.Join(args, " "), code, out)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"; run 'geolayer --help'`},
		{[]string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"build", "--bogus"}, "flag provided but not defined: -bogus\nrun 'geolayer build --help' for the flags\n"},
	} {
		code, out, errOut := cli(c.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") > 2 {
			t.Errorf("geolayer %s: exit %d, stdout %q, stderr %q; want 2 and %q", strings.Join(c.args, " "), code, out, errOut, c.want)
		}
	}
}
