package frontend

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geolayer/geolayer/llbgen"
	"golang.org/x/text/encoding/charmap"
)

// fakePages serves index pages from memory: a body, or an error such as
// BuildKit's "invalid response status N"; "stall" blocks until the fetch's
// context ends.
type fakePages struct {
	mu    sync.Mutex
	pages map[string]string
	errs  map[string]error
	asked []string
}

func (f *fakePages) fetch(ctx context.Context, u, secret string, limit int64, noCache bool) ([]byte, error) {
	f.mu.Lock()
	f.asked = append(f.asked, u)
	f.mu.Unlock()
	if err, ok := f.errs[u]; ok {
		if err.Error() == "stall" {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return nil, err
	}
	body, ok := f.pages[u]
	if !ok {
		return nil, errors.New("failed to load cache key: invalid response status 404")
	}
	if int64(len(body)) > limit {
		return nil, &pageTooLarge{size: int64(len(body)), limit: limit}
	}
	return []byte(body), nil
}

func statusErr(n int) error {
	return fmt.Errorf("failed to load cache key: invalid response status %d", n)
}

const idx = "https://pypi.org/simple/"

func pageHTML(links ...string) string {
	return "<!DOCTYPE html><html><body>" + strings.Join(links, "\n") + "</body></html>"
}

// Index page outcomes are decided by the HTTP status: 404 is "absent", 401
// names the credentials, 5xx the server, a stall becomes a timeout naming
// the URL; an oversized page names its size; all point at INDEX.
func TestFetchIndexPagesOutcomes(t *testing.T) {
	const gl = "TARGET aws-lambda python3.13\nINDEX " + idx + "\nREQUIRE glf-pure==1.1.0\n"
	u := idx + "glf-pure/"
	cases := []struct {
		name string
		err  error
		body string
		args string
		want string // "" = success
	}{
		{"ok", nil, pageHTML(`<a href="https://files.example/glf_pure-1.1.0-py3-none-any.whl#sha256=` + sha + `">glf_pure-1.1.0-py3-none-any.whl</a>`), "", ""},
		{"absent", statusErr(404), "", "", ""},
		{"gone", statusErr(410), "", "", ""},
		{"unauthorized", statusErr(401), "", "", "fetching index page " + u + ": the index wants credentials (HTTP 401): name them with INDEX <url> --secret=<id>"},
		{"server error", statusErr(503), "", "", "fetching index page " + u + ": the server failed (HTTP 503)"},
		{"stall", errors.New("stall"), "", "1", "fetching index page " + u + ": no complete answer within 1s"},
		{"too large", nil, strings.Repeat("x", 2000), "", "more than the limit of 1000"},
	}
	for _, c := range cases {
		args := map[string]string{"GEOLAYER_INDEX_PAGE_LIMIT": "1000"}
		if c.args != "" {
			args["GEOLAYER_HTTP_TIMEOUT"] = c.args
		}
		pl, err := planWithArgs(t, gl, args)
		if err != nil {
			t.Fatal(err)
		}
		reqs, err := requirementsFrom(pl, nil)
		if err != nil {
			t.Fatal(err)
		}
		fp := &fakePages{pages: map[string]string{}, errs: map[string]error{}}
		if c.err != nil {
			fp.errs[u] = c.err
		} else {
			fp.pages[u] = c.body
		}
		start := time.Now()
		pages, err := fetchIndexPages(context.Background(), fp, pl, reqs)
		if c.name == "stall" && time.Since(start) > 10*time.Second {
			t.Errorf("the stall was not cut at the timeout")
		}
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			} else if p := pages[pageKey{idx, "glf-pure"}]; p == nil {
				t.Errorf("%s: no page", c.name)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		} else if errLine(err) != 2 {
			t.Errorf("%s: error at line %d, want INDEX's line 2", c.name, errLine(err))
		}
	}
}

func planWithArgs(t *testing.T, src string, args map[string]string) (*plan, error) {
	t.Helper()
	pl, err := planOf(t, src)
	if err != nil {
		return nil, err
	}
	if pl.httpTimeout, pl.pageLimit, err = httpSettings(args); err != nil {
		return nil, err
	}
	return pl, nil
}

// A JSON page (PEP 691) and an HTML page in a declared non-UTF-8 charset
// both read; HTML without a declaration is read as UTF-8.
func TestDecodePage(t *testing.T) {
	js := `{"meta":{"api-version":"1.1"},"name":"glf-pure","files":[{"filename":"glf_pure-1.1.0-py3-none-any.whl","url":"https://files.example/glf_pure-1.1.0-py3-none-any.whl","hashes":{"sha256":"` + sha + `"}}],"versions":["1.1.0"]}`
	p, err := decodePage([]byte(js), idx+"glf-pure/")
	if err != nil || len(p.Files) != 1 || p.Files[0].Hashes["sha256"] != sha {
		t.Errorf("JSON: %+v %v", p, err)
	}
	latin := `<html><head><meta charset="iso-8859-1"></head><body><a href="glf_pure-1.1.0-py3-none-any.whl#sha256=` + sha + `" data-yanked="caf` + "\u00e9" + `">glf_pure-1.1.0-py3-none-any.whl</a></body></html>`
	enc, _ := charmap.ISO8859_1.NewEncoder().String(latin)
	p, err = decodePage([]byte(enc), idx+"glf-pure/")
	if err != nil || len(p.Files) != 1 || p.Files[0].YankedReason != "caf\u00e9" {
		t.Errorf("latin-1: %+v %v", p, err)
	}
}

