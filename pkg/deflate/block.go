package deflate

import "encoding/binary"

// Symbols: the match finder records the parse as a sequence of uint32
// symbols, one per literal or match. A literal is its byte value; a match
// has matchFlag set, its distance code in bits 23..27, length-3 in bits
// 15..22 and distance-1 in bits 0..14.
const matchFlag = 1 << 31

func litSym(b byte) uint32 { return uint32(b) }

func matchSym(length, dist int) uint32 {
	d1 := uint32(dist - 1)
	return matchFlag | distCode(d1)<<23 | uint32(length-minMatch)<<15 | d1
}

// symDistCode returns the distance code of a match symbol.
func symDistCode(s uint32) uint32 { return (s >> 23) & 31 }

// symLen returns the number of input bytes a symbol covers.
func symLen(s uint32) int {
	if s < matchFlag {
		return 1
	}
	return int((s>>15)&0xff) + minMatch
}

// blockEncoder chooses the cheapest block type for a run of symbols and
// writes it. All scratch space lives here so that encoding does not
// allocate.
type blockEncoder struct {
	hb        huffBuilder
	litFreq   [numLitLen]uint32
	distFreq  [numDist]uint32
	litLens   [numLitLen]uint8
	distLens  [numDist]uint8
	litCodes  [288]uint32
	distCodes [numDist]uint32

	// Code-length code: the run-length coded lengths (symbol | extra<<8),
	// their histogram and code.
	clTokens [numLitLen + numDist]uint16
	nTokens  int
	clFreq   [numCodeLen]uint32
	clLens   [numCodeLen]uint8
	clCodes  [numCodeLen]uint32
	hlit     int
	hdist    int
	hclen    int
}

// histogram counts the literal/length and distance codes of syms, plus
// one end-of-block code.
func (e *blockEncoder) histogram(syms []uint32) {
	clear(e.litFreq[:])
	clear(e.distFreq[:])
	for _, s := range syms {
		if s < matchFlag {
			e.litFreq[s&0xff]++
			continue
		}
		e.litFreq[257+(lenInfo[(s>>15)&0xff]&0xff)]++
		e.distFreq[symDistCode(s)]++
	}
	e.litFreq[endOfBlock] = 1
}

// extraBits returns the number of extra bits the histogram's lengths and
// distances need, whatever the code.
func (e *blockEncoder) extraBits() int {
	n := 0
	for c := 0; c < 29; c++ {
		n += int(e.litFreq[257+c]) * int(lengthExtra[c])
	}
	for c := 0; c < numDist; c++ {
		n += int(e.distFreq[c]) * int(distExtra[c])
	}
	return n
}

// fixedBits returns the size of the histogram's symbols in the fixed
// code, without the block header and extra bits.
func (e *blockEncoder) fixedBits() int {
	n := 0
	for s, f := range e.litFreq {
		n += int(f) * int(fixedLitLens[s])
	}
	for _, f := range e.distFreq {
		n += int(f) * 5
	}
	return n
}

// buildDynamic builds the dynamic codes for the histogram and the
// run-length coded header, and returns the header size in bits (without
// the 3 block-header bits) plus the size of the coded symbols without
// extra bits.
func (e *blockEncoder) buildDynamic() int {
	e.hb.lengths(e.litFreq[:], e.litLens[:], maxCodeBits)
	e.hb.lengths(e.distFreq[:], e.distLens[:], maxCodeBits)
	e.hlit = numLitLen
	for e.hlit > 257 && e.litLens[e.hlit-1] == 0 {
		e.hlit--
	}
	e.hdist = numDist
	for e.hdist > 1 && e.distLens[e.hdist-1] == 0 {
		e.hdist--
	}
	e.tokenize()
	clear(e.clFreq[:])
	for _, t := range e.clTokens[:e.nTokens] {
		e.clFreq[t&0xff]++
	}
	e.hb.lengths(e.clFreq[:], e.clLens[:], maxCLBits)
	e.hclen = numCodeLen
	for e.hclen > 4 && e.clLens[codeLenOrder[e.hclen-1]] == 0 {
		e.hclen--
	}
	bits := 5 + 5 + 4 + 3*e.hclen
	for s, f := range e.clFreq {
		bits += int(f) * int(e.clLens[s])
	}
	bits += 2*int(e.clFreq[16]) + 3*int(e.clFreq[17]) + 7*int(e.clFreq[18])
	for s, f := range e.litFreq {
		bits += int(f) * int(e.litLens[s])
	}
	for s, f := range e.distFreq {
		bits += int(f) * int(e.distLens[s])
	}
	return bits
}

