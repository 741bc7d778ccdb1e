package layerzip

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// dupTrees returns a layer tree with duplicates across and within
// packages, and the same tree with the duplicates replaced by the
// symlinks deduplication must produce (targets written by hand).
func dupTrees() (orig, deduped map[string]node) {
	x := string(randomBytes(10000, 11))                          // a library, deflate does not help: stored
	y := strings.Repeat("geospatial data row\n", 600)            // 12000 bytes, deflated
	z := string(randomBytes(600<<10, 12))                        // stored, larger than Assemble's read buffer
	big := strings.Repeat("0123456789abcdef\n", 40000)           // 680000 bytes, deflated (spills)
	lic := strings.Repeat("Permission is hereby granted\n", 200) // licence text
	orig = map[string]node{
		"pkga/__init__.py":                    {content: "# a\n"},
		"pkga/libs/libfoo.so.1":               {content: x, perm: 0o755},
		"pkga/data.bin":                       {content: y},
		"pkga/x/copy.bin":                     {content: y}, // within the package: -> ../data.bin
		"pkga/z.bin":                          {content: z},
		"pkga/big.txt":                        {content: big},
		"pkga/small.txt":                      {content: "same small file\n"}, // below the threshold
		"pkga-1.0.dist-info/LICENSE":          {content: lic},                 // metadata: never
		"pkga-1.0.dist-info/RECORD":           {content: "pkga/__init__.py,,\n"},
		"pkgb/__init__.py":                    {content: "# a\n"},
		"pkgb/vendored/libfoo.so.1":           {content: x, perm: 0o755},
		"pkgb/vendored/libfoo.so":             {link: "libfoo.so.1"}, // a link to a duplicate: chain
		"pkgb/deep/er/data.bin":               {content: y},
		"pkgb/copy_exec.bin":                  {content: y, perm: 0o755}, // other mode: own group
		"pkgb/small.txt":                      {content: "same small file\n"},
		"pkgb/z.bin":                          {content: z},
		"pkgb-2.0.dist-info/LICENSE":          {content: lic},
		"pkgc/exec.bin":                       {content: y, perm: 0o755},
		"pkgc/données.bin":                    {content: y},
		"pkgc/big.txt":                        {content: big},
		"pkgc/empty/":                         {dir: true},
		"pkgc/almost.bin":                     {content: y[:len(y)-1] + "!"}, // same size, other content
		"pkgc-3.0.dist-info/licenses/LICENSE": {content: lic},
	}
	deduped = map[string]node{}
	for k, v := range orig {
		deduped[k] = v
	}
	for name, target := range map[string]string{
		"pkga/x/copy.bin":           "../data.bin",
		"pkgb/vendored/libfoo.so.1": "../../pkga/libs/libfoo.so.1",
		"pkgb/deep/er/data.bin":     "../../../pkga/data.bin",
		"pkgb/z.bin":                "../pkga/z.bin",
		"pkgc/exec.bin":             "../pkgb/copy_exec.bin",
		"pkgc/données.bin":          "../pkga/data.bin",
		"pkgc/big.txt":              "../pkga/big.txt",
	} {
		deduped[name] = node{link: target}
	}
	return orig, deduped
}

// packageFragments writes the tree under root (prefix "python/") as one
// fragment per top-level directory ("package"), and returns them in
// reverse order (AssembleWith must not care).
func packageFragments(t testing.TB, root string, opts Options) []Fragment {
	t.Helper()
	es, err := WalkDir(root, "python/")
	if err != nil {
		t.Fatal(err)
	}
	var cuts []int
	pkg := func(name string) string { return strings.SplitN(name, "/", 3)[1] }
	for i := 1; i < len(es); i++ {
		if pkg(es[i].Name) != pkg(es[i-1].Name) {
			cuts = append(cuts, i)
		}
	}
	frags := fragmentsOf(t, es, cuts, opts)
	slices.Reverse(frags)
	return frags
}

