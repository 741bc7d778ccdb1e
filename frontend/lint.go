package frontend

// `--call check`: BuildKit's frontend.lint subrequest, answered the way the
// Dockerfile frontend answers it (dockerfile2llb.DockerfileLint): every rule
// that fires is a lint.Warning with its docs URL and a location in the
// Geolayerfile, and an error the build would stop at (syntax, load, plan,
// requirements files) is the result's BuildError with its location, not a
// Go error. Nothing is solved but the read of the requirements and lock
// files from the build context (the build's own loader): no index page, no
// image, no step.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/geolayer/geolayer/frontend/instructions"
	"github.com/geolayer/geolayer/frontend/parser"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	dfparser "github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// handleSubrequests answers `--call outline|targets|check` and the
// describe request. It reports ok when a subrequest was answered; an
// error (an unsupported request, a failed outline) is for the caller to
// return even when ok is false: buildx falls back to another frontend only
// when it sees the unsupported-request error.
func handleSubrequests(ctx context.Context, c client.Client, bc *dockerui.Client, src *dockerui.Source, spec *instructions.Spec, loadErr error) (*client.Result, bool, error) {
	// dockerui's describe lists outline and targets only; buildx does not
	// ask it before calling lint, but other clients may.
	if c.BuildOpts().Opts["requestid"] == subrequests.RequestSubrequestsDescribe {
		res, err := describeSubrequests()
		return res, err == nil, err
	}
	return bc.HandleSubrequest(ctx, dockerui.RequestHandler{
		Outline:     func(ctx context.Context) (*outline.Outline, error) { return outlineOf(spec, loadErr, src, bc.Target) },
		ListTargets: func(ctx context.Context) (*targets.List, error) { return targetList(src) },
		Lint: func(ctx context.Context) (*lint.LintResults, error) {
			return checkGeolayerfile(ctx, c, bc, src, time.Now()), nil
		},
	})
}

// lintDefinition is BuildKit's lint request, described for a Geolayerfile.
var lintDefinition = func() subrequests.Request {
	d := lint.SubrequestLintDefinition
	d.Description = "Check a Geolayerfile against geolayer's check rules"
	return d
}()

// describeSubrequests lists the requests this frontend answers.
func describeSubrequests() (*client.Result, error) {
	all := []subrequests.Request{
		outline.SubrequestsOutlineDefinition,
		targets.SubrequestsTargetsDefinition,
		lintDefinition,
		subrequests.SubrequestsDescribeDefinition,
	}
	dt, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return nil, err
	}
	var txt bytes.Buffer
	if err := subrequests.PrintDescribe(dt, &txt); err != nil {
		return nil, err
	}
	res := client.NewResult()
	res.Metadata = map[string][]byte{
		"result.json": dt,
		"result.txt":  txt.Bytes(),
		"version":     []byte(subrequests.SubrequestsDescribeDefinition.Version),
	}
	return res, nil
}

// checker collects the warnings of one check.
type checker struct {
	res     *lint.LintResults
	src     int // index of the Geolayerfile in res.Sources
	skipAll bool
	skip    map[string]bool
}

// checkGeolayerfile runs every rule on the Geolayerfile of src; today is
// the date DeprecatedRuntime compares with. It never fails: an error the
// build would stop at becomes the result's BuildError, and the rules that
// need what failed do not run.
func checkGeolayerfile(ctx context.Context, c client.Client, bc *dockerui.Client, src *dockerui.Source, today time.Time) *lint.LintResults {
	res := &lint.LintResults{}
	ck := &checker{res: res, src: addLintSource(res, src.SourceMap)}
	parsed, err := parser.Parse(bytes.NewReader(src.Data))
	if err != nil {
		return ck.fail(err)
	}
	if err := ck.configure(bc.LinterConfig, parsed); err != nil {
		return ck.fail(err)
	}
	// Credentials in an INDEX URL are also a load error; the rule names
	// them first, from the words as written.
	ck.indexCredentials(parsed)
	spec, err := instructions.Load(parsed, bc.BuildArgs)
	if err != nil {
		return ck.fail(err)
	}
	ck.unusedArgs(spec)
	ck.missingTest(spec)
	pl, err := newPlan(spec, bc.TargetPlatforms, bc.BuildPlatforms, bc.BuildArgs)
	if err != nil {
		return ck.fail(err)
	}
	ck.deprecatedRuntime(pl, today)
	ck.budget(spec, pl)
	ck.patterns(spec, pl)
	ck.testsRunnable(spec, pl, func(p ocispecs.Platform) bool { return builderRuns(c, p) })

	// The requirements and lock files, read by the build's own loader
	// through a client that keeps what was read, for the rules that look
	// at the files themselves.
	rc := &recordingClient{Client: c, files: map[string][]byte{}}
	reqs, err := loadRequirements(ctx, rc, bc, pl)
	ck.fileCredentials(pl, rc.read())
	if err != nil {
		return ck.fail(locateFileError(err, pl))
	}
	ck.requirements(reqs)
	return res
}