// tokenize run-length codes the literal/length and distance code lengths
// (as one sequence) with the code-length alphabet: 16 repeats the
// previous length 3..6 times, 17 codes 3..10 zeros, 18 codes 11..138.
func (e *blockEncoder) tokenize() {
	var seq [numLitLen + numDist]uint8
	n := copy(seq[:], e.litLens[:e.hlit])
	n += copy(seq[n:], e.distLens[:e.hdist])
	t := 0
	for i := 0; i < n; {
		v := seq[i]
		run := 1
		for i+run < n && seq[i+run] == v {
			run++
		}
		i += run
		if v == 0 {
			for run >= 11 {
				k := min(run, 138)
				e.clTokens[t] = 18 | uint16(k-11)<<8
				t++
				run -= k
			}
			if run >= 3 {
				e.clTokens[t] = 17 | uint16(run-3)<<8
				t++
				run = 0
			}
		} else {
			e.clTokens[t] = uint16(v)
			t++
			run--
			for run >= 3 {
				k := min(run, 6)
				e.clTokens[t] = 16 | uint16(k-3)<<8
				t++
				run -= k
			}
		}
		for ; run > 0; run-- {
			e.clTokens[t] = uint16(v)
			t++
		}
	}
	e.nTokens = t
}

// storedBits returns the size in bits of n raw bytes as stored blocks,
// when the first block header starts at bit offset pos (mod 8).
func storedBits(n int, pos uint) int {
	chunks := (n + 0xffff - 1) / 0xffff
	if chunks == 0 {
		chunks = 1
	}
	pad := int(8-(pos+3)&7) & 7
	return 3 + pad + 32 + (chunks-1)*(3+5+32) + 8*n
}

// bestCost returns the size in bits of the histogram's block in the
// cheapest of the three block types, for rawLen input bytes, starting at
// bit offset pos.
func (e *blockEncoder) bestCost(rawLen int, pos uint) int {
	extra := e.extraBits()
	fixed := 3 + e.fixedBits() + extra
	dynamic := 3 + e.buildDynamic() + extra
	return min(fixed, dynamic, storedBits(rawLen, pos))
}

// writeBlock writes syms, which cover the input raw, as one block,
// choosing the smallest of stored, fixed and dynamic Huffman. It returns
// len(raw), unless partial is set and a stored block is chosen: then only
// whole stored blocks of 65535 bytes are written and the number of bytes
// written is returned; the caller codes the rest later, together with
// what follows (so that incompressible input is stored in blocks of the
// maximum size whatever the symbol buffer boundaries).
func (e *blockEncoder) writeBlock(bw *bitWriter, syms []uint32, raw []byte, final, partial bool) int {
	e.histogram(syms)
	return e.writeCounted(bw, syms, raw, final, partial)
}

