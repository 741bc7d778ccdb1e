package instructions

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/frontend/parser"
	dfparser "github.com/moby/buildkit/frontend/dockerfile/parser"
)

const target = "TARGET aws-lambda python3.12\n"

func load(t *testing.T, src string, args map[string]string) (*Spec, error) {
	t.Helper()
	res, err := parser.Parse(strings.NewReader(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return Load(res, args)
}

func mustLoad(t *testing.T, src string, args map[string]string) *Spec {
	t.Helper()
	spec, err := load(t, src, args)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return spec
}

// at formats the start of a range as line:column (column 0-based).
func at(r parser.Range) string { return fmt.Sprintf("%d:%d", r.Start.Line, r.Start.Character) }

func values(vs []Value) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.Value)
	}
	return out
}

func TestLoadTargetRuntimes(t *testing.T) {
	src := "ARG NEW=python3.13\nTARGET aws-lambda python3.11 ${NEW} --glibc=2.26\nREQUIRE numpy\n"
	tc := mustLoad(t, src, nil).Target
	if got := values(tc.Runtimes); !reflect.DeepEqual(got, []string{"python3.11", "python3.13"}) {
		t.Errorf("runtimes %v", got)
	}
	if tc.Runtime.Value != "python3.11" || at(tc.Runtime.Location[0]) != "2:18" || at(tc.Runtimes[1].Location[0]) != "2:29" {
		t.Errorf("first runtime %+v, second at %s", tc.Runtime, at(tc.Runtimes[1].Location[0]))
	}
	if tc.Glibc.Value != "2.26" {
		t.Errorf("glibc %+v", tc.Glibc)
	}
	one := mustLoad(t, target, nil).Target
	if got := values(one.Runtimes); !reflect.DeepEqual(got, []string{"python3.12"}) || one.Runtime.Value != "python3.12" {
		t.Errorf("one runtime: %v %+v", got, one.Runtime)
	}
}

