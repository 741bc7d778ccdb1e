package frontend

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/geolayer/geolayer/llbgen"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
)

// watchSolver answers each watch's solve as told: fail at once, or block
// until the solve's context ends.
type watchSolver struct{ failFast bool }

func (s watchSolver) Solve(ctx context.Context, _ client.SolveRequest) (*client.Result, error) {
	if s.failFast {
		return nil, errors.New("frontend grpc server closed unexpectedly")
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func watchedLayer() *llbgen.Layer {
	w := llbgen.Wheel{Name: "glf-slow", Version: "1.0.0", URL: "https://files.example/glf_slow-1.0.0-py3-none-any.whl"}
	return &llbgen.Layer{Packages: []*llbgen.Package{{Wheel: w, Downloaded: llb.Scratch().File(llb.Mkdir("/w", 0o755))}}}
}

// A watch that ends early for a reason other than its deadline (a lost
// connection, say) must not leave the download unbounded: the limit still
// cancels the result and names the download. A watch that runs into its
// deadline does the same.
func TestDownloadWatchLimitHoldsWhenTheWatchFails(t *testing.T) {
	for _, failFast := range []bool{true, false} {
		start := time.Now()
		rctx, stop := downloadWatches(context.Background(), watchSolver{failFast: failFast}, nil,
			ocispecs.Platform{OS: "linux", Architecture: "amd64"}, watchedLayer(), 300*time.Millisecond, nil)
		select {
		case <-rctx.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("failFast=%v: the result was not cancelled at the limit", failFast)
		}
		if d := time.Since(start); d < 300*time.Millisecond {
			t.Errorf("failFast=%v: cancelled after %s, before the limit", failFast, d)
		}
		err := stop()
		if err == nil || !strings.Contains(err.Error(), "glf-slow 1.0.0: downloading https://files.example/glf_slow-1.0.0-py3-none-any.whl did not complete within 300ms") {
			t.Errorf("failFast=%v: stop() = %v", failFast, err)
		}
	}
	// A result that finishes first ends the watches without an error.
	_, stop := downloadWatches(context.Background(), watchSolver{failFast: true}, nil,
		ocispecs.Platform{OS: "linux", Architecture: "amd64"}, watchedLayer(), time.Hour, nil)
	done := make(chan error)
	go func() { done <- stop() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("stop() after the result = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stop() waited for the limit")
	}
}
