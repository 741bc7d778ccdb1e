package deflate

import (
	"errors"
	"fmt"
	"io"
)

const (
	// maxBlockSyms and maxBlockRaw bound the symbols buffered before they
	// are coded as one or more blocks.
	maxBlockSyms = 1<<16 - 1
	maxBlockRaw  = 1 << 17
	// minLookahead is the input kept ahead of the parse position while more
	// input may come: a search at i reads up to i+maxMatch+8.
	minLookahead = maxMatch + 16
	// bufLimit is the window buffer size. It holds the history window and
	// all the input covered by buffered symbols, with room to spare so
	// that each slide moves at least 128 KiB.
	bufLimit = 1<<bufBits - bufSlack
	bufBits  = 18
	// bufSlack is zeroed space past the data, for 8-byte loads.
	bufSlack = 16
)

var errClosed = errors.New("deflate: write to closed Writer")

// Writer is a raw DEFLATE (RFC 1951) compressor. Its output depends only
// on the input bytes and the level. It holds about 1.3 MB of buffers,
// whatever the input size; use one Writer per goroutine and Reset it
// between streams. Errors from the underlying writer are sticky: Write
// and Close return the first one.
type Writer struct {
	p     params
	m     matcher
	bw    bitWriter
	enc   blockEncoder
	split splitter

	// buf[0:end] is buffered input; buf[i] is at stream offset base+i.
	buf  *window
	base int
	end  int
	pos  int // next position to parse

	// syms[:nsym] is the parse of buf[blockStart:emitPos], not yet coded.
	syms       *[1 << 16]uint32
	nsym       int
	blockStart int
	emitPos    int

	// Lazy evaluation state: the position pos-1 is pending, with the
	// match found there (prevLen < minMatch if none).
	havePrev bool
	prevLen  int
	prevDist int

	closed bool
}

// NewWriter returns a Writer compressing at the given level (1..9) to w.
func NewWriter(w io.Writer, level int) (*Writer, error) {
	if level < 1 || level > 9 {
		return nil, fmt.Errorf("deflate: invalid compression level %d (want 1..9)", level)
	}
	z := &Writer{
		p:    levels[level],
		buf:  new(window),
		syms: new([1 << 16]uint32),
	}
	z.m.init()
	z.bw.out = make([]byte, 0, 1<<17)
	z.bw.reset(w)
	return z, nil
}

// Reset discards the Writer's state and makes it equivalent to a new
// Writer with the same level writing to w, reusing its buffers.
func (z *Writer) Reset(w io.Writer) {
	// Move the absolute positions far enough that no old table entry is
	// within reach; no need to clear the tables.
	z.base += z.end + 2*windowSize
	if z.base >= rebaseAt {
		z.m.rebase(int32(z.base))
		z.base = 0
	}
	z.end, z.pos = 0, 0
	z.nsym = 0
	z.blockStart, z.emitPos = 0, 0
	z.havePrev, z.prevLen, z.prevDist = false, 0, 0
	z.closed = false
	z.bw.reset(w)
}

// Write compresses p. Input is buffered; compressed data is written to
// the underlying writer a block at a time.
func (z *Writer) Write(p []byte) (int, error) {
	if z.closed {
		return 0, errClosed
	}
	n := len(p)
	for len(p) > 0 {
		if z.end == bufLimit {
			z.parse(false)
			z.slide()
		}
		k := copy(z.buf[z.end:bufLimit], p)
		z.end += k
		p = p[k:]
	}
	return n, z.bw.err
}

// Close compresses the remaining input, writes the final block and
// flushes. It does not close the underlying writer.
func (z *Writer) Close() error {
	if z.closed {
		return z.bw.err
	}
	z.closed = true
	z.parse(true)
	z.flushBlock(true)
	z.bw.alignByte()
	z.bw.flushOut()
	return z.bw.err
}

