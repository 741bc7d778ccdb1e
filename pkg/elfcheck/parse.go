package elfcheck

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// errNotELF is returned by readHeader for input without the ELF magic.
var errNotELF = errors.New("not an ELF file")

// Limits on what one file may make the parser read. Real objects are far
// below them (libstdc++: 30 program headers, ~40 dynamic entries, a few
// hundred version entries); a file beyond them is reported as malformed
// instead of being read.
const (
	maxProgs       = 4096
	maxDynEntries  = 1 << 16
	maxVerEntries  = 1 << 14
	maxStringBytes = 1 << 16
	// Total string bytes read per file: bounds the work a crafted file can
	// cause with many long strings.
	maxStringTotal = 16 << 20
)

// header is the part of the ELF header the loader looks at before it maps
// an object.
type header struct {
	class   elf.Class
	data    elf.Data
	typ     elf.Type
	machine elf.Machine
	bo      binary.ByteOrder

	phoff, phentsize, phnum uint64
}

// loadable reports whether the object is something ld.so maps: a shared
// object (including PIE executables) or an executable.
func (h *header) loadable() bool { return h.typ == elf.ET_DYN || h.typ == elf.ET_EXEC }

// dynInfo is what the dynamic loader reads from an object's dynamic
// segment.
type dynInfo struct {
	soname     string
	needed     []string // DT_NEEDED in order
	rpath      string
	hasRPath   bool
	runpath    string
	hasRunPath bool // a DT_RUNPATH entry, even empty, disables DT_RPATH
	nodeflib   bool // DF_1_NODEFLIB: skip ld.so.cache and the default dirs
	verneed    []verNeed
	verdef     []string // version names defined (SHT_GNU_verdef), incl. the base
	hasVerdef  bool
}

// verNeed is one Elf_Verneed entry: versions needed from a library.
type verNeed struct {
	file     string
	versions []verAux
}

type verAux struct {
	name string
	weak bool // VER_FLG_WEAK: a missing version is not fatal
}

// pageReader serves small reads from a bounded cache of file pages so that
// walking version chains and string tables does not cost a system call
// per field.
type pageReader struct {
	r       io.ReaderAt
	size    int64
	pages   map[int64][]byte
	strRead int // bytes scanned by cstring
}

const (
	pageSize = 4096
	maxPages = 64 // 256 KiB per open file
)

func newPageReader(r io.ReaderAt, size int64) *pageReader {
	return &pageReader{r: r, size: size, pages: map[int64][]byte{}}
}

func (p *pageReader) page(n int64) ([]byte, error) {
	if b, ok := p.pages[n]; ok {
		return b, nil
	}
	if len(p.pages) >= maxPages {
		clear(p.pages)
	}
	off := n * pageSize
	l := min(int64(pageSize), p.size-off)
	if l <= 0 {
		return nil, io.ErrUnexpectedEOF
	}
	b := make([]byte, l)
	if _, err := p.r.ReadAt(b, off); err != nil && (!errors.Is(err, io.EOF) || len(b) != int(l)) {
		return nil, err
	}
	p.pages[n] = b
	return b, nil
}

// readAt fills b from off or fails; reads past the end of the file fail.
func (p *pageReader) readAt(b []byte, off uint64) error {
	if off > uint64(p.size) || uint64(len(b)) > uint64(p.size)-off {
		return fmt.Errorf("read of %d bytes at offset %#x is past the end of the file (%d bytes)", len(b), off, p.size)
	}
	o := int64(off)
	for len(b) > 0 {
		pg, err := p.page(o / pageSize)
		if err != nil {
			return err
		}
		n := copy(b, pg[o%pageSize:])
		if n == 0 {
			return io.ErrUnexpectedEOF
		}
		b, o = b[n:], o+int64(n)
	}
	return nil
}

// cstring reads the NUL-terminated string at off, not reading at or beyond
// limit.
func (p *pageReader) cstring(off, limit uint64) (string, error) {
	var buf []byte
	var chunk [128]byte
	for {
		if off >= limit || off >= uint64(p.size) {
			return "", fmt.Errorf("unterminated string at %#x", off)
		}
		n := min(uint64(len(chunk)), limit-off, uint64(p.size)-off)
		if p.strRead += int(n); p.strRead > maxStringTotal {
			return "", fmt.Errorf("more than %d bytes of strings", maxStringTotal)
		}
		if err := p.readAt(chunk[:n], off); err != nil {
			return "", err
		}
		if i := bytes.IndexByte(chunk[:n], 0); i >= 0 {
			return string(append(buf, chunk[:i]...)), nil
		}
		buf = append(buf, chunk[:n]...)
		if len(buf) > maxStringBytes {
			return "", fmt.Errorf("string at %#x is longer than %d bytes", off, maxStringBytes)
		}
		off += n
	}
}

