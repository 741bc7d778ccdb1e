package layerzip

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// benchTree writes a generated layer-shaped tree of about mb MiB to disk.
func benchTree(b *testing.B, mb int64) (string, int64) {
	root := b.TempDir()
	var total int64
	for _, e := range synthTree(mb << 20) {
		p := filepath.Join(root, filepath.FromSlash(e.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		r, _ := e.Open()
		n, err := io.Copy(f, r)
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		if err != nil {
			b.Fatal(err)
		}
		total += n
	}
	return root, total
}

// BenchmarkWriteTree measures WalkDir + compression + archive writing of a
// ~64 MiB generated tree at the default level (b.SetBytes: input bytes).
func BenchmarkWriteTree(b *testing.B) {
	root, total := benchTree(b, 64)
	for _, level := range []int{1, DefaultLevel} {
		b.Run("level"+itoa(level), func(b *testing.B) {
			b.SetBytes(total)
			for b.Loop() {
				if err := WriteTree(io.Discard, root, "python/", Options{Level: level}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAssemble measures concatenating fragments and writing the
// central directory (the final, uncached step).
func BenchmarkAssemble(b *testing.B) {
	es := synthTree(64 << 20)
	dir := b.TempDir()
	var frags []Fragment
	var total int64
	for i, step := 0, len(es)/16+1; i < len(es); i += step {
		f, err := WriteFragmentFile(filepath.Join(dir, itoa(i)+".frag"), es[i:min(i+step, len(es))], Options{Level: 1})
		if err != nil {
			b.Fatal(err)
		}
		frags = append(frags, f)
		total += int64(f.Index.Size)
	}
	b.SetBytes(total)
	for b.Loop() {
		if err := Assemble(io.Discard, frags); err != nil {
			b.Fatal(err)
		}
	}
}
