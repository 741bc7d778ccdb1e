package deflate

// Parsing: turning the input into literals and matches.

// params are the per-level search parameters.
type params struct {
	lazy      bool // lazy evaluation (else greedy)
	good      int  // lazy: a previous match this long quarters the chain
	maxLazy   int  // lazy: do not look for a better match after one this long
	nice      int  // stop searching at a match this long
	chain     int  // most chain candidates tried per search
	maxInsert int  // greedy: index the inside of matches up to this long
}

// levels is the level table (index = level).
var levels = [10]params{
	1: {lazy: false, nice: 8, chain: 4, maxInsert: 4},
	2: {lazy: false, nice: 16, chain: 8, maxInsert: 5},
	3: {lazy: false, nice: 32, chain: 24, maxInsert: 6},
	4: {lazy: true, good: 4, maxLazy: 4, nice: 16, chain: 16},
	5: {lazy: true, good: 4, maxLazy: 6, nice: 16, chain: 12},
	6: {lazy: true, good: 4, maxLazy: 8, nice: 32, chain: 16},
	7: {lazy: true, good: 8, maxLazy: 16, nice: 64, chain: 64},
	8: {lazy: true, good: 16, maxLazy: 64, nice: 258, chain: 512},
	9: {lazy: true, good: 32, maxLazy: 258, nice: 258, chain: 4096},
}

// parseGreedy parses positions w.pos..limit-1, taking the longest match
// found at each position.
func (w *Writer) parseGreedy(limit int) {
	p := &w.p
	buf, base := w.buf, w.base
	m := &w.m
	head4, head3, prev := m.head4, m.head3, m.prev
	i := w.pos
	for i < limit {
		maxLen := min(maxMatch, w.end-i)
		// Enter position i (insertOnly, written out to keep the old heads).
		abs := base + i
		u := load32(buf, i)
		h4, h3 := hash4(u), hash3(u)
		c4, c3 := head4[h4], head3[h3]
		head4[h4], head3[h3] = int32(abs), int32(abs)
		prev[abs&wmask] = uint16(min(abs-int(c4), 0xffff))

		l, d := 0, 0
		if int(c4) >= abs-maxDist || int(c3) >= abs-tooFar {
			l, d = m.findMatch(buf, i, base, c4, c3, 0, p.chain, p.nice, maxLen)
		}
		var full bool
		if l >= minMatch {
			full = w.record(matchSym(l, d), l)
			if l <= p.maxInsert {
				for k := i + 1; k < i+l; k++ {
					m.insertOnly(buf, k, base+k)
				}
			}
			i += l
		} else {
			full = w.record(litSym(buf[i&bufMask]), 1)
			i++
		}
		if full {
			w.flushBlock(false)
		}
	}
	w.pos = i
}

// parseLazy parses positions w.pos..limit-1 with lazy evaluation: a match
// found at one position is held back until the search at the next
// position shows that it is not beaten by a longer one; if it is, a
// literal is coded instead and the longer match becomes the candidate.
// All positions, including the inside of matches, are indexed.
func (w *Writer) parseLazy(limit int, final bool) {
	good, maxLazy, nice, maxChain := w.p.good, w.p.maxLazy, w.p.nice, w.p.chain
	buf, base, end := w.buf, w.base, w.end
	m := &w.m
	head4, head3, prev := m.head4, m.head3, m.prev
	havePrev, prevLen, prevDist := w.havePrev, w.prevLen, w.prevDist
	i := w.pos
	for i < limit {
		// Enter position i (insertOnly, written out to keep the old heads).
		abs := base + i
		u := load32(buf, i)
		h4, h3 := hash4(u), hash3(u)
		c4, c3 := head4[h4], head3[h3]
		head4[h4], head3[h3] = int32(abs), int32(abs)
		prev[abs&wmask] = uint16(min(abs-int(c4), 0xffff))

		curLen, curDist := 0, 0
		if prevLen < maxLazy && (int(c4) >= abs-maxDist || int(c3) >= abs-tooFar) {
			chain := maxChain
			if prevLen >= good {
				chain >>= 2
			}
			curLen, curDist = m.findMatch(buf, i, base, c4, c3, prevLen, chain, nice, min(maxMatch, end-i))
		}
		if prevLen >= minMatch && curLen <= prevLen {
			// The held-back match wins: code it and index its inside.
			full := w.record(matchSym(prevLen, prevDist), prevLen)
			stop := i - 1 + prevLen
			for k := i + 1; k < stop; k++ {
				// insertOnly, with the tables in locals.
				abs := base + k
				u := load32(buf, k)
				h4 := hash4(u)
				prev[abs&wmask] = uint16(min(abs-int(head4[h4]), 0xffff))
				head4[h4] = int32(abs)
				head3[hash3(u)] = int32(abs)
			}
			i = stop
			havePrev, prevLen = false, 0
			if full {
				w.flushBlock(false)
			}
			continue
		}
		// Code the held-back position as a literal; hold this one back.
		if havePrev && w.record(litSym(buf[(i-1)&bufMask]), 1) {
			w.flushBlock(false)
		}
		havePrev, prevLen, prevDist = true, curLen, curDist
		i++
	}
	w.pos = i
	if final && havePrev {
		w.emit(litSym(buf[(i-1)&bufMask]), 1)
		havePrev, prevLen = false, 0
	}
	w.havePrev, w.prevLen, w.prevDist = havePrev, prevLen, prevDist
}
