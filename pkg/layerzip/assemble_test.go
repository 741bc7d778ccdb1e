package layerzip

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fragmentsOf writes entries split at the given indexes as fragment files
// and loads them back from disk.
func fragmentsOf(t testing.TB, es []Entry, cuts []int, opts Options) []Fragment {
	t.Helper()
	dir := t.TempDir()
	var frags []Fragment
	start := 0
	for i, end := range append(cuts, len(es)) {
		path := filepath.Join(dir, fmt.Sprintf("f%02d.frag", i))
		if _, err := WriteFragmentFile(path, es[start:end], opts); err != nil {
			t.Fatal(err)
		}
		f, err := LoadFragment(path)
		if err != nil {
			t.Fatal(err)
		}
		frags = append(frags, f)
		start = end
	}
	return frags
}

func assemble(t testing.TB, frags []Fragment) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Assemble(&buf, frags); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAssembleEqualsWholeTree(t *testing.T) {
	root := sampleTree(t)
	opts := Options{SpillThreshold: 64 << 10}
	whole := writeTree(t, root, "python/", opts)
	es, err := WalkDir(root, "python/")
	if err != nil {
		t.Fatal(err)
	}
	for _, cuts := range [][]int{nil, {1}, {3, 4, 9}, {0, 5, 5, len(es)}} {
		frags := fragmentsOf(t, es, cuts, opts)
		// Listed in any order, sorted by the caller.
		for i, j := 0, len(frags)-1; i < j; i, j = i+1, j-1 {
			frags[i], frags[j] = frags[j], frags[i]
		}
		SortFragments(frags)
		if got := assemble(t, frags); sum(got) != sum(whole) {
			t.Errorf("cuts %v: assembled archive differs from the whole tree", cuts)
		}
	}
	// A synthetic tree with spill files and stored entries, many fragments.
	syn := synthTree(6 << 20)
	var buf bytes.Buffer
	if err := WriteArchive(&buf, syn, opts); err != nil {
		t.Fatal(err)
	}
	var cuts []int
	for i := 7; i < len(syn); i += len(syn) / 7 {
		cuts = append(cuts, i)
	}
	if got := assemble(t, fragmentsOf(t, syn, cuts, opts)); sum(got) != sum(buf.Bytes()) {
		t.Errorf("synthetic: assembled archive differs from the whole archive")
	}
}

// Fragments whose name ranges interleave still assemble into a valid
// archive, in fragment order.
func TestAssembleInterleaved(t *testing.T) {
	a := []Entry{DirEntry("bin/a/"), SymlinkEntry("python/a", "../bin/a")}
	b := []Entry{DirEntry("bin/b/"), DirEntry("python/b/")}
	frags := []Fragment{fragmentsOf(t, b, nil, Options{})[0], fragmentsOf(t, a, nil, Options{})[0]}
	SortFragments(frags)
	zr, _ := readBack(t, assemble(t, frags))
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != "bin/a/ python/a bin/b/ python/b/" {
		t.Errorf("order %s", got)
	}
}

func TestAssembleRejectsDuplicates(t *testing.T) {
	write := fragmentWriter(t)
	f1 := write("numpy.frag", DirEntry("python/numpy/"), SymlinkEntry("python/x", "numpy"))
	f2 := write("scipy.frag", SymlinkEntry("python/x", "scipy"))
	f3 := write("lib.frag", SymlinkEntry("python/numpy/lib", "../lib"), DirEntry("python/zz/"))
	f4 := write("clash.frag", DirEntry("python/x/y/"))

	err := Assemble(&bytes.Buffer{}, []Fragment{f1, f2})
	if err == nil || !strings.Contains(err.Error(), f1.Data) || !strings.Contains(err.Error(), f2.Data) || !strings.Contains(err.Error(), `"python/x"`) {
		t.Errorf("duplicate: got %v, want an error naming the entry and both fragments", err)
	}
	if err := Assemble(&bytes.Buffer{}, []Fragment{f1, f3}); err != nil {
		t.Errorf("empty dir plus entries below it (across fragments): %v", err)
	}
	err = Assemble(&bytes.Buffer{}, []Fragment{f1, f4})
	if err == nil || !strings.Contains(err.Error(), f4.Data) {
		t.Errorf("symlink used as a directory: got %v", err)
	}
	if err := Assemble(&bytes.Buffer{}, []Fragment{f1, f1}); err == nil {
		t.Errorf("same fragment twice accepted")
	}
}

