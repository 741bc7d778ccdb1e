package elfcheck

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"

	"github.com/geolayer/geolayer/pkg/elfhdr"
)

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

// loadable reports whether the object is something ld.so maps: a shared
// object (including PIE executables) or an executable.
func loadable(h *elfhdr.Header) bool { return h.Type == elf.ET_DYN || h.Type == elf.ET_EXEC }

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

// readHeader reads and decodes the ELF identification and header. It
// returns elfhdr.ErrNotELF when the magic is missing.
func readHeader(p *pageReader) (*elfhdr.Header, error) {
	var b [elfhdr.Size64]byte
	if p.size < 4 {
		return nil, elfhdr.ErrNotELF
	}
	if err := p.readAt(b[:4], 0); err != nil {
		return nil, err
	}
	if !elfhdr.HasMagic(b[:4]) {
		return nil, elfhdr.ErrNotELF
	}
	if err := p.readAt(b[:elfhdr.IdentSize], 0); err != nil {
		return nil, fmt.Errorf("truncated ELF identification: %w", err)
	}
	id, err := elfhdr.ParseIdent(b[:elfhdr.IdentSize])
	if err != nil {
		return nil, err
	}
	if err := p.readAt(b[:id.HeaderSize()], 0); err != nil {
		return nil, fmt.Errorf("truncated ELF header: %w", err)
	}
	return elfhdr.Decode(b[:id.HeaderSize()])
}

func readProgs(p *pageReader, h *elfhdr.Header) ([]elfhdr.Prog, error) {
	if h.Phnum == 0 {
		return nil, nil
	}
	if h.Phnum == 0xffff { // PN_XNUM: count in section 0; never seen in loadable objects
		return nil, errors.New("PN_XNUM program header count is not supported")
	}
	if h.Phentsize < h.ProgSize() {
		return nil, fmt.Errorf("program header entry size %d is smaller than %d", h.Phentsize, h.ProgSize())
	}
	if h.Phnum > maxProgs {
		return nil, fmt.Errorf("%d program headers", h.Phnum)
	}
	if uint64(h.Phnum)*h.Phentsize > uint64(p.size) {
		return nil, fmt.Errorf("%d program headers of %d bytes do not fit in the file", h.Phnum, h.Phentsize)
	}
	raw := make([]byte, uint64(h.Phnum)*h.Phentsize)
	if err := p.readAt(raw, h.Phoff); err != nil {
		return nil, fmt.Errorf("program headers: %w", err)
	}
	return h.DecodeProgs(raw, h.Phnum, h.Phentsize)
}

// fileOffset maps a link-time virtual address to a file offset through the
// PT_LOAD segments, as the loader sees it once the file is mapped.
func fileOffset(progs []elfhdr.Prog, vaddr uint64) (uint64, uint64, bool) {
	for _, ph := range progs {
		if ph.Type != elf.PT_LOAD {
			continue
		}
		if vaddr >= ph.Vaddr && vaddr-ph.Vaddr < ph.Filesz {
			d := vaddr - ph.Vaddr
			return ph.Off + d, ph.Filesz - d, true
		}
	}
	return 0, 0, false
}

// readDynamic reads what the loader uses from the dynamic segment: it
// follows PT_DYNAMIC and the addresses in it (as ld.so does), not the
// section headers, which the loader ignores and tools may have damaged.
// A file without PT_DYNAMIC (a static executable) yields an empty dynInfo.
func readDynamic(p *pageReader, h *elfhdr.Header) (*dynInfo, error) {
	progs, err := readProgs(p, h)
	if err != nil {
		return nil, err
	}
	var dyn *elfhdr.Prog
	for i := range progs {
		if progs[i].Type == elf.PT_DYNAMIC {
			dyn = &progs[i]
			break
		}
	}
	d := &dynInfo{}
	if dyn == nil {
		return d, nil
	}
	entSize := uint64(16)
	if h.Class == elf.ELFCLASS32 {
		entSize = 8
	}
	n := dyn.Filesz / entSize
	if n > maxDynEntries || n*entSize > uint64(p.size) {
		return nil, fmt.Errorf("dynamic segment of %d entries does not fit", n)
	}
	raw := make([]byte, n*entSize)
	if err := p.readAt(raw, dyn.Off); err != nil {
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
		if h.Class == elf.ELFCLASS64 {
			tag, val = elf.DynTag(h.ByteOrder.Uint64(e)), h.ByteOrder.Uint64(e[8:])
		} else {
			tag, val = elf.DynTag(int32(h.ByteOrder.Uint32(e))), uint64(h.ByteOrder.Uint32(e[4:]))
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
func readVerneed(p *pageReader, h *elfhdr.Header, progs []elfhdr.Prog, addr, num uint64, str func(uint64) (string, error)) ([]verNeed, error) {
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
		if v := h.ByteOrder.Uint16(b[0:]); v != 1 {
			return nil, fmt.Errorf("vn_version %d at %#x", v, off)
		}
		cnt := uint64(h.ByteOrder.Uint16(b[2:]))
		file, err := str(uint64(h.ByteOrder.Uint32(b[4:])))
		if err != nil {
			return nil, err
		}
		aux, next := uint64(h.ByteOrder.Uint32(b[8:])), uint64(h.ByteOrder.Uint32(b[12:]))
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
			name, err := str(uint64(h.ByteOrder.Uint32(x[8:])))
			if err != nil {
				return nil, err
			}
			flags := elf.DynamicVersionFlag(h.ByteOrder.Uint16(x[4:]))
			vn.versions = append(vn.versions, verAux{name: name, weak: flags&elf.VER_FLG_WEAK != 0})
			an := uint64(h.ByteOrder.Uint32(x[12:]))
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
func readVerdef(p *pageReader, h *elfhdr.Header, progs []elfhdr.Prog, addr, num uint64, str func(uint64) (string, error)) ([]string, error) {
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
		if v := h.ByteOrder.Uint16(b[0:]); v != 1 {
			return nil, fmt.Errorf("vd_version %d at %#x", v, off)
		}
		cnt := h.ByteOrder.Uint16(b[6:])
		aux, next := uint64(h.ByteOrder.Uint32(b[12:])), uint64(h.ByteOrder.Uint32(b[16:]))
		if cnt > 0 {
			a := off + aux
			if a < off || a+8 > end {
				return nil, fmt.Errorf("Elf_Verdaux at %#x is outside its segment", a)
			}
			var x [8]byte
			if err := p.readAt(x[:], a); err != nil {
				return nil, err
			}
			name, err := str(uint64(h.ByteOrder.Uint32(x[0:])))
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
