package frontend

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	fstypes "github.com/tonistiigi/fsutil/types"
)

// fakeGateway stands for BuildKit in a check: build options, workers, and
// a build context whose files a solve's reference reads. Nothing else of
// client.Client may be called (the embedded nil interface panics).
type fakeGateway struct {
	client.Client
	opts    map[string]string
	workers []ocispecs.Platform
	files   map[string]string
	solves  int
}

func (f *fakeGateway) BuildOpts() client.BuildOpts {
	return client.BuildOpts{
		Opts:    f.opts,
		Workers: []client.WorkerInfo{{ID: "w0", Platforms: f.workers}},
		LLBCaps: pb.Caps.CapSet(pb.Caps.All()),
		Caps:    gwpb.Caps.CapSet(gwpb.Caps.All()),
	}
}

// Solve answers every solve with the build context: the check solves only
// local sources (.dockerignore and the requirements files).
func (f *fakeGateway) Solve(_ context.Context, req client.SolveRequest) (*client.Result, error) {
	f.solves++
	if req.Definition == nil {
		return nil, fmt.Errorf("unexpected solve %+v", req)
	}
	for _, dt := range req.Definition.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			return nil, err
		}
		if src := op.GetSource(); src != nil && !strings.HasPrefix(src.Identifier, "local://") {
			return nil, fmt.Errorf("a check must not solve %s", src.Identifier)
		}
		if op.GetExec() != nil {
			return nil, fmt.Errorf("a check must not run anything")
		}
	}
	res := client.NewResult()
	res.SetRef(&fakeRef{files: f.files})
	return res, nil
}

func (f *fakeGateway) Inputs(context.Context) (map[string]llb.State, error) { return nil, nil }

type fakeRef struct {
	client.Reference
	files map[string]string
}

func (r *fakeRef) ReadFile(_ context.Context, req client.ReadRequest) ([]byte, error) {
	dt, ok := r.files[req.Filename]
	if !ok {
		return nil, os.ErrNotExist
	}
	return []byte(dt), nil
}

func (r *fakeRef) StatFile(_ context.Context, req client.StatRequest) (*fstypes.Stat, error) {
	dt, ok := r.files[req.Path]
	if !ok {
		return nil, os.ErrNotExist
	}
	return &fstypes.Stat{Path: req.Path, Size: int64(len(dt))}, nil
}

// check runs `--call check` on a Geolayerfile (line 1 is the syntax line,
// as written by users) with context files, on a builder that runs the
// given platforms, on the given day.
func check(t *testing.T, geolayerfile string, files map[string]string, opts map[string]string, workers []ocispecs.Platform, today string) *lint.LintResults {
	t.Helper()
	if workers == nil {
		workers = []ocispecs.Platform{amd64, arm64}
	}
	if opts == nil {
		opts = map[string]string{}
	}
	opts["requestid"] = lint.RequestLint
	data := []byte("# syntax=example.com/geolayer/frontend:1\n" + geolayerfile)
	c := &fakeGateway{opts: opts, workers: workers, files: files}
	bc, err := dockerui.NewClient(c)
	if err != nil {
		t.Fatal(err)
	}
	day, err := time.Parse(time.DateOnly, today)
	if err != nil {
		t.Fatal(err)
	}
	src := &dockerui.Source{SourceMap: llb.NewSourceMap(nil, "Geolayerfile", "Geolayerfile", data)}
	return checkGeolayerfile(context.Background(), c, bc, src, day)
}

// fired lists "Rule:line" for every warning, sorted.
func fired(res *lint.LintResults) []string {
	out := []string{}
	for _, w := range res.Warnings {
		line := int32(0)
		if len(w.Location.Ranges) > 0 {
			line = w.Location.Ranges[0].Start.Line
		}
		out = append(out, fmt.Sprintf("%s:%d", w.RuleName, line))
	}
	slices.Sort(out)
	return out
}

const lintSHA = "3b787adbf04b0db1967798dba8da1af07e387908ed1553a0d6e74c084d1ceafe"

