package elfcheck

import (
	"reflect"
	"testing"
)

func vendorConfig(layer, runtime, build string) VendorConfig {
	return VendorConfig{
		Config:    lambdaConfig(layer, runtime),
		BuildRoot: build,
		BuildDirs: []string{"/usr/local/lib", "/usr/lib/x86_64-linux-gnu"},
		LibDir:    "/opt/lib",
	}
}

func vendored(t *testing.T, cfg VendorConfig) *VendorResult {
	t.Helper()
	r, err := Vendor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.Libs {
		r.Libs[i].Host, r.Libs[i].Size = "", 0 // compared separately
	}
	return r
}

// The closure follows the build stage's loader: a library from
// /usr/local/lib (with its version link) and what it needs in turn.
func TestVendorClosure(t *testing.T) {
	fx := getFixtures(t)
	layer := layout(t, t.TempDir(), map[string]string{"python/m/_m.so": "file:" + fx.needsMid})
	build := layout(t, t.TempDir(), map[string]string{
		"usr/local/lib/libmid.so.1.0.0":              "file:" + fx.mid,
		"usr/local/lib/libmid.so.1":                  "link:libmid.so.1.0.0",
		"usr/lib/x86_64-linux-gnu/libprov.so.1":      "file:" + fx.provNew,
		"usr/lib/x86_64-linux-gnu/libunrelated.so.1": "file:" + fx.provOld,
	})
	runtime := t.TempDir()
	cfg := vendorConfig(layer, runtime, build)
	r, err := Vendor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range r.Libs {
		if l.Size == 0 || l.Host == "" {
			t.Fatalf("size/host missing: %+v", l)
		}
	}
	want := []VendoredLib{
		{Soname: "libmid.so.1", Source: "/usr/local/lib/libmid.so.1.0.0", File: "libmid.so.1.0.0", NeededBy: []string{"python/m/_m.so"}},
		{Soname: "libprov.so.1", Source: "/usr/lib/x86_64-linux-gnu/libprov.so.1", File: "libprov.so.1", NeededBy: []string{"libmid.so.1"}},
	}
	got := vendored(t, cfg)
	if !reflect.DeepEqual(got.Libs, want) || len(got.Unresolved) != 0 {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}

	// What the runtime has is not vendored.
	layout(t, runtime, map[string]string{"usr/lib64/libprov.so.1": "file:" + fx.provNew})
	got = vendored(t, cfg)
	if len(got.Libs) != 1 || got.Libs[0].Soname != "libmid.so.1" {
		t.Fatalf("runtime copy ignored: %+v", got.Libs)
	}
	// ... unless the profile says the real platform lacks it.
	cfg.Absent = map[string]string{"libprov.so.1": "not on the real platform"}
	got = vendored(t, cfg)
	if !reflect.DeepEqual(got.Libs, want) {
		t.Fatalf("absent library not vendored: %+v", got.Libs)
	}
}

// A library nobody has is reported, not invented; glibc is never vendored.
func TestVendorUnresolved(t *testing.T) {
	fx := getFixtures(t)
	layer := layout(t, t.TempDir(), map[string]string{"python/g/_g.so": "file:" + fx.needsGone})
	build := layout(t, t.TempDir(), map[string]string{"usr/lib/x86_64-linux-gnu/libc.so.6": "file:" + fx.provNew})
	got := vendored(t, vendorConfig(layer, t.TempDir(), build))
	if len(got.Libs) != 0 {
		t.Fatalf("vendored %+v", got.Libs)
	}
	if len(got.Unresolved) != 1 || got.Unresolved[0].Soname != "libgone.so.1" ||
		!reflect.DeepEqual(got.Unresolved[0].NeededBy, []string{"python/g/_g.so"}) || got.Unresolved[0].Searched == "" {
		t.Fatalf("unresolved: %+v", got.Unresolved)
	}
}

// A library the layer itself ships (auditwheel style) is not vendored.
func TestVendorLayerCopyWins(t *testing.T) {
	fx := getFixtures(t)
	layer := layout(t, t.TempDir(), map[string]string{
		"python/foo/_ext.so":           "file:" + fx.extRPath,
		"python/foo.libs/libprov.so.1": "file:" + fx.provNew,
	})
	build := layout(t, t.TempDir(), map[string]string{"usr/lib/x86_64-linux-gnu/libprov.so.1": "file:" + fx.provNew})
	got := vendored(t, vendorConfig(layer, "", build))
	if len(got.Libs) != 0 || len(got.Unresolved) != 0 {
		t.Fatalf("%+v", got)
	}
}
