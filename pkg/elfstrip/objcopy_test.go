package elfstrip

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestObjcopyX86 is TestARM64's objcopy round trip (arm64_test.go, dev
// world) on an x86-64 library compiled with -g, which can also be
// dlopen()ed.
func TestObjcopyX86(t *testing.T) {
	objcopy := needTool(t, "objcopy")
	readelf := needTool(t, "readelf")
	dir := t.TempDir()
	lib := buildLib(t, dir, "libfoo.so")
	loader := buildLoader(t, dir)
	blob := filepath.Join(dir, "blob")
	if err := os.WriteFile(blob, []byte(strings.Repeat("x", 5000)), 0o644); err != nil {
		t.Fatal(err)
	}
	mod := lib + ".objcopy"
	run(t, objcopy, "--add-section", ".debug_extra="+blob, "--add-gnu-debuglink="+blob, lib, mod)
	out := mod + ".stripped"
	res := stripCopy(t, mod, out, Unneeded)
	if !res.Changed || !slices.Contains(res.Removed, ".debug_extra") {
		t.Fatalf("%+v", res)
	}
	checkLoads(t, loader, out)
	checkReadelf(t, readelf, mod, out)
	if names := readelfSections(t, readelf, out); !slices.Contains(names, ".gnu_debuglink") {
		t.Fatalf(".gnu_debuglink removed: %v", names)
	}
}