// writeCounted is writeBlock for symbols already counted in litFreq and
// distFreq.
func (e *blockEncoder) writeCounted(bw *bitWriter, syms []uint32, raw []byte, final, partial bool) int {
	extra := e.extraBits()
	fixed := 3 + e.fixedBits() + extra
	dynamic := 3 + e.buildDynamic() + extra
	if storedBits(len(raw), bw.bitPos()) <= min(fixed, dynamic) {
		if partial && !final {
			n := len(raw) / 0xffff * 0xffff
			if n > 0 {
				e.writeStored(bw, raw[:n], false)
			}
			return n
		}
		e.writeStored(bw, raw, final)
		return len(raw)
	}
	var fin uint32
	if final {
		fin = 1
	}
	if fixed <= dynamic {
		bw.writeBits(fin|1<<1, 3)
		writeSyms(bw, syms, &fixedLit, &fixedDist)
		return len(raw)
	}
	bw.writeBits(fin|2<<1, 3)
	e.writeHeader(bw)
	canonicalCodes(e.litLens[:], e.litCodes[:numLitLen])
	canonicalCodes(e.distLens[:], e.distCodes[:])
	writeSyms(bw, syms, &e.litCodes, &e.distCodes)
	return len(raw)
}

// writeHeader writes HLIT, HDIST, HCLEN, the code-length code and the
// run-length coded code lengths.
func (e *blockEncoder) writeHeader(bw *bitWriter) {
	bw.writeBits(uint32(e.hlit-257), 5)
	bw.writeBits(uint32(e.hdist-1), 5)
	bw.writeBits(uint32(e.hclen-4), 4)
	for _, s := range codeLenOrder[:e.hclen] {
		bw.writeBits(uint32(e.clLens[s]), 3)
	}
	canonicalCodes(e.clLens[:], e.clCodes[:])
	for _, t := range e.clTokens[:e.nTokens] {
		s := t & 0xff
		c := e.clCodes[s]
		bw.writeBits(c&0xffff, uint(c>>16))
		switch s {
		case 16:
			bw.writeBits(uint32(t>>8), 2)
		case 17:
			bw.writeBits(uint32(t>>8), 3)
		case 18:
			bw.writeBits(uint32(t>>8), 7)
		}
	}
}

// writeStored writes raw as stored blocks of at most 65535 bytes.
func (e *blockEncoder) writeStored(bw *bitWriter, raw []byte, final bool) {
	for first := true; first || len(raw) > 0; first = false {
		n := min(len(raw), 0xffff)
		var fin uint32
		if final && n == len(raw) {
			fin = 1
		}
		bw.writeBits(fin, 3)
		bw.alignByte()
		var hdr [4]byte
		binary.LittleEndian.PutUint16(hdr[:], uint16(n))
		binary.LittleEndian.PutUint16(hdr[2:], ^uint16(n))
		bw.writeBytes(hdr[:])
		bw.writeBytes(raw[:n])
		raw = raw[n:]
	}
}

// writeSyms writes the symbols and an end-of-block code with the given
// codes. The accumulator is kept in locals for speed.
func writeSyms(bw *bitWriter, syms []uint32, lit *[288]uint32, dist *[numDist]uint32) {
	acc, nacc, out := bw.acc, bw.nacc, bw.out
	for _, s := range syms {
		if s < matchFlag {
			c := lit[s&0xff]
			acc |= uint64(c&0xffff) << nacc
			nacc += uint(c >> 16)
		} else {
			li := lenInfo[(s>>15)&0xff]
			c := lit[257+li&0xff]
			acc |= uint64(c&0xffff|(li>>16)<<(c>>16)) << nacc
			nacc += uint(c>>16) + uint(li>>8&0xff)
			if nacc >= 32 {
				out = binary.LittleEndian.AppendUint32(out, uint32(acc))
				acc >>= 32
				nacc -= 32
			}
			d := s & 0x7fff
			dc := symDistCode(s)
			c = dist[dc]
			acc |= uint64(c&0xffff|(d+1-uint32(distBase[dc]))<<(c>>16)) << nacc
			nacc += uint(c>>16) + uint(distExtra[dc])
		}
		if nacc >= 32 {
			out = binary.LittleEndian.AppendUint32(out, uint32(acc))
			acc >>= 32
			nacc -= 32
		}
	}
	bw.acc, bw.nacc, bw.out = acc, nacc, out
	c := lit[endOfBlock]
	bw.writeBits(c&0xffff, uint(c>>16))
}
