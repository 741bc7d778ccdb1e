// Package manywheels makes a many-package lock for load tests: N small,
// distinct, valid pure-Python wheels (generated, deterministic), any extra
// wheel files (the dev index's compiled fixtures), a hashed requirements
// file pinning every one of them, and a PEP 503 index serving them. The
// 150-package benchmark (bench/lockbench) and its integration test
// (test/integration/manypackages_test.go) use it.
package manywheels

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// File is one distribution file the index serves.
type File struct {
	Project  string // normalized name: glf-many-007
	Version  string
	Filename string
	SHA256   string // hex
	Size     int64
	path     string
}

// Prefix names the generated projects (glf-*: the dev world's namespace,
// which no real package uses).
const Prefix = "glf-many-"

// Module is the import name of generated project i (1-based).
func Module(i int) string { return fmt.Sprintf("glf_many_%03d", i) }

// Generate writes n pure wheels glf-many-001 ... into dir. Each is
// distinct: 1 to 6 modules of 1 to 24 KiB of Python, every third with a
// tests/ folder (which the default PRUNE removes), every tenth with a
// console script, every 25th with a 256 KiB data file, every seventh
// depending on the one before (Requires-Dist, pinned in the lock too).
// The same n gives the same bytes.
func Generate(dir string, n int) ([]File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var out []File
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("%s%03d", Prefix, i)
		mod := Module(i)
		version := fmt.Sprintf("1.%d.%d", i%5, i%3)
		rng := rand.New(rand.NewPCG(uint64(i), 150))
		var ents []entry
		ents = append(ents, entry{mod + "/__init__.py", []byte(fmt.Sprintf(
			"\"\"\"%s: generated for geolayer's many-package benchmark.\"\"\"\n__version__ = %q\nINDEX = %d\n", mod, version, i))})
		for m := 0; m < 1+i%6; m++ {
			ents = append(ents, entry{fmt.Sprintf("%s/mod_%d.py", mod, m), pySource(rng, 1<<10+rng.IntN(23<<10))})
		}
		if i%3 == 0 {
			ents = append(ents, entry{mod + "/tests/__init__.py", nil},
				entry{mod + "/tests/test_mod.py", []byte("from " + mod + " import mod_0\n\ndef test_f0():\n    assert mod_0.f_0(1) is not None\n")})
		}
		if i%25 == 0 {
			data := make([]byte, 256<<10)
			for j := range data {
				data[j] = byte('a' + rng.IntN(26))
			}
			ents = append(ents, entry{mod + "/data/table.txt", data})
		}
		di := strings.ReplaceAll(name, "-", "_") + "-" + version + ".dist-info"
		meta := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: generated package %d of geolayer's many-package benchmark\nRequires-Python: >=3.9\n", name, version, i)
		if i%7 == 0 && i > 1 {
			meta += fmt.Sprintf("Requires-Dist: %s%03d\n", Prefix, i-1)
		}
		ents = append(ents, entry{di + "/METADATA", []byte(meta)},
			entry{di + "/WHEEL", []byte("Wheel-Version: 1.0\nGenerator: geolayer-manywheels\nRoot-Is-Purelib: true\nTag: py3-none-any\n")})
		if i%10 == 0 {
			ents = append(ents, entry{di + "/entry_points.txt", []byte(fmt.Sprintf("[console_scripts]\nglf-many-%03d = %s.mod_0:main\n", i, mod))})
		}
		ents = append(ents, entry{di + "/RECORD", record(ents, di+"/RECORD")})
		body, err := zipOf(ents)
		if err != nil {
			return nil, err
		}
		fn := strings.ReplaceAll(name, "-", "_") + "-" + version + "-py3-none-any.whl"
		f, err := write(dir, fn, body)
		if err != nil {
			return nil, err
		}
		f.Project, f.Version = name, version
		out = append(out, f)
	}
	return out, nil
}

// Copy copies existing distribution files (wheels named as PEP 427 says)
// into dir and describes them.
func Copy(dir string, paths ...string) ([]File, error) {
	var out []File
	for _, p := range paths {
		body, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		fn := filepath.Base(p)
		parts := strings.Split(strings.TrimSuffix(fn, ".whl"), "-")
		if len(parts) < 5 || !strings.HasSuffix(fn, ".whl") {
			return nil, fmt.Errorf("%s: not a wheel file name", fn)
		}
		f, err := write(dir, fn, body)
		if err != nil {
			return nil, err
		}
		f.Project, f.Version = strings.ToLower(strings.ReplaceAll(parts[0], "_", "-")), parts[1]
		out = append(out, f)
	}
	return out, nil
}

