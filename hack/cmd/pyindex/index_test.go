package main

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeWheel(t *testing.T, dir, name string, meta string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	dist := strings.Join(strings.Split(name, "-")[:2], "-")
	w, _ := zw.Create(dist + ".dist-info/METADATA")
	_, _ = io.WriteString(w, meta)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, _ := os.ReadFile(p)
	return fmt.Sprintf("%x", sha256.Sum256(b))
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

func TestIndexPages(t *testing.T) {
	dir := t.TempDir()
	sum := writeWheel(t, dir, "Glf_Pure-1.0.0-py3-none-any.whl", "Metadata-Version: 2.1\nName: Glf_Pure\nVersion: 1.0.0\nRequires-Python: >=3.8\n")
	writeWheel(t, dir, "other-2.0-py3-none-any.whl", "Name: other\n")
	x := &index{dir: dir, overrides: map[string]string{"other-2.0-py3-none-any.whl": "bad"}}

	if rec := get(t, x, "/simple/Glf_Pure/", ""); rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/simple/glf-pure/" {
		t.Errorf("non-normalized name: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	rec := get(t, x, "/simple/glf-pure/", "")
	body := rec.Body.String()
	want := fmt.Sprintf(`href="../../files/Glf_Pure-1.0.0-py3-none-any.whl#sha256=%s" data-requires-python="&gt;=3.8"`, sum)
	if rec.Code != 200 || !strings.Contains(body, want) {
		t.Errorf("HTML page lacks %s:\n%s", want, body)
	}
	rec = get(t, x, "/simple/other/", "application/vnd.pypi.simple.v1+json")
	var page struct {
		Files []struct {
			Filename string            `json:"filename"`
			Hashes   map[string]string `json:"hashes"`
		} `json:"files"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || len(page.Files) != 1 || page.Files[0].Hashes["sha256"] != "bad" {
		t.Errorf("JSON page with override: %v %s", err, rec.Body.String())
	}
	if rec := get(t, x, "/simple/missing/", ""); rec.Code != 404 {
		t.Errorf("unknown project: %d", rec.Code)
	}
	if rec := get(t, x, "/files/Glf_Pure-1.0.0-py3-none-any.whl", ""); rec.Code != 200 {
		t.Errorf("file download: %d", rec.Code)
	}
	if rec := get(t, x, "/files/../../etc/passwd", ""); rec.Code != 404 {
		t.Errorf("path outside the folder: %d", rec.Code)
	}
	if rec := get(t, x, "/simple/", ""); !strings.Contains(rec.Body.String(), `href="glf-pure/"`) {
		t.Errorf("root page: %s", rec.Body.String())
	}
}

func TestBasicAuth(t *testing.T) {
	x := &index{dir: t.TempDir()}
	h := basicAuth("u:p", x)
	if rec := get(t, h, "/simple/", ""); rec.Code != 401 || rec.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("no credentials: %d", rec.Code)
	}
	req := httptest.NewRequest("GET", "/simple/", nil)
	req.SetBasicAuth("u", "p")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("with credentials: %d", rec.Code)
	}
}
