package frontend

import (
	"context"
	"fmt"
	"path"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/geolayer/geolayer/llbgen"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"
)

// maxCauseBytes bounds the cause a helper step writes. The cause file's
// variable, folder and name (helperapi.CauseFileEnv, CauseDir, CauseFile)
// are the helper's contract.
const maxCauseBytes = 8 << 10

// explainStep turns a failed helper step into an error that states its
// cause. BuildKit reports a failed process by its command line only
// (`process "/geolayer helper install --api=1 --wheel=..." did not complete
// successfully: exit code: 1`); the helper's explanation is in the step's
// log, which buildx may cut. So, when a helper step of def exits with an
// error, the frontend runs that same step once more with a scratch mount
// where the helper writes its error, and every exit code accepted, and
// reads the cause back. The rerun has the same inputs, so the helper
// refuses the same input the same way (a refusal is deterministic; the
// rerun is cached like any step). It happens only on the failure path.
//
// The result names the step (its progress name, e.g. "[linux/amd64]
// install glf-evil 1.0.0"), the cause, and carries the step's Geolayerfile
// location from def's source map. Anything else (not a helper step, not an
// exit error, the rerun failing) returns err unchanged.
func explainStep(ctx context.Context, c client.Client, def *pb.Definition, err error) error {
	var ve *errdefs.VertexError
	var exit *gwpb.ExitError
	if def == nil || !errors.As(err, &ve) || ve.Vertex == nil || !errors.As(err, &exit) {
		return err
	}
	if caps := c.BuildOpts().LLBCaps; caps.Supports(pb.CapExecValidExitCode) != nil {
		return err
	}
	failed := digest.Digest(ve.Digest)
	step := ""
	if md, ok := def.Metadata[failed.String()]; ok {
		step = md.Description["llb.customname"]
	}
	if exec := execOf(def, failed); exec != nil && exec.Meta != nil {
		if limit, arg, ok := llbgen.Watchdog(exec.Meta.Args); ok {
			// A RUN, BUILD or TEST (llbgen.ExecWatchdog): its command
			// line is the watchdog's and the code it ran; the final
			// error says what happened, at its line, and its log above
			// (a TEST's traceback) says why.
			output := "its output is above"
			if strings.Contains(step, "] TEST ") {
				output = "its output (the traceback) is above"
			}
			return located(errors.New(step+": "+watchedOutcome(exit.ExitCode, limit, arg, output)), rangesOf(def, failed))
		}
	}
	explained, ok := causeDefinition(def, failed)
	if !ok {
		return err
	}
	res, serr := c.Solve(ctx, client.SolveRequest{Definition: explained, Evaluate: true})
	if serr != nil {
		return err
	}
	ref, serr := res.SingleRef()
	if serr != nil || ref == nil {
		return err
	}
	dt, serr := ref.ReadFile(ctx, client.ReadRequest{Filename: helperapi.CauseFile, Range: &client.FileRange{Length: maxCauseBytes}})
	cause := strings.TrimSpace(string(dt))
	if serr != nil || cause == "" {
		return err
	}
	if !utf8.ValidString(cause) {
		cause = strings.ToValidUTF8(cause, "?")
	}
	msg := cause
	if step != "" {
		msg = step + ": " + cause
	}
	// A new error, not a wrapper: the gateway sends the innermost gRPC
	// status to the client, which would drop a wrapper's message. The
	// source location is the step's own, from the definition.
	return located(errors.New(msg), rangesOf(def, failed))
}

// watchedOutcome words the exit code of a step llbgen.ExecWatchdog ran:
// 124 when it killed the step at its limit (arg the build arg that
// changes it), 128+N when signal N killed it (a crash signal named as a
// crash in native code), the step's own exit code otherwise; output says
// where its output is.
func watchedOutcome(code uint32, limit time.Duration, arg, output string) string {
	switch {
	case code == 124:
		return fmt.Sprintf("timed out after %ds and was killed (the build arg %s=<seconds> changes the limit); %s", int(limit/time.Second), arg, output)
	case code > 128 && code < 128+65:
		sig := syscall.Signal(code - 128)
		what := ""
		switch sig {
		case syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGILL, syscall.SIGFPE, syscall.SIGABRT:
			what = ": a crash in native code (an extension or a library it loads)"
		}
		name := signalNames[sig]
		if name == "" {
			name = sig.String()
		}
		return fmt.Sprintf("killed by %s (signal %d)%s; %s", name, code-128, what, output)
	}
	return fmt.Sprintf("failed with exit code %d; %s", code, output)
}