// readHeader parses the ELF identification and header. It returns
// errNotELF when the magic is missing.
func readHeader(p *pageReader) (*header, error) {
	var id [elf.EI_NIDENT]byte
	if p.size < 4 {
		return nil, errNotELF
	}
	if err := p.readAt(id[:4], 0); err != nil {
		return nil, err
	}
	if string(id[:4]) != elf.ELFMAG {
		return nil, errNotELF
	}
	if err := p.readAt(id[:], 0); err != nil {
		return nil, fmt.Errorf("truncated ELF identification: %w", err)
	}
	h := &header{class: elf.Class(id[elf.EI_CLASS]), data: elf.Data(id[elf.EI_DATA])}
	switch h.data {
	case elf.ELFDATA2LSB:
		h.bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		h.bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("unknown ELF data encoding %d", id[elf.EI_DATA])
	}
	var b [64]byte
	switch h.class {
	case elf.ELFCLASS64:
		if err := p.readAt(b[:64], 0); err != nil {
			return nil, fmt.Errorf("truncated ELF header: %w", err)
		}
		h.phoff = h.bo.Uint64(b[32:])
		h.phentsize = uint64(h.bo.Uint16(b[54:]))
		h.phnum = uint64(h.bo.Uint16(b[56:]))
	case elf.ELFCLASS32:
		if err := p.readAt(b[:52], 0); err != nil {
			return nil, fmt.Errorf("truncated ELF header: %w", err)
		}
		h.phoff = uint64(h.bo.Uint32(b[28:]))
		h.phentsize = uint64(h.bo.Uint16(b[42:]))
		h.phnum = uint64(h.bo.Uint16(b[44:]))
	default:
		return nil, fmt.Errorf("unknown ELF class %d", id[elf.EI_CLASS])
	}
	h.typ = elf.Type(h.bo.Uint16(b[16:]))
	h.machine = elf.Machine(h.bo.Uint16(b[18:]))
	return h, nil
}

type prog struct {
	typ                elf.ProgType
	off, vaddr, filesz uint64
}

func readProgs(p *pageReader, h *header) ([]prog, error) {
	if h.phnum == 0 {
		return nil, nil
	}
	if h.phnum == 0xffff { // PN_XNUM: count in section 0; never seen in loadable objects
		return nil, errors.New("PN_XNUM program header count is not supported")
	}
	want := uint64(56)
	if h.class == elf.ELFCLASS32 {
		want = 32
	}
	if h.phentsize < want {
		return nil, fmt.Errorf("program header entry size %d is smaller than %d", h.phentsize, want)
	}
	if h.phnum > maxProgs {
		return nil, fmt.Errorf("%d program headers", h.phnum)
	}
	if h.phnum*h.phentsize > uint64(p.size) {
		return nil, fmt.Errorf("%d program headers of %d bytes do not fit in the file", h.phnum, h.phentsize)
	}
	raw := make([]byte, h.phnum*h.phentsize)
	if err := p.readAt(raw, h.phoff); err != nil {
		return nil, fmt.Errorf("program headers: %w", err)
	}
	progs := make([]prog, h.phnum)
	for i := range progs {
		e := raw[uint64(i)*h.phentsize:]
		if h.class == elf.ELFCLASS64 {
			progs[i] = prog{
				typ:    elf.ProgType(h.bo.Uint32(e[0:])),
				off:    h.bo.Uint64(e[8:]),
				vaddr:  h.bo.Uint64(e[16:]),
				filesz: h.bo.Uint64(e[32:]),
			}
		} else {
			progs[i] = prog{
				typ:    elf.ProgType(h.bo.Uint32(e[0:])),
				off:    uint64(h.bo.Uint32(e[4:])),
				vaddr:  uint64(h.bo.Uint32(e[8:])),
				filesz: uint64(h.bo.Uint32(e[16:])),
			}
		}
	}
	return progs, nil
}

// fileOffset maps a link-time virtual address to a file offset through the
// PT_LOAD segments, as the loader sees it once the file is mapped.
func fileOffset(progs []prog, vaddr uint64) (uint64, uint64, bool) {
	for _, ph := range progs {
		if ph.typ != elf.PT_LOAD {
			continue
		}
		if vaddr >= ph.vaddr && vaddr-ph.vaddr < ph.filesz {
			d := vaddr - ph.vaddr
			return ph.off + d, ph.filesz - d, true
		}
	}
	return 0, 0, false
}