// The URL policy for links on index pages.
func TestCheckLinkURL(t *testing.T) {
	public, private := "https://pypi.org/simple/x/", "http://127.0.0.1:5001/simple/x/"
	for _, c := range []struct {
		link, page string
		ok         bool
	}{
		{"https://files.pythonhosted.org/packages/x.whl", public, true},
		{"http://127.0.0.1:5001/files/x.whl", private, true},
		{"http://10.0.0.5/files/x.whl", private, true},
		{"http://169.254.169.254/latest/meta-data/", public, false},
		{"http://169.254.169.254/latest/meta-data/", private, false},
		{"http://[fe80::1]/x.whl", private, false},
		{"http://metadata.google.internal/computeMetadata/v1/", public, false},
		{"http://127.0.0.1:8080/x.whl", public, false},
		{"http://192.168.1.10/x.whl", public, false},
		{"file:///etc/passwd", private, false},
		{"javascript:alert(1)", public, false},
		{"ftp://files.example/x.whl", public, false},
	} {
		err := checkLinkURL(c.link, c.page)
		if (err == nil) != c.ok {
			t.Errorf("%s on %s: %v, want ok=%v", c.link, c.page, err, c.ok)
		}
	}
}

// Selection: another project's file on the page is never chosen; a link
// the URL policy refuses fails at the requirement; a yanked file is used
// only when nothing else matches the exact pin, with a warning.
func TestSelectionFromHostilePages(t *testing.T) {
	const gl = "TARGET aws-lambda python3.13\nINDEX " + idx + "\nREQUIRE glf-pure==1.1.0\n"
	link := func(file, url string, attrs string) string {
		return fmt.Sprintf(`<a href="%s#sha256=%s" %s>%s</a>`, url, sha, attrs, file)
	}
	cases := []struct {
		name, page, want, werr string
		warn                   bool
	}{
		{"other project", pageHTML(link("evil-1.1.0-py3-none-any.whl", "https://files.example/evil-1.1.0-py3-none-any.whl", "")), "", "another project's file", false},
		{"metadata link", pageHTML(link("glf_pure-1.1.0-py3-none-any.whl", "http://169.254.169.254/glf_pure-1.1.0-py3-none-any.whl", "")), "", "169.254.169.254", false},
		{"yanked only", pageHTML(link("glf_pure-1.1.0-py3-none-any.whl", "https://files.example/glf_pure-1.1.0-py3-none-any.whl", `data-yanked="broken"`)), "glf_pure-1.1.0-py3-none-any.whl", "", true},
		{"yanked and not", pageHTML(
			link("glf_pure-1.1.0-py3-none-any.whl", "https://files.example/a/glf_pure-1.1.0-py3-none-any.whl", `data-yanked=""`),
			link("glf_pure-1.1.0-py3-none-any.whl", "https://files.example/b/glf_pure-1.1.0-py3-none-any.whl", "")), "glf_pure-1.1.0-py3-none-any.whl", "", false},
	}
	for _, c := range cases {
		pl, err := planOf(t, gl)
		if err != nil {
			t.Fatal(err)
		}
		reqs, _ := requirementsFrom(pl, nil)
		fp := &fakePages{pages: map[string]string{idx + "glf-pure/": c.page}}
		pages, err := fetchIndexPages(context.Background(), fp, pl, reqs)
		if err != nil {
			t.Fatal(err)
		}
		ws, err := selectWheels(pl, pl.target(amd64), reqs, pages)
		switch {
		case c.werr != "":
			if err == nil || !strings.Contains(err.Error(), c.werr) || errLine(err) != 3 {
				t.Errorf("%s: got %v (line %d), want %q at REQUIRE", c.name, err, errLine(err), c.werr)
			}
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		case len(ws) != 1 || ws[0].Filename != c.want:
			t.Errorf("%s: chose %+v", c.name, ws)
		case c.name == "yanked and not" && !strings.Contains(ws[0].URL, "/b/"):
			t.Errorf("%s: chose the yanked file %s", c.name, ws[0].URL)
		}
		if got := len(pl.warnings) > 0; got != c.warn {
			t.Errorf("%s: warnings %v", c.name, pl.warnings)
		}
	}
}

// A missing build secret names the secret and how to pass it.
func TestExplainMissingSecret(t *testing.T) {
	err := errors.New("failed to load cache key: failed to retrieve HTTP auth secret glf-index: secret glf-index: not found")
	msg := explainStatus("fetching index page", "http://127.0.0.1:5002/simple/glf-pure/", "glf-index", err, time.Minute)
	for _, want := range []string{`build secret "glf-index"`, "--secret id=glf-index"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
}

// BuildKit does not check the status of a checksummed download: the error
// page's bytes fail the checksum. The probe's status decides the message.
func TestExplainFetchErrorProbesTheStatus(t *testing.T) {
	w := llbgen.Wheel{Name: "demo", Version: "1.0", URL: "http://ix.example/demo-1.0-py3-none-any.whl", SHA256: strings.Repeat("ab", 32)}
	mismatch := fmt.Errorf("digest mismatch sha256:%s: sha256:%s", strings.Repeat("cd", 32), w.SHA256)
	for _, tc := range []struct {
		probe error
		want  string
	}{
		{errors.New("invalid response status 404"), "demo 1.0: downloading http://ix.example/demo-1.0-py3-none-any.whl: not found (HTTP 404)"},
		{errors.New("invalid response status 503"), "the server failed (HTTP 503)"},
		{errors.New("invalid response status 401"), "wants credentials (HTTP 401)"},
		{nil, "does not match its published sha256 checksum"},
	} {
		got := explainFetchError(mismatch, []llbgen.Wheel{w}, nil, nil, func(string, string) error { return tc.probe })
		if !strings.Contains(got.Error(), tc.want) {
			t.Errorf("probe %v: got %q, want %q", tc.probe, got, tc.want)
		}
	}
}
