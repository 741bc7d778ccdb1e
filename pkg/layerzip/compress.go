package layerzip

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"

	"github.com/geolayer/geolayer/pkg/deflate"
)

// job is one entry travelling through the pipeline. The dispatcher fills e
// and held; the worker fills the result fields before closing done; the
// writer reads them after <-done and then calls cleanup.
type job struct {
	e         *Entry
	held      int64 // budget chunks reserved for this job, not yet handed to mem
	spillSlot bool  // holds a spill file slot
	done      chan struct{}

	rec    IndexEntry // everything but Offset
	mem    *memSink   // deflated data held in memory, or
	spill  *spillSink // deflated data in a temporary file, or
	reread bool       // stored file: the writer copies the content again
	err    error
}

// reservation is the number of chunks the dispatcher reserves for e. A
// deflated entry is kept only if it is smaller than the original, so
// Size-1 bytes is the most any in-memory entry can need. Entries above the
// spill threshold use no memory budget but a spill slot (spill == true).
func reservation(e *Entry, st *settings) (chunks int64, spill bool) {
	if e.kind() != kindFile || e.Size <= 1 {
		return 0, false
	}
	if e.Size > st.spill {
		return 0, true
	}
	return (e.Size - 1 + chunkSize - 1) / chunkSize, false
}

func (j *job) cleanup(b *budget) {
	if j.mem != nil {
		j.mem.free()
		j.mem = nil
	}
	b.release(j.held)
	j.held = 0
	j.spill.free()
	j.spill = nil
	if j.spillSlot {
		b.releaseSpill()
		j.spillSlot = false
	}
}

// worker compresses entries; each goroutine owns one.
type worker struct {
	st  *settings
	b   *budget
	fw  *deflate.Writer
	sha hash.Hash
	buf []byte
}

func newWorker(st *settings, b *budget) *worker {
	return &worker{st: st, b: b, sha: sha256.New(), buf: make([]byte, 128<<10)}
}

// emptySHA256 is the SHA-256 of no bytes, the hash of every empty file.
var emptySHA256 = func() string { h := sha256.Sum256(nil); return hex.EncodeToString(h[:]) }()

// run computes the entry's record and, for a non-empty regular file, its
// deflated data or the decision to store it.
func (w *worker) run(j *job) {
	e := j.e
	j.rec = IndexEntry{Name: e.Name, Mode: e.unixMode(), ModTime: w.st.dosTime, ModDate: w.st.dosDate}
	if !isASCII(e.Name) {
		j.rec.Flags = flagUTF8
	}
	switch e.kind() {
	case kindDir:
		return
	case kindSymlink:
		j.rec.CRC32 = crc32.ChecksumIEEE([]byte(e.LinkTarget))
		j.rec.CompressedSize = uint64(len(e.LinkTarget))
		j.rec.UncompressedSize = j.rec.CompressedSize
		return
	}
	j.rec.UncompressedSize = uint64(e.Size)
	j.rec.CompressedSize = uint64(e.Size)
	if e.Size == 0 {
		j.rec.SHA256 = emptySHA256
		return
	}
	j.err = w.deflate(j)
}

func (w *worker) deflate(j *job) error {
	e := j.e
	limit := e.Size - 1 // deflated data must be smaller than the original
	var sink io.Writer
	if e.Size <= w.st.spill {
		j.mem = &memSink{b: w.b, limit: limit, reserved: j.held}
		j.held = 0
		sink = j.mem
	} else {
		s, err := newSpillSink(w.st.tempDir, limit)
		if err != nil {
			return fmt.Errorf("layerzip: %s: %w", e.Name, err)
		}
		j.spill, sink = s, s
	}
	if w.fw == nil {
		fw, err := deflate.NewWriter(sink, w.st.level)
		if err != nil {
			return err
		}
		w.fw = fw
	} else {
		w.fw.Reset(sink)
	}
	r, err := e.Open()
	if err != nil {
		return fmt.Errorf("layerzip: %s: %w", e.Name, err)
	}
	defer func() { _ = r.Close() }()
	var crc uint32
	var n int64
	var head [elfHeadLen]byte
	nh := 0
	w.sha.Reset()
	gain := true
	for {
		k, rerr := r.Read(w.buf)
		if k > 0 {
			n += int64(k)
			if n > e.Size {
				break
			}
			crc = crc32.Update(crc, crc32.IEEETable, w.buf[:k])
			w.sha.Write(w.buf[:k])
			if nh < len(head) {
				nh += copy(head[nh:], w.buf[:k])
			}
			if gain {
				if _, err := w.fw.Write(w.buf[:k]); err != nil {
					if !errors.Is(err, errNoGain) {
						return fmt.Errorf("layerzip: %s: %w", e.Name, err)
					}
					gain = false
				}
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("layerzip: %s: %w", e.Name, rerr)
		}
	}
	if n != e.Size {
		if n > e.Size {
			return fmt.Errorf("layerzip: %s: size changed while archiving (expected %d bytes, got more)", e.Name, e.Size)
		}
		return fmt.Errorf("layerzip: %s: size changed while archiving (expected %d bytes, got %d)", e.Name, e.Size, n)
	}
	j.rec.CRC32 = crc
	var sum [sha256.Size]byte
	j.rec.SHA256 = hex.EncodeToString(w.sha.Sum(sum[:0]))
	if looksELFShared(head[:nh]) {
		// Metadata only: a malformed ELF file just gets no soname.
		ra, done := entryReaderAt(e, r)
		j.rec.Soname, j.rec.ELF = elfSoname(ra, e.Size)
		done()
	}
	if gain {
		if err := w.fw.Close(); err != nil {
			if !errors.Is(err, errNoGain) {
				return fmt.Errorf("layerzip: %s: %w", e.Name, err)
			}
			gain = false
		}
	}
	if !gain {
		j.reread = true
		if j.mem != nil {
			j.mem.free()
			j.mem = nil
		}
		j.spill.free()
		j.spill = nil
		return nil
	}
	j.rec.Method = methodDeflate
	if j.mem != nil {
		j.rec.CompressedSize = uint64(j.mem.n)
		j.mem.trim()
		return nil
	}
	j.rec.CompressedSize = uint64(j.spill.n)
	if err := j.spill.rewind(); err != nil {
		return fmt.Errorf("layerzip: %s: spill file: %w", e.Name, err)
	}
	return nil
}

// copyStored copies a stored file's content, checking it still matches the
// size and CRC computed by the worker.
func copyStored(out io.Writer, j *job, buf []byte) error {
	e := j.e
	r, err := e.Open()
	if err != nil {
		return fmt.Errorf("layerzip: %s: %w", e.Name, err)
	}
	defer func() { _ = r.Close() }()
	h := crc32.NewIEEE()
	n, err := io.CopyBuffer(io.MultiWriter(out, h), io.LimitReader(r, e.Size+1), buf)
	if err != nil {
		return fmt.Errorf("layerzip: %s: %w", e.Name, err)
	}
	if n != e.Size || h.Sum32() != j.rec.CRC32 {
		return fmt.Errorf("layerzip: %s: content changed while archiving", e.Name)
	}
	return nil
}
