package simpleindex

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	sha1hex   = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
	sha256hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	pageURL   = "https://index.example.com/simple/foo-bar/"
)

const htmlFixture = `<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="1.1">
    <title>Links for Foo.Bar</title>
  </head>
  <body>
    <h1>Links for Foo.Bar</h1>
    <a href="../../packages/foo_bar-1.0-py3-none-any.whl#sha256=E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855" data-requires-python="&gt;=3.9,&lt;4" data-dist-info-metadata="sha256=` + sha256hex + `">foo_bar-1.0-py3-none-any.whl</a><br/>
    <a href="https://files.example.com/foo_bar-1.1.tar.gz#md5=d41d8cd98f00b204e9800998ecf8427e" data-yanked="">foo_bar-1.1.tar.gz</a>
    <a href="foo_bar-1.2-cp313-cp313-manylinux_2_17_x86_64.whl?x=1#egg=foo" data-yanked="broken &amp; bad" data-core-metadata="true" data-dist-info-metadata="false">
      foo_bar-1.2-cp313-cp313-manylinux_2_17_x86_64.whl
    </a>
    <a href="/files/foo_bar-1.3-py3-none-any.whl" data-core-metadata="false"></a>
    <a name="no-href">ignored</a>
  </body>
</html>`

func TestParseHTML(t *testing.T) {
	p, err := Parse([]byte(htmlFixture), "text/html; charset=utf-8", pageURL)
	if err != nil {
		t.Fatal(err)
	}
	want := &Project{Name: "foo-bar", APIVersion: "1.1", Files: []File{
		{
			Filename:           "foo_bar-1.0-py3-none-any.whl",
			URL:                "https://index.example.com/packages/foo_bar-1.0-py3-none-any.whl",
			Hashes:             map[string]string{"sha256": sha256hex},
			RequiresPython:     ">=3.9,<4",
			CoreMetadata:       true,
			CoreMetadataHashes: map[string]string{"sha256": sha256hex},
		},
		{
			Filename: "foo_bar-1.1.tar.gz",
			URL:      "https://files.example.com/foo_bar-1.1.tar.gz",
			Hashes:   map[string]string{"md5": "d41d8cd98f00b204e9800998ecf8427e"},
			Yanked:   true,
		},
		{
			Filename:     "foo_bar-1.2-cp313-cp313-manylinux_2_17_x86_64.whl",
			URL:          "https://index.example.com/simple/foo-bar/foo_bar-1.2-cp313-cp313-manylinux_2_17_x86_64.whl?x=1",
			Yanked:       true,
			YankedReason: "broken & bad",
			CoreMetadata: true,
		},
		{
			Filename: "foo_bar-1.3-py3-none-any.whl",
			URL:      "https://index.example.com/files/foo_bar-1.3-py3-none-any.whl",
		},
	}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Parse:\n got %+v\nwant %+v", p, want)
	}
}

func TestParseHTMLBaseAndVersion(t *testing.T) {
	body := `<html><head><base href="/mirror/"><base href="/ignored/"></head>
<body><a href="x-1.0.tar.gz">x-1.0.tar.gz</a></body></html>`
	p, err := Parse([]byte(body), MediaTypeHTML, "https://h.example/simple/x/")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Files[0].URL; got != "https://h.example/mirror/x-1.0.tar.gz" {
		t.Errorf("URL = %q", got)
	}
	_, err = Parse([]byte(`<meta name="pypi:repository-version" content="2.0">`), "text/html", pageURL)
	if err == nil || !strings.Contains(err.Error(), "unsupported api-version") {
		t.Errorf("api-version 2.0: err = %v", err)
	}
}

var jsonFixture = `{
  "meta": {"api-version": "1.1"},
  "name": "Foo_Bar",
  "versions": ["1.0", "1.1"],
  "files": [
    {
      "filename": "foo_bar-1.0-py3-none-any.whl",
      "url": "../../packages/foo_bar-1.0-py3-none-any.whl#sha1=` + sha1hex + `",
      "hashes": {"SHA256": "` + strings.ToUpper(sha256hex) + `"},
      "requires-python": ">=3.9",
      "core-metadata": {"sha256": "` + sha256hex + `"},
      "size": 1234,
      "upload-time": "2025-01-25T11:30:10.164985Z",
      "yanked": false
    },
    {
      "filename": "foo_bar-1.1.tar.gz",
      "url": "https://files.example.com/foo_bar-1.1.tar.gz",
      "hashes": {},
      "requires-python": null,
      "dist-info-metadata": true,
      "yanked": "security issue",
      "upload-time": "not a time"
    },
    {
      "filename": "foo_bar-1.2-py3-none-any.whl",
      "url": "/f/foo_bar-1.2-py3-none-any.whl",
      "hashes": {"sha256": "` + sha256hex + `"},
      "yanked": true
    }
  ]
}`

