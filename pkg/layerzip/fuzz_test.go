package layerzip

// Fuzzers for what the final assembly step reads back: fragment indexes
// (.idx JSON) and fragment data files, which come from a cache and are
// not trusted to be what WriteFragmentFile wrote. `make fuzz` runs them;
// one alone:
//
//	go test ./pkg/layerzip/ -run '^$' -fuzz '^FuzzAssemble$' -fuzztime 60s

import (
	"archive/zip"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fuzzEntries builds sorted entries from name -> content ("->target" for
// a symlink, names ending in '/' are directories; names starting with
// '!' are executable).
func fuzzEntries(files map[string]string) []Entry {
	var es []Entry
	for name, content := range files {
		switch {
		case strings.HasSuffix(name, "/"):
			es = append(es, DirEntry(name))
		case strings.HasPrefix(content, "->"):
			es = append(es, SymlinkEntry(name, content[2:]))
		default:
			perm := fs.FileMode(0o644)
			if n, ok := strings.CutPrefix(name, "!"); ok {
				name, perm = n, 0o755
			}
			c := content
			es = append(es, FileEntry(name, perm, int64(len(c)), func() (io.ReadCloser, error) {
				return io.NopCloser(strings.NewReader(c)), nil
			}))
		}
	}
	slices.SortFunc(es, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return es
}

// fuzzFragment writes entries as a fragment: index JSON and data bytes.
func fuzzFragment(t testing.TB, files map[string]string) (idx, data []byte) {
	var d, ix bytes.Buffer
	x, err := WriteFragment(&d, fuzzEntries(files), Options{Epoch: mustEpoch(t, "1700000000"), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.WriteTo(&ix); err != nil {
		t.Fatal(err)
	}
	return ix.Bytes(), d.Bytes()
}

// Seed fragments: a package with every kind of entry, compressible and
// incompressible files, links within the package and up into another.
var fuzzSeedTrees = []map[string]string{
	{
		"python/pkga/__init__.py":     "# a\n",
		"python/pkga/data.bin":        strings.Repeat("geospatial data row\n", 30),
		"python/pkga/x/copy.bin":      strings.Repeat("geospatial data row\n", 30),
		"!python/pkga/libs/libfoo.so": string(randomBytes(300, 1)),
		"python/pkga/libs/libfoo.so1": "->libfoo.so",
		"python/pkga/up":              "->../pkgb",
		"python/pkga/empty/":          "",
		"python/pkga/données.txt":     "é\n",
	},
	{"python/pkga/only.py": "x = 1\n"},
	{"python/pkga/l": "->../../python/pkgb/shared.bin", "python/pkga/s": "->..", "python/pkga/t": "->s/pkgb"},
	{},
}

// fuzzOtherTree is the second fragment every fuzzed one is assembled
// with: duplicates of the seed content (for deduplication) and links
// into pkga.
var fuzzOtherTree = map[string]string{
	"python/pkgb/shared.bin": strings.Repeat("geospatial data row\n", 30),
	"python/pkgb/lib.so":     string(randomBytes(300, 1)),
	"python/pkgb/to-a":       "->../pkga/data.bin",
	"python/pkgb/dir/":       "",
}

// FuzzReadFragmentIndex: an index that reads is valid, is written back in
// a canonical form that reads to the same index, and measures (alone and
// with deduplication) without panicking; measuring it twice fails (the
// names clash) unless it is empty.
func FuzzReadFragmentIndex(f *testing.F) {
	for _, tree := range append(slices.Clone(fuzzSeedTrees), fuzzOtherTree) {
		idx, _ := fuzzFragment(f, tree)
		f.Add(idx)
	}
	f.Add([]byte(`{"format":"geolayer-layerzip-fragment/1","size":0,"count":0,"entries":[]}`))
	f.Add([]byte(`{"format":"geolayer-layerzip-fragment/2","size":34,"count":1,"entries":[` + "\n" +
		`{"name":"a","crc32":0,"csize":4,"usize":4,"method":0,"flags":0,"mode":41471,"dostime":0,"dosdate":33,"offset":0}` + "\n]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := ReadFragmentIndex(bytes.NewReader(data))
		if err != nil {
			return
		}
		if err := x.Validate(); err != nil {
			t.Fatalf("read index does not validate: %v", err)
		}
		var b bytes.Buffer
		if _, err := x.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		y, err := ReadFragmentIndex(bytes.NewReader(b.Bytes()))
		if err != nil || x.Format != y.Format || x.Size != y.Size || !slices.Equal(x.Entries, y.Entries) {
			t.Fatalf("written back as\n%s\nreads as %+v, %v", b.Bytes(), y, err)
		}
		var b2 bytes.Buffer
		if _, err := y.WriteTo(&b2); err != nil || !bytes.Equal(b.Bytes(), b2.Bytes()) {
			t.Fatalf("WriteTo is not canonical:\n%s\n%s", b.Bytes(), b2.Bytes())
		}
		frag := Fragment{Data: "a.frag", Index: x}
		res, err := Measure([]Fragment{frag}, AssembleOptions{})
		if err != nil {
			t.Fatalf("Measure of a valid index: %v", err)
		}
		var unzipped uint64
		for _, e := range x.Entries {
			unzipped += e.UncompressedSize
		}
		if res.Entries != len(x.Entries) || res.Unzipped != unzipped || res.Size < x.Size {
			t.Fatalf("Measure = %+v for %d entries, %d bytes unzipped, %d bytes of data", res, len(x.Entries), unzipped, x.Size)
		}
		_, _ = Measure([]Fragment{frag}, AssembleOptions{Dedup: true, DedupMinSize: 1})
		if _, err := Measure([]Fragment{frag, {Data: "b.frag", Index: y}}, AssembleOptions{}); (err == nil) != (len(x.Entries) == 0) {
			t.Fatalf("the same %d entries twice: %v", len(x.Entries), err)
		}
	})
}

// FuzzAssemble assembles a fuzzed fragment (index and data) with a fixed
// valid one. Whatever the bytes: an error or a zip that archive/zip reads,
// whose entries are the indexes' records in order, whose length and
// statistics Measure predicts, and whose symlinks all resolve inside the
// archive.
func FuzzAssemble(f *testing.F) {
	for _, tree := range fuzzSeedTrees {
		idx, data := fuzzFragment(f, tree)
		f.Add(idx, data, false)
		f.Add(idx, data, true)
	}
	other := filepath.Join(f.TempDir(), "other.frag")
	if _, err := WriteFragmentFile(other, fuzzEntries(fuzzOtherTree), Options{Epoch: mustEpoch(f, "1700000000"), Workers: 1}); err != nil {
		f.Fatal(err)
	}
	otherFrag, err := LoadFragment(other)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, idx, data []byte, dedup bool) {
		x, err := ReadFragmentIndex(bytes.NewReader(idx))
		if err != nil {
			return
		}
		p := filepath.Join(t.TempDir(), "fuzz.frag")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		frags := []Fragment{{Data: p, Index: x}, otherFrag}
		opts := AssembleOptions{Dedup: dedup, DedupMinSize: 1}
		var out bytes.Buffer
		res, err := AssembleWith(&out, frags, opts)
		if err != nil {
			return
		}
		if res.Size != uint64(out.Len()) {
			t.Fatalf("result says %d bytes, wrote %d", res.Size, out.Len())
		}
		m, err := Measure(frags, opts)
		if err != nil || !reflect.DeepEqual(m, res) {
			t.Fatalf("Measure = %+v, %v; AssembleWith = %+v", m, err, res)
		}
		zr, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err != nil {
			t.Fatalf("assembled archive does not read: %v", err)
		}
		sorted := slices.Clone(frags)
		SortFragments(sorted)
		var want []*IndexEntry
		for _, fr := range sorted {
			for i := range fr.Index.Entries {
				want = append(want, &fr.Index.Entries[i])
			}
		}
		if len(zr.File) != len(want) || res.Entries != len(want) {
			t.Fatalf("archive has %d entries, result %d, indexes %d", len(zr.File), res.Entries, len(want))
		}
		deduped := map[string]bool{}
		for _, g := range res.Dedup.Groups {
			for _, d := range g.Duplicates {
				deduped[d] = true
			}
		}
		links := map[string]string{}
		for i, zf := range zr.File {
			e := want[i]
			if zf.Name != e.Name {
				t.Fatalf("entry %d is %q, index says %q", i, zf.Name, e.Name)
			}
			if !deduped[e.Name] && (zf.CRC32 != e.CRC32 || zf.CompressedSize64 != e.CompressedSize ||
				zf.UncompressedSize64 != e.UncompressedSize || zf.Method != e.Method) {
				t.Fatalf("%s: central directory %+v does not match the index %+v", e.Name, zf.FileHeader, *e)
			}
			if zf.Mode()&fs.ModeSymlink != 0 {
				r, err := zf.OpenRaw()
				if err != nil {
					t.Fatalf("%s: %v", zf.Name, err)
				}
				target, err := io.ReadAll(r)
				if err != nil {
					t.Fatalf("%s: %v", zf.Name, err)
				}
				links[zf.Name] = string(target)
			}
		}
		for name, target := range links {
			if archiveLinkLeaves(name, links) {
				t.Fatalf("symlink %s -> %s resolves outside the archive", name, target)
			}
		}
	})
}

// archiveLinkLeaves reports whether the symlink name, resolved the way the
// kernel would once the archive is extracted (links among links expanded,
// missing components taken lexically), leads outside the archive root.
func archiveLinkLeaves(name string, links map[string]string) bool {
	split := func(p string) []string {
		var out []string
		for c := range strings.SplitSeq(p, "/") {
			if c != "" && c != "." {
				out = append(out, c)
			}
		}
		return out
	}
	stack := split(path.Dir(name))
	todo := []string{path.Base(name)}
	for hops := 0; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		if c == ".." {
			if len(stack) == 0 {
				return true
			}
			stack = stack[:len(stack)-1]
			continue
		}
		stack = append(stack, c)
		target, ok := links[strings.Join(stack, "/")]
		if !ok {
			continue
		}
		if hops++; hops > 40 {
			return false // ELOOP
		}
		if strings.HasPrefix(target, "/") {
			return true
		}
		stack = stack[:len(stack)-1]
		todo = append(split(target), todo...)
	}
	return false
}
