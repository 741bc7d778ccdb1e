package elfstrip

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func isSymtabName(n string) bool { return n == ".symtab" || n == ".strtab" }

func TestStripSharedLibrary(t *testing.T) {
	readelf := needTool(t, "readelf")
	dir := t.TempDir()
	lib := buildLib(t, dir, "libfoo.so")
	loader := buildLoader(t, dir)
	checkLoads(t, loader, lib)

	sizes := sectionSizes(t, lib)
	dbg := debugBytes(sizes)
	symtab := sizes[".symtab"] + sizes[".strtab"]
	if dbg == 0 || symtab == 0 {
		t.Fatalf("test library has %d debug bytes and %d symbol table bytes; want both > 0", dbg, symtab)
	}
	before := fileSize(t, lib)

	for _, mode := range []Mode{None, Debug, Unneeded} {
		t.Run(mode.String(), func(t *testing.T) {
			out := filepath.Join(dir, "libfoo-"+mode.String()+".so")
			res := stripCopy(t, lib, out, mode)
			checkLoads(t, loader, out)
			checkReadelf(t, readelf, lib, out)
			names := readelfSections(t, readelf, out)
			saved := uint64(res.Before - res.After)
			t.Logf("%v: %d -> %d bytes (saved %d; debug sections %d, .symtab+.strtab %d); removed %v",
				mode, res.Before, res.After, saved, dbg, symtab, res.Removed)
			if res.Before != before || res.Skipped {
				t.Fatalf("result %+v", res)
			}
			switch mode {
			case None:
				if res.Changed || res.After != before {
					t.Fatalf("mode none changed the file: %+v", res)
				}
				return
			case Debug:
				if n := hasSection(names, isSymtabName); n == "" {
					t.Errorf("Debug removed the symbol table: %v", names)
				}
			case Unneeded:
				if n := hasSection(names, isSymtabName); n != "" {
					t.Errorf("Unneeded kept %s: %v", n, names)
				}
			}
			if !res.Changed {
				t.Fatalf("nothing changed: %+v", res)
			}
			if n := hasSection(names, isDebugName); n != "" {
				t.Errorf("%v kept %s: %v", mode, n, names)
			}
			for _, keep := range []string{".dynsym", ".dynstr", ".dynamic", ".gnu.version", ".gnu.version_r", ".comment", ".shstrtab", ".text"} {
				if !slices.Contains(names, keep) {
					t.Errorf("%v removed %s: %v", mode, keep, names)
				}
			}
			if saved*10 < dbg*9 {
				t.Errorf("%v saved %d bytes, less than 90%% of the %d debug bytes", mode, saved, dbg)
			}
			if mode == Unneeded && saved < dbg+symtab*9/10 {
				t.Errorf("Unneeded saved %d bytes; debug %d + symtab %d", saved, dbg, symtab)
			}
			again, err := StripFile(out, mode)
			if err != nil || again.Changed {
				t.Errorf("second strip: %+v, %v", again, err)
			}
		})
	}

	// Deterministic, and Strip to a writer equals StripFile.
	in, err := os.ReadFile(lib)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	for _, buf := range []*bytes.Buffer{&a, &b} {
		if _, err := Strip(bytes.NewReader(in), int64(len(in)), buf, Unneeded); err != nil {
			t.Fatal(err)
		}
	}
	viaFile, err := os.ReadFile(filepath.Join(dir, "libfoo-unneeded.so"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) || !bytes.Equal(a.Bytes(), viaFile) {
		t.Fatal("stripping the same input twice gave different bytes")
	}

	// For the record: GNU strip on the same file.
	if gs, err := exec.LookPath("strip"); err == nil {
		out := copyFile(t, lib, filepath.Join(dir, "libfoo-gnu.so"))
		run(t, gs, "--strip-unneeded", out)
		t.Logf("GNU strip --strip-unneeded: %d -> %d bytes (ours: %d)", before, fileSize(t, out), a.Len())
	}
}

// TestStripVariants covers other toolchain outputs: compressed DWARF,
// --emit-relocs, macro info, executables (PIE and ET_EXEC) and ELF32.
func TestStripVariants(t *testing.T) {
	readelf := needTool(t, "readelf")
	dir := t.TempDir()
	loader := buildLoader(t, dir)
	const prog = `#include <stdio.h>
int helper(int x) { return x * 7; }
int main(void) { printf("prog %d\n", helper(6)); return 0; }
`
	const lib32 = `int f32(int a) { return a * 3; }
int g32(void) { return f32(4); }
`
	cases := []struct {
		name  string
		build func(t *testing.T) string
		check func(t *testing.T, path string) // loads or runs it
		gone  []string                        // must be gone after Unneeded
	}{
		{"gz", func(t *testing.T) string { return buildLib(t, dir, "libgz.so", "-gz=zlib") },
			func(t *testing.T, p string) { checkLoads(t, loader, p) }, nil},
		{"emit-relocs", func(t *testing.T) string { return buildLib(t, dir, "libq.so", "-Wl,--emit-relocs") },
			func(t *testing.T, p string) { checkLoads(t, loader, p) }, []string{".rela.text"}},
		{"ggdb3", func(t *testing.T) string { return buildLib(t, dir, "libmacro.so", "-ggdb3") },
			func(t *testing.T, p string) { checkLoads(t, loader, p) }, []string{".debug_macro"}},
		{"pie", func(t *testing.T) string { return gcc(t, dir, "pie", prog, "-O2", "-g", "-pie", "-fPIE") },
			func(t *testing.T, p string) { runProg(t, p) }, nil},
		{"exec", func(t *testing.T) string { return gcc(t, dir, "exec", prog, "-O2", "-g", "-no-pie") },
			func(t *testing.T, p string) { runProg(t, p) }, nil},
		{"elf32", func(t *testing.T) string {
			return gcc(t, dir, "lib32.so", lib32, "-m32", "-shared", "-fPIC", "-nostdlib", "-O2", "-g")
		}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.build(t)
			if c.check != nil {
				c.check(t, in)
			}
			dbg := debugBytes(sectionSizes(t, in))
			for _, mode := range []Mode{Debug, Unneeded} {
				out := in + "." + mode.String()
				res := stripCopy(t, in, out, mode)
				if !res.Changed {
					t.Fatalf("%v: nothing changed: %+v", mode, res)
				}
				t.Logf("%v: %d -> %d bytes (debug %d), removed %v", mode, res.Before, res.After, dbg, res.Removed)
				if c.check != nil {
					c.check(t, out)
				}
				checkReadelf(t, readelf, in, out)
				names := readelfSections(t, readelf, out)
				if n := hasSection(names, isDebugName); n != "" {
					t.Errorf("%v kept %s", mode, n)
				}
				if mode == Unneeded {
					for _, g := range append([]string{".symtab", ".strtab"}, c.gone...) {
						if slices.Contains(names, g) {
							t.Errorf("Unneeded kept %s: %v", g, names)
						}
					}
				}
			}
		})
	}
}

func runProg(t *testing.T, path string) {
	t.Helper()
	out, err := exec.Command(path).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "prog 42" {
		t.Fatalf("running %s: %v: %q", path, err, out)
	}
}
