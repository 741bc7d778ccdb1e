package wheel

// Fuzzers for wheel file names (index pages, lock files) and for the
// installer (wheels are archives anyone can upload). `make fuzz` runs them
// all; one alone:
//
//	go test ./pkg/wheel/ -run '^$' -fuzz '^FuzzInstall$' -fuzztime 60s

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// FuzzParseFilename: a valid name re-formatted from its parts (name with
// '_', version, build, tag sets) parses to the same Filename; the name is
// normalized, every tag is a valid single tag, a build tag equals itself.
func FuzzParseFilename(f *testing.F) {
	for _, s := range []string{
		"six-1.16.0-py2.py3-none-any.whl",
		"numpy-2.1.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		"pkg-1.0-cp313.cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		"Foo_Bar.baz-0.1-1-py3-none-any.whl",
		"pkg-1.0-007_x-py3-none-any.whl",
		"pkg-1!2.0rc1.post3.dev4+local.7-py3-none-any.whl",
		"pkg-v1.0-PY3-NONE-ANY.whl",
		"pkg-1.0-py3.py3-none-any.whl",
		"pkg-1.0-py3-none-any",
		"pkg-1.0-x-py3-none-any.whl",
		"pkg__x-1.0-py3-none-any.whl",
		"../pkg-1.0-py3-none-any.whl",
		"pkg-1.0-py3-none-.whl",
		// The dev world's index (hack/fixtures and stand-ins).
		"glf_liar-1.0.0-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
		"glf_abi3-1.0.0-cp311-abi3-manylinux_2_5_x86_64.whl",
		"glf_evil_dotdot-1.0.0-py3-none-any.whl",
		"pyproj-3.4.1-cp311-cp311-manylinux_2_35_aarch64.whl",
		"wheel-0.38.4-py3-none-any.whl",
		"certifi-2022.9.24-py3-none-any.whl",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		fn, err := ParseFilename(name)
		if err != nil {
			var fe *FilenameError
			if !errors.As(err, &fe) {
				t.Fatalf("error is not a *FilenameError: %v", err)
			}
			return
		}
		if NormalizeName(fn.Name) != fn.Name || fn.Name == "" {
			t.Fatalf("name %q is not normalized", fn.Name)
		}
		if len(fn.Tags) == 0 {
			t.Fatal("no tags")
		}
		var pys, abis, plats []string
		for _, tag := range fn.Tags {
			if back, err := ParseTag(tag.String()); err != nil || back != tag {
				t.Fatalf("tag %+v -> %q -> %+v, %v", tag, tag.String(), back, err)
			}
			for _, x := range []struct {
				set *[]string
				v   string
			}{{&pys, tag.Python}, {&abis, tag.ABI}, {&plats, tag.Platform}} {
				if !slices.Contains(*x.set, x.v) {
					*x.set = append(*x.set, x.v)
				}
			}
		}
		if len(fn.Tags) != len(pys)*len(abis)*len(plats) {
			t.Fatalf("%d tags are not the product of %q, %q, %q", len(fn.Tags), pys, abis, plats)
		}
		if fn.Build != "" && CompareBuildTags(fn.Build, fn.Build) != 0 {
			t.Fatalf("build tag %q does not equal itself", fn.Build)
		}
		parts := []string{strings.ReplaceAll(fn.Name, "-", "_"), fn.Version}
		if fn.Build != "" {
			parts = append(parts, fn.Build)
		}
		parts = append(parts, strings.Join(pys, "."), strings.Join(abis, "."), strings.Join(plats, "."))
		again := strings.Join(parts, "-") + ".whl"
		fn2, err := ParseFilename(again)
		if err != nil || !reflect.DeepEqual(fn2, fn) {
			t.Fatalf("%q -> %q -> %+v, %v; want %+v", name, again, fn2, err, fn)
		}
	})
}

// fuzzInstallOptions bound what one fuzzed install may unpack.
var fuzzInstallOptions = InstallOptions{MaxUnpackedBytes: 256 << 10}

