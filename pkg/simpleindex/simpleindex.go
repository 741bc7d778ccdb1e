// Package simpleindex parses project pages of the Python "simple repository
// API": PEP 503 HTML and PEP 691 JSON
// (https://packaging.python.org/en/latest/specifications/simple-repository-api/).
// The versions and Requires-Python specifiers on those pages are read with
// pkg/pep440.
package simpleindex

import (
	"github.com/geolayer/geolayer/pkg/wheel"

	"bytes"
	"fmt"
	"mime"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Media types of the simple repository API.
const (
	MediaTypeJSON   = "application/vnd.pypi.simple.v1+json"
	MediaTypeHTML   = "application/vnd.pypi.simple.v1+html"
	MediaTypeLegacy = "text/html"

	// AcceptHeader prefers JSON, then versioned HTML, then legacy HTML.
	AcceptHeader = MediaTypeJSON + ", " + MediaTypeHTML + ";q=0.2, " + MediaTypeLegacy + ";q=0.01"

	// SupportedAPIMajor is the API major version this package understands.
	// Pages declaring a higher major version are rejected (PEP 629).
	SupportedAPIMajor = 1
)

// Project is a parsed project page.
type Project struct {
	// Name is the normalized project name (from the JSON "name" key, or the
	// last path segment of the page URL for HTML).
	Name string
	// APIVersion is the page's declared API version ("1.1"), empty if absent.
	APIVersion string
	Files      []File
}

// File is one distribution file listed on a project page.
type File struct {
	Filename string
	// URL is absolute, resolved against the page URL, without fragment.
	URL string
	// Hashes maps lowercase algorithm names to lowercase hex digests.
	Hashes map[string]string
	// BadHash is a URL fragment that names a hash but is not a valid one
	// ("sha256=not-hex"), kept so that it can be reported as such.
	BadHash        string
	RequiresPython string
	Yanked         bool
	YankedReason   string
	// CoreMetadata is true when the index serves the file's METADATA at
	// URL + ".metadata" (PEP 658 / PEP 714).
	CoreMetadata bool
	// CoreMetadataHashes are the hashes of that metadata file, if given.
	CoreMetadataHashes map[string]string
	// Size in bytes (JSON API >= 1.1 only; 0 if unknown).
	Size int64
	// UploadTime (JSON API >= 1.1 only; zero if unknown).
	UploadTime time.Time
}

// NormalizeName normalizes a project name per PEP 503: runs of "-", "_" and
// "." become "-" and the result is lowercased.
func NormalizeName(name string) string {
	return wheel.NormalizeName(strings.TrimSpace(name))
}

var validName = regexp.MustCompile(`^(?i:[a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$`)

// ValidName reports whether name is a valid project name (PEP 508 "name").
func ValidName(name string) bool { return validName.MatchString(name) }

// ProjectURL returns the project page URL below an index base URL, e.g.
// ProjectURL("https://pypi.org/simple", "Foo_Bar") ==
// "https://pypi.org/simple/foo-bar/".
func ProjectURL(indexURL, name string) string {
	n := NormalizeName(name)
	u, err := url.Parse(indexURL)
	if err != nil {
		return strings.TrimRight(indexURL, "/") + "/" + n + "/"
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/" + n + "/"
	u.RawPath = ""
	return u.String()
}

// Parse parses a project page. contentType is the response Content-Type
// header (parameters allowed); if it is empty the body is sniffed. pageURL
// is the URL the page was fetched from (after redirects) and is used to
// resolve relative links.
func Parse(body []byte, contentType, pageURL string) (*Project, error) {
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil, fmt.Errorf("simpleindex: page URL %q: %w", pageURL, err)
	}
	kind, err := pageKind(body, contentType)
	if err != nil {
		return nil, err
	}
	if kind == "json" {
		return parseJSON(body, base)
	}
	return parseHTML(body, base)
}

func pageKind(body []byte, contentType string) (string, error) {
	if strings.TrimSpace(contentType) == "" {
		if b := bytes.TrimSpace(body); len(b) > 0 && b[0] == '{' {
			return "json", nil
		}
		return "html", nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", fmt.Errorf("simpleindex: content type %q: %w", contentType, err)
	}
	switch mt {
	case MediaTypeJSON, "application/vnd.pypi.simple.latest+json":
		return "json", nil
	case MediaTypeHTML, MediaTypeLegacy, "application/vnd.pypi.simple.latest+html":
		return "html", nil
	}
	return "", fmt.Errorf("simpleindex: unsupported content type %q", mt)
}

// checkAPIVersion rejects pages whose major version is unsupported (PEP 629).
func checkAPIVersion(v string) error {
	if v == "" {
		return nil
	}
	major, _, _ := strings.Cut(v, ".")
	var n int
	if _, err := fmt.Sscanf(major, "%d", &n); err != nil || fmt.Sprint(n) != major {
		return fmt.Errorf("simpleindex: invalid api-version %q", v)
	}
	if n > SupportedAPIMajor {
		return fmt.Errorf("simpleindex: unsupported api-version %q (supported: %d.x)", v, SupportedAPIMajor)
	}
	return nil
}

// resolve makes href absolute against base and splits off the fragment.
func resolve(base *url.URL, href string) (abs, fragment string, err error) {
	if a, f, ok := plainAbsolute(href); ok {
		return a, f, nil
	}
	ref, err := url.Parse(strings.TrimSpace(href))
	if err != nil {
		return "", "", err
	}
	u := base.ResolveReference(ref)
	fragment = u.Fragment
	u.Fragment, u.RawFragment = "", ""
	u.RawQuery = escapeQuery(u.RawQuery)
	abs = u.String()
	// A reference can parse alone and not once resolved: url.Parse checks
	// ports more strictly with an http(s) scheme ("//0::").
	if _, err := url.Parse(abs); err != nil {
		return "", "", err
	}
	return abs, fragment, nil
}

// escapeQuery percent-encodes what a query may not hold as it is (the
// WHATWG URL standard's query percent-encode set: controls, space, '"',
// '<', '>', and every byte outside ASCII), as a browser and pip's
// requests send it: url.Parse keeps a query verbatim, so "?x= #frag"
// would otherwise resolve to a URL ending in a space that resolving again
// trims away.
func escapeQuery(q string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c > ' ' && c < 0x7f && c != '"' && c != '<' && c != '>' {
			if b.Len() > 0 {
				b.WriteByte(c)
			}
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(q) + 8)
			b.WriteString(q[:i])
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	if b.Len() == 0 {
		return q
	}
	return b.String()
}

// hashAlgorithms are the names accepted in "#<alg>=<hex>" fragments and
// hash tables (Python's hashlib.algorithms_guaranteed, hex-digest ones).
var hashAlgorithms = map[string]int{ // alg -> hex length (0 = variable)
	"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128,
	"sha3_224": 56, "sha3_256": 64, "sha3_384": 96, "sha3_512": 128,
	"blake2b": 128, "blake2s": 64,
}

func isHex(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return s != ""
}

// parseHashPair parses "<alg>=<hex>" as used in URL fragments and
// data-core-metadata. ok is false if it is not a recognized hash.
func parseHashPair(s string) (alg, hex string, ok bool) {
	alg, hex, found := strings.Cut(s, "=")
	alg, hex = strings.ToLower(strings.TrimSpace(alg)), strings.ToLower(strings.TrimSpace(hex))
	n, known := hashAlgorithms[alg]
	if !found || !known || !isHex(hex) || (n != 0 && len(hex) != n) {
		return "", "", false
	}
	return alg, hex, true
}

// plainAbsolute is resolve's fast path for what most index pages hold:
// an absolute http(s) URL of plain characters (no escapes, dot segments,
// query or white space), which resolves to itself. ok is false for
// anything else, which url.Parse then handles.
func plainAbsolute(href string) (abs, fragment string, ok bool) {
	rest, found := strings.CutPrefix(href, "https://")
	if !found {
		if rest, found = strings.CutPrefix(href, "http://"); !found {
			return "", "", false
		}
	}
	abs, fragment, _ = strings.Cut(href, "#")
	rest, _, _ = strings.Cut(rest, "#") // "http://#" has no host
	host, p, _ := strings.Cut(rest, "/")
	p = "/" + p // "http://a/./x" has a dot segment too
	if host == "" || strings.Contains(p, "/./") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..") {
		return "", "", false
	}
	if h, port, found := strings.Cut(host, ":"); strings.Contains(host, "@") || found && (h == "" || strings.Trim(port, "0123456789") != "") {
		return "", "", false // url.Parse checks ports and escapes user info
	}
	for i := 0; i < len(abs); i++ {
		c := abs[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && strings.IndexByte("-._~/:+@!$&'()*,;=", c) < 0 {
			return "", "", false // upper case (host normalization), %, ?, space, ...
		}
	}
	for i := 0; i < len(fragment); i++ {
		c := fragment[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '=' && c != '_' && c != '-' {
			return "", "", false
		}
	}
	return abs, fragment, true
}

// filenameFromURL returns the unescaped last path segment of u.
func filenameFromURL(u string) string {
	if !strings.ContainsAny(u, "%?#") {
		// http(s) only: "a::///x" is opaque, with no path.
		if scheme, rest, ok := strings.Cut(u, "://"); ok && (scheme == "https" || scheme == "http") {
			if j := strings.IndexByte(rest, '/'); j >= 0 {
				p := rest[j:]
				return p[strings.LastIndexByte(p, '/')+1:]
			}
		}
	}
	pu, err := url.Parse(u)
	if err != nil {
		return ""
	}
	p := pu.Path
	return p[strings.LastIndexByte(p, '/')+1:]
}
