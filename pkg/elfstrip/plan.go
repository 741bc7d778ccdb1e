package elfstrip

// Planning: which sections go, whether that is safe, and where the kept
// non-allocated sections and the new section header table land.

import (
	"cmp"
	"debug/elf"
	"io"
	"slices"
)

// plan is a complete description of the output file.
type plan struct {
	src     *elfFile
	loadEnd uint64
	drop    []bool // by input section index
	newIdx  []int  // input index -> output index, -1 if dropped
	sects   []sectHdr
	oldIdx  []int  // output index -> input index, -1 for an SHT_NULL slot
	moved   []bool // by output index: offset changed
	shoff   uint64
	size    uint64
	header  []byte // patched ELF header
	removed []string
}

// infoIsIndex reports whether sh_info holds a section index.
func infoIsIndex(s *sectHdr) bool {
	switch elf.SectionType(s.typ) {
	case elf.SHT_REL, elf.SHT_RELA:
		return true
	}
	return s.flags&uint64(elf.SHF_INFO_LINK) != 0
}

// chooseDrops applies the mode and then cascades: relocation sections whose
// target or symbol table goes, .symtab_shndx whose symbol table goes, and
// string tables all of whose users go, go too. It is linear in the number
// of sections.
func chooseDrops(f *elfFile, mode Mode) ([]bool, bool) {
	n := len(f.sects)
	drop := make([]bool, n)
	var queue []int
	for i := 1; i < n; i++ {
		if i != f.Shstrndx && mode.wantsDrop(&f.sects[i]) {
			drop[i] = true
			queue = append(queue, i)
		}
	}
	if len(queue) == 0 {
		return drop, false
	}
	// refs[x]: sections whose sh_link, or relocation target, is x.
	refs := make([][]int, n)
	users := make([]int, n) // sections linking to x
	for j := 1; j < n; j++ {
		s := &f.sects[j]
		if l := int(s.link); l > 0 && l < n && l != j {
			refs[l] = append(refs[l], j)
			users[l]++
		}
		if t := elf.SectionType(s.typ); (t == elf.SHT_REL || t == elf.SHT_RELA) && s.info > 0 && int(s.info) < n {
			refs[s.info] = append(refs[s.info], j)
		}
	}
	gone := make([]int, n) // users of x already dropped
	for len(queue) > 0 {
		x := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if l := int(f.sects[x].link); l > 0 && l < n && l != x {
			gone[l]++
			if f.cascades(l, drop, users[l] == gone[l]) {
				drop[l] = true
				queue = append(queue, l)
			}
		}
		for _, j := range refs[x] {
			if f.cascades(j, drop, false) {
				drop[j] = true
				queue = append(queue, j)
			}
		}
	}
	return drop, true
}

// cascades reports whether section i must go now that some section it
// refers to went; allUsersGone is true when every section linking to it
// has gone.
func (f *elfFile) cascades(i int, drop []bool, allUsersGone bool) bool {
	s := &f.sects[i]
	if drop[i] || i == f.Shstrndx || s.alloc() {
		return false
	}
	gone := func(x uint32) bool { return x != 0 && int(x) < len(drop) && drop[x] }
	switch elf.SectionType(s.typ) {
	case elf.SHT_REL, elf.SHT_RELA:
		return gone(s.info) || gone(s.link)
	case elf.SHT_SYMTAB_SHNDX:
		return gone(s.link)
	case elf.SHT_STRTAB:
		return allUsersGone
	}
	return false
}

// checkDrops applies the rules that depend on what is dropped.
func checkDrops(f *elfFile, drop []bool, loadEnd uint64, dynSyms []elf.Symbol) error {
	n := len(f.sects)
	for i := 1; i < n; i++ {
		s := &f.sects[i]
		if drop[i] {
			if !s.hasBytes() {
				continue
			}
			for k, p := range f.progs {
				if p.Filesz > 0 && s.off < p.Off+p.Filesz && p.Off < s.end() {
					return skipf("section %s to drop lies inside segment %d (%v, file %#x-%#x)",
						f.sectLabel(i), k, p.Type, p.Off, p.Off+p.Filesz)
				}
			}
			if s.off < loadEnd {
				return skipf("section %s to drop lies at %#x, before the end of the loaded image (%#x): "+
					"removing it would move segments (a patchelf-style layout)", f.sectLabel(i), s.off, loadEnd)
			}
			continue
		}
		if s.link != 0 {
			if int(s.link) >= n {
				return skipf("section %s: sh_link %d out of range", f.sectLabel(i), s.link)
			}
			if drop[s.link] {
				return skipf("kept section %s links to dropped section %s", f.sectLabel(i), f.sectLabel(int(s.link)))
			}
		}
		if infoIsIndex(s) && s.info != 0 {
			if int(s.info) >= n {
				return skipf("section %s: sh_info %d out of range", f.sectLabel(i), s.info)
			}
			if drop[s.info] {
				return skipf("kept section %s refers to dropped section %s", f.sectLabel(i), f.sectLabel(int(s.info)))
			}
		}
	}
	for _, sym := range dynSyms {
		idx := int(sym.Section)
		if idx > 0 && idx < n && sym.Section < elf.SHN_LORESERVE && drop[idx] {
			return skipf("dynamic symbol %q refers to section %s, which would be dropped", sym.Name, f.sectLabel(idx))
		}
	}
	return nil
}

