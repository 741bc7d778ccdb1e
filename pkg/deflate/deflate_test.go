package deflate

import (
	"bytes"
	"compress/flate"
	"errors"
	"go/build"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// compress deflates data at level, writing it in pieces of the given
// sizes (cycled; nil means one Write).
func compress(t testing.TB, data []byte, level int, pieces []int) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, level)
	if err != nil {
		t.Fatal(err)
	}
	writePieces(t, w, data, pieces)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func writePieces(t testing.TB, w *Writer, data []byte, pieces []int) {
	t.Helper()
	for k := 0; len(data) > 0; k++ {
		n := len(data)
		if len(pieces) > 0 {
			n = min(n, pieces[k%len(pieces)])
		}
		if m, err := w.Write(data[:n]); err != nil || m != n {
			t.Fatalf("Write: %d, %v", m, err)
		}
		data = data[n:]
	}
}

func inflate(t testing.TB, comp []byte) []byte {
	t.Helper()
	r := flate.NewReader(bytes.NewReader(comp))
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("inflate: %v", err)
	}
	return got
}

func checkRoundTrip(t testing.TB, name string, data []byte, level int) []byte {
	t.Helper()
	comp := compress(t, data, level, nil)
	got := inflate(t, comp)
	if !bytes.Equal(got, data) {
		t.Fatalf("%s level %d: round trip mismatch (got %d bytes, want %d)", name, level, len(got), len(data))
	}
	return comp
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// periodic repeats a random pattern of the given period.
func periodic(n, period int, seed uint64) []byte {
	pat := randomBytes(period, seed)
	b := make([]byte, n)
	for i := range b {
		b[i] = pat[i%period]
	}
	return b
}

// goSource returns up to limit bytes of Go source text from GOROOT.
func goSource(t testing.TB, limit int) []byte {
	t.Helper()
	dir := filepath.Join(build.Default.GOROOT, "src", "net", "http")
	names, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	slices.Sort(names)
	var b []byte
	for _, n := range names {
		if len(b) >= limit {
			break
		}
		d, err := os.ReadFile(n)
		if err == nil {
			b = append(b, d...)
		}
	}
	if len(b) == 0 {
		// No GOROOT sources: make up some text.
		for i := 0; len(b) < limit; i++ {
			b = append(b, strings.Repeat("func example() { return nil }\n", 1+i%3)...)
			b = append(b, byte('a'+i%26), '\n')
		}
	}
	return b[:min(len(b), limit)]
}

// libFiles returns up to limit bytes of each of a fixed list of shared
// libraries that exist on this machine (in its Debian multiarch directory,
// or the lib64/lib ones of other distributions). Finding none fails the
// test: every Linux machine with gcc has libc and libm.
func libFiles(t testing.TB, limit int) map[string][]byte {
	t.Helper()
	dirs := []string{"/usr/lib64", "/lib64", "/usr/lib"}
	if triplet := map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}[runtime.GOARCH]; triplet != "" {
		dirs = append([]string{"/usr/lib/" + triplet}, dirs...)
	}
	m := map[string][]byte{}
	for _, n := range []string{"libc.so.6", "libm.so.6", "libstdc++.so.6", "libcrypto.so.3", "libz.so.1", "libssl.so.3"} {
		for _, dir := range dirs {
			if d, err := os.ReadFile(filepath.Join(dir, n)); err == nil {
				m[n] = d[:min(len(d), limit)]
				break
			}
		}
	}
	if len(m) == 0 {
		t.Fatalf("none of the shared libraries these tests compress (libc.so.6, libm.so.6, ...) is in %v", dirs)
	}
	return m
}

