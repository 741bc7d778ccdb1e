package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeWheel(t *testing.T, dir, name, meta string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	distInfo := strings.Join(strings.Split(strings.TrimSuffix(name, ".whl"), "-")[:2], "-") + ".dist-info"
	for _, f := range []struct{ name, body string }{
		{"pkg/__init__.py", "Requires-Python: >=99 (a decoy outside METADATA)\n"},
		{distInfo + "/METADATA", meta},
		{distInfo + "/WHEEL", "Wheel-Version: 1.0\n"},
	} {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, f.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, name, buf.Bytes())
}

func writeSdist(t *testing.T, dir, name, pkgInfo string) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	top := strings.TrimSuffix(name, ".tar.gz")
	for _, f := range []struct{ name, body string }{
		{top + "/pyproject.toml", "[build-system]\n"},
		{top + "/PKG-INFO", pkgInfo},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(tw, f.body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, name, buf.Bytes())
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func get(t *testing.T, h http.Handler, path, accept string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// pipAccept is what pip sends (src/pip/_internal/index/collector.py).
const pipAccept = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"

type fixture struct {
	x                        *index
	pure, pure11, dep, sdist string // real sha256s
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	f := fixture{x: &index{dir: dir, overrides: map[string]string{"other-2.0-py3-none-any.whl": strings.Repeat("0", 60) + "0bad"}}}
	f.pure = writeWheel(t, dir, "Glf_Pure-1.0.0-py3-none-any.whl", "Metadata-Version: 2.1\nName: Glf_Pure\nVersion: 1.0.0\nRequires-Python: >=3.8\nRequires-Dist: glf-pure-dep\n\nRequires-Python: >=99 (in the description)\n")
	f.pure11 = writeWheel(t, dir, "glf_pure-1.10.0-py3-none-any.whl", "Metadata-Version: 2.1\nName: glf-pure\nVersion: 1.10.0\nRequires-Python: >=3.8\n")
	writeWheel(t, dir, "glf_pure-1.9.0-1-py3-none-any.whl", "Metadata-Version: 2.1\nName: glf-pure\nVersion: 1.9.0\n")
	f.dep = writeWheel(t, dir, "glf_pure_dep-1.0.0-py3-none-any.whl", "Metadata-Version: 2.1\nName: glf-pure-dep\nVersion: 1.0.0\nRequires-Python: >=3.8, <4\n")
	writeWheel(t, dir, "other-2.0-py3-none-any.whl", "Name: other\n")
	f.sdist = writeSdist(t, dir, "glf_sdistonly-1.0.0.tar.gz", "Metadata-Version: 2.1\nName: glf-sdistonly\nVersion: 1.0.0\nRequires-Python: >=3.8\n")
	writeFile(t, dir, "broken-1.0-py3-none-any.whl", []byte("not a zip"))
	writeFile(t, dir, "notes.txt", []byte("ignored"))
	return f
}

func TestHTMLProjectPage(t *testing.T) {
	f := newFixture(t)
	rec := get(t, f.x, "/simple/glf-pure/", "")
	body := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s\n%s", rec.Code, rec.Header().Get("Content-Type"), body)
	}
	for _, want := range []string{
		fmt.Sprintf(`<a href="../../files/Glf_Pure-1.0.0-py3-none-any.whl#sha256=%s" data-requires-python="&gt;=3.8">Glf_Pure-1.0.0-py3-none-any.whl</a>`, f.pure),
		fmt.Sprintf(`href="../../files/glf_pure-1.10.0-py3-none-any.whl#sha256=%s"`, f.pure11),
		`<a href="../../files/glf_pure-1.9.0-1-py3-none-any.whl#sha256=`, // build tag, no Requires-Python
		`<meta name="pypi:repository-version" content="1.1">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "&gt;=99") {
		t.Errorf("Requires-Python read from outside the METADATA headers:\n%s", body)
	}
	if strings.Contains(body, "glf_pure_dep") {
		t.Errorf("glf-pure-dep listed on glf-pure's page:\n%s", body)
	}
	rec = get(t, f.x, "/simple/glf-pure-dep/", "")
	if want := `data-requires-python="&gt;=3.8, &lt;4"`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("Requires-Python not HTML-escaped, want %s:\n%s", want, rec.Body.String())
	}
	rec = get(t, f.x, "/simple/glf-sdistonly/", "")
	if want := fmt.Sprintf(`href="../../files/glf_sdistonly-1.0.0.tar.gz#sha256=%s" data-requires-python="&gt;=3.8"`, f.sdist); !strings.Contains(rec.Body.String(), want) {
		t.Errorf("sdist page lacks %s:\n%s", want, rec.Body.String())
	}
	// A broken archive is still listed, only without requires-python.
	rec = get(t, f.x, "/simple/broken/", "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "broken-1.0-py3-none-any.whl#sha256=") || strings.Contains(rec.Body.String(), "data-requires-python") {
		t.Errorf("broken wheel: %d\n%s", rec.Code, rec.Body.String())
	}
}

type jsonPage struct {
	Meta struct {
		APIVersion string `json:"api-version"`
	} `json:"meta"`
	Name  string `json:"name"`
	Files []struct {
		Filename       string            `json:"filename"`
		URL            string            `json:"url"`
		Hashes         map[string]string `json:"hashes"`
		RequiresPython *string           `json:"requires-python"`
		Size           int64             `json:"size"`
	} `json:"files"`
	Versions []string `json:"versions"`
}

func TestJSONProjectPage(t *testing.T) {
	f := newFixture(t)
	rec := get(t, f.x, "/simple/glf-pure/", pipAccept)
	if ct := rec.Header().Get("Content-Type"); rec.Code != 200 || ct != typeJSON {
		t.Fatalf("%d %q\n%s", rec.Code, ct, rec.Body.String())
	}
	if !strings.Contains(rec.Header().Get("Vary"), "Accept") {
		t.Errorf("no Vary: Accept")
	}
	var page jsonPage
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
		t.Fatal(err)
	}
	if page.Meta.APIVersion != "1.1" || page.Name != "glf-pure" || len(page.Files) != 3 {
		t.Fatalf("page: %+v", page)
	}
	if got := strings.Join(page.Versions, " "); got != "1.0.0 1.9.0 1.10.0" {
		t.Errorf("versions %q", got)
	}
	fl := page.Files[0]
	st, _ := os.Stat(filepath.Join(f.x.dir, fl.Filename))
	if fl.Filename != "Glf_Pure-1.0.0-py3-none-any.whl" || fl.URL != "../../files/"+fl.Filename || fl.Hashes["sha256"] != f.pure ||
		fl.RequiresPython == nil || *fl.RequiresPython != ">=3.8" || fl.Size != st.Size() {
		t.Errorf("file entry: %+v", fl)
	}
	for _, fl := range page.Files {
		if strings.Contains(fl.Filename, "1.9.0") && fl.RequiresPython != nil {
			t.Errorf("requires-python for a wheel without one: %q", *fl.RequiresPython)
		}
	}
	// The override is what the index publishes, in both formats.
	rec = get(t, f.x, "/simple/other/", typeJSON)
	page = jsonPage{}
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || len(page.Files) != 1 || page.Files[0].Hashes["sha256"] != strings.Repeat("0", 60)+"0bad" {
		t.Errorf("JSON page with override: %v %s", err, rec.Body.String())
	}
	if rec := get(t, f.x, "/simple/other/", ""); !strings.Contains(rec.Body.String(), "#sha256="+strings.Repeat("0", 60)+"0bad") {
		t.Errorf("HTML page with override: %s", rec.Body.String())
	}
	// The root in JSON.
	rec = get(t, f.x, "/simple/", typeJSON)
	var root struct {
		Meta     map[string]string `json:"meta"`
		Projects []struct {
			Name string `json:"name"`
		} `json:"projects"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &root); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range root.Projects {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "broken glf-pure glf-pure-dep glf-sdistonly other" || root.Meta["api-version"] != "1.1" {
		t.Errorf("JSON root: %s", rec.Body.String())
	}
}

func TestNegotiation(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ accept, want string }{
		{"", "text/html; charset=utf-8"},
		{"*/*", "text/html; charset=utf-8"},
		{"text/html", "text/html; charset=utf-8"},
		{pipAccept, typeJSON},
		{"application/vnd.pypi.simple.latest+json", typeJSON},
		{typeHTML, typeHTML},
		{typeJSON + ";q=0.2, " + typeHTML, typeHTML},
		{typeJSON + ";q=0, text/html;q=0.5", "text/html; charset=utf-8"},
		{"application/json", ""},
		{typeJSON + ";q=0", ""},
	} {
		rec := get(t, f.x, "/simple/glf-pure/", c.accept)
		if c.want == "" {
			if rec.Code != http.StatusNotAcceptable {
				t.Errorf("Accept %q: %d, want 406", c.accept, rec.Code)
			}
			continue
		}
		if ct := rec.Header().Get("Content-Type"); rec.Code != 200 || ct != c.want {
			t.Errorf("Accept %q: %d %q, want %q", c.accept, rec.Code, ct, c.want)
		}
	}
}

func TestNormalizationAndRouting(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		path string
		code int
		loc  string
	}{
		{"/simple/Glf_Pure/", http.StatusMovedPermanently, "/simple/glf-pure/"},
		{"/simple/GLF.pure", http.StatusMovedPermanently, "/simple/glf-pure/"},
		{"/simple/glf--_pure/", http.StatusMovedPermanently, "/simple/glf-pure/"},
		{"/simple/glf-pure", http.StatusMovedPermanently, "/simple/glf-pure/"},
		{"/simple", http.StatusMovedPermanently, "/simple/"},
		{"/", http.StatusMovedPermanently, "/simple/"},
		{"/simple/glf-pure/", 200, ""},
		{"/simple/missing/", 404, ""},
		{"/simple/Missing/", http.StatusMovedPermanently, "/simple/missing/"},
		{"/simple/glf-pure/extra/", 404, ""},
		{"/elsewhere", 404, ""},
	} {
		rec := get(t, f.x, c.path, "")
		if rec.Code != c.code || rec.Header().Get("Location") != c.loc {
			t.Errorf("%s: %d %q, want %d %q", c.path, rec.Code, rec.Header().Get("Location"), c.code, c.loc)
		}
	}
	if got := normalize("Glf_Pure"); got != "glf-pure" {
		t.Errorf("normalize: %q", got)
	}
	rec := get(t, f.x, "/simple/", "")
	for _, want := range []string{`href="glf-pure/"`, `href="glf-pure-dep/"`, `href="glf-sdistonly/"`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("root page lacks %s: %s", want, rec.Body.String())
		}
	}
	if strings.Contains(rec.Body.String(), "notes") {
		t.Errorf("root page lists a non-distribution file: %s", rec.Body.String())
	}
	req := httptest.NewRequest("POST", "/simple/", nil)
	rr := httptest.NewRecorder()
	f.x.ServeHTTP(rr, req)
	if rr.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rr.Code)
	}
}

