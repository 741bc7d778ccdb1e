package elfstrip

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// libSource is a small shared library with enough types to carry some
// DWARF.
const libSource = `
#include <math.h>
#include <stdio.h>
#include <string.h>

struct point { double x, y; const char *label; };
struct shape { struct point pts[8]; int n; enum { OPEN, CLOSED } kind; };

static int table[64];

int foo_add(int a, int b) { return a + b + table[a & 63]; }

double foo_hyp(double x, double y) { return sqrt(x * x + y * y); }

const char *foo_name(void) { return "foo-lib"; }

double foo_perimeter(const struct shape *s) {
	double total = 0;
	for (int i = 1; i < s->n; i++)
		total += foo_hyp(s->pts[i].x - s->pts[i-1].x, s->pts[i].y - s->pts[i-1].y);
	if (s->kind == CLOSED && s->n > 1)
		total += foo_hyp(s->pts[0].x - s->pts[s->n-1].x, s->pts[0].y - s->pts[s->n-1].y);
	return total;
}

int foo_format(char *buf, size_t n, const struct point *p) {
	return snprintf(buf, n, "%s(%.1f,%.1f)", p->label ? p->label : "?", p->x, p->y);
}
`

// loaderSource dlopens argv[1] and calls into it.
const loaderSource = `
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
	void *h = dlopen(argv[1], RTLD_NOW);
	if (!h) { printf("dlopen failed: %s\n", dlerror()); return 1; }
	int (*add)(int, int) = (int (*)(int, int))dlsym(h, "foo_add");
	const char *(*name)(void) = (const char *(*)(void))dlsym(h, "foo_name");
	double (*hyp)(double, double) = (double (*)(double, double))dlsym(h, "foo_hyp");
	if (!add || !name || !hyp) { printf("dlsym failed: %s\n", dlerror()); return 2; }
	printf("%s %d %.1f\n", name(), add(2, 3), hyp(3, 4));
	return 0;
}
`

const loaderWant = "foo-lib 5 5.0\n"

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required by this test and was not found in PATH: %v", name, err)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// runSplit returns stdout and stderr separately.
func runSplit(t *testing.T, name string, args ...string) (string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

// gcc compiles source (C) into out with extra flags.
func gcc(t *testing.T, dir, name, source string, flags ...string) string {
	t.Helper()
	needTool(t, "gcc")
	src := filepath.Join(dir, name+".c")
	if err := os.WriteFile(src, []byte(source), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name)
	var opts, libs []string
	for _, f := range flags {
		if strings.HasPrefix(f, "-l") {
			libs = append(libs, f) // after the source, or --as-needed drops them
		} else {
			opts = append(opts, f)
		}
	}
	run(t, "gcc", slices.Concat(opts, []string{"-o", out, src}, libs)...)
	return out
}

// buildLib compiles the test library with -shared -fPIC -O2 -g plus flags.
func buildLib(t *testing.T, dir, name string, flags ...string) string {
	t.Helper()
	args := append([]string{"-shared", "-fPIC", "-O2", "-g"}, flags...)
	return gcc(t, dir, name, libSource, append(args, "-lm")...)
}

func buildLoader(t *testing.T, dir string) string {
	t.Helper()
	return gcc(t, dir, "loader", loaderSource, "-O2", "-ldl")
}

// checkLoads runs the loader on lib and checks its output.
func checkLoads(t *testing.T, loader, lib string) {
	t.Helper()
	out, err := exec.Command(loader, lib).CombinedOutput()
	if err != nil || string(out) != loaderWant {
		t.Fatalf("loading %s: %v: %q, want %q", lib, err, out, loaderWant)
	}
}

func copyFile(t *testing.T, from, to string) string {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return to
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// sectionSizes returns the on-disk sizes of the sections by name.
func sectionSizes(t *testing.T, path string) map[string]uint64 {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	m := map[string]uint64{}
	for _, s := range f.Sections {
		if s.Type != elf.SHT_NOBITS {
			m[s.Name] += s.FileSize
		}
	}
	return m
}

// debugBytes sums the sizes of debugging sections.
func debugBytes(sizes map[string]uint64) uint64 {
	var n uint64
	for name, sz := range sizes {
		if isDebugName(name) {
			n += sz
		}
	}
	return n
}

var readelfSection = regexp.MustCompile(`\]\s+(\S+)`)

// readelfSections lists section names as readelf -SW prints them.
func readelfSections(t *testing.T, readelf, path string) []string {
	t.Helper()
	var names []string
	for _, line := range strings.Split(run(t, readelf, "-SW", path), "\n") {
		if m := readelfSection.FindStringSubmatch(line); m != nil && strings.Contains(line, "[") {
			names = append(names, m[1])
		}
	}
	return names
}

// checkReadelf requires identical readelf output before and after for
// program headers and the section-to-segment mapping (-l), dynamic symbols
// (with their section numbers), the dynamic section and symbol versions,
// and no warnings from readelf -aW about the stripped file.
func checkReadelf(t *testing.T, readelf, before, after string) {
	t.Helper()
	for _, opt := range []string{"-lW", "--dyn-syms", "-dW", "-VW"} {
		lb := run(t, readelf, opt, before)
		la := strings.ReplaceAll(run(t, readelf, opt, after), after, before)
		if lb != la {
			t.Errorf("readelf %s differs:\nbefore:\n%s\nafter:\n%s", opt, lb, la)
		}
	}
	checkAllocIndices(t, before, after)
	if _, stderr := runSplit(t, readelf, "-aW", after); stderr != "" {
		t.Errorf("readelf -aW %s warns:\n%s", after, stderr)
	}
}

func hasSection(names []string, pred func(string) bool) string {
	for _, n := range names {
		if pred(n) {
			return n
		}
	}
	return ""
}

// stripCopy strips a copy of in into dir/name with StripFile.
func stripCopy(t *testing.T, in, out string, mode Mode) *Result {
	t.Helper()
	copyFile(t, in, out)
	res, err := StripFile(out, mode)
	if err != nil {
		t.Fatalf("StripFile(%s, %v): %v", out, mode, err)
	}
	if got := fileSize(t, out); got != res.After {
		t.Fatalf("%s: size %d, Result.After %d", out, got, res.After)
	}
	return res
}

// checkAllocIndices requires every allocated section to keep its name and
// index.
func checkAllocIndices(t *testing.T, before, after string) {
	t.Helper()
	fb, err := elf.Open(before)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fb.Close() }()
	fa, err := elf.Open(after)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fa.Close() }()
	for i, s := range fb.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 {
			continue
		}
		if i >= len(fa.Sections) || fa.Sections[i].SectionHeader != s.SectionHeader {
			t.Errorf("allocated section %d (%s) changed or moved", i, s.Name)
		}
	}
}
