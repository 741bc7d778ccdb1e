//go:build integration

package integration

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/subrequests/lint"
)

// checkCall runs `docker buildx build --call <call>` on the dev builder
// and returns stdout, stdout and stderr together, and the exit status.
func checkCall(t *testing.T, dir, call string) (stdout, all string, code int) {
	t.Helper()
	args := []string{"buildx", "build", "--builder", env.builder, "--progress=plain",
		"--build-arg", "GEOLAYER_INDEX_URL=" + env.indexURL,
		"--call", call, "-f", "Geolayerfile", "."}
	cmd := exec.Command("docker", args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	var out, both bytes.Buffer
	cmd.Stdout = &multi{&out, &both}
	cmd.Stderr = &both
	start := time.Now()
	err := cmd.Run()
	t.Logf("$ docker %s (%.1fs)", strings.Join(args, " "), time.Since(start).Seconds())
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("docker buildx: %v", err)
	}
	return out.String(), both.String(), code
}

type multi struct{ a, b *bytes.Buffer }

func (m *multi) Write(p []byte) (int, error) {
	m.a.Write(p)
	return m.b.Write(p)
}

const docsURL = "https://github.com/geolayer/geolayer/blob/main/docs/geolayerfile.md#"

// lintGeolayerfile fires seven rules (line 1 is the syntax line).
const lintGeolayerfile = `# Everything the check rules flag
ARG UNUSED=1
TARGET aws-lambda python3.10
PLATFORM linux/amd64 linux/arm64
REQUIRE "glf-pure>=1.0"
REQUIRE -r requirements.txt
PRUNE /opt/python/lib/python3.10/site-packages/glf_pure/tests/
BUDGET unzipped=300MB
`

// lintWant: rule, Geolayerfile line, the line's text.
var lintWant = []struct {
	rule string
	line int
	text string
}{
	{"UnusedArg", 3, "ARG UNUSED=1"},
	{"DeprecatedRuntime", 4, "TARGET aws-lambda python3.10"},
	{"MissingTest", 4, "TARGET aws-lambda python3.10"},
	{"UnpinnedRequirement", 6, `REQUIRE "glf-pure>=1.0"`},
	{"UnhashedRequirement", 6, `REQUIRE "glf-pure>=1.0"`},
	{"UnhashedRequirement", 7, "REQUIRE -r requirements.txt"},
	{"UnmatchablePattern", 8, "PRUNE /opt/python/lib/python3.10/site-packages/glf_pure/tests/"},
	{"BudgetOverLimit", 9, "BUDGET unzipped=300MB"},
}

func lintProject(t *testing.T) string {
	return project(t, lintGeolayerfile, map[string]string{"requirements.txt": "glf-pure-dep==1.0.0\n"})
}

// printedWarning is one warning as buildx prints it.
// (buildx prints the -f path as the file name).
var printedWarning = regexp.MustCompile(`(?m)^WARNING: (\w+) - (\S+)\n(.*)\n\S*Geolayerfile:(\d+)\n-+\n((?:\s+\d+ \| .*\n)+)-+$`)

// (a) buildx calls the frontend's lint handler (not its Dockerfile
// fallback), prints every rule with its docs URL and the Geolayerfile line
// marked, and exits with status 1. Nothing is built.
func TestLintPrintsEveryRuleAtItsLine(t *testing.T) {
	dir := lintProject(t)
	stdout, all, code := checkCall(t, dir, "check")
	if code != 1 {
		t.Errorf("exit status %d, want 1:\n%s", code, tail(all, 60))
	}
	want := fmt.Sprintf("Check complete, %d warnings have been found!", len(lintWant))
	if !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	var got []string
	for _, m := range printedWarning.FindAllStringSubmatch(stdout, -1) {
		rule, url, detail, snippet := m[1], m[2], m[3], m[5]
		if url != docsURL+strings.ToLower(rule) {
			t.Errorf("%s: URL %s", rule, url)
		}
		if detail == "" {
			t.Errorf("%s: empty detail", rule)
		}
		marked := regexp.MustCompile(`(?m)^\s+(\d+) \| >>> (.*)$`).FindAllStringSubmatch(snippet, -1)
		if len(marked) != 1 {
			t.Errorf("%s: %d marked lines in\n%s", rule, len(marked), snippet)
			continue
		}
		if marked[0][1] != m[4] {
			t.Errorf("%s: header says line %s, marked line is %s", rule, m[4], marked[0][1])
		}
		got = append(got, fmt.Sprintf("%s:%s:%s", rule, marked[0][1], marked[0][2]))
	}
	var exp []string
	for _, w := range lintWant {
		exp = append(exp, fmt.Sprintf("%s:%d:%s", w.rule, w.line, w.text))
	}
	slices.Sort(got)
	slices.Sort(exp)
	if !slices.Equal(got, exp) {
		t.Errorf("printed warnings\n  %s\nwant\n  %s\nstdout:\n%s", strings.Join(got, "\n  "), strings.Join(exp, "\n  "), stdout)
	}
	for _, step := range []string{"resolve requirements with pip", "index page", "fetch ", "install "} {
		if strings.Contains(all, step) {
			t.Errorf("a check ran a build step (%q):\n%s", step, tail(all, 40))
		}
	}
}