// pinnedIndices returns how many leading section header slots must keep
// their numbering: .dynsym (allocated, so never rewritten) stores section
// indices in st_shndx, and allocated sections keep their index anyway.
// Dropped sections below that bound leave an SHT_NULL header behind.
func pinnedIndices(f *elfFile, dynSyms []elf.Symbol) int {
	pinned := 0
	for i := range f.sects {
		if f.sects[i].alloc() {
			pinned = i + 1
		}
	}
	for _, sym := range dynSyms {
		if idx := int(sym.Section); idx < len(f.sects) && sym.Section < elf.SHN_LORESERVE {
			pinned = max(pinned, idx+1)
		}
	}
	return pinned
}

// layoutPlan places the output: the loaded image verbatim, then the kept
// non-allocated sections that followed it, packed in their original order
// with their alignment, then the section header table.
// Dropped sections below pinned become empty SHT_NULL headers.
func layoutPlan(f *elfFile, drop []bool, loadEnd uint64, pinned int) (*plan, error) {
	p := &plan{src: f, loadEnd: loadEnd, drop: drop, newIdx: make([]int, len(f.sects))}
	for i := range f.sects {
		if drop[i] {
			p.newIdx[i] = -1
			p.removed = append(p.removed, f.sects[i].nameStr)
			if i < pinned {
				p.sects = append(p.sects, sectHdr{})
				p.oldIdx = append(p.oldIdx, -1)
			}
			continue
		}
		p.newIdx[i] = len(p.sects)
		p.sects = append(p.sects, f.sects[i])
		p.oldIdx = append(p.oldIdx, i)
	}
	p.moved = make([]bool, len(p.sects))
	for j := range p.sects {
		s := &p.sects[j]
		if j == 0 || p.oldIdx[j] < 0 {
			continue
		}
		if s.link != 0 {
			s.link = uint32(p.newIdx[s.link])
		}
		if infoIsIndex(s) && s.info != 0 {
			s.info = uint32(p.newIdx[s.info])
		}
		p.moved[j] = !s.alloc() && s.off >= loadEnd
	}
	order := make([]int, 0, len(p.sects))
	for j, m := range p.moved {
		if m {
			order = append(order, j)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(p.sects[a].off, p.sects[b].off) })
	pos := loadEnd
	for _, j := range order {
		s := &p.sects[j]
		a := max(1, s.addralign)
		if a > maxMovedAlign {
			return nil, skipf("section %s: alignment %#x is too large to move", s.nameStr, a)
		}
		if !s.hasBytes() {
			// No bytes to place, but an offset that keeps its
			// alignment, as the linker gives it, and stays inside the
			// file (the padding counts).
			pos = alignUp(pos, a)
			s.off = pos
			continue
		}
		pos = alignUp(pos, a)
		s.off = pos
		pos += s.size
	}
	p.shoff = alignUp(pos, f.shdrAlign())
	p.size = p.shoff + uint64(len(p.sects))*f.shdrSize()
	p.header = f.patchedHeader(p.shoff, len(p.sects), p.newIdx[f.Shstrndx])
	return p, nil
}

// shdrTable encodes the output section header table.
func (p *plan) shdrTable() []byte {
	b := make([]byte, 0, uint64(len(p.sects))*p.src.shdrSize())
	for j := range p.sects {
		b = p.src.encodeSect(b, &p.sects[j])
	}
	return b
}

// image describes the output as extents over the input and small buffers.
func (p *plan) image(in io.ReaderAt) *image {
	im := &image{in: in}
	im.addBytes(p.header)
	im.addInput(uint64(len(p.header)), p.loadEnd-uint64(len(p.header)))
	order := make([]int, 0, len(p.sects))
	for j, m := range p.moved {
		if m && p.sects[j].hasBytes() {
			order = append(order, j)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(p.sects[a].off, p.sects[b].off) })
	for _, j := range order {
		s := &p.sects[j]
		im.addZero(s.off - im.size)
		im.addInput(p.src.sects[p.oldIdx[j]].off, s.size)
	}
	im.addZero(p.shoff - im.size)
	im.addBytes(p.shdrTable())
	return im
}
