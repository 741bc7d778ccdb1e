package llbgen

import (
	"archive/zip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// WheelCheck, run with this machine's CPython as BUILD runs it with the
// target's: a wheel for that CPython passes; other tags or extension
// suffixes are refused, naming them.
func TestWheelCheckRefusesWheelsForAnotherInterpreter(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed to run the wheel check")
	}
	info, err := exec.Command(py, "-c", `import platform, sys, sysconfig; print("cp%d%d" % sys.version_info[:2], sysconfig.get_config_var("EXT_SUFFIX"), platform.machine())`).Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(info))
	cp, ext, machine := f[0], f[1], f[2]
	other := ".cpython-39-" + machine + "-linux-gnu.so"
	if cp == "cp39" {
		other = ".cpython-313-" + machine + "-linux-gnu.so"
	}
	dir := t.TempDir()
	mk := func(name, tag string, files ...string) string {
		p := filepath.Join(dir, name)
		fh, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		z := zip.NewWriter(fh)
		for _, n := range append(files, "pkg-1.0.dist-info/WHEEL") {
			w, _ := z.Create(n)
			if strings.HasSuffix(n, "WHEEL") {
				_, _ = w.Write([]byte("Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: " + tag + "\n"))
			}
		}
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		if err := fh.Close(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name, wheel, want string
	}{
		{"good", mk("good.whl", cp+"-"+cp+"-linux_"+machine, "pkg/_c"+ext, "pkg/_s.abi3.so", "pkg/libfoo.so.1", "pkg/__init__.py"), ""},
		{"pure", mk("pure.whl", "py3-none-any", "pkg/__init__.py"), ""},
		{"suffix", mk("suffix.whl", cp+"-"+cp+"-linux_"+machine, "pkg/_c"+other), "is an extension module for " + other},
		{"abi", mk("abi.whl", "cp39-cp39-linux_"+machine, "pkg/__init__.py"), "tag cp39-cp39-linux_" + machine + " does not install"},
		{"machine", mk("machine.whl", cp+"-"+cp+"-linux_s390x", "pkg/__init__.py"), "does not install"},
	}
	if cp == "cp39" {
		cases[3] = struct{ name, wheel, want string }{"abi", mk("abi.whl", "cp313-cp313-linux_"+machine, "pkg/__init__.py"), "does not install"}
	}
	for _, c := range cases {
		out, err := exec.Command(py, "-I", "-c", WheelCheck, c.wheel, "pkg").CombinedOutput()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: refused: %s", c.name, out)
		case c.want != "" && err == nil:
			t.Errorf("%s: accepted: %s", c.name, out)
		case c.want != "" && !strings.Contains(string(out), c.want):
			t.Errorf("%s: message %q does not say %q", c.name, out, c.want)
		}
	}
}
