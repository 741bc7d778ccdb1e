package layerzip

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"testing"
)

func tinyEntries(n int) []Entry {
	es := make([]Entry, n)
	for i := range es {
		es[i] = FileEntry(fmt.Sprintf("d%02d/f%06d.py", i%50, i), 0o644, 2, opener("x\n"))
	}
	return es
}

// endRecords returns the classic end record of data (the archive tail,
// starting at archive offset base) and whether zip64 end records precede it.
func endRecords(t *testing.T, data []byte, base uint64) (count uint16, cdSize, cdOff uint32, zip64 bool) {
	t.Helper()
	end := data[len(data)-22:]
	if binary.LittleEndian.Uint32(end) != sigEnd {
		t.Fatalf("no end record at the end")
	}
	count = binary.LittleEndian.Uint16(end[10:])
	cdSize, cdOff = binary.LittleEndian.Uint32(end[12:]), binary.LittleEndian.Uint32(end[16:])
	if len(data) >= 22+20+56 {
		loc := data[len(data)-22-20:]
		zip64 = binary.LittleEndian.Uint32(loc) == sigLocator
		if zip64 {
			off := binary.LittleEndian.Uint64(loc[8:]) - base
			if off != uint64(len(data)-22-20-56) || binary.LittleEndian.Uint32(data[off:]) != sigEnd64 {
				t.Fatalf("zip64 locator points at %d", off)
			}
		}
	}
	return
}

// TestZip64Count: the switch to zip64 end records depends only on the
// entry count (>= 0xFFFF here), and archive/zip reads both sides.
func TestZip64Count(t *testing.T) {
	if testing.Short() {
		t.Skip("70000 entries")
	}
	for _, n := range []int{0xFFFE, 0xFFFF, 70000} {
		var buf bytes.Buffer
		if err := WriteArchive(&buf, tinyEntries(n), Options{}); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		count, _, _, z := endRecords(t, data, 0)
		if wantZ := n >= 0xFFFF; z != wantZ || (z && count != 0xFFFF) || (!z && int(count) != n) {
			t.Errorf("%d entries: zip64=%v count field %d", n, z, count)
		}
		if z {
			rec := data[len(data)-22-20-56:]
			if c1, c2 := binary.LittleEndian.Uint64(rec[24:]), binary.LittleEndian.Uint64(rec[32:]); c1 != uint64(n) || c2 != uint64(n) {
				t.Errorf("zip64 end record counts %d %d, want %d", c1, c2, n)
			}
		}
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("%d entries: %v", n, err)
		}
		if len(zr.File) != n {
			t.Fatalf("%d entries read back as %d", n, len(zr.File))
		}
		last := zr.File[n-1]
		if rc, err := last.Open(); err != nil {
			t.Fatal(err)
		} else if b, err := io.ReadAll(rc); err != nil || string(b) != "x\n" {
			t.Errorf("last entry: %q %v", b, err)
		}
		if n == 70000 && hasUnzip() {
			unzipTest(t, data)
		}
	}
}

// sparse is an io.ReaderAt over a huge virtual file that is zero except
// for a few segments.
type sparse struct {
	segs []segment
	size int64
}

type segment struct {
	off  int64
	data []byte
}

