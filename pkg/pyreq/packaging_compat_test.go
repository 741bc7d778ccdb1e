package pyreq

import (
	"reflect"
	"strings"
	"testing"
)

// Cases where geolayer disagreed with Python's packaging, found by the
// differential test (test/conformance, docs/conformance.md).

func TestMarkerStringOperatorsLikePackaging(t *testing.T) {
	env := LinuxEnv("3.12", "x86_64")
	env["platform_release"] = "5.10.0"
	env["platform_version"] = "13"
	tests := []struct {
		marker string
		want   bool
	}{
		// Ordered comparisons on strings follow the specification as
		// amended in January 2026 (packaging 26.0): < and > false, <= and
		// >= are ==.
		{`"aarch64" < platform_machine`, false},
		{`platform_machine <= "x86_64"`, true},
		// platform_release and platform_version are Version | String:
		// versions when both sides are.
		{`platform_release >= "5.4"`, true},
		{`platform_release < "5.10.1"`, true},
		{`platform_release == "5.10"`, true},
		{`platform_version > "9"`, true},
		{`platform_release in "5.10.0-18"`, true},
		// Python string escapes in literals, as ast.literal_eval reads them.
		{`os_name == "posi\x78"`, true},
		{`platform_machine == 'x86\u005f64'`, true},
		{`os_name == "po\six"`, false}, // unknown escape: the backslash stays
		{`"\\" in os_name`, false},
	}
	for _, tt := range tests {
		got, err := EvalMarker(tt.marker, env)
		if err != nil || got != tt.want {
			t.Errorf("EvalMarker(%q) = %v, %v; want %v", tt.marker, got, err, tt.want)
		}
	}
	env["platform_release"] = "6.1.0-18-amd64" // not a version: strings
	for marker, want := range map[string]bool{
		`platform_release >= "5.10"`:           false,
		`platform_release != "5.10"`:           true,
		`platform_release == "6.1.0-18-amd64"`: true,
	} {
		if got, err := EvalMarker(marker, env); err != nil || got != want {
			t.Errorf("EvalMarker(%q) with platform_release %q = %v, %v; want %v", marker, env["platform_release"], got, err, want)
		}
	}
}

func TestMarkerErrorsLikePackaging(t *testing.T) {
	env := LinuxEnv("3.12", "x86_64")
	tests := []struct{ marker, want string }{
		// ~= and === have no meaning on strings: packaging raises.
		{`platform_machine ~= "x86"`, "undefined for strings"},
		{`os_name === "posix"`, "undefined for strings"},
		{`extra ~= "test"`, "undefined for strings"},
		{`python_version ~= "3"`, "undefined for strings"}, // not a specifier: strings
		// One variable and one literal.
		{`"a" == "a"`, "two literals"},
		{`os_name == sys_platform`, "two marker variables"},
		// Bad escapes, line breaks.
		{`os_name == "\x4g"`, "invalid \\x escape"},
		{`os_name == 'a\'`, "unterminated"},
		{"os_name == 'a\nb'", "line breaks"},
		{`os_name == "\N{DASH}"`, `\N{...}`},
	}
	for _, tt := range tests {
		_, err := EvalMarker(tt.marker, env)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("EvalMarker(%q): err = %v, want containing %q", tt.marker, err, tt.want)
		}
	}
	// === on a version field is arbitrary equality, versions or not.
	env["python_full_version"] = "3.12.0+"
	for marker, want := range map[string]bool{
		`python_version === "3.12"`:           true,
		`python_full_version === "3.12.0+"`:   true,
		`python_full_version === "3.12.0"`:    false,
		`"3.*" === python_version`:            false,
		`implementation_version === "3.12.0"`: true,
	} {
		if got, err := EvalMarker(marker, env); err != nil || got != want {
			t.Errorf("EvalMarker(%q) = %v, %v; want %v", marker, got, err, want)
		}
	}
}

func TestParseRequirementLikePackaging(t *testing.T) {
	tests := []struct {
		in       string
		spec     string
		url      string
		wantFail string
	}{
		// One trailing comma is allowed, bare or in parentheses.
		{in: "foo>=1.0,", spec: ">=1.0"},
		{in: "foo (>=1.0 , <2 ,)", spec: ">=1.0,<2"},
		{in: "foo<=0DEV_0, ; os_name == 'posix'", spec: "<=0DEV_0"},
		// The text after === runs to the next white space, commas included.
		{in: "foo===1.0,>=2", spec: "===1.0,>=2"},
		{in: "foo===1.0 , >=2", spec: "===1.0,>=2"},
		{in: "foo===1.0, ===1.0.0", wantFail: "arbitrary version after ==="},
		{in: "foo===0.2.dev2, ==0.2", wantFail: "arbitrary version after ==="},
		// A ';' in a URL is fine unless a marker follows it.
		{in: "foo @ https://example.org/p?x=1;y=2", url: "https://example.org/p?x=1;y=2"},
		{in: "foo @ https://x/y.whl;python_version<'3'", wantFail: "whitespace before ';'"},
	}
	for _, tt := range tests {
		r, err := ParseRequirement(tt.in)
		if tt.wantFail != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantFail) {
				t.Errorf("ParseRequirement(%q): err = %v, want containing %q", tt.in, err, tt.wantFail)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRequirement(%q): %v", tt.in, err)
			continue
		}
		if got := []string{r.Specifier, r.URL}; !reflect.DeepEqual(got, []string{tt.spec, tt.url}) {
			t.Errorf("ParseRequirement(%q): specifier, url = %q, want %q", tt.in, got, []string{tt.spec, tt.url})
		}
	}
}
