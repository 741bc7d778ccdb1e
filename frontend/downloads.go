package frontend

// Download time limits. Wheels and sdists are BuildKit HTTP sources: the
// daemon downloads them with its own proxy settings and CA trust, keyed by
// their sha256, and a daemon importing a cache never fetches a file whose
// dependants are cached. BuildKit bounds only the connection (the Go
// transport's 30 s dial timeout); a server that accepts the connection and
// then stalls would hold the build until it is cancelled.
//
// So each download has a watch: llbgen's Package.Downloaded, an empty state
// that reads the download and takes nothing from it, part of the layer's
// gate. The frontend solves every watch on its own, beside the platform's
// result, each with the limit as its deadline. The watch shares the
// download's vertex with the result, so solving it costs nothing extra: a
// download in flight is the same download, a cached one (or a watch found in
// an imported cache) answers at once without fetching the file. When a
// watch's deadline passes first, the build stops with the package, its URL,
// the limit and its REQUIRE line. Any other failure of a watch is left to the
// result's solve, which explains download failures (explainFetchError).

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/geolayer/geolayer/llbgen"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
)

// DefaultDownloadTimeout bounds each wheel or sdist download, from the
// moment the platform's build starts (queueing on a busy builder counts).
const DefaultDownloadTimeout = 600 * time.Second

// downloadTimeout reads GEOLAYER_DOWNLOAD_TIMEOUT (seconds).
func downloadTimeout(args map[string]string) (time.Duration, error) {
	v := args["GEOLAYER_DOWNLOAD_TIMEOUT"]
	if v == "" {
		return DefaultDownloadTimeout, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, errors.Errorf("invalid build arg GEOLAYER_DOWNLOAD_TIMEOUT=%q: want a positive number of seconds", v)
	}
	return time.Duration(n) * time.Second, nil
}

// solver is the part of the gateway client the watches use.
type solver interface {
	Solve(ctx context.Context, req client.SolveRequest) (*client.Result, error)
}

// downloadWatches solves each package's watch under limit (with the build's
// cache imports, like every other solve) while the caller
// solves the result with the returned context, which is cancelled when a
// watch runs out of time. stop ends the watches that are left and returns
// the timeout error when there was one (the caller returns it instead of
// the result's "context canceled").
func downloadWatches(ctx context.Context, c solver, imports []client.CacheOptionsEntry, plat ocispecs.Platform, layer *llbgen.Layer, limit time.Duration, reqs []*requirement) (context.Context, func() error) {
	wctx, cancelResult := context.WithCancel(ctx)
	watchCtx, cancelWatches := context.WithCancel(ctx)
	var (
		mu       sync.Mutex
		timedOut error
		wg       sync.WaitGroup
	)
	for _, p := range layer.Packages {
		if p.Wheel.URL == "" && p.Wheel.Sdist == nil {
			continue // the vendored libraries download nothing
		}
		w := p.Wheel
		def, err := p.Downloaded.Marshal(ctx, llb.Platform(plat))
		if err != nil {
			continue // the result's own Marshal reports it
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			dctx, cancel := context.WithTimeout(watchCtx, limit)
			defer cancel()
			_, err := c.Solve(dctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: imports, Evaluate: true})
			if err == nil || watchCtx.Err() != nil {
				return // downloaded (or cached), or the result is done
			}
			if dctx.Err() == nil {
				// The watch failed before its deadline without the
				// result being done: a failed download fails the result
				// soon and ends the watches; anything else must not
				// leave the download unbounded, so the limit still holds.
				fmt.Fprintf(os.Stderr, "geolayer frontend: the download watch of %s %s ended early: %v\n", w.Name, w.Version, err)
				<-dctx.Done()
				if watchCtx.Err() != nil {
					return
				}
			}
			mu.Lock()
			if timedOut == nil {
				timedOut = downloadTimedOut(w, limit, reqs)
				cancelResult()
			}
			mu.Unlock()
		}()
	}
	return wctx, func() error {
		cancelWatches()
		wg.Wait()
		cancelResult()
		mu.Lock()
		defer mu.Unlock()
		return timedOut
	}
}

// downloadTimedOut words a download that ran out of time, at the line that
// requires its package.
func downloadTimedOut(w llbgen.Wheel, limit time.Duration, reqs []*requirement) error {
	u, what := w.URL, "downloading"
	if w.Sdist != nil {
		u, what = w.Sdist.URL, "downloading the sdist"
	}
	return located(errors.Errorf("%s %s: %s %s did not complete within %s (the server stopped sending, or the network is too slow for the file; the build arg GEOLAYER_DOWNLOAD_TIMEOUT=<seconds> changes the limit)",
		w.Name, w.Version, what, redactURL(u), limit), locOf(reqs, w.Name))
}
