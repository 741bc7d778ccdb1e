package elfcheck

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/geolayer/geolayer/pkg/elfhdr"
)

// parseFile runs this package's parser on a host file.
func parseFile(t *testing.T, p string) (*elfhdr.Header, *dynInfo, error) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pr := newPageReader(f, fi.Size())
	h, err := readHeader(pr)
	if err != nil {
		return nil, nil, err
	}
	d, err := readDynamic(pr, h)
	return h, d, err
}

// crossCheck compares the dynamic-segment parser with debug/elf, which
// reads the section headers: both must see the same DT_NEEDED list, soname,
// search paths, version needs and version definitions.
func crossCheck(t *testing.T, p string) {
	t.Helper()
	h, d, err := parseFile(t, p)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	f, err := elf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if h.Machine != f.Machine || h.Class != f.Class || h.Type != f.Type || h.Data != f.Data {
		t.Fatalf("%s: header %+v, debug/elf %+v", p, h, f.FileHeader)
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.needed, libs) {
		t.Errorf("%s: DT_NEEDED %q, debug/elf %q", p, d.needed, libs)
	}
	for _, x := range []struct {
		tag  elf.DynTag
		got  string
		has  bool
		name string
	}{
		{elf.DT_SONAME, d.soname, d.soname != "", "DT_SONAME"},
		{elf.DT_RPATH, d.rpath, d.hasRPath, "DT_RPATH"},
		{elf.DT_RUNPATH, d.runpath, d.hasRunPath, "DT_RUNPATH"},
	} {
		want, err := f.DynString(x.tag)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) > 0 != x.has || len(want) > 0 && want[0] != x.got {
			t.Errorf("%s: %s %q (present %v), debug/elf %q", p, x.name, x.got, x.has, want)
		}
	}
	var gotNeeds, wantNeeds []string
	for _, vn := range d.verneed {
		for _, v := range vn.versions {
			gotNeeds = append(gotNeeds, vn.file+" "+v.name)
		}
	}
	if vns, err := f.DynamicVersionNeeds(); err == nil {
		for _, vn := range vns {
			for _, n := range vn.Needs {
				wantNeeds = append(wantNeeds, vn.Name+" "+n.Dep)
			}
		}
	}
	if !slices.Equal(gotNeeds, wantNeeds) {
		t.Errorf("%s: verneed %q, debug/elf %q", p, gotNeeds, wantNeeds)
	}
	var wantDefs []string
	if vds, err := f.DynamicVersions(); err == nil {
		for _, vd := range vds {
			wantDefs = append(wantDefs, vd.Name)
		}
	}
	if !slices.Equal(d.verdef, wantDefs) || d.hasVerdef != (len(wantDefs) > 0) {
		t.Errorf("%s: verdef %q, debug/elf %q", p, d.verdef, wantDefs)
	}
}

func TestParseFixtures(t *testing.T) {
	fx := getFixtures(t)
	for _, p := range []string{fx.provNew, fx.provOld, fx.extRPath, fx.extRunPath, fx.user, fx.needsGone, fx.mid, fx.needsMid, fx.nodeflib, fx.tool} {
		crossCheck(t, p)
	}
	_, d, err := parseFile(t, fx.provNew)
	if err != nil {
		t.Fatal(err)
	}
	if d.soname != "libprov.so.1" || !slices.Equal(d.verdef, []string{"libprov.so.1", "PROV_1.0", "PROV_2.0"}) {
		t.Fatalf("%+v", d)
	}
	_, d, _ = parseFile(t, fx.extRPath)
	if !d.hasRPath || d.hasRunPath || d.rpath != "$ORIGIN/../foo.libs" {
		t.Fatalf("rpath fixture: %+v", d)
	}
	_, d, _ = parseFile(t, fx.extRunPath)
	if d.hasRPath || !d.hasRunPath || d.runpath != "$ORIGIN/../foo.libs" {
		t.Fatalf("runpath fixture: %+v", d)
	}
	_, d, _ = parseFile(t, fx.nodeflib)
	if !d.nodeflib {
		t.Fatal("DF_1_NODEFLIB not seen")
	}
	h, _, err := parseFile(t, fx.obj)
	if err != nil || h.Type != elf.ET_REL || loadable(h) {
		t.Fatalf("object file: %+v %v", h, err)
	}
}

// The host's own libraries: real-world layouts (glibc, libstdc++, ...).
func TestParseHostLibraries(t *testing.T) {
	var paths []string
	for _, dir := range []string{"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64"} {
		m, _ := filepath.Glob(filepath.Join(dir, "*.so*"))
		paths = append(paths, m...)
	}
	n := 0
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() || isLinkerScript(p) {
			continue
		}
		crossCheck(t, p)
		if n++; n >= 300 {
			break
		}
	}
	if n < 10 {
		t.Fatalf("only %d host libraries found", n)
	}
	t.Logf("%d host libraries cross-checked", n)
}

