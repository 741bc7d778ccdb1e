package layerzip

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// Two builds of one package for two Python versions: their site-packages
// differ, their console script and data folder are the same paths. With
// MergeIdentical the identical copies are stored once; a copy that
// differs, a symlink and a name without MergeIdentical stay errors naming
// both fragments.
func TestAssembleMergeIdentical(t *testing.T) {
	write := fragmentWriter(t)
	src := strings.Repeat("def f():\n    return 1\n", 40)
	script := "#!/usr/bin/env python3\nimport sys\n"
	f11 := write("glf@python3.11.frag",
		DirEntry("python/share/glf/"),
		FileEntry("bin/glf", 0o755, int64(len(script)), opener(script)),
		FileEntry("python/lib/python3.11/site-packages/glf/__init__.py", 0o644, int64(len(src)), opener(src)))
	f13 := write("glf@python3.13.frag",
		DirEntry("python/share/glf/"),
		FileEntry("bin/glf", 0o755, int64(len(script)), opener(script)),
		FileEntry("python/lib/python3.13/site-packages/glf/__init__.py", 0o644, int64(len(src)), opener(src)))

	opts := AssembleOptions{MergeIdentical: true, Dedup: true, DedupMinSize: 1}
	var buf bytes.Buffer
	res, err := AssembleWith(&buf, []Fragment{f13, f11}, opts)
	if err != nil {
		t.Fatal(err)
	}
	zr, files := readBack(t, buf.Bytes())
	if len(zr.File) != 4 || res.Entries != 4 {
		t.Errorf("%d entries (result %d), want 4: %v", len(zr.File), res.Entries, files)
	}
	if files["bin/glf"] != script || files["python/lib/python3.11/site-packages/glf/__init__.py"] != src {
		t.Errorf("contents: %q", files)
	}
	// the 3.13 copy of the pure file is a link to the 3.11 one
	if got := files["python/lib/python3.13/site-packages/glf/__init__.py"]; got != "../../../python3.11/site-packages/glf/__init__.py" {
		t.Errorf("3.13 copy: %q", got)
	}
	want := []MergedEntry{{"python/share/glf/", f11.Data, f13.Data}, {"bin/glf", f11.Data, f13.Data}}
	if len(res.Merged) != 2 || res.Merged[0] != want[0] && res.Merged[0] != want[1] || res.Merged[0] == res.Merged[1] {
		t.Errorf("merged %+v, want %+v", res.Merged, want)
	}
	if res.Unzipped != uint64(len(script)+len(src)+len("../../../python3.11/site-packages/glf/__init__.py")) {
		t.Errorf("unzipped %d", res.Unzipped)
	}
	m, err := Measure([]Fragment{f11, f13}, opts)
	if err != nil || m.Size != res.Size || m.Entries != res.Entries || m.Unzipped != res.Unzipped || len(m.Merged) != 2 {
		t.Errorf("Measure %+v %v, AssembleWith %+v", m, err, res)
	}

	if _, err := AssembleWith(&bytes.Buffer{}, []Fragment{f11, f13}, AssembleOptions{}); err == nil || !strings.Contains(err.Error(), "duplicate entry") {
		t.Errorf("without MergeIdentical: %v", err)
	}
	other := "#!/usr/bin/env python3\nimport os\n"
	differs := write("glf2@python3.13.frag", FileEntry("bin/glf", 0o755, int64(len(other)), opener(other)))
	mode := write("glf3@python3.13.frag", FileEntry("bin/glf", 0o644, int64(len(script)), opener(script)))
	link := write("glf4@python3.13.frag", SymlinkEntry("python/x", "share"))
	link0 := write("glf5@python3.11.frag", SymlinkEntry("python/x", "share"))
	for _, tc := range []struct {
		name string
		a, b Fragment
	}{{"content", f11, differs}, {"mode", f11, mode}, {"symlinks", link0, link}, {"same fragment twice", f11, f11}} {
		_, err := AssembleWith(&bytes.Buffer{}, []Fragment{tc.a, tc.b}, opts)
		if err == nil || !strings.Contains(err.Error(), "duplicate entry") || !strings.Contains(err.Error(), tc.a.Data) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// fragmentWriter writes fragment files of entries into a test's temporary
// folder.
func fragmentWriter(t *testing.T) func(name string, es ...Entry) Fragment {
	t.Helper()
	dir := t.TempDir()
	return func(name string, es ...Entry) Fragment {
		t.Helper()
		f, err := WriteFragmentFile(filepath.Join(dir, name), es, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
}
