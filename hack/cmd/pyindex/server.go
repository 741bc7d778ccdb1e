package main

import (
	"encoding/json"
	"fmt"
	"html"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Media types of the simple repository API (PEP 691).
const (
	typeJSON       = "application/vnd.pypi.simple.v1+json"
	typeHTML       = "application/vnd.pypi.simple.v1+html"
	typeLegacyHTML = "text/html"
	apiVersion     = "1.1"
)

// ServeHTTP serves /simple/ (project list), /simple/<project>/ (PEP 503
// HTML or PEP 691 JSON, by Accept header) and /files/<file>.
func (x *index) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	switch {
	case p == "/" || p == "/simple":
		http.Redirect(w, r, "/simple/", http.StatusMovedPermanently)
	case p == "/simple/":
		x.serveRoot(w, r)
	case strings.HasPrefix(p, "/simple/"):
		rest := strings.TrimPrefix(p, "/simple/")
		name := strings.TrimSuffix(rest, "/")
		if name == "" || strings.Contains(name, "/") {
			http.NotFound(w, r)
			return
		}
		// Clients must request the normalized URL with its trailing slash;
		// send anything else there (PEP 503 allows redirecting).
		if n := normalize(name); n != name || !strings.HasSuffix(rest, "/") {
			http.Redirect(w, r, "/simple/"+url.PathEscape(n)+"/", http.StatusMovedPermanently)
			return
		}
		x.serveProject(w, r, name)
	case strings.HasPrefix(p, "/files/"):
		x.serveFile(w, r, strings.TrimPrefix(p, "/files/"))
	default:
		http.NotFound(w, r)
	}
}

// negotiate picks the response media type from the Accept header: the
// highest q among the types served, ties going to the earlier entry. No
// Accept header means legacy HTML; "" means nothing acceptable (406).
func negotiate(accept string) string {
	if strings.TrimSpace(accept) == "" {
		return typeLegacyHTML
	}
	best, bestQ := "", 0.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(s, 64); err != nil {
				continue
			}
		}
		var t string
		switch mt {
		case typeJSON, "application/vnd.pypi.simple.latest+json":
			t = typeJSON
		case typeHTML, "application/vnd.pypi.simple.latest+html":
			t = typeHTML
		case typeLegacyHTML, "text/*", "*/*":
			t = typeLegacyHTML
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = t, q
		}
	}
	return best
}

// responseType negotiates and sets Content-Type and Vary, or answers 406.
func responseType(w http.ResponseWriter, r *http.Request) (string, bool) {
	w.Header().Add("Vary", "Accept")
	t := negotiate(r.Header.Get("Accept"))
	switch t {
	case "":
		http.Error(w, "not acceptable; this index serves "+typeJSON+", "+typeHTML+" and "+typeLegacyHTML, http.StatusNotAcceptable)
		return "", false
	case typeLegacyHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	default:
		w.Header().Set("Content-Type", t)
	}
	return t, true
}

func (x *index) files(w http.ResponseWriter) ([]dist, bool) {
	files, err := x.scan()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return nil, false
	}
	return files, true
}

func (x *index) serveRoot(w http.ResponseWriter, r *http.Request) {
	files, ok := x.files(w)
	if !ok {
		return
	}
	var names []string
	seen := map[string]bool{}
	for _, f := range files {
		if !seen[f.project] {
			seen[f.project] = true
			names = append(names, f.project)
		}
	}
	sort.Strings(names)
	t, ok := responseType(w, r)
	if !ok {
		return
	}
	if t == typeJSON {
		type project struct {
			Name string `json:"name"`
		}
		out := struct {
			Meta     map[string]string `json:"meta"`
			Projects []project         `json:"projects"`
		}{Meta: map[string]string{"api-version": apiVersion}, Projects: []project{}}
		for _, n := range names {
			out.Projects = append(out.Projects, project{n})
		}
		_ = json.NewEncoder(w).Encode(out)
		return
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html>\n<head><meta name=\"pypi:repository-version\" content=\"" + apiVersion + "\"><title>Simple index</title></head>\n<body>\n")
	for _, n := range names {
		e := html.EscapeString(n)
		fmt.Fprintf(&b, "<a href=\"%s/\">%s</a><br>\n", html.EscapeString(url.PathEscape(n)), e)
	}
	b.WriteString("</body>\n</html>\n")
	_, _ = w.Write([]byte(b.String()))
}

func (x *index) serveProject(w http.ResponseWriter, r *http.Request, name string) {
	files, ok := x.files(w)
	if !ok {
		return
	}
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
	t, ok := responseType(w, r)
	if !ok {
		return
	}
	if t == typeJSON {
		type file struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython *string           `json:"requires-python,omitempty"`
			Size           int64             `json:"size"`
			Yanked         bool              `json:"yanked"`
		}
		out := struct {
			Meta     map[string]string `json:"meta"`
			Name     string            `json:"name"`
			Files    []file            `json:"files"`
			Versions []string          `json:"versions"`
		}{Meta: map[string]string{"api-version": apiVersion}, Name: name, Files: []file{}, Versions: []string{}}
		seen := map[string]bool{}
		for _, f := range mine {
			fl := file{Filename: f.name, URL: fileURL(f.name), Hashes: map[string]string{"sha256": f.sha256}, Size: f.size}
			if f.requiresPython != "" {
				rp := f.requiresPython
				fl.RequiresPython = &rp
			}
			out.Files = append(out.Files, fl)
			if !seen[f.version] {
				seen[f.version] = true
				out.Versions = append(out.Versions, f.version)
			}
		}
		sort.Slice(out.Versions, func(i, j int) bool { return versionLess(out.Versions[i], out.Versions[j]) })
		_ = json.NewEncoder(w).Encode(out)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html>\n<head><meta name=\"pypi:repository-version\" content=\"%s\"><title>Links for %s</title></head>\n<body>\n<h1>Links for %s</h1>\n",
		apiVersion, html.EscapeString(name), html.EscapeString(name))
	for _, f := range mine {
		rp := ""
		if f.requiresPython != "" {
			rp = fmt.Sprintf(" data-requires-python=\"%s\"", html.EscapeString(f.requiresPython))
		}
		fmt.Fprintf(&b, "<a href=\"%s#sha256=%s\"%s>%s</a><br>\n",
			html.EscapeString(fileURL(f.name)), html.EscapeString(f.sha256), rp, html.EscapeString(f.name))
	}
	b.WriteString("</body>\n</html>\n")
	_, _ = w.Write([]byte(b.String()))
}

// fileURL is a file's URL relative to its project page /simple/<project>/.
func fileURL(name string) string { return "../../files/" + url.PathEscape(name) }

// serveFile serves one listed distribution; anything else is 404.
func (x *index) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	files, ok := x.files(w)
	if !ok {
		return
	}
	for _, f := range files {
		if f.name != name {
			continue
		}
		fh, err := os.Open(filepath.Join(x.dir, f.name))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer func() { _ = fh.Close() }()
		st, err := fh.Stat()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, f.name, st.ModTime(), fh)
		return
	}
	http.NotFound(w, r)
}