func TestFiles(t *testing.T) {
	f := newFixture(t)
	rec := get(t, f.x, "/files/Glf_Pure-1.0.0-py3-none-any.whl", "")
	sum := sha256.Sum256(rec.Body.Bytes())
	if rec.Code != 200 || hex.EncodeToString(sum[:]) != f.pure {
		t.Errorf("file download: %d, sha256 %x", rec.Code, sum)
	}
	// The real file even when the index publishes another hash.
	if rec := get(t, f.x, "/files/other-2.0-py3-none-any.whl", ""); rec.Code != 200 || rec.Body.Len() == 0 {
		t.Errorf("overridden file: %d", rec.Code)
	}
	for _, p := range []string{"/files/../../etc/passwd", "/files/notes.txt", "/files/missing-1.0-py3-none-any.whl", "/files/", "/files/sub/x.whl"} {
		if rec := get(t, f.x, p, ""); rec.Code != 404 {
			t.Errorf("%s: %d, want 404", p, rec.Code)
		}
	}
}

func TestRescan(t *testing.T) {
	f := newFixture(t)
	if rec := get(t, f.x, "/simple/late/", ""); rec.Code != 404 {
		t.Fatalf("before: %d", rec.Code)
	}
	writeWheel(t, f.x.dir, "late-1.0-py3-none-any.whl", "Name: late\nRequires-Python: >=3.11\n")
	if rec := get(t, f.x, "/simple/late/", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), "&gt;=3.11") {
		t.Errorf("after adding: %d %s", rec.Code, rec.Body.String())
	}
	// Rewritten in place with new content: the hash follows.
	p := filepath.Join(f.x.dir, "late-1.0-py3-none-any.whl")
	sum := writeWheel(t, f.x.dir, "late-1.0-py3-none-any.whl", "Name: late\nRequires-Python: >=3.12\nSummary: longer now\n")
	later := time.Now().Add(time.Hour)
	_ = os.Chtimes(p, later, later)
	if rec := get(t, f.x, "/simple/late/", ""); !strings.Contains(rec.Body.String(), sum) || !strings.Contains(rec.Body.String(), "&gt;=3.12") {
		t.Errorf("after rewriting: %s", rec.Body.String())
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if rec := get(t, f.x, "/simple/late/", ""); rec.Code != 404 {
		t.Errorf("after removing: %d", rec.Code)
	}
}

