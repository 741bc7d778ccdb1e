package frontend

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
)

// The route table: "" is its first route, every name finds its own route,
// and an unknown name is refused naming every route, in table order.
func TestLookupRoute(t *testing.T) {
	r, err := lookupRoute("")
	if err != nil || r.name != "zip" {
		t.Fatalf("default route %v, %v; want zip", r, err)
	}
	seen := map[string]bool{}
	for _, want := range routes {
		if want.name == "" || want.description == "" || want.build == nil {
			t.Errorf("route %+v lacks a name, a description or a handler", want)
		}
		if seen[want.name] {
			t.Errorf("route %s twice", want.name)
		}
		seen[want.name] = true
		got, err := lookupRoute(want.name)
		if err != nil || got.name != want.name {
			t.Errorf("lookupRoute(%q) = %v, %v", want.name, got, err)
		}
	}
	_, err = lookupRoute("bogus")
	if err == nil || err.Error() != `unknown target "bogus": this frontend builds zip, dir, image, report, lock` {
		t.Errorf("unknown target: %v", err)
	}
	// Only the lock route builds no layer (no SBOM describes it).
	for _, r := range routes {
		if r.layer != (r.name != "lock") {
			t.Errorf("route %s: layer %v", r.name, r.layer)
		}
	}
}

