// Package elfhdr decodes the fixed-size parts of an ELF file: the
// identification (e_ident), the file header and program headers, for
// both classes and byte orders, widened to 64 bits. It is the one decoder
// of them for the packages that read ELF files themselves instead of
// through debug/elf: elfcheck (what the dynamic loader reads, from a
// file it does not trust), elfstrip (the exact on-disk values, which it
// rewrites) and layerzip (a look at the first bytes of a file while it
// streams).
//
// It works on byte slices the caller has read and never reads past them:
// bounds on how much to read from a file, and what to do with values the
// loader would refuse, are the caller's. Nothing here panics on any input
// (FuzzDecode checks it, and that the result agrees with debug/elf).
//
// Layout: the System V ABI's "ELF Header" and "Program Header" chapters
// (https://www.sco.com/developers/gabi/latest/ch4.eheader.html,
// https://www.sco.com/developers/gabi/latest/ch5.pheader.html).
package elfhdr

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
)

// Sizes of the fixed-size parts, per class.
const (
	IdentSize  = elf.EI_NIDENT // e_ident
	Size32     = 52            // Elf32_Ehdr
	Size64     = 64            // Elf64_Ehdr
	ProgSize32 = 32            // Elf32_Phdr
	ProgSize64 = 56            // Elf64_Phdr
)

// ErrNotELF is returned for input that does not start with the ELF magic.
var ErrNotELF = errors.New("not an ELF file")

// ByteOrder is what both binary.LittleEndian and binary.BigEndian
// provide: reading and appending.
type ByteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// Ident is the ELF identification: the first IdentSize bytes.
type Ident struct {
	Class elf.Class
	Data  elf.Data
	// Version is e_ident[EI_VERSION], as found: ParseIdent does not
	// require EV_CURRENT (the dynamic loader does; callers decide).
	Version    elf.Version
	OSABI      elf.OSABI
	ABIVersion uint8
	// ByteOrder reads and writes the file's multi-byte fields (Data).
	ByteOrder ByteOrder
}

// Is64 reports whether the file is of class ELFCLASS64.
func (id Ident) Is64() bool { return id.Class == elf.ELFCLASS64 }

// HeaderSize is the size of the class's file header (Size32 or Size64).
func (id Ident) HeaderSize() uint64 { return pick(id.Is64(), Size64, Size32) }

// ProgSize is the size of the class's program header (ProgSize32 or
// ProgSize64), the smallest e_phentsize that holds one.
func (id Ident) ProgSize() uint64 { return pick(id.Is64(), ProgSize64, ProgSize32) }

func pick(is64 bool, a, b uint64) uint64 {
	if is64 {
		return a
	}
	return b
}

// HasMagic reports whether b starts with the ELF magic ("\x7fELF").
func HasMagic(b []byte) bool {
	return len(b) >= len(elf.ELFMAG) && string(b[:len(elf.ELFMAG)]) == elf.ELFMAG
}

// ParseIdent decodes the identification at the start of b. It returns
// ErrNotELF without the magic, and an error when b is shorter than
// IdentSize or the class or data encoding is unknown (checked in that
// order, as the loader does).
func ParseIdent(b []byte) (Ident, error) {
	if !HasMagic(b) {
		return Ident{}, ErrNotELF
	}
	if len(b) < IdentSize {
		return Ident{}, errors.New("truncated ELF identification")
	}
	id := Ident{
		Class:      elf.Class(b[elf.EI_CLASS]),
		Data:       elf.Data(b[elf.EI_DATA]),
		Version:    elf.Version(b[elf.EI_VERSION]),
		OSABI:      elf.OSABI(b[elf.EI_OSABI]),
		ABIVersion: b[elf.EI_ABIVERSION],
	}
	switch id.Class {
	case elf.ELFCLASS32, elf.ELFCLASS64:
	default:
		return Ident{}, fmt.Errorf("unknown ELF class %d", b[elf.EI_CLASS])
	}
	switch id.Data {
	case elf.ELFDATA2LSB:
		id.ByteOrder = binary.LittleEndian
	case elf.ELFDATA2MSB:
		id.ByteOrder = binary.BigEndian
	default:
		return Ident{}, fmt.Errorf("unknown ELF data encoding %d", b[elf.EI_DATA])
	}
	return id, nil
}

// Header is the ELF file header, widened: addresses, offsets and the
// 16-bit sizes are uint64 (they enter offset arithmetic), the 16-bit
// counts and indexes ints, for both classes.
type Header struct {
	Ident
	Type    elf.Type
	Machine elf.Machine
	// FileVersion is e_version (normally EV_CURRENT, like Version).
	FileVersion elf.Version
	Entry       uint64
	Phoff       uint64 // e_phoff: the program header table's file offset
	Shoff       uint64 // e_shoff: the section header table's file offset
	Flags       uint32
	Ehsize      uint64 // e_ehsize
	Phentsize   uint64 // e_phentsize
	Phnum       int    // e_phnum (0xffff is PN_XNUM: the count is in section 0)
	Shentsize   uint64 // e_shentsize
	Shnum       int    // e_shnum (0: the count is in section 0)
	Shstrndx    int    // e_shstrndx (SHN_XINDEX: the index is in section 0)
}