func TestBasicAuth(t *testing.T) {
	f := newFixture(t)
	h, err := basicAuth("u:p:with-colon", f.x)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/simple/", "/simple/glf-pure/", "/files/Glf_Pure-1.0.0-py3-none-any.whl", "/simple/Glf_Pure/", "/nowhere"} {
		rec := get(t, h, p, "")
		if rec.Code != 401 || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("%s without credentials: %d %q", p, rec.Code, rec.Header().Get("WWW-Authenticate"))
		}
	}
	for _, c := range []struct {
		user, pass string
		code       int
	}{{"u", "p:with-colon", 200}, {"u", "wrong", 401}, {"x", "p:with-colon", 401}, {"", "", 401}} {
		req := httptest.NewRequest("GET", "/simple/glf-pure/", nil)
		req.SetBasicAuth(c.user, c.pass)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.code {
			t.Errorf("%s:%s: %d, want %d", c.user, c.pass, rec.Code, c.code)
		}
	}
	if _, err := basicAuth("nocolon", f.x); err == nil {
		t.Error("basicAuth accepted a credential without a colon")
	}
}

func TestOverridesFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "o.json")
	_ = os.WriteFile(p, []byte(`{"glf_evil_hash-1.0.0-py3-none-any.whl": "`+strings.Repeat("0", 61)+`bad"}`), 0o644)
	m, err := loadOverrides(p)
	if err != nil || len(m) != 1 {
		t.Fatalf("%v %v", m, err)
	}
	for _, bad := range []string{`{"../x.whl": "00"}`, `{"x.txt": "00"}`, `{"x-1.0-py3-none-any.whl": ""}`, `[1]`} {
		_ = os.WriteFile(p, []byte(bad), 0o644)
		if _, err := loadOverrides(p); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	// The checked-in overrides file parses and names a fixture.
	m, err = loadOverrides(filepath.Join("..", "..", "fixtures", "index-overrides.json"))
	if err != nil || m["glf_evil_hash-1.0.0-py3-none-any.whl"] == "" {
		t.Errorf("hack/fixtures/index-overrides.json: %v %v", m, err)
	}
}

func TestParseFileName(t *testing.T) {
	for _, c := range []struct{ in, project, version string }{
		{"Glf_Pure-1.0.0-py3-none-any.whl", "glf-pure", "1.0.0"},
		{"glf_cext-1.0.0-cp311-cp311-manylinux_2_25_x86_64.whl", "glf-cext", "1.0.0"},
		{"glf_pure-1.9.0-1-py3-none-any.whl", "glf-pure", "1.9.0"},
		{"glf_sdistonly-1.0.0.tar.gz", "glf-sdistonly", "1.0.0"},
		{"zope.interface-6.0.tar.gz", "zope-interface", "6.0"},
	} {
		p, v, err := parseFileName(c.in)
		if err != nil || p != c.project || v != c.version {
			t.Errorf("%s: %q %q %v", c.in, p, v, err)
		}
	}
	for _, bad := range []string{"x-py3-none-any.whl", "a-b-c-d-e-f-g.whl", "noversion.tar.gz", "-1.0.tar.gz"} {
		if _, _, err := parseFileName(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
