package deflate

import "math/bits"

// Block splitting.
//
// The buffered symbols (up to maxBlockSyms) are cut into segments of
// segSyms symbols, and prefix histograms make the histogram of any range
// of segments cheap. A range is split in two where the estimated cost of
// the halves, each with its own Huffman codes, is lowest (found by a
// coarse scan of about splitProbes boundaries refined around the best
// one). If the estimate promises a gain (with some tolerance, since it
// is rough), the exact costs are computed (codes built, headers
// included) and the split is kept if two blocks beat one; the halves are
// then split again in turn. The estimate is the order-0 entropy of the
// literal/length and distance codes plus a rough header size, computed
// in fixed point with integer arithmetic so that the choice is the same
// on every platform.

const (
	segSyms  = 256
	maxSegs  = (maxBlockSyms + segSyms - 1) / segSyms
	histSize = numLitLen + numDist
	// minSplitSegs: ranges shorter than this are not split.
	minSplitSegs = 2
	// splitProbes is about how many boundaries the coarse scan tries.
	splitProbes = 8
)

// xlog2xTab[x] is x*log2(x) in 16.16 fixed point, for small counts.
var xlog2xTab [4096]uint64

func init() {
	for x := 1; x < len(xlog2xTab); x++ {
		xlog2xTab[x] = uint64(x) * uint64(log2Fixed(uint32(x)))
	}
}

// xlog2x returns x*log2(x) in 16.16 fixed point.
func xlog2x(x uint32) uint64 {
	if x < uint32(len(xlog2xTab)) {
		return xlog2xTab[x]
	}
	return uint64(x) * uint64(log2Fixed(x))
}

// log2Fixed returns log2(x) in 16.16 fixed point, computed with integer
// operations only (by repeated squaring of the mantissa).
func log2Fixed(x uint32) uint32 {
	n := uint32(bits.Len32(x) - 1)
	y := uint64(x) << (31 - n) // mantissa in [1,2), 31 fraction bits
	var frac uint32
	for i := 0; i < 16; i++ {
		y = (y * y) >> 31
		frac <<= 1
		if y >= 2<<31 {
			y >>= 1
			frac |= 1
		}
	}
	return n<<16 | frac
}

// splitter holds the per-segment data of the buffered symbols.
type splitter struct {
	// prefix[k*histSize+s] counts symbol s (literal/length codes, then
	// distance codes) in segments 0..k-1.
	// (uint16 is enough: there are at most maxBlockSyms symbols.)
	prefix [(maxSegs + 1) * histSize]uint16
	// raw[k] is the input offset where segment k starts.
	raw [maxSegs + 1]int
	// bounds collects the chosen block boundaries (segment indices).
	bounds [maxSegs + 1]int
	nb     int
	nseg   int
	nsyms  int
}

// prepare computes the prefix histograms of syms.
func (sp *splitter) prepare(syms []uint32) {
	sp.nsyms = len(syms)
	sp.nseg = (len(syms) + segSyms - 1) / segSyms
	clear(sp.prefix[:histSize])
	off := 0
	for k := 0; k < sp.nseg; k++ {
		sp.raw[k] = off
		cur := sp.prefix[(k+1)*histSize : (k+2)*histSize]
		copy(cur, sp.prefix[k*histSize:(k+1)*histSize])
		seg := syms[k*segSyms : min((k+1)*segSyms, len(syms))]
		for _, s := range seg {
			if s < matchFlag {
				cur[s&0xff]++
				off++
				continue
			}
			l := (s >> 15) & 0xff
			cur[257+lenInfo[l]&0xff]++
			cur[numLitLen+symDistCode(s)]++
			off += int(l) + minMatch
		}
	}
	sp.raw[sp.nseg] = off
}

// estimate returns the estimated size in 16.16 fixed-point bits of
// segments a..b-1 as one dynamic block (without extra bits).
func (sp *splitter) estimate(a, b int) uint64 {
	pa := sp.prefix[a*histSize : (a+1)*histSize]
	pb := sp.prefix[b*histSize : (b+1)*histSize]
	var sum, nlit, ndist uint64
	used := uint64(0)
	for s := 0; s < numLitLen; s++ {
		c := uint32(pb[s] - pa[s])
		if c != 0 {
			sum += xlog2x(c)
			nlit += uint64(c)
			used++
		}
	}
	nlit++ // end of block
	bitsLit := nlit*uint64(log2Fixed(uint32(nlit))) - sum
	sum = 0
	for s := numLitLen; s < histSize; s++ {
		c := uint32(pb[s] - pa[s])
		if c != 0 {
			sum += xlog2x(c)
			ndist += uint64(c)
			used++
		}
	}
	bitsDist := uint64(0)
	if ndist > 0 {
		bitsDist = ndist*uint64(log2Fixed(uint32(ndist))) - sum
	}
	// Header: about 4 bits per code length in use, plus fixed fields.
	return bitsLit + bitsDist + (used*4+60)<<16
}

// count sets e's histogram to that of segments a..b-1.
func (sp *splitter) count(e *blockEncoder, a, b int) {
	pa := sp.prefix[a*histSize : (a+1)*histSize]
	pb := sp.prefix[b*histSize : (b+1)*histSize]
	for s := range e.litFreq {
		e.litFreq[s] = uint32(pb[s] - pa[s])
	}
	e.litFreq[endOfBlock] = 1
	for s := range e.distFreq {
		e.distFreq[s] = uint32(pb[numLitLen+s] - pa[numLitLen+s])
	}
}

// exact returns the exact size in bits of segments a..b-1 as the
// cheapest single block.
func (sp *splitter) exact(e *blockEncoder, a, b int) int {
	sp.count(e, a, b)
	return e.bestCost(sp.raw[b]-sp.raw[a], 0)
}

// split chooses block boundaries for the prepared symbols.
func (sp *splitter) split(e *blockEncoder) []int {
	sp.nb = 0
	sp.bounds[sp.nb] = 0
	sp.nb++
	sp.splitRange(e, 0, sp.nseg, sp.exact(e, 0, sp.nseg))
	return sp.bounds[:sp.nb]
}

// splitRange appends the boundaries chosen in a..b (after a, up to and
// including b). whole is the exact cost of a..b as one block.
func (sp *splitter) splitRange(e *blockEncoder, a, b, whole int) {
	if b-a >= minSplitSegs {
		// Coarse scan, then narrower and finer scans around the best
		// boundary so far.
		step := max(1, (b-a)/splitProbes)
		lo, hi := a+step, b-1
		bestK, best := -1, uint64(0)
		for {
			for k := lo; k <= hi; k += step {
				if k == bestK {
					continue
				}
				if c := sp.estimate(a, k) + sp.estimate(k, b); bestK < 0 || c < best {
					bestK, best = k, c
				}
			}
			if step == 1 {
				break
			}
			lo, hi = max(a+1, bestK-step+1), min(b-1, bestK+step-1)
			step = max(1, step/4)
			lo = bestK - (bestK-lo)/step*step
		}
		// Check with the exact costs only if the estimate promises a gain.
		if one := sp.estimate(a, b); best < one+one/32 {
			left, right := sp.exact(e, a, bestK), sp.exact(e, bestK, b)
			if left+right < whole {
				sp.splitRange(e, a, bestK, left)
				sp.splitRange(e, bestK, b, right)
				return
			}
		}
	}
	sp.bounds[sp.nb] = b
	sp.nb++
}
