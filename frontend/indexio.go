package frontend

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/geolayer/geolayer/pkg/simpleindex"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/pkg/errors"
	"golang.org/x/net/html/charset"
	"golang.org/x/sync/errgroup"
)

// Index I/O: every page goes through BuildKit's HTTP source (llb.HTTP), so
// caching, proxies and the daemon's network apply. What comes back is
// decided by the HTTP status (not by searching error text for "404"),
// bounded in time and size, and read as PEP 691 JSON or PEP 503 HTML by
// what the server sent.

// Defaults of the index I/O bounds; build args change them.
const (
	// DefaultHTTPTimeout bounds each index page fetch
	// (build arg GEOLAYER_HTTP_TIMEOUT, in seconds).
	DefaultHTTPTimeout = 60 * time.Second
	// DefaultPageLimit bounds the size of an index page
	// (build arg GEOLAYER_INDEX_PAGE_LIMIT, in bytes). PyPI's largest
	// project pages are a few MB.
	DefaultPageLimit = 64 << 20
	// readChunk stays below the gRPC message size BuildKit accepts.
	readChunk = 4 << 20
)

// fetchOutcome classifies a failed fetch by its HTTP status.
type fetchOutcome int

const (
	outcomeOther        fetchOutcome = iota
	outcomeAbsent                    // 404, 410: the project (or file) is not there
	outcomeUnauthorized              // 401, 403
	outcomeServerError               // 5xx
	outcomeTimeout                   // no complete answer in time
)

// statusRe is how BuildKit's HTTP source reports a status it does not
// accept (source/http: "invalid response status %d"); it is the only
// channel the status has through the gateway.
var statusRe = regexp.MustCompile(`invalid response status (\d{3})`)

