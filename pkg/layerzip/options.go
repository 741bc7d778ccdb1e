package layerzip

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// DefaultLevel is the deflate level used when Options.Level is 0.
//
// Chosen by measurement (pkg/deflate's level table, summarised in
// README.md): on geolayer's benchmark corpus of shared libraries and Python
// sources, level 6 of our encoder is 0.3% smaller than zlib level 6 in about
// half its CPU time, and within 0.4% of zlib level 9 (zip -9) in a seventh of
// its time. Level 7 is 1.1% smaller for 1.4x the CPU. Fragments are cached per
// package, so compression is paid once per package version while the
// archive size is paid at every upload and cold start.
const DefaultLevel = 6

const (
	// DefaultMaxBuffer caps compressed data held in memory by WriteFragment.
	DefaultMaxBuffer = 64 << 20
	// DefaultSpillThreshold: files larger than this compress into temporary
	// files instead of memory.
	DefaultSpillThreshold = 4 << 20
)

var (
	dosEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	// dosLast is the last instant an MS-DOS date/time field can hold.
	dosLast = time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)
)

// Options control how entries are encoded. Two calls with equal Options and
// equal entries write identical bytes, whatever the machine or GOMAXPROCS.
type Options struct {
	// Epoch is the modification time of every entry, normally
	// SOURCE_DATE_EPOCH (see ParseSourceDateEpoch). It is stored in UTC in
	// MS-DOS format: the zero value and anything before 1980-01-01 become
	// 1980-01-01 00:00:00, anything after 2107-12-31 23:59:58 becomes that
	// instant, and odd seconds round down (2-second resolution).
	Epoch time.Time
	// Level is the deflate level, 1 (fastest) to 9 (smallest); 0 means
	// DefaultLevel. It changes the output bytes.
	Level int
	// Workers is the number of compressing goroutines; 0 means GOMAXPROCS.
	// It never changes the output bytes.
	Workers int
	// MaxBuffer caps the compressed bytes held in memory at once (in flight
	// and waiting to be written in order); 0 means DefaultMaxBuffer. It never
	// changes the output bytes.
	MaxBuffer int64
	// SpillThreshold: regular files larger than this many bytes compress into
	// a temporary file in TempDir; 0 means DefaultSpillThreshold. It is
	// capped at MaxBuffer and never changes the output bytes.
	SpillThreshold int64
	// TempDir holds spill files; "" means os.TempDir().
	TempDir string
}

// settings are Options with defaults applied and values checked.
type settings struct {
	level   int
	workers int
	chunks  int64 // memory budget in chunks of chunkSize
	spill   int64
	tempDir string
	dosTime uint16
	dosDate uint16
}

func (o Options) resolve() (settings, error) {
	s := settings{level: o.Level, workers: o.Workers, spill: o.SpillThreshold, tempDir: o.TempDir}
	if s.level == 0 {
		s.level = DefaultLevel
	}
	if s.level < 1 || s.level > 9 {
		return s, fmt.Errorf("layerzip: deflate level %d out of range 1..9", o.Level)
	}
	if s.workers <= 0 {
		s.workers = runtime.GOMAXPROCS(0)
	}
	maxBuf := o.MaxBuffer
	if maxBuf <= 0 {
		maxBuf = DefaultMaxBuffer
	}
	s.chunks = max(1, maxBuf/chunkSize)
	if s.spill <= 0 {
		s.spill = DefaultSpillThreshold
	}
	s.spill = min(s.spill, s.chunks*chunkSize)
	if s.tempDir == "" {
		s.tempDir = os.TempDir()
	}
	s.dosDate, s.dosTime = dosDateTime(o.Epoch)
	return s, nil
}

// dosDateTime clamps t to the MS-DOS range and encodes it in UTC.
func dosDateTime(t time.Time) (date, tm uint16) {
	t = t.UTC()
	if t.Before(dosEpoch) {
		t = dosEpoch
	}
	if t.After(dosLast) {
		t = dosLast
	}
	date = uint16((t.Year()-1980)<<9 | int(t.Month())<<5 | t.Day())
	tm = uint16(t.Hour()<<11 | t.Minute()<<5 | t.Second()/2)
	return date, tm
}

// ParseSourceDateEpoch parses a SOURCE_DATE_EPOCH value (decimal seconds
// since 1970-01-01 UTC, as printed by `date +%s`). An empty value returns the
// zero time, which Options treats as 1980-01-01.
func ParseSourceDateEpoch(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if strings.HasPrefix(v, "+") {
		return time.Time{}, fmt.Errorf("layerzip: malformed SOURCE_DATE_EPOCH %q", v)
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("layerzip: malformed SOURCE_DATE_EPOCH %q", v)
	}
	return time.Unix(sec, 0).UTC(), nil
}
