package elfstrip

// Raw ELF header, program header and section header decoding and encoding.
// debug/elf is used to cross-check and verify, but the stripper needs the
// exact on-disk field values (debug/elf reports uncompressed sizes for
// SHF_COMPRESSED sections, hides e_shoff, ...), so it reads them itself.

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Standard header sizes per class.
const (
	ehdrSize32 = 52
	ehdrSize64 = 64
	phdrSize32 = 32
	phdrSize64 = 56
	shdrSize32 = 40
	shdrSize64 = 64

	// maxShstrtab caps how much of .shstrtab is read into memory.
	maxShstrtab = 16 << 20
)

// progHdr is one program header, widened to 64 bits.
type progHdr struct {
	typ, flags                               uint32
	off, vaddr, paddr, filesz, memsz, palign uint64
}

// sectHdr is one section header, widened to 64 bits, plus its name.
type sectHdr struct {
	name                   uint32
	typ                    uint32
	flags, addr, off, size uint64
	link, info             uint32
	addralign, entsize     uint64
	nameStr                string
}

// hasBytes reports whether the section occupies bytes in the file.
func (s *sectHdr) hasBytes() bool {
	return elf.SectionType(s.typ) != elf.SHT_NOBITS && s.size > 0
}

func (s *sectHdr) alloc() bool { return s.flags&uint64(elf.SHF_ALLOC) != 0 }

func (s *sectHdr) end() uint64 { return s.off + s.size }

// byteOrder is what both binary.LittleEndian and binary.BigEndian provide.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// elfFile is the raw view of an input file.
type elfFile struct {
	size int64
	is64 bool
	bo   byteOrder
	hdr  []byte // the standard-size ELF header, as read

	typ       elf.Type
	phoff     uint64
	shoff     uint64
	ehsize    uint64
	phentsize uint64
	shentsize uint64
	phnum     int
	shnum     int
	shstrndx  int

	progs []progHdr
	sects []sectHdr
}

func (f *elfFile) ehdrSize() uint64 { return pick(f.is64, ehdrSize64, ehdrSize32) }
func (f *elfFile) phdrSize() uint64 { return pick(f.is64, phdrSize64, phdrSize32) }
func (f *elfFile) shdrSize() uint64 { return pick(f.is64, shdrSize64, shdrSize32) }

// shdrAlign is the alignment used for the section header table.
func (f *elfFile) shdrAlign() uint64 { return pick(f.is64, 8, 4) }

func pick(is64 bool, a, b uint64) uint64 {
	if is64 {
		return a
	}
	return b
}

// readFull reads len(p) bytes at off; io.EOF together with a full read is fine.
func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// within reports whether [off, off+n) lies inside [0, size).
func within(off, n uint64, size int64) bool {
	end := off + n
	return end >= off && end <= uint64(size)
}

// checkMagic returns ErrNotELF unless the file starts with the ELF magic.
func checkMagic(r io.ReaderAt, size int64) error {
	if size < int64(len(elf.ELFMAG)) {
		return ErrNotELF
	}
	var m [4]byte
	if err := readFull(r, m[:], 0); err != nil {
		return err
	}
	if string(m[:]) != elf.ELFMAG {
		return ErrNotELF
	}
	return nil
}