func TestLoadSpec(t *testing.T) {
	src := `# syntax=ghcr.io/geolayer/geolayer:1
# Python minor version
ARG PYVER=3.12
# PROFILE selects the cloud
# ARCHS is the platform list
ARG PROFILE=aws-lambda ARCHS="linux/amd64 linux/arm64/v8"
ARG TOKEN_ID

target ${PROFILE} python${PYVER} --layout=lambda --glibc=2.34 \
    --runtime-image=public.ecr.aws/lambda/python:${PYVER}
PLATFORM $ARCHS
INDEX https://pypi.org/simple
INDEX https://example.com/simple --extra --secret=${TOKEN_ID:-idx}
REQUIRE "numpy>=1.26" shapely[vectorized]>=2 \
        "pyproj ; python_version >= '3.10'"
REQUIRE -r requirements/./base.txt
PRUNE --preset=geo --no-defaults **/tests "*.pyx"
KEEP pyproj/proj_dir/share/proj/proj.db
STRIP --mode=unneeded
BYTECODE --optimize=2 --sourceless
BUDGET unzipped=250MB zipped=50MiB
TEST import numpy, shapely
TEST --required=false from pyproj import CRS; CRS("EPSG:4326")
ENV PROJ_NETWORK=OFF GDAL_DATA="/opt/share/gdal data"
CHECK warn
BUILD gdal --from-source --shared-libs
BUILD --auto
RUN --mount=type=cache,target=/root/.cache/pip,sharing=locked --mount=type=secret,id=tok,env=TOKEN,required \
    pip download x && echo "$HOME"
`
	spec := mustLoad(t, src, map[string]string{"PYVER": "3.13", "UNUSED": "1", "BUILDKIT_SYNTAX": "x"})

	tc := spec.Target
	if tc.Profile.Value != "aws-lambda" || tc.Runtime.Value != "python3.13" || tc.Layout.Value != "lambda" ||
		tc.Glibc.Value != "2.34" || tc.RuntimeImage.Value != "public.ecr.aws/lambda/python:3.13" || tc.BuildImage.IsSet() {
		t.Errorf("target: %+v", tc)
	}
	if got := at(tc.Runtime.Location[0]); got != "9:18" {
		t.Errorf("runtime location %s", got)
	}
	if got := at(tc.RuntimeImage.Location[0]); got != "10:20" {
		t.Errorf("runtime-image location %s", got)
	}
	if got := spec.Platforms.Strings(); !reflect.DeepEqual(got, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("platforms: %v", got)
	}
	if len(spec.Indexes) != 2 || spec.Indexes[0].Extra || !spec.Indexes[1].Extra || spec.Indexes[1].Secret.Value != "idx" {
		t.Errorf("indexes: %+v %+v", spec.Indexes[0], spec.Indexes[1])
	}
	if r := spec.Requires[0]; r.Kind != RequireSpecs || !reflect.DeepEqual(values(r.Requirements),
		[]string{"numpy>=1.26", "shapely[vectorized]>=2", "pyproj ; python_version >= '3.10'"}) {
		t.Errorf("requires[0]: %+v", values(r.Requirements))
	}
	if got := at(spec.Requires[0].Requirements[2].Location[0]); got != "15:8" {
		t.Errorf("requirement on continuation line at %s", got)
	}
	if r := spec.Requires[1]; r.Kind != RequireFile || r.File.Value != "requirements/base.txt" {
		t.Errorf("requires[1]: %+v", r)
	}
	if p := spec.Prunes[0]; !p.NoDefaults || p.Preset.Value != "geo" || !reflect.DeepEqual(values(p.Patterns), []string{"**/tests", "*.pyx"}) {
		t.Errorf("prune: %+v", p)
	}
	if k := spec.Keeps[0]; !reflect.DeepEqual(values(k.Patterns), []string{"pyproj/proj_dir/share/proj/proj.db"}) {
		t.Errorf("keep: %+v", k)
	}
	if spec.Strip.Mode != StripUnneeded || spec.Bytecode.Optimize != 2 || !spec.Bytecode.Sourceless {
		t.Errorf("strip/bytecode: %+v %+v", spec.Strip, spec.Bytecode)
	}
	if spec.Budget.Unzipped.Bytes != 262144000 || spec.Budget.Zipped.Bytes != 52428800 {
		t.Errorf("budget: %+v %+v", spec.Budget.Unzipped, spec.Budget.Zipped)
	}
	if len(spec.Tests) != 2 || spec.Tests[0].Source != "import numpy, shapely" || spec.Tests[0].Required ||
		spec.Tests[1].Source != `from pyproj import CRS; CRS("EPSG:4326")` || spec.Tests[1].Required {
		t.Errorf("tests: %+v %+v", spec.Tests[0], spec.Tests[1])
	}
	if e := spec.Env[0].Env; len(e) != 2 || e[0].Key != "PROJ_NETWORK" || e[0].Value != "OFF" || e[1].Value != "/opt/share/gdal data" {
		t.Errorf("env: %+v", e)
	}
	if spec.Check.Mode != CheckWarn {
		t.Errorf("check: %+v", spec.Check)
	}
	if b := spec.Builds; len(b) != 2 || !b[0].FromSource || !b[0].SharedLibs || b[0].Auto || !b[1].Auto || len(b[1].Packages) != 0 {
		t.Errorf("builds: %+v %+v", b[0], b[1])
	}
	r := spec.Runs[0]
	if r.Command != `pip download x && echo "$HOME"` || len(r.Mounts) != 2 {
		t.Fatalf("run: %+v", r)
	}
	if m := r.Mounts[0]; m.Type != MountCache || m.Target != "/root/.cache/pip" || m.Sharing != "locked" {
		t.Errorf("cache mount: %+v", m)
	}
	if m := r.Mounts[1]; m.Type != MountSecret || m.ID != "tok" || m.Env != "TOKEN" || !m.Required {
		t.Errorf("secret mount: %+v", m)
	}
	if len(spec.Commands) != 21 {
		t.Errorf("got %d commands", len(spec.Commands))
	}
	for _, c := range spec.Commands {
		if len(c.Location()) != 1 || c.Location()[0].Start.Line == 0 {
			t.Errorf("%s without location", c.Name())
		}
	}
	if !reflect.DeepEqual(spec.UnusedBuildArgs, []string{"UNUSED"}) {
		t.Errorf("unused build args: %v", spec.UnusedBuildArgs)
	}

	o := spec.Outline()
	var args []string
	for _, a := range o.Args {
		args = append(args, fmt.Sprintf("%s=%s (default %q) %q @%s", a.Name, a.Value, a.Default, a.Description, at(a.Location[0])))
	}
	wantArgs := []string{
		`PYVER=3.13 (default "3.12") "Python minor version" @3:4`,
		`PROFILE=aws-lambda (default "aws-lambda") "selects the cloud" @6:4`,
		`ARCHS=linux/amd64 linux/arm64/v8 (default "linux/amd64 linux/arm64/v8") "is the platform list" @6:23`,
		`TOKEN_ID= (default "") "" @7:4`,
	}
	if !reflect.DeepEqual(args, wantArgs) {
		t.Errorf("outline args:\n got %q\nwant %q", args, wantArgs)
	}
	var secrets []string
	for _, s := range o.Secrets {
		secrets = append(secrets, fmt.Sprintf("%s %v", s.ID, s.Required))
	}
	if !reflect.DeepEqual(secrets, []string{"idx true", "tok true"}) {
		t.Errorf("outline secrets: %q", secrets)
	}
}

