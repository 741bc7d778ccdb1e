package simpleindex

// Fuzzers for what indexes write: project pages (PEP 503 HTML, PEP 691
// JSON) and the links on them (versions and specifier sets are fuzzed in
// pkg/pep440). `make fuzz` runs them all; one alone:
//
//	go test ./pkg/simpleindex/ -run '^$' -fuzz '^FuzzParsePage$' -fuzztime 60s

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzContentTypes are the Content-Type headers FuzzParsePage picks from.
var fuzzContentTypes = []string{
	MediaTypeJSON, MediaTypeHTML, MediaTypeLegacy + "; charset=utf-8", "",
	"application/vnd.pypi.simple.latest+json", MediaTypeLegacy,
}

// Pages served by the dev world's index (hack/cmd/pyindex) for the
// hack/fixtures packages.
const (
	devIndexHTML = `<!DOCTYPE html>
<html>
<head><meta name="pypi:repository-version" content="1.1"><title>Links for glf-pure</title></head>
<body>
<h1>Links for glf-pure</h1>
<a href="../../files/glf_pure-1.0.0-py3-none-any.whl#sha256=f8b6f1c2ada0d3a75fea4c979ea061421f3f43774797ced1d111a1c440678d75" data-requires-python="&gt;=3.8">glf_pure-1.0.0-py3-none-any.whl</a><br>
<a href="../../files/glf_pure-1.1.0-py3-none-any.whl#sha256=39e82531b275c2d47efb9e823d81097b5125948145b5c156e46ff4a625c57b29" data-requires-python="&gt;=3.8">glf_pure-1.1.0-py3-none-any.whl</a><br>
</body>
</html>
`
	devIndexJSON = `{"meta":{"api-version":"1.1"},"name":"glf-pure","files":[{"filename":"glf_pure-1.0.0-py3-none-any.whl","url":"../../files/glf_pure-1.0.0-py3-none-any.whl","hashes":{"sha256":"f8b6f1c2ada0d3a75fea4c979ea061421f3f43774797ced1d111a1c440678d75"},"requires-python":"\u003e=3.8","size":4183,"yanked":false},{"filename":"glf_pure-1.1.0-py3-none-any.whl","url":"../../files/glf_pure-1.1.0-py3-none-any.whl","hashes":{"sha256":"39e82531b275c2d47efb9e823d81097b5125948145b5c156e46ff4a625c57b29"},"requires-python":"\u003e=3.8","size":4185,"yanked":false}],"versions":["1.0.0","1.1.0"]}`
)

// FuzzParsePage: Parse never panics and is deterministic; on success the
// name is normalized, every URL is absolute without a fragment and
// resolves to itself, hashes are lowercase hex, and the project written
// as a PEP 691 JSON page parses back to the same project.
func FuzzParsePage(f *testing.F) {
	for _, s := range []struct {
		body string
		ct   uint8
	}{
		{htmlFixture, 1}, {htmlFixture, 3}, {jsonFixture, 0}, {jsonFixture, 3},
		{devIndexHTML, 2}, {devIndexJSON, 0},
		{`<html><head><base href="https://files.example/x/"></head><body><a href="a-1.0.tar.gz">a-1.0.tar.gz</a></body></html>`, 5},
		{`<a href="x.whl#sha256=00"/><a href="y.whl"><a href="z.whl">`, 1},
		{`{"meta":{"api-version":"2.0"},"name":"x","files":[]}`, 0},
		{`{"name":"x","files":[{"filename":"x.whl","url":"x.whl","hashes":{},"yanked":3}]}`, 4},
		{`{"name":"x","files":[{"url":"https://x/y/x-1.0.tar.gz#md5=d41d8cd98f00b204e9800998ecf8427e","hashes":{"sha256":"AA"},"core-metadata":{"sha256":"bb"},"upload-time":"2025-01-25T11:30:10Z"}]}`, 0},
	} {
		f.Add([]byte(s.body), s.ct)
	}
	const page = "https://index.example.com/simple/foo-bar/"
	base, _ := url.Parse(page)
	f.Fuzz(func(t *testing.T, body []byte, ct uint8) {
		contentType := fuzzContentTypes[int(ct)%len(fuzzContentTypes)]
		p, err := Parse(body, contentType, page)
		if err != nil {
			return
		}
		if again, err := Parse(body, contentType, page); err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("second parse differs: %+v, %v\nfirst: %+v", again, err, p)
		}
		if NormalizeName(p.Name) != p.Name {
			t.Fatalf("name %q is not normalized", p.Name)
		}
		stable := true // every URL resolves to itself
		for _, f := range p.Files {
			if f.Filename == "" || f.Size < 0 {
				t.Fatalf("file %+v", f)
			}
			u, err := url.Parse(f.URL)
			if err != nil || u.Scheme == "" || strings.Contains(f.URL, "#") {
				t.Fatalf("URL %q: not absolute without a fragment (%v)", f.URL, err)
			}
			if again, frag, err := resolve(base, f.URL); err != nil || again != f.URL || frag != "" {
				// Only http(s) links are ever fetched: an opaque "s: "
				// keeps its trailing space, which resolving again trims.
				if u.Scheme == "http" || u.Scheme == "https" {
					t.Fatalf("URL %q resolves to %q %q, %v", f.URL, again, frag, err)
				}
				stable = false
			}
			for _, h := range []map[string]string{f.Hashes, f.CoreMetadataHashes} {
				for alg, hex := range h {
					if alg == "" || alg != strings.ToLower(alg) || !isHex(hex) {
						t.Fatalf("hash %q=%q", alg, hex)
					}
				}
			}
		}
		body2, ok := fuzzJSONPage(p)
		if !ok || !stable {
			return
		}
		p2, err := Parse(body2, MediaTypeJSON, page)
		if err != nil {
			t.Fatalf("JSON form does not parse: %v\n%s", err, body2)
		}
		// BadHash is an HTML fragment diagnostic; JSON has no fragments.
		for i := range p.Files {
			p.Files[i].BadHash = ""
		}
		if !reflect.DeepEqual(p2, p) {
			t.Fatalf("JSON round trip:\n got %+v\nwant %+v\n%s", p2, p, body2)
		}
	})
}