func assembleWith(t testing.TB, frags []Fragment, opts AssembleOptions) ([]byte, *AssembleResult) {
	t.Helper()
	var buf bytes.Buffer
	res, err := AssembleWith(&buf, frags, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Size != uint64(buf.Len()) {
		t.Errorf("result size %d, wrote %d", res.Size, buf.Len())
	}
	return buf.Bytes(), res
}

// TestDedupEqualsWholeTree: per-package fragments assembled with Dedup
// are byte-identical to WriteTree of the tree in which the duplicates are
// (hand-written) relative symlinks; the statistics and the unzipped size
// match that tree; without Dedup the output is the original whole tree.
func TestDedupEqualsWholeTree(t *testing.T) {
	orig, deduped := dupTrees()
	opts := Options{SpillThreshold: 64 << 10, Epoch: mustEpoch(t, "1700000000")}
	root := makeTree(t, orig)
	frags := packageFragments(t, root, opts)
	if len(frags) != 6 {
		t.Fatalf("%d fragments", len(frags))
	}

	got, res := assembleWith(t, frags, AssembleOptions{Dedup: true})
	want := writeTree(t, makeTree(t, deduped), "python/", opts)
	if sum(got) != sum(want) {
		t.Fatalf("deduplicated archive differs from the whole deduplicated tree")
	}
	// Independent of the fragment order, and of runs.
	rotated := append(slices.Clone(frags[2:]), frags[:2]...)
	if again, _ := assembleWith(t, rotated, AssembleOptions{Dedup: true}); !bytes.Equal(again, got) {
		t.Errorf("fragment order changes the output")
	}

	// Without Dedup: the original tree, and Assemble agrees.
	plain, pres := assembleWith(t, frags, AssembleOptions{})
	if sum(plain) != sum(writeTree(t, root, "python/", opts)) {
		t.Errorf("assembled without dedup differs from the whole tree")
	}
	sorted := slices.Clone(frags)
	SortFragments(sorted)
	if !bytes.Equal(assemble(t, sorted), plain) {
		t.Errorf("Assemble and AssembleWith differ")
	}
	if pres.Dedup.Files != 0 || len(pres.Dedup.Groups) != 0 {
		t.Errorf("dedup without Dedup: %+v", pres.Dedup)
	}

	// Statistics.
	type group struct {
		kept string
		dups []string
	}
	var groups []group
	for _, g := range res.Dedup.Groups {
		groups = append(groups, group{g.Kept, g.Duplicates})
	}
	wantGroups := []group{ // by saving: big.txt 680000, z.bin 614400, y 0644 (3 x 12000), y 0755 (12000), x (10000)
		{"python/pkga/big.txt", []string{"python/pkgc/big.txt"}},
		{"python/pkga/z.bin", []string{"python/pkgb/z.bin"}},
		{"python/pkga/data.bin", []string{"python/pkga/x/copy.bin", "python/pkgb/deep/er/data.bin", "python/pkgc/données.bin"}},
		{"python/pkgb/copy_exec.bin", []string{"python/pkgc/exec.bin"}},
		{"python/pkga/libs/libfoo.so.1", []string{"python/pkgb/vendored/libfoo.so.1"}},
	}
	if !reflect.DeepEqual(groups, wantGroups) {
		t.Errorf("groups:\n%v\nwant\n%v", groups, wantGroups)
	}
	if res.Dedup.Files != 7 {
		t.Errorf("%d files deduplicated, want 7", res.Dedup.Files)
	}
	var savedU, savedZ uint64
	for _, g := range res.Dedup.Groups {
		savedU += g.SavedUnzipped
		savedZ += g.SavedZipped
		if g.Size == 0 || len(g.SHA256) != 64 || g.Mode&sIFMT != sIFREG {
			t.Errorf("group %s: %+v", g.Kept, g)
		}
	}
	if savedU != res.Dedup.SavedUnzipped || savedZ != res.Dedup.SavedZipped {
		t.Errorf("totals do not add up")
	}
	// Archive bytes saved: exactly the size difference (no zip64 here).
	if d := uint64(len(plain) - len(got)); d != res.Dedup.SavedZipped {
		t.Errorf("archive shrank by %d, SavedZipped says %d", d, res.Dedup.SavedZipped)
	}
	// Unzipped: as unpacked (files, link texts), from the deduplicated tree.
	unzipped := func(nodes map[string]node) (n uint64) {
		for _, v := range nodes {
			n += uint64(len(v.content) + len(v.link))
		}
		return n
	}
	if res.Unzipped != unzipped(deduped) || pres.Unzipped != unzipped(orig) {
		t.Errorf("unzipped %d / %d, want %d / %d", res.Unzipped, pres.Unzipped, unzipped(deduped), unzipped(orig))
	}
	if pres.Unzipped-res.Unzipped != res.Dedup.SavedUnzipped {
		t.Errorf("SavedUnzipped %d, unzipped sizes differ by %d", res.Dedup.SavedUnzipped, pres.Unzipped-res.Unzipped)
	}
	if res.Entries != len(orig) || len(res.Unhashed) != 0 {
		t.Errorf("entries %d unhashed %v", res.Entries, res.Unhashed)
	}

	// archive/zip reads it (CRCs checked) and sees symlinks.
	zr, files := readBack(t, got)
	for _, f := range zr.File {
		name := strings.TrimPrefix(f.Name, "python/")
		n := deduped[name]
		if (n.link != "") != (f.Mode()&fs.ModeSymlink != 0) || n.link != "" && files[f.Name] != n.link {
			t.Errorf("%s: mode %v content %q", f.Name, f.Mode(), files[f.Name])
		}
	}
	checkExtracted(t, got, orig, deduped)
}

// checkExtracted unpacks data with Info-ZIP unzip (or checks it with
// Python's zipfile when unzip is missing) and checks that every original
// file reads back its content, deduplicated ones through their symlinks.
func checkExtracted(t *testing.T, data []byte, orig, deduped map[string]node) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "layer.zip")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if py, err := exec.LookPath("python3"); err == nil {
		script := `import sys, zipfile, stat
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
assert bad is None, bad
links = sorted(i.filename for i in z.infolist() if stat.S_ISLNK(i.external_attr >> 16))
print("\n".join(links))`
		out, err := exec.Command(py, "-c", script, p).CombinedOutput()
		if err != nil {
			t.Fatalf("python zipfile: %v\n%s", err, out)
		}
		var want []string
		for k, v := range deduped {
			if v.link != "" {
				want = append(want, "python/"+k)
			}
		}
		slices.Sort(want)
		if got := strings.TrimSpace(string(out)); got != strings.Join(want, "\n") {
			t.Errorf("python zipfile symlinks:\n%s\nwant\n%s", got, strings.Join(want, "\n"))
		}
	}
	if !hasUnzip() {
		t.Log("unzip not installed: checked with archive/zip and python zipfile only")
		return
	}
	unzipTest(t, data)
	dest := t.TempDir()
	if out, err := exec.Command("unzip", "-q", p, "-d", dest).CombinedOutput(); err != nil {
		t.Fatalf("unzip: %v\n%s", err, out)
	}
	for name, n := range orig {
		if n.dir || n.link != "" {
			continue
		}
		full := filepath.Join(dest, "python", filepath.FromSlash(name))
		b, err := os.ReadFile(full)
		if err != nil || string(b) != n.content {
			t.Errorf("%s: extracted content differs (%v)", name, err)
			continue
		}
		fi, _ := os.Lstat(full)
		if isLink := fi.Mode()&fs.ModeSymlink != 0; isLink != (deduped[name].link != "") {
			t.Errorf("%s: extracted as symlink=%v", name, isLink)
		}
		st, _ := os.Stat(full)
		if want := n.perm&0o111 != 0; (st.Mode()&0o111 != 0) != want {
			t.Errorf("%s: executable=%v after extraction", name, !want)
		}
	}
}

