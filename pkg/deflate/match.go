package deflate

import (
	"encoding/binary"
	"math/bits"
)

// Match finding.
//
// Every position is entered in two tables, keyed by a hash of the next
// bytes:
//
//   - head4/prev form hash chains over 4-byte hashes: head4 holds the most
//     recent position with each hash and prev links every position to the
//     previous one with the same hash. Walking a chain visits candidates
//     from the nearest back to the window limit. Hashing four bytes keeps
//     the chains short and their entries mostly real matches of length
//     four or more.
//   - head3 holds, for each 3-byte hash, only the most recent position.
//     It supplies length-3 matches, which are only worth coding when they
//     are near (distance <= tooFar), and the nearest one is the cheapest.
//
// Positions in the head tables are absolute stream offsets (int32), so
// sliding the window does not touch the tables; they are rebased only
// every half gigabyte. prev holds distances (uint16), which need no
// rebasing.

const (
	hash4Bits = 16
	hash3Bits = 15
	wmask     = windowSize - 1
	// noPos marks an empty table entry: it is farther than maxDist from
	// any position.
	noPos = -1 << 30
	// rebaseAt is the absolute offset at which table entries are rebased.
	rebaseAt = 1 << 29
)

// window is the input buffer. Every index used is below 1<<bufBits; the
// loads mask the index anyway, which lets the compiler drop the bounds
// checks (the mask never changes a valid index).
type window [1<<bufBits + 16]byte

const bufMask = 1<<bufBits - 1

func load32(b *window, i int) uint32 { return binary.LittleEndian.Uint32(b[i&bufMask:]) }
func load64(b *window, i int) uint64 { return binary.LittleEndian.Uint64(b[i&bufMask:]) }

func hash4(u uint32) uint32 { return (u * 0x9e3779b1) >> (32 - hash4Bits) }
func hash3(u uint32) uint32 { return ((u << 8) * 0x9e3779b1) >> (32 - hash3Bits) }

// matcher holds the hash tables.
type matcher struct {
	head4 *[1 << hash4Bits]int32
	head3 *[1 << hash3Bits]int32
	// prev[p&wmask] is the distance from p to the previous position with
	// the same 4-byte hash (saturated at 65535, beyond any window).
	prev *[windowSize]uint16
}

func (m *matcher) init() {
	if m.head4 == nil {
		m.head4 = new([1 << hash4Bits]int32)
		m.head3 = new([1 << hash3Bits]int32)
		m.prev = new([windowSize]uint16)
	}
	fill(m.head4[:], noPos)
	fill(m.head3[:], noPos)
}

func fill(s []int32, v int32) {
	for i := range s {
		s[i] = v
	}
}

// rebase subtracts delta from every entry; entries that would fall
// before zero become empty.
func (m *matcher) rebase(delta int32) {
	for _, t := range [][]int32{m.head4[:], m.head3[:]} {
		for i, v := range t {
			if v < delta {
				t[i] = noPos
			} else {
				t[i] = v - delta
			}
		}
	}
}

// insertOnly enters position abs, whose bytes start at buf[i]. (The parse
// loops do the same inline where they need the previous heads, which are
// the match candidates.)
func (m *matcher) insertOnly(buf *window, i, abs int) {
	u := load32(buf, i)
	h4 := hash4(u)
	m.prev[abs&wmask] = uint16(min(abs-int(m.head4[h4]), 0xffff))
	m.head4[h4] = int32(abs)
	m.head3[hash3(u)] = int32(abs)
}

// findMatch returns the longest match at buf[i] (absolute position
// i+base) that is longer than best, or length 0. cand4 and cand3 are the
// candidates from insert. At most chain candidates are tried; the search
// stops at a match of nice bytes. maxLen is the most bytes available.
func (m *matcher) findMatch(buf *window, i, base int, cand4, cand3 int32, best, chain, nice, maxLen int) (length, dist int) {
	abs := i + base
	b := max(best, minMatch)
	if b < maxLen {
		minAbs := abs - maxDist
		cur := load32(buf, i)
		tail := load32(buf, i+b-3)
		prev := m.prev
		for c := int(cand4); c >= minAbs && chain > 0; chain-- {
			j := c - base
			if load32(buf, j+b-3) == tail && load32(buf, j) == cur {
				l := 4 + matchLen(buf, j+4, i+4, maxLen-4)
				if l > b {
					b, length, dist = l, l, i-j
					if l >= nice || l >= maxLen {
						break
					}
					tail = load32(buf, i+b-3)
				}
			}
			c -= int(prev[c&wmask])
		}
	}
	if length == 0 && best < minMatch && maxLen >= minMatch && int(cand3) >= abs-tooFar {
		j := int(cand3) - base
		if (load32(buf, j)^load32(buf, i))&0xffffff == 0 {
			length = 3 + matchLen(buf, j+3, i+3, maxLen-3)
			dist = i - j
		}
	}
	return
}

// matchLen returns how many bytes (at most max) agree at buf[a:] and
// buf[b:], comparing eight at a time. It may read up to 7 bytes past
// a+max and b+max.
func matchLen(buf *window, a, b, max int) int {
	n := 0
	for n < max {
		x := load64(buf, a+n) ^ load64(buf, b+n)
		if x != 0 {
			n += bits.TrailingZeros64(x) >> 3
			return min(n, max)
		}
		n += 8
	}
	return max
}