// parse parses the buffered input, all of it if final, else as far as the
// lookahead allows.
func (z *Writer) parse(final bool) {
	limit := z.end - minLookahead
	if final {
		limit = z.end
		clear(z.buf[z.end : z.end+bufSlack])
	}
	if z.p.lazy {
		z.parseLazy(limit, final)
	} else {
		z.parseGreedy(limit)
	}
}

// slide drops input that is neither in the history window nor covered by
// buffered symbols.
func (z *Writer) slide() {
	s := min(z.blockStart, z.pos-windowSize)
	if s <= 0 {
		panic("deflate: internal error: cannot slide")
	}
	copy(z.buf[:], z.buf[s:z.end])
	z.base += s
	z.end -= s
	z.pos -= s
	z.blockStart -= s
	z.emitPos -= s
	if z.base >= rebaseAt {
		z.m.rebase(int32(z.base))
		z.base = 0
	}
}

// emit records a symbol covering n input bytes, coding the buffered
// symbols when the buffer is full.
func (z *Writer) emit(s uint32, n int) {
	if z.record(s, n) {
		z.flushBlock(false)
	}
}

// record records a symbol covering n input bytes and reports whether the
// symbol buffer is full (then flushBlock must be called).
func (z *Writer) record(s uint32, n int) bool {
	z.syms[z.nsym&0xffff] = s
	z.nsym++
	z.emitPos += n
	return z.nsym >= maxBlockSyms || z.emitPos-z.blockStart >= maxBlockRaw
}

// flushBlock codes the buffered symbols as one or more blocks. Unless
// final, a stored last block that is not a whole number of 65535-byte
// blocks is not finished: its tail stays buffered (see carry).
func (z *Writer) flushBlock(final bool) {
	syms := z.syms[:z.nsym]
	if len(syms) == 0 {
		if final {
			// An empty fixed-code block: header and end-of-block code.
			z.bw.writeBits(1|1<<1, 3)
			z.bw.writeBits(fixedLit[endOfBlock]&0xffff, uint(fixedLit[endOfBlock]>>16))
		}
		return
	}
	raw := z.buf[z.blockStart:z.emitPos]
	first := 0  // first symbol of the last block
	rawOff := 0 // its input offset
	var done int
	if len(syms) <= segSyms {
		done = z.enc.writeBlock(&z.bw, syms, raw, final, true)
	} else {
		sp := &z.split
		sp.prepare(syms)
		bounds := sp.split(&z.enc)
		for k := 1; k < len(bounds); k++ {
			a, b := bounds[k-1], bounds[k]
			last := k == len(bounds)-1
			first, rawOff = a*segSyms, sp.raw[a]
			sp.count(&z.enc, a, b)
			done = z.enc.writeCounted(&z.bw, syms[first:min(b*segSyms, len(syms))], raw[sp.raw[a]:sp.raw[b]], final && last, last)
		}
	}
	if rawOff+done < len(raw) {
		z.carry(first, rawOff, rawOff+done)
	} else {
		z.nsym = 0
		z.blockStart = z.emitPos
	}
	z.bw.flushOut()
}

// carry keeps the part of the buffered input that was not written, from
// offset done on. The symbols from index first on cover the input from
// offset off (<= done) on. A match cut in two leaves a shorter match, or
// one or two literals.
func (z *Writer) carry(first, off, done int) {
	start := z.blockStart + off
	cut := z.blockStart + done // first input byte not written
	k := first
	for start+symLen(z.syms[k]) <= cut {
		start += symLen(z.syms[k])
		k++
	}
	// z.syms[k] covers start..; cut falls inside it (or at its start).
	var head [2]uint32
	nh := 0
	if rest := start + symLen(z.syms[k]) - cut; start < cut {
		if rest >= minMatch {
			head[0] = matchSym(rest, int(z.syms[k]&0x7fff)+1)
			nh = 1
		} else {
			for i := 0; i < rest; i++ {
				head[nh] = litSym(z.buf[cut+i])
				nh++
			}
		}
		k++
	}
	n := copy(z.syms[nh:], z.syms[k:z.nsym])
	copy(z.syms[:], head[:nh])
	z.nsym = nh + n
	z.blockStart = cut
}
