package layerzip

import (
	"bufio"
	"errors"
	"io"
	"os"
	"sync"
)

// chunkSize is the unit of the memory budget: compressed data is held in
// chunks of this size, recycled between entries. Small, because most
// entries of a Python layer compress to a few KiB.
const chunkSize = 4 << 10

// budget is a counting semaphore over chunks and over spill files, plus a
// free list of chunk buffers. Only the dispatcher acquires, in entry order,
// so the entry the writer waits for always holds its reservation and the
// pipeline cannot deadlock; workers and the writer only release.
type budget struct {
	mu     sync.Mutex
	cond   sync.Cond
	avail  int64 // chunks
	spills int   // spill files that may still be opened
	closed bool
	free   [][]byte
}

func newBudget(chunks int64, spills int) *budget {
	b := &budget{avail: chunks, spills: spills}
	b.cond.L = &b.mu
	return b
}

// acquire blocks until n chunks (and a spill file if spill) are available;
// false once closed.
func (b *budget) acquire(n int64, spill bool) bool {
	need := 0
	if spill {
		need = 1
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for (b.avail < n || b.spills < need) && !b.closed {
		b.cond.Wait()
	}
	if b.closed {
		return false
	}
	b.avail -= n
	b.spills -= need
	return true
}

// releaseSpill returns a spill file slot.
func (b *budget) releaseSpill() {
	b.mu.Lock()
	b.spills++
	b.mu.Unlock()
	b.cond.Broadcast()
}

func (b *budget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.avail += n
	b.mu.Unlock()
	b.cond.Broadcast()
}

// close wakes a blocked acquire for shutdown.
func (b *budget) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.cond.Broadcast()
}

// chunk returns a buffer from the free list or a new one. The caller must
// hold a reservation for it.
func (b *budget) chunk() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n := len(b.free); n > 0 {
		c := b.free[n-1]
		b.free = b.free[:n-1]
		return c
	}
	return make([]byte, chunkSize)
}

// putChunks recycles buffers and releases their reservation.
func (b *budget) putChunks(cs [][]byte) {
	if len(cs) == 0 {
		return
	}
	b.mu.Lock()
	b.free = append(b.free, cs...)
	b.avail += int64(len(cs))
	b.mu.Unlock()
	b.cond.Broadcast()
}

// errNoGain stops compression once the output reaches the input size: the
// entry will be stored instead.
var errNoGain = errors.New("layerzip: deflate does not shrink the data")

// memSink holds compressed output in budget chunks, never more than limit
// bytes nor more chunks than reserved.
type memSink struct {
	b        *budget
	chunks   [][]byte
	n        int64
	limit    int64
	reserved int64 // chunks reserved and not yet taken
}

func (m *memSink) Write(p []byte) (int, error) {
	if m.n+int64(len(p)) > m.limit {
		return 0, errNoGain
	}
	w := 0
	for w < len(p) {
		at := int(m.n % chunkSize)
		if at == 0 {
			if m.reserved == 0 {
				return w, errNoGain // cannot happen: limit <= reserved*chunkSize
			}
			m.reserved--
			m.chunks = append(m.chunks, m.b.chunk())
		}
		c := copy(m.chunks[len(m.chunks)-1][at:], p[w:])
		w += c
		m.n += int64(c)
	}
	return w, nil
}

// writeTo writes the held bytes to w.
func (m *memSink) writeTo(w io.Writer) error {
	left := m.n
	for _, c := range m.chunks {
		k := min(left, chunkSize)
		if _, err := w.Write(c[:k]); err != nil {
			return err
		}
		left -= k
	}
	return nil
}

// trim releases the chunks reserved but not used.
func (m *memSink) trim() {
	m.b.release(m.reserved)
	m.reserved = 0
}

// free returns all chunks and the unused reservation.
func (m *memSink) free() {
	m.trim()
	m.b.putChunks(m.chunks)
	m.chunks, m.n = nil, 0
}

// spillSink writes compressed output to an unlinked temporary file, never
// more than limit bytes.
type spillSink struct {
	f     *os.File
	name  string // still to remove when unlinking early failed (non-Unix)
	bw    *bufio.Writer
	n     int64
	limit int64
}

func newSpillSink(dir string, limit int64) (*spillSink, error) {
	f, err := os.CreateTemp(dir, "layerzip-*.spill")
	if err != nil {
		return nil, err
	}
	s := &spillSink{f: f, bw: bufio.NewWriterSize(f, 64<<10), limit: limit}
	if os.Remove(f.Name()) != nil {
		s.name = f.Name()
	}
	return s, nil
}

func (s *spillSink) Write(p []byte) (int, error) {
	if s.n+int64(len(p)) > s.limit {
		return 0, errNoGain
	}
	n, err := s.bw.Write(p)
	s.n += int64(n)
	return n, err
}

// rewind flushes and positions the file for reading.
func (s *spillSink) rewind() error {
	if err := s.bw.Flush(); err != nil {
		return err
	}
	s.bw = nil // the buffer is not needed while the file waits to be copied
	_, err := s.f.Seek(0, io.SeekStart)
	return err
}

func (s *spillSink) free() {
	if s == nil || s.f == nil {
		return
	}
	_ = s.f.Close()
	if s.name != "" {
		_ = os.Remove(s.name)
	}
	s.f = nil
}
