package pyreq

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseRequirement(t *testing.T) {
	tests := []struct {
		in   string
		want Requirement
	}{
		{"requests", Requirement{Name: "requests"}},
		{"Foo_Bar.baz>=1.0", Requirement{Name: "foo-bar-baz", Specifier: ">=1.0"}},
		{"numpy == 2.1.0", Requirement{Name: "numpy", Specifier: "==2.1.0"}},
		{"requests[Socks, security] >= 2.8.1, == 2.8.*", Requirement{Name: "requests", Extras: []string{"socks", "security"}, Specifier: ">=2.8.1,==2.8.*"}},
		{"name[]", Requirement{Name: "name"}},
		{"name (>=1.0, <2)", Requirement{Name: "name", Specifier: ">=1.0,<2"}},
		{`numpy==2.1.0; python_version >= "3.10"`, Requirement{Name: "numpy", Specifier: "==2.1.0", Marker: `python_version >= "3.10"`}},
		{`numpy ;python_version<'3.13'`, Requirement{Name: "numpy", Marker: `python_version<'3.13'`}},
		{"pip @ https://example.com/pip-24.0-py3-none-any.whl", Requirement{Name: "pip", URL: "https://example.com/pip-24.0-py3-none-any.whl"}},
		{`pip[x]@ file:///tmp/pip.whl ; sys_platform == "linux"`, Requirement{Name: "pip", Extras: []string{"x"}, URL: "file:///tmp/pip.whl", Marker: `sys_platform == "linux"`}},
	}
	for _, tt := range tests {
		got, err := ParseRequirement(tt.in)
		if err != nil {
			t.Errorf("ParseRequirement(%q): %v", tt.in, err)
			continue
		}
		tt.want.Raw = strings.TrimSpace(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseRequirement(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseRequirementErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "expected a project name"},
		{">=1.0", "expected a project name"},
		{"-foo", "invalid project name"},
		{"foo-", "invalid project name"},
		{"foo[bar", "unterminated extras"},
		{"foo[b@r]", "invalid extra"},
		{"foo 1.0", "missing comparison operator"},
		{"foo>=1.0,,", "empty version specifier clause"},
		{"foo (>=1.0", "unbalanced parentheses"},
		{"foo==1.0;", "empty marker"},
		{`foo==1.0; python_version >> "3"`, "invalid marker"},
		{`foo==1.0; bogus == "x"`, "unknown variable"},
		{"foo @", "expected a URL"},
		{"foo @ https://x/y.whl;python_version<'3'", "whitespace before ';'"},
		{"foo @ https://x/y.whl extra", "unexpected"},
		{"foo @ notaurl", "is not a URL"},
	}
	for _, tt := range tests {
		_, err := ParseRequirement(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseRequirement(%q): err = %v, want containing %q", tt.in, err, tt.want)
		}
	}
}

func TestPinned(t *testing.T) {
	tests := []struct {
		spec    string
		version string
		ok      bool
	}{
		{"==1.0", "1.0", true},
		{"===1.0", "1.0", true},
		{"==1.0+local", "1.0+local", true},
		{"==1.*", "", false},
		{">=1.0", "", false},
		{"==1.0,!=1.1", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		v, ok := Requirement{Name: "x", Specifier: tt.spec}.Pinned()
		if v != tt.version || ok != tt.ok {
			t.Errorf("Pinned(%q) = %q, %v; want %q, %v", tt.spec, v, ok, tt.version, tt.ok)
		}
	}
}

func TestRequirementString(t *testing.T) {
	for in, want := range map[string]string{
		"Foo[B] (>=1, <2) ; python_version<'3.13'": "foo[b]>=1,<2; python_version<'3.13'",
		"foo @ https://x/f.whl ; os_name=='posix'": "foo @ https://x/f.whl ; os_name=='posix'",
		"foo": "foo",
	} {
		r, err := ParseRequirement(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.String(); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
		if _, err := ParseRequirement(r.String()); err != nil {
			t.Errorf("String(%q) does not parse back: %v", in, err)
		}
	}
}

func FuzzParseRequirement(f *testing.F) {
	for _, s := range []string{"a", "a[b]>=1; os_name == 'posix'", "a @ https://x/y.whl ; extra == 'x'", "a (==1.*)", "a[", "a;"} {
		f.Add(s)
	}
	env := LinuxEnv("3.13", "x86_64")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRequirement(s)
		if err != nil {
			return
		}
		if _, err := ParseRequirement(r.String()); err != nil {
			t.Errorf("%q -> %q does not parse: %v", s, r.String(), err)
		}
		_, _ = EvalMarker(r.Marker, env)
		_, _ = r.Pinned()
	})
}