// TestDedupRules: thresholds, metadata directories, format /1 fragments,
// links not shorter than the file, inconsistent indexes.
func TestDedupRules(t *testing.T) {
	write := fragmentWriter(t)
	file := func(name, content string) Entry {
		return FileEntry(name, 0o644, int64(len(content)), opener(content))
	}
	k4 := strings.Repeat("k", 4096)
	k3 := strings.Repeat("k", 4095)
	short := "0123456789abcdefghij" // 20 bytes
	a := write("a.frag", file("a/four.txt", k4), file("a/three.txt", k3), file("a/s", short), file("a/x.dist-info/LICENSE", k4))
	b := write("b.frag", file("b/four.txt", k4), file("b/three.txt", k3), file("b/s", short), file("b/very/deep/dir/s", short), file("b/y.dist-info/LICENSE", k4))
	dups := func(r *AssembleResult) (d []string) {
		for _, g := range r.Dedup.Groups {
			d = append(d, g.Duplicates...)
		}
		slices.Sort(d)
		return d
	}
	_, res := assembleWith(t, []Fragment{a, b}, AssembleOptions{Dedup: true})
	if got := dups(res); !reflect.DeepEqual(got, []string{"b/four.txt"}) {
		t.Errorf("default threshold: %v", got)
	}
	// Threshold 1: small files too, but only where the link is shorter
	// ("../a/s" is 6 bytes < 20; "../../../../a/s" 15 < 20; metadata never).
	_, res = assembleWith(t, []Fragment{a, b}, AssembleOptions{Dedup: true, DedupMinSize: 1})
	if got := dups(res); !reflect.DeepEqual(got, []string{"b/four.txt", "b/s", "b/three.txt", "b/very/deep/dir/s"}) {
		t.Errorf("threshold 1: %v", got)
	}
	c := write("c.frag", file("c/d/e/f/g/h/i/j/s", short))
	_, res = assembleWith(t, []Fragment{a, c}, AssembleOptions{Dedup: true, DedupMinSize: 1})
	if got := dups(res); len(got) != 0 { // ../../../../../../../../a/s is 26 bytes
		t.Errorf("link longer than the file: %v", got)
	}

	// A format /1 fragment: read, assembled, listed, its files untouched.
	var v1 bytes.Buffer
	old := *b.Index
	old.Format = IndexFormatV1
	old.Entries = slices.Clone(old.Entries)
	for i := range old.Entries {
		old.Entries[i].SHA256, old.Entries[i].ELF, old.Entries[i].Soname = "", false, ""
	}
	if _, err := old.WriteTo(&v1); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b.Data+IndexSuffix, v1.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	b1, err := LoadFragment(b.Data)
	if err != nil {
		t.Fatal(err)
	}
	d := write("d.frag", file("d/four.txt", k4))
	data, res := assembleWith(t, []Fragment{a, b1, d}, AssembleOptions{Dedup: true})
	if got := dups(res); !reflect.DeepEqual(got, []string{"d/four.txt"}) || !reflect.DeepEqual(res.Unhashed, []string{b.Data}) {
		t.Errorf("with a /1 fragment: dups %v unhashed %v", got, res.Unhashed)
	}
	readBack(t, data)

	// Same SHA-256 with different CRC-32: a corrupt index, refused.
	e := write("e.frag", file("e/four.txt", k4))
	e.Index.Entries[0].CRC32 ^= 1
	if _, err := AssembleWith(&bytes.Buffer{}, []Fragment{a, e}, AssembleOptions{Dedup: true}); err == nil || !strings.Contains(err.Error(), "CRC") {
		t.Errorf("inconsistent index: %v", err)
	}
}

