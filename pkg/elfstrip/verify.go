package elfstrip

// Verification of an output against its input, independent of how the
// output was produced: re-parse it (with debug/elf and with our own parser
// and layout rules) and compare everything the dynamic loader and the
// project's ELF checks rely on.

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// ErrVerify wraps every verification failure.
var ErrVerify = errors.New("elfstrip: output verification failed")

func verifyErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrVerify, fmt.Sprintf(format, args...))
}

// protect turns a panic inside debug/elf into an error.
func protect(what string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("elfstrip: %s panicked: %v", what, r)
		}
	}()
	return fn()
}

// dynFacts is what the dynamic loader and the ELF checks read.
type dynFacts struct {
	Syms     []elf.Symbol
	SymsErr  string
	Libs     []string
	LibsErr  string
	Needs    []elf.DynamicVersionNeed
	NeedsErr string
	Defs     []elf.DynamicVersion
	DefsErr  string
	Strings  [][]string // DT_SONAME, DT_RPATH, DT_RUNPATH
}

// errString is err's text without the file offset debug/elf puts in a
// FormatError ("... in record at byte 0x25c"): a section the strip moved
// is reported at its new offset, and the fact is as unreadable as before.
func errString(err error) string {
	if err == nil {
		return ""
	}
	msg, _, _ := strings.Cut(err.Error(), " in record at byte ")
	return msg
}

func readDynFacts(f *elf.File) (*dynFacts, error) {
	d := &dynFacts{}
	err := protect("debug/elf", func() error {
		var err error
		d.Syms, err = f.DynamicSymbols()
		d.SymsErr = errString(err)
		d.Libs, err = f.ImportedLibraries()
		d.LibsErr = errString(err)
		d.Needs, err = f.DynamicVersionNeeds()
		d.NeedsErr = errString(err)
		d.Defs, err = f.DynamicVersions()
		d.DefsErr = errString(err)
		for _, tag := range []elf.DynTag{elf.DT_SONAME, elf.DT_RPATH, elf.DT_RUNPATH} {
			s, err := f.DynString(tag)
			if err != nil {
				s = []string{"error: " + errString(err)}
			}
			d.Strings = append(d.Strings, s)
		}
		return nil
	})
	return d, err
}

func (a *dynFacts) diff(b *dynFacts) string {
	va, vb := reflect.ValueOf(*a), reflect.ValueOf(*b)
	for i := 0; i < va.NumField(); i++ {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			return va.Type().Field(i).Name
		}
	}
	return ""
}

// source is everything known about the input.
type source struct {
	r       io.ReaderAt
	raw     *elfFile
	ef      *elf.File
	dyn     *dynFacts
	loadEnd uint64
}

// verify checks out (outSize bytes) against the input and the plan.
func verify(src *source, p *plan, out io.ReaderAt, outSize int64) error {
	if uint64(outSize) != p.size {
		return verifyErr("output is %d bytes, planned %d", outSize, p.size)
	}
	raw, err := parseELF(out, outSize)
	if err != nil {
		return verifyErr("re-parsing output: %v", err)
	}
	loadEnd, err := checkLayout(out, raw)
	if err != nil {
		return verifyErr("output layout: %v", err)
	}
	if loadEnd != src.loadEnd || raw.Shoff != p.shoff || len(raw.sects) != len(p.sects) {
		return verifyErr("output header: loaded end %#x, shoff %#x, %d sections; want %#x, %#x, %d",
			loadEnd, raw.Shoff, len(raw.sects), src.loadEnd, p.shoff, len(p.sects))
	}
	if err := verifySections(src, p, raw, out); err != nil {
		return err
	}
	if err := verifyPrefix(src, raw, out); err != nil {
		return err
	}
	var ef *elf.File
	if err := protect("debug/elf", func() (err error) { ef, err = elf.NewFile(out); return err }); err != nil {
		return verifyErr("debug/elf cannot read output: %v", err)
	}
	if ef.FileHeader != src.ef.FileHeader {
		return verifyErr("ELF header differs: %+v vs %+v", ef.FileHeader, src.ef.FileHeader)
	}
	if len(ef.Progs) != len(src.ef.Progs) {
		return verifyErr("%d program headers, want %d", len(ef.Progs), len(src.ef.Progs))
	}
	for i := range ef.Progs {
		if ef.Progs[i].ProgHeader != src.ef.Progs[i].ProgHeader {
			return verifyErr("program header %d differs", i)
		}
	}
	if len(ef.Sections) != len(p.sects) {
		return verifyErr("debug/elf sees %d sections, want %d", len(ef.Sections), len(p.sects))
	}
	for j, s := range ef.Sections {
		if s.Name != p.sects[j].nameStr {
			return verifyErr("section %d is named %q, want %q", j, s.Name, p.sects[j].nameStr)
		}
	}
	dyn, err := readDynFacts(ef)
	if err != nil {
		return verifyErr("%v", err)
	}
	if what := src.dyn.diff(dyn); what != "" {
		return verifyErr("dynamic information differs (%s)", what)
	}
	return nil
}

