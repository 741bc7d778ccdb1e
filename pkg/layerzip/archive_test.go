package layerzip

import (
	"archive/zip"
	"bytes"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestWriteTreeReadBack(t *testing.T) {
	root := sampleTree(t)
	epoch := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	data := writeTree(t, root, "python/", Options{Epoch: epoch, SpillThreshold: 100 << 10})
	zr, contents := readBack(t, data)

	type want struct {
		mode   fs.FileMode
		method uint16
	}
	wants := map[string]want{
		"python/bin/tool":           {0o755, zip.Store}, // 18 bytes: deflate does not shrink
		"python/pkg/__init__.py":    {0o644, zip.Store}, // empty
		"python/pkg/_ext.so":        {0o755, zip.Store}, // random: deflate does not shrink
		"python/pkg/data/big.txt":   {0o644, zip.Deflate},
		"python/pkg/données/été.py": {0o644, zip.Store}, // 8 bytes
		"python/pkg/empty/":         {fs.ModeDir | 0o755, zip.Store},
		"python/pkg/libfoo.so":      {fs.ModeSymlink | 0o777, zip.Store},
		"python/pkg/libfoo.so.1":    {0o755, zip.Deflate},
		"python/pkg/mod.py":         {0o644, zip.Deflate},
		"python/pkg/nested/empty/":  {fs.ModeDir | 0o755, zip.Store},
		"python/pkg/one":            {0o644, zip.Store},
		"python/pkg/up":             {fs.ModeSymlink | 0o777, zip.Store},
		"python/pkg/日本/__init__.py": {0o644, zip.Store},
	}
	if len(zr.File) != len(wants) {
		t.Errorf("%d entries, want %d", len(zr.File), len(wants))
	}
	prev := ""
	for _, f := range zr.File {
		w, ok := wants[f.Name]
		if !ok {
			t.Errorf("unexpected entry %s", f.Name)
			continue
		}
		if f.Name <= prev {
			t.Errorf("%s after %s: not sorted", f.Name, prev)
		}
		prev = f.Name
		if f.Mode() != w.mode {
			t.Errorf("%s: mode %v, want %v", f.Name, f.Mode(), w.mode)
		}
		if f.Method != w.method {
			t.Errorf("%s: method %d, want %d", f.Name, f.Method, w.method)
		}
		if len(f.Extra) != 0 || f.Comment != "" {
			t.Errorf("%s: extra %x comment %q", f.Name, f.Extra, f.Comment)
		}
		if f.CreatorVersion != 3<<8|20 || f.ReaderVersion != 20 {
			t.Errorf("%s: versions %#x %d", f.Name, f.CreatorVersion, f.ReaderVersion)
		}
		utf8Flag := f.Flags&0x800 != 0
		if f.Flags&^0x800 != 0 || utf8Flag != !isASCII(f.Name) {
			t.Errorf("%s: flags %#x", f.Name, f.Flags)
		}
		if !f.Modified.Equal(epoch.Add(-time.Second)) { // DOS: 2-second resolution
			t.Errorf("%s: modified %v", f.Name, f.Modified)
		}
		if crc32.ChecksumIEEE([]byte(contents[f.Name])) != f.CRC32 {
			t.Errorf("%s: CRC", f.Name)
		}
		if strings.HasSuffix(f.Name, "/") || f.Mode()&fs.ModeSymlink != 0 {
			continue
		}
		disk, err := os.ReadFile(filepath.Join(root, strings.TrimPrefix(f.Name, "python/")))
		if err != nil || string(disk) != contents[f.Name] {
			t.Errorf("%s: content differs from disk (%v)", f.Name, err)
		}
	}
	if contents["python/pkg/libfoo.so"] != "libfoo.so.1" || contents["python/pkg/up"] != "../bin" {
		t.Errorf("symlink targets: %q %q", contents["python/pkg/libfoo.so"], contents["python/pkg/up"])
	}
	if zr.Comment != "" {
		t.Errorf("archive comment %q", zr.Comment)
	}
}

// TestDeterminism: the same tree gives the same bytes across runs, worker
// counts, GOMAXPROCS, memory budgets and spill thresholds.
func TestDeterminism(t *testing.T) {
	root := sampleTree(t)
	base := sum(writeTree(t, root, "python/", Options{}))
	variants := map[string]Options{
		"again":          {},
		"1 worker":       {Workers: 1},
		"9 workers":      {Workers: 9},
		"tiny buffer":    {MaxBuffer: 1, Workers: 4},
		"spill all":      {SpillThreshold: 1},
		"explicit level": {Level: DefaultLevel},
		"zero epoch":     {Epoch: time.Unix(0, 0)},
	}
	for name, o := range variants {
		if got := sum(writeTree(t, root, "python/", o)); got != base {
			t.Errorf("%s: output differs", name)
		}
	}
	old := runtime.GOMAXPROCS(1)
	one := sum(writeTree(t, root, "python/", Options{}))
	runtime.GOMAXPROCS(8)
	many := sum(writeTree(t, root, "python/", Options{}))
	runtime.GOMAXPROCS(old)
	if one != base || many != base {
		t.Errorf("GOMAXPROCS changes the output")
	}
	if got := sum(writeTree(t, root, "python/", Options{Level: 1})); got == base {
		t.Errorf("level 1 should differ from the default level")
	}
}

// TestDeterminismSynthetic covers the pipeline under memory pressure with
// thousands of entries.
func TestDeterminismSynthetic(t *testing.T) {
	es := synthTree(12 << 20)
	var sums []string
	for _, o := range []Options{{Workers: 1}, {Workers: 6, MaxBuffer: 256 << 10, SpillThreshold: 64 << 10}, {}} {
		var buf bytes.Buffer
		if err := WriteArchive(&buf, es, o); err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sum(buf.Bytes()))
		if len(sums) == 1 {
			zr, _ := readBack(t, buf.Bytes())
			if len(zr.File) != len(es) {
				t.Fatalf("%d entries, want %d", len(zr.File), len(es))
			}
		}
	}
	if sums[0] != sums[1] || sums[0] != sums[2] {
		t.Errorf("outputs differ: %v", sums)
	}
}

