package deflate

import (
	"bytes"
	"testing"
)

// FuzzRoundTrip compresses arbitrary input at a fuzzed level, written in
// fuzzed pieces, checks the round trip and that the pieces do not change
// the output.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{}, uint8(6), uint16(0))
	f.Add([]byte("a"), uint8(1), uint16(1))
	f.Add([]byte("hello hello hello hello"), uint8(9), uint16(3))
	f.Add(bytes.Repeat([]byte{0}, 1000), uint8(4), uint16(7))
	f.Add(bytes.Repeat([]byte("abcdefgh"), 5000), uint8(5), uint16(4097))
	f.Add(randomBytes(3000, 42), uint8(2), uint16(100))
	f.Add(append(periodic(5000, 259, 1), randomBytes(500, 2)...), uint8(7), uint16(258))
	f.Add(goSource(f, 20000), uint8(6), uint16(1000))
	f.Fuzz(func(t *testing.T, data []byte, level uint8, piece uint16) {
		lvl := 1 + int(level)%9
		want := compress(t, data, lvl, nil)
		if got := inflate(t, want); !bytes.Equal(got, data) {
			t.Fatalf("level %d: round trip mismatch", lvl)
		}
		if piece != 0 {
			if got := compress(t, data, lvl, []int{int(piece)}); !bytes.Equal(got, want) {
				t.Fatalf("level %d: pieces of %d change the output", lvl, piece)
			}
		}
	})
}
