//go:build integration

package integration

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The hostile-input kit: a package index the test serves itself on
// loopback (or on the host's non-private address, to play a public index),
// whose pages and files misbehave on purpose, and a wheel writer that can
// produce the archives a hostile index would serve.

// hostileIndex is an HTTP server with per-path handlers, started by a test.
type hostileIndex struct {
	base string // http://host:port
	mu   sync.Mutex
	h    map[string]http.HandlerFunc
}

// newHostileIndex listens on addr ("127.0.0.1:0"); the server stops with
// the test.
func newHostileIndex(t *testing.T, addr string) *hostileIndex {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("hostile index: %v", err)
	}
	ix := &hostileIndex{base: "http://" + ln.Addr().String(), h: map[string]http.HandlerFunc{}}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ix.mu.Lock()
		h := ix.h[r.URL.Path]
		ix.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	})}
	go func() { _ = srv.Serve(ln) }() // returns when the test closes it
	t.Cleanup(func() { _ = srv.Close() })
	return ix
}

// simple is the index URL to write after INDEX.
func (ix *hostileIndex) simple() string { return ix.base + "/simple/" }

func (ix *hostileIndex) handle(path string, h http.HandlerFunc) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.h[path] = h
}

// bytesAt serves body at path.
func (ix *hostileIndex) bytesAt(path, contentType string, body []byte) {
	ix.handle(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		_, _ = w.Write(body) // the client may hang up: nothing to do
	})
}

// page serves an HTML project page at /simple/<project>/.
func (ix *hostileIndex) page(project, html string) string {
	p := "/simple/" + project + "/"
	ix.bytesAt(p, "text/html", []byte(html))
	return p
}

// status answers every request for path with code.
func (ix *hostileIndex) status(path string, code int) {
	ix.handle(path, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, http.StatusText(code), code)
	})
}

// wheel serves a wheel's bytes under /files/ and a project page linking it
// with its sha256 (frag overrides the fragment: "" for none); it returns
// the file's URL.
func (ix *hostileIndex) wheel(project, filename string, body []byte, frag ...string) string {
	sum := sha256.Sum256(body)
	f := "#sha256=" + hex.EncodeToString(sum[:])
	if len(frag) > 0 {
		f = frag[0]
	}
	ix.bytesAt("/files/"+filename, "application/octet-stream", body)
	ix.page(project, linkPage(ix.base+"/files/"+filename+f, filename))
	return ix.base + "/files/" + filename
}

// sdist serves an sdist's bytes under /files/ and a project page linking
// it with its sha256.
func (ix *hostileIndex) sdist(project, filename string, body []byte) {
	sum := sha256.Sum256(body)
	ix.bytesAt("/files/"+filename, "application/gzip", body)
	ix.page(project, linkPage(ix.base+"/files/"+filename+"#sha256="+hex.EncodeToString(sum[:]), filename))
}

