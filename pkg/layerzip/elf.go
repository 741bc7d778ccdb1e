package layerzip

import (
	"bytes"
	"debug/elf"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/geolayer/geolayer/pkg/elfhdr"
)

// elfHeadLen is how many leading bytes looksELFShared needs: the ELF
// header of either class.
const elfHeadLen = elfhdr.Size64

// Bounds on what elfSoname reads, so that a large or malformed library
// costs little memory: the .dynamic section of real libraries is well
// under 1 KiB, a soname a few dozen bytes.
const (
	maxDynamicSection = 256 << 10
	maxSoname         = 255
)

// looksELFShared reports whether head, the first bytes of a file, is an
// ELF header of type ET_DYN (shared object or PIE executable). It is a
// cheap filter before elfSoname, which parses the file with debug/elf and
// refuses everything this refuses.
func looksELFShared(head []byte) bool {
	h, err := elfhdr.Decode(head)
	return err == nil && h.Type == elf.ET_DYN
}

// elfSoname parses the ELF file in ra (size bytes) with debug/elf. ok is
// false when it is not a parseable ET_DYN object; soname is its DT_SONAME,
// or "" when it has none or the dynamic section or string table is
// malformed or too large. It never panics: whatever debug/elf does with
// hostile input, the result is just "not ELF".
func elfSoname(ra io.ReaderAt, size int64) (soname string, ok bool) {
	defer func() {
		if recover() != nil {
			soname, ok = "", false
		}
	}()
	f, err := elf.NewFile(io.NewSectionReader(ra, 0, size))
	if err != nil || f.Type != elf.ET_DYN {
		return "", false
	}
	return dynSoname(f), true
}

// dynSoname reads DT_SONAME from the SHT_DYNAMIC section and the string
// table it links to, reading only the dynamic section (bounded) and the
// soname itself (debug/elf's DynString would load the whole .dynstr,
// megabytes for large C++ libraries).
func dynSoname(f *elf.File) string {
	ds := f.SectionByType(elf.SHT_DYNAMIC)
	if ds == nil || ds.ReaderAt == nil || ds.Size > maxDynamicSection || int(ds.Link) >= len(f.Sections) {
		return ""
	}
	str := f.Sections[ds.Link]
	if str.Type != elf.SHT_STRTAB || str.ReaderAt == nil {
		return ""
	}
	d := make([]byte, ds.Size)
	if _, err := ds.ReadAt(d, 0); err != nil {
		return ""
	}
	entSize := 8
	if f.Class == elf.ELFCLASS64 {
		entSize = 16
	}
	off := uint64(0)
	found := false
	for ; len(d) >= entSize; d = d[entSize:] {
		var tag elf.DynTag
		var val uint64
		if entSize == 16 {
			tag, val = elf.DynTag(f.ByteOrder.Uint64(d)), f.ByteOrder.Uint64(d[8:])
		} else {
			tag, val = elf.DynTag(f.ByteOrder.Uint32(d)), uint64(f.ByteOrder.Uint32(d[4:]))
		}
		if tag == elf.DT_NULL {
			break
		}
		if tag == elf.DT_SONAME {
			off, found = val, true
			break
		}
	}
	if !found || off >= str.Size {
		return ""
	}
	buf := make([]byte, min(maxSoname+1, str.Size-off))
	n, _ := str.ReadAt(buf, int64(off))
	buf = buf[:n]
	end := bytes.IndexByte(buf, 0)
	if end < 0 {
		return ""
	}
	if s := string(buf[:end]); validSoname(s) {
		return s
	}
	return ""
}

// validSoname: what the index accepts as a soname (it must survive JSON
// unchanged and be usable as a file name).
func validSoname(s string) bool {
	return s != "" && len(s) <= maxSoname && utf8.ValidString(s) && !strings.ContainsAny(s, "\x00/")
}

// entryReaderAt gives random access to an entry's content: r itself when
// it is an io.ReaderAt (files from WalkDir are *os.File), otherwise a
// reader that re-opens the entry and skips forward (FileEntry allows open
// to be called again). Call close when done.
func entryReaderAt(e *Entry, r io.Reader) (ra io.ReaderAt, close func()) {
	if ra, ok := r.(io.ReaderAt); ok {
		return ra, func() {}
	}
	s := &reopenReaderAt{open: e.Open}
	return s, s.close
}

// reopenReaderAt implements io.ReaderAt over a function that opens a
// sequential stream: backward reads re-open it, forward reads skip.
type reopenReaderAt struct {
	open func() (io.ReadCloser, error)
	r    io.ReadCloser
	pos  int64
}

func (s *reopenReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if s.r == nil || off < s.pos {
		s.close()
		r, err := s.open()
		if err != nil {
			return 0, err
		}
		s.r, s.pos = r, 0
	}
	if off > s.pos {
		n, err := io.CopyN(io.Discard, s.r, off-s.pos)
		s.pos += n
		if err != nil {
			return 0, err
		}
	}
	n, err := io.ReadFull(s.r, p)
	s.pos += int64(n)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

func (s *reopenReaderAt) close() {
	if s.r != nil {
		_ = s.r.Close()
		s.r = nil
	}
}