func TestRelLinkAndHash(t *testing.T) {
	for _, c := range [][3]string{
		{"a/b", "a/c", "c"},
		{"b", "a/c", "a/c"},
		{"a/b", "c", "../c"},
		{"p/x/y/f", "p/a/f", "../../a/f"},
		{"p/ab/f", "p/a/f", "../a/f"},
		{"p/a/f", "p/a/b/f", "b/f"},
	} {
		if got := relLink(c[0], c[1]); got != c[2] {
			t.Errorf("relLink(%s, %s) = %s, want %s", c[0], c[1], got, c[2])
		}
	}
	for in, want := range map[string]string{
		"libgdal-3a1b2c3d.so.33":         "libgdal.so.33",
		"libgfortran-040039e1.so.5.0.0":  "libgfortran.so.5.0.0",
		"libz-0123abcd.so":               "libz.so",
		"libproj.so.25":                  "libproj.so.25",
		"libfoo-3A1B2C3D.so.1":           "libfoo-3A1B2C3D.so.1", // auditwheel hashes are lowercase
		"libfoo-3a1b2c3.so.1":            "libfoo-3a1b2c3.so.1",
		"libsomething-3a1b2c3d.sox":      "libsomething-3a1b2c3d.sox",
		"libssl-deadbeef.so.3.sos-12345": "libssl.so.3.sos-12345",
		"libx.so.1-3a1b2c3d.so.2":        "libx.so.1.so.2",
	} {
		if got := stripAuditwheelHash(in); got != want {
			t.Errorf("stripAuditwheelHash(%s) = %s, want %s", in, got, want)
		}
	}
	for name, want := range map[string]bool{
		"a/b.dist-info/LICENSE": true, "x-1.0.dist-info/licenses/L": true, "a.egg-info/PKG-INFO": true,
		"a/dist-info/x": false, "a/b.dist-info": false, "a/LICENSE": false,
	} {
		if metadataDir(name) != want {
			t.Errorf("metadataDir(%s) != %v", name, want)
		}
	}
}

