package elfhdr

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"reflect"
	"strings"
	"testing"
)

// synth writes an ELF header of the given class and byte order with
// distinct values in every field, followed by n program headers. The
// section header fields name 5 sections beyond the end of the file.
func synth(class elf.Class, data elf.Data, n int) []byte {
	return synthSections(class, data, n, 0x5678, 5, 4)
}

// synthSections is synth with the given e_shoff, e_shnum and e_shstrndx.
func synthSections(class elf.Class, data elf.Data, n int, shoff uint64, shnum, shstrndx uint16) []byte {
	var bo ByteOrder = binary.LittleEndian
	if data == elf.ELFDATA2MSB {
		bo = binary.BigEndian
	}
	is64 := class == elf.ELFCLASS64
	word := func(b []byte, v uint64) []byte {
		if is64 {
			return bo.AppendUint64(b, v)
		}
		return bo.AppendUint32(b, uint32(v))
	}
	ehsize, phsize := uint16(Size32), uint16(ProgSize32)
	if is64 {
		ehsize, phsize = Size64, ProgSize64
	}
	b := []byte{0x7f, 'E', 'L', 'F', byte(class), byte(data), byte(elf.EV_CURRENT), byte(elf.ELFOSABI_LINUX), 7}
	b = append(b, make([]byte, IdentSize-len(b))...)
	b = bo.AppendUint16(b, uint16(elf.ET_DYN))
	b = bo.AppendUint16(b, uint16(elf.EM_AARCH64))
	b = bo.AppendUint32(b, uint32(elf.EV_CURRENT))
	b = word(b, 0x1234)         // e_entry
	b = word(b, uint64(ehsize)) // e_phoff: right after the header
	b = word(b, shoff)
	b = bo.AppendUint32(b, 0x9a)
	for _, v := range []uint16{ehsize, phsize, uint16(n), 40, shnum, shstrndx} {
		b = bo.AppendUint16(b, v)
	}
	for i := range n {
		v := uint64(i+1) << 8
		b = bo.AppendUint32(b, uint32(elf.PT_LOAD)+uint32(i))
		if is64 {
			b = bo.AppendUint32(b, uint32(elf.PF_R|elf.PF_X))
		}
		for _, f := range []uint64{v + 1, v + 2, v + 3, v + 4, v + 5} { // offset, vaddr, paddr, filesz, memsz
			b = word(b, f)
		}
		if !is64 {
			b = bo.AppendUint32(b, uint32(elf.PF_R|elf.PF_X))
		}
		b = word(b, 0x1000)
	}
	return b
}

var layouts = []struct {
	class elf.Class
	data  elf.Data
}{
	{elf.ELFCLASS32, elf.ELFDATA2LSB}, {elf.ELFCLASS32, elf.ELFDATA2MSB},
	{elf.ELFCLASS64, elf.ELFDATA2LSB}, {elf.ELFCLASS64, elf.ELFDATA2MSB},
}

func TestDecode(t *testing.T) {
	for _, l := range layouts {
		b := synth(l.class, l.data, 2)
		h, err := Decode(b)
		if err != nil {
			t.Fatalf("%v %v: %v", l.class, l.data, err)
		}
		size := uint64(Size32)
		if l.class == elf.ELFCLASS64 {
			size = Size64
		}
		want := Header{
			Ident: Ident{Class: l.class, Data: l.data, Version: elf.EV_CURRENT, OSABI: elf.ELFOSABI_LINUX, ABIVersion: 7,
				ByteOrder: h.ByteOrder},
			Type: elf.ET_DYN, Machine: elf.EM_AARCH64, FileVersion: elf.EV_CURRENT,
			Entry: 0x1234, Phoff: size, Shoff: 0x5678, Flags: 0x9a,
			Ehsize: size, Phentsize: h.ProgSize(), Phnum: 2, Shentsize: 40, Shnum: 5, Shstrndx: 4,
		}
		if !reflect.DeepEqual(*h, want) {
			t.Errorf("%v %v:\n got %+v\nwant %+v", l.class, l.data, *h, want)
		}
		if h.HeaderSize() != size || h.Is64() != (l.class == elf.ELFCLASS64) {
			t.Errorf("%v: HeaderSize %d, Is64 %v", l.class, h.HeaderSize(), h.Is64())
		}
		if (h.ByteOrder == binary.ByteOrder(binary.BigEndian)) != (l.data == elf.ELFDATA2MSB) {
			t.Errorf("%v: byte order %v", l.data, h.ByteOrder)
		}
		progs, err := h.DecodeProgs(b[h.Phoff:], h.Phnum, h.Phentsize)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range progs {
			v := uint64(i+1) << 8
			want := Prog{Type: elf.PT_LOAD + elf.ProgType(i), Flags: elf.PF_R | elf.PF_X,
				Off: v + 1, Vaddr: v + 2, Paddr: v + 3, Filesz: v + 4, Memsz: v + 5, Align: 0x1000}
			if p != want {
				t.Errorf("%v %v prog %d: %+v, want %+v", l.class, l.data, i, p, want)
			}
		}
		// Only the header's own bytes are read.
		if _, err := Decode(b[:size]); err != nil {
			t.Errorf("%v: the header alone: %v", l.class, err)
		}
	}
}