// fuzzJSONPage writes p as a PEP 691 page; ok is false if p holds text that
// JSON cannot carry unchanged (invalid UTF-8).
func fuzzJSONPage(p *Project) ([]byte, bool) {
	type file struct {
		Filename       string            `json:"filename"`
		URL            string            `json:"url"`
		Hashes         map[string]string `json:"hashes"`
		RequiresPython string            `json:"requires-python"`
		CoreMetadata   any               `json:"core-metadata"`
		Yanked         any               `json:"yanked"`
		Size           int64             `json:"size,omitempty"`
		UploadTime     string            `json:"upload-time,omitempty"`
	}
	type meta struct {
		APIVersion string `json:"api-version,omitempty"`
	}
	page := struct {
		Meta  meta   `json:"meta"`
		Name  string `json:"name"`
		Files []file `json:"files"`
	}{Meta: meta{p.APIVersion}, Name: p.Name}
	texts := []string{p.Name, p.APIVersion}
	for _, f := range p.Files {
		jf := file{Filename: f.Filename, URL: f.URL, Hashes: f.Hashes, RequiresPython: f.RequiresPython,
			CoreMetadata: f.CoreMetadata, Yanked: f.Yanked, Size: f.Size}
		if f.Filename == filenameFromURL(f.URL) {
			// Taken from the URL, where it may end in (escaped) white
			// space that an explicit filename loses to trimming.
			jf.Filename = ""
		}
		if len(f.CoreMetadataHashes) > 0 {
			jf.CoreMetadata = f.CoreMetadataHashes
		}
		if f.YankedReason != "" {
			jf.Yanked = f.YankedReason
		}
		if !f.UploadTime.IsZero() {
			jf.UploadTime = f.UploadTime.Format(time.RFC3339Nano)
		}
		page.Files = append(page.Files, jf)
		texts = append(texts, f.Filename, f.URL, f.RequiresPython, f.YankedReason)
	}
	for _, s := range texts {
		if !utf8.ValidString(s) {
			return nil, false
		}
	}
	b, err := json.Marshal(page)
	if err != nil {
		panic(err)
	}
	return b, true
}

// FuzzResolve: resolve's fast path for plain absolute links, and
// filenameFromURL's, give what url.Parse gives.
func FuzzResolve(f *testing.F) {
	for _, href := range []string{
		"https://files.pythonhosted.org/packages/ab/cd/numpy-2.1.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl#sha256=0123abcd",
		"http://127.0.0.1:5001/files/glf_pure-1.0.0-py3-none-any.whl#sha256=ff",
		"https://example.com/a/b/torch-2.1.0+cpu-cp311-cp311-linux_x86_64.whl",
		"https://example.com/a/./b/x.whl#sha256=00",
		"https://example.com/a/../b/x.whl",
		"https://Example.com/a/x.whl",
		"https://example.com/a/x%2By.whl#sha256=00",
		"https://example.com/a/x.whl?download=1#md5=00",
		"/packages/x.whl#sha256=00",
		"../../packages/x.whl",
		"../../files/glf_pure-1.0.0-py3-none-any.whl#sha256=f8b6f1c2ada0d3a75fea4c979ea061421f3f43774797ced1d111a1c440678d75",
		"https://example.com",
		"https://user:pw@example.com:8443/a;b/x.whl",
		"http://[::1]:5001/x.whl",
	} {
		f.Add(href)
	}
	base, _ := url.Parse("https://pypi.org/simple/numpy/")
	f.Fuzz(func(t *testing.T, href string) {
		if abs, frag, ok := plainAbsolute(href); ok {
			ref, err := url.Parse(strings.TrimSpace(href))
			if err != nil {
				t.Fatalf("fast path takes %q, url.Parse refuses it: %v", href, err)
			}
			u := base.ResolveReference(ref)
			wantFrag := u.Fragment
			u.Fragment, u.RawFragment = "", ""
			if abs != u.String() || frag != wantFrag {
				t.Fatalf("fast path: %q -> %q %q, url.Parse: %q %q", href, abs, frag, u.String(), wantFrag)
			}
		}
		abs, _, err := resolve(base, href)
		if err != nil {
			return
		}
		pu, err := url.Parse(abs)
		if err != nil {
			t.Fatalf("resolved URL %q does not parse: %v", abs, err)
		}
		if got, want := filenameFromURL(abs), pu.Path[strings.LastIndexByte(pu.Path, '/')+1:]; got != want {
			t.Fatalf("filenameFromURL(%q) = %q, want %q", abs, got, want)
		}
	})
}