// cleanLock pins and hashes everything.
var cleanLock = `lock-version = '1.0'
created-by = 'test'
[[packages]]
name = 'glf-pure'
version = '1.0.0'
wheels = [{url = 'https://files.example/glf_pure-1.0.0-py3-none-any.whl', hashes = {sha256 = '` + lintSHA + `'}}]
`

// clean is a Geolayerfile that fires no rule (lines 2-5).
const clean = `TARGET aws-lambda python3.13
PLATFORM linux/amd64 linux/arm64
REQUIRE --lock=pylock.toml
TEST import glf_pure
`

const today = "2026-12-05"

func TestCheckCleanGeolayerfile(t *testing.T) {
	res := check(t, clean, map[string]string{"pylock.toml": cleanLock}, nil, nil, today)
	if res.Error != nil || len(res.Warnings) > 0 {
		t.Fatalf("error %+v, warnings %v", res.Error, fired(res))
	}
	r, err := res.ToResult(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(r.Metadata["result.statuscode"]); got != "0" {
		t.Errorf("statuscode %s, want 0", got)
	}
}

// Each rule, on its own: the rule and the line it points at (the syntax
// line is line 1).
func TestCheckRules(t *testing.T) {
	lock := map[string]string{"pylock.toml": cleanLock}
	cases := []struct {
		name, file string
		files      map[string]string
		workers    []ocispecs.Platform
		today      string
		want       []string
		detail     []string // substrings of the details, in order of want
	}{
		{name: "unpinned inline", file: "TARGET aws-lambda python3.13\nREQUIRE \"glf-pure>=1\" glf-dep==1.0.0\nTEST import glf_pure\n",
			want:   []string{"UnhashedRequirement:3", "UnhashedRequirement:3", "UnpinnedRequirement:3"},
			detail: []string{"a REQUIRE line cannot carry hashes", "", "glf-pure>=1 is not pinned"}},
		{name: "unpinned and unhashed from a file", file: "TARGET aws-lambda python3.13\nTEST import glf_pure\nREQUIRE -r requirements.txt\n",
			files: map[string]string{"requirements.txt": "# pinned\nglf-pure==1.0.0\nglf-dep~=1.0\n"},
			want:  []string{"UnhashedRequirement:4", "UnhashedRequirement:4", "UnpinnedRequirement:4"},
			detail: []string{"requirements.txt:2: glf-pure==1.0.0 has no sha256 hash", "requirements.txt:3: glf-dep~=1.0 has no sha256 hash",
				"requirements.txt:3: glf-dep~=1.0 is not pinned"}},
		{name: "hashed file is clean", file: "TARGET aws-lambda python3.13\nREQUIRE -r requirements.txt\nTEST import glf_pure\n",
			files: map[string]string{"requirements.txt": "glf-pure==1.0.0 --hash=sha256:" + lintSHA + "\n"}},
		{name: "pinned by ===", file: "TARGET aws-lambda python3.13\nREQUIRE -r requirements.txt\nTEST import glf_pure\n",
			files: map[string]string{"requirements.txt": "glf-pure===1.0.0 --hash=sha256:" + lintSHA + "\n"}},
		{name: "included file", file: "TARGET aws-lambda python3.13\nREQUIRE -r req/main.txt\nTEST import glf_pure\n",
			files:  map[string]string{"req/main.txt": "-r more.txt\n", "req/more.txt": "glf-pure>=1\n"},
			want:   []string{"UnhashedRequirement:3", "UnpinnedRequirement:3"},
			detail: []string{"req/more.txt:1: glf-pure>=1 has no sha256 hash", "req/more.txt:1"}},
		{name: "no TEST", file: "TARGET aws-lambda python3.13\nREQUIRE --lock=pylock.toml\n", files: lock,
			want: []string{"MissingTest:2"}, detail: []string{"no TEST"}},
		{name: "TEST on a platform the builder cannot run", file: clean, files: lock, workers: []ocispecs.Platform{amd64},
			want: []string{"TestNotRunnable:5"}, detail: []string{"TEST is skipped for linux/arm64"}},
		{name: "TEST --required on a platform the builder cannot run", file: "TARGET aws-lambda python3.13\nPLATFORM linux/arm64\nREQUIRE --lock=pylock.toml\nTEST --required import glf_pure\nTEST import glf_pure\n",
			files: lock, workers: []ocispecs.Platform{amd64},
			want:   []string{"TestNotRunnable:5", "TestNotRunnable:6"},
			detail: []string{"fails the build (TEST --required) for linux/arm64", "is skipped"}},
		{name: "deprecated runtime", file: "TARGET aws-lambda python3.10\nREQUIRE --lock=pylock.toml\nTEST import glf_pure\n", files: lock,
			want:   []string{"DeprecatedRuntime:2"},
			detail: []string{"aws-lambda python3.10 is deprecated since 2026-10-31; new functions cannot use it since 2026-11-30"}},
		{name: "deprecated runtime among several", file: "TARGET aws-lambda python3.13 \\\n  python3.10\nREQUIRE --lock=pylock.toml\nTEST import glf_pure\n", files: lock,
			want:   []string{"DeprecatedRuntime:3"},
			detail: []string{"aws-lambda python3.10 is deprecated since 2026-10-31"}},
		{name: "several runtimes past end of support", file: "TARGET aws-lambda python3.10 python3.11 python3.13\nREQUIRE --lock=pylock.toml\nTEST import glf_pure\n", files: lock,
			today: "2027-09-01", want: []string{"DeprecatedRuntime:2", "DeprecatedRuntime:2"}, detail: []string{"aws-lambda python3.10 is deprecated since 2026-10-31; past end of support", "aws-lambda python3.11 is deprecated since 2027-06-30; past end of support"}},
		{name: "runtime supported the day before", file: "TARGET aws-lambda python3.10\nREQUIRE --lock=pylock.toml\nTEST import glf_pure\n", files: lock,
			today: "2026-10-30"},
		{name: "runtime past end of support", file: "TARGET aws-lambda python3.11\nREQUIRE --lock=pylock.toml\nTEST import glf_pure\n", files: lock,
			today: "2027-09-01", want: []string{"DeprecatedRuntime:2"}, detail: []string{"past end of support"}},
		{name: "runtime without dates", file: "TARGET azure-functions python3.10\nREQUIRE --lock=pylock.toml\nTEST import glf_pure\n", files: lock,
			today: "2030-01-01"},
		{name: "budget over the limit", file: clean + "BUDGET zipped=200MB unzipped=300MB\n", files: lock,
			want: []string{"BudgetOverLimit:6"}, detail: []string{"BUDGET unzipped=300MB (314,572,800 bytes) is above the aws-lambda limit of 262,144,000 bytes"}},
		{name: "budget at the limit", file: clean + "BUDGET unzipped=250MiB\n", files: lock},
		{name: "budget without a platform limit", file: "TARGET azure-functions python3.12\nREQUIRE --lock=pylock.toml\nTEST import glf_pure\nBUDGET unzipped=2GB\n", files: lock},
		{name: "patterns from the layer root", file: clean + "PRUNE python/lib/python3.13/site-packages/glf_pure/tests/ /opt/python/lib/python3.12/site-packages/six.py\nKEEP /opt/bin/rio \"glf_pure/data/*.json\"\nPRUNE !/python/lib/python3.13/site-packages/x/keep.txt **/tests/ /python/\n",
			files:  lock,
			want:   []string{"UnmatchablePattern:6", "UnmatchablePattern:6", "UnmatchablePattern:7", "UnmatchablePattern:8"},
			detail: []string{`write "glf_pure/tests/"`, `write "/six.py"`, "files outside site-packages are never pruned", `write "!x/keep.txt"`}},
		{name: "patterns for a layout at the layer root", file: "TARGET gcp-functions python312\nREQUIRE --lock=pylock.toml\nTEST import glf_pure\nPRUNE /workspace/glf_pure/tests/ python/lib/x.py\n",
			files: lock, want: []string{"UnmatchablePattern:5"}, detail: []string{"/workspace"}},
		{name: "unused ARG", file: "ARG PYVER=3.13\nARG UNUSED=1 SOURCE_DATE_EPOCH\nARG INRUN\n" + strings.Replace(clean, "python3.13", "python${PYVER}", 1) + "RUN echo $INRUN\nBUILD glf-pure\n",
			files: lock, want: []string{"UnusedArg:3", "UnusedArg:4"}, detail: []string{"ARG UNUSED is declared", "ARG INRUN"}},
		{name: "credentials in requirements files", file: "TARGET aws-lambda python3.13\nTEST import glf_pure\nREQUIRE -r requirements.txt\n",
			files: map[string]string{"requirements.txt": "--extra-index-url https://user:s3cret@pkgs.example.com/simple\nglf-pure==1.0.0 --hash=sha256:" + lintSHA + "\n"},
			want:  []string{"CredentialsInURL:4"}, detail: []string{"requirements.txt:1: --extra-index-url https://***@pkgs.example.com/simple embeds credentials"}},
		{name: "credentials in a direct URL", file: "TARGET aws-lambda python3.13\nTEST import glf_pure\nREQUIRE -r requirements.txt\n",
			files: map[string]string{"requirements.txt": "glf-pure @ https://user:s3cret@files.example/glf_pure-1.0.0-py3-none-any.whl --hash=sha256:" + lintSHA + "\n"},
			want:  []string{"CredentialsInURL:4"}, detail: []string{"requirements.txt:1: the direct URL of glf-pure (https://***@files.example/glf_pure-1.0.0-py3-none-any.whl) embeds credentials"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			day := tc.today
			if day == "" {
				day = today
			}
			res := check(t, tc.file, tc.files, nil, tc.workers, day)
			// A build refuses credentials in index options and direct URLs,
			// so there the check's error follows the warning.
			if res.Error != nil && !strings.HasPrefix(tc.name, "credentials in") {
				t.Fatalf("check error: %+v", res.Error)
			}
			got := fired(res)
			want := tc.want
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("fired %v, want %v", got, want)
			}
			// Details in the order of want (warnings sorted the same way).
			ws := slices.Clone(res.Warnings)
			slices.SortStableFunc(ws, func(a, b lint.Warning) int {
				return strings.Compare(fmt.Sprintf("%s:%d", a.RuleName, a.Location.Ranges[0].Start.Line), fmt.Sprintf("%s:%d", b.RuleName, b.Location.Ranges[0].Start.Line))
			})
			for i, d := range tc.detail {
				if !strings.Contains(ws[i].Detail, d) {
					t.Errorf("warning %d (%s): detail %q does not contain %q", i, ws[i].RuleName, ws[i].Detail, d)
				}
			}
			for _, w := range res.Warnings {
				if strings.Contains(w.Detail, "s3cret") {
					t.Errorf("%s repeats the credentials: %s", w.RuleName, w.Detail)
				}
				if w.URL != rulesDocs+strings.ToLower(w.RuleName) || w.Description == "" {
					t.Errorf("%s: URL %q, description %q", w.RuleName, w.URL, w.Description)
				}
				if w.Location == nil || len(w.Location.Ranges) == 0 || w.Location.SourceIndex != 0 {
					t.Errorf("%s has no location in the Geolayerfile: %+v", w.RuleName, w.Location)
				}
			}
		})
	}
}

