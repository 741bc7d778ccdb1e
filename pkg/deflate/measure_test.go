package deflate

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestMeasureCorpus measures the compressed size and time of every level
// on a corpus directory:
//
//	DEFLATE_MEASURE_CORPUS=/path/to/corpus go test -run TestMeasureCorpus -v ./pkg/deflate/
//
// Sizes are summed per file, each capped at the file's own size (a file
// that deflate does not shrink is stored). Optional variables:
// DEFLATE_MEASURE_LEVELS (e.g. "4,5,6"), DEFLATE_MEASURE_WORKERS (e.g.
// "1"; default "2,1") and, for tuning, DEFLATE_MEASURE_PARAMS
// ("level:good,lazy,nice,chain;...").
func TestMeasureCorpus(t *testing.T) {
	root := os.Getenv("DEFLATE_MEASURE_CORPUS")
	if root == "" {
		t.Skip("DEFLATE_MEASURE_CORPUS not set")
	}
	var files []string
	var rawTotal int64
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			files = append(files, p)
			rawTotal += fi.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	lvls := []int{4, 5, 6, 7, 8, 9}
	if s := os.Getenv("DEFLATE_MEASURE_LEVELS"); s != "" {
		lvls = parseInts(t, s)
	}
	workers := []int{2, 1}
	if s := os.Getenv("DEFLATE_MEASURE_WORKERS"); s != "" {
		workers = parseInts(t, s)
	}
	if s := os.Getenv("DEFLATE_MEASURE_PARAMS"); s != "" {
		saved := levels
		defer func() { levels = saved }()
		for _, e := range strings.Split(s, ";") {
			lv, ps, _ := strings.Cut(e, ":")
			l := parseInts(t, lv)[0]
			v := parseInts(t, ps)
			levels[l].good, levels[l].maxLazy, levels[l].nice, levels[l].chain = v[0], v[1], v[2], v[3]
		}
	}
	t.Logf("%d files, %d bytes", len(files), rawTotal)
	for _, lvl := range lvls {
		for _, nw := range workers {
			start := time.Now()
			cpu0 := cpuSeconds()
			var total atomic.Int64
			ch := make(chan string)
			var wg sync.WaitGroup
			for k := 0; k < nw; k++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var out bytes.Buffer
					var data []byte
					zw, _ := NewWriter(&out, lvl)
					for p := range ch {
						var err error
						data, err = readInto(data, p)
						if err != nil {
							t.Error(err)
							continue
						}
						out.Reset()
						zw.Reset(&out)
						if _, err := zw.Write(data); err != nil {
							t.Error(err)
							continue
						}
						if err := zw.Close(); err != nil {
							t.Error(err)
						}
						total.Add(int64(min(out.Len(), len(data))))
					}
				}()
			}
			for _, f := range files {
				ch <- f
			}
			close(ch)
			wg.Wait()
			el := time.Since(start).Seconds()
			cpu := cpuSeconds() - cpu0
			t.Logf("level %d workers %d: %d bytes (%.4f of input) %.2fs wall, %.2fs cpu", lvl, nw, total.Load(), float64(total.Load())/float64(rawTotal), el, cpu)
			fmt.Printf("MEASURE level=%d workers=%d bytes=%d seconds=%.2f cpu=%.2f\n", lvl, nw, total.Load(), el, cpu)
		}
	}
}

// readInto reads the file at p into buf, reusing its storage.
func readInto(buf []byte, p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return buf, err
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return buf, err
	}
	n := int(fi.Size())
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err = io.ReadFull(f, buf)
	return buf, err
}

// cpuSeconds returns the user+system CPU time of the process.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func parseInts(t *testing.T, s string) []int {
	var r []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			t.Fatalf("bad number %q", f)
		}
		r = append(r, v)
	}
	return r
}
