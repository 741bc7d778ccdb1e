package main

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/geolayer/geolayer/pkg/wheel"
)

// dist is one distribution file in the served folder.
type dist struct {
	name           string // file name
	project        string // normalized project name
	version        string
	sha256         string // what the index publishes (an override, or the real one)
	realSHA256     string
	requiresPython string
	size           int64
	modTime        time.Time
}

// index is the folder of distributions, rescanned when it changes.
type index struct {
	dir       string
	overrides map[string]string // file name -> published sha256

	mu    sync.Mutex
	sig   string // fingerprint of the folder listing the cache was built from
	cache []dist
}

// normalize is the PEP 503 name normalization (one implementation, in pkg/wheel).
func normalize(s string) string { return wheel.NormalizeName(s) }

// scan lists the folder's wheels and sdists. Results are cached until a
// file is added, removed, resized or touched.
func (x *index) scan() ([]dist, error) {
	ents, err := os.ReadDir(x.dir)
	if err != nil {
		return nil, err
	}
	type cand struct {
		name string
		info os.FileInfo
	}
	var cands []cand
	var sig strings.Builder
	for _, e := range ents {
		n := e.Name()
		if !e.Type().IsRegular() || !isDistFile(n) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		cands = append(cands, cand{n, info})
		fmt.Fprintf(&sig, "%s\x00%d\x00%d\n", n, info.Size(), info.ModTime().UnixNano())
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.cache != nil && sig.String() == x.sig {
		return x.cache, nil
	}
	old := map[string]dist{}
	for _, d := range x.cache {
		old[d.name] = d
	}
	out := make([]dist, 0, len(cands))
	for _, c := range cands {
		d, ok := old[c.name]
		if !ok || d.size != c.info.Size() || !d.modTime.Equal(c.info.ModTime()) {
			if d, err = describe(filepath.Join(x.dir, c.name)); err != nil {
				log.Printf("pyindex: skipping %s: %v", c.name, err)
				continue
			}
			d.modTime = c.info.ModTime()
		}
		d.sha256 = d.realSHA256
		if o, ok := x.overrides[c.name]; ok {
			d.sha256 = o
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	x.cache, x.sig = out, sig.String()
	return out, nil
}

func isDistFile(n string) bool {
	return strings.HasSuffix(n, ".whl") || strings.HasSuffix(n, ".tar.gz")
}

// parseFileName splits a wheel or sdist file name into project and version.
func parseFileName(n string) (project, version string, err error) {
	if base, ok := strings.CutSuffix(n, ".whl"); ok {
		parts := strings.Split(base, "-")
		if len(parts) != 5 && len(parts) != 6 {
			return "", "", fmt.Errorf("not a wheel file name (want 4 or 5 dashes)")
		}
		return normalize(parts[0]), parts[1], nil
	}
	base := strings.TrimSuffix(n, ".tar.gz")
	i := strings.LastIndex(base, "-")
	if i <= 0 || i == len(base)-1 {
		return "", "", fmt.Errorf("not an sdist file name (want NAME-VERSION.tar.gz)")
	}
	return normalize(base[:i]), base[i+1:], nil
}

// describe hashes a file and reads Requires-Python from its core metadata.
// A file whose metadata cannot be read (hostile or broken archives) is
// still listed, without data-requires-python.
func describe(p string) (dist, error) {
	d := dist{name: filepath.Base(p)}
	var err error
	if d.project, d.version, err = parseFileName(d.name); err != nil {
		return d, err
	}
	f, err := os.Open(p)
	if err != nil {
		return d, err
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	if d.size, err = io.Copy(h, f); err != nil {
		return d, err
	}
	d.realSHA256 = hex.EncodeToString(h.Sum(nil))
	var meta []byte
	if strings.HasSuffix(d.name, ".whl") {
		meta, err = wheelMetadata(p)
	} else {
		meta, err = sdistMetadata(p)
	}
	if err != nil {
		log.Printf("pyindex: %s: no readable metadata (%v); listing it without requires-python", d.name, err)
		return d, nil
	}
	d.requiresPython = header(meta, "Requires-Python")
	return d, nil
}

// header returns the value of the first field key in an email-style
// metadata block (only the header part, before the first empty line).
func header(meta []byte, key string) string {
	sc := bufio.NewScanner(bytes.NewReader(meta))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), key) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

const maxMetadata = 1 << 20

// wheelMetadata reads <name>-<version>.dist-info/METADATA at the archive top.
func wheelMetadata(p string) ([]byte, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, err
	}
	defer func() { _ = zr.Close() }()
	for _, f := range zr.File {
		dir, base, ok := strings.Cut(f.Name, "/")
		if ok && base == "METADATA" && strings.HasSuffix(dir, ".dist-info") {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			defer func() { _ = rc.Close() }()
			return io.ReadAll(io.LimitReader(rc, maxMetadata))
		}
	}
	return nil, fmt.Errorf("no .dist-info/METADATA")
}

// sdistMetadata reads <name>-<version>/PKG-INFO at the archive top.
func sdistMetadata(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
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
		name := strings.TrimPrefix(h.Name, "./")
		if dir, base, ok := strings.Cut(name, "/"); ok && dir != "" && base == "PKG-INFO" {
			return io.ReadAll(io.LimitReader(tr, maxMetadata))
		}
	}
}

// versionLess orders versions numerically where they are numeric
// ("1.10.0" after "1.9.0"); good enough for listing, not full PEP 440.
func versionLess(a, b string) bool {
	as, bs := splitVersion(a), splitVersion(b)
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] == bs[i] {
			continue
		}
		ai, aerr := strconv.Atoi(as[i])
		bi, berr := strconv.Atoi(bs[i])
		if aerr == nil && berr == nil {
			return ai < bi
		}
		return as[i] < bs[i]
	}
	return len(as) < len(bs)
}

var versionPart = regexp.MustCompile(`\d+|[^\d.]+`)

func splitVersion(v string) []string { return versionPart.FindAllString(v, -1) }
