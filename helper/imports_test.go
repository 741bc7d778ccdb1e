package helper

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/geolayer/geolayer/pkg/report"
)

func TestRecordModule(t *testing.T) {
	for p, want := range map[string]string{
		"glf_pure/__init__.py":                     "glf_pure",
		"glf_cext.cpython-313-x86_64-linux-gnu.so": "glf_cext",
		"six.py": "six",
		"_cffi_backend.cpython-313-aarch64-linux-gnu.so": "_cffi_backend",
		"numpy.libs/libopenblas.so":                      "",
		"glf_pure-1.1.0.dist-info/RECORD":                "",
		"distutils-precedence.pth":                       "",
		"../../bin/tool":                                 "",
		"__pycache__/six.cpython-313.pyc":                "",
		"pkg.data/scripts/x":                             "",
	} {
		if got := recordModule(p); got != want {
			t.Errorf("recordModule(%q) = %q, want %q", p, got, want)
		}
	}
}

func writeFile(t *testing.T, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestModulePackages(t *testing.T) {
	site := t.TempDir()
	writeFile(t, filepath.Join(site, "glf_pure-1.1.0.dist-info/RECORD"), "glf_pure/__init__.py,sha256=x,10\nglf_pure-1.1.0.dist-info/RECORD,,\n")
	writeFile(t, filepath.Join(site, "glf_cext-1.0.0.dist-info/RECORD"), "glf_cext.cpython-313-x86_64-linux-gnu.so,sha256=x,10\n\"glf_cext_data/a,b.txt\",,\n")
	// top_level.txt names a module RECORD does not show (e.g. a .pth'd tree).
	writeFile(t, filepath.Join(site, "Py_Odd.Name-2.0.dist-info/RECORD"), "odd.py,,\n")
	writeFile(t, filepath.Join(site, "Py_Odd.Name-2.0.dist-info/top_level.txt"), "odd\nodd_extra\n")
	got, err := modulePackages(site)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"glf_pure": "glf-pure", "glf_cext": "glf-cext", "glf_cext_data": "glf-cext", "odd": "py-odd-name", "odd_extra": "py-odd-name"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	pkgs := []report.Package{{Name: "glf-pure"}, {Name: "attrs"}}
	for mod, pkg := range map[string]string{"glf_pure.sub": "glf-pure", "odd_extra": "py-odd-name", "attrs": "attrs", "json": "", "email.message": ""} {
		if p := packageOf(mod, got, pkgs); p != pkg {
			t.Errorf("packageOf(%q) = %q, want %q", mod, p, pkg)
		}
	}
}

func TestBuildImports(t *testing.T) {
	tests := map[int]*TestImports{
		2: {Python: "3.13.1", Mount: "/opt", ImportTime: "import time: self [us] | cumulative | imported package\n" +
			"import time:        10 |         10 |   _x\n" +
			"import time:       100 |        110 | glf_cext\n" +
			"import time:        50 |         50 | json\n" +
			"import time:        20 |         20 | glf_cext.sub\n",
			Events: []ImportEvent{
				{Module: "glf_cext", Files: map[string]int64{"/opt/python/glf_cext.so": 1000, "/opt/lib/libx.so": 24}},
				{Module: "json", Files: map[string]int64{}},
			}},
		1: {Python: "3.13.1", Mount: "/opt", ImportTime: "import time:         5 |          5 | glf_pure\n"},
	}
	im, err := buildImports(tests, map[string]string{"glf_cext": "glf-cext", "glf_pure": "glf-pure"}, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	want := &report.Imports{Emulated: true, Python: "3.13.1", MountPoint: "/opt", Modules: []report.ImportedModule{
		{Test: 1, Module: "glf_pure", Package: "glf-pure", SelfMicros: 5, CumulativeMicros: 5},
		{Test: 2, Module: "glf_cext", Package: "glf-cext", SelfMicros: 100, CumulativeMicros: 110, Mapped: &report.Size{Files: 2, Bytes: 1024}},
		{Test: 2, Module: "json", SelfMicros: 50, CumulativeMicros: 50, Mapped: &report.Size{}},
		{Test: 2, Module: "glf_cext.sub", Package: "glf-cext", SelfMicros: 20, CumulativeMicros: 20},
	}}
	if !reflect.DeepEqual(im, want) {
		t.Errorf("got %+v\nwant %+v", im, want)
	}
}
