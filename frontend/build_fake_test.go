package frontend

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	fstypes "github.com/tonistiigi/fsutil/types"
)

// fakeDaemon stands for BuildKit in a whole Build: the build context, index
// pages served by URL, image configs, the Python probe's answer per
// machine, and an empty result for every other solve. It records every
// definition solved, so a test can read the LLB each platform produced.
// It is safe for the concurrent calls dockerui's per-platform build makes,
// which is what `go test -race` checks.
type fakeDaemon struct {
	client.Client
	opts  map[string]string
	files map[string]string // the build context (and the Geolayerfile)
	pages map[string]string // index page URL -> body
	// failDownloads answers these download URLs with an HTTP status, the
	// way BuildKit's http source reports one.
	failDownloads map[string]int
	// stallDownloads never answer: a solve that needs one waits until
	// its context ends, as BuildKit's http source does for a server that
	// accepts the connection and stops sending.
	stallDownloads map[string]bool
	// report is the report.json every result holds ({"packages":[]} if "").
	report string

	mu     sync.Mutex
	solved []*pb.Definition
	warns  []string
}

func (f *fakeDaemon) BuildOpts() client.BuildOpts {
	return client.BuildOpts{
		Opts:    f.opts,
		Workers: []client.WorkerInfo{{ID: "w0", Platforms: []ocispecs.Platform{amd64, arm64}}},
		LLBCaps: pb.Caps.CapSet(pb.Caps.All()),
		Caps:    gwpb.Caps.CapSet(gwpb.Caps.All()),
	}
}

func (f *fakeDaemon) CurrentFrontend() (*llb.State, error) {
	st := llb.Image("example.com/geolayer/frontend:test")
	return &st, nil
}

func (f *fakeDaemon) Inputs(context.Context) (map[string]llb.State, error) { return nil, nil }

func (f *fakeDaemon) Warn(_ context.Context, _ digest.Digest, msg string, _ client.WarnOpts) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.warns = append(f.warns, msg)
	return nil
}

func (f *fakeDaemon) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	p := opt.ImageOpt.Platform
	cfg := map[string]any{
		"architecture": p.Architecture, "os": p.OS,
		"config": map[string]any{"Env": []string{"PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin"}, "WorkingDir": "/var/task"},
	}
	dt, err := json.Marshal(cfg)
	if err != nil {
		return "", "", nil, err
	}
	return ref, digest.FromString(ref + "|" + p.Architecture), dt, nil
}

func (f *fakeDaemon) Solve(ctx context.Context, req client.SolveRequest) (*client.Result, error) {
	if req.Definition == nil {
		return nil, fmt.Errorf("unexpected solve %+v", req)
	}
	f.mu.Lock()
	f.solved = append(f.solved, req.Definition)
	f.mu.Unlock()
	// Every result may be a layer's: report.json is what its steps found.
	rep := f.report
	if rep == "" {
		rep = `{"packages":[]}`
	}
	files := map[string]string{"report.json": rep}
	for _, dt := range req.Definition.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			return nil, err
		}
		switch {
		case op.GetSource() != nil && strings.HasPrefix(op.GetSource().Identifier, "local://"):
			for k, v := range f.files {
				files[k] = v
			}
		case op.GetSource() != nil && strings.HasPrefix(op.GetSource().Identifier, "https://"):
			u := op.GetSource().Identifier
			if strings.HasPrefix(u, "https://files.example/") {
				if f.stallDownloads[u] {
					<-ctx.Done()
					return nil, ctx.Err()
				}
				if status, ok := f.failDownloads[u]; ok {
					// As BuildKit reports it: the status in the text,
					// the failing vertex attached, no URL.
					return nil, errdefs.WrapVertex(fmt.Errorf("failed to load cache key: invalid response status %d", status), digest.FromBytes(dt))
				}
				continue // a download: its bytes are never read here
			}
			body, ok := f.pages[u]
			if !ok {
				// As BuildKit's http source words a 404.
				return nil, fmt.Errorf("invalid response status 404 (fake: no page %s)", u)
			}
			files["page"] = body
		case op.GetExec() != nil && slices.Contains(op.GetExec().GetMeta().GetArgs(), "geolayer-probe"):
			machine := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[op.GetPlatform().GetArchitecture()]
			// The profile's Python 3.11 images answer as 3.11, every other
			// image as 3.13.
			minor := "13"
			if probesPython311(req.Definition) {
				minor = "11"
			}
			files["/python.json"] = fmt.Sprintf(`{"found":true,"path":"/var/lang/bin/python3.%[2]s","executable":"/var/lang/bin/python3.%[2]s","implementation":"cpython","version":"3.%[2]s.9","major":3,"minor":%[2]s,"soabi":"cpython-3%[2]s-%[1]s-linux-gnu","ext_suffix":".cpython-3%[2]s-%[1]s-linux-gnu.so","machine":"%[1]s","pip":true}`, machine, minor)
		}
	}
	res := client.NewResult()
	res.SetRef(&fakeDaemonRef{files: files})
	return res, nil
}

