package elfstrip

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func stripBytes(t *testing.T, in []byte, mode Mode) (*Result, []byte, error) {
	t.Helper()
	var out bytes.Buffer
	res, err := Strip(bytes.NewReader(in), int64(len(in)), &out, mode)
	return res, out.Bytes(), err
}

// TestSynthetic strips ELF32/ELF64, little/big endian files.
func TestSynthetic(t *testing.T) {
	for _, is64 := range []bool{false, true} {
		for _, big := range []bool{false, true} {
			o := synthOpts{is64: is64, big: big}
			name := o.machine().String()
			t.Run(name, func(t *testing.T) {
				in := synthELF(o)
				ef, err := elf.NewFile(bytes.NewReader(in))
				if err != nil {
					t.Fatalf("synthetic input does not parse: %v", err)
				}
				if libs, err := ef.ImportedLibraries(); err != nil || !slices.Equal(libs, []string{"libc.so.6"}) {
					t.Fatalf("synthetic input: libraries %v, %v", libs, err)
				}
				for _, c := range []struct {
					mode    Mode
					removed []string
				}{
					{Debug, []string{".debug_info", ".rela.debug_info"}},
					{Unneeded, []string{".debug_info", ".rela.debug_info", ".symtab", ".strtab"}},
				} {
					res, out, err := stripBytes(t, in, c.mode)
					if err != nil {
						t.Fatalf("%v: %v", c.mode, err)
					}
					if !res.Changed || !slices.Equal(res.Removed, c.removed) || int64(len(out)) != res.After {
						t.Fatalf("%v: %+v (output %d bytes)", c.mode, res, len(out))
					}
					of, err := elf.NewFile(bytes.NewReader(out))
					if err != nil {
						t.Fatal(err)
					}
					for _, keep := range []string{".comment", ".gnu_debuglink", ".shstrtab", ".dynsym"} {
						if of.Section(keep) == nil {
							t.Errorf("%v removed %s", c.mode, keep)
						}
					}
					if c.mode == Debug {
						if st := of.Section(".symtab"); st == nil || of.Sections[st.Link].Name != ".strtab" {
							t.Errorf("Debug: .symtab missing or not linked to .strtab")
						}
						if syms, err := of.Symbols(); err != nil || len(syms) != 2 {
							t.Errorf("Debug: symbols %v, %v", syms, err)
						}
					}
					again, out2, err := stripBytes(t, out, c.mode)
					if err != nil || again.Changed || !bytes.Equal(out, out2) {
						t.Errorf("%v: stripping again: %+v, %v", c.mode, again, err)
					}
				}
			})
		}
	}
}

func TestSkips(t *testing.T) {
	withShnum0 := synthELF(synthOpts{is64: true})
	withShnum0[60], withShnum0[61] = 0, 0
	cases := []struct {
		name   string
		in     []byte
		reason string
	}{
		{"drop-inside-PT_LOAD", synthELF(synthOpts{is64: true, debugInLoad: true}), "inside segment 0 (PT_LOAD"},
		{"drop-inside-PT_LOAD-32be", synthELF(synthOpts{big: true, debugInLoad: true}), "to drop lies inside segment"},
		{"ET_REL", synthELF(synthOpts{is64: true, typ: elf.ET_REL}), "ET_REL"},
		{"ET_CORE", synthELF(synthOpts{is64: true, typ: elf.ET_CORE}), "ET_CORE"},
		{"misaligned-PT_LOAD", synthELF(synthOpts{is64: true, misalign: true}), "% p_align"},
		{"appended-data", synthELF(synthOpts{is64: true, trailing: []byte("PK\x05\x06 appended")}), "not described by any section"},
		{"extended-numbering", withShnum0, "extended section numbering"},
		{"truncated", synthELF(synthOpts{is64: true})[:200], "outside the file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, mode := range []Mode{Debug, Unneeded} {
				res, out, err := stripBytes(t, c.in, mode)
				if err != nil {
					t.Fatalf("%v: %v", mode, err)
				}
				if !res.Skipped || res.Changed || !strings.Contains(res.Reason, c.reason) {
					t.Fatalf("%v: %+v, want skipped with reason containing %q", mode, res, c.reason)
				}
				if !bytes.Equal(out, c.in) {
					t.Fatalf("%v: skipped file was not copied unchanged", mode)
				}
			}
		})
	}
	// Zero fill after the section header table is fine.
	res, _, err := stripBytes(t, synthELF(synthOpts{is64: true, trailing: make([]byte, 100)}), Unneeded)
	if err != nil || !res.Changed {
		t.Fatalf("zero-filled tail: %+v, %v", res, err)
	}
}