// The errors' texts are what elfstrip reports for the files it leaves
// alone (report.json) and elfcheck for the files it cannot read.
func TestDecodeErrors(t *testing.T) {
	good := synth(elf.ELFCLASS64, elf.ELFDATA2LSB, 0)
	with := func(i int, v byte) []byte { b := bytes.Clone(good); b[i] = v; return b }
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, ErrNotELF.Error()},
		{"short magic", []byte("\x7fEL"), ErrNotELF.Error()},
		{"no magic", []byte("#!/bin/sh\n" + strings.Repeat(" ", 60)), ErrNotELF.Error()},
		{"identification cut", good[:10], "truncated ELF identification"},
		{"class", with(elf.EI_CLASS, 3), "unknown ELF class 3"},
		{"data", with(elf.EI_DATA, 0), "unknown ELF data encoding 0"},
		{"header cut", good[:63], "truncated ELF header"},
		{"32-bit header cut", synth(elf.ELFCLASS32, elf.ELFDATA2MSB, 0)[:51], "truncated ELF header"},
	} {
		_, err := Decode(c.in)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	both := with(elf.EI_CLASS, 0)
	both[elf.EI_DATA] = 0
	if _, err := Decode(both); err == nil || err.Error() != "unknown ELF class 0" {
		t.Errorf("bad class and data: %v, want the class", err)
	}
	// EI_VERSION is reported, not checked.
	h, err := Decode(with(elf.EI_VERSION, 9))
	if err != nil || h.Version != 9 {
		t.Errorf("EI_VERSION 9: %+v, %v", h, err)
	}
}

func TestDecodeProgsErrors(t *testing.T) {
	h, err := Decode(synth(elf.ELFCLASS32, elf.ELFDATA2LSB, 0))
	if err != nil {
		t.Fatal(err)
	}
	table := make([]byte, 3*ProgSize32)
	for _, c := range []struct {
		n       int
		entsize uint64
		want    string
	}{
		{1, ProgSize32 - 1, "program header entry size 31 is smaller than 32"},
		{4, ProgSize32, "4 program headers of 32 bytes do not fit in 96 bytes"},
		{2, 2 * ProgSize32, "2 program headers of 64 bytes do not fit in 96 bytes"},
		{-1, ProgSize32, "-1 program headers"},
		{1 << 62, 1 << 62, "do not fit"},
	} {
		_, err := h.DecodeProgs(table, c.n, c.entsize)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d x %d: %v, want %q", c.n, c.entsize, err, c.want)
		}
	}
	// A larger entry size is allowed: the rest of each entry is ignored.
	if progs, err := h.DecodeProgs(table, 1, 3*ProgSize32); err != nil || len(progs) != 1 {
		t.Errorf("one entry of 96 bytes: %v, %v", progs, err)
	}
}