// readDynamic reads what the loader uses from the dynamic segment: it
// follows PT_DYNAMIC and the addresses in it (as ld.so does), not the
// section headers, which the loader ignores and tools may have damaged.
// A file without PT_DYNAMIC (a static executable) yields an empty dynInfo.
func readDynamic(p *pageReader, h *header) (*dynInfo, error) {
	progs, err := readProgs(p, h)
	if err != nil {
		return nil, err
	}
	var dyn *prog
	for i := range progs {
		if progs[i].typ == elf.PT_DYNAMIC {
			dyn = &progs[i]
			break
		}
	}
	d := &dynInfo{}
	if dyn == nil {
		return d, nil
	}
	entSize := uint64(16)
	if h.class == elf.ELFCLASS32 {
		entSize = 8
	}
	n := dyn.filesz / entSize
	if n > maxDynEntries || n*entSize > uint64(p.size) {
		return nil, fmt.Errorf("dynamic segment of %d entries does not fit", n)
	}
	raw := make([]byte, n*entSize)
	if err := p.readAt(raw, dyn.off); err != nil {
		return nil, fmt.Errorf("dynamic segment: %w", err)
	}
	var (
		needed                                     []uint64
		soname, rpath, runpath                     uint64
		hasSoname                                  bool
		strtab, strsz, verneed, verneedNum         uint64
		verdef, verdefNum                          uint64
		hasStrtab, hasStrsz, hasVerneed, hasVerdef bool
	)
	for i := uint64(0); i < n; i++ {
		e := raw[i*entSize:]
		var tag elf.DynTag
		var val uint64
		if h.class == elf.ELFCLASS64 {
			tag, val = elf.DynTag(h.bo.Uint64(e)), h.bo.Uint64(e[8:])
		} else {
			tag, val = elf.DynTag(int32(h.bo.Uint32(e))), uint64(h.bo.Uint32(e[4:]))
		}
		if tag == elf.DT_NULL {
			break
		}
		switch tag {
		case elf.DT_NEEDED:
			needed = append(needed, val)
		case elf.DT_SONAME:
			soname, hasSoname = val, true
		case elf.DT_RPATH:
			rpath, d.hasRPath = val, true
		case elf.DT_RUNPATH:
			runpath, d.hasRunPath = val, true
		case elf.DT_STRTAB:
			strtab, hasStrtab = val, true
		case elf.DT_STRSZ:
			strsz, hasStrsz = val, true
		case elf.DT_FLAGS_1:
			d.nodeflib = val&uint64(elf.DF_1_NODEFLIB) != 0
		case elf.DT_VERNEED:
			verneed, hasVerneed = val, true
		case elf.DT_VERNEEDNUM:
			verneedNum = val
		case elf.DT_VERDEF:
			verdef, hasVerdef = val, true
		case elf.DT_VERDEFNUM:
			verdefNum = val
		}
	}
	if len(needed) == 0 && !hasSoname && !d.hasRPath && !d.hasRunPath && !hasVerneed && !hasVerdef {
		return d, nil
	}
	if !hasStrtab {
		return nil, errors.New("dynamic segment has no DT_STRTAB")
	}
	strOff, avail, ok := fileOffset(progs, strtab)
	if !ok {
		return nil, fmt.Errorf("DT_STRTAB %#x is not in a PT_LOAD segment", strtab)
	}
	if !hasStrsz || strsz > avail {
		strsz = avail
	}
	str := func(idx uint64) (string, error) {
		if idx >= strsz {
			return "", fmt.Errorf("string index %#x is outside DT_STRTAB (size %#x)", idx, strsz)
		}
		return p.cstring(strOff+idx, strOff+strsz)
	}
	for _, v := range needed {
		s, err := str(v)
		if err != nil {
			return nil, fmt.Errorf("DT_NEEDED: %w", err)
		}
		d.needed = append(d.needed, s)
	}
	if hasSoname {
		if d.soname, err = str(soname); err != nil {
			return nil, fmt.Errorf("DT_SONAME: %w", err)
		}
	}
	if d.hasRPath {
		if d.rpath, err = str(rpath); err != nil {
			return nil, fmt.Errorf("DT_RPATH: %w", err)
		}
	}
	if d.hasRunPath {
		if d.runpath, err = str(runpath); err != nil {
			return nil, fmt.Errorf("DT_RUNPATH: %w", err)
		}
	}
	if hasVerneed {
		if d.verneed, err = readVerneed(p, h, progs, verneed, verneedNum, str); err != nil {
			return nil, fmt.Errorf("DT_VERNEED: %w", err)
		}
	}
	if hasVerdef {
		d.hasVerdef = true
		if d.verdef, err = readVerdef(p, h, progs, verdef, verdefNum, str); err != nil {
			return nil, fmt.Errorf("DT_VERDEF: %w", err)
		}
	}
	return d, nil
}