// FuzzInstall installs arbitrary bytes as a wheel. Whatever they hold:
// no panic, nothing written outside the install root (a sibling directory
// is checked), no symlink under the root that resolves outside it, the
// result matches the tree, the unpacked size is bounded, and a failed
// install into a new root leaves no root behind. With trap set, the root
// already holds symlinks to the sibling directory, which the installer
// must neither follow nor replace.
func FuzzInstall(f *testing.F) {
	dir := f.TempDir()
	add := func(entries []zentry, trap uint8) {
		b, err := os.ReadFile(writeWheel(f, dir, "demo-1.0-py3-none-any.whl", "demo-1.0.dist-info", entries, true))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, trap)
	}
	add(fullDemoEntries(), 0)
	add(fullDemoEntries(), 1)
	link := func(name, target string) zentry {
		return zentry{name: name, data: target, mode: fs.ModeSymlink | 0o777}
	}
	add(demoEntries(testWheelFile, zentry{name: "demo/core.py", data: "x"}, link("demo/alias.py", "core.py"), link("demo/bin", "../../../../../bin")), 0)
	add(demoEntries(testWheelFile, link("demo/l", "../../../../../../outside/x")), 1)
	add(demoEntries(testWheelFile, link("demo/sub", "."), zentry{name: "demo/sub/x.py", data: "x"}), 0)
	add(demoEntries(testWheelFile, zentry{name: "../evil.py", data: "boom"}), 0)
	add(demoEntries(testWheelFile, zentry{name: "demo/zeros.bin", data: strings.Repeat("\x00", 300<<10)}), 0)
	add(demoEntries(testWheelFile, zentry{name: "demo/x.py", data: "a", record: "sha256=AAAA,1"}), 0)
	// Real wheels from the dev world's index are in testdata/fuzz/FuzzInstall.
	f.Fuzz(func(t *testing.T, data []byte, trap uint8) {
		top := t.TempDir()
		whl := filepath.Join(top, "in", "fuzz.whl")
		if err := os.Mkdir(filepath.Dir(whl), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(whl, data, 0o644); err != nil {
			t.Fatal(err)
		}
		installSandboxed(t, top, whl, trap%2 == 1, len(data))
	})
}

// FuzzInstallMembers is FuzzInstall with the archive built from a
// description, with a correct RECORD, so that the fuzzer spends its time on
// member names, kinds and contents rather than on zip structure and hashes.
// Each line of spec is one member: a kind letter, the name, a tab, the
// content ("\n" written as `\n`). Kinds: f file, x executable, l symlink
// (content = target), d directory, r file without a RECORD row, h file
// with a wrong hash in RECORD. The demo METADATA and WHEEL are added
// unless spec lists them.
func FuzzInstallMembers(f *testing.F) {
	for _, s := range []string{
		"ddemo/\t\nfdemo/__init__.py\t\nfdemo/core.py\tX = 1\\n\n" +
			"fdemo-1.0.dist-info/entry_points.txt\t[console_scripts]\\ndemo-cli = demo.core:main\\n\\n[gui_scripts]\\ndemo-gui=demo.gui:start\\n\n" +
			"fdemo-1.0.data/scripts/demo-tool\t#!python\\nprint('hi')\\n\nxdemo-1.0.data/scripts/demo-sh\t#!/bin/sh\\necho hi\\n\n" +
			"fdemo-1.0.data/data/share/demo/readme.txt\tdata\\n\nfdemo-1.0.data/headers/demo.h\t#define DEMO 1\\n\nxdemo-1.0.data/platlib/demo_ext.so\t\x7fELF fake",
		"fdemo/core.py\tx\nldemo/alias.py\tcore.py\nldemo/bin\t../../../../../bin",
		"ldemo/l\t../../../../../../outside/x",
		"ldemo/up\t..\nldemo/l\tup/../../x",
		"ldemo/sub\t.\nfdemo/sub/x.py\tx",
		"ldemo/sub\t.\nddemo/sub/d/\t",
		"ldemo/l\ta\nfdemo-1.0.data/purelib/demo/l\tx",
		"ldemo-1.0.data/data/l\t../x",
		"ldemo-1.0.data/scripts/tool\tx",
		"f../evil.py\tboom",
		"f/etc/evil\tboom",
		"fdemo\\evil.py\tboom",
		"fdemo/x.py\ta\nrdemo/x.py\ta",
		"fdemo/x/\t\nfdemo-1.0.data/purelib/demo/x\tb",
		"hdemo/x.py\ta",
		"rdemo/x.py\ta",
		"fdemo-1.0.dist-info/WHEEL\tWheel-Version: 1.0\\nRoot-Is-Purelib: false\\nTag: py3-none-any\\n\nfdemo/x.py\ta",
		"fdemo-1.0.dist-info/WHEEL\tWheel-Version: 2.0\\n",
		"fdemo-1.0.data/purelib/demo-1.0.dist-info/RECORD\tx",
		"ldemo/ext\t../../../../../ext\nldemo/l\t../../../../../ext/passwd",
	} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
	}
	f.Fuzz(func(t *testing.T, spec string, trap uint8) {
		entries, ok := parseMemberSpec(spec)
		if !ok {
			return
		}
		top := t.TempDir()
		if err := os.Mkdir(filepath.Join(top, "in"), 0o755); err != nil {
			t.Fatal(err)
		}
		whl := writeWheel(t, filepath.Join(top, "in"), "demo-1.0-py3-none-any.whl", "demo-1.0.dist-info", entries, true)
		st, err := os.Stat(whl)
		if err != nil {
			t.Fatal(err)
		}
		installSandboxed(t, top, whl, trap%2 == 1, int(st.Size()))
	})
}

