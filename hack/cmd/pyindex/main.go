// Command pyindex serves a folder of wheels and sdists as a PEP 503 simple
// index (and PEP 691 JSON when asked), on loopback, for the dev world.
//
//	pyindex serve --dir DIR --addr 127.0.0.1:5001 [--basic-auth user:pass] [--overrides FILE]
//	pyindex list --dir DIR [--overrides FILE]
//
// /simple/ lists the projects, /simple/<normalized-name>/ links each file as
// ../../files/<file>#sha256=<hex> with data-requires-python (from the wheel's
// METADATA or the sdist's PKG-INFO); the same pages come as PEP 691 JSON when
// the Accept header prefers application/vnd.pypi.simple.v1+json. Other
// spellings of a project name redirect to the normalized URL; unknown
// projects are 404. The folder is rescanned when its listing changes.
// --overrides maps a file name to the sha256 the index publishes instead of
// the real one (to test hash verification); --basic-auth protects every path.
// Every request is logged as "access METHOD PATH STATUS" (tests read it).
package main

import (
	"crypto/subtle"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "serve" && os.Args[1] != "list") {
		fmt.Fprintln(os.Stderr, "usage: pyindex serve --dir DIR --addr 127.0.0.1:PORT [--basic-auth user:pass] [--overrides FILE]")
		fmt.Fprintln(os.Stderr, "       pyindex list --dir DIR [--overrides FILE]")
		os.Exit(2)
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet("pyindex "+cmd, flag.ExitOnError)
	dir := fs.String("dir", "", "folder of wheels and sdists")
	overrides := fs.String("overrides", "", "JSON file: {file name: sha256 the index publishes instead of the real one}")
	var addr, auth *string
	if cmd == "serve" {
		addr = fs.String("addr", "127.0.0.1:5001", "listen address (loopback only)")
		auth = fs.String("basic-auth", "", "user:password required on every request")
	}
	_ = fs.Parse(os.Args[2:])
	if *dir == "" || fs.NArg() > 0 {
		log.Fatalf("pyindex %s: --dir is required and there are no arguments", cmd)
	}
	idx := &index{dir: *dir}
	if *overrides != "" {
		var err error
		if idx.overrides, err = loadOverrides(*overrides); err != nil {
			log.Fatalf("pyindex: %v", err)
		}
	}
	files, err := idx.scan()
	if err != nil {
		log.Fatalf("pyindex: %v", err)
	}
	for name := range idx.overrides {
		if !slices.ContainsFunc(files, func(d dist) bool { return d.name == name }) {
			log.Printf("pyindex: override for %s, which is not in %s (yet)", name, *dir)
		}
	}
	if cmd == "list" {
		w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		_, _ = fmt.Fprintln(w, "NAME\tVERSION\tFILE\tSHA256")
		for _, f := range files {
			note := ""
			if f.sha256 != f.realSHA256 {
				note = " (override; real " + f.realSHA256 + ")"
			}
			_, _ = fmt.Fprintf(w, "%s\t%s\t%s\t%s%s\n", f.project, f.version, f.name, f.sha256, note)
		}
		_ = w.Flush()
		return
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		log.Fatalf("pyindex: --addr %s: %v", *addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		log.Fatalf("pyindex: refusing non-loopback address %s", *addr)
	}
	var h http.Handler = idx
	if *auth != "" {
		if h, err = basicAuth(*auth, h); err != nil {
			log.Fatalf("pyindex: %v", err)
		}
	}
	h = accessLog(h)
	log.Printf("pyindex: serving %d files from %s on http://%s/simple/", len(files), *dir, *addr)
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// loadOverrides reads {file name: published sha256}.
func loadOverrides(p string) (map[string]string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", p, err)
	}
	for name, sum := range m {
		if strings.ContainsAny(name, "/\\") || !isDistFile(name) {
			return nil, fmt.Errorf("%s: %q is not a distribution file name", p, name)
		}
		if sum == "" {
			return nil, fmt.Errorf("%s: empty sha256 for %s", p, name)
		}
	}
	return m, nil
}

// basicAuth requires cred ("user:password") on every request.
func basicAuth(cred string, next http.Handler) (http.Handler, error) {
	user, pass, ok := strings.Cut(cred, ":")
	if !ok || user == "" {
		return nil, fmt.Errorf("--basic-auth wants user:password")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 || subtle.ConstantTimeCompare([]byte(p), []byte(pass)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="geolayer dev index", charset="UTF-8"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	}), nil
}

// accessLog logs every request (tests read it to prove what was downloaded).
func accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.Printf("access %s %s %d", r.Method, r.URL.Path, rec.code)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) { s.code = code; s.ResponseWriter.WriteHeader(code) }
