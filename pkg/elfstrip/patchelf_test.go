package elfstrip

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// describeLayout summarises where segments and non-allocated sections lie.
func describeLayout(t *testing.T, path string) string {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var b strings.Builder
	for i, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			fmt.Fprintf(&b, "PT_LOAD#%d file [%#x,%#x) vaddr %#x align %#x; ", i, p.Off, p.Off+p.Filesz, p.Vaddr, p.Align)
		}
	}
	var nonAlloc, allocAfter []string
	seenNonAlloc := false
	for i, s := range f.Sections[1:] {
		if s.Flags&elf.SHF_ALLOC == 0 {
			seenNonAlloc = true
			nonAlloc = append(nonAlloc, fmt.Sprintf("%s@%#x", s.Name, s.Offset))
		} else if seenNonAlloc {
			allocAfter = append(allocAfter, fmt.Sprintf("[%d]%s@%#x", i+1, s.Name, s.Offset))
		}
	}
	fmt.Fprintf(&b, "\n  non-allocated: %s\n  allocated sections numbered after them: %s",
		strings.Join(nonAlloc, " "), strings.Join(allocAfter, " "))
	if soname, err := f.DynString(elf.DT_SONAME); err == nil {
		fmt.Fprintf(&b, "\n  DT_SONAME %q", soname)
	}
	if rp, err := f.DynString(elf.DT_RUNPATH); err == nil {
		fmt.Fprintf(&b, " DT_RUNPATH %q", rp)
	}
	return b.String()
}

// TestPatchelf covers the auditwheel case: a library rewritten by patchelf.
func TestPatchelf(t *testing.T) {
	// patchelf is neither Go's nor gcc's: without it `go test ./...`
	// skips this test; make test-unit installs it (make test-tools) and
	// fails on any skip .ci/expected-skips does not list.
	patchelf, err := exec.LookPath("patchelf")
	if err != nil {
		t.Skipf("patchelf is not installed (Debian: patchelf; make test-tools installs it): %v", err)
	}
	readelf := needTool(t, "readelf")
	dir := t.TempDir()
	lib := buildLib(t, dir, "libfoo.so")
	loader := buildLoader(t, dir)

	patched := copyFile(t, lib, filepath.Join(dir, "libfoo-patched.so"))
	run(t, patchelf, "--set-rpath", "$ORIGIN/../x.libs", "--set-soname", "libfoo-abcdef12.so.1",
		"--replace-needed", "libc.so.6", "libc.so.6", patched)
	t.Logf("patchelf %s", strings.TrimSpace(run(t, patchelf, "--version")))
	t.Logf("before patchelf: %s", describeLayout(t, lib))
	t.Logf("after patchelf:  %s", describeLayout(t, patched))
	checkLoads(t, loader, patched)
	orig, err := os.ReadFile(patched)
	if err != nil {
		t.Fatal(err)
	}

	// Ours: the debug sections now lie between the original segments and
	// the one patchelf appended, so they cannot go without moving it.
	for _, mode := range []Mode{Debug, Unneeded} {
		out := filepath.Join(dir, "libfoo-patched-"+mode.String()+".so")
		res := stripCopy(t, patched, out, mode)
		t.Logf("ours, %v: %+v", mode, *res)
		checkLoads(t, loader, out)
		checkReadelf(t, readelf, patched, out)
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case res.Skipped:
			if !bytes.Equal(got, orig) {
				t.Fatal("skipped, but the file changed")
			}
		case res.Changed:
			t.Logf("ours changed the patchelf'ed file: removed %v", res.Removed)
		default:
			t.Fatalf("neither changed nor skipped: %+v", res)
		}
	}

	// GNU strip on the same file, for the record: the fixture notes claim
	// binutils breaks such files; we only claim ours does not.
	if gs, err := exec.LookPath("strip"); err != nil {
		t.Logf("GNU strip not installed: %v", err)
	} else {
		out := copyFile(t, patched, filepath.Join(dir, "libfoo-patched-gnu.so"))
		run(t, gs, "--strip-unneeded", out)
		ver, _ := exec.Command(gs, "--version").Output()
		loadOut, loadErr := exec.Command(loader, out).CombinedOutput()
		same := run(t, readelf, "-lW", patched) == run(t, readelf, "-lW", out)
		t.Logf("%s --strip-unneeded on the patchelf'ed file: %d -> %d bytes; program headers unchanged: %v; "+
			"loads: err=%v output=%q\n  layout: %s",
			strings.SplitN(string(ver), "\n", 2)[0], len(orig), fileSize(t, out), same, loadErr,
			strings.TrimSpace(string(loadOut)), describeLayout(t, out))
	}

	// The order auditwheel adopted (pypa/auditwheel#717): strip, then
	// patchelf. That works, and stripping again finds nothing to remove.
	first := filepath.Join(dir, "libfoo-first.so")
	if res := stripCopy(t, lib, first, Unneeded); !res.Changed {
		t.Fatalf("strip before patchelf: %+v", res)
	}
	run(t, patchelf, "--set-rpath", "$ORIGIN/../x.libs", first)
	checkLoads(t, loader, first)
	res, err := StripFile(first, Unneeded)
	if err != nil || res.Changed {
		t.Fatalf("stripping after strip+patchelf: %+v, %v", res, err)
	}
	t.Logf("strip, patchelf, strip again: %+v", *res)
}
