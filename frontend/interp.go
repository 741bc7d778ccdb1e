package frontend

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	"github.com/geolayer/geolayer/frontend/profile"
	"github.com/geolayer/geolayer/llbgen"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
)

// The images a build runs Python in, and what each must offer.
type imageRole struct {
	what    string // "runtime image", "build image"
	ref     string // the profile's (or TARGET's) name for it
	python  string // the profile's interpreter path, or profile.PythonOnPath
	needPip bool
	// rt is the runtime whose image it is (nil: the plan's first).
	rt *profile.Runtime
}

// pythonFacts is what the probe found in an image (probeScript).
type pythonFacts struct {
	Found          bool   `json:"found"`
	Path           string `json:"path"`    // the interpreter, resolved on PATH if named bare
	OnPath         string `json:"on_path"` // python3 on the image's PATH, when Path was not found
	Error          string `json:"error"`   // the interpreter did not run
	Executable     string `json:"executable"`
	Implementation string `json:"implementation"`
	Version        string `json:"version"` // "3.13.1"
	Major          int    `json:"major"`
	Minor          int    `json:"minor"`
	SOABI          string `json:"soabi"` // "cpython-313-aarch64-linux-gnu"
	ExtSuffix      string `json:"ext_suffix"`
	Machine        string `json:"machine"`
	Pip            bool   `json:"pip"`
}

// probeScript runs in the image with its config applied ($1: the
// interpreter, a path or a bare name to find on the image's PATH) and
// always writes /out/python.json, so that a missing or wrong interpreter
// becomes an error the frontend words, not a failed step.
const probeScript = `py=$1; out=${GEOLAYER_PROBE_OUT:-/out/python.json}
case "$py" in /*) [ -x "$py" ] || py= ;; *) py=$(command -v "$py" 2>/dev/null) || py= ;; esac
if [ -z "$py" ]; then
  printf '{"found":false,"on_path":"%s"}' "$(command -v python3 2>/dev/null | tr -d '"\\')" >"$out"; exit 0
fi
"$py" -I -c "$2" "$py" >"$out" 2>/tmp/geolayer-probe.err && exit 0
printf '{"found":true,"path":"%s","error":"%s"}' "$py" "$(head -c 400 /tmp/geolayer-probe.err | tr -d '"\\' | tr '\n' ' ')" >"$out"
`

// probePython is the Python half of the probe.
const probePython = `import importlib.util, json, platform, sys, sysconfig
print(json.dumps({"found": True, "path": sys.argv[1], "executable": sys.executable,
  "implementation": sys.implementation.name, "version": platform.python_version(),
  "major": sys.version_info[0], "minor": sys.version_info[1],
  "soabi": sysconfig.get_config_var("SOABI") or "", "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX") or "",
  "machine": platform.machine(), "pip": importlib.util.find_spec("pip") is not None}))
`

// probeState runs the probe in img for platform p.
func probeState(gen *llbgen.Gen, img llbgen.Image, p ocispecs.Platform, python, what string, noCache bool) llb.State {
	opts := []llb.RunOption{
		llb.Args([]string{"/bin/sh", "-c", probeScript, "geolayer-probe", python, probePython}),
		llb.Network(pb.NetMode_NONE),
		llb.WithCustomName(fmt.Sprintf("[%s] check the %s's Python (%s)", platforms.Format(p), what, python)),
	}
	if noCache {
		opts = append(opts, llb.IgnoreCache)
	}
	return gen.ConfiguredImage(img, p).Run(opts...).AddMount("/out", llb.Scratch())
}

// checkPython verifies what the probe found against the target: CPython of
// the runtime's version and ABI, for the machine the step runs on (pip too
// where the step needs it). The error names the image and what it has.
func checkPython(f pythonFacts, role imageRole, pinned string, rt *profile.Runtime, p ocispecs.Platform) error {
	want := fmt.Sprintf("the target's CPython %s (%s, %s)", rt.PythonVersion, rt.ABI, profile.ELFMachine(p.Architecture))
	where := fmt.Sprintf("%s %s, %s: the %s %s", rt.Profile, rt.Name, platforms.Format(p), role.what, imageName(role.ref, pinned))
	if !f.Found {
		msg := fmt.Sprintf("%s has no %s, %s", where, role.python, want)
		if role.python == profile.PythonOnPath {
			msg = fmt.Sprintf("%s has no python3 on its PATH; it needs %s", where, want)
		} else if f.OnPath != "" {
			msg += fmt.Sprintf("; python3 on its PATH is %s, which is not used", f.OnPath)
		}
		return errors.New(msg)
	}
	if f.Error != "" {
		return errors.Errorf("%s: %s does not run: %s", where, f.Path, strings.TrimSpace(f.Error))
	}
	var bad []string
	if f.Implementation != "cpython" {
		bad = append(bad, "implementation "+f.Implementation)
	}
	if strconv.Itoa(f.Major)+"."+strconv.Itoa(f.Minor) != rt.PythonVersion {
		bad = append(bad, "version "+f.Version)
	}
	if !strings.HasPrefix(f.SOABI, "cpython-"+strings.TrimPrefix(rt.ABI, "cp")+"-") {
		bad = append(bad, "ABI "+f.SOABI)
	}
	if m := profile.ELFMachine(p.Architecture); m != "" && f.Machine != m {
		bad = append(bad, "machine "+f.Machine)
	}
	if len(bad) > 0 {
		return errors.Errorf("%s has %s %s at %s (%s), not %s", where, f.Implementation, f.Version, f.Path, strings.Join(bad, ", "), want)
	}
	if role.needPip && !f.Pip {
		return errors.Errorf("%s: its CPython %s at %s has no pip, which BUILD and pip's resolver need", where, f.Version, f.Path)
	}
	return nil
}