// probesPython311 says whether a definition runs in one of the profile's
// Python 3.11 images (Lambda's python:3.11 or build-python3.11).
func probesPython311(def *pb.Definition) bool {
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err == nil && op.GetSource() != nil &&
			strings.HasPrefix(op.GetSource().Identifier, "docker-image://") && (strings.Contains(op.GetSource().Identifier, "python:3.11") || strings.Contains(op.GetSource().Identifier, "python3.11")) {
			return true
		}
	}
	return false
}

type fakeDaemonRef struct {
	client.Reference
	files map[string]string
}

func (r *fakeDaemonRef) ReadFile(_ context.Context, req client.ReadRequest) ([]byte, error) {
	dt, ok := r.files[req.Filename]
	if !ok {
		dt, ok = r.files[strings.TrimPrefix(req.Filename, "/")]
	}
	if !ok {
		return nil, os.ErrNotExist
	}
	b := []byte(dt)
	if req.Range != nil {
		end := min(req.Range.Offset+req.Range.Length, len(b))
		if req.Range.Offset >= len(b) {
			return nil, nil
		}
		b = b[req.Range.Offset:end]
	}
	return b, nil
}

func (r *fakeDaemonRef) StatFile(_ context.Context, req client.StatRequest) (*fstypes.Stat, error) {
	dt, ok := r.files[req.Path]
	if !ok {
		return nil, os.ErrNotExist
	}
	return &fstypes.Stat{Path: req.Path, Size: int64(len(dt))}, nil
}

// httpSources lists the http sources (downloads) of a definition.
func httpSources(t *testing.T, def *pb.Definition) []string {
	t.Helper()
	var out []string
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		if s := op.GetSource(); s != nil && strings.HasPrefix(s.Identifier, "https://files.example/") {
			out = append(out, s.Identifier)
		}
	}
	slices.Sort(out)
	return out
}

// assemblyArch is the architecture whose layer a definition assembles
// ("" when it assembles none).
func assemblyArch(t *testing.T, def *pb.Definition) string {
	t.Helper()
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		// The layer's assembly names the platform it is for.
		if args := op.GetExec().GetMeta().GetArgs(); len(args) > 2 && args[0] == helperapi.Binary && args[2] == "assemble" {
			a, err := helperapi.ParseAssemble(args[2:])
			if err != nil {
				t.Fatal(err)
			}
			return strings.TrimPrefix(a.Platform, "linux/")
		}
	}
	return ""
}

const fakeSHA = "3b787adbf04b0db1967798dba8da1af07e387908ed1553a0d6e74c084d1ceafe"

