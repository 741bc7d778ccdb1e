package frontend

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// causeDaemon answers the explanation run: it checks the rerun is the
// failed step with the cause mount, and serves the cause file.
type causeDaemon struct {
	fakeDaemon
	cause string
	seen  *pb.ExecOp
}

func (f *causeDaemon) Solve(_ context.Context, req client.SolveRequest) (*client.Result, error) {
	last := req.Definition.Def[len(req.Definition.Def)-1]
	var term pb.Op
	if err := term.UnmarshalVT(last); err != nil {
		return nil, err
	}
	for _, dt := range req.Definition.Def {
		if digest.FromBytes(dt).String() == term.Inputs[0].Digest {
			var op pb.Op
			if err := op.UnmarshalVT(dt); err != nil {
				return nil, err
			}
			f.seen = op.GetExec()
		}
	}
	res := client.NewResult()
	res.SetRef(&fakeDaemonRef{files: map[string]string{helperapi.CauseFile: f.cause}})
	return res, nil
}

func TestExplainStepReadsTheHelpersCause(t *testing.T) {
	// The helper's own steps, and BYTECODE's, which mounts it in the
	// build image.
	for _, bin := range []string{helperapi.Binary, "/geolayer-helper" + helperapi.Binary} {
		explainHelperCause(t, bin)
	}
}

func explainHelperCause(t *testing.T, bin string) {
	src := []byte("TARGET aws-lambda python3.13\nREQUIRE glf-evil==1.0.0\n")
	sm := llb.NewSourceMap(nil, "Geolayerfile", "Geolayerfile", src)
	loc := []*pb.Range{{Start: &pb.Position{Line: 2}, End: &pb.Position{Line: 2}}}
	run := llb.Image("example.com/helper").Run(
		llb.Args(helperapi.Argv(bin, helperapi.Install{Wheel: "/in/x.whl", Root: "/out", SitePackages: ".", Meta: "/meta/x.json"})),
		llb.WithCustomName("[linux/amd64] install glf-evil 1.0.0"),
		sm.Location(loc),
	)
	st := run.AddMount("/out", llb.Scratch())
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pbdef := def.ToPB()
	var failed digest.Digest
	for _, dt := range pbdef.Def {
		var op pb.Op
		if op.UnmarshalVT(dt) == nil && op.GetExec() != nil {
			failed = digest.FromBytes(dt)
		}
	}
	buildErr := errdefs.WrapVertex(&gwpb.ExitError{ExitCode: 1, Err: fmt.Errorf(`process "/geolayer helper install" did not complete successfully: exit code: 1`)}, failed)
	f := &causeDaemon{cause: "install x.whl: unsafe wheel entry \"../../evil.py\": path contains '..'\n"}
	got := explainStep(context.Background(), f, pbdef, buildErr)
	if want := `[linux/amd64] install glf-evil 1.0.0: install x.whl: unsafe wheel entry "../../evil.py": path contains '..'`; got.Error() != want {
		t.Fatalf("error %q, want %q", got, want)
	}
	var le *parser.LocationError
	if !asLocation(got, &le) || len(le.Locations) == 0 || le.Locations[0][0].Start.Line != 2 {
		t.Errorf("error %v is not located at line 2", got)
	}
	if f.seen == nil {
		t.Fatal("the rerun's result is not the failed step")
	}
	if !slices.Contains(f.seen.Meta.Env, helperapi.CauseFileEnv+"="+helperapi.CauseDir+"/"+helperapi.CauseFile) || len(f.seen.Meta.ValidExitCodes) != 256 ||
		!slices.ContainsFunc(f.seen.Mounts, func(m *pb.Mount) bool { return m.Dest == helperapi.CauseDir }) {
		t.Errorf("the rerun lacks the cause variable, mount or exit codes: %+v", f.seen)
	}

	// Not a helper step, or no exit code: the error is left alone.
	for _, e := range []error{errdefs.WrapVertex(fmt.Errorf("failed to load cache key: invalid response status 404"), failed), fmt.Errorf("plain")} {
		if got := explainStep(context.Background(), f, pbdef, e); got != e {
			t.Errorf("%v became %v", e, got)
		}
	}
	other := llb.Image("example.com/runtime").Run(llb.Args([]string{"/bin/sh", "-c", "exit 3"})).Root()
	odef, err := other.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, dt := range odef.ToPB().Def {
		var op pb.Op
		if op.UnmarshalVT(dt) == nil && op.GetExec() != nil {
			e := errdefs.WrapVertex(&gwpb.ExitError{ExitCode: 3}, digest.FromBytes(dt))
			if got := explainStep(context.Background(), f, odef.ToPB(), e); got != e || !strings.Contains(got.Error(), "exit code: 3") {
				t.Errorf("a user command's failure became %v", got)
			}
		}
	}
}