func TestExpansion(t *testing.T) {
	tests := []struct {
		name string
		src  string // declarations; the checked values come from the last ENV or KEEP
		args map[string]string
		want []string
	}{
		{"default", "ARG A=x\nENV V=$A", nil, []string{"x"}},
		{"braces", "ARG A=x\nENV V=${A}-y", nil, []string{"x-y"}},
		{"build arg overrides default", "ARG A=x\nENV V=$A", map[string]string{"A": "y"}, []string{"y"}},
		{"build arg for ARG without default", "ARG A\nENV V=$A", map[string]string{"A": "y"}, []string{"y"}},
		{"build arg may be empty", "ARG A=x\nENV V=[$A]", map[string]string{"A": ""}, []string{"[]"}},
		{"declared without default is empty", "ARG A\nENV V=[$A]", nil, []string{"[]"}},
		{"empty default", "ARG A=\nENV V=[${A}]", nil, []string{"[]"}},
		{"default for undeclared", "ENV V=${U:-d}", nil, []string{"d"}},
		{"default for unset", "ARG A\nENV V=${A:-d}", nil, []string{"d"}},
		{"default for empty", "ARG A=\nENV V=${A:-d}", nil, []string{"d"}},
		{"dash without colon keeps empty", "ARG A=\nENV V=[${A-d}]", nil, []string{"[]"}},
		{"default not used", "ARG A=x\nENV V=${A:-d}", nil, []string{"x"}},
		{"alternative when set", "ARG A=x\nENV V=${A:+alt}", nil, []string{"alt"}},
		{"alternative when empty", "ARG A=\nENV V=[${A:+alt}]", nil, []string{"[]"}},
		{"alternative for undeclared", "ENV V=[${U:+alt}]", nil, []string{"[]"}},
		{"nested default", "ARG B=b\nENV V=${U:-${B}}", nil, []string{"b"}},
		{"default with spaces", "ENV V=${U:-a b}", nil, []string{"a b"}},
		{"double quotes expand", "ARG A=x\nENV V=\"$A y\"", nil, []string{"x y"}},
		{"single quotes are literal", "ENV V='$U'", nil, []string{"$U"}},
		{"escaped dollar", "ENV V=\\$U", nil, []string{"$U"}},
		{"lone dollar", "ENV V=a$", nil, []string{"a$"}},
		{"earlier ARG on the same line", "ARG A=1 B=$A-2\nENV V=$B", nil, []string{"1-2"}},
		{"default uses overridden ARG", "ARG A=1 B=$A-2\nENV V=$B", map[string]string{"A": "9"}, []string{"9-2"}},
		{"ARG default is not re-expanded from build arg", "ARG A=$$\nENV V=x", nil, nil},
		{"field splitting", "ARG P=\"a b\"\nKEEP $P \"$P\" c", nil, []string{"a", "b", "a b", "c"}},
		{"empty expansion gives no field", "ARG E=\nKEEP $E c", nil, []string{"c"}},
		{"backtick escape", "# escape=`\nARG A=1\nENV V=`$A", nil, []string{"$A"}},
		{"backslash literal with backtick escape", "# escape=`\nENV V=C:\\x", nil, []string{`C:\x`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src + "\n" + target
			spec, err := load(t, src, tc.args)
			if tc.want == nil {
				if err == nil {
					t.Fatal("expected an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			if len(spec.Keeps) > 0 {
				got = values(spec.Keeps[len(spec.Keeps)-1].Patterns)
			} else {
				for _, kv := range spec.Env[len(spec.Env)-1].Env {
					got = append(got, kv.Value)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTestSource(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"single line", "TEST import numpy; print(numpy.__version__)", "import numpy; print(numpy.__version__)"},
		{"quotes kept verbatim", `TEST print("it's", 'a "b"', "\n")`, `print("it's", 'a "b"', "\n")`},
		{"variables expand even in quotes", "ARG V=1.26\nTEST assert np.__version__ == '$V', \"${V}\"", `assert np.__version__ == '1.26', "1.26"`},
		{"escaped dollar", `TEST print("\$HOME")`, `print("$HOME")`},
		{"other escapes kept", `TEST print("a\tb\\c")`, `print("a\tb\\c")`},
		{"continuation lines become source lines", "TEST import numpy \\\n    import shapely", "import numpy\nimport shapely"},
		{"aligned continuation", "TEST import numpy \\\n     import shapely", "import numpy\nimport shapely"},
		{"indentation beyond the start column is kept", "TEST for m in ('numpy',): \\\n         __import__(m)", "for m in ('numpy',):\n    __import__(m)"},
		{"source starting on the next line", "TEST \\\n  for m in ('a', 'b'): \\\n      __import__(m) \\\n  print('ok')", "for m in ('a', 'b'):\n    __import__(m)\nprint('ok')"},
		{"flags before source", "TEST --required \\\n    import numpy", "import numpy"},
		{"comment lines inside continuation dropped", "TEST import a \\\n# not python\n     import b", "import a\nimport b"},
		{"hash is python", "TEST import a  # comment", "import a  # comment"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := mustLoad(t, target+tc.src+"\n", nil)
			if got := spec.Tests[0].Source; got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  string
	}{
		{in: "262144000", want: 262144000},
		{in: "250MB", want: 262144000},
		{in: "250MiB", want: 262144000},
		{in: "250mb", want: 262144000},
		{in: "50MB", want: 52428800},
		{in: "1KB", want: 1024},
		{in: "1kib", want: 1024},
		{in: "10k", want: 10240},
		{in: "2G", want: 2 << 30},
		{in: "1.5GB", want: 3 << 29},
		{in: "512B", want: 512},
		{in: "100 MB", want: 100 << 20},
		{in: "0.1KB", err: "whole number"},
		{in: "MB", err: "expected a byte count"},
		{in: "-1MB", err: "expected a byte count"},
		{in: "1e6", err: "expected a byte count"},
		{in: "1TB", err: "unknown unit"},
		{in: "250MBs", err: "unknown unit"},
		{in: "99999999999GB", err: "too large"},
		{in: "9999999999999999999", err: "too large"},
	}
	for _, tc := range tests {
		got, problem := parseSize(tc.in)
		if tc.err != "" {
			if !strings.Contains(problem, tc.err) {
				t.Errorf("%s: got %d %q, want error %q", tc.in, got, problem, tc.err)
			}
			continue
		}
		if problem != "" || got != tc.want {
			t.Errorf("%s: got %d %q, want %d", tc.in, got, problem, tc.want)
		}
	}
}

func TestMounts(t *testing.T) {
	spec := mustLoad(t, target+`RUN --mount=type=cache,id=pip,dst=/root/.cache/pip/,ro,mode=0755,uid=1000,gid=0 \
    --mount=type=secret,target=/run/secrets/netrc --mount="type=tmpfs,target=/tmp,size=64MiB" true
`, nil)
	ms := spec.Runs[0].Mounts
	if m := ms[0]; m.Type != MountCache || m.ID != "pip" || m.Target != "/root/.cache/pip" || !m.ReadOnly || *m.Mode != 0o755 || *m.UID != 1000 || *m.GID != 0 {
		t.Errorf("cache: %+v", m)
	}
	if m := ms[1]; m.Type != MountSecret || m.ID != "netrc" || m.Target != "/run/secrets/netrc" || m.Required {
		t.Errorf("secret: %+v", m)
	}
	if m := ms[2]; m.Type != MountTmpfs || m.Target != "/tmp" || m.Size != 64<<20 {
		t.Errorf("tmpfs: %+v", m)
	}
	if got := at(ms[1].Location[0]); got != "3:4" {
		t.Errorf("secret mount location %s", got)
	}
}

// TestErrors checks the message and the primary (and secondary) location of
// each error; locations are line:column with 0-based columns.
func TestErrors(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		args   map[string]string
		want   string   // substring of the message
		at     string   // primary location
		also   string   // secondary location, if any
		absent []string // must not appear in the message
	}{
		// instructions and flags
		{name: "unknown instruction", src: "TRAGET aws-lambda python3.12\n", want: "unknown instruction TRAGET (did you mean TARGET?)", at: "1:0"},
		{name: "unknown indented instruction", src: target + "  reqiure numpy\n", want: "unknown instruction reqiure (did you mean REQUIRE?)", at: "2:2"},
		{name: "unknown instruction without suggestion", src: target + "LICENSES --collect\n", want: "unknown instruction LICENSES; expected one of ARG, TARGET", at: "2:0"},
		{name: "dockerfile instruction hint", src: "FROM python:3.12\n", want: "use TARGET <profile> <runtime>", at: "1:0"},
		{name: "unknown flag", src: target + "INDEX https://x/simple --extar\n", want: "unknown flag --extar for INDEX (did you mean --extra?)", at: "2:23"},
		{name: "flag on instruction without flags", src: target + "ENV A=1 --x\n", want: "unknown flag --x for ENV: ENV takes no flags", at: "2:8"},
		{name: "bad bool flag value", src: target + "INDEX https://x/simple --extra=maybe\n", want: `invalid value "maybe" for flag --extra of INDEX`, at: "2:31"},
		{name: "flag without value", src: target + "INDEX https://x/simple --secret\n", want: "flag --secret of INDEX requires a value: --secret=<id>", at: "2:23"},
		{name: "flag with empty value", src: target + "INDEX https://x/simple --secret=\n", want: "requires a non-empty value", at: "2:32"},
		{name: "duplicate flag", src: target + "STRIP --mode=debug --mode=none\n", want: "flag --mode is given twice for STRIP", at: "2:19", also: "2:6"},
		{name: "bad enum flag", src: target + "STRIP --mode=unneded\n", want: `expected one of debug, unneeded, none (did you mean "unneeded"?)`, at: "2:13"},
		{name: "bad layout", src: "TARGET aws-lambda python3.12 --layout=zip\n", want: `invalid value "zip" for flag --layout of TARGET`, at: "1:38"},

		// arguments
		{name: "TARGET without args", src: "TARGET\n", want: "missing a profile and a runtime in TARGET; expected TARGET <profile> <runtime>", at: "1:6"},
		{name: "TARGET without runtime", src: "TARGET aws-lambda\n", want: "missing a runtime after the profile in TARGET", at: "1:17"},
		{name: "TARGET bad second runtime", src: "TARGET aws-lambda python3.12 python/3.13\n", want: `invalid TARGET runtime "python/3.13"`, at: "1:29"},
		{name: "TARGET runtime twice", src: "TARGET aws-lambda python3.12 python3.13 python3.12\n", want: `runtime "python3.12" is listed twice in TARGET`, at: "1:40", also: "1:18"},
		{name: "TARGET bad profile", src: "TARGET 'aws lambda' python3.12\n", want: `invalid TARGET profile "aws lambda"`, at: "1:7"},
		{name: "TARGET bad image", src: "TARGET aws-lambda python3.12 --build-image=Bad::Ref\n", want: `invalid --build-image "Bad::Ref" for TARGET`, at: "1:43"},
		{name: "TARGET bad glibc", src: "TARGET aws-lambda python3.12 --glibc=2\n", want: "expected a version like 2.34", at: "1:37"},
		{name: "missing TARGET", src: "REQUIRE numpy\n", want: "missing TARGET instruction", at: "1:0"},
		{name: "second TARGET", src: target + "TARGET gcp-functions python3.12\n", want: "only one TARGET instruction is allowed; the first one is at line 1", at: "2:0", also: "1:0"},
		{name: "ARG without name", src: target + "ARG\n", want: "missing a variable name in ARG", at: "2:3"},
		{name: "invalid ARG name", src: target + "ARG 1X=2\n", want: `invalid ARG name "1X"`, at: "2:4"},
		{name: "ARG declared twice", src: target + "ARG A=1\nARG B A=2\n", want: "duplicate ARG A: the first declaration is at line 2", at: "3:6", also: "2:4"},
		{name: "KEEP without patterns", src: target + "KEEP\n", want: "missing at least one pattern in KEEP", at: "2:4"},
		{name: "STRIP with argument", src: target + "STRIP debug\n", want: "unexpected argument debug for STRIP; expected STRIP [--mode=debug|unneeded|none]", at: "2:6"},
		{name: "CHECK without mode", src: target + "CHECK\n", want: "missing a mode in CHECK", at: "2:5"},
		{name: "CHECK two modes", src: target + "CHECK warn error\n", want: "unexpected argument error for CHECK", at: "2:11"},
		{name: "CHECK bad mode", src: target + "CHECK eror\n", want: `invalid CHECK mode "eror": expected off, warn or error (did you mean error?)`, at: "2:6"},
		{name: "second STRIP", src: target + "STRIP\nSTRIP --mode=none\n", want: "only one STRIP instruction is allowed", at: "3:0", also: "2:0"},
		{name: "ENV without =", src: target + "ENV A\n", want: "invalid ENV argument A: expected KEY=VALUE", at: "2:4"},
		{name: "ENV bad name", src: target + "ENV 1A=b\n", want: `invalid ENV name "1A"`, at: "2:4"},
		{name: "BUILD without packages", src: target + "BUILD --shared-libs\n", want: "missing at least one package (or --auto) in BUILD", at: "2:19"},
		{name: "BUILD with version", src: target + "BUILD gdal==3.8\n", want: `invalid package name "gdal==3.8" in BUILD`, at: "2:6"},
		{name: "BUILD duplicate", src: target + "BUILD gdal\nBUILD GDAL\n", want: "package GDAL is listed twice in BUILD (first at line 2)", at: "3:6", also: "2:6"},
		{name: "TEST without source", src: target + "TEST --required\n", want: "missing Python source in TEST", at: "2:15"},
		{name: "RUN without command", src: target + "RUN --mount=type=cache,target=/c\n", want: "missing a shell command in RUN", at: "2:32"},
		{name: "unterminated quote", src: target + "KEEP \"abc\n", want: "unexpected end of statement while looking for matching double-quote", at: "2:5"},
		{name: "bad substitution", src: target + "KEEP ${}\n", want: "bad substitution", at: "2:5"},

		// variables
		{name: "undefined variable", src: "TARGET aws-lambda python$PY\n", want: "undefined variable PY in TARGET: declare it with ARG PY", at: "1:24"},
		{name: "undefined variable with suggestion", src: "ARG PYVER=3.12\nTARGET aws-lambda python${PYVERS}\n", want: "undefined variable PYVERS in TARGET (did you mean PYVER?)", at: "2:24"},
		{name: "undefined variable in flag value", src: "TARGET aws-lambda python3.12 --glibc=${GLIBC}\n", want: "undefined variable GLIBC in TARGET", at: "1:37"},
		{name: "undefined variable on continuation line", src: "TARGET aws-lambda \\\n  python${PY}\n", want: "undefined variable PY", at: "2:8"},
		{name: "undefined variable with escape directive", src: "# escape=`\nTARGET aws-lambda `\n  python$PY\n", want: "undefined variable PY", at: "3:8"},
		{name: "undefined variable in double quotes", src: target + "KEEP \"a/$X\"\n", want: "undefined variable X in KEEP", at: "2:8"},
		{name: "undefined variable in default", src: target + "KEEP ${U:-$X}\n", want: "undefined variable X", at: "2:10"},
		{name: "undefined variable in ARG default", src: target + "ARG A=$B\n", want: "undefined variable B in ARG", at: "2:6"},
		{name: "undefined variable in TEST", src: target + "TEST print(\"$X\")\n", want: "undefined variable X in TEST", at: "2:12"},
		{name: "undefined variable in mount", src: target + "RUN --mount=type=cache,target=$DIR true\n", want: "undefined variable DIR in RUN", at: "2:30"},
		{name: "undeclared build arg", src: target + "KEEP $X\n", args: map[string]string{"X": "1"}, want: "undefined variable X", at: "2:5"},
		{name: "positional parameter", src: target + "KEEP a$1\n", want: "undefined variable 1", at: "2:6"},
		{name: "ARG used before declaration", src: "TARGET aws-lambda python$PY\nARG PY=3.12\n", want: "variable PY is used in TARGET before it is declared: ARG PY is at line 2", at: "1:24", also: "2:4"},
		{name: "required variable unset", src: target + "ARG X\nENV A=${X:?must be set}\n", want: "X: must be set", at: "3:6"},

		// PLATFORM
		{name: "platform without arch", src: target + "PLATFORM linux/amd64 linux/arm64 foo\n", want: `invalid platform "foo" in PLATFORM: expected os/arch`, at: "2:33"},
		{name: "platform not linux", src: target + "PLATFORM linux/amd64 windows/amd64\n", want: "layers are built for linux only", at: "2:21"},
		{name: "platform unknown arch", src: target + "PLATFORM linux/amd46\n", want: `unknown architecture "amd46" in PLATFORM "linux/amd46"; expected one of amd64, arm64`, at: "2:9"},
		{name: "platform wildcard", src: target + "PLATFORM linux/*\n", want: `invalid platform "linux/*" in PLATFORM`, at: "2:9"},
		{name: "platform duplicate after normalisation", src: target + "PLATFORM linux/arm64 linux/arm64/v8\n", want: "listed twice in PLATFORM (both normalise to linux/arm64)", at: "2:21", also: "2:9"},
		{name: "platform from variable", src: "ARG P=\"linux/amd64 linux/bad!\"\n" + target + "PLATFORM $P\n", want: `invalid platform "linux/bad!"`, at: "3:9"},
		{name: "second PLATFORM", src: target + "PLATFORM linux/amd64\nPLATFORM linux/arm64\n", want: "only one PLATFORM instruction is allowed", at: "3:0", also: "2:0"},
		{name: "PLATFORM empty", src: target + "PLATFORM\n", want: "missing at least one platform in PLATFORM", at: "2:8"},

		// BUDGET
		{name: "bad size unit", src: target + "BUDGET unzipped=250MBs\n", want: `invalid size "250MBs" for BUDGET unzipped: unknown unit "MBs"`, at: "2:16"},
		{name: "bad size number", src: target + "BUDGET zipped=lots\n", want: `invalid size "lots" for BUDGET zipped`, at: "2:14"},
		{name: "zero size", src: target + "BUDGET zipped=0\n", want: "must be greater than zero", at: "2:14"},
		{name: "unknown budget key", src: target + "BUDGET unzip=1MB\n", want: `unknown BUDGET key "unzip"`, at: "2:7"},
		{name: "budget without =", src: target + "BUDGET unzipped\n", want: "expected unzipped=<size> or zipped=<size>", at: "2:7"},
		{name: "budget key twice", src: target + "BUDGET unzipped=1MB unzipped=2MB\n", want: "duplicate BUDGET key unzipped", at: "2:20", also: "2:7"},
		{name: "budget empty", src: target + "BUDGET\n", want: "missing unzipped=<size> and/or zipped=<size> in BUDGET", at: "2:6"},

		// INDEX
		{name: "credentials in URL", src: target + "INDEX https://user:hunter2@example.com/simple\n", want: "credentials must not be embedded in the URL (https://***@example.com/simple); store them in a build secret and pass --secret=<id>", at: "2:6", absent: []string{"hunter2", "user"}},
		{name: "token in URL", src: target + "INDEX https://tok3n@example.com/simple\n", want: "credentials must not be embedded", at: "2:6", absent: []string{"tok3n"}},
		{name: "credentials from build arg", src: "ARG URL\n" + target + "INDEX $URL\n", args: map[string]string{"URL": "https://u:hunter2@h/simple"}, want: "credentials must not be embedded", at: "3:6", absent: []string{"hunter2"}},
		{name: "non-http index", src: target + "INDEX ftp://example.com/simple\n", want: "ftp://example.com/simple: expected an http:// or https:// URL", at: "2:6"},
		{name: "index without host", src: target + "INDEX https:///simple\n", want: "has no host", at: "2:6"},
		{name: "second primary index", src: target + "INDEX https://a/simple\nINDEX https://b/simple\n", want: "only one INDEX without --extra is allowed", at: "3:0", also: "2:0"},
		{name: "bad secret id", src: target + "INDEX https://a/simple --secret=a/b\n", want: `invalid --secret "a/b" for INDEX`, at: "2:32"},
		{name: "INDEX without URL", src: target + "INDEX --extra\n", want: "missing a URL in INDEX", at: "2:13"},

		// REQUIRE
		{name: "absolute path in -r", src: target + "REQUIRE -r /abs/requirements.txt\n", want: `invalid requirements file "/abs/requirements.txt" for REQUIRE -r: absolute paths are not allowed`, at: "2:11"},
		{name: "escaping path in -r", src: target + "REQUIRE -r sub/../../requirements.txt\n", want: "the path leaves the build context", at: "2:11"},
		{name: "-r without file", src: target + "REQUIRE -r\n", want: "missing a requirements file after -r in REQUIRE", at: "2:10"},
		{name: "-r with two files", src: target + "REQUIRE -r a.txt b.txt\n", want: "unexpected argument b.txt for REQUIRE", at: "2:17"},
		{name: "absolute lock", src: target + "REQUIRE --lock=/x/pylock.toml\n", want: "absolute paths are not allowed", at: "2:15"},
		{name: "lock file name", src: target + "REQUIRE --lock=locks/poetry.lock\n", want: "pylock.toml or pylock.<name>.toml (PEP 751)", at: "2:15"},
		{name: "lock with requirements", src: target + "REQUIRE --lock=pylock.toml numpy\n", want: "unexpected argument numpy for REQUIRE --lock", at: "2:27"},
		{name: "lock and REQUIRE", src: target + "REQUIRE numpy\nREQUIRE --lock=pylock.prod.toml\n", want: "conflicting REQUIRE instructions: REQUIRE --lock cannot be combined with other REQUIRE instructions", at: "3:0", also: "2:0"},
		{name: "REQUIRE after lock", src: target + "REQUIRE --lock=pylock.toml\nREQUIRE -r r.txt\n", want: "REQUIRE --lock cannot be combined", at: "3:0", also: "2:0"},
		{name: "REQUIRE without args", src: target + "REQUIRE\n", want: "missing requirements, -r <file> or --lock=<file> in REQUIRE", at: "2:7"},
		{name: "pip option", src: target + "REQUIRE -e .\n", want: "unexpected option -e in REQUIRE: pip options are not supported", at: "2:8"},
		{name: "unknown REQUIRE flag", src: target + "REQUIRE --pre numpy\n", want: "unknown flag --pre for REQUIRE", at: "2:8"},
		{name: "unquoted marker", src: target + "REQUIRE numpy 'sha pely'\n", want: `invalid requirement "sha pely" in REQUIRE: unexpected "pely"`, at: "2:14"},
		{name: "bad requirement name", src: target + "REQUIRE numpy >=1\n", want: `invalid requirement ">=1"`, at: "2:14"},
		{name: "credentials in direct URL", src: target + "REQUIRE 'pkg @ https://u:hunter2@h/x.whl'\n", want: "credentials must not be embedded in the URL (https://***@h/x.whl)", at: "2:8", absent: []string{"hunter2"}},

		// PRUNE / KEEP
		{name: "dotdot pattern", src: target + "KEEP a/../b\n", want: "'..' is not allowed in patterns", at: "2:5"},
		{name: "malformed pattern", src: target + "PRUNE x [abc\n", want: "malformed glob", at: "2:8"},
		{name: "PRUNE without anything", src: target + "PRUNE\n", want: "missing patterns, --preset=geo, --collect-licenses or --no-defaults in PRUNE", at: "2:5"},
		{name: "unknown preset", src: target + "PRUNE --preset=gis\n", want: `invalid value "gis" for flag --preset of PRUNE: expected one of geo`, at: "2:15"},

		// RUN --mount
		{name: "mount without type", src: target + "RUN --mount=target=/x echo\n", want: "missing type in RUN --mount: expected type=cache, type=secret or type=tmpfs", at: "2:4"},
		{name: "mount bad type", src: target + "RUN --mount=type=bind,target=/x echo\n", want: `invalid mount type "bind" in RUN --mount: expected cache, secret or tmpfs`, at: "2:17"},
		{name: "mount unknown key", src: target + "RUN --mount=type=cache,targte=/x echo\n", want: `unknown option "targte" for RUN --mount=type=cache (did you mean target?)`, at: "2:23"},
		{name: "cache mount without target", src: target + "RUN --mount=type=cache echo\n", want: "missing target in RUN --mount=type=cache: expected target=<absolute path>", at: "2:4"},
		{name: "relative mount target", src: target + "RUN --mount=type=cache,target=rel echo\n", want: `invalid value "rel" for mount option target`, at: "2:30"},
		{name: "bad sharing", src: target + "RUN --mount=type=cache,target=/c,sharing=all echo\n", want: "expected shared, private or locked", at: "2:41"},
		{name: "bad mode", src: target + "RUN --mount=type=secret,id=x,mode=999 echo\n", want: "expected an octal file mode", at: "2:34"},
		{name: "secret without id", src: target + "RUN --mount=type=secret echo\n", want: "missing id in RUN --mount=type=secret: expected id=<secret id> or target=<path>", at: "2:4"},
		{name: "tmpfs bad size", src: target + "RUN --mount=type=tmpfs,target=/t,size=lots echo\n", want: `invalid size "lots" for RUN --mount=type=tmpfs`, at: "2:38"},
		{name: "mount key twice", src: target + "RUN --mount=type=cache,target=/a,dst=/b echo\n", want: "mount option dst is given twice", at: "2:33", also: "2:23"},
		{name: "mount empty field", src: target + "RUN --mount=type=cache,,target=/a echo\n", want: "empty field in RUN --mount", at: "2:23"},
		{name: "mount key not for type", src: target + "RUN --mount=type=tmpfs,target=/t,id=x echo\n", want: `unknown option "id" for RUN --mount=type=tmpfs`, at: "2:33"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.src, tc.args)
			if err == nil {
				t.Fatalf("expected an error containing %q", tc.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not contain %q", msg, tc.want)
			}
			if first := msg[:1]; first != strings.ToLower(first) {
				t.Errorf("message %q does not start in lower case", msg)
			}
			for _, a := range tc.absent {
				if strings.Contains(msg, a) {
					t.Errorf("message %q leaks %q", msg, a)
				}
			}
			var le *dfparser.LocationError
			if !errors.As(err, &le) || len(le.Locations) == 0 || len(le.Locations[0]) == 0 {
				t.Fatalf("error %q has no location", msg)
			}
			if got := at(le.Locations[0][0]); got != tc.at {
				t.Errorf("location: got %s, want %s (%q)", got, tc.at, msg)
			}
			if tc.also != "" {
				if len(le.Locations) < 2 {
					t.Errorf("missing secondary location %s", tc.also)
				} else if got := at(le.Locations[1][0]); got != tc.also {
					t.Errorf("secondary location: got %s, want %s", got, tc.also)
				}
			}
		})
	}
}

func TestLoadNil(t *testing.T) {
	if _, err := Load(nil, nil); err == nil {
		t.Fatal("expected an error")
	}
	if _, err := Load(&parser.Result{}, nil); err == nil || !strings.Contains(err.Error(), "missing TARGET") {
		t.Fatalf("got %v", err)
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"TRAGET", "TARGET"},
		{"REQUIRES", "REQUIRE"},
		{"platfrom", "PLATFORM"},
		{"RUM", "RUN"},
		{"X", ""},
		{"FROM", ""},
		{"LICENSES", ""},
	}
	for _, tc := range tests {
		if got := suggest(tc.in, instrOrder); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// ARGs that repeat each other grow exponentially; the loader refuses a
// word before the lexer builds it, at the line that would grow too large.
func TestRunawayExpansion(t *testing.T) {
	src := "ARG A0=" + strings.Repeat("x", 64) + "\n"
	for i := 1; i <= 7; i++ {
		src += fmt.Sprintf("ARG A%d=%s\n", i, strings.Repeat(fmt.Sprintf("${A%d}", i-1), 16))
	}
	src += "TARGET aws-lambda python3.12\n"
	_, err := load(t, src, nil)
	if err == nil || !strings.Contains(err.Error(), "could expand to more than 1048576 bytes") {
		t.Fatalf("want a bound on expansion, got %v", err)
	}
	var le *dfparser.LocationError
	if !errors.As(err, &le) || le.Locations[0][0].Start.Line != 5 {
		t.Fatalf("want the error at line 5 (ARG A4, 4 MiB), got %#v", err)
	}
	// A replacement form is bounded too: 1000 characters each replaced by
	// 2000 would be 2 MB.
	src = "ARG A=" + strings.Repeat("x", 1000) + " B=" + strings.Repeat("y", 2000) + "\nARG C=${A//x/$B}\nTARGET aws-lambda python3.12\n"
	if _, err := load(t, src, nil); err == nil || !strings.Contains(err.Error(), "could expand") {
		t.Fatalf("want the replacement bounded, got %v", err)
	}
	// A long word with nothing to expand is the parser's business.
	mustLoad(t, target+"ARG A=x\nTEST print('"+strings.Repeat("y", 2<<20)+"')\n", nil)
	// Ordinary use is untouched.
	mustLoad(t, "ARG A=abc\nARG B=${A//b/BB}$A\nTARGET aws-lambda python3.12\n", nil)
}
