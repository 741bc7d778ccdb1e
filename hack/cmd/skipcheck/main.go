// Command skipcheck reads `go test -json` on its standard input, prints the
// run as go test would, and fails when a test skipped that the allowlist
// does not name: in `make test` a skip is a failure unless it is expected.
//
//	go test -json ./... 2>&1 | skipcheck -expected .ci/expected-skips
//	go test -json ./test/integration/... 2>&1 | skipcheck -v -expected .ci/expected-skips | tee log
//
// The allowlist has one expected skip a line, `package TestName reason`
// (the package as an import path or relative to the module of go.mod in
// the working directory; a test name also covers its subtests; `#` starts a
// comment line). The summary at the end (lines starting "skipcheck:")
// counts the tests, lists every skip, expected ones with the allowlist's
// reason, and says which allowlisted tests of the packages run did not skip.
//
// Output: with -v every line of test output, as `go test -v` prints it;
// without, the lines `go test` prints without -v (package results, the
// output of failed tests, build errors) plus the output of skipped tests.
// -log FILE writes the -v text to FILE as well.
//
// Exit status: 0 when every test passed or skipped as expected, 1 when a
// test or package failed, a skip was not expected or the input held no
// test events at all, 2 on a usage or allowlist error. The exit status of
// go test itself is the caller's to check (a pipeline's PIPESTATUS).
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// event is one line of `go test -json` (cmd/test2json), including the
// build events the go command adds.
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // build-output, build-fail
}

// entry is one line of the allowlist.
type entry struct {
	pkg, test, reason string
	line              int
}

// skip is a test that reported SKIP.
type skip struct {
	pkg, test, said string
	expected        *entry
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	fl := flag.NewFlagSet("skipcheck", flag.ContinueOnError)
	fl.SetOutput(stderr)
	verbose := fl.Bool("v", false, "print every line of test output, as go test -v does")
	expected := fl.String("expected", "", "the allowlist of expected skips (`package TestName reason` a line)")
	module := fl.String("module", "", "the module path allowlist packages are relative to (default: from ./go.mod)")
	logFile := fl.String("log", "", "also write the -v output to this file")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 {
		_, _ = fmt.Fprintf(stderr, "skipcheck: unexpected arguments %q (it reads go test -json on stdin)\n", fl.Args())
		return 2
	}
	if *module == "" {
		*module = modulePath("go.mod")
	}
	var allow []*entry
	if *expected != "" {
		var err error
		if allow, err = readAllowlist(*expected, *module); err != nil {
			_, _ = fmt.Fprintf(stderr, "skipcheck: %v\n", err)
			return 2
		}
	}
	logw := io.Discard
	if *logFile != "" {
		f, err := os.Create(*logFile)
		if err != nil {
			_, _ = fmt.Fprintf(stderr, "skipcheck: %v\n", err)
			return 2
		}
		bw := bufio.NewWriter(f)
		defer func() {
			// bw keeps the first write error: a log that lost lines fails the run.
			if err := errors.Join(bw.Flush(), f.Close()); err != nil {
				_, _ = fmt.Fprintf(stderr, "skipcheck: writing the log: %v\n", err)
				code = 2
			}
		}()
		logw = bw
	}
	c := &checker{verbose: *verbose, out: stdout, log: logw, module: *module, pkgs: map[string]*pkgState{}}
	if err := c.read(stdin); err != nil {
		_, _ = fmt.Fprintf(stderr, "skipcheck: reading go test -json: %v\n", err)
		return 2
	}
	return c.summary(allow, *expected)
}

// pkgState is what the checker holds of one package until it finishes.
type pkgState struct {
	out   map[string]*strings.Builder // output by test ("" = the package's own)
	shown []string                    // failed and skipped tests, in the order they ended
	done  bool
}

type checker struct {
	verbose  bool
	out, log io.Writer
	module   string
	pkgs     map[string]*pkgState
	pkgOrder []string

	events, passed, failed, buildFailed int
	failedPkgs                          []string
	skips                               []*skip
}