// (b) format=json is BuildKit's lint result: rules, URLs, locations into
// the Geolayerfile source, no build error; the status is still 1.
func TestLintJSON(t *testing.T) {
	dir := lintProject(t)
	stdout, all, code := checkCall(t, dir, "check,format=json")
	if code != 1 {
		t.Errorf("exit status %d, want 1:\n%s", code, tail(all, 40))
	}
	var res lint.LintResults
	if err := json.Unmarshal([]byte(firstJSON(stdout)), &res); err != nil {
		t.Fatalf("stdout is not a lint result: %v\n%s", err, stdout)
	}
	if res.Error != nil {
		t.Errorf("buildError %+v", res.Error)
	}
	if len(res.Sources) != 1 || res.Sources[0].Filename != "Geolayerfile" || !strings.Contains(string(res.Sources[0].Data), "TARGET aws-lambda python3.10") {
		t.Fatalf("sources %+v", res.Sources)
	}
	lines := strings.Split(string(res.Sources[0].Data), "\n")
	var got, exp []string
	for _, w := range res.Warnings {
		if w.URL != docsURL+strings.ToLower(w.RuleName) || w.Description == "" || w.Detail == "" {
			t.Errorf("%s: url %q description %q detail %q", w.RuleName, w.URL, w.Description, w.Detail)
		}
		if w.Location == nil || w.Location.SourceIndex != 0 || len(w.Location.Ranges) == 0 {
			t.Errorf("%s: location %v", w.RuleName, w.Location)
			continue
		}
		l := int(w.Location.Ranges[0].Start.Line)
		got = append(got, fmt.Sprintf("%s:%d:%s", w.RuleName, l, lines[l-1]))
	}
	for _, w := range lintWant {
		exp = append(exp, fmt.Sprintf("%s:%d:%s", w.rule, w.line, w.text))
	}
	slices.Sort(got)
	slices.Sort(exp)
	if !slices.Equal(got, exp) {
		t.Errorf("warnings\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(exp, "\n  "))
	}
}

// (c) A pinned and hashed lock, a TEST and a supported runtime: no
// warning, status 0.
func TestLintCleanGeolayerfile(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	lock := `lock-version = '1.0'
created-by = 'geolayer integration test'
[[packages]]
name = 'glf-pure'
version = '1.0.0'
wheels = [{url = 'https://files.example/glf_pure-1.0.0-py3-none-any.whl', hashes = {sha256 = '` + sha + `'}}]
`
	dir := project(t, "ARG PYTHON=3.13\nTARGET aws-lambda python${PYTHON}\nPLATFORM linux/amd64 linux/arm64\nREQUIRE --lock=pylock.toml\nTEST import glf_pure\n",
		map[string]string{"pylock.toml": lock})
	stdout, all, code := checkCall(t, dir, "check")
	if code != 0 {
		t.Errorf("exit status %d, want 0:\n%s", code, tail(all, 40))
	}
	if !strings.Contains(stdout, "Check complete, no warnings found.") || strings.Contains(stdout, "WARNING") {
		t.Errorf("stdout:\n%s", stdout)
	}
}

// (d) A syntax error is the check's error with its source line, not a
// failed solve.
func TestLintSyntaxErrorIsTheChecksError(t *testing.T) {
	dir := project(t, "TARGET aws-lambda python3.13\nREQUIRE glf-pure==1.0.0\nTEST import glf_pure\nFROB glf-pure\n", nil)
	_, all, code := checkCall(t, dir, "check")
	if code == 0 {
		t.Fatalf("exit status 0:\n%s", all)
	}
	for _, w := range []string{"unknown instruction FROB", "Geolayerfile:5", "   5 | >>> FROB glf-pure"} {
		if !strings.Contains(all, w) {
			t.Errorf("output lacks %q:\n%s", w, tail(all, 40))
		}
	}
	if strings.Contains(all, "failed to solve") {
		t.Errorf("the error came back as a failed solve, not as the check's error:\n%s", tail(all, 40))
	}

	// The same with format=json: buildError with its location.
	stdout, all, code := checkCall(t, dir, "check,format=json")
	if code == 0 {
		t.Errorf("format=json: exit status 0:\n%s", all)
	}
	var res lint.LintResults
	if err := json.Unmarshal([]byte(firstJSON(stdout)), &res); err != nil {
		t.Fatalf("stdout is not a lint result: %v\n%s", err, stdout)
	}
	if res.Error == nil || !strings.Contains(res.Error.Message, "unknown instruction FROB") ||
		len(res.Error.Location.Ranges) == 0 || res.Error.Location.Ranges[0].Start.Line != 5 {
		t.Errorf("buildError %+v", res.Error)
	}
}

// firstJSON is the first line of s that starts a JSON object and what
// follows (buildx prints the error after the result).
func firstJSON(s string) string {
	i := strings.Index(s, "{")
	if i < 0 {
		return s
	}
	dec := json.NewDecoder(strings.NewReader(s[i:]))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return s[i:]
	}
	return string(raw)
}