// A link that is harmless inside its own fragment can escape through a
// symlink from another fragment; Assemble checks the whole archive.
func TestAssembleChecksLinksAcrossFragments(t *testing.T) {
	dir := t.TempDir()
	f1, err := WriteFragmentFile(filepath.Join(dir, "a.frag"), []Entry{SymlinkEntry("a/s", "..")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f2, err := WriteFragmentFile(filepath.Join(dir, "b.frag"), []Entry{SymlinkEntry("a/l", "s/../x"), SymlinkEntry("ok", "a/s")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var le *LinkError
	if err := Assemble(&bytes.Buffer{}, []Fragment{f1, f2}); !errors.As(err, &le) || !strings.Contains(err.Error(), f2.Data) {
		t.Errorf("got %v, want a LinkError naming %s", err, f2.Data)
	}
	f3, _ := WriteFragmentFile(filepath.Join(dir, "c.frag"), []Entry{SymlinkEntry("ok", "a/s")}, Options{})
	if err := Assemble(&bytes.Buffer{}, []Fragment{f1, f3}); err != nil {
		t.Errorf("in-archive links: %v", err)
	}
}

func TestEmptyArchive(t *testing.T) {
	var a, b, c bytes.Buffer
	if err := Assemble(&a, nil); err != nil {
		t.Fatal(err)
	}
	if err := WriteArchive(&b, nil, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteTree(&c, t.TempDir(), "python/", Options{}); err != nil {
		t.Fatal(err)
	}
	want := "PK\x05\x06" + strings.Repeat("\x00", 18)
	if a.String() != want || b.String() != want || c.String() != want {
		t.Errorf("empty archives: %q %q %q", a.String(), b.String(), c.String())
	}
	if zr, _ := readBack(t, a.Bytes()); len(zr.File) != 0 {
		t.Errorf("entries in an empty archive")
	}
	// Empty fragments contribute nothing.
	empty := fragmentsOf(t, nil, nil, Options{})
	if got := assemble(t, append(empty, empty[0])); string(got) != want {
		t.Errorf("empty fragments: %q", got)
	}
}

func TestFragmentIndexFormat(t *testing.T) {
	es := []Entry{
		FileEntry("a.py", 0o644, 5, opener("hello")),
		DirEntry("b"),
		SymlinkEntry("c", "a.py"),
		FileEntry("é.py", 0o755, 2000, opener(strings.Repeat("é", 1000))),
	}
	var data bytes.Buffer
	idx, err := WriteFragment(&data, es, Options{Epoch: mustEpoch(t, "1700000000")})
	if err != nil {
		t.Fatal(err)
	}
	if idx.Size != uint64(data.Len()) {
		t.Errorf("size %d, data %d", idx.Size, data.Len())
	}
	var enc bytes.Buffer
	if _, err := idx.WriteTo(&enc); err != nil {
		t.Fatal(err)
	}
	want := `{"format":"geolayer-layerzip-fragment/2","size":159,"count":4,"entries":[
{"name":"a.py","crc32":907060870,"csize":5,"usize":5,"method":0,"flags":0,"mode":33188,"dostime":45482,"dosdate":22382,"offset":0,"sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
{"name":"b/","crc32":0,"csize":0,"usize":0,"method":0,"flags":0,"mode":16877,"dostime":45482,"dosdate":22382,"offset":39},
{"name":"c","crc32":2532021502,"csize":4,"usize":4,"method":0,"flags":0,"mode":41471,"dostime":45482,"dosdate":22382,"offset":71},
{"name":"é.py","crc32":3264546374,"csize":18,"usize":2000,"method":8,"flags":2048,"mode":33261,"dostime":45482,"dosdate":22382,"offset":106,"sha256":"75628d88c411e2c7a3e1cbb3f0eb5498e51455875142fedd62677987cdecf107"}
]}
`
	if enc.String() != want {
		t.Errorf("index encoding:\n%s\nwant:\n%s", enc.String(), want)
	}
	back, err := ReadFragmentIndex(strings.NewReader(enc.String()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, idx) {
		t.Errorf("round trip: %+v != %+v", back, idx)
	}
	const sha = `"sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"`
	for name, bad := range map[string]string{
		"format":     strings.Replace(want, "fragment/2", "fragment/3", 1),
		"count":      strings.Replace(want, `"count":4`, `"count":3`, 1),
		"size":       strings.Replace(want, `"size":159`, `"size":218`, 1),
		"offset":     strings.Replace(want, `"offset":71`, `"offset":72`, 1),
		"mode":       strings.Replace(want, `"mode":33188`, `"mode":33206`, 1),
		"flags":      strings.Replace(want, `"flags":2048`, `"flags":0`, 1),
		"method":     strings.Replace(want, `"method":8`, `"method":12`, 1),
		"unknown":    strings.Replace(want, `"crc32":0,`, `"crc32":0,"x":1,`, 1),
		"unsorted":   strings.Replace(want, `"name":"c"`, `"name":"0"`, 1),
		"truncate":   want[:len(want)/2],
		"no sha":     strings.Replace(want, ","+sha, "", 1),
		"short sha":  strings.Replace(want, "9824\"", "982\"", 1),
		"upper sha":  strings.Replace(want, "2cf24dba", "2CF24DBA", 1),
		"dir sha":    strings.Replace(want, `"offset":39}`, `"offset":39,`+sha+`}`, 1),
		"link elf":   strings.Replace(want, `"offset":71}`, `"offset":71,"elf":true}`, 1),
		"soname":     strings.Replace(want, sha+"}", sha+`,"soname":"libx.so"}`, 1), // without elf
		"bad soname": strings.Replace(want, sha+"}", sha+`,"elf":true,"soname":"a/b"}`, 1),
	} {
		if _, err := ReadFragmentIndex(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: corrupted index accepted", name)
		}
	}
	elfOK := strings.Replace(want, sha+"}", sha+`,"elf":true,"soname":"libx.so.1"}`, 1)
	if x, err := ReadFragmentIndex(strings.NewReader(elfOK)); err != nil || !x.Entries[0].ELF || x.Entries[0].Soname != "libx.so.1" {
		t.Errorf("elf fields: %v", err)
	}

	// Format /1 (no hashes) is still read, and written back unchanged.
	v1 := `{"format":"geolayer-layerzip-fragment/1","size":160,"count":4,"entries":[
{"name":"a.py","crc32":907060870,"csize":5,"usize":5,"method":0,"flags":0,"mode":33188,"dostime":45482,"dosdate":22382,"offset":0},
{"name":"b/","crc32":0,"csize":0,"usize":0,"method":0,"flags":0,"mode":16877,"dostime":45482,"dosdate":22382,"offset":39},
{"name":"c","crc32":2532021502,"csize":4,"usize":4,"method":0,"flags":0,"mode":41471,"dostime":45482,"dosdate":22382,"offset":71},
{"name":"é.py","crc32":3264546374,"csize":19,"usize":2000,"method":8,"flags":2048,"mode":33261,"dostime":45482,"dosdate":22382,"offset":106}
]}
`
	old, err := ReadFragmentIndex(strings.NewReader(v1))
	if err != nil {
		t.Fatalf("format /1: %v", err)
	}
	if old.Format != IndexFormatV1 || old.hashed() {
		t.Errorf("format /1 read as %q", old.Format)
	}
	var again bytes.Buffer
	if _, err := old.WriteTo(&again); err != nil {
		t.Fatal(err)
	}
	if again.String() != v1 {
		t.Errorf("format /1 written back as:\n%s", again.String())
	}
	if _, err := ReadFragmentIndex(strings.NewReader(strings.Replace(v1, `"offset":0}`, `"offset":0,`+sha+`}`, 1))); err == nil {
		t.Errorf("sha256 in a /1 index accepted")
	}
}

// TestFragmentBytesUnchangedByIndexV2 pins the archive (and so fragment)
// bytes. Index format /2 did not change them (hashes first computed with the
// code before it, commit 8bb8cba); they changed once since, on purpose, when
// deflate moved from klauspost/compress to pkg/deflate (recomputed then).
func TestFragmentBytesUnchangedByIndexV2(t *testing.T) {
	if got := sum(writeTree(t, sampleTree(t), "python/", Options{SpillThreshold: 64 << 10})); got != "b4dce01be9dc382c2bd2c86c59de3269203746831bc4229852e72f742d1b03b9" {
		t.Errorf("sample tree: %s", got)
	}
	var buf bytes.Buffer
	if err := WriteArchive(&buf, synthTree(6<<20), Options{}); err != nil {
		t.Fatal(err)
	}
	if got := sum(buf.Bytes()); got != "77bc6fd72848eda3732d5ee0de0cdff3930d7becc448db19804c84de2a564cc7" {
		t.Errorf("synthetic tree: %s", got)
	}
	elfA := makeELF("libgdal-3a1b2c3d.so.33", randomBytes(3000, 5))
	elfB := append(makeELF("", bytes.Repeat([]byte("abc"), 3000)), 1)
	buf.Reset()
	es := []Entry{FileEntry("a/libgdal-3a1b2c3d.so.33", 0o755, int64(len(elfA)), opener(string(elfA))), FileEntry("b/x.so", 0o644, int64(len(elfB)), opener(string(elfB)))}
	if err := WriteArchive(&buf, es, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := sum(buf.Bytes()); got != "07b94dd18d08acb0501575d9461b94297b0bdac71ed3664606641472a7962b5f" {
		t.Errorf("ELF entries: %s", got)
	}
}

func TestAssembleChecksFragmentData(t *testing.T) {
	es := []Entry{FileEntry("a.py", 0o644, 5, opener("hello")), FileEntry("b.py", 0o644, 5, opener("world"))}
	f := fragmentsOf(t, es, nil, Options{})[0]
	orig, _ := os.ReadFile(f.Data)
	for name, corrupt := range map[string]func([]byte) []byte{
		"header":   func(b []byte) []byte { b[40] ^= 1; return b }, // in b.py's local header
		"trailing": func(b []byte) []byte { return append(b, 0) },
		"short":    func(b []byte) []byte { return b[:len(b)-1] },
	} {
		if err := os.WriteFile(f.Data, corrupt(bytes.Clone(orig)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := Assemble(&bytes.Buffer{}, []Fragment{f}); err == nil {
			t.Errorf("%s: corrupted fragment accepted", name)
		}
	}
	if err := os.WriteFile(f.Data, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Assemble(&bytes.Buffer{}, []Fragment{f}); err != nil {
		t.Errorf("restored fragment: %v", err)
	}
	if err := Assemble(&bytes.Buffer{}, []Fragment{{Data: f.Data}}); err == nil {
		t.Errorf("fragment without index accepted")
	}
	if _, err := LoadFragment(filepath.Join(t.TempDir(), "missing.frag")); err == nil {
		t.Errorf("missing index accepted")
	}
}

func TestWriteFragmentFileCleansUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.frag")
	if _, err := WriteFragmentFile(path, []Entry{FileEntry("a", 0, 3, opener("xy"))}, Options{}); err == nil {
		t.Fatal("size mismatch accepted")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("fragment left behind: %v", err)
	}
}
