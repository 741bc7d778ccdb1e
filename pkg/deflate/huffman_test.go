package deflate

import (
	"math/rand/v2"
	"testing"
)

// kraft returns the Kraft sum of lens in units of 2^-limit.
func kraft(lens []uint8, limit int) int {
	k := 0
	for _, l := range lens {
		if l > 0 {
			k += 1 << (limit - int(l))
		}
	}
	return k
}

func checkCode(t *testing.T, name string, freq []uint32, limit int) []uint8 {
	t.Helper()
	var hb huffBuilder
	lens := make([]uint8, len(freq))
	hb.lengths(freq, lens, limit)
	used := 0
	for s, f := range freq {
		if f != 0 {
			used++
			if lens[s] == 0 {
				t.Fatalf("%s: used symbol %d has no code", name, s)
			}
		}
		if int(lens[s]) > limit {
			t.Fatalf("%s: symbol %d has length %d > %d", name, s, lens[s], limit)
		}
	}
	if k := kraft(lens, limit); k != 1<<limit {
		t.Fatalf("%s: code is not complete (Kraft sum %d/%d)", name, k, 1<<limit)
	}
	// More frequent symbols never get longer codes.
	for a := range freq {
		for b := range freq {
			if freq[a] > freq[b] && freq[b] > 0 && lens[a] > lens[b] {
				t.Fatalf("%s: freq %d has length %d, freq %d has %d", name, freq[a], lens[a], freq[b], lens[b])
			}
		}
	}
	return lens
}

func TestHuffmanLengths(t *testing.T) {
	// Fibonacci frequencies force a deep tree.
	fib := make([]uint32, 30)
	fib[0], fib[1] = 1, 1
	for i := 2; i < len(fib); i++ {
		fib[i] = fib[i-1] + fib[i-2]
	}
	checkCode(t, "fib/15", fib, 15)
	checkCode(t, "fib19/7", fib[:19], 7)
	checkCode(t, "one", []uint32{0, 0, 5, 0}, 15)
	checkCode(t, "none", []uint32{0, 0, 0}, 15)
	checkCode(t, "two", []uint32{0, 9, 0, 1}, 7)
	// Large skewed alphabets.
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		n := 2 + r.IntN(285)
		freq := make([]uint32, n)
		for i := range freq {
			if r.IntN(4) > 0 {
				freq[i] = uint32(1 + r.ExpFloat64()*float64(1+r.IntN(1<<r.IntN(17))))
			}
		}
		limit := 15
		if n <= numCodeLen {
			limit = 7
		}
		checkCode(t, "random", freq, limit)
	}
	// Without a binding limit the lengths are optimal: compare the cost
	// with an unlimited Huffman code computed independently.
	freq := []uint32{10, 20, 30, 5, 5, 100, 1, 1}
	lens := checkCode(t, "small", freq, 15)
	cost := 0
	for s, f := range freq {
		cost += int(f) * int(lens[s])
	}
	if cost != huffmanCost(freq) {
		t.Fatalf("cost %d, optimal %d", cost, huffmanCost(freq))
	}
}

// huffmanCost computes the optimal prefix-code cost by repeatedly merging
// the two smallest weights (the sum of the merged weights).
func huffmanCost(freq []uint32) int {
	var w []int
	for _, f := range freq {
		if f > 0 {
			w = append(w, int(f))
		}
	}
	cost := 0
	for len(w) > 1 {
		// find two smallest
		a, b := 0, 1
		if w[b] < w[a] {
			a, b = b, a
		}
		for i := 2; i < len(w); i++ {
			if w[i] < w[a] {
				a, b = i, a
			} else if w[i] < w[b] {
				b = i
			}
		}
		s := w[a] + w[b]
		cost += s
		if a > b {
			a, b = b, a
		}
		w[a] = s
		w = append(w[:b], w[b+1:]...)
	}
	return cost
}

func TestLog2Fixed(t *testing.T) {
	for _, c := range []struct{ x, want uint32 }{{1, 0}, {2, 1 << 16}, {1024, 10 << 16}, {3, 103872}} {
		if got := int(log2Fixed(c.x)); got < int(c.want)-1 || got > int(c.want)+1 {
			t.Errorf("log2Fixed(%d) = %d, want %d", c.x, got, c.want)
		}
	}
}
