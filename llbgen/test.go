package llbgen

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
)

// Test is one TEST instruction.
type Test struct {
	Code     string
	Location []*pb.Range
	// Required: the test must run even when the builder cannot run the
	// target platform (TEST --required); otherwise such a test is skipped
	// with a warning.
	Required bool
	// ProfileImports measures the import time of each module the test
	// imports and the layer files it maps (TEST --profile-imports); the
	// figures are added to report.json and report.html.
	ProfileImports bool
	// Timeout bounds the test's run (0: DefaultTestTimeout); a test
	// still running then is killed and fails naming the limit.
	Timeout time.Duration
}

// DefaultTestTimeout bounds each TEST (the frontend's build arg
// GEOLAYER_TEST_TIMEOUT changes it).
const DefaultTestTimeout = 10 * time.Minute

// importsDir is where a profiled TEST writes imports.json
// (helperapi.ImportsJSON); checkMount is where a TEST finds the static
// check's check.json (helperapi.CheckJSON), when CHECK is not off.
const (
	importsDir = "/geolayer-imports"
	checkMount = "/geolayer-check"
)

// AddTests runs each TEST in the runtime image of the target platform with
// its own CPython (by the path the frontend checked), the layer mounted
// where the platform mounts it, the image's config and the platform's
// documented environment over it; a foreign architecture runs emulated.
// The returned states are empty outputs the result must depend on (the
// gate).
func (g *Gen) AddTests(l *Layer, tests []Test, sm *llb.SourceMap) {
	runtimes := l.Runtimes
	if len(runtimes) == 0 {
		runtimes = []*Target{l.Target}
	}
	for i, t := range runtimes {
		var check *llb.State
		if i < len(l.Checks) {
			check = &l.Checks[i]
		} else if i == 0 {
			check = l.Check
		}
		profiled := g.addTests(l, t, check, tests, sm)
		// Import times are one runtime's: the plan refuses TEST
		// --profile-imports in a layer for several runtimes (report.json
		// has one imports section).
		if len(profiled) > 0 && i == 0 {
			g.addImports(l, profiled)
		}
	}
}

// addTests adds the TESTs under one runtime of the layer (t) and returns
// the outputs of the profiled ones, by TEST number.
func (g *Gen) addTests(l *Layer, t *Target, check *llb.State, tests []Test, sm *llb.SourceMap) map[int]llb.State {
	profiled := map[int]llb.State{}
	for i, tc := range tests {
		script := llb.Scratch().File(llb.Mkfile("/test.py", 0o644, []byte(tc.Code+"\n")),
			llb.WithCustomName(fmt.Sprintf("[internal] write test %d", i+1)))
		timeout := tc.Timeout
		if timeout <= 0 {
			timeout = DefaultTestTimeout
		}
		py := t.Runtime.python()
		argv := []string{py, "-I", "-c", testRunner(t.SysPath, t.SiteDir, "")}
		if tc.ProfileImports {
			argv = []string{py, "-X", "importtime", "-I", "-c", testRunner(t.SysPath, t.SiteDir, t.Layout.MountPoint)}
		}
		// The test runs under the step watchdog (its limit, a crash
		// named), with the runtime's own CPython.
		opts := append(watched(py, timeout, "TEST", "GEOLAYER_TEST_TIMEOUT", argv...),
			llb.Platform(t.Platform),
			llb.AddMount(t.Layout.MountPoint, l.Tree, llb.Readonly, wholeLayer),
			llb.AddMount("/geolayer-test", script, llb.Readonly),
			llb.Network(pb.NetMode_NONE),
			t.name("TEST %s", oneLine(tc.Code)),
		)
		if sm != nil && len(tc.Location) > 0 {
			opts = append(opts, sm.Location(tc.Location))
		}
		if check != nil {
			opts = append(opts, llb.AddMount(checkMount, *check, llb.Readonly))
		}
		keys := make([]string, 0, len(t.Env))
		for k := range t.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			opts = append(opts, llb.AddEnv(k, t.Env[k]))
		}
		run := g.ConfiguredImage(t.Runtime, t.Platform).Run(opts...)
		l.Gate = append(l.Gate, run.AddMount("/geolayer-test-ok", llb.Scratch()))
		if tc.ProfileImports {
			profiled[i+1] = run.AddMount(importsDir, llb.Scratch())
		}
	}
	return profiled
}