var signalNames = map[syscall.Signal]string{
	syscall.SIGSEGV: "SIGSEGV", syscall.SIGBUS: "SIGBUS", syscall.SIGILL: "SIGILL",
	syscall.SIGFPE: "SIGFPE", syscall.SIGABRT: "SIGABRT", syscall.SIGKILL: "SIGKILL", syscall.SIGTERM: "SIGTERM",
}

// causeDefinition copies def with the failed exec op changed to write its
// cause: the cause file's variable in its environment, a scratch mount
// at causeDir as a new output, every exit code valid; the definition's
// result is that mount. ok is false when the op is not a helper step.
func causeDefinition(def *pb.Definition, failed digest.Digest) (*pb.Definition, bool) {
	op := opOf(def, failed)
	exec := op.GetExec()
	if exec == nil || exec.Meta == nil {
		return nil, false
	}
	args := exec.Meta.Args
	// The helper is at helperapi.Binary in its own steps, and mounted
	// under another directory where it runs in a platform image (BYTECODE).
	if len(args) < 2 || path.Base(args[0]) != path.Base(helperapi.Binary) || args[1] != "helper" {
		return nil, false
	}
	output := int64(0)
	for _, m := range exec.Mounts {
		if m.Output >= output {
			output = m.Output + 1
		}
	}
	exec.Meta.Env = append(exec.Meta.Env, helperapi.CauseFileEnv+"="+helperapi.CauseDir+"/"+helperapi.CauseFile)
	exec.Meta.ValidExitCodes = make([]int32, 256)
	for i := range exec.Meta.ValidExitCodes {
		exec.Meta.ValidExitCodes[i] = int32(i)
	}
	exec.Mounts = append(exec.Mounts, &pb.Mount{Input: int64(pb.Empty), Dest: helperapi.CauseDir, Output: output})
	dt, err := op.MarshalVT()
	if err != nil {
		return nil, false
	}
	changed := digest.FromBytes(dt)
	out := &pb.Definition{Metadata: map[string]*pb.OpMetadata{}}
	// Every op stays (later ops refer to the failed one); only those the
	// new result depends on are solved.
	out.Def = append(append(out.Def, def.Def...), dt)
	for k, v := range def.Metadata {
		out.Metadata[k] = v
	}
	if md, ok := def.Metadata[failed.String()]; ok {
		md = md.CloneVT()
		if md.Description == nil {
			md.Description = map[string]string{}
		}
		md.Description["llb.customname"] = fmt.Sprintf("[internal] explain: %s", md.Description["llb.customname"])
		md.IgnoreCache = false
		out.Metadata[changed.String()] = md
	}
	// The terminal op: the definition's result is the cause mount.
	term := &pb.Op{Inputs: []*pb.Input{{Digest: string(changed), Index: output}}}
	tdt, err := term.MarshalVT()
	if err != nil {
		return nil, false
	}
	out.Def = append(out.Def, tdt)
	return out, true
}

// opOf is the op of def whose digest is d (nil when there is none).
func opOf(def *pb.Definition, d digest.Digest) *pb.Op {
	for _, dt := range def.Def {
		if digest.FromBytes(dt) == d {
			var op pb.Op
			if op.UnmarshalVT(dt) != nil {
				return nil
			}
			return &op
		}
	}
	return nil
}

// execOf is the exec op of def whose digest is d (nil when it is none).
func execOf(def *pb.Definition, d digest.Digest) *pb.ExecOp {
	return opOf(def, d).GetExec()
}

// rangesOf is the source location def's source map gives vertex d (the
// Geolayerfile's: the only source geolayer maps).
func rangesOf(def *pb.Definition, d digest.Digest) []parser.Range {
	if def.Source == nil {
		return nil
	}
	locs, ok := def.Source.Locations[d.String()]
	if !ok {
		return nil
	}
	var out []parser.Range
	for _, l := range locs.Locations {
		for _, r := range l.Ranges {
			if r.Start == nil || r.End == nil {
				continue
			}
			out = append(out, parser.Range{
				Start: parser.Position{Line: int(r.Start.Line), Character: int(r.Start.Character)},
				End:   parser.Position{Line: int(r.End.Line), Character: int(r.End.Character)},
			})
		}
	}
	return out
}
