package layerzip

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// IndexFormat identifies the fragment index encoding; it changes whenever
// the encoding or the meaning of a field changes.
const IndexFormat = "geolayer-layerzip-fragment/1"

// IndexSuffix is appended to a fragment data path to name its index file
// (layer.frag -> layer.frag.idx).
const IndexSuffix = ".idx"

// FragmentIndex describes a fragment: the entries whose local headers and
// data it holds, in order, with everything the central directory needs.
type FragmentIndex struct {
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
//	{"format":"geolayer-layerzip-fragment/1","size":123,"count":2,"entries":[
//	{"name":"a.py","crc32":1,"csize":2,"usize":3,"method":8,"flags":0,"mode":33188,"dostime":0,"dosdate":33,"offset":0},
//	{"name":"b/","crc32":0,"csize":0,"usize":0,"method":0,"flags":0,"mode":16877,"dostime":0,"dosdate":33,"offset":37}
//	]}
func (x *FragmentIndex) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriter(w)
	cw := &countWriter{w: bw}
	head, err := json.Marshal(struct {
		Format string `json:"format"`
		Size   uint64 `json:"size"`
		Count  int    `json:"count"`
	}{IndexFormat, x.Size, len(x.Entries)})
	if err != nil {
		return 0, err
	}
	cw.Write(head[:len(head)-1])
	cw.Write([]byte(`,"entries":[`))
	for i := range x.Entries {
		line, err := json.Marshal(&x.Entries[i])
		if err != nil {
			return cw.n, err
		}
		if i > 0 {
			cw.Write([]byte{','})
		}
		cw.Write([]byte{'\n'})
		cw.Write(line)
	}
	cw.Write([]byte("\n]}\n"))
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
	if w.Format != IndexFormat {
		return nil, fmt.Errorf("layerzip: fragment index format %q, want %q", w.Format, IndexFormat)
	}
	if w.Count != len(w.Entries) {
		return nil, fmt.Errorf("layerzip: fragment index lists %d entries, header says %d", len(w.Entries), w.Count)
	}
	x := &FragmentIndex{Size: w.Size, Entries: w.Entries}
	if err := x.Validate(); err != nil {
		return nil, err
	}
	return x, nil
}

// Validate checks that the index describes a fragment this package could
// have written: valid sorted unique names, normalized modes, consistent
// methods, sizes and flags, and contiguous offsets adding up to Size.
func (x *FragmentIndex) Validate() error {
	var off uint64
	for i := range x.Entries {
		e := &x.Entries[i]
		if i > 0 && e.Name <= x.Entries[i-1].Name {
			return fmt.Errorf("layerzip: fragment index: %q after %q: names not sorted and unique", e.Name, x.Entries[i-1].Name)
		}
		if err := e.validate(); err != nil {
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

func (e *IndexEntry) validate() error {
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
	return nil
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