// verifySections compares every output section header with its input
// section and the contents of every moved section.
func verifySections(src *source, p *plan, raw *elfFile, out io.ReaderAt) error {
	for j := 1; j < len(raw.sects); j++ {
		if p.oldIdx[j] < 0 {
			if raw.sects[j] != (sectHdr{}) {
				return verifyErr("section %d: want an empty SHT_NULL header", j)
			}
			continue
		}
		o, in := raw.sects[j], src.raw.sects[p.oldIdx[j]]
		want := in
		want.off = o.off
		if in.link != 0 {
			want.link = uint32(p.newIdx[in.link])
		}
		if infoIsIndex(&in) && in.info != 0 {
			want.info = uint32(p.newIdx[in.info])
		}
		if o != want {
			return verifyErr("section %d (%s): header %+v, want %+v", j, in.nameStr, o, want)
		}
		if o.off != in.off {
			if in.alloc() || in.off < src.loadEnd {
				return verifyErr("section %d (%s) moved although it must not", j, in.nameStr)
			}
			if o.off%max(1, in.addralign) != 0 {
				return verifyErr("section %d (%s) misaligned at %#x", j, in.nameStr, o.off)
			}
		}
		if in.hasBytes() && !in.alloc() {
			if err := sameBytes(src.r, in.off, out, o.off, in.size); err != nil {
				return verifyErr("section %d (%s): %v", j, in.nameStr, err)
			}
		}
	}
	if raw.Shstrndx != p.newIdx[src.raw.Shstrndx] {
		return verifyErr("e_shstrndx %d, want %d", raw.Shstrndx, p.newIdx[src.raw.Shstrndx])
	}
	return nil
}

// verifyPrefix checks that the loaded image is byte-for-byte the input's,
// apart from e_shoff, e_shnum and e_shstrndx.
func verifyPrefix(src *source, raw *elfFile, out io.ReaderAt) error {
	a, b := bytes.Clone(src.raw.hdr), bytes.Clone(raw.hdr)
	for _, r := range src.raw.SectionTableFields() {
		clear(a[r[0]:r[1]])
		clear(b[r[0]:r[1]])
	}
	if !bytes.Equal(a, b) {
		return verifyErr("ELF header bytes differ outside e_shoff/e_shnum/e_shstrndx")
	}
	n := uint64(len(a))
	if err := sameBytes(src.r, n, out, n, src.loadEnd-n); err != nil {
		return verifyErr("loaded image: %v", err)
	}
	return nil
}

// sameBytes compares n bytes of a at aOff with b at bOff.
func sameBytes(a io.ReaderAt, aOff uint64, b io.ReaderAt, bOff uint64, n uint64) error {
	const chunk = 256 << 10
	ba, bb := make([]byte, min(n, chunk)), make([]byte, min(n, chunk))
	for done := uint64(0); done < n; {
		c := min(n-done, chunk)
		if err := readFull(a, ba[:c], int64(aOff+done)); err != nil {
			return err
		}
		if err := readFull(b, bb[:c], int64(bOff+done)); err != nil {
			return err
		}
		if !bytes.Equal(ba[:c], bb[:c]) {
			return fmt.Errorf("bytes differ in [%#x, %#x)", bOff+done, bOff+done+c)
		}
		done += c
	}
	return nil
}
