package frontend

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/geolayer/geolayer/llbgen"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"
)

// explainFetchError turns a failed wheel or sdist download into an error
// that names the package, the URL and what happened, decided by the HTTP
// status (not found, credentials, server error) or by BuildKit's "digest
// mismatch" (the bytes differ from the published sha256), and points at the
// requirement. byVertex maps the digests of the fetch steps to their
// wheels (fetchVertices), so a status error, which names no URL, is
// attributed to its package.
//
// BuildKit's HTTP source does not check the status of a download it knows
// the checksum of (source/http Snapshot saves any body), so an error page
// comes back as a digest mismatch: probe, when not nil, fetches the URL
// again without a checksum, which does check it, so that a 404, 401 or 5xx
// is reported as such rather than as a tampered file.
func explainFetchError(err error, wheels []llbgen.Wheel, byVertex map[string]llbgen.Wheel, reqs []*requirement, probe func(url, secret string) error) error {
	if err == nil {
		return nil
	}
	var w *llbgen.Wheel
	var ve *errdefs.VertexError
	if errors.As(err, &ve) && ve.Vertex != nil {
		if x, ok := byVertex[ve.Digest]; ok {
			w = &x
		}
	}
	if w == nil {
		for i := range wheels {
			x := &wheels[i]
			if strings.Contains(err.Error(), x.URL) || x.AuthSecret != "" && strings.Contains(err.Error(), "secret "+x.AuthSecret) ||
				strings.Contains(err.Error(), "digest mismatch") && strings.Contains(err.Error(), x.SHA256) {
				w = x
				break
			}
		}
	}
	if w == nil {
		return err
	}
	what := fmt.Sprintf("%s %s: downloading", w.Name, w.Version)
	// A new error, not a wrapper: the gateway sends the innermost gRPC
	// status to the client, which would drop a wrapper's message.
	switch {
	case httpStatus(err) != 0:
		return located(errors.New(explainStatus(what, redactURL(w.URL), w.AuthSecret, err, 0)), locOf(reqs, w.Name))
	case strings.Contains(err.Error(), "digest mismatch"):
		if probe != nil {
			if perr := probe(w.URL, w.AuthSecret); httpStatus(perr) != 0 {
				return located(errors.New(explainStatus(what, redactURL(w.URL), w.AuthSecret, perr, 0)), locOf(reqs, w.Name))
			}
		}
		return located(errors.Errorf("%s %s: the file downloaded from %s does not match its published sha256 checksum %s (tampered or republished file?): %s", w.Name, w.Version, redactURL(w.URL), w.SHA256, err.Error()), locOf(reqs, w.Name))
	case w.AuthSecret != "" && strings.Contains(err.Error(), "secret"):
		return located(errors.Errorf("%s %s: downloading %s: %s (the index's build secret is %q: pass it with `--secret id=%s,env=VAR`)", w.Name, w.Version, redactURL(w.URL), err.Error(), w.AuthSecret, w.AuthSecret), locOf(reqs, w.Name))
	case strings.Contains(err.Error(), "unexpected EOF"):
		return located(errors.Errorf("%s %s: downloading %s: the server closed the connection before the whole file arrived (unexpected EOF); retry, or check the index", w.Name, w.Version, redactURL(w.URL)), locOf(reqs, w.Name))
	}
	// Any other failure of a download step: name the package and URL.
	return located(errors.Errorf("%s %s: downloading %s: %s", w.Name, w.Version, redactURL(w.URL), err.Error()), locOf(reqs, w.Name))
}

// statusProbe fetches a download URL as a page (no checksum, not cached,
// at most a minute, the body bounded to 1 KiB: only the status matters)
// for explainFetchError.
func statusProbe(ctx context.Context, pf pageFetcher) func(url, secret string) error {
	return func(u, secret string) error {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		_, err := pf.fetch(ctx, u, secret, 1<<10, true)
		return err
	}
}

// fetchVertices maps the digest of each wheel's and sdist's fetch step
// (marshalled as the platform's graph marshals it) to the wheel.
func fetchVertices(ctx context.Context, gen *llbgen.Gen, t *llbgen.Target, wheels []llbgen.Wheel) map[string]llbgen.Wheel {
	out := map[string]llbgen.Wheel{}
	for _, w := range wheels {
		def, err := gen.FetchState(t, w).Marshal(ctx, llb.Platform(t.Platform))
		if err != nil {
			continue
		}
		for _, dt := range def.Def {
			var op pb.Op
			if proto.Unmarshal(dt, &op) == nil && op.GetSource() != nil {
				out[digest.FromBytes(dt).String()] = w
			}
		}
	}
	return out
}
