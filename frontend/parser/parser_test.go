package parser

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	dfparser "github.com/moby/buildkit/frontend/dockerfile/parser"
)

func mustParse(t *testing.T, src string) *Result {
	t.Helper()
	res, err := Parse(strings.NewReader(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return res
}

func rawArgs(ws []Word) []string {
	out := []string{}
	for _, w := range ws {
		out = append(out, w.Raw)
	}
	return out
}

func flagStrings(fs []Flag) []string {
	out := []string{}
	for _, f := range fs {
		if f.HasValue {
			out = append(out, f.Name+"="+f.Value)
		} else {
			out = append(out, f.Name)
		}
	}
	return out
}

// pos formats a position as line:column (column 0-based).
func pos(p Position) string { return fmt.Sprintf("%d:%d", p.Line, p.Character) }

func rng(r Range) string { return pos(r.Start) + "-" + pos(r.End) }

func TestParseNodes(t *testing.T) {
	type node struct {
		name     string
		flags    []string
		args     []string
		original string
		lines    [2]int
	}
	tests := []struct {
		name  string
		src   string
		nodes []node
	}{
		{
			name: "case-insensitive keywords",
			src:  "target aws-lambda python3.12\nRequire numpy\n",
			nodes: []node{
				{name: "TARGET", flags: []string{}, args: []string{"aws-lambda", "python3.12"}, original: "target aws-lambda python3.12", lines: [2]int{1, 1}},
				{name: "REQUIRE", flags: []string{}, args: []string{"numpy"}, original: "Require numpy", lines: [2]int{2, 2}},
			},
		},
		{
			name: "continuation",
			src:  "REQUIRE numpy \\\n  shapely \\\n  pyproj\nKEEP x\n",
			nodes: []node{
				{name: "REQUIRE", flags: []string{}, args: []string{"numpy", "shapely", "pyproj"}, original: "REQUIRE numpy   shapely   pyproj", lines: [2]int{1, 3}},
				{name: "KEEP", flags: []string{}, args: []string{"x"}, original: "KEEP x", lines: [2]int{4, 4}},
			},
		},
		{
			name: "comments and empty lines inside continuation",
			src:  "REQUIRE numpy \\\n# a comment\n  # indented comment\n\n  shapely\n",
			nodes: []node{
				{name: "REQUIRE", flags: []string{}, args: []string{"numpy", "shapely"}, original: "REQUIRE numpy   shapely", lines: [2]int{1, 5}},
			},
		},
		{
			name: "continuation with trailing blanks after the escape",
			src:  "KEEP a \\  \t\n b\n",
			nodes: []node{
				{name: "KEEP", flags: []string{}, args: []string{"a", "b"}, original: "KEEP a  b", lines: [2]int{1, 2}},
			},
		},
		{
			name: "continuation at end of file",
			src:  "KEEP a \\",
			nodes: []node{
				{name: "KEEP", flags: []string{}, args: []string{"a"}, original: "KEEP a", lines: [2]int{1, 1}},
			},
		},
		{
			name: "hash inside a line is not a comment",
			src:  "INDEX https://example.com/simple#frag --extra\n",
			nodes: []node{
				{name: "INDEX", flags: []string{"extra"}, args: []string{"https://example.com/simple#frag"}, original: "INDEX https://example.com/simple#frag --extra", lines: [2]int{1, 1}},
			},
		},
		{
			name: "quoting keeps words together",
			src:  `REQUIRE "shapely>=2; python_version >= '3.10'" 'a b' c\ d ${X:-a b} "x"y` + "\n",
			nodes: []node{
				{name: "REQUIRE", flags: []string{}, args: []string{`"shapely>=2; python_version >= '3.10'"`, `'a b'`, `c\ d`, `${X:-a b}`, `"x"y`}, lines: [2]int{1, 1},
					original: `REQUIRE "shapely>=2; python_version >= '3.10'" 'a b' c\ d ${X:-a b} "x"y`},
			},
		},
		{
			name: "flags anywhere for ordinary instructions",
			src:  "TARGET --layout=lambda aws-lambda python3.12 --glibc=2.34\nINDEX https://x/simple --extra --secret=tok\n",
			nodes: []node{
				{name: "TARGET", flags: []string{"layout=lambda", "glibc=2.34"}, args: []string{"aws-lambda", "python3.12"}, original: "TARGET --layout=lambda aws-lambda python3.12 --glibc=2.34", lines: [2]int{1, 1}},
				{name: "INDEX", flags: []string{"extra", "secret=tok"}, args: []string{"https://x/simple"}, original: "INDEX https://x/simple --extra --secret=tok", lines: [2]int{2, 2}},
			},
		},
		{
			name: "flags only before the body for RUN and TEST",
			src:  "RUN --mount=type=cache,target=/c pip install --no-deps x\nTEST --required import sys; sys.argv += ['--x']\n",
			nodes: []node{
				{name: "RUN", flags: []string{"mount=type=cache,target=/c"}, args: []string{"pip", "install", "--no-deps", "x"}, original: "RUN --mount=type=cache,target=/c pip install --no-deps x", lines: [2]int{1, 1}},
				{name: "TEST", flags: []string{"required"}, args: []string{"import", "sys;", "sys.argv", "+=", "['--x']"}, original: "TEST --required import sys; sys.argv += ['--x']", lines: [2]int{2, 2}},
			},
		},
		{
			name: "double dash ends flags",
			src:  "PRUNE --no-defaults -- --weird\n",
			nodes: []node{
				{name: "PRUNE", flags: []string{"no-defaults"}, args: []string{"--weird"}, original: "PRUNE --no-defaults -- --weird", lines: [2]int{1, 1}},
			},
		},
		{
			name: "quoted flag-like word is an argument",
			src:  `KEEP "--x"` + "\n",
			nodes: []node{
				{name: "KEEP", flags: []string{}, args: []string{`"--x"`}, original: `KEEP "--x"`, lines: [2]int{1, 1}},
			},
		},
		{
			name: "CRLF line endings and BOM",
			src:  "\xEF\xBB\xBFKEEP a \\\r\n b\r\nSTRIP\r\n",
			nodes: []node{
				{name: "KEEP", flags: []string{}, args: []string{"a", "b"}, original: "KEEP a  b", lines: [2]int{1, 2}},
				{name: "STRIP", flags: []string{}, args: []string{}, original: "STRIP", lines: [2]int{3, 3}},
			},
		},
		{
			name: "unterminated quote is tolerated",
			src:  "TEST print(\"it's\")  # don't\n",
			nodes: []node{
				{name: "TEST", flags: []string{}, args: []string{`print("it's")`, "#", "don't"}, original: `TEST print("it's")  # don't`, lines: [2]int{1, 1}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := mustParse(t, tc.src)
			if len(res.Nodes) != len(tc.nodes) {
				t.Fatalf("got %d nodes, want %d", len(res.Nodes), len(tc.nodes))
			}
			for i, want := range tc.nodes {
				n := res.Nodes[i]
				got := node{name: n.Name, flags: flagStrings(n.Flags), args: rawArgs(n.Args), original: n.Original, lines: [2]int{n.StartLine, n.EndLine}}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("node %d:\n got %#v\nwant %#v", i, got, want)
				}
			}
		})
	}
}

func TestParseRanges(t *testing.T) {
	src := "# comment\n" + // 1
		"  TARGET aws-lambda \\\n" + // 2
		"     python3.12 --layout=lambda\n" + // 3
		"REQUIRE \"é x\" y\n" + // 4
		"KEEP a\"b \\\n" + // 5
		"c\" z\n" // 6
	res := mustParse(t, src)
	if len(res.Nodes) != 3 {
		t.Fatalf("got %d nodes", len(res.Nodes))
	}
	target := res.Nodes[0]
	checks := []struct {
		what string
		got  Range
		want string
	}{
		{"TARGET location", target.Location[0], "2:2-3:31"},
		{"TARGET keyword", target.Keyword.Range, "2:2-2:8"},
		{"profile", target.Args[0].Range, "2:9-2:19"},
		{"runtime", target.Args[1].Range, "3:5-3:15"},
		{"flag", target.Flags[0].Range, "3:16-3:31"},
		{"flag value", target.Flags[0].ValueWord().Range, "3:25-3:31"},
		{"rest", target.Rest.Range, "2:9-3:31"},
		{"quoted multibyte word", res.Nodes[1].Args[0].Range, "4:8-4:13"},
		{"word after multibyte", res.Nodes[1].Args[1].Range, "4:14-4:15"},
		{"word across lines", res.Nodes[2].Args[0].Range, "5:5-6:2"},
		{"word after continuation", res.Nodes[2].Args[1].Range, "6:3-6:4"},
		{"sub-word on second line", res.Nodes[2].Args[0].RangeOf(4, 5), "6:0-6:1"},
	}
	for _, c := range checks {
		if got := rng(c.got); got != c.want {
			t.Errorf("%s: got %s, want %s", c.what, got, c.want)
		}
	}
	if got := target.Comments; !reflect.DeepEqual(got, []string{"comment"}) {
		t.Errorf("comments: %q", got)
	}
	// Lines splits Rest at physical lines.
	var lines []string
	for _, l := range target.Rest.Lines() {
		lines = append(lines, l.Raw+"@"+pos(l.Range.Start))
	}
	want := []string{"aws-lambda @2:9", "     python3.12 --layout=lambda@3:0"}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("Lines: got %q, want %q", lines, want)
	}
	// no args: Rest is empty at the end of the line
	res = mustParse(t, "STRIP   \n")
	if r := res.Nodes[0].Rest; r.Raw != "" || rng(r.Range) != "1:5-1:5" {
		t.Errorf("empty rest: %q %s", r.Raw, rng(r.Range))
	}
}

func TestParseComments(t *testing.T) {
	src := "# syntax=geolayer\n" +
		"# header\n" +
		"\n" +
		"# Python version\n" +
		"# used for the runtime\n" +
		"ARG PYVER=3.12\n" +
		"#\n" +
		"ARG X\n" +
		"ARG Y\n"
	res := mustParse(t, src)
	want := [][]string{{"Python version", "used for the runtime"}, nil, nil}
	for i, n := range res.Nodes {
		if !reflect.DeepEqual(n.Comments, want[i]) {
			t.Errorf("node %d comments: got %q, want %q", i, n.Comments, want[i])
		}
	}
}

func TestParseDirectives(t *testing.T) {
	tests := []struct {
		name       string
		src        string
		directives map[string]string
		escape     rune
		args       []string // args of the first node
		errLine    int
		errMsg     string
	}{
		{
			name:       "syntax and check kept",
			src:        "# syntax=ghcr.io/geolayer/geolayer:1\n# check=skip=all\nKEEP a\n",
			directives: map[string]string{"syntax": "ghcr.io/geolayer/geolayer:1", "check": "skip=all"},
			escape:     '\\',
			args:       []string{"a"},
		},
		{
			name:       "escape backtick",
			src:        "# escape=`\nKEEP C:\\a `\n  b\n",
			directives: map[string]string{"escape": "`"},
			escape:     '`',
			args:       []string{`C:\a`, "b"},
		},
		{
			name:       "backslash is literal with backtick escape",
			src:        "# escape=`\nKEEP a \\\nKEEP b\n",
			directives: map[string]string{"escape": "`"},
			escape:     '`',
			args:       []string{"a", `\`},
		},
		{
			name:       "directive after an instruction is a comment",
			src:        "KEEP a\n# escape=`\nKEEP b \\\n c\n",
			directives: map[string]string{},
			escape:     '\\',
			args:       []string{"a"},
		},
		{
			name:       "directive after a blank line is a comment",
			src:        "\n# escape=`\nKEEP a\n",
			directives: map[string]string{},
			escape:     '\\',
			args:       []string{"a"},
		},
		{
			name:    "invalid escape",
			src:     "# syntax=x\n# escape=%\nKEEP a\n",
			errLine: 2,
			errMsg:  "invalid escape directive value",
		},
		{
			name:    "duplicate directive",
			src:     "# escape=`\n# escape=\\\nKEEP a\n",
			errLine: 2,
			errMsg:  "only one escape parser directive",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Parse(strings.NewReader(tc.src))
			if tc.errMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errMsg) {
					t.Fatalf("got error %v, want %q", err, tc.errMsg)
				}
				var le *dfparser.LocationError
				if !errors.As(err, &le) || le.Locations[0][0].Start.Line != tc.errLine {
					t.Fatalf("error location: %+v, want line %d", le, tc.errLine)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for k, d := range res.Directives {
				got[k] = d.Value
			}
			if !reflect.DeepEqual(got, tc.directives) {
				t.Errorf("directives: got %v, want %v", got, tc.directives)
			}
			if res.EscapeToken != tc.escape {
				t.Errorf("escape: got %q, want %q", res.EscapeToken, tc.escape)
			}
			if a := rawArgs(res.Nodes[0].Args); !reflect.DeepEqual(a, tc.args) {
				t.Errorf("args: got %q, want %q", a, tc.args)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, src := range []string{"", "\n\n", "# only a comment\n", "# syntax=x\n"} {
		res := mustParse(t, src)
		if len(res.Nodes) != 0 {
			t.Errorf("%q: got %d nodes", src, len(res.Nodes))
		}
	}
}
