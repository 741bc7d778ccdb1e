// Command pyindex serves a folder of wheels and sdists as a PEP 503 simple
// index (and PEP 691 JSON when asked), on loopback, for the dev world.
//
//	pyindex serve --dir DIR --addr 127.0.0.1:5001 [--basic-auth user:pass] [--overrides FILE]
//	pyindex list --dir DIR
//
// Pages carry #sha256= fragments and data-requires-python. --overrides maps
// a file name to the sha256 the index publishes instead of the real one (to
// test hash verification); --basic-auth protects every path.
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
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: pyindex serve|list --dir DIR [...]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("pyindex "+os.Args[1], flag.ExitOnError)
	dir := fs.String("dir", "", "folder of distributions")
	addr := fs.String("addr", "127.0.0.1:5001", "listen address (loopback only)")
	auth := fs.String("basic-auth", "", "user:password required on every request")
	overrides := fs.String("overrides", "", "JSON file: filename -> published sha256")
	_ = fs.Parse(os.Args[2:])
	if *dir == "" {
		log.Fatal("pyindex: --dir is required")
	}
	idx := &index{dir: *dir}
	if *overrides != "" {
		b, err := os.ReadFile(*overrides)
		if err != nil {
			log.Fatal(err)
		}
		if err := json.Unmarshal(b, &idx.overrides); err != nil {
			log.Fatalf("pyindex: %s: %v", *overrides, err)
		}
	}
	switch os.Args[1] {
	case "list":
		files, err := idx.scan()
		if err != nil {
			log.Fatal(err)
		}
		for _, f := range files {
			fmt.Printf("%-24s %-10s %s %s\n", f.project, f.version, f.sha256, f.name)
		}
	case "serve":
		host, _, err := net.SplitHostPort(*addr)
		if err != nil {
			log.Fatal(err)
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			log.Fatalf("pyindex: refusing non-loopback address %s", *addr)
		}
		var h http.Handler = idx
		if *auth != "" {
			h = basicAuth(*auth, h)
		}
		h = accessLog(h)
		log.Printf("pyindex: serving %s on http://%s/simple/", *dir, *addr)
		log.Fatal(http.ListenAndServe(*addr, h))
	default:
		log.Fatalf("pyindex: unknown command %q", os.Args[1])
	}
}

func basicAuth(cred string, next http.Handler) http.Handler {
	user, pass, _ := strings.Cut(cred, ":")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 || subtle.ConstantTimeCompare([]byte(p), []byte(pass)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="geolayer dev index"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
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
