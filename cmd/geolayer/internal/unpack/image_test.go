package unpack

import (
	"context"
	"errors"
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestLoopbackRegistry(t *testing.T) {
	for reg, want := range map[string]bool{
		"127.0.0.1:5000": true, "localhost:5000": true, "localhost": true, "[::1]:5000": true, "127.1.2.3": true,
		"public.ecr.aws": false, "localhost.example.com": false, "10.0.0.1:5000": false, "index.docker.io": false,
	} {
		if got := loopbackRegistry(reg); got != want {
			t.Errorf("loopbackRegistry(%q) = %v", reg, got)
		}
	}
}

func TestPullRootfsBadReference(t *testing.T) {
	_, err := PullRootfs(context.Background(), "Bad Ref!!", ocispecs.Platform{OS: "linux", Architecture: "amd64"}, false, t.TempDir(), 1<<20, "test")
	var re *ReferenceError
	if !errors.As(err, &re) || re.Ref != "Bad Ref!!" || !strings.HasPrefix(err.Error(), `image reference "Bad Ref!!": `) {
		t.Errorf("want a ReferenceError, got %v", err)
	}
}