func imageName(ref, pinned string) string {
	if _, dgst, ok := strings.Cut(pinned, "@"); ok && !strings.Contains(ref, "@") {
		return ref + " (" + dgst + ")"
	}
	return ref
}

// imageResolver is the part of the gateway client that resolves images and
// solves the probe; a fake stands for it in unit tests.
type imageResolver interface {
	// image pins ref for p and returns it with its config applied.
	image(ctx context.Context, ref string, p ocispecs.Platform) (llbgen.Image, error)
	// probe runs the probe in img and returns what it found.
	probe(ctx context.Context, img llbgen.Image, p ocispecs.Platform, python, what string) (pythonFacts, error)
}

// gatewayImages resolves through BuildKit.
type gatewayImages struct {
	c       client.Client
	bc      *dockerui.Client
	gen     *llbgen.Gen
	noCache bool
	// solved are the steps solved on their own to read their output (the
	// probes here; the resolve step adds pip's resolution): the layer's
	// result must depend on them (llbgen.Require) for an exported cache
	// to hold them.
	solved []solvedStep
}

type solvedStep struct {
	st   llb.State
	what string
}

func (g *gatewayImages) image(ctx context.Context, ref string, p ocispecs.Platform) (llbgen.Image, error) {
	cfg, pinned, err := resolveImage(ctx, g.c, ref, p)
	if err != nil {
		return llbgen.Image{}, err
	}
	return llbgen.Image{Ref: pinned, Env: cfg.Config.Env, WorkingDir: cfg.Config.WorkingDir, User: cfg.Config.User}, nil
}

func (g *gatewayImages) probe(ctx context.Context, img llbgen.Image, p ocispecs.Platform, python, what string) (pythonFacts, error) {
	var f pythonFacts
	st := probeState(g.gen, img, p, python, what, g.noCache)
	def, err := st.Marshal(ctx, llb.Platform(p))
	if err != nil {
		return f, err
	}
	g.solved = append(g.solved, solvedStep{st, "the " + what + "'s Python check"})
	res, err := g.c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: g.bc.CacheImports, Evaluate: true})
	if err != nil {
		return f, errors.Wrapf(err, "checking the Python of %s", img.Ref)
	}
	ref, err := res.SingleRef()
	if err != nil {
		return f, err
	}
	dt, err := ref.ReadFile(ctx, client.ReadRequest{Filename: "/python.json"})
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(dt, &f); err != nil {
		return f, errors.Wrapf(err, "reading what the Python probe found in %s", img.Ref)
	}
	return f, nil
}

// checkedImage pins an image, applies its config and, when a step will run
// Python in it, finds and checks the interpreter; the result names it by
// its path. Errors point at TARGET.
func checkedImage(ctx context.Context, ir imageResolver, pl *plan, role imageRole, p ocispecs.Platform, runsPython bool) (llbgen.Image, error) {
	loc := pl.spec.Target.Location()
	rt := role.rt
	if rt == nil {
		rt = pl.runtime
	}
	img, err := ir.image(ctx, role.ref, p)
	if err != nil {
		return img, located(err, loc)
	}
	if !runsPython {
		return img, nil
	}
	if role.python == "" {
		return img, located(errors.Errorf("%s %s: the %s %s has no CPython %s of the runtime (%s); BUILD, BYTECODE and unpinned requirements need one: name an image that has CPython %s with pip, e.g. TARGET ... --build-image=<image>",
			rt.Profile, rt.Name, role.what, role.ref, rt.PythonVersion, profileBuildNote(rt), rt.PythonVersion), loc)
	}
	f, err := ir.probe(ctx, img, p, role.python, role.what)
	if err != nil {
		return img, located(err, loc)
	}
	if f.Path != "" {
		f.Path = path.Clean(f.Path) // PATH entries may end in "/" (Lambda's /usr/bin/)
	}
	if err := checkPython(f, role, img.Ref, rt, p); err != nil {
		return img, located(err, loc)
	}
	img.Python = f.Path
	return img, nil
}

func profileBuildNote(rt *profile.Runtime) string {
	if rt.Profile == "gcp-functions" {
		return "the buildpacks stack image carries the operating system's Python, and the buildpacks install the runtime's at build time"
	}
	return "none is known in it"
}

func runtimeRole(rt *profile.Runtime) imageRole {
	return imageRole{what: "runtime image", ref: rt.RuntimeImage, python: rt.Python, rt: rt}
}

func buildRole(rt *profile.Runtime, needPip bool) imageRole {
	return imageRole{what: "build image", ref: rt.BuildImage, python: rt.BuildPython, needPip: needPip, rt: rt}
}