// readVerneed walks the Elf_Verneed chain (same layout for both classes):
//
//	vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
//	vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
func readVerneed(p *pageReader, h *header, progs []prog, addr, num uint64, str func(uint64) (string, error)) ([]verNeed, error) {
	off, avail, ok := fileOffset(progs, addr)
	if !ok {
		return nil, fmt.Errorf("address %#x is not in a PT_LOAD segment", addr)
	}
	end := off + avail
	var out []verNeed
	var b [16]byte
	entries := 0
	for i := uint64(0); num == 0 || i < num; i++ {
		if off+16 > end {
			return nil, fmt.Errorf("entry at %#x runs past its segment", off)
		}
		if err := p.readAt(b[:], off); err != nil {
			return nil, err
		}
		if v := h.bo.Uint16(b[0:]); v != 1 {
			return nil, fmt.Errorf("vn_version %d at %#x", v, off)
		}
		cnt := uint64(h.bo.Uint16(b[2:]))
		file, err := str(uint64(h.bo.Uint32(b[4:])))
		if err != nil {
			return nil, err
		}
		aux, next := uint64(h.bo.Uint32(b[8:])), uint64(h.bo.Uint32(b[12:]))
		vn := verNeed{file: file}
		a := off + aux
		for j := uint64(0); j < cnt; j++ {
			if entries++; entries > maxVerEntries {
				return nil, errors.New("too many version entries")
			}
			if a < off || a+16 > end {
				return nil, fmt.Errorf("Elf_Vernaux at %#x is outside its segment", a)
			}
			var x [16]byte
			if err := p.readAt(x[:], a); err != nil {
				return nil, err
			}
			name, err := str(uint64(h.bo.Uint32(x[8:])))
			if err != nil {
				return nil, err
			}
			flags := elf.DynamicVersionFlag(h.bo.Uint16(x[4:]))
			vn.versions = append(vn.versions, verAux{name: name, weak: flags&elf.VER_FLG_WEAK != 0})
			an := uint64(h.bo.Uint32(x[12:]))
			if an == 0 {
				break
			}
			a += an
		}
		out = append(out, vn)
		if entries++; entries > maxVerEntries {
			return nil, errors.New("too many version entries")
		}
		if next == 0 {
			break
		}
		off += next
	}
	return out, nil
}

// readVerdef walks the Elf_Verdef chain and returns the defined version
// names (the first Elf_Verdaux of each entry):
//
//	vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16, vd_hash u32, vd_aux u32, vd_next u32
//	vda_name u32, vda_next u32
func readVerdef(p *pageReader, h *header, progs []prog, addr, num uint64, str func(uint64) (string, error)) ([]string, error) {
	off, avail, ok := fileOffset(progs, addr)
	if !ok {
		return nil, fmt.Errorf("address %#x is not in a PT_LOAD segment", addr)
	}
	end := off + avail
	var out []string
	var b [20]byte
	for i := uint64(0); num == 0 || i < num; i++ {
		if i >= maxVerEntries {
			return nil, errors.New("too many version definitions")
		}
		if off+20 > end {
			return nil, fmt.Errorf("entry at %#x runs past its segment", off)
		}
		if err := p.readAt(b[:], off); err != nil {
			return nil, err
		}
		if v := h.bo.Uint16(b[0:]); v != 1 {
			return nil, fmt.Errorf("vd_version %d at %#x", v, off)
		}
		cnt := h.bo.Uint16(b[6:])
		aux, next := uint64(h.bo.Uint32(b[12:])), uint64(h.bo.Uint32(b[16:]))
		if cnt > 0 {
			a := off + aux
			if a < off || a+8 > end {
				return nil, fmt.Errorf("Elf_Verdaux at %#x is outside its segment", a)
			}
			var x [8]byte
			if err := p.readAt(x[:], a); err != nil {
				return nil, err
			}
			name, err := str(uint64(h.bo.Uint32(x[0:])))
			if err != nil {
				return nil, err
			}
			out = append(out, name)
		}
		if next == 0 {
			break
		}
		off += next
	}
	return out, nil
}