// sdistOf is a .tar.gz sdist of dist: <name>-<version>/ with PKG-INFO and
// files (path: content).
func sdistOf(t *testing.T, dist, version string, files map[string]string) []byte {
	t.Helper()
	root := strings.ReplaceAll(dist, "-", "_") + "-" + version
	all := map[string]string{"PKG-INFO": "Metadata-Version: 2.1\nName: " + dist + "\nVersion: " + version + "\n"}
	for k, v := range files {
		all[k] = v
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range slices.Sorted(maps.Keys(all)) {
		body := all[name]
		if err := tw.WriteHeader(&tar.Header{Name: root + "/" + name, Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// linkPage is a PEP 503 page with one link per href (text: the file name).
func linkPage(hrefAndNames ...string) string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><body>\n")
	for i := 0; i+1 < len(hrefAndNames); i += 2 {
		fmt.Fprintf(&b, "<a href=\"%s\">%s</a><br>\n", hrefAndNames[i], hrefAndNames[i+1])
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// zent is one archive member of a hand-made wheel.
type zent struct {
	name string
	body []byte
	mode os.FileMode // 0: a regular 0644 file; os.ModeSymlink|0777 for a symlink
	dir  bool
}

// distInfo is the .dist-info folder of dist (normalized with '_').
func distInfo(dist, version string) string {
	return strings.ReplaceAll(dist, "-", "_") + "-" + version + ".dist-info"
}

// wheelFilename is dist's py3-none-any wheel name.
func wheelFilename(dist, version string) string {
	return strings.ReplaceAll(dist, "-", "_") + "-" + version + "-py3-none-any.whl"
}

// wheelEntries is a valid pure wheel's members: files, METADATA, WHEEL and
// a RECORD that lists every member with its sha256 and size.
func wheelEntries(dist, version string, files ...zent) []zent {
	di := distInfo(dist, version)
	ents := append([]zent{}, files...)
	ents = append(ents,
		zent{name: di + "/METADATA", body: []byte("Metadata-Version: 2.1\nName: " + dist + "\nVersion: " + version + "\n")},
		zent{name: di + "/WHEEL", body: []byte("Wheel-Version: 1.0\nGenerator: geolayer-hostile-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")},
	)
	return append(ents, zent{name: di + "/RECORD", body: recordOf(ents, di+"/RECORD")})
}

// recordOf is a RECORD listing ents (directories excluded) and itself.
func recordOf(ents []zent, self string) []byte {
	var b bytes.Buffer
	for _, e := range ents {
		if e.dir {
			continue
		}
		sum := sha256.Sum256(e.body)
		fmt.Fprintf(&b, "%s,sha256=%s,%d\n", e.name, base64.RawURLEncoding.EncodeToString(sum[:]), len(e.body))
	}
	fmt.Fprintf(&b, "%s,,\n", self)
	return b.Bytes()
}

// zipOf writes ents, in order, duplicates and odd names included (Go's
// writer checks neither).
func zipOf(t *testing.T, ents []zent) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range ents {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.Modified = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		switch {
		case e.dir:
			h.SetMode(os.ModeDir | 0o755)
			h.Method = zip.Store
		case e.mode != 0:
			h.SetMode(e.mode)
		default:
			h.SetMode(0o644)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// entry edits: the RECORD member of ents.
func recordEntry(ents []zent) *zent {
	for i := range ents {
		if strings.HasSuffix(ents[i].name, ".dist-info/RECORD") {
			return &ents[i]
		}
	}
	return nil
}

// zerosBomb is a wheel whose one data member inflates to n zero bytes from
// a deflate stream built by repetition (no n-byte buffer, no n-byte
// compression): a sync-flushed block of 1 MiB of zeros, once the window is
// all zeros, compresses to the same bytes every time. RECORD lists the
// member with the true sha256 and size of n zeros.
func zerosBomb(t *testing.T, dist, version string, n int64) []byte {
	t.Helper()
	const chunk = 1 << 20
	if n%chunk != 0 {
		t.Fatal("zerosBomb: n must be a multiple of 1 MiB")
	}
	// Stored-block-free deflate of zeros: deflate 1 MiB twice with sync
	// flushes and take the second block as the repeating unit.
	first, firstN, unit, final := zeroDeflateParts(t, chunk)
	var stream bytes.Buffer
	stream.Write(first)
	for i := firstN; i < n/chunk; i++ {
		stream.Write(unit)
	}
	stream.Write(final)
	// sha256 and crc32 of n zeros, streamed.
	zeros := make([]byte, chunk)
	h := sha256.New()
	crc := crc32.NewIEEE()
	for i := int64(0); i < n/chunk; i++ {
		h.Write(zeros)
		crc.Write(zeros)
	}
	pkg := strings.ReplaceAll(dist, "-", "_")
	small := wheelEntries(dist, version, zent{name: pkg + "/__init__.py", body: []byte("")})
	rec := recordEntry(small)
	rec.body = append([]byte(fmt.Sprintf("%s/zeros.bin,sha256=%s,%d\n", pkg, base64.RawURLEncoding.EncodeToString(h.Sum(nil)), n)), rec.body...)
	return zipWithRaw(t, []rawMember{{name: pkg + "/zeros.bin", crc: crc.Sum32(), size: uint64(n), deflated: stream.Bytes()}}, small)
}

// rawMember is a zip member written already deflated (zip.CreateRaw), so
// a test can store a large member without compressing it again.
type rawMember struct {
	name     string
	crc      uint32
	size     uint64 // uncompressed
	deflated []byte
}

// zipWithRaw writes the raw members, then the small ones, as one zip.
func zipWithRaw(t *testing.T, raw []rawMember, small []zent) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range raw {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate, CRC32: m.crc,
			CompressedSize64: uint64(len(m.deflated)), UncompressedSize64: m.size}
		h.SetMode(0o644)
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(m.deflated); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range small {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// elf64 is a minimal little-endian ELF64 shared object header for machine
// (62 x86-64, 183 aarch64) with no program or section headers.
func elf64(machine uint16) []byte {
	b := make([]byte, 64)
	copy(b, "\x7fELF")
	b[4], b[5], b[6] = 2, 1, 1 // ELFCLASS64, little-endian, version 1
	le := binary.LittleEndian
	le.PutUint16(b[16:], 3) // ET_DYN
	le.PutUint16(b[18:], machine)
	le.PutUint32(b[20:], 1)
	le.PutUint16(b[52:], 64) // e_ehsize
	le.PutUint16(b[54:], 56) // e_phentsize
	le.PutUint16(b[58:], 64) // e_shentsize
	return b
}

// zip64ize rewrites a zip's end of central directory as zip64 (a zip64
// end record and locator before an EOCD whose counts and offsets are
// 0xFFFF/0xFFFFFFFF), as writers do for big archives: the members are
// unchanged.
func zip64ize(t *testing.T, z []byte) []byte {
	t.Helper()
	i := bytes.LastIndex(z, []byte("PK\x05\x06"))
	if i < 0 || len(z)-i < 22 {
		t.Fatal("zip64ize: no end of central directory")
	}
	le := binary.LittleEndian
	eocd := z[i:]
	entries := le.Uint16(eocd[10:])
	cdSize := le.Uint32(eocd[12:])
	cdOff := le.Uint32(eocd[16:])
	var out bytes.Buffer
	out.Write(z[:i])
	z64 := make([]byte, 56)
	le.PutUint32(z64[0:], 0x06064b50)
	le.PutUint64(z64[4:], 44)
	le.PutUint16(z64[12:], 45)
	le.PutUint16(z64[14:], 45)
	le.PutUint64(z64[24:], uint64(entries))
	le.PutUint64(z64[32:], uint64(entries))
	le.PutUint64(z64[40:], uint64(cdSize))
	le.PutUint64(z64[48:], uint64(cdOff))
	loc := make([]byte, 20)
	le.PutUint32(loc[0:], 0x07064b50)
	le.PutUint64(loc[8:], uint64(i))
	le.PutUint32(loc[16:], 1)
	end := make([]byte, 22)
	copy(end, eocd[:22])
	le.PutUint16(end[8:], 0xffff)
	le.PutUint16(end[10:], 0xffff)
	le.PutUint32(end[12:], 0xffffffff)
	le.PutUint32(end[16:], 0xffffffff)
	le.PutUint16(end[20:], 0)
	out.Write(z64)
	out.Write(loc)
	out.Write(end)
	return out.Bytes()
}

// unzipNames lists a zip file's member names.
func unzipNames(t *testing.T, p string) []string {
	t.Helper()
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	defer func() { _ = zr.Close() }() // read-only
	var out []string
	for _, f := range zr.File {
		out = append(out, f.Name)
	}
	return out
}

// leaks are what must never reach the user from a hostile input.
var leaks = regexp.MustCompile(`(?m)panic:|^goroutine \d+ \[|runtime error:|internal error|\.go:\d+ \+0x`)

// exported lists what a build wrote into out (nothing, for a failed build).
func exported(out string) []string {
	var names []string
	// A missing out is an empty export: the walk's error is not one.
	_ = filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
		if err == nil && p != out {
			names = append(names, strings.TrimPrefix(p, out+"/"))
		}
		return nil
	})
	return names
}

// zeroDeflateParts deflates 1 MiB blocks of zeros with sync flushes and
// returns the first block, the block that repeats once the window is all
// zeros (checked: two in a row are equal), and the final (empty) block.
func zeroDeflateParts(t *testing.T, chunk int) (first []byte, firstN int64, unit, final []byte) {
	t.Helper()
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, chunk)
	next := func() []byte {
		if _, err := fw.Write(zeros); err != nil {
			t.Fatal(err)
		}
		if err := fw.Flush(); err != nil {
			t.Fatal(err)
		}
		b := bytes.Clone(buf.Bytes())
		buf.Reset()
		return b
	}
	first, firstN = next(), 1
	unit = next()
	for i := 0; i < 4; i++ {
		u := next()
		if bytes.Equal(u, unit) {
			if err := fw.Close(); err != nil {
				t.Fatal(err)
			}
			return first, firstN, unit, bytes.Clone(buf.Bytes())
		}
		first, firstN = append(first, unit...), firstN+1
		unit = u
	}
	t.Fatal("zeroDeflateParts: no repeating block")
	return
}