func testInputs(t testing.TB) map[string][]byte {
	in := map[string][]byte{
		"empty":      {},
		"one":        {'x'},
		"two":        {0, 0xff},
		"three":      []byte("abc"),
		"short":      []byte("hello, hello, hello world; hello world!"),
		"random":     randomBytes(200000, 1),
		"zeros":      make([]byte, 300000),
		"text":       goSource(t, 400000),
		"randomtail": append(make([]byte, 70000), randomBytes(70000, 2)...),
	}
	for _, p := range []int{1, 2, 3, 4, 5, 7, 8, 16, 31, 64, 100, 255, 256, 257, 258, 259, 300} {
		in["period"+string(rune('0'+p/100))+string(rune('0'+p/10%10))+string(rune('0'+p%10))] = periodic(70000+p, p, uint64(p))
	}
	return in
}

func TestRoundTrip(t *testing.T) {
	in := testInputs(t)
	for name, data := range in {
		for level := 1; level <= 9; level++ {
			checkRoundTrip(t, name, data, level)
		}
	}
}

func TestRoundTripLibraries(t *testing.T) {
	limit := 1 << 20
	if raceEnabled {
		limit = 128 << 10
	}
	libs := libFiles(t, limit)
	for name, data := range libs {
		for level := 1; level <= 9; level++ {
			checkRoundTrip(t, name, data, level)
		}
	}
}

// TestSplitIndependence checks that the output does not depend on how the
// input is cut into Write calls.
func TestSplitIndependence(t *testing.T) {
	data := slices.Concat(goSource(t, 300000), randomBytes(150000, 3), make([]byte, 100000), periodic(200000, 77, 4))
	for _, lib := range libFiles(t, 400000) {
		data = append(data, lib...)
		break
	}
	r := rand.New(rand.NewPCG(5, 6))
	lvls := []int{1, 3, 4, 6, 9}
	if raceEnabled {
		lvls = []int{2, 6}
	}
	for _, level := range lvls {
		want := compress(t, data, level, nil)
		if got := inflate(t, want); !bytes.Equal(got, data) {
			t.Fatalf("level %d: round trip mismatch", level)
		}
		for trial := 0; trial < 3; trial++ {
			var pieces []int
			for k := 0; k < 50; k++ {
				switch r.IntN(3) {
				case 0:
					pieces = append(pieces, 1+r.IntN(16))
				case 1:
					pieces = append(pieces, 1+r.IntN(4096))
				default:
					pieces = append(pieces, 1+r.IntN(300000))
				}
			}
			if got := compress(t, data, level, pieces); !bytes.Equal(got, want) {
				t.Fatalf("level %d trial %d: output depends on the Write sizes", level, trial)
			}
		}
	}
}

// TestReset checks that a reused Writer produces the same output as a new
// one.
func TestReset(t *testing.T) {
	inputs := [][]byte{goSource(t, 200000), randomBytes(1000, 7), {}, periodic(300000, 13, 8), []byte("x")}
	for _, level := range []int{1, 5, 6, 9} {
		var out bytes.Buffer
		w, _ := NewWriter(&out, level)
		for i, data := range inputs {
			out.Reset()
			w.Reset(&out)
			writePieces(t, w, data, []int{1000})
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if want := compress(t, data, level, nil); !bytes.Equal(out.Bytes(), want) {
				t.Fatalf("level %d input %d: reused Writer output differs", level, i)
			}
		}
		// Reset without Close, in the middle of a stream.
		w.Reset(io.Discard)
		if _, err := w.Write(randomBytes(500000, 9)); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		w.Reset(&out)
		if _, err := w.Write(inputs[0]); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if want := compress(t, inputs[0], level, nil); !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("level %d: Writer reset mid-stream output differs", level)
		}
	}
}

// TestRebase runs a stream through positions near the rebase point; the
// output must not change.
func TestRebase(t *testing.T) {
	data := slices.Concat(periodic(300000, 1000, 10), goSource(t, 300000), periodic(300000, 1000, 10))
	for _, level := range []int{2, 6} {
		want := compress(t, data, level, nil)
		var out bytes.Buffer
		w, _ := NewWriter(&out, level)
		w.Reset(&out)
		w.base = rebaseAt - 400000
		writePieces(t, w, data, []int{65536})
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("level %d: output changed across a rebase", level)
		}
		if w.base >= 400000 {
			t.Fatalf("level %d: no rebase happened (base %d)", level, w.base)
		}
	}
}