func (s *sparse) ReadAt(p []byte, off int64) (int, error) {
	if off >= s.size {
		return 0, io.EOF
	}
	n := len(p)
	if int64(n) > s.size-off {
		n = int(s.size - off)
	}
	clear(p[:n])
	for _, g := range s.segs {
		lo, hi := max(off, g.off), min(off+int64(n), g.off+int64(len(g.data)))
		if lo < hi {
			copy(p[lo-off:hi-off], g.data[lo-g.off:hi-g.off])
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// TestZip64SizesAndOffsets lays out, without writing gigabytes, an archive
// whose first entry is 5 GiB (zip64 sizes) so that the next entry's offset
// and the central directory are past 4 GiB, using the real header
// encoders and central directory writer, and reads it with archive/zip.
func TestZip64SizesAndOffsets(t *testing.T) {
	const big = 5 << 30
	d, tm := dosDateTime(dosEpoch)
	e0 := IndexEntry{Name: "big.bin", CRC32: 0xDEADBEEF, CompressedSize: big, UncompressedSize: big,
		Method: methodStore, Mode: sIFREG | 0o644, ModTime: tm, ModDate: d}
	e1 := IndexEntry{Name: "small.py", CRC32: 0x3610A686, CompressedSize: 5, UncompressedSize: 5,
		Method: methodStore, Mode: sIFREG | 0o644, ModTime: tm, ModDate: d}
	e1.Offset = e0.localLen() + big
	x := &FragmentIndex{Format: IndexFormatV1, Entries: []IndexEntry{e0, e1}, Size: e1.Offset + e1.localLen() + 5} // no hashes: a layout, not data
	if err := x.Validate(); err != nil {
		t.Fatal(err)
	}
	var cd bytes.Buffer
	out := &countWriter{w: &cd, n: int64(x.Size)}
	if err := writeCentral(out, x.records); err != nil {
		t.Fatal(err)
	}
	v := &sparse{size: int64(x.Size) + int64(cd.Len()), segs: []segment{
		{0, appendLocal(nil, &e0)},
		{int64(e1.Offset), append(appendLocal(nil, &e1), "hello"...)},
		{int64(x.Size), cd.Bytes()},
	}}
	zr, err := zip.NewReader(v, v.size)
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 2 {
		t.Fatalf("%d entries", len(zr.File))
	}
	f0, f1 := zr.File[0], zr.File[1]
	if f0.UncompressedSize64 != big || f0.CompressedSize64 != big || f0.ReaderVersion != 45 || f0.CreatorVersion != 3<<8|45 {
		t.Errorf("big entry: %d %d v%d/%#x", f0.UncompressedSize64, f0.CompressedSize64, f0.ReaderVersion, f0.CreatorVersion)
	}
	if off, err := f0.DataOffset(); err != nil || off != int64(e0.localLen()) {
		t.Errorf("big entry data offset %d %v", off, err)
	}
	if off, err := f1.DataOffset(); err != nil || off != int64(e1.Offset+e1.localLen()) {
		t.Errorf("entry past 4 GiB: data offset %d %v", off, err)
	}
	rc, err := f1.Open()
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(rc); err != nil || string(b) != "hello" {
		t.Errorf("entry past 4 GiB: %q %v", b, err)
	}
	// Classic fields carry sentinels; the central entries use zip64 extras
	// holding exactly the overflowing values.
	raw := cd.Bytes()
	if binary.LittleEndian.Uint16(raw[30:]) != 4+16 { // e0: both sizes
		t.Errorf("big entry central extra length %d", binary.LittleEndian.Uint16(raw[30:]))
	}
	c1 := raw[centralFixedLen+len(e0.Name)+20:]
	if binary.LittleEndian.Uint32(c1) != sigCentral || binary.LittleEndian.Uint16(c1[30:]) != 4+8 ||
		binary.LittleEndian.Uint32(c1[42:]) != max32 || binary.LittleEndian.Uint32(c1[20:]) != 5 {
		t.Errorf("small entry central header: %x", c1[:46])
	}
	count, size32, off32, z := endRecords(t, raw, x.Size)
	if !z || count != max16 || size32 != max32 || off32 != max32 {
		t.Errorf("end records: zip64=%v %d %d %d", z, count, size32, off32)
	}
}

// TestEndRecordRule checks the zip64 end record switch on each field.
func TestEndRecordRule(t *testing.T) {
	for _, c := range []struct {
		count, size, off uint64
		zip64            bool
	}{
		{0, 0, 0, false},
		{0xFFFE, max32 - 1, max32 - 1, false},
		{0xFFFF, 0, 0, true},
		{1, max32, 0, true},
		{1, 0, max32, true},
	} {
		b := appendEnd(nil, c.count, c.size, c.off)
		if got := len(b) == 22+56+20; got != c.zip64 {
			t.Errorf("%+v: zip64=%v", c, got)
		}
	}
	// Entry zip64 rule: per entry, independent of position.
	e := IndexEntry{Name: "x", CompressedSize: max32 - 1, UncompressedSize: max32 - 1}
	if e.zip64Sizes() || len(appendLocal(nil, &e)) != 31 {
		t.Errorf("entry below the limit uses zip64")
	}
	e.UncompressedSize = max32
	if !e.zip64Sizes() || len(appendLocal(nil, &e)) != 31+20 {
		t.Errorf("entry at the limit does not use zip64")
	}
}
