package elfstrip

// Layout rules: which files are "usual" enough to be rewritten at all.
// Every rule here only decides between "go on" and "leave the file alone";
// none of them changes anything.

import (
	"cmp"
	"debug/elf"
	"fmt"
	"io"
	"slices"
)

// skipError carries the reason a file is left untouched.
type skipError struct{ reason string }

func (e *skipError) Error() string { return "elfstrip: skipped: " + e.reason }

func skipf(format string, args ...any) error {
	return &skipError{reason: fmt.Sprintf(format, args...)}
}

// maxMovedAlign caps the alignment of a non-allocated section that is moved.
const maxMovedAlign = 1 << 16

// span is a byte range of the file, [off, end).
type span struct {
	off, end uint64
	what     string
	align    uint64
}

// loadedEnd is the end of the verbatim prefix: the ELF header, the program
// header table and every byte any program header covers.
func (f *elfFile) loadedEnd() uint64 {
	end := f.Ehsize
	end = max(end, f.Phoff+uint64(f.Phnum)*f.Phentsize)
	for _, p := range f.progs {
		end = max(end, p.Off+p.Filesz)
	}
	return end
}

// checkLayout applies the whole-file rules and returns the loaded end.
func checkLayout(r io.ReaderAt, f *elfFile) (uint64, error) {
	for i, p := range f.progs {
		if !within(p.Off, p.Filesz, f.size) {
			return 0, skipf("program header %d (%v) reaches beyond the end of the file", i, p.Type)
		}
		if p.Type != elf.PT_LOAD || p.Align <= 1 {
			continue
		}
		if p.Align&(p.Align-1) != 0 {
			return 0, skipf("PT_LOAD %d: p_align %#x is not a power of two", i, p.Align)
		}
		if (p.Vaddr-p.Off)&(p.Align-1) != 0 {
			return 0, skipf("PT_LOAD %d: (p_vaddr %#x - p_offset %#x) %% p_align %#x != 0", i, p.Vaddr, p.Off, p.Align)
		}
	}
	loadEnd := f.loadedEnd()
	shdrs := span{f.Shoff, f.Shoff + uint64(f.Shnum)*f.Shentsize, "section header table", f.shdrAlign()}
	for i, p := range f.progs {
		if p.Filesz > 0 && shdrs.off < p.Off+p.Filesz && p.Off < shdrs.end {
			return 0, skipf("section header table lies inside segment %d (%v)", i, p.Type)
		}
	}
	if shdrs.off < loadEnd && shdrs.end > loadEnd {
		return 0, skipf("section header table straddles the end of the loaded image")
	}

	var spans []span
	for i := 1; i < len(f.sects); i++ {
		s := &f.sects[i]
		if elf.SectionType(s.typ) == elf.SHT_NOBITS {
			continue
		}
		if !within(s.off, s.size, f.size) {
			return 0, skipf("section %s lies outside the file", f.sectLabel(i))
		}
		if a := s.addralign; a > 1 && a&(a-1) != 0 {
			return 0, skipf("section %s: sh_addralign %d is not a power of two", f.sectLabel(i), a)
		}
		if s.alloc() && s.end() > loadEnd {
			return 0, skipf("allocated section %s lies after the loaded image", f.sectLabel(i))
		}
		if s.size == 0 {
			continue
		}
		if s.off < loadEnd && s.end() > loadEnd {
			return 0, skipf("section %s straddles the end of the loaded image (%#x)", f.sectLabel(i), loadEnd)
		}
		spans = append(spans, span{s.off, s.end(), "section " + f.sectLabel(i), max(1, s.addralign)})
	}
	spans = append(spans,
		span{0, f.Ehsize, "ELF header", 1},
		span{f.Phoff, f.Phoff + uint64(f.Phnum)*f.Phentsize, "program header table", 1},
		shdrs)
	slices.SortStableFunc(spans, func(a, b span) int {
		if a.off != b.off {
			return cmp.Compare(a.off, b.off)
		}
		return cmp.Compare(a.end, b.end)
	})
	for i := 1; i < len(spans); i++ {
		if spans[i].off < spans[i-1].end {
			return 0, skipf("%s overlaps %s", spans[i].what, spans[i-1].what)
		}
	}
	if err := checkTail(r, f, spans, loadEnd); err != nil {
		return 0, err
	}
	return loadEnd, nil
}

// checkTail makes sure every byte after the loaded image belongs to a
// section or the section header table, apart from alignment padding and
// zero fill: data appended to the file (self-extracting archives, signatures)
// would otherwise be lost.
func checkTail(r io.ReaderAt, f *elfFile, spans []span, loadEnd uint64) error {
	pos := loadEnd
	for _, s := range spans {
		if s.off < loadEnd {
			continue
		}
		if gap := s.off - pos; gap >= s.align && s.off > pos {
			if err := checkZero(r, pos, gap, "before "+s.what); err != nil {
				return err
			}
		}
		pos = max(pos, s.end)
	}
	if uint64(f.size) > pos {
		return checkZero(r, pos, uint64(f.size)-pos, "at the end of the file")
	}
	return nil
}

func checkZero(r io.ReaderAt, off, n uint64, where string) error {
	buf := make([]byte, min(n, 64<<10))
	for done := uint64(0); done < n; {
		c := min(n-done, uint64(len(buf)))
		if err := readFull(r, buf[:c], int64(off+done)); err != nil {
			return err
		}
		for _, b := range buf[:c] {
			if b != 0 {
				return skipf("%d bytes at %#x %s are not described by any section", n, off, where)
			}
		}
		done += c
	}
	return nil
}

func alignUp(v, a uint64) uint64 {
	if a <= 1 {
		return v
	}
	return (v + a - 1) &^ (a - 1)
}