// parseMemberSpec turns FuzzInstallMembers' description into members.
func parseMemberSpec(spec string) ([]zentry, bool) {
	var entries []zentry
	hasWheel, hasMeta := false, false
	for line := range strings.SplitSeq(spec, "\n") {
		if line == "" {
			continue
		}
		name, data, _ := strings.Cut(line[1:], "\t")
		data = strings.ReplaceAll(data, `\n`, "\n")
		if strings.HasSuffix(name, "/") && data != "" || len(name) > 1<<15 {
			return nil, false // zip.Writer refuses these
		}
		e := zentry{name: name, data: data}
		switch line[0] {
		case 'f':
		case 'x':
			e.mode = 0o755
		case 'l':
			e.mode = fs.ModeSymlink | 0o777
		case 'd':
			e.mode, e.data = fs.ModeDir|0o755, ""
		case 'r':
			e.record = "-"
		case 'h':
			e.record = recordHash("sha256", data+"x") + "," + "1"
		default:
			return nil, false
		}
		hasWheel = hasWheel || name == "demo-1.0.dist-info/WHEEL"
		hasMeta = hasMeta || name == "demo-1.0.dist-info/METADATA"
		entries = append(entries, e)
	}
	if !hasMeta {
		entries = append([]zentry{{name: "demo-1.0.dist-info/METADATA", data: "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"}}, entries...)
	}
	if !hasWheel {
		entries = append([]zentry{{name: "demo-1.0.dist-info/WHEEL", data: testWheelFile}}, entries...)
	}
	return entries, true
}

