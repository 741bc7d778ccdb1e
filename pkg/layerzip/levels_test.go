package layerzip

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/flate"
)

// TestMeasureLevels reproduces the level curve documented in README.md and
// behind DefaultLevel. It reads a corpus of shared libraries and Python
// sources found on the machine, so it only runs when asked:
//
//	LAYERZIP_MEASURE_LEVELS=1 go test -run TestMeasureLevels -v ./pkg/layerzip/
//
// LAYERZIP_CORPUS may list extra root directories (colon separated).
func TestMeasureLevels(t *testing.T) {
	if os.Getenv("LAYERZIP_MEASURE_LEVELS") == "" {
		t.Skip("set LAYERZIP_MEASURE_LEVELS=1 to measure deflate levels on a local corpus")
	}
	roots := []string{"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"}
	py, _ := filepath.Glob("/usr/lib/python3*")
	roots = append(roots, py...)
	sp, _ := filepath.Glob("/root/.pyenv/versions/*/lib/python3*/site-packages")
	roots = append(roots, sp...)
	if extra := os.Getenv("LAYERZIP_CORPUS"); extra != "" {
		roots = append(roots, strings.Split(extra, ":")...)
	}
	so, pyf, soN, pyN := collectCorpus(roots, 160<<20, 40<<20)
	t.Logf("corpus: %d .so files (%s MiB), %d .py files (%s MiB)", len(so), mib(soN), len(pyf), mib(pyN))
	t.Logf("%-5s %-28s %-28s %-28s", "level", ".so ratio / MB/s", ".py ratio / MB/s", "all ratio / MB/s")
	for _, level := range []int{1, 3, 5, 6, 7, 9} {
		zw, _ := flate.NewWriter(io.Discard, level)
		run := func(files [][]byte) (float64, float64, int64) {
			var in, out int64
			start := time.Now()
			for _, b := range files {
				cw := &countingDiscard{}
				zw.Reset(cw)
				_, _ = zw.Write(b)
				_ = zw.Close()
				in += int64(len(b))
				out += min(cw.n, int64(len(b))) // stored when deflate does not shrink
			}
			d := time.Since(start).Seconds()
			return float64(out) / float64(in), float64(in) / 1e6 / d, out
		}
		sr, ss, so1 := run(so)
		pr, ps, po1 := run(pyf)
		all := float64(so1+po1) / float64(soN+pyN)
		// Combined speed: total input over total time.
		allSpeed := float64(soN+pyN) / 1e6 / (float64(soN)/1e6/ss + float64(pyN)/1e6/ps)
		t.Logf("%-5d %6.3f %8.1f            %6.3f %8.1f            %6.3f %8.1f", level, sr, ss, pr, ps, all, allSpeed)
	}
}

// collectCorpus gathers .so and .py files under roots (hard links and files
// over 48 MiB skipped), then keeps an evenly spread, deterministic sample of
// at most soCap and pyCap bytes so that no single directory dominates.
func collectCorpus(roots []string, soCap, pyCap int) (so, py [][]byte, soN, pyN int) {
	type cand struct {
		path string
		size int
	}
	var soC, pyC []cand
	var soTotal, pyTotal int
	seen := map[string]bool{}
	for _, root := range roots {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			base := d.Name()
			isSO := strings.HasSuffix(base, ".so") || strings.Contains(base, ".so.")
			isPy := strings.HasSuffix(base, ".py")
			info, err := d.Info()
			if err != nil || (!isSO && !isPy) || info.Size() == 0 || info.Size() > 48<<20 {
				return nil
			}
			key := fileKey(info)
			if seen[key] {
				return nil
			}
			seen[key] = true
			c := cand{p, int(info.Size())}
			if isSO {
				soC, soTotal = append(soC, c), soTotal+c.size
			} else {
				pyC, pyTotal = append(pyC, c), pyTotal+c.size
			}
			return nil
		})
	}
	pick := func(cs []cand, total, limit int) (out [][]byte, n int) {
		stride := max(1, (total+limit-1)/limit)
		for i := 0; i < len(cs) && n < limit; i += stride {
			b, err := os.ReadFile(cs[i].path)
			if err == nil {
				out, n = append(out, b), n+len(b)
			}
		}
		return out, n
	}
	so, soN = pick(soC, soTotal, soCap)
	py, pyN = pick(pyC, pyTotal, pyCap)
	return so, py, soN, pyN
}

func fileKey(info fs.FileInfo) string {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
	}
	return info.Name() + fmt.Sprint(info.Size())
}

type countingDiscard struct{ n int64 }

func (c *countingDiscard) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func mib(n int) string { return fmt.Sprintf("%.1f", float64(n)/(1<<20)) }
