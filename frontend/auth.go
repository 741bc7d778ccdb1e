package frontend

import (
	"net/url"
	"strings"

	"github.com/geolayer/geolayer/llbgen"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Private indexes (INDEX --secret=<id>): the secret's value is the HTTP
// Authorization header (e.g. "Basic dXNlcjpwYXNz"), BuildKit's own
// convention for authenticated HTTP sources. The frontend never sees the
// value: it names the secret on every llb.HTTP source for the index's origin
// and mounts it into pip's resolver step, so the value stays out of the
// graph, the cache keys, the lock file and the report.

// addIndexSecret records that requests to the index's origin authenticate
// with the secret id.
func (pl *plan) addIndexSecret(indexURL, id string) {
	if pl.indexSecrets == nil {
		pl.indexSecrets = map[string]string{}
	}
	pl.indexSecrets[indexURL] = id
}

// secretFor gives the secret for a URL: the one of the index with the same
// scheme, host and port (the longest index URL that prefixes it wins when
// several indexes share an origin). Credentials never go to another origin,
// such as a CDN the index links its files to.
func (pl *plan) secretFor(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	best, bestLen := "", -1
	for ix, id := range pl.indexSecrets {
		iu, err := url.Parse(ix)
		if err != nil || !strings.EqualFold(iu.Scheme, u.Scheme) || !strings.EqualFold(iu.Host, u.Host) {
			continue
		}
		n := 0
		if strings.HasPrefix(u.Path, strings.TrimSuffix(iu.Path, "/")) {
			n = len(iu.Path)
		}
		if n > bestLen || (n == bestLen && id < best) {
			best, bestLen = id, n
		}
	}
	return best
}

// indexSpecs lists the indexes with their secrets for pip: primary first.
func (pl *plan) indexSpecs() []llbgen.Index {
	out := []llbgen.Index{{URL: pl.index, Secret: pl.secretFor(pl.index)}}
	for _, x := range pl.extraIndexes {
		out = append(out, llbgen.Index{URL: x, Secret: pl.secretFor(x)})
	}
	return out
}

// indexLocation is where the Geolayerfile names an index (nil when it comes
// from the default or the GEOLAYER_INDEX_URL build arg).
func (pl *plan) indexLocation(indexURL string) []parser.Range {
	for _, ix := range pl.spec.Indexes {
		if strings.TrimSuffix(ix.URL.Value, "/") == strings.TrimSuffix(indexURL, "/") {
			return ix.Location()
		}
	}
	return nil
}