// TestNearDuplicates: libraries with the same soname, or the same name
// without the auditwheel hash, and different content are reported with
// Total - Largest; identical copies, extension modules and lone
// libraries are not.
func TestNearDuplicates(t *testing.T) {
	gdalA := makeELF("libgdal-3a1b2c3d.so.33", randomBytes(20000, 1))
	gdalB := makeELF("libgdal-5e6f7a8b.so.33", randomBytes(25000, 2))
	projA := makeELF("", randomBytes(9000, 3))
	projB := makeELF("", randomBytes(7000, 4))
	extA := makeELF("", randomBytes(6000, 5))
	extB := makeELF("", randomBytes(6500, 6))
	lone := makeELF("libgeos_c.so.1", randomBytes(5000, 7))
	root := makeTree(t, map[string]node{
		"fiona.libs/libgdal-5e6f7a8b.so.33":             {content: string(gdalB), perm: 0o755},
		"fiona/_env.cpython-312-x86_64-linux-gnu.so":    {content: string(extA), perm: 0o755},
		"rasterio.libs/libgdal-3a1b2c3d.so.33":          {content: string(gdalA), perm: 0o755},
		"rasterio/_env.cpython-312-x86_64-linux-gnu.so": {content: string(extB), perm: 0o755},
		"pyproj.libs/libproj-0123abcd.so.25":            {content: string(projA), perm: 0o755},
		"other.libs/libproj-89abcdef.so.25":             {content: string(projA), perm: 0o755}, // identical to pyproj's
		"third/lib/libproj.so.25":                       {content: string(projB), perm: 0o755},
		"shapely.libs/libgeos_c-aaaaaaaa.so.1":          {content: string(lone), perm: 0o755},
	})
	var frags []Fragment
	for _, pkg := range []string{"fiona", "rasterio", "pyproj", "other", "third", "shapely"} {
		es, err := WalkDir(root, "")
		if err != nil {
			t.Fatal(err)
		}
		es = slices.DeleteFunc(es, func(e Entry) bool {
			return !strings.HasPrefix(e.Name, pkg+"/") && !strings.HasPrefix(e.Name, pkg+".libs/")
		})
		frags = append(frags, fragmentsOf(t, es, nil, Options{})...)
	}
	for _, dedup := range []bool{false, true} {
		_, res := assembleWith(t, frags, AssembleOptions{Dedup: dedup})
		if len(res.NearDuplicates) != 2 {
			t.Fatalf("dedup=%v: %d near-duplicate groups: %+v", dedup, len(res.NearDuplicates), res.NearDuplicates)
		}
		g := res.NearDuplicates[0]
		gdal := uint64(len(gdalA) + len(gdalB))
		if g.Key != "libgdal.so.33" || len(g.Files) != 2 || g.Total != gdal || g.Largest != uint64(len(gdalB)) || g.Saving != uint64(len(gdalA)) {
			t.Errorf("dedup=%v: gdal group %+v", dedup, g)
		}
		if g.Files[0].Path != "fiona.libs/libgdal-5e6f7a8b.so.33" || g.Files[0].Soname != "libgdal-5e6f7a8b.so.33" || g.Files[0].SHA256 != sum(gdalB) {
			t.Errorf("dedup=%v: gdal file %+v", dedup, g.Files[0])
		}
		p := res.NearDuplicates[1]
		total := uint64(2*len(projA) + len(projB))
		linked := ""
		if dedup { // other.libs/... sorts first: pyproj's copy becomes the link
			total -= uint64(len(projA))
			linked = "other.libs/libproj-89abcdef.so.25"
		}
		if p.Key != "libproj.so.25" || len(p.Files) != 3 || p.Total != total || p.Largest != uint64(len(projA)) || p.Saving != total-uint64(len(projA)) {
			t.Errorf("dedup=%v: proj group %+v", dedup, p)
		}
		if p.Files[1].Path != "pyproj.libs/libproj-0123abcd.so.25" || p.Files[1].LinkedTo != linked {
			t.Errorf("dedup=%v: proj file %+v", dedup, p.Files[1])
		}
	}
}

// TestDedupZipRecords checks the raw records of a deduplicated entry:
// stored, S_IFLNK|0777 in the external attributes, made by Unix, and the
// UTF-8 flag kept for non-ASCII names.
func TestDedupZipRecords(t *testing.T) {
	content := strings.Repeat("é data ", 1000)
	dir := t.TempDir()
	f1, _ := WriteFragmentFile(filepath.Join(dir, "1.frag"), []Entry{FileEntry("a/é.bin", 0o755, int64(len(content)), opener(content))}, Options{})
	f2, _ := WriteFragmentFile(filepath.Join(dir, "2.frag"), []Entry{FileEntry("b/é.bin", 0o755, int64(len(content)), opener(content))}, Options{})
	data, _ := assembleWith(t, []Fragment{f2, f1}, AssembleOptions{Dedup: true})
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	f := zr.File[1]
	if f.Name != "b/é.bin" || f.Method != zip.Store || f.ExternalAttrs>>16 != sIFLNK|0o777 || f.CreatorVersion>>8 != 3 ||
		f.Flags != flagUTF8 || f.UncompressedSize64 != uint64(len("../a/é.bin")) {
		t.Errorf("link record: %+v", f.FileHeader)
	}
}
