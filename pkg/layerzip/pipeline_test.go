package layerzip

import (
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestPipelineErrorsCleanUp: a failing entry or a failing writer stops
// the pipeline, reports the first error in entry order, leaves no spill
// files and no goroutines behind.
func TestPipelineErrorsCleanUp(t *testing.T) {
	tmp := t.TempDir()
	opts := Options{TempDir: tmp, SpillThreshold: 8 << 10, MaxBuffer: 64 << 10, Workers: 4}
	before := runtime.NumGoroutine()
	var es []Entry
	for i := range 300 {
		es = append(es, synthEntry(strings.Repeat("x", 3)+string(rune('a'+i%26))+"/"+itoa(i), int64(1000+i*500), synthText, uint64(i)))
	}
	broken := FileEntry("zz/broken", 0o644, 10, func() (io.ReadCloser, error) { return nil, errors.New("boom") })
	if err := WriteArchive(io.Discard, append(es, broken), opts); err == nil || !strings.Contains(err.Error(), "zz/broken: boom") {
		t.Errorf("broken entry: %v", err)
	}
	if err := WriteArchive(&failingWriter{after: 100 << 10}, es, opts); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("failing writer: %v", err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("%d spill files left behind", len(ents))
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines before, %d after", before, n)
	}
}

type failingWriter struct{ after int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.after -= len(p); f.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
