package simpleindex

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// parseHTML parses a PEP 503 project page: one <a> per file, the anchor text
// being the filename, the href optionally carrying "#<alg>=<hex>", and the
// data-requires-python / data-yanked / data-core-metadata attributes (the
// tokenizer HTML-unescapes attribute values and text).
func parseHTML(body []byte, page *url.URL) (*Project, error) {
	p := &Project{Name: nameFromPageURL(page)}
	base := page
	sawBase := false
	z := html.NewTokenizer(bytes.NewReader(body))
	var cur *File // open <a>, if any
	var text strings.Builder
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if err := z.Err(); !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("simpleindex: html: %w", err)
			}
			if cur != nil { // unterminated <a> at EOF
				if err := finishAnchor(p, cur, text.String()); err != nil {
					return nil, err
				}
			}
			return p, nil
		case html.TextToken:
			if cur != nil {
				text.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			// Only <a>, <base> and <meta> matter: read the attributes of
			// those alone (a large page is mostly <a> and <br>).
			name, hasAttr := z.TagName()
			tag := string(name)
			if tag != "a" && tag != "base" && tag != "meta" {
				continue
			}
			tok := html.Token{Type: tt, Data: tag}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				tok.Attr = append(tok.Attr, html.Attribute{Key: string(k), Val: string(v)})
			}
			switch tok.Data {
			case "base":
				// Only the first <base href> counts (HTML standard).
				if href, ok := attr(tok, "href"); ok && !sawBase {
					u, err := page.Parse(strings.TrimSpace(href))
					if err != nil {
						return nil, fmt.Errorf("simpleindex: <base href=%q>: %w", href, err)
					}
					base, sawBase = u, true
				}
			case "meta":
				if name, _ := attr(tok, "name"); name == "pypi:repository-version" {
					p.APIVersion, _ = attr(tok, "content")
					if err := checkAPIVersion(p.APIVersion); err != nil {
						return nil, err
					}
				}
			case "a":
				if cur != nil { // <a> inside <a>: close the previous one
					if err := finishAnchor(p, cur, text.String()); err != nil {
						return nil, err
					}
					cur = nil
				}
				f, err := startAnchor(tok, base)
				if err != nil {
					return nil, err
				}
				if f == nil {
					continue
				}
				text.Reset()
				if tt == html.SelfClosingTagToken {
					if err := finishAnchor(p, f, ""); err != nil {
						return nil, err
					}
					continue
				}
				cur = f
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "a" && cur != nil {
				if err := finishAnchor(p, cur, text.String()); err != nil {
					return nil, err
				}
				cur = nil
			}
		}
	}
}

func attr(t html.Token, key string) (string, bool) {
	for _, a := range t.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// startAnchor builds a File from an <a> start tag; nil if it has no href.
func startAnchor(tok html.Token, base *url.URL) (*File, error) {
	href, ok := attr(tok, "href")
	if !ok || strings.TrimSpace(href) == "" {
		return nil, nil
	}
	abs, frag, err := resolve(base, href)
	if err != nil {
		return nil, fmt.Errorf("simpleindex: href %q: %w", href, err)
	}
	f := &File{URL: abs}
	if alg, hex, ok := parseHashPair(frag); ok {
		f.Hashes = map[string]string{alg: hex}
	} else if a, _, found := strings.Cut(frag, "="); found {
		if _, known := hashAlgorithms[strings.ToLower(strings.TrimSpace(a))]; known {
			f.BadHash = frag
			if len(f.BadHash) > 200 {
				f.BadHash = f.BadHash[:200] + "..."
			}
		}
	}
	f.RequiresPython, _ = attr(tok, "data-requires-python")
	f.RequiresPython = strings.TrimSpace(f.RequiresPython)
	if reason, ok := attr(tok, "data-yanked"); ok {
		f.Yanked, f.YankedReason = true, reason
	}
	// PEP 714 renamed data-dist-info-metadata to data-core-metadata; prefer
	// the new name when both are present.
	meta, ok := attr(tok, "data-core-metadata")
	if !ok {
		meta, ok = attr(tok, "data-dist-info-metadata")
	}
	if ok {
		meta = strings.TrimSpace(meta)
		switch {
		case strings.EqualFold(meta, "false"):
		case strings.EqualFold(meta, "true") || meta == "":
			f.CoreMetadata = true
		default:
			f.CoreMetadata = true
			if alg, hex, ok := parseHashPair(meta); ok {
				f.CoreMetadataHashes = map[string]string{alg: hex}
			}
		}
	}
	return f, nil
}

func finishAnchor(p *Project, f *File, text string) error {
	f.Filename = strings.TrimSpace(text)
	if f.Filename == "" {
		f.Filename = filenameFromURL(f.URL)
	}
	if f.Filename == "" {
		return fmt.Errorf("simpleindex: link %q has no filename", f.URL)
	}
	p.Files = append(p.Files, *f)
	return nil
}

// nameFromPageURL returns the normalized last non-empty path segment.
func nameFromPageURL(u *url.URL) string {
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	return NormalizeName(segs[len(segs)-1])
}