func (c *checker) pkg(name string) *pkgState {
	p := c.pkgs[name]
	if p == nil {
		p = &pkgState{out: map[string]*strings.Builder{}}
		c.pkgs[name] = p
		c.pkgOrder = append(c.pkgOrder, name)
	}
	return p
}

// print writes test output: always to the log, to out in verbose mode.
func (c *checker) print(s string) {
	_, _ = io.WriteString(c.log, s)
	if c.verbose {
		_, _ = io.WriteString(c.out, s)
	}
}

func (c *checker) read(r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			c.line(line)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (c *checker) line(line string) {
	var e event
	if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &e) != nil || e.Action == "" {
		// Not an event: the go command's own messages (2>&1), printed as they are.
		_, _ = io.WriteString(c.out, line)
		_, _ = io.WriteString(c.log, line)
		return
	}
	c.events++
	switch e.Action {
	case "build-output":
		_, _ = io.WriteString(c.out, e.Output)
		_, _ = io.WriteString(c.log, e.Output)
		return
	case "build-fail":
		c.buildFailed++
		return
	}
	if e.Package == "" {
		return
	}
	p := c.pkg(e.Package)
	if _, ok := p.out[e.Test]; !ok {
		p.out[e.Test] = &strings.Builder{}
	}
	switch e.Action {
	case "output":
		p.out[e.Test].WriteString(e.Output)
		c.print(e.Output)
	case "pass", "fail", "skip":
		if e.Test == "" {
			c.finish(e.Package, p, e.Action)
			return
		}
		switch e.Action {
		case "pass":
			c.passed++
		case "fail":
			c.failed++
			p.shown = append(p.shown, e.Test)
		case "skip":
			c.skips = append(c.skips, &skip{pkg: e.Package, test: e.Test, said: said(p.out[e.Test].String())})
			p.shown = append(p.shown, e.Test)
		}
	}
}

// finish prints a package's results the way go test does without -v,
// plus the output of its skipped tests.
func (c *checker) finish(name string, p *pkgState, action string) {
	p.done = true
	if action == "fail" {
		c.failedPkgs = append(c.failedPkgs, name)
	}
	if c.verbose {
		return
	}
	// Subtests end before their parents: their lines come first, as in
	// go test -v.
	for _, t := range p.shown {
		_, _ = io.WriteString(c.out, withoutProgress(p.out[t].String()))
	}
	for _, l := range strings.SplitAfter(p.out[""].String(), "\n") {
		if l == "" || l == "PASS\n" || strings.HasPrefix(l, "=== ") {
			continue
		}
		_, _ = io.WriteString(c.out, l)
	}
}

// withoutProgress drops the === RUN/PAUSE/CONT/NAME lines of -v output.
func withoutProgress(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, "=== ") {
			b.WriteString(l)
		}
	}
	return b.String()
}

// said is what a skipped test printed: its t.Skip message and logs, on one
// line.
func said(out string) string {
	var parts []string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- SKIP") {
			continue
		}
		parts = append(parts, l)
	}
	return strings.Join(parts, " ")
}

// rel shortens an import path to its path inside the module.
func (c *checker) rel(pkg string) string {
	if c.module == "" {
		return pkg
	}
	if pkg == c.module {
		return "."
	}
	if r, ok := strings.CutPrefix(pkg, c.module+"/"); ok {
		return r
	}
	return pkg
}