// TestSmallerThanStdlib: on real binaries and source text, level 6 must
// beat compress/flate level 6, which is the point of this package.
func TestSmallerThanStdlib(t *testing.T) {
	limit := 2 << 20
	if raceEnabled {
		limit = 256 << 10
	}
	files := libFiles(t, limit)
	files["text"] = goSource(t, limit/2)
	var ours, std int
	for _, data := range files {
		ours += len(checkRoundTrip(t, "corpus", data, 6))
		var b bytes.Buffer
		fw, _ := flate.NewWriter(&b, 6)
		if _, err := fw.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := fw.Close(); err != nil {
			t.Fatal(err)
		}
		std += b.Len()
	}
	t.Logf("level 6: ours %d bytes, compress/flate %d bytes (%.4f)", ours, std, float64(ours)/float64(std))
	if ours >= std {
		t.Fatalf("level 6 output %d is not smaller than compress/flate's %d", ours, std)
	}
}

// TestBlockChoice checks that incompressible data is stored (a few bytes
// per 64 KiB over its size) and that tiny inputs use a fixed-code block.
func TestBlockChoice(t *testing.T) {
	for _, n := range []int{100, 5000, 65535, 65536, 200000, 1 << 20} {
		data := randomBytes(n, uint64(n))
		for _, level := range []int{1, 6, 9} {
			comp := checkRoundTrip(t, "random", data, level)
			limit := n + 5*((n+65534)/65535) + 8
			if len(comp) > limit {
				t.Errorf("random %d bytes, level %d: %d bytes, want at most %d", n, level, len(comp), limit)
			}
		}
	}
	if comp := checkRoundTrip(t, "a", []byte("a"), 6); len(comp) != 3 {
		t.Errorf(`"a" took %d bytes, want 3 (a fixed-code block)`, len(comp))
	}
	if comp := checkRoundTrip(t, "empty", nil, 6); !bytes.Equal(comp, []byte{3, 0}) {
		t.Errorf("empty input gave %x, want 0300", comp)
	}
	// A highly repetitive input needs only a few bytes.
	if comp := checkRoundTrip(t, "zeros", make([]byte, 1<<20), 6); len(comp) > 1200 {
		t.Errorf("1 MiB of zeros took %d bytes", len(comp))
	}
}

func TestLevels(t *testing.T) {
	for _, l := range []int{-1, 0, 10} {
		if _, err := NewWriter(io.Discard, l); err == nil {
			t.Errorf("level %d accepted", l)
		}
	}
	// Higher levels should not be much worse than lower ones on text.
	text := goSource(t, 300000)
	prev := 0
	for l := 1; l <= 9; l++ {
		n := len(compress(t, text, l, nil))
		if prev != 0 && n > prev+prev/100 {
			t.Errorf("level %d: %d bytes, level %d: %d", l, n, l-1, prev)
		}
		prev = n
	}
}

func TestWriteAfterClose(t *testing.T) {
	w, _ := NewWriter(io.Discard, 6)
	if _, err := w.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("Write after Close succeeded")
	}
}

type failWriter struct{ n int }

var errFail = errors.New("write failed")

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, errFail
	}
	return len(p), nil
}

func TestWriteError(t *testing.T) {
	w, _ := NewWriter(&failWriter{n: 1000}, 6)
	data := randomBytes(1<<20, 11)
	_, err := w.Write(data)
	if err == nil {
		err = w.Close()
	}
	if !errors.Is(err, errFail) {
		t.Fatalf("got %v, want the underlying writer's error", err)
	}
}
