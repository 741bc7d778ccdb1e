// Command devregistry is the dev world's OCI registry: go-containerregistry's
// registry handler with blobs on disk, listening on loopback only.
//
// go-containerregistry keeps manifests in memory; devregistry records every
// manifest that is pushed successfully to <dir>/manifests.jsonl and replays
// them at start, so a restart keeps every image that was pushed before.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/registry"
)

var manifestPath = regexp.MustCompile(`^/v2/(.+)/manifests/([^/]+)$`)

type record struct {
	Path        string `json:"path"`
	ContentType string `json:"contentType"`
	Body        []byte `json:"body"`
}

type persister struct {
	mu   sync.Mutex
	next http.Handler
	file string
}

func (p *persister) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut || !manifestPath.MatchString(r.URL.Path) {
		p.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	p.next.ServeHTTP(rec, r)
	if rec.Code == http.StatusCreated {
		if err := p.append(record{Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Body: body}); err != nil {
			log.Printf("devregistry: cannot persist manifest %s: %v", r.URL.Path, err)
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (p *persister) append(rec record) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, err := os.OpenFile(p.file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	b, err := json.Marshal(rec)
	if err != nil {
		_ = f.Close()
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// replay pushes recorded manifests again, oldest first, so later pushes of a
// tag win as they did before the restart.
func (p *persister) replay() (int, error) {
	f, err := os.Open(p.file)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		var rec record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return n, fmt.Errorf("corrupt manifest journal %s: %w", p.file, err)
		}
		req := httptest.NewRequest(http.MethodPut, rec.Path, bytes.NewReader(rec.Body))
		req.Header.Set("Content-Type", rec.ContentType)
		w := httptest.NewRecorder()
		p.next.ServeHTTP(w, req)
		if w.Code != http.StatusCreated {
			// A manifest whose blobs were deleted by hand: skip it, keep going.
			log.Printf("devregistry: replay %s: %d %s", rec.Path, w.Code, strings.TrimSpace(w.Body.String()))
			continue
		}
		n++
	}
	return n, sc.Err()
}

func main() {
	addr := flag.String("addr", "127.0.0.1:5000", "listen address (loopback only)")
	dir := flag.String("dir", "", "storage directory (blobs and manifest journal)")
	quiet := flag.Bool("quiet", true, "do not log every request")
	flag.Parse()
	if *dir == "" {
		log.Fatal("devregistry: --dir is required")
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		log.Fatalf("devregistry: bad --addr: %v", err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		log.Fatalf("devregistry: refusing non-loopback address %s", *addr)
	}
	if err := os.MkdirAll(filepath.Join(*dir, "blobs"), 0o755); err != nil {
		log.Fatal(err)
	}
	opts := []registry.Option{registry.WithBlobHandler(registry.NewDiskBlobHandler(filepath.Join(*dir, "blobs")))}
	if *quiet {
		opts = append(opts, registry.Logger(log.New(io.Discard, "", 0)))
	}
	p := &persister{next: registry.New(opts...), file: filepath.Join(*dir, "manifests.jsonl")}
	n, err := p.replay()
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("devregistry: replayed %d manifests; listening on %s", n, *addr)
	log.Fatal(http.ListenAndServe(*addr, p))
}