func asLocation(err error, le **parser.LocationError) bool {
	for err != nil {
		if x, ok := err.(*parser.LocationError); ok {
			*le = x
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// A failed RUN, BUILD or TEST (each run by llbgen.ExecWatchdog) is
// worded from its exit code at its line, never as the watchdog's command
// line: a timeout names the limit and the build arg, a crash signal is
// named as one, a TEST's output is its traceback; nothing is rerun.
func TestExplainStepWordsWatchedSteps(t *testing.T) {
	const py = "/var/lang/bin/python3.13"
	for _, c := range []struct {
		src, name string
		line      int32
		args      []string
		want      map[uint32]string
	}{{
		src: "TARGET aws-lambda python3.13\nREQUIRE x==1\nRUN sleep 60\n", name: "[linux/amd64] RUN sleep 60", line: 3,
		args: []string{py, "-I", "/.geolayer-watchdog/watchdog.py", "5", "RUN", "GEOLAYER_RUN_TIMEOUT", "/bin/sh", "-c", "sleep 60"},
		want: map[uint32]string{
			124: "[linux/amd64] RUN sleep 60: timed out after 5s and was killed (the build arg GEOLAYER_RUN_TIMEOUT=<seconds> changes the limit); its output is above",
			137: "[linux/amd64] RUN sleep 60: killed by SIGKILL (signal 9); its output is above",
			100: "[linux/amd64] RUN sleep 60: failed with exit code 100; its output is above",
		},
	}, {
		src: "TARGET aws-lambda python3.13\nTEST import glf\n", name: "[linux/arm64] TEST import glf", line: 2,
		args: []string{py, "-I", "/.geolayer-watchdog/watchdog.py", "600", "TEST", "GEOLAYER_TEST_TIMEOUT", py, "-I", "-c", "import glf"},
		want: map[uint32]string{
			124: "[linux/arm64] TEST import glf: timed out after 600s and was killed (the build arg GEOLAYER_TEST_TIMEOUT=<seconds> changes the limit); its output (the traceback) is above",
			139: "[linux/arm64] TEST import glf: killed by SIGSEGV (signal 11): a crash in native code (an extension or a library it loads); its output (the traceback) is above",
			1:   "[linux/arm64] TEST import glf: failed with exit code 1; its output (the traceback) is above",
		},
	}} {
		sm := llb.NewSourceMap(nil, "Geolayerfile", "Geolayerfile", []byte(c.src))
		loc := []*pb.Range{{Start: &pb.Position{Line: c.line}, End: &pb.Position{Line: c.line}}}
		st := llb.Image("example.com/runtime").Run(llb.Args(c.args), llb.WithCustomName(c.name), sm.Location(loc)).Root()
		def, err := st.Marshal(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var failed digest.Digest
		for _, dt := range def.ToPB().Def {
			var op pb.Op
			if op.UnmarshalVT(dt) == nil && op.GetExec() != nil {
				failed = digest.FromBytes(dt)
			}
		}
		f := &causeDaemon{}
		for code, want := range c.want {
			e := errdefs.WrapVertex(&gwpb.ExitError{ExitCode: code, Err: fmt.Errorf(`process %q did not complete successfully: exit code: %d`, strings.Join(c.args, " "), code)}, failed)
			got := explainStep(context.Background(), f, def.ToPB(), e)
			if got.Error() != want {
				t.Errorf("exit %d: %q, want %q", code, got, want)
			}
			var le *parser.LocationError
			if !asLocation(got, &le) || le.Locations[0][0].Start.Line != int(c.line) {
				t.Errorf("exit %d: not located at line %d: %v", code, c.line, got)
			}
		}
		if f.seen != nil {
			t.Errorf("%s was rerun", c.name)
		}
	}
}
