package wheel

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestInstallRefusesUnsafeNames(t *testing.T) {
	tests := []struct{ name, want string }{
		{"../evil.py", "path contains '..'"},
		{"demo/../../evil.py", "path contains '..'"},
		{"demo-1.0.data/scripts/../../../evil", "path contains '..'"},
		{"/etc/evil", "path is absolute"},
		{"demo\\evil.py", "path contains a backslash"},
		{"C:/evil.py", "drive letter"},
		{"demo/./x.py", "not clean"},
		{"demo//x.py", "not clean"},
		{"demo/x\x00.py", "path contains NUL"},
		{"demo/\xff\xfe.py", "path is not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "root")
			_, err := Install(demoWheel(t, zentry{name: tc.name, data: "boom"}), lambdaScheme(root), InstallOptions{})
			if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), strconv.Quote(tc.name)) {
				t.Fatalf("err = %v, want ErrUnsafe naming %q with %q", err, tc.name, tc.want)
			}
			if _, serr := os.Stat(root); !errors.Is(serr, fs.ErrNotExist) {
				t.Errorf("root created despite refusal")
			}
		})
	}
}

func TestInstallRefusesDuplicates(t *testing.T) {
	tests := []struct {
		name    string
		entries []zentry
		want    string
	}{
		{"same entry twice", []zentry{{name: "demo/x.py", data: "a"}, {name: "demo/x.py", data: "a", record: "-"}},
			"duplicate archive entry demo/x.py"},
		{"root and data purelib collide", []zentry{{name: "demo/x.py", data: "a"}, {name: "demo-1.0.data/purelib/demo/x.py", data: "b"}},
			"two members install to python/lib/python3.12/site-packages/demo/x.py"},
		{"data and scripts collide", []zentry{{name: "demo-1.0.data/data/bin/tool", data: "a"}, {name: "demo-1.0.data/scripts/tool", data: "b"}},
			"two members install to bin/tool"},
		{"overwrites generated RECORD", []zentry{{name: "demo-1.0.data/purelib/demo-1.0.dist-info/RECORD", data: "x"}},
			"two members install to python/lib/python3.12/site-packages/demo-1.0.dist-info/RECORD"},
		{"file where a directory is", []zentry{{name: "demo/x/", mode: fs.ModeDir | 0o755}, {name: "demo-1.0.data/purelib/demo/x", data: "b"}},
			"demo/x is a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Install(demoWheel(t, tc.entries...), lambdaScheme(t.TempDir()), InstallOptions{})
			if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrUnsafe with %q", err, tc.want)
			}
		})
	}
}

func TestInstallSymlinks(t *testing.T) {
	link := func(name, target string) zentry {
		return zentry{name: name, data: target, mode: fs.ModeSymlink | 0o777}
	}
	tests := []struct {
		name    string
		entries []zentry
		want    string // "" = success
	}{
		{"relative inside package", []zentry{{name: "demo/core.py", data: "x"}, link("demo/alias.py", "core.py")}, ""},
		{"up to root is fine", []zentry{link("demo/bin", "../../../../../bin")}, ""},
		{"dangling inside root is fine", []zentry{link("demo/later", "not-there")}, ""},
		{"escape root", []zentry{link("demo/l", "../../../../../../etc/passwd")}, "points outside the install root"},
		{"escape from data", []zentry{link("demo-1.0.data/data/l", "../x")}, "points outside the install root"},
		{"absolute", []zentry{link("demo/l", "/etc/passwd")}, "is absolute"},
		{"not clean", []zentry{link("demo/l", "./core.py")}, "not a clean relative path"},
		{"chain through symlink", []zentry{link("demo/up", ".."), link("demo/l", "up/../../x")}, "not a clean relative path"},
		{"empty target", []zentry{link("demo/l", "")}, "empty symlink target"},
		{"backslash target", []zentry{link("demo/l", "a\\b")}, "backslash"},
		{"too long", []zentry{link("demo/l", strings.Repeat("a/", 3000))}, "longer than 4096"},
		{"in scripts", []zentry{link("demo-1.0.data/scripts/tool", "x")}, "scripts may only contain regular files"},
		{"write through symlink dir", []zentry{link("demo/sub", "."), {name: "demo/sub/x.py", data: "x"}}, "traverses a symlink"},
		{"mkdir through symlink dir", []zentry{link("demo/sub", "."), {name: "demo/sub/d/", mode: fs.ModeDir | 0o755}}, "traverses a symlink"},
		{"replace own symlink", []zentry{link("demo/l", "a"), {name: "demo-1.0.data/purelib/demo/l", data: "x"}}, "two members install to"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			_, err := Install(demoWheel(t, tc.entries...), lambdaScheme(root), InstallOptions{})
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrUnsafe with %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(root); len(entries) != 0 {
				t.Errorf("failed install left %d entries in root", len(entries))
			}
		})
	}
}