func isLinkerScript(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return true
	}
	defer func() { _ = f.Close() }()
	var b [4]byte
	n, _ := f.Read(b[:])
	return n < 4 || string(b[:]) != elf.ELFMAG
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"2.9", "2.17", -1}, {"2.17", "2.34", -1}, {"2.34", "2.34", 0}, {"2.2.5", "2.3", -1},
		{"2.3", "2.2.5", 1}, {"2.17", "2.17.0", 0}, {"2.35", "2.4", 1}, {"3", "2.99", 1},
	} {
		if got := compareVersions(c.a, c.b); got != c.want {
			t.Errorf("compareVersions(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	for _, bad := range []string{"", "2.", ".2", "2.x", "2..3", "+2.3", "-1", "2.3 "} {
		if parseVersion(bad) != nil {
			t.Errorf("parseVersion(%q) accepted", bad)
		}
	}
	for need, want := range map[string]string{
		"GLIBC_2.17": "2.17", "GLIBC_2.2.5": "2.2.5", "GLIBC_PRIVATE": "", "GLIBCXX_3.4.30": "",
		"GLIBC_ABI_DT_RELR": "2.36", "CXXABI_1.3": "", "GLIBC_": "",
	} {
		if got := glibcVersion(need); got != want {
			t.Errorf("glibcVersion(%s) = %q, want %q", need, got, want)
		}
	}
	if got := newestLike([]string{"GLIBCXX_3.4", "GLIBCXX_3.4.9", "GLIBCXX_3.4.29", "CXXABI_1.3.13", "libstdc++.so.6"}, "GLIBCXX_3.4.30"); got != "GLIBCXX_3.4.29" {
		t.Errorf("newestLike = %q", got)
	}
	if got := manylinuxTag("2.34"); got != "manylinux_2_34" {
		t.Errorf("manylinuxTag = %q", got)
	}
}

func TestExpandTokens(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"$ORIGIN/../foo.libs", "/opt/python/foo/../foo.libs", true},
		{"${ORIGIN}/lib", "/opt/python/foo/lib", true},
		{"$ORIGIN", "/opt/python/foo", true},
		{"/usr/$PLATFORM/lib", "/usr/x86_64/lib", true},
		{"/usr/${PLATFORM}", "/usr/x86_64", true},
		{"/usr/$LIB", "", false},
		{"/usr/${LIB}/x", "", false},
		{"$ORIGINAL/x", "$ORIGINAL/x", true}, // not the ORIGIN token
		{"/a/$/b", "/a/$/b", true},
		{"/plain", "/plain", true},
		{"${ORIGIN", "${ORIGIN", true},
	} {
		got, ok := expandTokens(c.in, "/opt/python/foo", "x86_64")
		if got != c.want || ok != c.ok {
			t.Errorf("expandTokens(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	c := &checker{cfg: Config{Machine: elf.EM_AARCH64}}
	dirs := c.expand(nil, "$ORIGIN/a::rel/dir:/abs:$LIB:/p/$PLATFORM", "/opt/x", "rpath")
	var got []string
	for _, d := range dirs {
		got = append(got, d.dir)
	}
	if want := []string{"/opt/x/a", "/abs", "/p/aarch64"}; !slices.Equal(got, want) {
		t.Fatalf("expand: %q, want %q", got, want)
	}
}

// FuzzParse: the parser must not panic, hang or allocate without bound on
// any input, and Check must turn any file into a result.
//
//	go test ./pkg/elfcheck/ -run '^$' -fuzz FuzzParse -fuzztime 30s
func FuzzParse(f *testing.F) {
	fx := getFixtures(f)
	for _, p := range []string{fx.provNew, fx.extRPath, fx.tool} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:64])
		f.Add(b[:len(b)/2])
		// Damage the dynamic segment offsets.
		c := bytes.Clone(b)
		for i := 64; i < min(len(c), 64+56*4); i += 7 {
			c[i] ^= 0xff
		}
		f.Add(c)
	}
	f.Add([]byte("\x7fELF"))
	f.Add([]byte("\x7fELF\x01\x01\x01"))
	f.Fuzz(func(t *testing.T, in []byte) {
		start := time.Now()
		pr := newPageReader(bytes.NewReader(in), int64(len(in)))
		h, err := readHeader(pr)
		if err == nil {
			d, err := readDynamic(pr, h)
			if err == nil && d == nil {
				t.Fatal("nil dynInfo without error")
			}
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("slow: %v for %d bytes", d, len(in))
		}
	})
}

// Check survives a layer of damaged copies of a real library.
func TestCheckDamagedFiles(t *testing.T) {
	fx := getFixtures(t)
	b, err := os.ReadFile(fx.extRPath)
	if err != nil {
		t.Fatal(err)
	}
	layer := t.TempDir()
	for i := 0; i < 200; i++ {
		c := bytes.Clone(b)
		// Deterministic damage spread over headers and the dynamic data.
		for j := 0; j < 8; j++ {
			at := (i*7919 + j*104729) % min(len(c), 16384)
			if at >= 4 { // keep the magic so every copy is parsed
				c[at] ^= byte(1 + (i+j)%255)
			}
		}
		if err := os.WriteFile(filepath.Join(layer, fmt.Sprintf("lib%03d.so", i)), c, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := check(t, lambdaConfig(layer, ""))
	if len(r.Files) < 150 { // damage to e_type makes some non-loadable
		t.Fatalf("%d files", len(r.Files))
	}
}
