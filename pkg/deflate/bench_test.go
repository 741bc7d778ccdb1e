package deflate

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func benchFile(b *testing.B, path string, level int) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Skip(err)
	}
	if len(data) > 8<<20 {
		data = data[:8<<20]
	}
	w, _ := NewWriter(io.Discard, level)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.Reset(io.Discard)
		if _, err := w.Write(data); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLibc(b *testing.B) {
	for _, level := range []int{1, 4, 6, 9} {
		b.Run(fmt.Sprint("level", level), func(b *testing.B) {
			benchFile(b, "/usr/lib/x86_64-linux-gnu/libc.so.6", level)
		})
	}
}

// BenchmarkSample compresses every 5th file of $DEFLATE_MEASURE_CORPUS,
// each cut to 1 MiB, at $DEFLATE_BENCH_LEVEL (default 6), and reports
// the throughput in CPU time too (steadier on a loaded machine).
func BenchmarkSample(b *testing.B) {
	root := os.Getenv("DEFLATE_MEASURE_CORPUS")
	if root == "" {
		b.Skip("DEFLATE_MEASURE_CORPUS not set")
	}
	level := 6
	if s := os.Getenv("DEFLATE_BENCH_LEVEL"); s != "" {
		if _, err := fmt.Sscan(s, &level); err != nil {
			b.Fatalf("DEFLATE_BENCH_LEVEL=%q: %v", s, err)
		}
	}
	var files [][]byte
	var total int64
	k := 0
	if err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if k%5 == 0 {
				data, _ := os.ReadFile(p)
				data = data[:min(len(data), 1<<20)]
				files = append(files, data)
				total += int64(len(data))
			}
			k++
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	var out countWriter
	w, _ := NewWriter(&out, level)
	b.SetBytes(total)
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		out = 0
		for _, f := range files {
			w.Reset(&out)
			if _, err := w.Write(f); err != nil {
				b.Fatal(err)
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(total)*float64(b.N)/(cpuSeconds()-cpu0)/1e6, "cpuMB/s")
	b.ReportMetric(float64(out), "out-bytes")
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
