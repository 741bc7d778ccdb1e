package layerzip

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// IndexFormat identifies the fragment index encoding; it changes whenever
// the encoding or the meaning of a field changes. Format /2 adds, per
// regular file, the SHA-256 of the content and, for ELF shared objects, the
// elf flag and DT_SONAME; the fragment data is the same as with /1.
const IndexFormat = "geolayer-layerzip-fragment/2"

// IndexFormatV1 is the previous index format, still read: it has no
// content hashes, so Assemble cannot deduplicate its files or report its
// libraries as near-duplicates (AssembleResult.Unhashed lists such
// fragments). WriteTo writes an index in the format it was read in.
const IndexFormatV1 = "geolayer-layerzip-fragment/1"

// IndexSuffix is appended to a fragment data path to name its index file
// (layer.frag -> layer.frag.idx).
const IndexSuffix = ".idx"

// FragmentIndex describes a fragment: the entries whose local headers and
// data it holds, in order, with everything the central directory needs.
type FragmentIndex struct {
	// Format is IndexFormat or IndexFormatV1; "" means IndexFormat.
	Format string
	// Size is the length in bytes of the fragment data.
	Size uint64
	// Entries are in fragment order (sorted by name, no duplicates).
	Entries []IndexEntry
}

// IndexEntry is one entry of a fragment.
type IndexEntry struct {
	Name             string `json:"name"`
	CRC32            uint32 `json:"crc32"`
	CompressedSize   uint64 `json:"csize"`
	UncompressedSize uint64 `json:"usize"`
	Method           uint16 `json:"method"`  // 0 stored, 8 deflated
	Flags            uint16 `json:"flags"`   // general purpose bits: only 0x800 (UTF-8 name)
	Mode             uint32 `json:"mode"`    // Unix st_mode with type bits, e.g. 0o100644
	ModTime          uint16 `json:"dostime"` // MS-DOS time
	ModDate          uint16 `json:"dosdate"` // MS-DOS date
	Offset           uint64 `json:"offset"`  // local header offset from the fragment start

	// Format /2 only (empty in /1 indexes):

	// SHA256 is the lowercase hex SHA-256 of a regular file's content
	// (also of an empty file); empty for directories and symlinks.
	SHA256 string `json:"sha256,omitempty"`
	// ELF is set for a regular file that parses as an ELF shared object
	// (ET_DYN, which includes PIE executables) with debug/elf.
	ELF bool `json:"elf,omitempty"`
	// Soname is its DT_SONAME, if it has one that is valid UTF-8 without
	// NUL or '/' (at most 255 bytes); malformed ELF files just have none.
	Soname string `json:"soname,omitempty"`
}

type wireIndex struct {
	Format  string       `json:"format"`
	Size    uint64       `json:"size"`
	Count   int          `json:"count"`
	Entries []IndexEntry `json:"entries"`
}

// WriteTo writes the index as JSON: a header object with one entry object
// per line, fields in a fixed order, so equal indexes give equal bytes:
//
//	{"format":"geolayer-layerzip-fragment/2","size":123,"count":2,"entries":[
//	{"name":"a.py","crc32":1,"csize":2,"usize":3,"method":8,"flags":0,"mode":33188,"dostime":0,"dosdate":33,"offset":0,"sha256":"..."},
//	{"name":"b/","crc32":0,"csize":0,"usize":0,"method":0,"flags":0,"mode":16877,"dostime":0,"dosdate":33,"offset":37}
//	]}
//
// The format is x.Format (IndexFormat when empty); an index read as
// IndexFormatV1 is written back as such.
func (x *FragmentIndex) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriter(w)
	cw := &countWriter{w: bw}
	head, err := json.Marshal(struct {
		Format string `json:"format"`
		Size   uint64 `json:"size"`
		Count  int    `json:"count"`
	}{x.format(), x.Size, len(x.Entries)})
	if err != nil {
		return 0, err
	}
	_, _ = cw.Write(head[:len(head)-1])
	_, _ = cw.Write([]byte(`,"entries":[`))
	for i := range x.Entries {
		line, err := json.Marshal(&x.Entries[i])
		if err != nil {
			return cw.n, err
		}
		if i > 0 {
			_, _ = cw.Write([]byte{','})
		}
		_, _ = cw.Write([]byte{'\n'})
		_, _ = cw.Write(line)
	}
	_, _ = cw.Write([]byte("\n]}\n"))
	if err := cw.err; err != nil {
		return cw.n, err
	}
	return cw.n, bw.Flush()
}

