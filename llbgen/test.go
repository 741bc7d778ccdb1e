package llbgen

import (
	"fmt"
	"sort"
	"strings"

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
}

// AddTests runs each TEST in the runtime image of the target platform with
// its own CPython (by the path the frontend checked), the layer mounted
// where the platform mounts it, the image's config and the platform's
// documented environment over it; a foreign architecture runs emulated.
// The returned states are empty outputs the result must depend on (the
// gate).
func (g *Gen) AddTests(l *Layer, tests []Test, sm *llb.SourceMap) {
	t := l.Target
	for i, tc := range tests {
		script := llb.Scratch().File(llb.Mkfile("/test.py", 0o644, []byte(tc.Code+"\n")),
			llb.WithCustomName(fmt.Sprintf("[internal] write test %d", i+1)))
		opts := []llb.RunOption{
			llb.Args([]string{t.Runtime.python(), "-I", "-c", testRunner(t.SysPath, t.SiteDir)}),
			llb.Platform(t.Platform),
			llb.AddMount(t.Layout.MountPoint, l.Tree, llb.Readonly, wholeLayer),
			llb.AddMount("/geolayer-test", script, llb.Readonly),
			llb.Network(pb.NetMode_NONE),
			t.name("TEST %s", oneLine(tc.Code)),
		}
		if sm != nil && len(tc.Location) > 0 {
			opts = append(opts, sm.Location(tc.Location))
		}
		if l.Check != nil {
			opts = append(opts, llb.AddMount("/geolayer-check", *l.Check, llb.Readonly))
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
	}
}

// testRunner runs the test file in isolated mode (-I: the image's PYTHON*
// variables and user site do not leak in) with sys.path as the platform's
// bootstrap builds it: its documented head in order (the layer's site
// directory processed as one, so .pth files work), then PYTHONPATH, then
// the interpreter's own entries.
func testRunner(head []string, siteDir string) string {
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
	b.WriteString(testExplain)
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
        found = json.load(open('/geolayer-check/check.json')).get('findings') or []
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