func TestParseJSON(t *testing.T) {
	p, err := Parse([]byte(jsonFixture), MediaTypeJSON, pageURL)
	if err != nil {
		t.Fatal(err)
	}
	want := &Project{Name: "foo-bar", APIVersion: "1.1", Files: []File{
		{
			Filename:           "foo_bar-1.0-py3-none-any.whl",
			URL:                "https://index.example.com/packages/foo_bar-1.0-py3-none-any.whl",
			Hashes:             map[string]string{"sha256": sha256hex, "sha1": sha1hex},
			RequiresPython:     ">=3.9",
			CoreMetadata:       true,
			CoreMetadataHashes: map[string]string{"sha256": sha256hex},
			Size:               1234,
			UploadTime:         time.Date(2025, 1, 25, 11, 30, 10, 164985000, time.UTC),
		},
		{
			Filename:     "foo_bar-1.1.tar.gz",
			URL:          "https://files.example.com/foo_bar-1.1.tar.gz",
			CoreMetadata: true,
			Yanked:       true,
			YankedReason: "security issue",
		},
		{
			Filename: "foo_bar-1.2-py3-none-any.whl",
			URL:      "https://index.example.com/f/foo_bar-1.2-py3-none-any.whl",
			Hashes:   map[string]string{"sha256": sha256hex},
			Yanked:   true,
		},
	}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Parse:\n got %+v\nwant %+v", p, want)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, body, ctype, url, wantErr string
	}{
		{"bad content type", "{}", "application/xml", pageURL, "unsupported content type"},
		{"bad json", "{", MediaTypeJSON, pageURL, "json"},
		{"json api v2", `{"meta":{"api-version":"2.0"},"name":"x","files":[]}`, MediaTypeJSON, pageURL, "unsupported api-version"},
		{"json no url", `{"meta":{"api-version":"1.0"},"name":"x","files":[{"filename":"x.whl","hashes":{}}]}`, MediaTypeJSON, pageURL, "missing url"},
		{"json bad yanked", `{"name":"x","files":[{"filename":"x.whl","url":"x.whl","hashes":{},"yanked":3}]}`, MediaTypeJSON, pageURL, "yanked"},
		{"json bad hash", `{"name":"x","files":[{"filename":"x.whl","url":"x.whl","hashes":{"sha256":"zz"}}]}`, MediaTypeJSON, pageURL, "invalid hash"},
		{"json negative size", `{"name":"x","files":[{"filename":"x.whl","url":"x.whl","hashes":{},"size":-1}]}`, MediaTypeJSON, pageURL, "negative size"},
		{"bad page url", "", "text/html", "://", "page URL"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.body), tt.ctype, tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: err = %v, want containing %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestParseSniffsContentType(t *testing.T) {
	for _, tt := range []struct{ body, ctype string }{
		{jsonFixture, ""},
		{jsonFixture, "application/vnd.pypi.simple.latest+json"},
		{htmlFixture, ""},
		{htmlFixture, MediaTypeHTML},
	} {
		p, err := Parse([]byte(tt.body), tt.ctype, pageURL)
		if err != nil || p.Name != "foo-bar" || len(p.Files) < 3 {
			t.Errorf("content type %q: %+v, %v", tt.ctype, p, err)
		}
	}
}

func TestProjectURL(t *testing.T) {
	tests := []struct{ index, name, want string }{
		{"https://pypi.org/simple", "Foo_Bar", "https://pypi.org/simple/foo-bar/"},
		{"https://pypi.org/simple/", "foo.bar", "https://pypi.org/simple/foo-bar/"},
		{"https://h.example/root//", "A__B--c", "https://h.example/root/a-b-c/"},
		{"https://h.example/simple/?token=1", "x", "https://h.example/simple/x/?token=1"},
		{"http://127.0.0.1:8080", "x", "http://127.0.0.1:8080/x/"},
	}
	for _, tt := range tests {
		if got := ProjectURL(tt.index, tt.name); got != tt.want {
			t.Errorf("ProjectURL(%q, %q) = %q, want %q", tt.index, tt.name, got, tt.want)
		}
	}
}

func TestNormalizeAndValidName(t *testing.T) {
	for in, want := range map[string]string{
		"Django": "django", "zope.interface": "zope-interface", "ruamel_yaml": "ruamel-yaml",
		"Foo-_.Bar": "foo-bar", "x": "x",
	} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
	for name, valid := range map[string]bool{"a": true, "a.b-c_d": true, "A1": true, "-a": false, "a-": false, "": false, "a b": false, "a+b": false} {
		if ValidName(name) != valid {
			t.Errorf("ValidName(%q) = %v", name, !valid)
		}
	}
	if !strings.HasPrefix(AcceptHeader, MediaTypeJSON+", "+MediaTypeHTML+";q=0.2, text/html;q=0.01") {
		t.Errorf("AcceptHeader = %q", AcceptHeader)
	}
}

// resolve's fast path gives what url.Parse + ResolveReference give.
func TestPlainAbsoluteMatchesURLParse(t *testing.T) {
	base, _ := url.Parse("https://pypi.org/simple/numpy/")
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
		"https://example.com",
	} {
		ref, err := url.Parse(href)
		if err != nil {
			t.Fatal(err)
		}
		u := base.ResolveReference(ref)
		wantFrag := u.Fragment
		u.Fragment, u.RawFragment = "", ""
		want := u.String()
		got, frag, err := resolve(base, href)
		if err != nil || got != want || frag != wantFrag {
			t.Errorf("resolve(%q) = %q %q %v, want %q %q", href, got, frag, err, want, wantFrag)
		}
		pu, _ := url.Parse(want)
		wantName := pu.Path[strings.LastIndexByte(pu.Path, '/')+1:]
		if name := filenameFromURL(want); name != wantName {
			t.Errorf("filenameFromURL(%q) = %q, want %q", want, name, wantName)
		}
	}
}

// A fragment naming a known hash with a bad digest is kept as BadHash, so
// it can be reported as malformed rather than missing; other fragments are
// not hashes at all.
func TestParseHTMLKeepsMalformedHash(t *testing.T) {
	page := `<a href="a-1.0-py3-none-any.whl#sha256=not-hex">a-1.0-py3-none-any.whl</a>
<a href="b-1.0-py3-none-any.whl#sha256=abc">b-1.0-py3-none-any.whl</a>
<a href="c-1.0-py3-none-any.whl#egg=c">c-1.0-py3-none-any.whl</a>
<a href="d-1.0-py3-none-any.whl#sha256=` + strings.Repeat("a", 64) + `">d-1.0-py3-none-any.whl</a>`
	p, err := Parse([]byte(page), "text/html", "https://index.example/simple/a/")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a-1.0-py3-none-any.whl": "sha256=not-hex", "b-1.0-py3-none-any.whl": "sha256=abc", "c-1.0-py3-none-any.whl": "", "d-1.0-py3-none-any.whl": ""}
	for _, f := range p.Files {
		if f.BadHash != want[f.Filename] {
			t.Errorf("%s: BadHash %q, want %q", f.Filename, f.BadHash, want[f.Filename])
		}
	}
	if len(p.Files) != 4 || p.Files[3].Hashes["sha256"] == "" {
		t.Errorf("files %+v", p.Files)
	}
}

func TestResolveEscapesQuery(t *testing.T) {
	base, _ := url.Parse("https://index.example/simple/foo/")
	for href, want := range map[string]string{
		"foo-1.0.tar.gz?x= #egg=foo":          "https://index.example/simple/foo/foo-1.0.tar.gz?x=%20",
		"/f/foo-1.0.tar.gz?q=\"<é>\"":         "https://index.example/f/foo-1.0.tar.gz?q=%22%3C%C3%A9%3E%22",
		"https://files.example/x.whl?a=1&b=2": "https://files.example/x.whl?a=1&b=2",
		"x.whl?%20ok":                         "https://index.example/simple/foo/x.whl?%20ok",
	} {
		got, _, err := resolve(base, href)
		if err != nil || got != want {
			t.Errorf("resolve(%q) = %q, %v; want %q", href, got, err, want)
		}
		if again, _, err := resolve(base, got); err != nil || again != got {
			t.Errorf("resolve(%q) again = %q, %v", got, again, err)
		}
	}
}