// An INDEX with credentials fires the rule and is the load error too.
func TestCheckIndexCredentials(t *testing.T) {
	res := check(t, "TARGET aws-lambda python3.13\nINDEX \"https://user:s3cret@pkgs.example.com/simple\"\nREQUIRE --lock=pylock.toml\nTEST import x\n",
		map[string]string{"pylock.toml": cleanLock}, nil, nil, today)
	if got := fired(res); !slices.Equal(got, []string{"CredentialsInURL:3"}) {
		t.Errorf("fired %v", got)
	}
	if res.Error == nil || !strings.Contains(res.Error.Message, "credentials must not be embedded") || res.Error.Location.Ranges[0].Start.Line != 3 {
		t.Errorf("error %+v", res.Error)
	}
	for _, s := range []string{res.Error.Message, res.Warnings[0].Detail} {
		if strings.Contains(s, "s3cret") || strings.Contains(s, "user:") {
			t.Errorf("credentials repeated: %s", s)
		}
	}
}

// A Geolayerfile the build would refuse is the check's error, with its
// location: syntax, load, plan and requirements-file errors alike.
func TestCheckErrors(t *testing.T) {
	cases := []struct {
		name, file string
		files      map[string]string
		msg        string
		line       int32 // 0: no location
		warnings   []string
	}{
		{name: "unknown instruction", file: "TARGET aws-lambda python3.13\nFROB x\n", msg: "unknown instruction FROB", line: 3},
		{name: "unterminated quote", file: "TARGET aws-lambda python3.13\nREQUIRE \"glf-pure==1\n", msg: "REQUIRE", line: 3},
		{name: "unknown runtime", file: "TARGET aws-lambda python3.9\nREQUIRE x==1\nTEST import x\n", msg: "unknown runtime \"python3.9\"", line: 2},
		{name: "bad prune pattern", file: "TARGET aws-lambda python3.13\nREQUIRE x==1\nTEST import x\nPRUNE \"a/[z-a]\"\n", msg: "reversed", line: 5},
		{name: "missing requirements file", file: "TARGET aws-lambda python3.13\nREQUIRE -r missing.txt\nTEST import x\n", msg: "missing.txt: not found", line: 3},
		{name: "missing include", file: "TARGET aws-lambda python3.13\nREQUIRE -r requirements.txt\nTEST import x\n",
			files: map[string]string{"requirements.txt": "-r more.txt\n"}, msg: "more.txt: not found", line: 3},
		{name: "bad requirements file", file: "ARG UNUSED\nTARGET aws-lambda python3.13\nREQUIRE -r requirements.txt\n",
			files: map[string]string{"requirements.txt": "--no-index\nx==1\n"}, msg: "requirements.txt:1: --no-index", line: 4,
			warnings: []string{"MissingTest:3", "UnusedArg:2"}},
		{name: "bad check directive", file: "TARGET aws-lambda python3.13\n", msg: "invalid check option", line: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.file
			if tc.name == "bad check directive" {
				file = "# check=frob=1\n" + file // directives first: the syntax line is added above
			}
			res := check(t, file, tc.files, nil, nil, today)
			if res.Error == nil {
				t.Fatalf("no error; warnings %v", fired(res))
			}
			if !strings.Contains(res.Error.Message, tc.msg) {
				t.Errorf("message %q does not contain %q", res.Error.Message, tc.msg)
			}
			var line int32
			if len(res.Error.Location.Ranges) > 0 {
				line = res.Error.Location.Ranges[0].Start.Line
			}
			if line != tc.line {
				t.Errorf("error at line %d, want %d (%v)", line, tc.line, res.Error.Location.Ranges)
			}
			want := tc.warnings
			if want == nil {
				want = []string{}
			}
			if got := fired(res); !slices.Equal(got, want) {
				t.Errorf("fired %v, want %v", got, want)
			}
			r, err := res.ToResult(nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(r.Metadata["result.statuscode"]); got != "1" {
				t.Errorf("statuscode %s, want 1", got)
			}
		})
	}
}

