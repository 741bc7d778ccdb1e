package elfstrip

// A tiny ELF writer for tests: ET_DYN files of any class and byte order
// with a dynamic section, a symbol table, debug sections and a relocation
// section for them, plus knobs to make the layout unusual.

import (
	"cmp"
	"debug/elf"
	"encoding/binary"
	"slices"

	"github.com/geolayer/geolayer/pkg/elfhdr"
)

type synthOpts struct {
	is64, big   bool
	typ         elf.Type // default ET_DYN
	debugInLoad bool     // put .debug_info inside the PT_LOAD
	misalign    bool     // PT_LOAD with (p_vaddr - p_offset) % p_align != 0
	trailing    []byte   // bytes appended after the section header table
}

type synthSect struct {
	name               string
	typ                elf.SectionType
	flags              elf.SectionFlag
	data               []byte
	align, entsize     uint64
	link, info         uint32
	off, addr, nameOff uint64
}

func (o synthOpts) machine() elf.Machine {
	switch {
	case o.is64 && o.big:
		return elf.EM_S390
	case o.is64:
		return elf.EM_AARCH64
	case o.big:
		return elf.EM_PPC
	}
	return elf.EM_386
}

func synthELF(o synthOpts) []byte {
	var bo elfhdr.ByteOrder = binary.LittleEndian
	if o.big {
		bo = binary.BigEndian
	}
	word := func(b []byte, v uint64) []byte {
		if o.is64 {
			return bo.AppendUint64(b, v)
		}
		return bo.AppendUint32(b, uint32(v))
	}
	sym := func(b []byte, name uint32, value, size uint64, info byte, shndx uint16) []byte {
		b = bo.AppendUint32(b, name)
		if o.is64 {
			b = append(b, info, 0)
			b = bo.AppendUint16(b, shndx)
			b = bo.AppendUint64(b, value)
			return bo.AppendUint64(b, size)
		}
		b = bo.AppendUint32(b, uint32(value))
		b = bo.AppendUint32(b, uint32(size))
		b = append(b, info, 0)
		return bo.AppendUint16(b, shndx)
	}
	wsz := uint64(pick(o.is64, 8, 4))
	symsz := uint64(pick(o.is64, 24, 16))
	debug := make([]byte, 300)
	for i := range debug {
		debug[i] = byte(i*7 + 3)
	}
	dynstr := []byte("\x00libc.so.6\x00foo\x00")
	sects := []*synthSect{
		{},
		{name: ".dynstr", typ: elf.SHT_STRTAB, flags: elf.SHF_ALLOC, data: dynstr, align: 1},
		{name: ".dynsym", typ: elf.SHT_DYNSYM, flags: elf.SHF_ALLOC, align: wsz, entsize: symsz, link: 1, info: 1},
		{name: ".text", typ: elf.SHT_PROGBITS, flags: elf.SHF_ALLOC | elf.SHF_EXECINSTR, data: []byte{1, 2, 3, 4, 5, 6, 7, 8}, align: 4},
		{name: ".dynamic", typ: elf.SHT_DYNAMIC, flags: elf.SHF_ALLOC | elf.SHF_WRITE, align: wsz, entsize: 2 * wsz, link: 1},
		{name: ".comment", typ: elf.SHT_PROGBITS, flags: elf.SHF_MERGE | elf.SHF_STRINGS, data: []byte("synth 1.0\x00"), align: 1, entsize: 1},
		{name: ".debug_info", typ: elf.SHT_PROGBITS, data: debug, align: 1},
		{name: ".rela.debug_info", typ: elf.SHT_RELA, flags: elf.SHF_INFO_LINK, data: make([]byte, 3*wsz), align: wsz, entsize: 3 * wsz, link: 8, info: 6},
		{name: ".symtab", typ: elf.SHT_SYMTAB, align: wsz, entsize: symsz, link: 9, info: 1},
		{name: ".strtab", typ: elf.SHT_STRTAB, data: []byte("\x00foo\x00local\x00"), align: 1},
		{name: ".gnu_debuglink", typ: elf.SHT_PROGBITS, data: []byte("libsynth.debug\x00\x00\x01\x02\x03\x04"), align: 4},
		{name: ".shstrtab", typ: elf.SHT_STRTAB, align: 1},
	}
	var shstr []byte
	shstr = append(shstr, 0)
	for _, s := range sects[1:] {
		s.nameOff = uint64(len(shstr))
		shstr = append(append(shstr, s.name...), 0)
	}
	sects[11].data = shstr

	ehsz, phsz, shsz := pick(o.is64, 64, 52), pick(o.is64, 56, 32), pick(o.is64, 64, 40)
	const nprog = 2
	pos := ehsz + nprog*phsz
	place := func(s *synthSect) {
		pos = alignUp(pos, max(1, s.align))
		s.off = pos
		pos += uint64(len(s.data))
	}
	// The allocated part; addresses equal offsets. Sizes are fixed before
	// contents so .dynsym and .dynamic can be placed first.
	sects[2].data = make([]byte, 2*symsz)
	sects[8].data = make([]byte, 3*symsz)
	sects[4].data = make([]byte, 6*2*wsz)
	for _, i := range []int{1, 2, 3, 4} {
		place(sects[i])
		sects[i].addr = sects[i].off
	}
	if o.debugInLoad {
		place(sects[6])
	}
	loadEnd := pos
	for i := 5; i < len(sects); i++ {
		if i != 6 || !o.debugInLoad {
			place(sects[i])
		}
	}
	shoff := alignUp(pos, wsz)

	sects[2].data = sym(sym(nil, 0, 0, 0, 0, 0), 11, sects[3].addr, 8, byte(elf.STB_GLOBAL)<<4|byte(elf.STT_FUNC), 3)
	sects[8].data = sym(sym(nil, 0, 0, 0, 0, 0), 5, sects[3].addr, 4, byte(elf.STT_FUNC), 3)
	sects[8].data = sym(sects[8].data, 1, sects[3].addr, 8, byte(elf.STB_GLOBAL)<<4|byte(elf.STT_FUNC), 3)
	var dyn []byte
	for _, kv := range [][2]uint64{
		{uint64(elf.DT_NEEDED), 1}, {uint64(elf.DT_STRTAB), sects[1].addr}, {uint64(elf.DT_SYMTAB), sects[2].addr},
		{uint64(elf.DT_STRSZ), uint64(len(dynstr))}, {uint64(elf.DT_SYMENT), symsz}, {uint64(elf.DT_NULL), 0},
	} {
		dyn = word(word(dyn, kv[0]), kv[1])
	}
	sects[4].data = dyn

	typ := o.typ
	if typ == 0 {
		typ = elf.ET_DYN
	}
	out := make([]byte, 0, shoff+uint64(len(sects))*shsz)
	class, data := elf.ELFCLASS32, elf.ELFDATA2LSB
	if o.is64 {
		class = elf.ELFCLASS64
	}
	if o.big {
		data = elf.ELFDATA2MSB
	}
	out = append(out, 0x7f, 'E', 'L', 'F', byte(class), byte(data), byte(elf.EV_CURRENT))
	out = append(out, make([]byte, 9)...)
	out = bo.AppendUint16(out, uint16(typ))
	out = bo.AppendUint16(out, uint16(o.machine()))
	out = bo.AppendUint32(out, uint32(elf.EV_CURRENT))
	out = word(out, sects[3].addr) // e_entry
	out = word(out, ehsz)          // e_phoff
	out = word(out, shoff)
	out = bo.AppendUint32(out, 0) // e_flags
	for _, v := range []uint64{ehsz, phsz, nprog, shsz, uint64(len(sects)), 11} {
		out = bo.AppendUint16(out, uint16(v))
	}
	vaddr := uint64(0)
	if o.misalign {
		vaddr = 0x10
	}
	prog := func(b []byte, typ elf.ProgType, flags elf.ProgFlag, off, addr, size, align uint64) []byte {
		b = bo.AppendUint32(b, uint32(typ))
		if o.is64 {
			b = bo.AppendUint32(b, uint32(flags))
			for _, v := range []uint64{off, addr, addr, size, size, align} {
				b = bo.AppendUint64(b, v)
			}
			return b
		}
		for _, v := range []uint64{off, addr, addr, size, size} {
			b = bo.AppendUint32(b, uint32(v))
		}
		b = bo.AppendUint32(b, uint32(flags))
		return bo.AppendUint32(b, uint32(align))
	}
	out = prog(out, elf.PT_LOAD, elf.PF_R|elf.PF_W|elf.PF_X, 0, vaddr, loadEnd, 0x1000)
	d := sects[4]
	out = prog(out, elf.PT_DYNAMIC, elf.PF_R|elf.PF_W, d.off, d.addr, uint64(len(d.data)), wsz)
	byOff := slices.Clone(sects[1:])
	slices.SortFunc(byOff, func(a, b *synthSect) int { return cmp.Compare(a.off, b.off) })
	for _, s := range byOff {
		out = append(out, make([]byte, s.off-uint64(len(out)))...)
		out = append(out, s.data...)
	}
	out = append(out, make([]byte, shoff-uint64(len(out)))...)
	for _, s := range sects {
		out = bo.AppendUint32(out, uint32(s.nameOff))
		out = bo.AppendUint32(out, uint32(s.typ))
		out = word(out, uint64(s.flags))
		out = word(out, s.addr)
		out = word(out, s.off)
		out = word(out, uint64(len(s.data)))
		out = bo.AppendUint32(out, s.link)
		out = bo.AppendUint32(out, s.info)
		out = word(out, s.align)
		out = word(out, s.entsize)
	}
	return append(out, o.trailing...)
}
