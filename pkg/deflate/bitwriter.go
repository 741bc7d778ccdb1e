package deflate

import (
	"encoding/binary"
	"io"
)

// bitWriter packs bits LSB first (RFC 1951 3.1.1) into a byte buffer
// through a 64-bit accumulator. Whole 32-bit words are moved to the
// buffer as soon as they are complete; the buffer is handed to the
// underlying writer at block boundaries. Write errors are sticky.
type bitWriter struct {
	w     io.Writer
	acc   uint64 // pending bits, LSB first
	nacc  uint   // number of pending bits, always < 32 between calls
	out   []byte // complete bytes not yet written to w
	err   error
	total int64 // bytes handed to w so far
}

// writeBits appends the n low bits of v (n <= 32, v < 1<<n).
func (b *bitWriter) writeBits(v uint32, n uint) {
	b.acc |= uint64(v) << b.nacc
	b.nacc += n
	if b.nacc >= 32 {
		b.out = binary.LittleEndian.AppendUint32(b.out, uint32(b.acc))
		b.acc >>= 32
		b.nacc -= 32
	}
}

// bitPos returns the number of bits written so far modulo 8.
func (b *bitWriter) bitPos() uint { return b.nacc & 7 }

// alignByte pads with zero bits up to a byte boundary and moves all
// pending bits to the byte buffer.
func (b *bitWriter) alignByte() {
	if b.nacc&7 != 0 {
		b.writeBits(0, 8-b.nacc&7)
	}
	for b.nacc > 0 {
		b.out = append(b.out, byte(b.acc))
		b.acc >>= 8
		b.nacc -= 8
	}
}

// writeBytes appends raw bytes; the writer must be byte aligned.
func (b *bitWriter) writeBytes(p []byte) {
	b.out = append(b.out, p...)
	if len(b.out) >= 1<<16 {
		b.flushOut()
	}
}

// flushOut hands the complete bytes to the underlying writer.
func (b *bitWriter) flushOut() {
	if len(b.out) == 0 {
		return
	}
	if b.err == nil {
		var n int
		n, b.err = b.w.Write(b.out)
		b.total += int64(n)
	}
	b.out = b.out[:0]
}

func (b *bitWriter) reset(w io.Writer) {
	b.w = w
	b.acc, b.nacc = 0, 0
	b.out = b.out[:0]
	b.err = nil
	b.total = 0
}
