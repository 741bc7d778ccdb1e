package main

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/geolayer/geolayer/pkg/wheel"
)

type dist struct {
	name, project, version, sha256, requiresPython string
	size                                           int64
}

type index struct {
	dir       string
	overrides map[string]string

	mu      sync.Mutex
	stamp   time.Time
	entries int
	cache   []dist
}

func normalize(s string) string { return wheel.NormalizeName(s) }

// scan reads the folder, caching by its modification time and entry count.
func (x *index) scan() ([]dist, error) {
	st, err := os.Stat(x.dir)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(x.dir)
	if err != nil {
		return nil, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.cache != nil && st.ModTime().Equal(x.stamp) && len(ents) == x.entries {
		return x.cache, nil
	}
	var out []dist
	for _, e := range ents {
		n := e.Name()
		if !e.Type().IsRegular() || !(strings.HasSuffix(n, ".whl") || strings.HasSuffix(n, ".tar.gz")) {
			continue
		}
		d, err := describe(filepath.Join(x.dir, n))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if o, ok := x.overrides[n]; ok {
			d.sha256 = o
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	x.cache, x.stamp, x.entries = out, st.ModTime(), len(ents)
	return out, nil
}

func describe(p string) (dist, error) {
	d := dist{name: filepath.Base(p)}
	f, err := os.Open(p)
	if err != nil {
		return d, err
	}
	defer f.Close()
	h := sha256.New()
	if d.size, err = io.Copy(h, f); err != nil {
		return d, err
	}
	d.sha256 = hex.EncodeToString(h.Sum(nil))
	var meta []byte
	if strings.HasSuffix(d.name, ".whl") {
		parts := strings.Split(strings.TrimSuffix(d.name, ".whl"), "-")
		if len(parts) < 5 {
			return d, fmt.Errorf("not a wheel file name")
		}
		d.project, d.version = normalize(parts[0]), parts[1]
		meta, err = wheelMetadata(p)
	} else {
		base := strings.TrimSuffix(d.name, ".tar.gz")
		i := strings.LastIndex(base, "-")
		if i < 0 {
			return d, fmt.Errorf("not an sdist file name")
		}
		d.project, d.version = normalize(base[:i]), base[i+1:]
		meta, err = sdistMetadata(p)
	}
	if err != nil {
		return d, err
	}
	sc := bufio.NewScanner(strings.NewReader(string(meta)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Requires-Python:"); ok {
			d.requiresPython = strings.TrimSpace(v)
		}
	}
	return d, nil
}

func wheelMetadata(p string) ([]byte, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".dist-info/METADATA") && strings.Count(f.Name, "/") == 1 {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			return io.ReadAll(io.LimitReader(rc, 1<<20))
		}
	}
	return nil, fmt.Errorf("no .dist-info/METADATA")
}

func sdistMetadata(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("no PKG-INFO")
		}
		if err != nil {
			return nil, err
		}
		if strings.Count(h.Name, "/") == 1 && strings.HasSuffix(h.Name, "/PKG-INFO") {
			return io.ReadAll(io.LimitReader(tr, 1<<20))
		}
	}
}

func (x *index) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	files, err := x.scan()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	p := r.URL.Path
	switch {
	case p == "/simple/" || p == "/simple":
		x.root(w, r, files)
	case strings.HasPrefix(p, "/simple/"):
		name := strings.Trim(strings.TrimPrefix(p, "/simple/"), "/")
		if normalize(name) != name {
			http.Redirect(w, r, "/simple/"+normalize(name)+"/", http.StatusMovedPermanently)
			return
		}
		x.project(w, r, name, files)
	case strings.HasPrefix(p, "/files/"):
		name := path.Base(p)
		for _, f := range files {
			if f.name == name {
				http.ServeFile(w, r, filepath.Join(x.dir, name))
				return
			}
		}
		http.NotFound(w, r)
	default:
		http.NotFound(w, r)
	}
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/vnd.pypi.simple.v1+json")
}

func (x *index) root(w http.ResponseWriter, r *http.Request, files []dist) {
	seen := map[string]bool{}
	var names []string
	for _, f := range files {
		if !seen[f.project] {
			seen[f.project] = true
			names = append(names, f.project)
		}
	}
	if wantsJSON(r) {
		type proj struct {
			Name string `json:"name"`
		}
		out := struct {
			Meta     map[string]string `json:"meta"`
			Projects []proj            `json:"projects"`
		}{Meta: map[string]string{"api-version": "1.1"}}
		for _, n := range names {
			out.Projects = append(out.Projects, proj{n})
		}
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		_ = json.NewEncoder(w).Encode(out)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintln(w, "<!DOCTYPE html><html><body>")
	for _, n := range names {
		fmt.Fprintf(w, "<a href=\"%s/\">%s</a>\n", n, n)
	}
	fmt.Fprintln(w, "</body></html>")
}

func (x *index) project(w http.ResponseWriter, r *http.Request, name string, files []dist) {
	var mine []dist
	for _, f := range files {
		if f.project == name {
			mine = append(mine, f)
		}
	}
	if len(mine) == 0 {
		http.NotFound(w, r)
		return
	}
	if wantsJSON(r) {
		type file struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython string            `json:"requires-python,omitempty"`
			Size           int64             `json:"size"`
		}
		out := struct {
			Meta  map[string]string `json:"meta"`
			Name  string            `json:"name"`
			Files []file            `json:"files"`
		}{Meta: map[string]string{"api-version": "1.1"}, Name: name}
		for _, f := range mine {
			out.Files = append(out.Files, file{f.name, "../../files/" + f.name, map[string]string{"sha256": f.sha256}, f.requiresPython, f.size})
		}
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		_ = json.NewEncoder(w).Encode(out)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!DOCTYPE html><html><head><meta name=\"pypi:repository-version\" content=\"1.1\"><title>Links for %s</title></head><body>\n", html.EscapeString(name))
	for _, f := range mine {
		rp := ""
		if f.requiresPython != "" {
			rp = fmt.Sprintf(" data-requires-python=\"%s\"", html.EscapeString(f.requiresPython))
		}
		fmt.Fprintf(w, "<a href=\"../../files/%s#sha256=%s\"%s>%s</a><br>\n", f.name, f.sha256, rp, html.EscapeString(f.name))
	}
	fmt.Fprintln(w, "</body></html>")
}