func TestInstallPreexistingSymlinks(t *testing.T) {
	outside := t.TempDir()
	tests := []struct {
		name  string
		setup func(t *testing.T, root string)
		entry zentry
		want  string
	}{
		{"scheme dir is a symlink", func(t *testing.T, root string) {
			mustSymlink(t, outside, filepath.Join(root, "python"))
		}, zentry{name: "demo/x.py", data: "x"}, "path python traverses a symlink"},
		{"destination file is a symlink", func(t *testing.T, root string) {
			dir := filepath.Join(root, "python/lib/python3.12/site-packages/demo")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			mustSymlink(t, filepath.Join(outside, "victim"), filepath.Join(dir, "x.py"))
		}, zentry{name: "demo/x.py", data: "x"}, "refusing to replace existing symlink"},
		{"link target through foreign symlink", func(t *testing.T, root string) {
			mustSymlink(t, outside, filepath.Join(root, "ext"))
		}, zentry{name: "demo/l", data: "../../../../../ext/passwd", mode: fs.ModeSymlink | 0o777}, "leads through pre-existing symlink ext"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			tc.setup(t, root)
			_, err := Install(demoWheel(t, tc.entry), lambdaScheme(root), InstallOptions{})
			if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrUnsafe with %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(outside); len(entries) != 0 {
				t.Errorf("something was written outside the root")
			}
		})
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestInstallRefusesSpecialFiles(t *testing.T) {
	for _, mode := range []fs.FileMode{fs.ModeNamedPipe | 0o644, fs.ModeDevice | 0o644, fs.ModeSocket | 0o644} {
		_, err := Install(demoWheel(t, zentry{name: "demo/special", data: "", mode: mode}), lambdaScheme(t.TempDir()), InstallOptions{})
		if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "special file") {
			t.Errorf("mode %v: err = %v", mode, err)
		}
	}
}

func TestInstallDecompressionBomb(t *testing.T) {
	zeros := strings.Repeat("\x00", 16<<20) // deflates roughly 1000:1
	tests := []struct {
		name string
		opts InstallOptions
		want string // "" = success
	}{
		{"ratio limit (default)", InstallOptions{}, "expands more than 200:1"},
		{"ratio limit custom", InstallOptions{MaxEntryRatio: 50}, "expands more than 50:1"},
		{"ratio disabled", InstallOptions{MaxEntryRatio: -1}, ""},
		{"ratio high enough", InstallOptions{MaxEntryRatio: 5000}, ""},
		{"total limit", InstallOptions{MaxUnpackedBytes: 1 << 20, MaxEntryRatio: -1}, "wheel declares"},
	}
	whl := demoWheel(t, zentry{name: "demo/zeros.bin", data: zeros})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "root")
			_, err := Install(whl, lambdaScheme(root), tc.opts)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrTooLarge with %q", err, tc.want)
			}
			if _, serr := os.Stat(root); !errors.Is(serr, fs.ErrNotExist) {
				t.Errorf("root left behind")
			}
		})
	}
}