// `# check=skip=...` and BUILDKIT_DOCKERFILE_CHECK select rules as for a
// Dockerfile.
func TestCheckSkip(t *testing.T) {
	file := "TARGET aws-lambda python3.10\nREQUIRE --lock=pylock.toml\n"
	files := map[string]string{"pylock.toml": cleanLock}
	all := []string{"DeprecatedRuntime:2", "MissingTest:2"}
	if got := fired(check(t, file, files, nil, nil, today)); !slices.Equal(got, all) {
		t.Fatalf("fired %v, want %v", got, all)
	}
	// The directive follows the syntax line (both at the top).
	res := check(t, strings.Replace(file, "TARGET", "# check=skip=MissingTest\nTARGET", 1), files, nil, nil, today)
	if got := fired(res); !slices.Equal(got, []string{"DeprecatedRuntime:3"}) {
		t.Errorf("skip=MissingTest: fired %v", got)
	}
	res = check(t, file, files, map[string]string{"build-arg:BUILDKIT_DOCKERFILE_CHECK": "skip=all"}, nil, today)
	if got := fired(res); len(got) > 0 {
		t.Errorf("skip=all: fired %v", got)
	}
}

// What buildx prints: the rule, its URL, the detail and the Geolayerfile
// line marked in the snippet, for every warning.
func TestCheckPrintsEveryWarningWithItsLine(t *testing.T) {
	file := "ARG UNUSED\nTARGET aws-lambda python3.10\nREQUIRE \"glf-pure>=1\"\nPRUNE /opt/python/x/\nBUDGET unzipped=1GB\n"
	res := check(t, file, nil, nil, []ocispecs.Platform{amd64}, today)
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	r, err := res.ToResult(nil)
	if err != nil {
		t.Fatal(err)
	}
	txt := string(r.Metadata["result.txt"])
	for rule, line := range map[string]string{
		"UnusedArg": "   2 | >>> ARG UNUSED", "DeprecatedRuntime": "   3 | >>> TARGET aws-lambda python3.10",
		"MissingTest": "   3 | >>> TARGET", "UnpinnedRequirement": `   4 | >>> REQUIRE "glf-pure>=1"`, "UnhashedRequirement": "   4 | >>> REQUIRE",
		"UnmatchablePattern": "   5 | >>> PRUNE /opt/python/x/", "BudgetOverLimit": "   6 | >>> BUDGET unzipped=1GB",
	} {
		head := regexp.MustCompile(`WARNING: ` + rule + ` - ` + regexp.QuoteMeta(rulesDocs+strings.ToLower(rule)) + `\n[^\n]+\nGeolayerfile:\d+\n-+\n(?:[^\n]*\n)*?` + regexp.QuoteMeta(line))
		if !head.MatchString(txt) {
			t.Errorf("%s with %q not printed:\n%s", rule, line, txt)
		}
	}
	if got := string(r.Metadata["result.statuscode"]); got != "1" {
		t.Errorf("statuscode %s, want 1", got)
	}
}