func (c *checker) summary(allow []*entry, allowFile string) int {
	const p = "skipcheck: "
	w := c.out
	if c.events == 0 {
		_, _ = fmt.Fprintln(w, p+"FAIL: no test events on the input (is it go test -json?)")
		return 1
	}
	var unexpected, expected []*skip
	for _, s := range c.skips {
		for _, a := range allow {
			if a.pkg == s.pkg && (a.test == s.test || strings.HasPrefix(s.test, a.test+"/")) {
				s.expected = a
				break
			}
		}
		if s.expected != nil {
			expected = append(expected, s)
		} else {
			unexpected = append(unexpected, s)
		}
	}
	_, _ = fmt.Fprintf(w, p+"%d packages, %d tests (subtests included): %d passed, %d failed, %d skipped (%d expected, %d not)\n",
		len(c.pkgOrder), c.passed+c.failed+len(c.skips), c.passed, c.failed, len(c.skips), len(expected), len(unexpected))
	if allowFile == "" {
		allowFile = "the allowlist"
	}
	for _, s := range expected {
		_, _ = fmt.Fprintf(w, p+"expected skip: %s %s: %s (%s line %d); it said: %s\n", c.rel(s.pkg), s.test, s.expected.reason, allowFile, s.expected.line, s.said)
	}
	// Allowlisted tests of the packages that ran which did not skip.
	seen := map[*entry]bool{}
	for _, s := range expected {
		seen[s.expected] = true
	}
	for _, a := range allow {
		if st := c.pkgs[a.pkg]; st != nil && st.done && !seen[a] {
			_, _ = fmt.Fprintf(w, p+"note: %s %s is listed in %s (line %d) but did not skip in this run\n", c.rel(a.pkg), a.test, allowFile, a.line)
		}
	}
	for _, s := range unexpected {
		_, _ = fmt.Fprintf(w, p+"UNEXPECTED SKIP: %s %s: %s\n", c.rel(s.pkg), s.test, s.said)
	}
	code := 0
	if len(unexpected) > 0 {
		_, _ = fmt.Fprintf(w, p+"FAIL: %d skipped tests are not listed in %s: a skip here is a failure. Fix its cause, or, if the skip is right on this machine, add a line `package TestName reason` there\n", len(unexpected), allowFile)
		code = 1
	}
	if c.failed > 0 || len(c.failedPkgs) > 0 || c.buildFailed > 0 {
		var names []string
		for _, n := range c.failedPkgs {
			names = append(names, c.rel(n))
		}
		sort.Strings(names)
		_, _ = fmt.Fprintf(w, p+"FAIL: %d failed tests; failed packages: %s\n", c.failed, strings.Join(names, " "))
		code = 1
	}
	for _, n := range c.pkgOrder {
		if !c.pkgs[n].done {
			_, _ = fmt.Fprintf(w, p+"FAIL: %s did not finish\n", c.rel(n))
			code = 1
		}
	}
	return code
}

// readAllowlist parses the expected-skips file.
func readAllowlist(file, module string) ([]*entry, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []*entry
	seen := map[[2]string]int{}
	for i, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Fields(l)
		if len(f) < 3 {
			return nil, fmt.Errorf("%s:%d: want `package TestName reason`, got %q", file, i+1, l)
		}
		pkg := f[0]
		if module != "" && !strings.Contains(strings.SplitN(pkg, "/", 2)[0], ".") {
			// Relative to the module ("pkg/deflate", or "." for its root).
			if pkg == "." {
				pkg = module
			} else {
				pkg = module + "/" + strings.TrimPrefix(pkg, "./")
			}
		}
		if !strings.HasPrefix(f[1], "Test") && !strings.HasPrefix(f[1], "Fuzz") && !strings.HasPrefix(f[1], "Example") {
			return nil, fmt.Errorf("%s:%d: %q is not a test name (TestX, TestX/sub, FuzzX, ExampleX)", file, i+1, f[1])
		}
		key := [2]string{pkg, f[1]}
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("%s:%d: %s %s is already listed on line %d", file, i+1, f[0], f[1], prev)
		}
		seen[key] = i + 1
		reason := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(l, f[0])), f[1]))
		out = append(out, &entry{pkg: pkg, test: f[1], reason: reason, line: i + 1})
	}
	return out, nil
}

// modulePath reads the module line of a go.mod ("" when there is none).
func modulePath(gomod string) string {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(l), "module "); ok {
			return strings.Trim(strings.TrimSpace(m), `"`)
		}
	}
	return ""
}
