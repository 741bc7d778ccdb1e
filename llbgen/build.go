package llbgen

import (
	"fmt"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// Sdist is a source distribution to compile (BUILD).
type Sdist struct {
	Filename string
	URL      string
	SHA256   string
	// Indexes serve the build dependencies (PEP 517 build isolation).
	Indexes []Index
	// BuildImageRef is the build image pinned by digest; it names the pip
	// cache with the platform and the ABI.
	BuildImageRef string
	ABI           string
	// NoBuildIsolation builds with the build stage's own Python packages
	// (BUILD --no-build-isolation), e.g. numpy and Cython a RUN installed.
	NoBuildIsolation bool
	// Location is the BUILD line that asks for it, for failures.
	Location []*pb.Range
}

// WheelFilename is the name given to the wheel compiled from an sdist for
// a platform: the CPython ABI and the plain linux tag of the architecture
// (what pip builds; the static check, not the tag, decides whether it
// loads on the runtime).
func WheelFilename(name, version, abi, arch string) string {
	n := strings.ReplaceAll(name, "-", "_")
	return fmt.Sprintf("%s-%s-%s-%s-linux_%s.whl", n, version, abi, abi, arch)
}

// buildWheel fetches the sdist by hash and compiles it with pip inside the
// build stage (the profile's build image after RUN) for the target platform
// (emulated when foreign),
// build dependencies from the same indexes, with a pip cache per build
// image digest, platform and ABI. The state holds /<w.Filename>.
func (g *Gen) buildWheel(t *Target, w Wheel, stage llb.State) llb.State {
	sd := w.Sdist
	src := llb.HTTP(sd.URL,
		llb.Checksum(digest.NewDigestFromEncoded(digest.SHA256, sd.SHA256)),
		llb.Filename(sd.Filename),
		t.name("fetch %s %s (sdist)", w.Name, w.Version),
	)
	args := []string{"python3", "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "--no-input",
		"--wheel-dir", "/tmp/geolayer-wheel"}
	if sd.NoBuildIsolation {
		args = append(args, "--no-build-isolation")
	}
	args, ps := pipIndexes(args, sd.Indexes)
	args = append(args, "/src/"+sd.Filename)
	// pip names the wheel; give it the name the graph expects.
	script := `set -e; "$@"; set -- /tmp/geolayer-wheel/*.whl; [ $# -eq 1 ] || { echo "geolayer: expected one wheel, pip built: $*" >&2; exit 1; }; mv "$1" /out/` + w.Filename
	opts := []llb.RunOption{
		llb.AddEnv("PIP_BREAK_SYSTEM_PACKAGES", "1"),
		llb.AddEnv("PIP_ROOT_USER_ACTION", "ignore"),
		llb.AddEnv("SOURCE_DATE_EPOCH", "315532800"),
		llb.AddMount("/src", src, llb.Readonly),
		llb.AddMount("/tmp", llb.Scratch()),
	}
	args, opts = pipAuth(args, opts, ps)
	cacheID := fmt.Sprintf("geolayer-pip-build-%s-%s-%s", sd.BuildImageRef, platformString(t.Platform), sd.ABI)
	opts = append(opts,
		llb.Args(append([]string{"sh", "-c", script, "build"}, args...)),
		llb.AddMount("/root/.cache/pip", llb.Scratch(), llb.AsPersistentCacheDir(cacheID, llb.CacheMountShared)),
		t.name("BUILD %s %s from source", w.Name, w.Version),
	)
	if g.SourceMap != nil && len(sd.Location) > 0 {
		opts = append(opts, g.SourceMap.Location(sd.Location))
	}
	run := stage.Run(opts...)
	return run.AddMount("/out", llb.Scratch())
}