func TestNotELF(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("\x7fEL"), []byte("#!/bin/sh\necho hi\n"), []byte("PK\x03\x04....")} {
		for _, mode := range []Mode{None, Debug, Unneeded} {
			res, out, err := stripBytes(t, in, mode)
			if !errors.Is(err, ErrNotELF) || res != nil || len(out) != 0 {
				t.Fatalf("%q/%v: %+v, %v, %d bytes written", in, mode, res, err, len(out))
			}
		}
	}
	p := filepath.Join(t.TempDir(), "script.py")
	if err := os.WriteFile(p, []byte("print(1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := StripFile(p, Unneeded); !errors.Is(err, ErrNotELF) {
		t.Fatalf("StripFile on a script: %v", err)
	}
}

func TestModeNone(t *testing.T) {
	in := synthELF(synthOpts{is64: true})
	res, out, err := stripBytes(t, in, None)
	if err != nil || res.Changed || res.Skipped || !bytes.Equal(out, in) {
		t.Fatalf("%+v, %v", res, err)
	}
	if _, err := Strip(bytes.NewReader(in), int64(len(in)), &bytes.Buffer{}, Mode(7)); err == nil {
		t.Fatal("invalid mode accepted")
	}
	for _, s := range []string{"none", "Debug", "UNNEEDED"} {
		m, err := ParseMode(s)
		if err != nil || !strings.EqualFold(m.String(), s) {
			t.Errorf("ParseMode(%q) = %v, %v", s, m, err)
		}
	}
	if _, err := ParseMode("all"); err == nil {
		t.Error(`ParseMode("all") succeeded`)
	}
}

func TestStripFileModeAndSymlink(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "libsynth.so")
	if err := os.WriteFile(p, synthELF(synthOpts{is64: true}), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "libsynth.so.1")
	if err := os.Symlink("libsynth.so", link); err != nil {
		t.Fatal(err)
	}
	res, err := StripFile(link, Unneeded)
	if err != nil || !res.Skipped {
		t.Fatalf("symlink: %+v, %v", res, err)
	}
	res, err = StripFile(p, Unneeded)
	if err != nil || !res.Changed {
		t.Fatalf("%+v, %v", res, err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o640 || fi.Size() != res.After {
		t.Fatalf("after StripFile: %v %v", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	mtime := fi.ModTime()
	res, err = StripFile(p, Unneeded)
	if err != nil || res.Changed {
		t.Fatalf("second StripFile: %+v, %v", res, err)
	}
	if fi, _ := os.Stat(p); !fi.ModTime().Equal(mtime) {
		t.Fatal("unchanged file was rewritten")
	}
}

// TestVerifyCatchesDamage feeds the verifier outputs that differ from the
// plan in one byte.
func TestVerifyCatchesDamage(t *testing.T) {
	in := synthELF(synthOpts{is64: true})
	_, src, p, err := analyze(bytes.NewReader(in), int64(len(in)), Unneeded)
	if err != nil || p == nil {
		t.Fatalf("analyze: %v", err)
	}
	var good bytes.Buffer
	if _, err := p.image(src.r).WriteTo(&good); err != nil {
		t.Fatal(err)
	}
	if err := verify(src, p, bytes.NewReader(good.Bytes()), int64(good.Len())); err != nil {
		t.Fatalf("good output rejected: %v", err)
	}
	for _, off := range []int{20, 0x80, int(src.loadEnd) - 1, int(src.loadEnd) + 2, good.Len() - 3} {
		bad := bytes.Clone(good.Bytes())
		bad[off] ^= 0x40
		if err := verify(src, p, bytes.NewReader(bad), int64(len(bad))); !errors.Is(err, ErrVerify) {
			t.Errorf("byte %#x flipped: verify returned %v", off, err)
		}
	}
}
