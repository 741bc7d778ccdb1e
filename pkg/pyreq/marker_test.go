package pyreq

import (
	"reflect"
	"strings"
	"testing"
)

func TestEvalMarker(t *testing.T) {
	env := LinuxEnv("3.13", "x86_64")
	tests := []struct {
		marker string
		want   bool
	}{
		{"", true},
		{`sys_platform == "linux"`, true},
		{`sys_platform == 'win32'`, false},
		{`sys_platform != "win32"`, true},
		{`platform_system == "Linux" and os_name == "posix"`, true},
		{`platform_machine == "x86_64"`, true},
		{`platform_machine == "aarch64"`, false},
		{`implementation_name == "cpython" and platform_python_implementation == "CPython"`, true},
		{`python_version >= "3.10"`, true},
		{`python_version < "3.9"`, false},
		{`python_version > "3.9"`, true}, // PEP 440, not string, comparison
		{`python_version == "3.13"`, true},
		{`python_version == "3.*"`, true},
		{`python_version ~= "3.10"`, true},
		{`python_version != "3.13"`, false},
		{`python_full_version >= "3.13.0"`, true},
		{`python_full_version < "3.13.1"`, true},
		{`"3.8" <= python_version`, true}, // variable on the right
		{`implementation_version >= "3.13"`, true},
		{`python_version in "3.12 3.13"`, true},
		{`python_version not in "3.12 3.13"`, false},
		{`"linux" in sys_platform`, true},
		{`sys_platform < "z"`, false},         // strings: < is false
		{`platform_system >= "Linux"`, true},  // strings: >= is ==
		{`platform_system >= "A"`, false},     // strings: >= is ==
		{`platform_release >= "5.10"`, false}, // unknown kernel: ""
		{`extra == "test"`, false},            // extra defaults to ""
		{`sys_platform == "win32" or (python_version >= "3.8" and sys_platform == "linux")`, true},
		{`(sys_platform == "win32" or python_version >= "3.8") and sys_platform == "darwin"`, false},
		{`sys_platform == "win32" or sys_platform == "darwin" or os_name == "posix"`, true},
		{`sys.platform == "linux"`, true}, // legacy dotted name
		{`python_implementation == "CPython"`, true},
		{`"foo" in extras`, false},
		{`"dev" not in dependency_groups`, true},
		{`python_version>='3.8'and sys_platform=='linux'`, true},
	}
	for _, tt := range tests {
		got, err := EvalMarker(tt.marker, env)
		if err != nil {
			t.Errorf("EvalMarker(%q): %v", tt.marker, err)
			continue
		}
		if got != tt.want {
			t.Errorf("EvalMarker(%q) = %v, want %v", tt.marker, got, tt.want)
		}
	}
}

func TestEvalMarkerExtrasAndSets(t *testing.T) {
	env := LinuxEnv("3.12.4", "arm64")
	env["extra"] = "Test_Extra"
	env["extras"] = "Socks,security"
	env["dependency_groups"] = "dev"
	tests := []struct {
		marker string
		want   bool
	}{
		{`extra == "test-extra"`, true}, // extras compare normalized
		{`extra == "test.extra"`, true},
		{`"socks" in extras`, true},
		{`"SECURITY" in extras`, true},
		{`"other" not in extras`, true},
		{`"dev" in dependency_groups`, true},
		{`platform_machine == "aarch64"`, true},
		{`python_full_version == "3.12.4"`, true},
		{`python_version == "3.12"`, true},
	}
	for _, tt := range tests {
		got, err := EvalMarker(tt.marker, env)
		if err != nil || got != tt.want {
			t.Errorf("EvalMarker(%q) = %v, %v; want %v", tt.marker, got, err, tt.want)
		}
	}
}

func TestEvalMarkerErrors(t *testing.T) {
	env := LinuxEnv("3.13", "x86_64")
	tests := []struct{ marker, want string }{
		{`python_version >= `, "unexpected end"},
		{`python_version`, "expected a comparison operator"},
		{`(python_version >= "3"`, "missing ')'"},
		{`python_version >= "3")`, "unexpected"},
		{`python_version >= "3" and`, "unexpected end"},
		{`python_version >= "3`, "unterminated string"},
		{`python_version => "3"`, "bad operator"},
		{`foo == "3"`, "unknown variable"},
		{`"a" < "b" < "c"`, "chained"},
		{`python_version not "3"`, "expected 'in' after 'not'"},
		{`python_version == "3" & os_name == "posix"`, "unexpected character"},
		{`extras == "x"`, "only appear on the right"},
		{`"x" == extras`, "only be compared with 'in'"},
		{`and == "x"`, "expected a variable or quoted string"},
	}
	for _, tt := range tests {
		_, err := EvalMarker(tt.marker, env)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("EvalMarker(%q): err = %v, want containing %q", tt.marker, err, tt.want)
		}
	}
	delete(env, "platform_machine")
	if _, err := EvalMarker(`platform_machine == "x86_64"`, env); err == nil || !strings.Contains(err.Error(), "not defined") {
		t.Errorf("missing variable: err = %v", err)
	}
}

func TestLinuxEnv(t *testing.T) {
	tests := []struct {
		py, machine string
		want        map[string]string
	}{
		{"3.13", "x86_64", map[string]string{"python_version": "3.13", "python_full_version": "3.13.0", "platform_machine": "x86_64"}},
		{"3.13.1", "amd64", map[string]string{"python_version": "3.13", "python_full_version": "3.13.1", "implementation_version": "3.13.1", "platform_machine": "x86_64"}},
		{"3.10", "arm64", map[string]string{"python_version": "3.10", "python_full_version": "3.10.0", "platform_machine": "aarch64"}},
		{"3.12", "aarch64", map[string]string{"platform_machine": "aarch64"}},
	}
	fixed := map[string]string{
		"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
		"implementation_name": "cpython", "platform_python_implementation": "CPython",
	}
	for _, tt := range tests {
		env := LinuxEnv(tt.py, tt.machine)
		for k, v := range tt.want {
			if env[k] != v {
				t.Errorf("LinuxEnv(%q, %q)[%s] = %q, want %q", tt.py, tt.machine, k, env[k], v)
			}
		}
		for k, v := range fixed {
			if env[k] != v {
				t.Errorf("LinuxEnv(%q, %q)[%s] = %q, want %q", tt.py, tt.machine, k, env[k], v)
			}
		}
		for k := range env {
			if _, ok := markerVars[k]; !ok {
				t.Errorf("LinuxEnv sets unknown variable %s", k)
			}
		}
	}
}

func TestParseMarkerKeepsSource(t *testing.T) {
	m, err := ParseMarker(`  os_name == "posix" `)
	if err != nil {
		t.Fatal(err)
	}
	if m.String() != `os_name == "posix"` {
		t.Errorf("String() = %q", m.String())
	}
	ok, err := m.Eval(map[string]string{"os_name": "posix"})
	if !ok || err != nil {
		t.Errorf("Eval = %v, %v", ok, err)
	}
	if !reflect.DeepEqual(markerAliases["os.name"], "os_name") {
		t.Error("alias table")
	}
}