func TestPutSectionTable(t *testing.T) {
	for _, l := range layouts {
		b := synth(l.class, l.data, 0)
		h, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		hdr := bytes.Clone(b[:h.HeaderSize()])
		h.PutSectionTable(hdr, 0xabcdef, 300, 299)
		g, err := Decode(hdr)
		if err != nil {
			t.Fatal(err)
		}
		if g.Shoff != 0xabcdef || g.Shnum != 300 || g.Shstrndx != 299 {
			t.Errorf("%v %v: %+v", l.class, l.data, g)
		}
		// Nothing outside SectionTableFields changed.
		changed := bytes.Clone(hdr)
		for _, r := range h.SectionTableFields() {
			clear(changed[r[0]:r[1]])
			clear(b[r[0]:r[1]])
		}
		if !bytes.Equal(changed, b[:h.HeaderSize()]) {
			t.Errorf("%v %v: bytes outside e_shoff, e_shnum, e_shstrndx changed", l.class, l.data)
		}
	}
}

// The fuzz seeds without sections are files debug/elf opens, so that
// FuzzDecode compares with it from the start.
func TestDebugElfOpensSeeds(t *testing.T) {
	for _, l := range layouts {
		in := synthSections(l.class, l.data, 3, 0, 0, 0)
		ef, err := openELF(in)
		if err != nil {
			t.Fatalf("%v %v: %v", l.class, l.data, err)
		}
		if len(ef.Progs) != 3 || ef.Entry != 0x1234 {
			t.Errorf("%v %v: %d progs, entry %#x", l.class, l.data, len(ef.Progs), ef.Entry)
		}
	}
}

// FuzzDecode: Decode and DecodeProgs never panic, read only the header's
// bytes, and agree with debug/elf on every file it opens: identification,
// type, machine, entry point and program headers.
func FuzzDecode(f *testing.F) {
	for _, l := range layouts {
		f.Add(synth(l.class, l.data, 3))
		f.Add(synthSections(l.class, l.data, 3, 0, 0, 0)) // no sections: debug/elf opens it
	}
	if exe, err := os.Executable(); err == nil {
		if b, err := os.ReadFile(exe); err == nil && HasMagic(b) {
			f.Add(b[:min(len(b), 4096)]) // the test binary's header and program headers
		}
	}
	f.Add([]byte("\x7fELF"))
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := Decode(in)
		if err == nil {
			again, err := Decode(in[:h.HeaderSize()])
			if err != nil || !reflect.DeepEqual(again, h) {
				t.Fatalf("the header alone decodes to %+v, %v; the file to %+v", again, err, h)
			}
			if h.Phoff <= uint64(len(in)) {
				_, _ = h.DecodeProgs(in[h.Phoff:], h.Phnum, h.Phentsize)
			}
		}
		ef, derr := openELF(in)
		if derr != nil {
			return
		}
		if err != nil {
			t.Fatalf("debug/elf opens the file, Decode: %v", err)
		}
		fh := ef.FileHeader
		if h.Class != fh.Class || h.Data != fh.Data || h.Version != fh.Version || h.OSABI != fh.OSABI ||
			h.ABIVersion != fh.ABIVersion || h.ByteOrder != fh.ByteOrder || h.Type != fh.Type ||
			h.Machine != fh.Machine || h.Entry != fh.Entry {
			t.Fatalf("Decode %+v, debug/elf %+v", h, fh)
		}
		if h.Phnum == 0xffff || len(ef.Progs) == 0 { // PN_XNUM: debug/elf reads the count from section 0
			return
		}
		progs, err := h.DecodeProgs(in[h.Phoff:], h.Phnum, h.Phentsize)
		if err != nil || len(progs) != len(ef.Progs) {
			t.Fatalf("DecodeProgs: %d, %v; debug/elf %d", len(progs), err, len(ef.Progs))
		}
		for i, p := range ef.Progs {
			want := Prog{Type: p.Type, Flags: p.Flags, Off: p.Off, Vaddr: p.Vaddr, Paddr: p.Paddr,
				Filesz: p.Filesz, Memsz: p.Memsz, Align: p.Align}
			if progs[i] != want {
				t.Fatalf("prog %d: %+v, debug/elf %+v", i, progs[i], want)
			}
		}
	})
}

// openELF opens in with debug/elf, which may panic on hostile input.
func openELF(in []byte) (f *elf.File, err error) {
	defer func() {
		if recover() != nil {
			f, err = nil, os.ErrInvalid
		}
	}()
	return elf.NewFile(bytes.NewReader(in))
}
