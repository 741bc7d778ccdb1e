package layerzip

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// node describes a test tree item: a file (content), a symlink (link) or
// an empty directory (dir).
type node struct {
	content string
	perm    fs.FileMode
	link    string
	dir     bool
}

// makeTree creates the nodes under a new temporary directory.
func makeTree(t testing.TB, nodes map[string]node) string {
	t.Helper()
	root := t.TempDir()
	for name, n := range nodes {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case n.dir:
			err = os.MkdirAll(p, 0o755)
		case n.link != "":
			err = os.Symlink(n.link, p)
		default:
			perm := n.perm
			if perm == 0 {
				perm = 0o600
			}
			if err = os.WriteFile(p, []byte(n.content), perm); err == nil {
				err = os.Chmod(p, perm) // umask
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// sampleTree is a small tree with every kind of entry.
func sampleTree(t testing.TB) string {
	py := strings.Repeat("import os\nprint('hello from a module')\n", 200)
	return makeTree(t, map[string]node{
		"pkg/__init__.py":    {content: ""},
		"pkg/mod.py":         {content: py, perm: 0o664},
		"pkg/_ext.so":        {content: string(randomBytes(70000, 1)), perm: 0o775},
		"pkg/data/big.txt":   {content: strings.Repeat("0123456789abcdef", 40000), perm: 0o444},
		"pkg/empty/":         {dir: true},
		"pkg/nested/empty/":  {dir: true},
		"pkg/libfoo.so":      {link: "libfoo.so.1"},
		"pkg/libfoo.so.1":    {content: string(randomBytes(5000, 2)) + strings.Repeat("x", 5000), perm: 0o755},
		"pkg/up":             {link: "../bin"},
		"bin/tool":           {content: "#!/bin/sh\necho hi\n", perm: 0o700},
		"pkg/données/été.py": {content: "x = 'é'\n"},
		"pkg/日本/__init__.py": {content: "# 日本\n"},
		"pkg/one":            {content: "1"},
	})
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 42))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func writeTree(t testing.TB, root, prefix string, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteTree(&buf, root, prefix, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readBack opens an archive with archive/zip and returns name -> content,
// reading every entry to the end so that archive/zip checks the CRC.
func readBack(t testing.TB, data []byte) (*zip.Reader, map[string]string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		b, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		out[f.Name] = string(b)
	}
	return zr, out
}

// Synthetic content for large generated trees: a pool with a text region
// (source-like), a binary region (shared-library-like: repeats, zero runs
// and noise) and a random region, read with wrap-around from a per-file
// offset. Generating content is a memory copy, so tests measure the writer.
const (
	synthText = iota
	synthBinary
	synthRandom
)

var synthPool = sync.OnceValue(func() [3][]byte {
	r := rand.New(rand.NewPCG(7, 7))
	var words []string
	for range 600 {
		w := make([]byte, 2+r.IntN(9))
		for i := range w {
			w[i] = byte('a' + r.IntN(26))
		}
		words = append(words, string(w))
	}
	var text bytes.Buffer
	for text.Len() < 2<<20 {
		text.WriteString(strings.Repeat("    ", r.IntN(4)))
		for range 1 + r.IntN(10) {
			text.WriteString(words[int(r.ExpFloat64()*60)%len(words)])
			text.WriteString([]string{" ", "(", ", ", ".", " = ", "_"}[r.IntN(6)])
		}
		text.WriteString("\n")
	}
	bin := make([]byte, 0, 3<<19)
	for len(bin) < cap(bin) {
		switch p := r.IntN(100); {
		case p < 15 || len(bin) < 64:
			bin = append(bin, make([]byte, 64)...)
		case p < 60:
			back := r.IntN(min(len(bin), 32<<10)/64+1) * 64
			start := max(0, len(bin)-back)
			bin = append(bin, bin[start:start+64]...)
		default:
			for range 64 {
				bin = append(bin, byte(r.Uint32()))
			}
		}
	}
	return [3][]byte{text.Bytes()[:2<<20], bin, randomBytes(1<<20, 9)}
})

type poolReader struct {
	pool      []byte
	off, left int64
}

func (r *poolReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n := copy(p, r.pool[r.off:])
	r.off = (r.off + int64(n)) % int64(len(r.pool))
	r.left -= int64(n)
	return n, nil
}

func (r *poolReader) Close() error { return nil }

// synthEntry is a file entry of the given size whose content comes from
// region kind at an offset derived from seed.
func synthEntry(name string, size int64, kind int, seed uint64) Entry {
	pool := synthPool()[kind]
	off := int64(seed*2654435761) % int64(len(pool))
	return FileEntry(name, 0o644, size, func() (io.ReadCloser, error) {
		return &poolReader{pool: pool, off: off, left: size}, nil
	})
}

// synthTree returns about total bytes of entries shaped like a geospatial
// Python layer: many small sources, medium and a few large libraries, some
// incompressible data.
func synthTree(total int64) []Entry {
	r := rand.New(rand.NewPCG(1, 2))
	var es []Entry
	var n int64
	add := func(name string, size int64, kind int) {
		es = append(es, synthEntry(name, size, kind, uint64(len(es))))
		n += size
	}
	for i := 0; n < total; i++ {
		pkg := fmt.Sprintf("python/pkg%03d/", i)
		for j := range 100 + r.IntN(500) {
			add(fmt.Sprintf("%smod%03d.py", pkg, j), 500+int64(r.ExpFloat64()*8000), synthText)
		}
		for j := range r.IntN(4) {
			add(fmt.Sprintf("%s_lib%d.so", pkg, j), 100<<10+int64(r.ExpFloat64()*float64(2<<20)), synthBinary)
		}
		if i%10 == 3 {
			add(pkg+"libbig.so", 24<<20+int64(r.IntN(8<<20)), synthBinary)
		}
		if i%10 == 7 {
			add(pkg+"data.bin", 2<<20+int64(r.IntN(8<<20)), synthRandom)
		}
	}
	slices.SortFunc(es, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return es
}

func opener(s string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
}

func mustEpoch(t testing.TB, v string) time.Time {
	t.Helper()
	e, err := ParseSourceDateEpoch(v)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