// parseELF decodes the ELF header, program headers and section headers.
// It returns ErrNotELF, a *skipError for files it will not touch, or an I/O
// error. Layout rules are checked separately (layout.go).
func parseELF(r io.ReaderAt, size int64) (*elfFile, error) {
	if err := checkMagic(r, size); err != nil {
		return nil, err
	}
	if size < elf.EI_NIDENT {
		return nil, skipf("truncated ELF identification")
	}
	var ident [elf.EI_NIDENT]byte
	if err := readFull(r, ident[:], 0); err != nil {
		return nil, err
	}
	f := &elfFile{size: size}
	switch elf.Class(ident[elf.EI_CLASS]) {
	case elf.ELFCLASS32:
	case elf.ELFCLASS64:
		f.is64 = true
	default:
		return nil, skipf("unknown ELF class %d", ident[elf.EI_CLASS])
	}
	switch elf.Data(ident[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		f.bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		f.bo = binary.BigEndian
	default:
		return nil, skipf("unknown ELF data encoding %d", ident[elf.EI_DATA])
	}
	if elf.Version(ident[elf.EI_VERSION]) != elf.EV_CURRENT {
		return nil, skipf("unknown ELF version %d", ident[elf.EI_VERSION])
	}
	if uint64(size) < f.ehdrSize() {
		return nil, skipf("truncated ELF header")
	}
	f.hdr = make([]byte, f.ehdrSize())
	if err := readFull(r, f.hdr, 0); err != nil {
		return nil, err
	}
	f.decodeHeader()
	if err := f.checkHeader(); err != nil {
		return nil, err
	}
	if err := f.readProgs(r); err != nil {
		return nil, err
	}
	if err := f.readSects(r); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *elfFile) decodeHeader() {
	h, bo := f.hdr, f.bo
	f.typ = elf.Type(bo.Uint16(h[16:]))
	if f.is64 {
		f.phoff = bo.Uint64(h[32:])
		f.shoff = bo.Uint64(h[40:])
		f.ehsize = uint64(bo.Uint16(h[52:]))
		f.phentsize = uint64(bo.Uint16(h[54:]))
		f.phnum = int(bo.Uint16(h[56:]))
		f.shentsize = uint64(bo.Uint16(h[58:]))
		f.shnum = int(bo.Uint16(h[60:]))
		f.shstrndx = int(bo.Uint16(h[62:]))
		return
	}
	f.phoff = uint64(bo.Uint32(h[28:]))
	f.shoff = uint64(bo.Uint32(h[32:]))
	f.ehsize = uint64(bo.Uint16(h[40:]))
	f.phentsize = uint64(bo.Uint16(h[42:]))
	f.phnum = int(bo.Uint16(h[44:]))
	f.shentsize = uint64(bo.Uint16(h[46:]))
	f.shnum = int(bo.Uint16(h[48:]))
	f.shstrndx = int(bo.Uint16(h[50:]))
}

// headerFieldRanges returns the byte ranges of e_shoff, e_shnum and
// e_shstrndx inside the ELF header: the only header bytes Strip rewrites.
func (f *elfFile) headerFieldRanges() [][2]int {
	if f.is64 {
		return [][2]int{{40, 48}, {60, 62}, {62, 64}}
	}
	return [][2]int{{32, 36}, {48, 50}, {50, 52}}
}

// patchedHeader returns a copy of the ELF header with new section header
// table coordinates.
func (f *elfFile) patchedHeader(shoff uint64, shnum, shstrndx int) []byte {
	h := bytes.Clone(f.hdr)
	if f.is64 {
		f.bo.PutUint64(h[40:], shoff)
		f.bo.PutUint16(h[60:], uint16(shnum))
		f.bo.PutUint16(h[62:], uint16(shstrndx))
	} else {
		f.bo.PutUint32(h[32:], uint32(shoff))
		f.bo.PutUint16(h[48:], uint16(shnum))
		f.bo.PutUint16(h[50:], uint16(shstrndx))
	}
	return h
}

func (f *elfFile) checkHeader() error {
	switch f.typ {
	case elf.ET_DYN, elf.ET_EXEC:
	case elf.ET_REL:
		return skipf("relocatable object (ET_REL): only ET_DYN and ET_EXEC are stripped")
	case elf.ET_CORE:
		return skipf("core file (ET_CORE): only ET_DYN and ET_EXEC are stripped")
	default:
		return skipf("ELF type %v: only ET_DYN and ET_EXEC are stripped", f.typ)
	}
	if f.ehsize < f.ehdrSize() {
		return skipf("e_ehsize %d is smaller than the standard %d", f.ehsize, f.ehdrSize())
	}
	if f.phnum > 0 && f.phentsize != f.phdrSize() {
		return skipf("unusual e_phentsize %d", f.phentsize)
	}
	if f.phnum == 0 {
		return skipf("no program headers")
	}
	if f.phnum == 0xffff { // PN_XNUM: count lives in section 0's sh_info
		return skipf("extended program header numbering (PN_XNUM) is not supported")
	}
	if f.shoff == 0 {
		return skipf("no section header table")
	}
	if f.shnum == 0 {
		return skipf("extended section numbering (e_shnum == 0) is not supported")
	}
	if f.shentsize != f.shdrSize() {
		return skipf("unusual e_shentsize %d", f.shentsize)
	}
	if f.shstrndx == int(elf.SHN_XINDEX) {
		return skipf("extended section numbering (e_shstrndx == SHN_XINDEX) is not supported")
	}
	if f.shstrndx == 0 || f.shstrndx >= f.shnum {
		return skipf("e_shstrndx %d out of range", f.shstrndx)
	}
	return nil
}

func (f *elfFile) readProgs(r io.ReaderAt) error {
	n := uint64(f.phnum) * f.phentsize
	if !within(f.phoff, n, f.size) {
		return skipf("program header table lies outside the file")
	}
	buf := make([]byte, n)
	if err := readFull(r, buf, int64(f.phoff)); err != nil {
		return err
	}
	bo := f.bo
	f.progs = make([]progHdr, f.phnum)
	for i := range f.progs {
		b := buf[uint64(i)*f.phentsize:]
		p := &f.progs[i]
		p.typ = bo.Uint32(b)
		if f.is64 {
			p.flags = bo.Uint32(b[4:])
			p.off, p.vaddr, p.paddr = bo.Uint64(b[8:]), bo.Uint64(b[16:]), bo.Uint64(b[24:])
			p.filesz, p.memsz, p.palign = bo.Uint64(b[32:]), bo.Uint64(b[40:]), bo.Uint64(b[48:])
		} else {
			p.off, p.vaddr, p.paddr = uint64(bo.Uint32(b[4:])), uint64(bo.Uint32(b[8:])), uint64(bo.Uint32(b[12:]))
			p.filesz, p.memsz = uint64(bo.Uint32(b[16:])), uint64(bo.Uint32(b[20:]))
			p.flags, p.palign = bo.Uint32(b[24:]), uint64(bo.Uint32(b[28:]))
		}
	}
	return nil
}

func (f *elfFile) readSects(r io.ReaderAt) error {
	n := uint64(f.shnum) * f.shentsize
	if !within(f.shoff, n, f.size) {
		return skipf("section header table lies outside the file")
	}
	buf := make([]byte, n)
	if err := readFull(r, buf, int64(f.shoff)); err != nil {
		return err
	}
	f.sects = make([]sectHdr, f.shnum)
	for i := range f.sects {
		f.sects[i] = f.decodeSect(buf[uint64(i)*f.shentsize:])
	}
	if f.sects[0] != (sectHdr{}) {
		return skipf("section header 0 is not empty")
	}
	str := &f.sects[f.shstrndx]
	if elf.SectionType(str.typ) != elf.SHT_STRTAB {
		return skipf("section header string table (index %d) is not SHT_STRTAB", f.shstrndx)
	}
	if !within(str.off, str.size, f.size) {
		return skipf("section header string table lies outside the file")
	}
	if str.size > maxShstrtab {
		return skipf("section header string table is %d bytes", str.size)
	}
	names := make([]byte, str.size)
	if err := readFull(r, names, int64(str.off)); err != nil {
		return err
	}
	if len(names) == 0 || names[0] != 0 {
		return skipf("section header string table does not start with a NUL byte")
	}
	for i := range f.sects {
		s := &f.sects[i]
		if i == 0 {
			continue
		}
		if uint64(s.name) >= uint64(len(names)) {
			return skipf("section %d: name offset %d out of range", i, s.name)
		}
		rest := names[s.name:]
		end := bytes.IndexByte(rest, 0)
		if end < 0 {
			return skipf("section %d: unterminated name", i)
		}
		s.nameStr = string(rest[:end])
	}
	return nil
}

func (f *elfFile) decodeSect(b []byte) sectHdr {
	bo := f.bo
	var s sectHdr
	s.name, s.typ = bo.Uint32(b), bo.Uint32(b[4:])
	if f.is64 {
		s.flags, s.addr, s.off, s.size = bo.Uint64(b[8:]), bo.Uint64(b[16:]), bo.Uint64(b[24:]), bo.Uint64(b[32:])
		s.link, s.info = bo.Uint32(b[40:]), bo.Uint32(b[44:])
		s.addralign, s.entsize = bo.Uint64(b[48:]), bo.Uint64(b[56:])
		return s
	}
	s.flags, s.addr = uint64(bo.Uint32(b[8:])), uint64(bo.Uint32(b[12:]))
	s.off, s.size = uint64(bo.Uint32(b[16:])), uint64(bo.Uint32(b[20:]))
	s.link, s.info = bo.Uint32(b[24:]), bo.Uint32(b[28:])
	s.addralign, s.entsize = uint64(bo.Uint32(b[32:])), uint64(bo.Uint32(b[36:]))
	return s
}

// encodeSect appends the on-disk form of s.
func (f *elfFile) encodeSect(dst []byte, s *sectHdr) []byte {
	bo := f.bo
	if f.is64 {
		dst = bo.AppendUint32(dst, s.name)
		dst = bo.AppendUint32(dst, s.typ)
		for _, v := range []uint64{s.flags, s.addr, s.off, s.size} {
			dst = bo.AppendUint64(dst, v)
		}
		dst = bo.AppendUint32(dst, s.link)
		dst = bo.AppendUint32(dst, s.info)
		dst = bo.AppendUint64(dst, s.addralign)
		return bo.AppendUint64(dst, s.entsize)
	}
	for _, v := range []uint64{uint64(s.name), uint64(s.typ), s.flags, s.addr, s.off, s.size,
		uint64(s.link), uint64(s.info), s.addralign, s.entsize} {
		dst = bo.AppendUint32(dst, uint32(v))
	}
	return dst
}

// sectLabel names a section for reasons and errors.
func (f *elfFile) sectLabel(i int) string {
	if n := f.sects[i].nameStr; n != "" {
		return fmt.Sprintf("%s (#%d)", n, i)
	}
	return fmt.Sprintf("#%d", i)
}
