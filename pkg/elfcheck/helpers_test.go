package elfcheck

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// scratch holds artifacts shared by all tests (compiled fixtures,
// extracted root file systems); TestMain removes it.
var scratch string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "elfcheck-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scratch = d
	code := m.Run()
	_ = os.RemoveAll(d)
	os.Exit(code)
}

func mustTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required by this test and was not found in PATH: %v", name, err)
	}
	return p
}

// sh runs a command and fails the test with its output on error.
func sh(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// compile writes src to dir/name.c (or .cc) and runs the compiler with args
// followed by the source, producing dir/name. Arguments starting with -l
// go after the source so that --as-needed keeps them.
func compile(t testing.TB, compiler, dir, name, src string, args ...string) string {
	t.Helper()
	mustTool(t, compiler)
	ext := ".c"
	if compiler == "g++" {
		ext = ".cc"
	}
	in := filepath.Join(dir, name+ext)
	if err := os.WriteFile(in, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name)
	var opts, libs []string
	for _, a := range args {
		if strings.HasPrefix(a, "-l") {
			libs = append(libs, a)
		} else {
			opts = append(opts, a)
		}
	}
	sh(t, compiler, slices.Concat(opts, []string{"-o", out, in}, libs)...)
	return out
}

// fixtures are the compiled test objects (x86-64, host gcc).
type fixtures struct {
	dir string
	// libprov.so.1 defining PROV_1.0 (prov_one) and PROV_2.0 (prov_two).
	provNew string
	// libprov.so.1 defining only PROV_1.0: an older build.
	provOld string
	// Extension modules calling prov_one and prov_two, linked against
	// provNew with -rpath $ORIGIN/../foo.libs as DT_RPATH / DT_RUNPATH.
	extRPath, extRunPath string
	// A library without rpath needing libprov.so.1 (PROV_2.0).
	user string
	// A library needing libgone.so.1, which is shipped nowhere.
	needsGone string
	// libmid.so.1, needing libprov.so.1; and a library needing libmid.so.1.
	mid, needsMid string
	// user linked with -z nodefaultlib.
	nodeflib string
	// An executable calling printf and getrandom (GLIBC_2.25).
	tool string
	// A relocatable object and a static archive.
	obj, archive string
}

var (
	fixOnce sync.Once
	fix     *fixtures
	fixErr  string
)

// getFixtures compiles the fixtures once per test binary.
func getFixtures(t testing.TB) *fixtures {
	t.Helper()
	fixOnce.Do(func() {
		ft := &onceT{}
		func() {
			defer func() {
				if r := recover(); r != nil && r != errOnceFailed {
					panic(r)
				}
			}()
			fix = buildFixtures(ft, filepath.Join(scratch, "fixtures"))
		}()
		fixErr = ft.msg
	})
	if fixErr != "" {
		t.Fatal(fixErr)
	}
	return fix
}

// onceT lets the fixture builder report failures outside any one test.
type onceT struct {
	testing.TB
	msg string
}

var errOnceFailed = errors.New("fixture build failed")

func (o *onceT) Helper() {}
func (o *onceT) Fatal(args ...any) {
	o.msg = fmt.Sprint(args...)
	panic(errOnceFailed)
}
func (o *onceT) Fatalf(format string, args ...any) {
	o.msg = fmt.Sprintf(format, args...)
	panic(errOnceFailed)
}

func buildFixtures(t testing.TB, dir string) *fixtures {
	f := &fixtures{dir: dir}
	for _, d := range []string{"new", "old", "gone", "mid"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	newMap := write("prov-new.map", "PROV_1.0 { global: prov_one; local: *; };\nPROV_2.0 { global: prov_two; } PROV_1.0;\n")
	oldMap := write("prov-old.map", "PROV_1.0 { global: prov_one; local: *; };\n")
	shared := []string{"-shared", "-fPIC", "-O1"}
	f.provNew = compile(t, "gcc", filepath.Join(dir, "new"), "libprov.so.1",
		"int prov_one(void) { return 1; }\nint prov_two(void) { return 2; }\n",
		append(shared, "-Wl,-soname,libprov.so.1", "-Wl,--version-script,"+newMap)...)
	f.provOld = compile(t, "gcc", filepath.Join(dir, "old"), "libprov.so.1",
		"int prov_one(void) { return 1; }\n",
		append(shared, "-Wl,-soname,libprov.so.1", "-Wl,--version-script,"+oldMap)...)
	// The link-time name (libprov.so) for -lprov.
	if err := os.Symlink("libprov.so.1", filepath.Join(dir, "new", "libprov.so")); err != nil {
		t.Fatal(err)
	}
	useProv := "int prov_one(void); int prov_two(void);\nint use(void) { return prov_one() + prov_two(); }\n"
	linkNew := []string{"-L" + filepath.Join(dir, "new"), "-Wl,--no-as-needed", "-lprov"}
	f.extRPath = compile(t, "gcc", dir, "_ext_rpath.so", useProv,
		slices.Concat(shared, []string{"-Wl,--disable-new-dtags,-rpath,$ORIGIN/../foo.libs"}, linkNew)...)
	f.extRunPath = compile(t, "gcc", dir, "_ext_runpath.so", useProv,
		slices.Concat(shared, []string{"-Wl,--enable-new-dtags,-rpath,$ORIGIN/../foo.libs"}, linkNew)...)
	f.user = compile(t, "gcc", dir, "libuser.so.1", useProv,
		slices.Concat(shared, []string{"-Wl,-soname,libuser.so.1"}, linkNew)...)
	f.nodeflib = compile(t, "gcc", dir, "libnodeflib.so.1", useProv,
		slices.Concat(shared, []string{"-Wl,-z,nodefaultlib"}, linkNew)...)

	compile(t, "gcc", filepath.Join(dir, "gone"), "libgone.so.1", "int gone(void) { return 0; }\n",
		append(shared, "-Wl,-soname,libgone.so.1")...)
	if err := os.Symlink("libgone.so.1", filepath.Join(dir, "gone", "libgone.so")); err != nil {
		t.Fatal(err)
	}
	f.needsGone = compile(t, "gcc", dir, "libneedsgone.so", "int gone(void);\nint g(void) { return gone(); }\n",
		append(shared, "-L"+filepath.Join(dir, "gone"), "-Wl,--no-as-needed", "-lgone")...)

	f.mid = compile(t, "gcc", filepath.Join(dir, "mid"), "libmid.so.1",
		"int prov_two(void);\nint mid(void) { return prov_two(); }\n",
		slices.Concat(shared, []string{"-Wl,-soname,libmid.so.1"}, linkNew)...)
	if err := os.Symlink("libmid.so.1", filepath.Join(dir, "mid", "libmid.so")); err != nil {
		t.Fatal(err)
	}
	f.needsMid = compile(t, "gcc", dir, "libneedsmid.so", "int mid(void);\nint m(void) { return mid(); }\n",
		append(shared, "-L"+filepath.Join(dir, "mid"), "-Wl,--no-as-needed", "-lmid")...)

	f.tool = compile(t, "gcc", dir, "tool", `#include <stdio.h>
#include <sys/random.h>
int main(void) { char b[4]; printf("%d\n", (int)getrandom(b, sizeof b, 0)); return 0; }
`, "-O1")
	f.obj = filepath.Join(dir, "obj.o")
	sh(t, "gcc", "-c", "-o", f.obj, filepath.Join(dir, "libuser.so.1.c"))
	f.archive = filepath.Join(dir, "libuser.a")
	sh(t, mustTool(t, "ar"), "rcs", f.archive, f.obj)
	return f
}

// layout builds a directory tree: keys are slash paths; values are
// "file:<host path>" (copied), "link:<target>" (symbolic link), "data:<text>"
// or "dir:".
func layout(t *testing.T, root string, entries map[string]string) string {
	t.Helper()
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := filepath.Join(root, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		kind, arg, _ := strings.Cut(entries[k], ":")
		var err error
		switch kind {
		case "file":
			err = copyFile(arg, p)
		case "link":
			err = os.Symlink(arg, p)
		case "data":
			err = os.WriteFile(p, []byte(arg), 0o644)
		case "dir":
			err = os.MkdirAll(p, 0o755)
		default:
			t.Fatalf("bad layout entry %s=%s", k, entries[k])
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o755)
}

// patchMachine writes a copy of an ELF file with e_machine replaced.
func patchMachine(t *testing.T, from, to string, m elf.Machine) string {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint16(b[18:], uint16(m))
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return to
}

// lambdaPath is the Lambda LD_LIBRARY_PATH.
var lambdaPath = []string{"/lib64", "/usr/lib64", "/var/runtime", "/var/runtime/lib", "/var/task", "/var/task/lib", "/opt/lib"}

// check runs Check and fails the test on error.
func check(t *testing.T, cfg Config) *Result {
	t.Helper()
	r, err := Check(cfg)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if testing.Verbose() {
		var b strings.Builder
		if err := r.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s", b.String())
	}
	return r
}

// findings returns the findings of one kind for a file ("" = any file).
func findings(r *Result, kind Kind, file string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Kind == kind && (file == "" || f.File == file) {
			out = append(out, f)
		}
	}
	return out
}

// one expects exactly one finding of kind for file and returns it.
func one(t *testing.T, r *Result, kind Kind, file string) Finding {
	t.Helper()
	fs := findings(r, kind, file)
	if len(fs) != 1 {
		t.Fatalf("want one %s finding for %s, got %d: %+v\nall: %+v", kind, file, len(fs), fs, r.Findings)
	}
	return fs[0]
}

func noErrors(t *testing.T, r *Result) {
	t.Helper()
	if e := r.Errors(); len(e) > 0 {
		t.Fatalf("unexpected errors: %+v", e)
	}
}

func noFindings(t *testing.T, r *Result) {
	t.Helper()
	if len(r.Findings) > 0 {
		t.Fatalf("unexpected findings: %+v", r.Findings)
	}
}

func fileOf(t *testing.T, r *Result, p string) File {
	t.Helper()
	for _, f := range r.Files {
		if f.Path == p {
			return f
		}
	}
	t.Fatalf("%s not in Files: %+v", p, r.Files)
	return File{}
}

func need(t *testing.T, f File, soname string) Resolution {
	t.Helper()
	for _, n := range f.Needed {
		if n.Soname == soname {
			return n
		}
	}
	t.Fatalf("%s does not need %s: %+v", f.Path, soname, f.Needed)
	return Resolution{}
}

func wantContains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s %q does not contain %q", what, s, sub)
		}
	}
}
