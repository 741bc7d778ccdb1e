package elfstrip

// Raw ELF decoding and encoding: the header and program headers with
// pkg/elfhdr, the section headers here. debug/elf is used to cross-check
// and verify, but the stripper needs the exact on-disk field values
// (debug/elf reports uncompressed sizes for SHF_COMPRESSED sections, hides
// e_shoff, ...), so it reads them itself.

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"

	"github.com/geolayer/geolayer/pkg/elfhdr"
)

// Standard section header sizes per class.
const (
	shdrSize32 = 40
	shdrSize64 = 64

	// maxShstrtab caps how much of .shstrtab is read into memory.
	maxShstrtab = 16 << 20
)

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

// elfFile is the raw view of an input file: the header and program
// headers as pkg/elfhdr decodes them, the section headers as decoded here.
type elfFile struct {
	size int64
	elfhdr.Header
	hdr []byte // the standard-size ELF header, as read

	progs []elfhdr.Prog
	sects []sectHdr
}

func (f *elfFile) shdrSize() uint64 { return pick(f.Is64(), shdrSize64, shdrSize32) }

// shdrAlign is the alignment used for the section header table.
func (f *elfFile) shdrAlign() uint64 { return pick(f.Is64(), 8, 4) }

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
	if !elfhdr.HasMagic(m[:]) {
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
	if size < elfhdr.IdentSize {
		return nil, skipf("truncated ELF identification")
	}
	var ident [elfhdr.IdentSize]byte
	if err := readFull(r, ident[:], 0); err != nil {
		return nil, err
	}
	id, err := elfhdr.ParseIdent(ident[:])
	if err != nil { // an unknown class or data encoding
		return nil, skipf("%v", err)
	}
	if id.Version != elf.EV_CURRENT {
		return nil, skipf("unknown ELF version %d", id.Version)
	}
	if uint64(size) < id.HeaderSize() {
		return nil, skipf("truncated ELF header")
	}
	f := &elfFile{size: size, hdr: make([]byte, id.HeaderSize())}
	if err := readFull(r, f.hdr, 0); err != nil {
		return nil, err
	}
	h, err := elfhdr.Decode(f.hdr)
	if err != nil { // not reached: the identification and size were checked
		return nil, skipf("%v", err)
	}
	f.Header = *h
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

// patchedHeader returns a copy of the ELF header with new section header
// table coordinates.
func (f *elfFile) patchedHeader(shoff uint64, shnum, shstrndx int) []byte {
	h := bytes.Clone(f.hdr)
	f.PutSectionTable(h, shoff, shnum, shstrndx)
	return h
}

func (f *elfFile) checkHeader() error {
	switch f.Type {
	case elf.ET_DYN, elf.ET_EXEC:
	case elf.ET_REL:
		return skipf("relocatable object (ET_REL): only ET_DYN and ET_EXEC are stripped")
	case elf.ET_CORE:
		return skipf("core file (ET_CORE): only ET_DYN and ET_EXEC are stripped")
	default:
		return skipf("ELF type %v: only ET_DYN and ET_EXEC are stripped", f.Type)
	}
	if f.Ehsize < f.HeaderSize() {
		return skipf("e_ehsize %d is smaller than the standard %d", f.Ehsize, f.HeaderSize())
	}
	if f.Phnum > 0 && f.Phentsize != f.ProgSize() {
		return skipf("unusual e_phentsize %d", f.Phentsize)
	}
	if f.Phnum == 0 {
		return skipf("no program headers")
	}
	if f.Phnum == 0xffff { // PN_XNUM: count lives in section 0's sh_info
		return skipf("extended program header numbering (PN_XNUM) is not supported")
	}
	if f.Shoff == 0 {
		return skipf("no section header table")
	}
	if f.Shnum == 0 {
		return skipf("extended section numbering (e_shnum == 0) is not supported")
	}
	if f.Shentsize != f.shdrSize() {
		return skipf("unusual e_shentsize %d", f.Shentsize)
	}
	if f.Shstrndx == int(elf.SHN_XINDEX) {
		return skipf("extended section numbering (e_shstrndx == SHN_XINDEX) is not supported")
	}
	if f.Shstrndx == 0 || f.Shstrndx >= f.Shnum {
		return skipf("e_shstrndx %d out of range", f.Shstrndx)
	}
	return nil
}

func (f *elfFile) readProgs(r io.ReaderAt) error {
	n := uint64(f.Phnum) * f.Phentsize
	if !within(f.Phoff, n, f.size) {
		return skipf("program header table lies outside the file")
	}
	buf := make([]byte, n)
	if err := readFull(r, buf, int64(f.Phoff)); err != nil {
		return err
	}
	progs, err := f.DecodeProgs(buf, f.Phnum, f.Phentsize)
	if err != nil { // not reached: e_phentsize was checked, buf sized from it
		return skipf("%v", err)
	}
	f.progs = progs
	return nil
}

func (f *elfFile) readSects(r io.ReaderAt) error {
	n := uint64(f.Shnum) * f.Shentsize
	if !within(f.Shoff, n, f.size) {
		return skipf("section header table lies outside the file")
	}
	buf := make([]byte, n)
	if err := readFull(r, buf, int64(f.Shoff)); err != nil {
		return err
	}
	f.sects = make([]sectHdr, f.Shnum)
	for i := range f.sects {
		f.sects[i] = f.decodeSect(buf[uint64(i)*f.Shentsize:])
	}
	if f.sects[0] != (sectHdr{}) {
		return skipf("section header 0 is not empty")
	}
	str := &f.sects[f.Shstrndx]
	if elf.SectionType(str.typ) != elf.SHT_STRTAB {
		return skipf("section header string table (index %d) is not SHT_STRTAB", f.Shstrndx)
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
	bo := f.ByteOrder
	var s sectHdr
	s.name, s.typ = bo.Uint32(b), bo.Uint32(b[4:])
	if f.Is64() {
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
	bo := f.ByteOrder
	if f.Is64() {
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