// httpStatus is the HTTP status a BuildKit HTTP source failed with, 0 when
// the error is not one.
func httpStatus(err error) int {
	if err == nil {
		return 0
	}
	m := statusRe.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func classify(err error) (fetchOutcome, int) {
	if errors.Is(err, context.DeadlineExceeded) {
		return outcomeTimeout, 0
	}
	st := httpStatus(err)
	switch {
	case st == 404 || st == 410:
		return outcomeAbsent, st
	case st == 401 || st == 403:
		return outcomeUnauthorized, st
	case st >= 500 && st <= 599:
		return outcomeServerError, st
	}
	return outcomeOther, st
}

// explainStatus words a failed fetch of u for people.
func explainStatus(what, u, secret string, err error, timeout time.Duration) string {
	oc, st := classify(err)
	switch oc {
	case outcomeTimeout:
		return fmt.Sprintf("%s %s: no complete answer within %s (the server accepted the connection or the network is slow; the build arg GEOLAYER_HTTP_TIMEOUT=<seconds> changes the limit)", what, u, timeout)
	case outcomeAbsent:
		return fmt.Sprintf("%s %s: not found (HTTP %d)", what, u, st)
	case outcomeUnauthorized:
		if secret != "" {
			return fmt.Sprintf("%s %s: the index refused the credentials (HTTP %d) of the build secret %q: check that `--secret id=%s,...` is passed and holds the Authorization header value (e.g. Basic <base64 of user:password>)", what, u, st, secret, secret)
		}
		return fmt.Sprintf("%s %s: the index wants credentials (HTTP %d): name them with INDEX <url> --secret=<id> and pass `--secret id=<id>,env=VAR`, VAR holding the Authorization header value", what, u, st)
	case outcomeServerError:
		return fmt.Sprintf("%s %s: the server failed (HTTP %d); try again later", what, u, st)
	}
	msg := fmt.Sprintf("%s %s: %s", what, u, err.Error())
	if st != 0 {
		msg = fmt.Sprintf("%s %s: HTTP %d: %s", what, u, st, err.Error())
	}
	if secret != "" && strings.Contains(err.Error(), "secret") {
		msg += fmt.Sprintf(" (this index authenticates with the build secret %q: pass it with `--secret id=%s,env=VAR`, VAR holding the Authorization header value, e.g. Basic <base64 of user:password>)", secret, secret)
	}
	return msg
}

// pageFetcher fetches one index page; a fake stands for it in unit tests.
type pageFetcher interface {
	// fetch returns the page body (at most limit bytes; more is an error).
	fetch(ctx context.Context, u, secret string, limit int64, noCache bool) ([]byte, error)
}

// gatewayPages fetches through BuildKit.
type gatewayPages struct {
	c  client.Client
	bc *dockerui.Client
}

// pageTooLarge is returned when a page exceeds the limit.
type pageTooLarge struct {
	size, limit int64
}

func (e *pageTooLarge) Error() string {
	return fmt.Sprintf("the page is %d bytes, more than the limit of %d (the build arg GEOLAYER_INDEX_PAGE_LIMIT=<bytes> raises it)", e.size, e.limit)
}

func (g *gatewayPages) fetch(ctx context.Context, u, secret string, limit int64, noCache bool) ([]byte, error) {
	opts := []llb.HTTPOption{
		llb.Filename("page"),
		// As pip asks: PEP 691 JSON first, HTML as the fallback.
		llb.Header(llb.HTTPHeader{Accept: simpleindex.AcceptHeader}),
		llb.WithCustomName(clipText(fmt.Sprintf("[internal] index page %s", u))),
	}
	if secret != "" {
		opts = append(opts, llb.AuthHeaderSecret(secret))
	}
	if noCache {
		opts = append(opts, llb.IgnoreCache)
	}
	def, err := llb.HTTP(u, opts...).Marshal(ctx)
	if err != nil {
		return nil, err
	}
	// Evaluate: a lazy ref would only fail at ReadFile, unexplained.
	res, err := g.c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: g.bc.CacheImports, Evaluate: true})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	ref, err := res.SingleRef()
	if err != nil {
		return nil, err
	}
	st, err := ref.StatFile(ctx, client.StatRequest{Path: "page"})
	if err != nil {
		return nil, err
	}
	if st.Size > limit {
		return nil, &pageTooLarge{size: st.Size, limit: limit}
	}
	// Read in chunks below the gRPC message limit.
	var buf bytes.Buffer
	for off := int64(0); off < st.Size; off += readChunk {
		b, err := ref.ReadFile(ctx, client.ReadRequest{Filename: "page", Range: &client.FileRange{Offset: int(off), Length: readChunk}})
		if err != nil {
			return nil, err
		}
		if len(b) == 0 {
			break
		}
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// decodePage parses a page as what it is: PEP 691 JSON (sniffed: the
// daemon keeps no Content-Type), else HTML, converted to UTF-8 from the
// charset its <meta> declares (HTML without one is read as UTF-8, the
// encoding PEP 503 requires).
func decodePage(body []byte, u string) (*simpleindex.Project, error) {
	if b := bytes.TrimSpace(body); len(b) > 0 && b[0] == '{' {
		return simpleindex.Parse(body, simpleindex.MediaTypeJSON, u)
	}
	// A BOM, or a charset a <meta> in the first 1024 bytes declares
	// (charset's prescan); not its windows-1252 guess for undeclared pages.
	head := bytes.ToLower(body[:min(len(body), 1024)])
	declared := bytes.Contains(head, []byte("<meta")) && bytes.Contains(head, []byte("charset"))
	if enc, name, certain := charset.DetermineEncoding(body, "text/html"); (certain || declared) && name != "utf-8" {
		utf8, err := io.ReadAll(enc.NewDecoder().Reader(bytes.NewReader(body)))
		if err != nil {
			return nil, errors.Wrapf(err, "decoding the page from %s", name)
		}
		body = utf8
	}
	return simpleindex.Parse(body, simpleindex.MediaTypeLegacy, u)
}

// checkLinkURL applies geolayer's URL policy to a file link found on an
// index page (or in a lock file): only http(s); never a link-local address
// (169.254.0.0/16, fe80::/10: cloud metadata services live there); and a
// page served from a public address may not send the builder into loopback
// or private ranges (a private index may: the dev world's does). Only
// literal addresses are checked: names are resolved by the daemon.
func checkLinkURL(link, page string) error {
	u, err := url.Parse(link)
	if err != nil {
		return errors.Errorf("link %q: %v", link, err)
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return errors.Errorf("link %s: only http and https links are fetched", redactURL(link))
	}
	ip := net.ParseIP(strings.Trim(u.Hostname(), "[]"))
	if ip == nil {
		if strings.EqualFold(u.Hostname(), "metadata.google.internal") {
			return errors.Errorf("link %s points at a cloud metadata service", redactURL(link))
		}
		return nil
	}
	if ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() || ip.IsMulticast() {
		return errors.Errorf("link %s points at a link-local or special address (cloud metadata services live at 169.254.169.254): refused", redactURL(link))
	}
	if inner(ip) {
		pu, err := url.Parse(page)
		if err == nil {
			if pip := net.ParseIP(strings.Trim(pu.Hostname(), "[]")); pip == nil || !inner(pip) {
				if !strings.EqualFold(pu.Hostname(), "localhost") {
					return errors.Errorf("link %s: a page served from %s may not send the builder to a loopback or private address", redactURL(link), pu.Host)
				}
			}
		}
	}
	return nil
}

// inner: loopback or private (RFC 1918, RFC 4193).
func inner(ip net.IP) bool { return ip.IsLoopback() || ip.IsPrivate() }

// httpSettings reads the index I/O bounds from build args.
func httpSettings(args map[string]string) (time.Duration, int64, error) {
	timeout, limit := DefaultHTTPTimeout, int64(DefaultPageLimit)
	if v := args["GEOLAYER_HTTP_TIMEOUT"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return 0, 0, errors.Errorf("invalid build arg GEOLAYER_HTTP_TIMEOUT=%q: want a positive number of seconds", v)
		}
		timeout = time.Duration(n) * time.Second
	}
	if v := args["GEOLAYER_INDEX_PAGE_LIMIT"]; v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, errors.Errorf("invalid build arg GEOLAYER_INDEX_PAGE_LIMIT=%q: want a positive number of bytes", v)
		}
		limit = n
	}
	return timeout, limit, nil
}