// buildx asks frontend.lint directly; describe lists it for other clients.
func TestDescribeListsLint(t *testing.T) {
	res, err := describeSubrequests()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"frontend.outline", "frontend.targets", "frontend.lint", "frontend.subrequests.describe"} {
		if !strings.Contains(string(res.Metadata["result.json"]), `"name": "`+name+`"`) {
			t.Errorf("describe does not list %s:\n%s", name, res.Metadata["result.json"])
		}
	}
}

// Every rule has its section in the Geolayerfile reference, which its URL
// points at.
func TestCheckRulesAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/geolayerfile.md")
	if err != nil {
		t.Fatal(err)
	}
	section := regexp.MustCompile(`(?s)\n## Check rules\n(.*?)(\n## |$)`).FindSubmatch(doc)
	if section == nil {
		t.Fatal("docs/geolayerfile.md has no \"## Check rules\" section")
	}
	var documented []string
	for _, m := range regexp.MustCompile(`\n### (\w+)\n`).FindAllSubmatch(section[1], -1) {
		documented = append(documented, string(m[1]))
	}
	var names []string
	for _, r := range checkRules {
		names = append(names, r.Name)
		if !strings.HasSuffix(r.URL(), "#"+strings.ToLower(r.Name)) {
			t.Errorf("%s: URL %s", r.Name, r.URL())
		}
	}
	if !slices.Equal(documented, names) {
		t.Errorf("documented rules %v, want %v (same order)", documented, names)
	}
}