// Requirements is a hashed requirements file pinning every project of
// files (one line a project, a --hash per file, as pip-compile
// --generate-hashes writes it).
func Requirements(files []File) string {
	byProject := map[string][]File{}
	for _, f := range files {
		byProject[f.Project] = append(byProject[f.Project], f)
	}
	names := make([]string, 0, len(byProject))
	for n := range byProject {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fs := byProject[n]
		fmt.Fprintf(&b, "%s==%s", n, fs[0].Version)
		for _, f := range fs {
			fmt.Fprintf(&b, " \\\n    --hash=sha256:%s", f.SHA256)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Index is a PEP 503 simple index of files: /simple/<project>/ links each
// file as /files/<name>#sha256=<hex>; anything else is 404.
type Index struct {
	files map[string][]File // by project
	paths map[string]string // file name -> path on disk
}

// NewIndex serves files.
func NewIndex(files []File) *Index {
	ix := &Index{files: map[string][]File{}, paths: map[string]string{}}
	for _, f := range files {
		ix.files[f.Project] = append(ix.files[f.Project], f)
		ix.paths[f.Filename] = f.path
	}
	return ix
}

func (ix *Index) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p, ok := strings.CutPrefix(r.URL.Path, "/simple/"); ok {
		fs := ix.files[strings.TrimSuffix(p, "/")]
		if len(fs) == 0 || !strings.HasSuffix(p, "/") {
			http.NotFound(w, r)
			return
		}
		var b strings.Builder
		b.WriteString("<!DOCTYPE html>\n<html><body>\n")
		for _, f := range fs {
			fmt.Fprintf(&b, "<a href=\"/files/%s#sha256=%s\">%s</a><br>\n", html.EscapeString(f.Filename), f.SHA256, html.EscapeString(f.Filename))
		}
		b.WriteString("</body></html>\n")
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(b.String())) // a client hanging up is its business
		return
	}
	if fn, ok := strings.CutPrefix(r.URL.Path, "/files/"); ok {
		if p, ok := ix.paths[fn]; ok {
			http.ServeFile(w, r, p)
			return
		}
	}
	http.NotFound(w, r)
}

// Serve serves ix on a loopback port until the returned stop is called;
// the URL is the index's /simple/ root.
func Serve(ix *Index) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: ix, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = srv.Serve(ln) }() // returns when stopped
	return "http://" + ln.Addr().String() + "/simple/", func() { _ = srv.Close() }, nil
}

type entry struct {
	name string
	body []byte
}

// record is a RECORD listing ents and itself.
func record(ents []entry, self string) []byte {
	var b bytes.Buffer
	for _, e := range ents {
		sum := sha256.Sum256(e.body)
		fmt.Fprintf(&b, "%s,sha256=%s,%d\n", e.name, base64.RawURLEncoding.EncodeToString(sum[:]), len(e.body))
	}
	fmt.Fprintf(&b, "%s,,\n", self)
	return b.Bytes()
}

func zipOf(ents []entry) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range ents {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}
		h.SetMode(0o644)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(e.body); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func write(dir, fn string, body []byte) (File, error) {
	p := filepath.Join(dir, fn)
	if err := os.WriteFile(p, body, 0o644); err != nil {
		return File{}, err
	}
	sum := sha256.Sum256(body)
	return File{Filename: fn, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(body)), path: p}, nil
}

// pySource is about size bytes of plausible Python: constants, small
// functions and a main for the console scripts.
func pySource(rng *rand.Rand, size int) []byte {
	var b bytes.Buffer
	b.WriteString("\"\"\"Generated module.\"\"\"\n\n\ndef main():\n    print(f_0(1))\n\n")
	for k := 0; b.Len() < size; k++ {
		fmt.Fprintf(&b, "\nVALUE_%d = %d\n\n\ndef f_%d(x):\n    \"\"\"Return a combination of x and VALUE_%d.\"\"\"\n", k, rng.IntN(1<<30), k, k)
		switch rng.IntN(3) {
		case 0:
			fmt.Fprintf(&b, "    return x * %d + VALUE_%d\n", 1+rng.IntN(97), k)
		case 1:
			fmt.Fprintf(&b, "    return [x + i for i in range(%d)]\n", 1+rng.IntN(50))
		default:
			fmt.Fprintf(&b, "    return {'x': x, 'k': %d, 'name': %q}\n", k, fmt.Sprintf("item-%x", rng.Uint32()))
		}
	}
	return b.Bytes()
}