// installSandboxed installs whl (which lies in top/in, zipSize bytes) into
// top/root with top/outside beside it and checks the properties listed at
// FuzzInstall.
func installSandboxed(t *testing.T, top, whl string, trap bool, zipSize int) {
	root := filepath.Join(top, "root")
	outside := filepath.Join(top, "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	const sentinel = "do not touch\n"
	if err := os.WriteFile(filepath.Join(outside, "sentinel"), []byte(sentinel), 0o644); err != nil {
		t.Fatal(err)
	}
	// Trap symlinks: the site-packages/demo package directory and an
	// "ext" directory at the root lead to outside.
	traps := map[string]string{}
	if trap {
		traps["python/lib/python3.12/site-packages/demo"] = outside
		traps["ext"] = "../outside"
		for rel, target := range traps {
			p := filepath.Join(root, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	before := fuzzTree(t, root)

	start := time.Now()
	res, err := Install(whl, lambdaScheme(root), fuzzInstallOptions)
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("slow: %v for a %d-byte wheel", d, zipSize)
	}

	// Nothing outside the root changed.
	names, _ := os.ReadDir(top)
	for _, e := range names {
		if n := e.Name(); n != "in" && n != "root" && n != "outside" {
			t.Fatalf("install created %s beside the root", n)
		}
	}
	if got := fuzzTree(t, outside); !reflect.DeepEqual(got, map[string]string{"sentinel": "f " + sentinel}) {
		t.Fatalf("install changed the directory beside the root: %q", got)
	}
	after := fuzzTree(t, root)
	for rel, target := range traps {
		if after[rel] != "l "+target {
			t.Fatalf("trap symlink %s replaced: %q", rel, after[rel])
		}
	}

	if err != nil {
		if res != nil {
			t.Fatalf("result %+v with error %v", res, err)
		}
		// A failed install removes what it created.
		if !trap {
			if _, serr := os.Lstat(root); !errors.Is(serr, fs.ErrNotExist) {
				t.Fatalf("failed install (%v) left the root behind: %q", err, after)
			}
		} else if !reflect.DeepEqual(after, before) {
			t.Fatalf("failed install (%v) left files behind: %q", err, after)
		}
		return
	}

	// Every symlink the install created resolves inside the root.
	for rel, kind := range after {
		if kind[0] == 'l' && traps[rel] == "" {
			if leavesRoot(t, root, rel) {
				t.Fatalf("symlink %s -> %s resolves outside the root", rel, kind[2:])
			}
		}
	}
	// The result describes the tree.
	if !sort.SliceIsSorted(res.Files, func(i, j int) bool { return res.Files[i].Path < res.Files[j].Path }) {
		t.Fatal("result files not sorted")
	}
	var total int64
	for _, rf := range res.Files {
		st, err := os.Lstat(filepath.Join(root, filepath.FromSlash(rf.Path)))
		if err != nil {
			t.Fatalf("installed file %s: %v", rf.Path, err)
		}
		if st.Mode().Type() != rf.Mode.Type() || (rf.Mode.IsRegular() && (st.Size() != rf.Size || st.Mode() != rf.Mode)) {
			t.Fatalf("installed file %+v is %v, %d bytes on disk", rf, st.Mode(), st.Size())
		}
		if rf.Mode.IsRegular() {
			total += rf.Size
		}
	}
	if total != res.Bytes {
		t.Fatalf("Bytes = %d, files add up to %d", res.Bytes, total)
	}
	// Unpacked content is bounded by MaxUnpackedBytes; generated files
	// (RECORD, INSTALLER, entry point wrappers) and rewritten shebangs
	// add at most a few KiB per file, and RECORD repeats the names.
	if limit := fuzzInstallOptions.MaxUnpackedBytes + 4096*int64(len(res.Files)) + 2*int64(zipSize) + 64<<10; total > limit {
		t.Fatalf("installed %d bytes from a %d-byte wheel (bound %d)", total, zipSize, limit)
	}
}

// fuzzTree lists what lies below dir (Lstat, not following symlinks):
// "d", "f <content>" or "l <target>" per '/'-separated relative path. A
// missing dir is an empty tree.
func fuzzTree(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == dir {
			return fs.SkipAll
		}
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "l " + target
		case d.IsDir():
			out[rel] = "d"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = "f " + string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// leavesRoot reports whether the symlink at rel (below root, whose parent
// directories are real directories) resolves, following symlinks the way
// the kernel does, to a path outside root. Components that do not exist
// are taken lexically; a symlink loop does not leave the root.
func leavesRoot(t *testing.T, root, rel string) bool {
	split := func(p string) []string {
		var out []string
		for c := range strings.SplitSeq(p, "/") {
			if c != "" && c != "." {
				out = append(out, c)
			}
		}
		return out
	}
	stack := split(path.Dir(rel))
	todo := []string{path.Base(rel)}
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
		p := filepath.Join(root, filepath.FromSlash(strings.Join(stack, "/")))
		st, err := os.Lstat(p)
		if err != nil || st.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		if hops++; hops > 40 {
			return false // ELOOP
		}
		target, err := os.Readlink(p)
		if err != nil {
			t.Fatal(err)
		}
		stack = stack[:len(stack)-1]
		if filepath.IsAbs(target) {
			r, err := filepath.Rel(root, target)
			if err != nil || r == ".." || strings.HasPrefix(r, "../") {
				return true
			}
			stack, target = nil, filepath.ToSlash(r)
		}
		todo = append(split(target), todo...)
	}
	return false
}

// The fuzzers' escape check follows symlinks as the kernel does.
func TestLeavesRoot(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	links := map[string]bool{ // symlink -> leaves the root
		"in":      false, // -> d
		"dangle":  false, // -> d/not/there
		"up":      true,  // -> ..
		"d/up":    false, // -> ..
		"d/chain": true,  // -> up/../x: d/up is the root, so ../x is outside
		"d/abs":   true,  // -> absolute, outside
		"d/absin": false, // -> absolute, inside
		"loop":    false, // -> loop
	}
	targets := map[string]string{
		"in": "d", "dangle": "d/not/there", "up": "..", "d/up": "..", "d/chain": "up/../x",
		"d/abs": filepath.Dir(root), "d/absin": filepath.Join(root, "d"), "loop": "loop",
	}
	for rel, target := range targets {
		if err := os.Symlink(target, filepath.Join(root, rel)); err != nil {
			t.Fatal(err)
		}
	}
	for rel, want := range links {
		if got := leavesRoot(t, root, rel); got != want {
			t.Errorf("leavesRoot(%s -> %s) = %v, want %v", rel, targets[rel], got, want)
		}
	}
}