func TestEpoch(t *testing.T) {
	for _, c := range []struct {
		epoch time.Time
		want  string
	}{
		{time.Time{}, "1980-01-01T00:00:00Z"},
		{time.Unix(0, 0), "1980-01-01T00:00:00Z"},                                                // SOURCE_DATE_EPOCH=0 clamps
		{time.Unix(315532799, 0), "1980-01-01T00:00:00Z"},                                        // one second before 1980
		{time.Unix(1700000001, 0), "2023-11-14T22:13:20Z"},                                       // odd second rounds down
		{time.Date(2030, 1, 2, 3, 4, 6, 0, time.FixedZone("X", 5*3600)), "2030-01-01T22:04:06Z"}, // stored in UTC
		{time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), "2107-12-31T23:59:58Z"},
	} {
		es := []Entry{FileEntry("f", 0o644, 1, func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("x")), nil })}
		var buf bytes.Buffer
		if err := WriteArchive(&buf, es, Options{Epoch: c.epoch}); err != nil {
			t.Fatal(err)
		}
		zr, _ := readBack(t, buf.Bytes())
		if got := zr.File[0].Modified.UTC().Format(time.RFC3339); got != c.want {
			t.Errorf("epoch %v: modified %s, want %s", c.epoch, got, c.want)
		}
	}
}

func TestParseSourceDateEpoch(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "0": 0, "1700000000": 1700000000, "-5": -5} {
		got, err := ParseSourceDateEpoch(in)
		if err != nil || (in != "" && got.Unix() != want) || (in == "" && !got.IsZero()) {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, in := range []string{"abc", "1.5", "+1", " 1", "1e9"} {
		if _, err := ParseSourceDateEpoch(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	// Before 1980 clamps end to end.
	epoch, _ := ParseSourceDateEpoch("100")
	if d, tm := dosDateTime(epoch); d != 33 || tm != 0 {
		t.Errorf("dos %d %d", d, tm)
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, l := range []int{-1, 10} {
		if err := WriteArchive(io.Discard, nil, Options{Level: l}); err == nil {
			t.Errorf("level %d accepted", l)
		}
	}
}

func TestEntryErrors(t *testing.T) {
	cases := map[string][]Entry{
		"duplicate":      {FileEntry("a", 0, 1, opener("x")), FileEntry("a", 0, 1, opener("x"))},
		"file vs dir":    {FileEntry("a", 0, 1, opener("x")), FileEntry("a/b", 0, 1, opener("x"))},
		"link vs dir":    {SymlinkEntry("lib64", "lib"), DirEntry("lib64")},
		"bad name":       {FileEntry("../a", 0, 1, opener("x"))},
		"device":         {{Name: "dev", Mode: fs.ModeDevice}},
		"escaping link":  {SymlinkEntry("a/l", "../../x")},
		"size grew":      {FileEntry("a", 0, 1, opener("xy"))},
		"size shrank":    {FileEntry("a", 0, 3, opener("xy"))},
		"no source":      {{Name: "a", Size: 3}},
		"changed reread": {FileEntry("r", 0, 2000, changing(2000))},
	}
	for name, es := range cases {
		if err := WriteArchive(io.Discard, es, Options{}); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// changing returns a source of incompressible data that differs on every
// open, which the store path must detect.
func changing(n int) func() (io.ReadCloser, error) {
	seed := uint64(0)
	return func() (io.ReadCloser, error) {
		seed++
		return io.NopCloser(bytes.NewReader(randomBytes(n, seed))), nil
	}
}