// ReadFragmentIndex decodes and validates an index written by WriteTo.
func ReadFragmentIndex(r io.Reader) (*FragmentIndex, error) {
	dec := json.NewDecoder(bufio.NewReader(r))
	dec.DisallowUnknownFields()
	var w wireIndex
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("layerzip: fragment index: %w", err)
	}
	if w.Format != IndexFormat && w.Format != IndexFormatV1 {
		return nil, fmt.Errorf("layerzip: fragment index format %q, want %q (or %q)", w.Format, IndexFormat, IndexFormatV1)
	}
	if w.Count != len(w.Entries) {
		return nil, fmt.Errorf("layerzip: fragment index lists %d entries, header says %d", len(w.Entries), w.Count)
	}
	x := &FragmentIndex{Format: w.Format, Size: w.Size, Entries: w.Entries}
	if err := x.Validate(); err != nil {
		return nil, err
	}
	return x, nil
}

// format returns the index format, IndexFormat when Format is empty.
func (x *FragmentIndex) format() string {
	if x.Format == "" {
		return IndexFormat
	}
	return x.Format
}

// records yields pointers to the entries, in order.
func (x *FragmentIndex) records(yield func(*IndexEntry) bool) {
	for i := range x.Entries {
		if !yield(&x.Entries[i]) {
			return
		}
	}
}

// hashed reports whether the entries carry content hashes (format /2).
func (x *FragmentIndex) hashed() bool { return x.format() == IndexFormat }

// Validate checks that the index describes a fragment this package could
// have written: a known format, valid sorted unique names, normalized
// modes, consistent methods, sizes and flags, contiguous offsets adding up
// to Size, and (format /2) a SHA-256 for every regular file and ELF fields
// only on regular files.
func (x *FragmentIndex) Validate() error {
	f := x.format()
	if f != IndexFormat && f != IndexFormatV1 {
		return fmt.Errorf("layerzip: fragment index format %q, want %q (or %q)", f, IndexFormat, IndexFormatV1)
	}
	hashed := x.hashed()
	var off uint64
	for i := range x.Entries {
		e := &x.Entries[i]
		if i > 0 && e.Name <= x.Entries[i-1].Name {
			return fmt.Errorf("layerzip: fragment index: %q after %q: names not sorted and unique", e.Name, x.Entries[i-1].Name)
		}
		if err := e.validate(hashed); err != nil {
			return err
		}
		if e.Offset != off {
			return fmt.Errorf("layerzip: fragment index: %s at offset %d, want %d", e.Name, e.Offset, off)
		}
		off += e.localLen() + e.CompressedSize
	}
	if off != x.Size {
		return fmt.Errorf("layerzip: fragment index: entries end at %d, size is %d", off, x.Size)
	}
	return nil
}

func (e *IndexEntry) validate(hashed bool) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("layerzip: fragment index: %s: %s", e.Name, fmt.Sprintf(format, a...))
	}
	dir := strings.HasSuffix(e.Name, "/")
	if err := checkName(e.Name, dir); err != nil {
		return fmt.Errorf("layerzip: fragment index: %w", err)
	}
	var wantFlags uint16
	if !isASCII(e.Name) {
		wantFlags = flagUTF8
	}
	if e.Flags != wantFlags {
		return bad("flags %#x, want %#x", e.Flags, wantFlags)
	}
	switch e.Method {
	case methodStore:
		if e.CompressedSize != e.UncompressedSize {
			return bad("stored with compressed size %d != size %d", e.CompressedSize, e.UncompressedSize)
		}
	case methodDeflate:
		if e.CompressedSize >= e.UncompressedSize {
			return bad("deflated without shrinking")
		}
	default:
		return bad("method %d", e.Method)
	}
	switch e.Mode {
	case sIFREG | 0o644, sIFREG | 0o755:
		if dir {
			return bad("file name ends in '/'")
		}
	case sIFDIR | 0o755:
		if !dir || e.UncompressedSize != 0 || e.CRC32 != 0 {
			return bad("directory with a bad name or content")
		}
	case sIFLNK | 0o777:
		if dir || e.Method != methodStore || e.UncompressedSize == 0 {
			return bad("symlink must be stored with a target")
		}
	default:
		return bad("mode %#o not normalized", e.Mode)
	}
	file := e.Mode&sIFMT == sIFREG
	switch {
	case !hashed:
		if e.SHA256 != "" || e.ELF || e.Soname != "" {
			return bad("sha256/elf/soname in a %s index", IndexFormatV1)
		}
	case file && !isSHA256Hex(e.SHA256):
		return bad("regular file without a valid sha256")
	case !file && (e.SHA256 != "" || e.ELF):
		return bad("sha256 or elf on a directory or symlink")
	case e.Soname != "" && (!e.ELF || !validSoname(e.Soname)):
		return bad("invalid soname %q", e.Soname)
	}
	return nil
}

// isSHA256Hex reports whether s is 64 lowercase hex digits.
func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// countWriter counts bytes and remembers the first error, so that long
// sequences of writes can be checked once.
type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

// ReadFrom lets io.Copy reach the underlying writer's ReadFrom (bufio, and
// through it copy_file_range/sendfile for files).
func (c *countWriter) ReadFrom(r io.Reader) (int64, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := io.Copy(c.w, r)
	c.n += n
	c.err = err
	return n, err
}