// TestInstallLyingHeader checks that an entry whose header understates its
// size (so the up-front size check passes) still cannot expand.
func TestInstallLyingHeader(t *testing.T) {
	data := bytes.Repeat([]byte{0}, 4<<20)
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	if _, err := fw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "demo-1.0-py3-none-any.whl")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	var rec strings.Builder
	for _, e := range demoEntries(testWheelFile) {
		w, _ := zw.Create(e.name)
		if _, err := io.WriteString(w, e.data); err != nil {
			t.Fatal(err)
		}
		rec.WriteString(e.name + "," + recordHash("sha256", e.data) + "," + strconv.Itoa(len(e.data)) + "\n")
	}
	rec.WriteString("demo/bomb.bin," + recordHash("sha256", string(data[:10])) + ",10\n")
	rec.WriteString("demo-1.0.dist-info/RECORD,,\n")
	h := &zip.FileHeader{Name: "demo/bomb.bin", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(data[:10]),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: 10}
	w, err := zw.CreateRaw(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(comp.Bytes()); err != nil {
		t.Fatal(err)
	}
	w, _ = zw.Create("demo-1.0.dist-info/RECORD")
	if _, err := io.WriteString(w, rec.String()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	root := t.TempDir()
	_, err = Install(p, lambdaScheme(root), InstallOptions{MaxEntryRatio: -1})
	if err == nil || !strings.Contains(err.Error(), "demo/bomb.bin") {
		t.Fatalf("err = %v, want an error naming demo/bomb.bin", err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("failed install left files behind")
	}
}

func TestGuardReader(t *testing.T) {
	tests := []struct {
		name       string
		max, ratio int64
		compressed int64
		size       int
		want       string
	}{
		{"under limits", 1 << 30, 200, 1 << 20, 3 << 20, ""},
		{"total limit while streaming", 1000, -1, 1, 5000, "expands to more than 1000 bytes"},
		{"ratio only after 1 MiB", 1 << 30, 2, 1, 1 << 20, ""},
		{"ratio exceeded", 1 << 30, 2, 1, 1<<20 + 1, "expands more than 2:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &installer{opts: InstallOptions{MaxUnpackedBytes: tc.max, MaxEntryRatio: tc.ratio}}
			g := &guardReader{r: bytes.NewReader(make([]byte, tc.size)), in: in, name: "e", compressed: tc.compressed}
			n, err := io.Copy(io.Discard, g)
			if tc.want == "" {
				if err != nil || n != int64(tc.size) {
					t.Fatalf("copied %d, err %v", n, err)
				}
				return
			}
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if n > tc.max && tc.ratio < 0 {
				t.Errorf("copied %d bytes past the limit %d", n, tc.max)
			}
		})
	}
}

func TestInstallCleanupKeepsPreexistingContent(t *testing.T) {
	root := t.TempDir()
	keep := filepath.Join(root, "keep.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	whl := demoWheel(t,
		zentry{name: "demo/a.py", data: "a"},
		zentry{name: "demo/b.py", data: "b", record: recordHash("sha256", "c") + ",1"},
	)
	if _, err := Install(whl, lambdaScheme(root), InstallOptions{}); !errors.Is(err, ErrRecord) {
		t.Fatalf("err = %v, want ErrRecord", err)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 || entries[0].Name() != "keep.txt" {
		t.Errorf("root after failed install: %v", entries)
	}
}

func TestInstallRefusesTooManyEntries(t *testing.T) {
	var ents []zentry
	for i := 0; i < 20; i++ {
		ents = append(ents, zentry{name: "demo/m" + strconv.Itoa(i) + ".py", data: ""})
	}
	root := filepath.Join(t.TempDir(), "root")
	_, err := Install(demoWheel(t, ents...), lambdaScheme(root), InstallOptions{MaxEntries: 10})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "more than the limit of 10") {
		t.Fatalf("err = %v, want ErrTooLarge naming the entry limit", err)
	}
	if _, serr := os.Stat(root); !errors.Is(serr, fs.ErrNotExist) {
		t.Errorf("root created despite refusal")
	}
}