func fakePage(project string, files ...string) string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html><html><body>\n")
	for _, f := range files {
		fmt.Fprintf(&b, "<a href=\"https://files.example/%s#sha256=%s\">%s</a>\n", f, fakeSHA, f)
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// The whole per-platform path of Build (pages, image pinning, the Python
// probe, selection, markers, LLB, the final solve) for two platforms at
// once, without a daemon. Run with -race (make test-unit does): dockerui
// builds the platforms in parallel goroutines.
func TestBuildMultiPlatformWithoutDaemon(t *testing.T) {
	geolayerfile := "# syntax=example.com/geolayer/frontend:1\n" +
		"TARGET aws-lambda python3.13\n" +
		"PLATFORM linux/amd64 linux/arm64\n" +
		"INDEX https://index.example/simple/\n" +
		"REQUIRE -r requirements.txt\n" +
		"TEST import glf_cext\n"
	reqs := "glf-cext==1.0.0\n" +
		"glf-pure==1.0.0 ; platform_machine == \"aarch64\"\n" +
		"glf-data==1.0.0 ; platform_machine != \"aarch64\" and python_version >= \"3.13\"\n" +
		"glf-old==1.0.0 ; python_version < \"3.12\"\n"
	f := &fakeDaemon{
		opts: map[string]string{"platform": "linux/amd64,linux/arm64", "filename": "Geolayerfile"},
		files: map[string]string{
			"Geolayerfile":     geolayerfile,
			"requirements.txt": reqs,
		},
		pages: map[string]string{
			"https://index.example/simple/glf-cext/": fakePage("glf-cext",
				"glf_cext-1.0.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
				"glf_cext-1.0.0-cp313-cp313-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"),
			"https://index.example/simple/glf-pure/": fakePage("glf-pure", "glf_pure-1.0.0-py3-none-any.whl"),
			"https://index.example/simple/glf-data/": fakePage("glf-data", "glf_data-1.0.0-py3-none-any.whl"),
			"https://index.example/simple/glf-old/":  fakePage("glf-old", "glf_old-1.0.0-py3-none-any.whl"),
		},
	}
	for i := 0; i < 3; i++ { // a few rounds give the race detector interleavings
		f.solved = nil
		res, err := Build(context.Background(), f)
		if err != nil {
			t.Fatalf("build: %v", err)
		}
		if len(res.Refs) != 2 {
			t.Fatalf("want one result per platform, got refs %v", res.Refs)
		}
	}
	// The final definitions: each platform's layer assembly holds every
	// download of that platform's layer.
	byArch := map[string][]string{}
	for _, def := range f.solved {
		if arch := assemblyArch(t, def); arch != "" {
			byArch[arch] = httpSources(t, def)
		}
	}
	want := map[string][]string{
		"amd64": {
			"https://files.example/glf_cext-1.0.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
			"https://files.example/glf_data-1.0.0-py3-none-any.whl",
		},
		"arm64": {
			"https://files.example/glf_cext-1.0.0-cp313-cp313-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
			"https://files.example/glf_pure-1.0.0-py3-none-any.whl",
		},
	}
	for arch, w := range want {
		if !slices.Equal(byArch[arch], w) {
			t.Errorf("%s layer downloads %v, want %v", arch, byArch[arch], w)
		}
	}
}

// A subrequest the frontend does not answer is an error, never a build.
func TestUnknownSubrequestIsAnError(t *testing.T) {
	f := &fakeDaemon{
		opts:  map[string]string{"requestid": "frontend.unknown", "platform": "linux/amd64", "filename": "Geolayerfile"},
		files: map[string]string{"Geolayerfile": "TARGET aws-lambda python3.13\nREQUIRE glf-pure==1.0.0\n"},
	}
	_, err := Build(context.Background(), f)
	if err == nil || !strings.Contains(err.Error(), "frontend.unknown") {
		t.Fatalf("want an error naming the subrequest, got %v", err)
	}
	for _, def := range f.solved {
		if len(httpSources(t, def)) > 0 {
			t.Fatalf("an unknown subrequest solved downloads")
		}
	}
}

// A failed download is named by package and URL with its HTTP outcome,
// decided by the status, for either platform.
func TestBuildDownloadOutcomes(t *testing.T) {
	arm := "https://files.example/glf_cext-1.0.0-cp313-cp313-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"
	for status, want := range map[int]string{
		404: "not found (HTTP 404)",
		401: "HTTP 401",
		503: "HTTP 503",
	} {
		f := &fakeDaemon{
			opts: map[string]string{"platform": "linux/amd64,linux/arm64", "filename": "Geolayerfile"},
			files: map[string]string{"Geolayerfile": "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\n" +
				"INDEX https://index.example/simple/\nREQUIRE glf-cext==1.0.0\n"},
			pages: map[string]string{"https://index.example/simple/glf-cext/": fakePage("glf-cext",
				"glf_cext-1.0.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
				"glf_cext-1.0.0-cp313-cp313-manylinux_2_17_aarch64.manylinux2014_aarch64.whl")},
			failDownloads: map[string]int{arm: status},
		}
		_, err := Build(context.Background(), f)
		if err == nil {
			t.Fatalf("HTTP %d: the build succeeded", status)
		}
		for _, w := range []string{"glf-cext 1.0.0", arm, want} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("HTTP %d: error %q does not say %q", status, err, w)
			}
		}
		if strings.Contains(err.Error(), "sha256") {
			t.Errorf("HTTP %d: error %q blames the hash", status, err)
		}
	}
}