// Decode decodes the file header at the start of b: ParseIdent's errors,
// or an error when b is shorter than the class's HeaderSize.
func Decode(b []byte) (*Header, error) {
	id, err := ParseIdent(b)
	if err != nil {
		return nil, err
	}
	if uint64(len(b)) < id.HeaderSize() {
		return nil, errors.New("truncated ELF header")
	}
	bo := id.ByteOrder
	h := &Header{
		Ident:       id,
		Type:        elf.Type(bo.Uint16(b[16:])),
		Machine:     elf.Machine(bo.Uint16(b[18:])),
		FileVersion: elf.Version(bo.Uint32(b[20:])),
	}
	if id.Is64() {
		h.Entry, h.Phoff, h.Shoff = bo.Uint64(b[24:]), bo.Uint64(b[32:]), bo.Uint64(b[40:])
		h.Flags = bo.Uint32(b[48:])
		b = b[52:]
	} else {
		h.Entry, h.Phoff, h.Shoff = uint64(bo.Uint32(b[24:])), uint64(bo.Uint32(b[28:])), uint64(bo.Uint32(b[32:]))
		h.Flags = bo.Uint32(b[36:])
		b = b[40:]
	}
	// The six 16-bit fields are in the same order in both classes.
	h.Ehsize, h.Phentsize, h.Phnum = uint64(bo.Uint16(b[0:])), uint64(bo.Uint16(b[2:])), int(bo.Uint16(b[4:]))
	h.Shentsize, h.Shnum, h.Shstrndx = uint64(bo.Uint16(b[6:])), int(bo.Uint16(b[8:])), int(bo.Uint16(b[10:]))
	return h, nil
}

// SectionTableFields returns the byte ranges of e_shoff, e_shnum and
// e_shstrndx inside the file header: what PutSectionTable writes.
func (id Ident) SectionTableFields() [][2]int {
	if id.Is64() {
		return [][2]int{{40, 48}, {60, 62}, {62, 64}}
	}
	return [][2]int{{32, 36}, {48, 50}, {50, 52}}
}

// PutSectionTable writes e_shoff, e_shnum and e_shstrndx into hdr, a file
// header of this class (at least HeaderSize bytes). shoff must fit the
// class and shnum and shstrndx 16 bits: the caller checks.
func (id Ident) PutSectionTable(hdr []byte, shoff uint64, shnum, shstrndx int) {
	bo := id.ByteOrder
	if id.Is64() {
		bo.PutUint64(hdr[40:], shoff)
		bo.PutUint16(hdr[60:], uint16(shnum))
		bo.PutUint16(hdr[62:], uint16(shstrndx))
		return
	}
	bo.PutUint32(hdr[32:], uint32(shoff))
	bo.PutUint16(hdr[48:], uint16(shnum))
	bo.PutUint16(hdr[50:], uint16(shstrndx))
}

// Prog is one program header, widened to 64 bits.
type Prog struct {
	Type   elf.ProgType
	Flags  elf.ProgFlag
	Off    uint64 // p_offset
	Vaddr  uint64
	Paddr  uint64
	Filesz uint64
	Memsz  uint64
	Align  uint64
}

// DecodeProgs decodes the program header table: n entries of entsize
// bytes each (e_phnum and e_phentsize) at the start of table. It fails
// when entsize is smaller than the class's ProgSize (a larger one is
// allowed: the bytes beyond ProgSize are ignored) or table is too short.
// id is one ParseIdent or Decode returned.
func (id Ident) DecodeProgs(table []byte, n int, entsize uint64) ([]Prog, error) {
	if entsize < id.ProgSize() {
		return nil, fmt.Errorf("program header entry size %d is smaller than %d", entsize, id.ProgSize())
	}
	if n < 0 || uint64(n) > uint64(len(table))/entsize {
		return nil, fmt.Errorf("%d program headers of %d bytes do not fit in %d bytes", n, entsize, len(table))
	}
	progs := make([]Prog, n)
	for i := range progs {
		progs[i] = id.decodeProg(table[uint64(i)*entsize:])
	}
	return progs, nil
}

// decodeProg decodes one program header from b (at least ProgSize bytes).
func (id Ident) decodeProg(b []byte) Prog {
	bo := id.ByteOrder
	if id.Is64() {
		return Prog{
			Type:   elf.ProgType(bo.Uint32(b[0:])),
			Flags:  elf.ProgFlag(bo.Uint32(b[4:])),
			Off:    bo.Uint64(b[8:]),
			Vaddr:  bo.Uint64(b[16:]),
			Paddr:  bo.Uint64(b[24:]),
			Filesz: bo.Uint64(b[32:]),
			Memsz:  bo.Uint64(b[40:]),
			Align:  bo.Uint64(b[48:]),
		}
	}
	return Prog{
		Type:   elf.ProgType(bo.Uint32(b[0:])),
		Off:    uint64(bo.Uint32(b[4:])),
		Vaddr:  uint64(bo.Uint32(b[8:])),
		Paddr:  uint64(bo.Uint32(b[12:])),
		Filesz: uint64(bo.Uint32(b[16:])),
		Memsz:  uint64(bo.Uint32(b[20:])),
		Flags:  elf.ProgFlag(bo.Uint32(b[24:])),
		Align:  uint64(bo.Uint32(b[28:])),
	}
}
