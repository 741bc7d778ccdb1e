package llbgen

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/moby/buildkit/client/llb"
)

// PipReport is where Resolve writes pip's installation report.
const PipReport = "/report.json"

// Index is a package index and, for a private one, the BuildKit secret that
// holds its HTTP Authorization header value.
type Index struct {
	URL    string
	Secret string
}

// pipAuthWrapper runs pip with credentials added to the index URLs named in
// $GEOLAYER_PIP_AUTH ({"<argument index>": "<secret file>"}). The secret
// files hold an Authorization header value; pip takes Basic credentials in
// the URL, and redacts them in what it prints. The values exist only in this
// process's memory: not in the graph, the cache key or any output.
const pipAuthWrapper = `import base64, json, os, sys, urllib.parse
args = sys.argv[1:]
for i, f in json.loads(os.environ.pop("GEOLAYER_PIP_AUTH")).items():
    v = open(f).read().strip()
    scheme, _, cred = v.partition(" ")
    if scheme.lower() != "basic":
        sys.exit("geolayer: the index secret for pip must be a Basic Authorization header value (Basic <base64 of user:password>)")
    user, _, pw = base64.b64decode(cred).decode().partition(":")
    u = urllib.parse.urlsplit(args[int(i)])
    netloc = urllib.parse.quote(user, safe="") + ":" + urllib.parse.quote(pw, safe="") + "@" + u.netloc
    args[int(i)] = urllib.parse.urlunsplit(u._replace(netloc=netloc))
os.execvp(args[0], args)
`

// Resolve runs pip's resolver (no install) inside the build image on the
// build host's own architecture, asking for wheels of the target platform:
// --platform for every acceptable manylinux tag, --python-version,
// --implementation, --abi, --only-binary. The state holds pip's JSON report.
// indexes[0] is the primary index.
// constraints are -c lines for pip (they restrict versions, never add
// names); pre lets pip choose pre-releases (--pre).
func (g *Gen) Resolve(t *Target, abi string, platformTags []string, indexes []Index, requirements, constraints []string, pre bool) llb.State {
	req := strings.Join(requirements, "\n") + "\n"
	in := llb.Scratch().File(llb.Mkfile("/requirements.txt", 0o644, []byte(req)), llb.WithCustomName("[internal] write requirements for pip"))
	if len(constraints) > 0 {
		in = in.File(llb.Mkfile("/constraints.txt", 0o644, []byte(strings.Join(constraints, "\n")+"\n")), llb.WithCustomName("[internal] write constraints for pip"))
	}
	py := t.BuildHost.python()
	args := []string{py, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
		"--disable-pip-version-check", "--no-input",
		"--report", "/out" + PipReport, "--target", "/tmp/geolayer-resolve",
		"--only-binary=:all:", "--implementation", "cp",
		"--python-version", strings.TrimPrefix(abi, "cp"), "--abi", abi}
	args, pipOpts := pipIndexes(args, indexes)
	for _, p := range platformTags {
		args = append(args, "--platform", p)
	}
	if len(constraints) > 0 {
		args = append(args, "-c", "/in/constraints.txt")
	}
	if pre {
		args = append(args, "--pre")
	}
	args = append(args, "-r", "/in/requirements.txt")
	opts := []llb.RunOption{
		llb.AddEnv("PIP_BREAK_SYSTEM_PACKAGES", "1"),
		llb.AddEnv("PIP_ROOT_USER_ACTION", "ignore"),
		llb.AddMount("/in", in, llb.Readonly),
	}
	args, opts = pipAuth(py, args, opts, pipOpts)
	cacheID := fmt.Sprintf("geolayer-pip-%s-%s-%s", t.BuildHost.Ref, platformString(t.BuildPlatform), abi)
	opts = append(opts,
		llb.Args(args),
		llb.AddMount("/root/.cache/pip", llb.Scratch(), llb.AsPersistentCacheDir(cacheID, llb.CacheMountShared)),
		t.name("resolve requirements with pip for %s (%s)", abi, py),
	)
	run := g.ConfiguredImage(t.BuildHost, t.BuildPlatform).Run(opts...)
	return run.AddMount("/out", llb.Scratch())
}

// pipIndexes appends the index flags to a pip command line and returns the
// mounts and environment a private index needs (see pipAuth).
func pipIndexes(args []string, indexes []Index) ([]string, *pipSecrets) {
	ps := &pipSecrets{auth: map[string]string{}}
	for i, ix := range indexes {
		flag := "--extra-index-url"
		if i == 0 {
			flag = "--index-url"
		}
		args = append(args, flag, ix.URL)
		if ix.Secret != "" {
			file := "/run/geolayer/index-secret-" + strconv.Itoa(i)
			ps.auth[strconv.Itoa(len(args)-1)] = file
			ps.mounts = append(ps.mounts, llb.AddSecret(file, llb.SecretID(ix.Secret), llb.SecretFileOpt(0, 0, 0o400)))
		}
	}
	return args, ps
}

type pipSecrets struct {
	auth   map[string]string // argument position -> secret file
	mounts []llb.RunOption
}

// pipAuth wraps a pip command line so private indexes get their
// credentials at run time (pipAuthWrapper), mounting the secrets.
func pipAuth(python string, args []string, opts []llb.RunOption, ps *pipSecrets) ([]string, []llb.RunOption) {
	if len(ps.auth) == 0 {
		return args, opts
	}
	// The wrapper's sys.argv[1:] is args, so positions stay as they are.
	js, _ := json.Marshal(ps.auth)
	args = append([]string{python, "-c", pipAuthWrapper}, args...)
	opts = append(opts, llb.AddEnv("GEOLAYER_PIP_AUTH", string(js)))
	return args, append(opts, ps.mounts...)
}