// Emulated says whether the target's processes run emulated on the
// builder (a foreign architecture).
func (t *Target) Emulated() bool {
	return t.Platform.OS != t.BuildPlatform.OS || t.Platform.Architecture != t.BuildPlatform.Architecture
}

// addImports merges the profiled TESTs' imports.json into report.json and
// report.html (helper imports, which also prints the table in the build
// log): l.Archive keeps the assembled layer.zip, byte for byte, with the
// new report.json over the old one, and l.HTML becomes the new page. The
// step also joins the gate, so the table is printed whatever the target.
func (g *Gen) addImports(l *Layer, profiled map[int]llb.State) {
	t := l.Target
	cmd := helperapi.Imports{
		Report:       "/in/" + helperapi.ReportJSON,
		HTMLIn:       "/htmlin/" + helperapi.ReportHTML,
		Tree:         "/layer",
		SitePackages: t.Layout.SitePackages,
		Results:      "/results",
		Emulated:     t.Emulated(),
		Out:          "/out/" + helperapi.ReportJSON,
		HTML:         "/html/" + helperapi.ReportHTML,
	}
	opts := []llb.RunOption{
		llb.AddMount("/in", l.Archive, llb.Readonly, wholeLayer),
		llb.AddMount("/htmlin", l.HTML, llb.Readonly),
		llb.AddMount("/layer", l.Tree, llb.Readonly, wholeLayer),
		t.name("import times (TEST --profile-imports)"),
	}
	nums := make([]int, 0, len(profiled))
	for n := range profiled {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, n := range nums {
		opts = append(opts, llb.AddMount(fmt.Sprintf("/results/%d", n), profiled[n], llb.Readonly))
	}
	run := g.helperExec(t, cmd, opts...)
	out := run.AddMount("/out", llb.Scratch())
	l.HTML = run.AddMount("/html", llb.Scratch())
	l.Archive = g.merge([]llb.State{l.Archive, out}, t.name("report.json with import times"))
	l.Gate = append(l.Gate, run.AddMount("/ok", llb.Scratch()))
}

// testRunner runs the test file in isolated mode (-I: the image's PYTHON*
// variables and user site do not leak in) with sys.path as the platform's
// bootstrap builds it: its documented head in order (the layer's site
// directory processed as one, so .pth files work), then PYTHONPATH, then
// the interpreter's own entries. With a mount point (TEST
// --profile-imports, the interpreter started with -X importtime), the test
// runs with its stderr in a file, so that the import times of its own
// imports are separated from the interpreter's startup; its other stderr
// lines are passed on after it. An audit hook notes each import the test
// code makes itself with the files under the mount point mapped at that
// moment (/proc/self/maps); imports.json gets both.
func testRunner(head []string, siteDir, profileMount string) string {
	var b strings.Builder
	b.WriteString("import os, site, sys\n")
	b.WriteString("before = list(sys.path)\n")
	b.WriteString("head = []\n")
	for _, p := range head {
		if p == siteDir {
			fmt.Fprintf(&b, "n = len(sys.path); site.addsitedir(%q); head += sys.path[n:] or [%q]; del sys.path[n:]\n", p, p)
		} else {
			fmt.Fprintf(&b, "head.append(%q)\n", p)
		}
	}
	b.WriteString("pp = [p for p in os.environ.get('PYTHONPATH', '').split(':') if p and p not in head]\n")
	b.WriteString("sys.path[:] = head + pp + [p for p in before if p not in head and p not in pp]\n")
	b.WriteString("src = open('/geolayer-test/test.py').read()\n")
	if profileMount == "" {
		b.WriteString(testExplain)
		return b.String()
	}
	fmt.Fprintf(&b, "_gl_mount = %q\n_gl_out = %q\n", strings.TrimSuffix(profileMount, "/")+"/", importsDir)
	b.WriteString(profilePrelude)
	b.WriteString(strings.Replace(testExplain, "    exec(compile(src, 'TEST', 'exec'), {'__name__': '__main__'})",
		"    _gl_run(compile(src, 'TEST', 'exec'), {'__name__': '__main__'})", 1))
	return b.String()
}

// testExplain runs the test; on an ImportError it prints the traceback and
// then what the static check found about the library the message names
// (check.json is mounted when CHECK is not off, e.g. CHECK warn).
const testExplain = `try:
    exec(compile(src, 'TEST', 'exec'), {'__name__': '__main__'})
except ImportError as e:
    import json, traceback
    traceback.print_exc()
    try:
        found = json.load(open('` + checkMount + "/" + helperapi.CheckJSON + `')).get('findings') or []
    except OSError:
        sys.exit(1)
    key = str(e).split(':')[0].strip()
    hits = [f for f in found if key and (key in f.get('detail', '') or os.path.basename(f.get('file', '')) == key)]
    if hits:
        print('\nthe static check explains it:', file=sys.stderr)
        for f in hits:
            print('  %s %s: %s [%s]: %s' % (f['severity'], f['kind'], f['file'], f.get('package', ''), f['detail']), file=sys.stderr)
            if f.get('fix'):
                print('    fix: ' + f['fix'], file=sys.stderr)
    sys.exit(1)
`

// profilePrelude defines _gl_run, which runs the compiled test with the
// import-time measurement around it (see testRunner). It imports nothing
// before the test (json only after it), so the test's imports are its own.
const profilePrelude = `def _gl_maps():
    s = set()
    with open('/proc/self/maps') as f:
        for line in f:
            p = line.split(None, 5)
            if len(p) == 6 and p[5].startswith(_gl_mount) and not p[5].endswith(' (deleted)\n'):
                s.add(p[5].rstrip('\n'))
    return s
_gl_events = []
_gl_on = [False]
def _gl_hook(ev, args):
    if ev != 'import' or not _gl_on[0]:
        return
    f = sys._getframe(1)
    while f is not None:
        fn = f.f_code.co_filename
        if fn == 'TEST':
            _gl_events.append((args[0], _gl_maps()))
            return
        if not fn.startswith('<frozen importlib'):
            return
        f = f.f_back
sys.addaudithook(_gl_hook)
def _gl_run(code, g):
    before = _gl_maps()
    fd = os.open(_gl_out + '/importtime.txt', os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    saved = os.dup(2)
    sys.stderr.flush()
    os.dup2(fd, 2)
    _gl_on[0] = True
    try:
        exec(code, g)
    finally:
        _gl_on[0] = False
        end = _gl_maps()
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.lseek(fd, 0, 0)
        raw = b''
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            raw += chunk
        os.close(fd)
        os.unlink(_gl_out + '/importtime.txt')
        raw = raw.decode('utf-8', 'replace')
        sys.stderr.write(''.join(l for l in raw.splitlines(True) if not l.startswith('import time:')))
        sys.stderr.flush()
        seen = set(before)
        snaps = [s for _, s in _gl_events] + [end]
        events = []
        for i, (m, s) in enumerate(_gl_events):
            seen |= s
            files = {}
            for p in sorted(snaps[i + 1] - seen):
                try:
                    files[p] = os.stat(p).st_size
                except OSError:
                    pass
            events.append({'module': m, 'files': files})
        import json
        with open(_gl_out + '/` + helperapi.ImportsJSON + `', 'w') as f:
            json.dump({'python': sys.version.split()[0], 'machine': os.uname().machine, 'mount': _gl_mount.rstrip('/'),
                       'importtime': raw, 'events': events}, f, indent=1, sort_keys=True)
`

func oneLine(s string) string {
	out := []rune{}
	for _, r := range s {
		if r == '\n' {
			r = ' '
		}
		out = append(out, r)
		if len(out) > 60 {
			return string(out) + "…"
		}
	}
	return string(out)
}

// Gated makes st depend on the layer's tests without changing its content:
// the gate states are empty, so merging them adds no files.
func (g *Gen) Gated(l *Layer, st llb.State) llb.State {
	if len(l.Gate) == 0 {
		return st
	}
	return g.merge(append([]llb.State{st}, l.Gate...), l.Target.name("require checks and tests to pass"))
}

// Require makes the layer's result depend on st without taking any of its
// files: an empty state that reads st joins the gate. The frontend solves
// some steps on their own to read what they wrote (the Python probe, pip's
// resolution, report.json for the image config); they are not part of the
// returned result otherwise, so an exported cache (mode=max) would lack
// them and a daemon importing it would run them again.
func (g *Gen) Require(l *Layer, st llb.State, what string) {
	const dep = "/.geolayer-dependency"
	l.Gate = append(l.Gate, llb.Scratch().File(
		llb.Copy(st, "/", dep+"/", &llb.CopyInfo{CopyDirContentsOnly: true, CreateDestPath: true, AllowEmptyWildcard: true}).
			Rm(dep, &llb.RmInfo{AllowNotFound: true}),
		l.Target.name("require %s", what)))
}