// `--call targets` lists the table: every route in order with its
// description, the first the only default.
func TestTargetsSubrequestListsTheTable(t *testing.T) {
	f := &fakeDaemon{
		opts:  map[string]string{"requestid": targets.RequestTargets, "filename": "Geolayerfile"},
		files: map[string]string{"Geolayerfile": "TARGET aws-lambda python3.13\nREQUIRE glf-pure==1.0.0\n"},
	}
	res, err := Build(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var l targets.List
	if err := json.Unmarshal(res.Metadata["result.json"], &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Targets) != len(routes) {
		t.Fatalf("listed %d targets, the table has %d", len(l.Targets), len(routes))
	}
	for i, tg := range l.Targets {
		if tg.Name != routes[i].name || tg.Description != routes[i].description || tg.Default != (i == 0) {
			t.Errorf("target %d: %+v, want %s (%s), default %v", i, tg, routes[i].name, routes[i].description, i == 0)
		}
	}
}

// `--call outline` describes the route --target names (the default
// without one), from the table; an unknown target is the build's error.
func TestOutlineDescribesTheRoute(t *testing.T) {
	for _, target := range []string{"", "image", "lock", "bogus"} {
		opts := map[string]string{"requestid": outline.SubrequestsOutlineDefinition.Name, "filename": "Geolayerfile"}
		if target != "" {
			opts["target"] = target
		}
		f := &fakeDaemon{
			opts:  opts,
			files: map[string]string{"Geolayerfile": "# Python minor version\nARG PYTHON=3.13\nTARGET aws-lambda python${PYTHON}\nREQUIRE glf-pure==1.0.0\n"},
		}
		res, err := Build(context.Background(), f)
		if target == "bogus" {
			if err == nil || !strings.Contains(err.Error(), `unknown target "bogus": this frontend builds zip, dir, image, report, lock`) {
				t.Errorf("outline of an unknown target: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("target %q: %v", target, err)
		}
		var o outline.Outline
		if err := json.Unmarshal(res.Metadata["result.json"], &o); err != nil {
			t.Fatal(err)
		}
		want, _ := lookupRoute(target)
		if o.Name != want.name || o.Description != want.description {
			t.Errorf("target %q: outline %q (%q), want %q (%q)", target, o.Name, o.Description, want.name, want.description)
		}
		if len(o.Args) != 1 || o.Args[0].Name != "PYTHON" || o.Args[0].Value != "3.13" || o.Args[0].Description != "Python minor version" {
			t.Errorf("target %q: outline args %+v", target, o.Args)
		}
	}
}

// customNames lists the names of every step the daemon was asked to
// solve.
func customNames(f *fakeDaemon) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, def := range f.solved {
		for _, md := range def.Metadata {
			if n := md.Description["llb.customname"]; n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// Every route builds both platforms through the fake daemon, produces
// what it says, and carries geolayer's SBOM when asked except for the lock
// route, which builds no layer. The routes that read the layer's report
// (zip, report, image) raise its warnings. The image route's config has
// the data variable the report says is safe, under ENV.
func TestEveryRouteBuildsWithoutDaemon(t *testing.T) {
	const envReport = `{"packages":[{"name":"glf-pure","version":"1.0.0","warnings":["installs the .pth file glf.pth: Python runs its import lines at every interpreter start"]}],"environment":[
		{"variable":"GDAL_DATA","values":[{"package":"glf-pure","path":"python/glf_pure/gdal_data"}],"safe":true},
		{"variable":"PROJ_DATA","values":[{"package":"a","path":"x"},{"package":"b","path":"y"}],"safe":false}]}`
	marks := map[string]func(names []string) bool{
		"zip":    func(n []string) bool { return slices.ContainsFunc(n, hasSuffix("assemble layer.zip")) },
		"dir":    func(n []string) bool { return slices.ContainsFunc(n, hasSuffix("assemble layer.zip")) },
		"image":  func(n []string) bool { return slices.ContainsFunc(n, hasSuffix("runtime image with layer")) },
		"report": func(n []string) bool { return slices.ContainsFunc(n, hasSuffix("] report.html")) },
		"lock":   func(n []string) bool { return slices.ContainsFunc(n, hasSuffix("write pylock.toml")) },
	}
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			mark, ok := marks[r.name]
			if !ok {
				t.Fatalf("route %s: no expectation in this test", r.name)
			}
			f := &fakeDaemon{
				opts: map[string]string{"target": r.name, "platform": "linux/amd64,linux/arm64", "filename": "Geolayerfile", "attest:sbom": ""},
				files: map[string]string{"Geolayerfile": "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\n" +
					"INDEX https://index.example/simple/\nREQUIRE glf-pure==1.0.0\nENV PROJ_DATA=/opt/proj\nTEST import glf_pure\n"},
				pages:  map[string]string{"https://index.example/simple/glf-pure/": fakePage("glf-pure", "glf_pure-1.0.0-py3-none-any.whl")},
				report: envReport,
			}
			res, err := Build(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Refs) != 2 {
				t.Errorf("refs %v: want one per platform", res.Refs)
			}
			names := customNames(f)
			if !mark(names) {
				t.Errorf("no step of the %s route among %q", r.name, names)
			}
			if got, want := len(res.Attestations) > 0, r.layer; got != want {
				t.Errorf("SBOM attestations %v, want %v", res.Attestations, want)
			}
			warned := slices.ContainsFunc(f.warns, func(w string) bool { return strings.Contains(w, "glf-pure 1.0.0: installs the .pth file glf.pth") })
			if want := r.name == "zip" || r.name == "report" || r.name == "image"; warned != want {
				t.Errorf("report warning raised %v, want %v (warnings %q)", warned, want, f.warns)
			}
			if r.name == "lock" && slices.ContainsFunc(names, hasSuffix("assemble layer.zip")) {
				t.Errorf("the lock route assembled a layer")
			}
			if r.name != "image" {
				return
			}
			for _, arch := range []string{"amd64", "arm64"} {
				var img struct {
					Config struct{ Env []string }
				}
				if err := json.Unmarshal(res.Metadata["containerimage.config/linux/"+arch], &img); err != nil {
					t.Fatalf("%s image config: %v", arch, err)
				}
				for _, want := range []string{"GDAL_DATA=/opt/python/glf_pure/gdal_data", "PROJ_DATA=/opt/proj"} {
					if !slices.Contains(img.Config.Env, want) {
						t.Errorf("%s image env %q lacks %s", arch, img.Config.Env, want)
					}
				}
			}
		})
	}
}

func hasSuffix(s string) func(string) bool {
	return func(n string) bool { return strings.HasSuffix(n, s) }
}
