package elfcheck

import (
	"errors"
	"io/fs"
	"testing"
)

func TestVFS(t *testing.T) {
	runtime := layout(t, t.TempDir(), map[string]string{
		"usr/lib/x86_64-linux-gnu/libc.so.6": "data:libc",
		"usr/lib64/ld.so":                    "link:/lib/x86_64-linux-gnu/libc.so.6",
		"lib":                                "link:usr/lib",
		"lib64":                              "link:usr/lib64",
		"usr/lib/dir/sub/f":                  "data:f",
		"usr/lib/up":                         "link:dir/sub",
		"etc/secret":                         "data:runtime secret",
		"opt/hidden":                         "data:the layer mount hides this",
	})
	layer := layout(t, t.TempDir(), map[string]string{
		"lib/libz.so.1.3":   "data:z",
		"lib/libz.so.1":     "link:libz.so.1.3",
		"lib/abs.so":        "link:/opt/lib/libz.so.1",
		"lib/sys.so":        "link:/lib64/ld.so",
		"lib/esc.so":        "link:../../../../etc/secret",
		"lib/a":             "link:b",
		"lib/b":             "link:a",
		"python/pkg/mod.so": "data:m",
	})
	v := newVFS("/opt", layer, runtime)
	for _, c := range []struct {
		in, path string
		inLayer  bool
		err      error
	}{
		{"/opt/lib/libz.so.1", "/opt/lib/libz.so.1.3", true, nil},
		{"/opt/lib/abs.so", "/opt/lib/libz.so.1.3", true, nil},
		// Absolute link chains through the runtime's merged /usr.
		{"/opt/lib/sys.so", "/usr/lib/x86_64-linux-gnu/libc.so.6", false, nil},
		{"/lib64/ld.so", "/usr/lib/x86_64-linux-gnu/libc.so.6", false, nil},
		// ".." after a link goes to the parent of the link's target.
		{"/usr/lib/up/../sub/f", "/usr/lib/dir/sub/f", false, nil},
		{"/opt/python/pkg/../../lib/libz.so.1", "/opt/lib/libz.so.1.3", true, nil},
		// ".." cannot climb above the root of the run-time view.
		{"/opt/lib/esc.so", "/etc/secret", false, nil},
		{"/../../opt/lib/libz.so.1.3", "/opt/lib/libz.so.1.3", true, nil},
		{"/opt/hidden", "", false, fs.ErrNotExist},
		{"/opt/lib/a", "", false, errLoop},
		{"/opt/lib/libz.so.1/x", "", false, errNotDir},
		{"/nope/libc.so.6", "", false, fs.ErrNotExist},
	} {
		n := v.lookup(c.in)
		if c.err != nil {
			if !errors.Is(n.err, c.err) {
				t.Errorf("%s: err %v, want %v", c.in, n.err, c.err)
			}
			continue
		}
		if n.err != nil || n.path != c.path || n.inLayer != c.inLayer || !n.mode.IsRegular() {
			t.Errorf("%s: %+v, want %s (layer %v)", c.in, n, c.path, c.inLayer)
		}
	}

	// Mount ancestors exist even when the runtime lacks them.
	v = newVFS("/home/site/wwwroot/.python_packages", layer, t.TempDir())
	if n := v.lookup("/home/site/wwwroot/.python_packages/lib/libz.so.1"); n.err != nil || !n.inLayer || n.path != "/home/site/wwwroot/.python_packages/lib/libz.so.1.3" {
		t.Errorf("deep mount: %+v", n)
	}
	// Without a runtime root, only the layer exists.
	v = newVFS("/opt", layer, "")
	if n := v.lookup("/opt/lib/sys.so"); !errors.Is(n.err, fs.ErrNotExist) {
		t.Errorf("no runtime: %+v", n)
	}
	if n := v.lookup("/opt/lib/libz.so.1"); n.err != nil {
		t.Errorf("no runtime, layer file: %+v", n)
	}
}
