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
	// ABI names the pip cache with the build image's digest and the
	// platform.
	ABI string
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
	src := sdistSource(t, w)
	py := t.Build.python()
	args := []string{py, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "--no-input",
		"--wheel-dir", "/tmp/geolayer-wheel"}
	if sd.NoBuildIsolation {
		args = append(args, "--no-build-isolation")
	}
	args, ps := pipIndexes(args, sd.Indexes)
	args = append(args, "/src/"+sd.Filename)
	// pip names the wheel; check it is for the target (tags, extension
	// suffixes), then give it the name the graph expects.
	script := `set -e; "$@"; set -- /tmp/geolayer-wheel/*.whl; [ $# -eq 1 ] || { echo "geolayer: expected one wheel, pip built: $*" >&2; exit 1; }; ` +
		shellQuote(py) + ` -I -c ` + shellQuote(WheelCheck) + ` "$1" ` + shellQuote(w.Name) + `; mv "$1" /out/` + w.Filename
	opts := []llb.RunOption{
		llb.AddEnv("PIP_BREAK_SYSTEM_PACKAGES", "1"),
		llb.AddEnv("PIP_ROOT_USER_ACTION", "ignore"),
		llb.AddEnv("SOURCE_DATE_EPOCH", "315532800"),
		llb.AddMount("/src", src, llb.Readonly),
		llb.AddMount("/tmp", llb.Scratch()),
	}
	args, opts = pipAuth(py, args, opts, ps)
	timeout := t.BuildTimeout
	if timeout <= 0 {
		timeout = DefaultBuildTimeout
	}
	cacheID := fmt.Sprintf("geolayer-pip-build-%s-%s-%s", t.Build.Ref, platformString(t.Platform), sd.ABI)
	opts = append(opts, watched(py, timeout, "BUILD", "GEOLAYER_BUILD_TIMEOUT", append([]string{"/bin/sh", "-c", script, "build"}, args...)...)...)
	opts = append(opts,
		llb.AddMount("/root/.cache/pip", llb.Scratch(), llb.AsPersistentCacheDir(cacheID, llb.CacheMountShared)),
		t.name("BUILD %s %s from source with %s", w.Name, w.Version, py),
	)
	if g.SourceMap != nil && len(sd.Location) > 0 {
		opts = append(opts, g.SourceMap.Location(sd.Location))
	}
	run := stage.Run(opts...)
	return run.AddMount("/out", llb.Scratch())
}

// WheelCheck runs with the target's CPython on a wheel BUILD made (argv:
// the wheel, the package name) and refuses it unless every tag in its WHEEL
// file can be installed on that CPython and machine, and every extension
// module's suffix is that CPython's (EXT_SUFFIX, e.g.
// .cpython-313-aarch64-linux-gnu.so) or the stable ABI's (.abi3.so).
const WheelCheck = `import platform, re, sys, sysconfig, zipfile
whl, name = sys.argv[1:3]
ext = sysconfig.get_config_var("EXT_SUFFIX") or ""
cp = "cp%d%d" % sys.version_info[:2]
machine = platform.machine()
bad = []
with zipfile.ZipFile(whl) as z:
    names = z.namelist()
    meta = [n for n in names if n.count("/") == 1 and n.endswith(".dist-info/WHEEL")]
    if len(meta) != 1:
        sys.exit("geolayer: BUILD %s: the wheel pip built has %d .dist-info/WHEEL files" % (name, len(meta)))
    tags = [l.split(":", 1)[1].strip() for l in z.read(meta[0]).decode("utf-8", "replace").splitlines() if l.startswith("Tag:")]
    for tag in tags or ["(none)"]:
        parts = tag.split("-")
        if len(parts) != 3:
            bad.append("tag %s is malformed" % tag)
            continue
        py, abi, plat = parts
        okpy = py in (cp, "py3", "cp3") or (py.startswith("py3") and py[3:].isdigit() and int(py[3:]) <= sys.version_info[1])
        okabi = abi in (cp, "abi3", "none")
        okplat = plat == "any" or plat.endswith("_" + machine) and (plat.startswith("linux_") or plat.startswith("manylinux"))
        if not (okpy and okabi and okplat):
            bad.append("tag %s does not install on %s (%s, %s)" % (tag, cp, ext, machine))
    for n in names:
        base = n.rsplit("/", 1)[-1]
        m = re.search(r"(\.cpython-[0-9]+[a-z]*-[^./]+\.so)$", base)
        if m and m.group(1) != ext:
            bad.append("%s is an extension module for %s, not %s" % (n, m.group(1), ext))
if bad:
    sys.exit("geolayer: BUILD %s: the wheel pip built is not for the target's CPython (%s %s, %s):\n  " % (name, sys.implementation.name, platform.python_version(), machine) + "\n  ".join(bad))
print("geolayer: BUILD %s: %s checked: tags %s, extension modules %s" % (name, whl.rsplit("/", 1)[-1], " ".join(tags), ext))
`

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// sdistSource downloads w's sdist by its sha256.
func sdistSource(t *Target, w Wheel) llb.State {
	opts := []llb.HTTPOption{
		llb.Checksum(digest.NewDigestFromEncoded(digest.SHA256, w.Sdist.SHA256)),
		llb.Filename(w.Sdist.Filename),
		t.name("fetch %s %s (sdist)", w.Name, w.Version),
	}
	if w.AuthSecret != "" {
		opts = append(opts, llb.AuthHeaderSecret(w.AuthSecret))
	}
	return llb.HTTP(w.Sdist.URL, opts...)
}
