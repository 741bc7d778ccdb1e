package deflate

import (
	"math/bits"
	"slices"
)

// Huffman code construction.
//
// Code lengths come from the classic two-queue construction over the
// symbols sorted by frequency (leaves are taken before internal nodes of
// equal weight, which keeps the tree shallow). When the tree is deeper
// than the limit, the number of leaves per depth is reshaped (see
// lengths) and the lengths are handed out again by frequency, shortest
// to the most frequent. Codes are canonical (RFC 1951 3.2.2) and stored
// bit-reversed, ready to be written LSB first.

// maxAlphabet is the largest alphabet we build codes for.
const maxAlphabet = numLitLen

// huffBuilder holds the scratch space for building codes, so that block
// encoding does not allocate.
type huffBuilder struct {
	items  [maxAlphabet]uint64 // freq<<16 | symbol, sorted ascending
	tmp    [maxAlphabet]uint64
	bucket [256]uint16
	weight [2 * maxAlphabet]uint64
	parent [2 * maxAlphabet]int32
	depth  [2 * maxAlphabet]uint8
	count  [2 * maxAlphabet]int32
}

// lengths fills lens[i] with the code length of symbol i for the given
// frequencies, limited to limit bits. Symbols with zero frequency get
// length zero. If fewer than two symbols are used, lengths of one are
// given to two symbols so that the code is complete (some decoders
// reject incomplete codes).
func (hb *huffBuilder) lengths(freq []uint32, lens []uint8, limit int) {
	n := 0
	maxFreq := uint32(0)
	for s, f := range freq {
		lens[s] = 0
		if f != 0 {
			hb.items[n] = uint64(f)<<16 | uint64(s)
			n++
			maxFreq = max(maxFreq, f)
		}
	}
	switch n {
	case 0:
		lens[0], lens[1] = 1, 1
		return
	case 1:
		s := int(hb.items[0] & 0xffff)
		lens[s] = 1
		if s == 0 {
			lens[1] = 1
		} else {
			lens[0] = 1
		}
		return
	}
	items := hb.items[:n]
	switch {
	case n <= 32:
		insertionSort(items)
	case maxFreq < 1<<16:
		hb.radixSort(items, maxFreq >= 1<<8)
	default:
		slices.Sort(items)
	}

	// Two-queue Huffman: leaves 0..n-1 (sorted), internal nodes n..2n-2,
	// created in nondecreasing weight order.
	w := hb.weight[:2*n-1]
	par := hb.parent[:2*n-1]
	for i, it := range items {
		w[i] = it >> 16
	}
	leaf, inner, next := 0, n, n
	// lightest takes the lighter of the next leaf and the next inner node.
	lightest := func() int {
		if leaf < n && (inner >= next || w[leaf] <= w[inner]) {
			leaf++
			return leaf - 1
		}
		inner++
		return inner - 1
	}
	for next < 2*n-1 {
		a := lightest()
		b := lightest()
		w[next] = w[a] + w[b]
		par[a], par[b] = int32(next), int32(next)
		next++
	}
	d := hb.depth[:2*n-1]
	d[2*n-2] = 0
	maxDepth := 0
	for i := 2*n - 3; i >= 0; i-- {
		d[i] = d[par[i]] + 1
		if i < n && int(d[i]) > maxDepth {
			maxDepth = int(d[i])
		}
	}
	if maxDepth <= limit {
		for i, it := range items {
			lens[it&0xffff] = d[i]
		}
		return
	}

	// Length limiting on the counts of leaves per depth. The deepest level
	// of a complete tree holds an even number of leaves. Two of them (a
	// pair of siblings) are replaced by their parent, which becomes a leaf
	// one level up, and the deepest leaf at least two levels above is
	// split into two leaves one level below it. Both steps keep the Kraft
	// sum at exactly one and the number of leaves unchanged; repeat until
	// nothing is deeper than the limit.
	cnt := hb.count[:maxDepth+1]
	clear(cnt)
	for i := 0; i < n; i++ {
		cnt[d[i]]++
	}
	for l := maxDepth; l > limit; l-- {
		for cnt[l] > 0 {
			j := l - 2
			for cnt[j] == 0 {
				j--
			}
			cnt[l] -= 2
			cnt[l-1]++
			cnt[j]--
			cnt[j+1] += 2
		}
	}
	// Hand out lengths: the least frequent symbols get the longest codes.
	i := 0
	for l := limit; l >= 1; l-- {
		for k := int32(0); k < cnt[l]; k++ {
			lens[items[i]&0xffff] = uint8(l)
			i++
		}
	}
}

// canonicalCodes computes canonical codes for the given lengths and
// stores each as len<<16 | bit-reversed code.
func canonicalCodes(lens []uint8, codes []uint32) {
	var count [maxCodeBits + 1]uint16
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	var next [maxCodeBits + 1]uint16
	code := uint16(0)
	for l := 1; l <= maxCodeBits; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	for s, l := range lens {
		if l == 0 {
			codes[s] = 0
			continue
		}
		c := next[l]
		next[l]++
		codes[s] = uint32(l)<<16 | uint32(bits.Reverse16(c)>>(16-l))
	}
}

// insertionSort sorts a few items.
func insertionSort(items []uint64) {
	for i := 1; i < len(items); i++ {
		v := items[i]
		j := i
		for ; j > 0 && items[j-1] > v; j-- {
			items[j] = items[j-1]
		}
		items[j] = v
	}
}

// radixSort sorts items (freq<<16 | symbol, in symbol order, freq < 1<<16)
// by frequency with stable counting passes over the frequency bytes (the
// high one only if twoPasses), so equal frequencies stay in symbol order:
// the result is the same as sorting the whole values.
func (hb *huffBuilder) radixSort(items []uint64, twoPasses bool) {
	tmp := hb.tmp[:len(items)]
	end := uint(24)
	if twoPasses {
		end = 32
	}
	orig := items
	for shift := uint(16); shift < end; shift += 8 {
		b := &hb.bucket
		clear(b[:])
		for _, it := range items {
			b[(it>>shift)&0xff]++
		}
		sum := uint16(0)
		for i, c := range b {
			b[i] = sum
			sum += c
		}
		for _, it := range items {
			k := (it >> shift) & 0xff
			tmp[b[k]] = it
			b[k]++
		}
		items, tmp = tmp, items
	}
	if !twoPasses {
		copy(orig, items)
	}
}