// configure applies the rule selection: BUILDKIT_DOCKERFILE_CHECK (dockerui
// parses it, as for a Dockerfile) or else the `# check=` directive.
// skip=<rules>|all is honoured; error=true and experimental= are accepted
// and change nothing (builds do not run the rules).
func (ck *checker) configure(cfg *linter.Config, parsed *parser.Result) error {
	if cfg == nil {
		d, ok := parsed.Directives["check"]
		if !ok {
			return nil
		}
		var err error
		if cfg, err = linter.ParseLintOptions(d.Value); err != nil {
			return located(err, d.Location)
		}
	}
	ck.skipAll = cfg.SkipAll
	ck.skip = map[string]bool{}
	for _, r := range cfg.SkipRules {
		ck.skip[r] = true
	}
	return nil
}

// warn records a warning of rule at loc (never empty: BuildKit's printer
// dereferences the location).
func (ck *checker) warn(r checkRule, loc []parser.Range, detail string) {
	if ck.skipAll || ck.skip[r.Name] {
		return
	}
	ck.res.AddWarning(r.Name, r.Description, r.URL(), detail, ck.src, loc)
}

// fail records the error the build would stop at.
func (ck *checker) fail(err error) *lint.LintResults {
	be := &lint.BuildError{Message: err.Error(), Location: pb.Location{SourceIndex: int32(ck.src)}}
	var le *dfparser.LocationError
	if errors.As(err, &le) {
		be.Location.Ranges = toPBRanges(mergeRanges(le.Locations...))
	}
	ck.res.Error = be
	return ck.res
}

// locateFileError points a context-read error without a location (a
// missing file) at the REQUIRE that names the file, or at the only REQUIRE
// that reads files.
func locateFileError(err error, pl *plan) error {
	var le *dfparser.LocationError
	if errors.As(err, &le) {
		return err
	}
	for _, f := range pl.requireFiles {
		if strings.HasPrefix(err.Error(), f.path+":") {
			return located(err, f.loc)
		}
	}
	if len(pl.requireFiles) == 1 {
		return located(err, pl.requireFiles[0].loc)
	}
	return err
}

// mergeRanges joins the error's locations into line ranges, overlapping
// ones merged (as dockerfile2llb does for its BuildError).
func mergeRanges(locs ...[]parser.Range) []parser.Range {
	var all []parser.Range
	for _, l := range locs {
		all = append(all, l...)
	}
	if len(all) <= 1 {
		return all
	}
	slices.SortStableFunc(all, func(a, b parser.Range) int { return a.Start.Line - b.Start.Line })
	out := []parser.Range{all[0]}
	for _, r := range all[1:] {
		cur := &out[len(out)-1]
		if r.Start.Line <= cur.End.Line {
			if r.End.Line > cur.End.Line {
				cur.End = r.End
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// addLintSource adds the Geolayerfile to the result's sources (the
// definition is optional: in-process callers and tests have none).
func addLintSource(res *lint.LintResults, sm *llb.SourceMap) int {
	si := &pb.SourceInfo{Filename: sm.Filename, Language: sm.Language, Data: sm.Data}
	if sm.Definition != nil {
		si.Definition = sm.Definition.ToPB()
	}
	res.Sources = append(res.Sources, si)
	return len(res.Sources) - 1
}

// recordingClient keeps the files read through the references its solves
// return (the requirements loader reads the context that way).
type recordingClient struct {
	client.Client
	mu    sync.Mutex
	files map[string][]byte
}

func (rc *recordingClient) Solve(ctx context.Context, req client.SolveRequest) (*client.Result, error) {
	res, err := rc.Client.Solve(ctx, req)
	if err != nil || res == nil {
		return res, err
	}
	if res.Ref != nil {
		res.Ref = &recordingRef{Reference: res.Ref, rc: rc}
	}
	return res, nil
}

func (rc *recordingClient) read() map[string][]byte {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make(map[string][]byte, len(rc.files))
	for k, v := range rc.files {
		out[k] = v
	}
	return out
}

type recordingRef struct {
	client.Reference
	rc *recordingClient
}

func (r *recordingRef) ReadFile(ctx context.Context, req client.ReadRequest) ([]byte, error) {
	dt, err := r.Reference.ReadFile(ctx, req)
	if err == nil && req.Range == nil {
		r.rc.mu.Lock()
		r.rc.files[req.Filename] = dt
		r.rc.mu.Unlock()
	}
	return dt, err
}
