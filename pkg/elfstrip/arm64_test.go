//go:build devworld

package elfstrip

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// Tests on the dev world's Debian arm64 files, built with -tags devworld
// (make test-unit): they read $GEOLAYER_DEV_HOME/rootfs, which make dev-up
// builds, and need the qemu-aarch64 binfmt handler it registers. Nothing
// here skips: a missing world is a failure.

// arm64Rootfs is the dev world's Debian arm64 root filesystem (read only).
func arm64Rootfs(t *testing.T) string {
	t.Helper()
	home := os.Getenv("GEOLAYER_DEV_HOME")
	if home == "" {
		home = "/var/tmp/geolayer-dev"
	}
	p := filepath.Join(home, "rootfs", "bookworm-arm64-build.tar")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the dev world's arm64 rootfs tarball %s is missing: run `make dev-up` (these tests build only with -tags devworld): %v", p, err)
	}
	return p
}

// extractFiles copies the named regular files out of the tarball into dir,
// flat, and returns their paths by base name.
func extractFiles(t *testing.T, tarball, dir string, names ...string) map[string]string {
	t.Helper()
	f, err := os.Open(tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	got := map[string]string{}
	tr := tar.NewReader(f) // skips entry bodies with Seek
	for len(got) < len(names) {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(path.Clean(h.Name), "./")
		if !want[name] || h.Typeflag != tar.TypeReg {
			continue
		}
		out := filepath.Join(dir, path.Base(name))
		w, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, tr); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got[path.Base(name)] = out
	}
	for _, n := range names {
		if got[path.Base(n)] == "" {
			t.Fatalf("%s not found in %s", n, tarball)
		}
	}
	return got
}

// TestARM64 strips Debian arm64 libraries: as shipped (already stripped:
// nothing may change) and after aarch64 objcopy added a debug section and
// a symbol table. The arm64 dynamic loader maps each result (ld.so --list;
// under qemu-aarch64 on other hosts).
func TestARM64(t *testing.T) {
	tarball := arm64Rootfs(t)
	objcopy, err := exec.LookPath("aarch64-linux-gnu-objcopy")
	if err != nil {
		t.Fatalf("aarch64-linux-gnu-objcopy is not installed (Debian: binutils-aarch64-linux-gnu; make test-tools installs it): %v", err)
	}
	readelf := needTool(t, "readelf")
	dir := t.TempDir()
	const libdir = "usr/lib/aarch64-linux-gnu/"
	libs := []string{"libjansson.so.4.14.0", "libxxhash.so.0.8.1"}
	files := extractFiles(t, tarball, dir, libdir+libs[0], libdir+libs[1],
		"usr/lib/python3.11/lib-dynload/_typing.cpython-311-aarch64-linux-gnu.so",
		libdir+"ld-linux-aarch64.so.1", libdir+"libc.so.6")
	ldso := files["ld-linux-aarch64.so.1"]
	// The arm64 loader runs natively on an arm64 host, elsewhere under the
	// qemu-aarch64 binfmt_misc handler make dev-up registers.
	if runtime.GOARCH != "arm64" {
		if _, err := os.Stat("/proc/sys/fs/binfmt_misc/qemu-aarch64"); err != nil {
			t.Fatalf("qemu-aarch64 is not registered with binfmt_misc, so the arm64 loader cannot run: run `make dev-up`, which registers it: %v", err)
		}
	}
	mapsOK := func(t *testing.T, lib string) {
		t.Helper()
		out, err := exec.Command(ldso, "--library-path", dir, "--list", lib).CombinedOutput()
		// A library with DT_NEEDED lists libc.so.6; one without says
		// "statically linked". Either way ld.so mapped it.
		if err != nil || strings.Contains(string(out), "error") ||
			!strings.Contains(string(out), "libc.so.6") && !strings.Contains(string(out), "statically linked") {
			t.Fatalf("arm64 ld.so --list %s: %v\n%s", lib, err, out)
		}
	}
	// Negative control: the load check notices a misaligned PT_LOAD.
	bad := misalignedCopy(t, files[libs[0]], filepath.Join(dir, "misaligned.so"))
	if out, err := exec.Command(ldso, "--library-path", dir, "--list", bad).CombinedOutput(); err == nil {
		t.Fatalf("arm64 ld.so accepted a misaligned PT_LOAD:\n%s", out)
	} else {
		t.Logf("negative control: %s", strings.TrimSpace(string(out)))
	}
	blob := filepath.Join(dir, "blob")
	if err := os.WriteFile(blob, []byte(strings.Repeat("debug info stand-in ", 400)), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, name := range append(libs, "_typing.cpython-311-aarch64-linux-gnu.so") {
		t.Run(name, func(t *testing.T) {
			in := files[name]
			if f, err := elf.Open(in); err != nil || f.Machine != elf.EM_AARCH64 {
				t.Fatalf("%s: not an aarch64 ELF: %v", in, err)
			}
			mapsOK(t, in)
			for _, mode := range []Mode{Debug, Unneeded} {
				res := stripCopy(t, in, in+".as-shipped."+mode.String(), mode)
				if res.Changed {
					t.Fatalf("%v changed an already stripped Debian library: %+v", mode, res)
				}
				t.Logf("as shipped, %v: %+v", mode, *res)
			}

			mod := in + ".objcopy"
			run(t, objcopy, "--add-section", ".debug_info="+blob, "--add-section", ".comment="+blob,
				"--add-symbol", "added_sym=.text:0x10,global,function", in, mod)
			mapsOK(t, mod)
			out := in + ".stripped"
			res := stripCopy(t, mod, out, Unneeded)
			t.Logf("objcopy'd, Unneeded: %d -> %d bytes, removed %v", res.Before, res.After, res.Removed)
			if !res.Changed || !slices.Equal(res.Removed, []string{".debug_info", ".symtab", ".strtab"}) {
				t.Fatalf("%+v", res)
			}
			checkReadelf(t, readelf, mod, out)
			names := readelfSections(t, readelf, out)
			for _, keep := range []string{".gnu_debuglink", ".comment", ".dynsym", ".shstrtab"} {
				if !slices.Contains(names, keep) {
					t.Errorf("removed %s: %v", keep, names)
				}
			}
			mapsOK(t, out)
		})
	}
}

// misalignedCopy writes a copy of an ELF64 file whose last PT_LOAD has
// p_offset moved by 8 bytes.
func misalignedCopy(t *testing.T, in, out string) string {
	t.Helper()
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parseELF(bytes.NewReader(b), int64(len(b)))
	if err != nil || !f.Is64() {
		t.Fatalf("parse %s: %v", in, err)
	}
	last := -1
	for i, p := range f.progs {
		if p.Type == elf.PT_LOAD {
			last = i
		}
	}
	at := f.Phoff + uint64(last)*f.Phentsize + 8
	f.ByteOrder.PutUint64(b[at:], f.progs[last].Off+8)
	if err := os.WriteFile(out, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}
