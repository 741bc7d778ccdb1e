package layerzip

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMemoryBound writes a generated 600 MB layer-shaped tree (about
// 25k entries, libraries up to 32 MB, incompressible data files) and
// measures the peak RSS of the process while doing so (VmHWM after
// resetting it through /proc/self/clear_refs) and the peak Go heap. Under
// -short the tree is 100 MB; LAYERZIP_MEMTEST_MB overrides the size.
func TestMemoryBound(t *testing.T) {
	mb := int64(600)
	if testing.Short() || raceEnabled {
		mb = 100
	}
	if v := os.Getenv("LAYERZIP_MEMTEST_MB"); v != "" {
		mb, _ = strconv.ParseInt(v, 10, 64)
	}
	es := synthTree(mb << 20)
	var total int64
	for _, e := range es {
		total += e.Size
	}
	// The sink stalls at first so that the pipeline fills its window and
	// memory budget and spills, as it would behind a slow disk.
	out := &stallingDiscard{stall: time.Second}
	var elapsed time.Duration
	var err error
	before, hwm, reset, heap := measurePeak(func() {
		start := time.Now()
		err = WriteArchive(out, es, Options{})
		elapsed = time.Since(start)
	})
	if err != nil {
		t.Fatal(err)
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	t.Logf("tree %d MiB in %d entries -> %d MiB archive in %v (%.0f MB/s, GOMAXPROCS %d)",
		total>>20, len(es), out.n>>20, elapsed.Round(time.Millisecond), float64(total)/1e6/elapsed.Seconds(), runtime.GOMAXPROCS(0))
	t.Logf("RSS before %d MiB, peak during (VmHWM, reset=%v) %d MiB; peak Go heap objects %d MiB; process max RSS %d MiB",
		before>>20, reset, hwm>>20, heap>>20, ru.Maxrss>>10)
	if heap > 160<<20 {
		t.Errorf("peak heap %d MiB, want < 160 MiB", heap>>20)
	}
	if reset && hwm > 200<<20 {
		t.Errorf("peak RSS %d MiB, want < 200 MiB", hwm>>20)
	}
}

// TestMemoryBudgetCap fills the pipeline with medium files (each under the
// spill threshold, so all held in memory) behind a stalled sink, once with
// an 8 MiB budget and once with a single chunk, and checks that the budget
// accounts for the difference in peak Go heap: it is filled, not exceeded.
// (The absolute peak also holds the synthetic content pool, the
// compressors and GC slack.)
func TestMemoryBudgetCap(t *testing.T) {
	if raceEnabled {
		t.Skip("timing-based: the race detector slows compression too much to fill the budget")
	}
	var es []Entry
	for i := range 32 {
		es = append(es, synthEntry(fmt.Sprintf("lib%02d.so", i), 1<<20, synthBinary, uint64(i)))
	}
	peak := func(maxBuf int64) uint64 {
		out := &stallingDiscard{stall: time.Second}
		var err error
		_, _, _, heap := measurePeak(func() {
			err = WriteArchive(out, es, Options{MaxBuffer: maxBuf, Workers: 4})
		})
		if err != nil {
			t.Fatal(err)
		}
		return heap
	}
	const maxBuf = 8 << 20
	base, full := peak(1), peak(maxBuf)
	diff := int64(full) - int64(base)
	t.Logf("peak Go heap objects: %.1f MiB with a 1-chunk budget, %.1f MiB with MaxBuffer 8 MiB (+%.1f MiB)",
		float64(base)/(1<<20), float64(full)/(1<<20), float64(diff)/(1<<20))
	if diff > maxBuf+3<<20 {
		t.Errorf("budget of %d MiB grew the heap by %.1f MiB", maxBuf>>20, float64(diff)/(1<<20))
	}
	if diff < maxBuf/2 {
		t.Errorf("the stalled pipeline did not fill its budget (+%.1f MiB)", float64(diff)/(1<<20))
	}
}

// measurePeak runs f and returns RSS before, peak RSS during (VmHWM, valid
// when reset), and the peak Go heap (sampled every 10 ms).
func measurePeak(f func()) (before, hwm int64, reset bool, heap uint64) {
	runtime.GC()
	debug.FreeOSMemory()
	before = vmStatus("VmRSS")
	reset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	done := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var p uint64
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			p = max(p, s[0].Value.Uint64())
			select {
			case <-done:
				peak <- p
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(done)
	heap = <-peak
	return before, vmStatus("VmHWM"), reset, heap
}

// vmStatus returns a /proc/self/status field in bytes, 0 if unavailable.
func vmStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if rest, ok := strings.CutPrefix(string(line), field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

type stallingDiscard struct {
	stall time.Duration
	n     int64
}

func (s *stallingDiscard) Write(p []byte) (int, error) {
	if s.n == 0 {
		time.Sleep(s.stall)
	}
	s.n += int64(len(p))
	return len(p), nil
}

// TestAssembleDedupMemory assembles, with Dedup, fragments of a generated
// layer in which a third of the files (by count; libraries up to 32 MiB
// included) are copies in another package, and checks that the peak Go
// heap stays near the indexes (a few hundred bytes per entry) plus the
// fixed copy buffers: data is streamed and skipped, never held.
func TestAssembleDedupMemory(t *testing.T) {
	mb := int64(200)
	if testing.Short() || raceEnabled {
		mb = 60
	}
	es := synthTree(mb << 20)
	var dups []Entry
	for i, e := range es {
		if i%3 == 0 && e.Size >= DefaultDedupMinSize {
			d := e
			d.Name = "python/vendored/" + e.Name
			dups = append(dups, d)
		}
	}
	es = append(es, dups...)
	slices.SortFunc(es, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	var cuts []int
	for i := 1; i < len(es); i++ {
		if strings.SplitN(es[i].Name, "/", 3)[1] != strings.SplitN(es[i-1].Name, "/", 3)[1] {
			cuts = append(cuts, i)
		}
	}
	frags := fragmentsOf(t, es, cuts, Options{Level: 1})
	var idxHeap uint64
	{
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		idxHeap = m.HeapAlloc
	}
	var res *AssembleResult
	var err error
	out := &stallingDiscard{}
	start := time.Now()
	before, hwm, reset, heap := measurePeak(func() {
		res, err = AssembleWith(out, frags, AssembleOptions{Dedup: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d entries in %d fragments, %d deduplicated (%d MiB unzipped, %d MiB zipped saved) -> %d MiB archive in %v",
		res.Entries, len(frags), res.Dedup.Files, res.Dedup.SavedUnzipped>>20, res.Dedup.SavedZipped>>20, out.n>>20, time.Since(start).Round(time.Millisecond))
	t.Logf("heap with indexes loaded %d MiB; RSS before %d MiB, peak (reset=%v) %d MiB; peak Go heap %d MiB",
		idxHeap>>20, before>>20, reset, hwm>>20, heap>>20)
	if res.Dedup.Files != len(dups) {
		t.Errorf("%d files deduplicated, want %d", res.Dedup.Files, len(dups))
	}
	// Indexes and plan: well under 1 KiB per entry; buffers: 256 KiB each.
	if limit := idxHeap + uint64(res.Entries)*1024 + 8<<20; heap > limit {
		t.Errorf("peak heap %d MiB, want < %d MiB", heap>>20, limit>>20)
	}
}