// pageKey identifies an index page.
type pageKey struct{ index, project string }

// fetchIndexPages reads every project's index page (through BuildKit's
// HTTP source: pf), once for all platforms, in parallel, each bounded in
// time and size. A project the index does not have (HTTP 404/410) gets an
// empty page; any other failure is an error naming the URL and the INDEX.
func fetchIndexPages(ctx context.Context, pf pageFetcher, pl *plan, reqs []*requirement) (map[pageKey]*simpleindex.Project, error) {
	indexes := append([]string{pl.index}, pl.extraIndexes...)
	var keys []pageKey
	seen := map[pageKey]bool{}
	for _, r := range reqs {
		if r.lock != nil {
			continue
		}
		for _, ix := range indexes {
			k := pageKey{ix, r.Name}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	var mu sync.Mutex
	pages := map[pageKey]*simpleindex.Project{}
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(8)
	for _, k := range keys {
		eg.Go(func() error {
			u := simpleindex.ProjectURL(k.index, k.project)
			secret := pl.secretFor(u)
			fctx, cancel := context.WithTimeout(ctx, pl.httpTimeout)
			body, err := pf.fetch(fctx, u, secret, pl.pageLimit, pl.base.NoCache)
			cancel()
			if err != nil {
				if oc, _ := classify(err); oc == outcomeAbsent {
					mu.Lock()
					pages[k] = &simpleindex.Project{Name: k.project}
					mu.Unlock()
					return nil
				}
				// A new error, not a wrapper: the gateway sends the innermost
				// gRPC status to the client, which would drop a wrapper.
				return located(errors.New(explainStatus("fetching index page", redactURL(u), secret, err, pl.httpTimeout)), pl.indexLocation(k.index))
			}
			p, err := decodePage(body, u)
			if err != nil {
				return located(errors.Errorf("reading index page %s: %v", redactURL(u), err), pl.indexLocation(k.index))
			}
			mu.Lock()
			pages[k] = p
			mu.Unlock()
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	return pages, nil
}