// A download that never completes stops the build after
// GEOLAYER_DOWNLOAD_TIMEOUT with its package and URL, for the zip and the
// image target (whose report is solved before the result).
func TestBuildDownloadTimeout(t *testing.T) {
	arm := "https://files.example/glf_cext-1.0.0-cp313-cp313-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"
	for _, target := range []string{"zip", "image"} {
		f := &fakeDaemon{
			opts: map[string]string{"platform": "linux/amd64,linux/arm64", "filename": "Geolayerfile", "target": target,
				"build-arg:GEOLAYER_DOWNLOAD_TIMEOUT": "1"},
			files: map[string]string{"Geolayerfile": "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\n" +
				"INDEX https://index.example/simple/\nREQUIRE glf-cext==1.0.0\n"},
			pages: map[string]string{"https://index.example/simple/glf-cext/": fakePage("glf-cext",
				"glf_cext-1.0.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
				"glf_cext-1.0.0-cp313-cp313-manylinux_2_17_aarch64.manylinux2014_aarch64.whl")},
			stallDownloads: map[string]bool{arm: true},
		}
		start := time.Now()
		_, err := Build(context.Background(), f)
		if err == nil {
			t.Fatalf("%s: the build succeeded", target)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%s: the build took %s to stop", target, d)
		}
		for _, w := range []string{"glf-cext 1.0.0: downloading " + arm, "did not complete within 1s", "GEOLAYER_DOWNLOAD_TIMEOUT"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", target, err, w)
			}
		}
	}
	f := &fakeDaemon{opts: map[string]string{"filename": "Geolayerfile", "build-arg:GEOLAYER_DOWNLOAD_TIMEOUT": "soon"},
		files: map[string]string{"Geolayerfile": "TARGET aws-lambda python3.13\nREQUIRE glf-cext==1.0.0\n"}}
	if _, err := Build(context.Background(), f); err == nil || !strings.Contains(err.Error(), `GEOLAYER_DOWNLOAD_TIMEOUT="soon"`) {
		t.Errorf("a bad GEOLAYER_DOWNLOAD_TIMEOUT: %v", err)
	}
}

// What a layer's steps found that users must see (.pth files, a package
// PRUNE emptied) becomes a build warning at the requiring line, once for
// all platforms; other package notes stay in the report.
func TestReportWarningsRaised(t *testing.T) {
	f := &fakeDaemon{
		opts: map[string]string{"platform": "linux/amd64,linux/arm64", "filename": "Geolayerfile"},
		files: map[string]string{"Geolayerfile": "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\n" +
			"INDEX https://index.example/simple/\nREQUIRE glf-pure==1.0.0\n"},
		pages: map[string]string{"https://index.example/simple/glf-pure/": fakePage("glf-pure", "glf_pure-1.0.0-py3-none-any.whl")},
		report: `{"packages":[{"name":"glf-pure","version":"1.0.0","warnings":[
			"installs the .pth file glf-hook.pth: Python runs its import lines at every interpreter start, whether or not the package is imported",
			"PRUNE removed every module of the package (3 files): importing it will fail",
			"no license file in the wheels of: [glf-pure]"]}]}`,
	}
	if _, err := Build(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	var pth, pruned, other int
	for _, w := range f.warns {
		switch {
		case strings.Contains(w, "glf-pure 1.0.0: installs the .pth file glf-hook.pth"):
			pth++
		case strings.Contains(w, "glf-pure 1.0.0: PRUNE removed every module"):
			pruned++
		default:
			other++
		}
	}
	if pth != 1 || pruned != 1 {
		t.Errorf("warnings %q: want the .pth and the PRUNE warning once each", f.warns)
	}
	if other != 0 {
		t.Errorf("unexpected warnings %q", f.warns)
	}
}
