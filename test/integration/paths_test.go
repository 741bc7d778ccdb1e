//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/pkg/report"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// --target image gives a two-platform image: the runtime stand-in with the
// layer at /opt and the platform's environment, and the code runs in it.
func TestImageTargetRunsOnBothPlatforms(t *testing.T) {
	dir := fixtureProject(t, "3.13")
	ref := env.registry + "/geolayer-test/fixtures-layer:it"
	buildx(t, dir, false, "-f", "Geolayerfile", "--target", "image",
		"-o", "type=image,name="+ref+",push=true,registry.insecure=true", ".")
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(r)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	var images []v1.Descriptor
	for _, d := range im.Manifests {
		// buildx adds provenance attestations as unknown/unknown manifests
		if d.Platform != nil && d.Platform.OS == "linux" {
			images = append(images, d)
		}
	}
	if len(images) != 2 {
		t.Fatalf("image index has %d platform images, want 2: %+v", len(images), im.Manifests)
	}
	for _, d := range images {
		img, _ := idx.Image(d.Digest)
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(cf.Config.Env, " "), "LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64") {
			t.Errorf("%s: config env lacks Lambda's LD_LIBRARY_PATH: %v", d.Platform, cf.Config.Env)
		}
	}
	ctx := t.TempDir()
	df := "FROM " + ref + "\nRUN PYTHONPATH=/opt/python/lib/python3.13/site-packages:/opt/python python3 -c 'import glf_cext, glf_vendored, glf_data; assert glf_cext.add(2, 3) == 5; print(\"image ok\")'\n"
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	o := run(t, ctx, false, "docker", "buildx", "build", "--builder", env.builder, "--progress=plain", "--no-cache",
		"--platform", "linux/amd64,linux/arm64", ".")
	if strings.Count(o, "image ok") < 2 {
		t.Errorf("the image did not run on both platforms:\n%s", tail(o, 30))
	}
}

// buildctl with the gateway frontend and the geolayer CLI (frontend
// in-process) give the same bytes as docker buildx.
func TestBuildctlAndCLIMatchBuildx(t *testing.T) {
	dir := fixtureProject(t, "3.13")
	buildx(t, dir, false, "-f", "Geolayerfile", "-o", filepath.Join(dir, "bx"), ".")
	buildctlRaw(t, env.buildkitHost, dir, filepath.Join(dir, "bc"), "platform=linux/amd64,linux/arm64")
	bin := geolayerCLI(t)
	run(t, dir, false, bin, "build", "--progress=plain", "--build-arg", "GEOLAYER_INDEX_URL="+env.indexURL,
		"--platform", "linux/amd64,linux/arm64", "-o", filepath.Join(dir, "cli"), ".")
	for _, p := range []string{"linux_amd64", "linux_arm64"} {
		want := sha(t, filepath.Join(dir, "bx", p, "layer.zip"))
		for _, other := range []string{"bc", "cli"} {
			if got := sha(t, filepath.Join(dir, other, p, "layer.zip")); got != want {
				t.Errorf("%s/%s/layer.zip differs from buildx's", other, p)
			}
		}
	}
}

// --call outline and --call targets answer through dockerui subrequests.
func TestSubrequests(t *testing.T) {
	dir := project(t, "# The Python version.\nARG PYTHON=3.13\nTARGET aws-lambda python${PYTHON}\nREQUIRE glf-pure==1.0.0\n", nil)
	o := buildx(t, dir, false, "-f", "Geolayerfile", "--call", "outline", ".")
	if !strings.Contains(o, "PYTHON") || !strings.Contains(o, "3.13") || !strings.Contains(o, "The Python version") {
		t.Errorf("outline does not list ARG PYTHON with its default and description:\n%s", o)
	}
	// The outline names the target --target selects, described from the
	// frontend's route table.
	o = buildx(t, dir, false, "-f", "Geolayerfile", "--call", "outline", "--target", "image", ".")
	if !strings.Contains(o, "image") || !strings.Contains(o, "the runtime image with the layer where the platform mounts it") {
		t.Errorf("outline of --target image does not name and describe it:\n%s", o)
	}
	o = buildx(t, dir, false, "-f", "Geolayerfile", "--call", "targets", ".")
	for _, tg := range []string{"zip", "dir", "image", "report", "lock"} {
		if !strings.Contains(o, tg) {
			t.Errorf("targets do not list %s:\n%s", tg, o)
		}
	}
}

// Unpinned requirements are resolved by pip in the build image; --target
// lock writes what was chosen, and REQUIRE --lock builds the same layer.
func TestUnpinnedResolveAndLockRoundTrip(t *testing.T) {
	dir := project(t, "TARGET aws-lambda python3.13\nPLATFORM linux/amd64\nREQUIRE glf-pure glf-data\n", nil)
	buildx(t, dir, false, "-f", "Geolayerfile", "-o", filepath.Join(dir, "zip"), ".")
	rep, err := report.Read(filepath.Join(dir, "zip", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range rep.Packages {
		got[p.Name] = p.Version
	}
	if got["glf-pure"] != "1.1.0" || got["glf-pure-dep"] != "1.0.0" || got["glf-data"] != "1.0.0" {
		t.Errorf("pip resolution chose %v; want glf-pure 1.1.0 (newest) with its dependency glf-pure-dep and glf-data", got)
	}
	buildx(t, dir, false, "-f", "Geolayerfile", "--target", "lock", "-o", filepath.Join(dir, "lock"), ".")
	lock, err := os.ReadFile(filepath.Join(dir, "lock", "pylock.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"glf-pure", "glf-pure-dep", "glf-data", "sha256"} {
		if !strings.Contains(string(lock), w) {
			t.Errorf("pylock.toml lacks %q:\n%s", w, lock)
		}
	}
	locked := project(t, "TARGET aws-lambda python3.13\nPLATFORM linux/amd64\nREQUIRE --lock=pylock.toml\n", map[string]string{"pylock.toml": string(lock)})
	buildx(t, locked, false, "-f", "Geolayerfile", "-o", filepath.Join(locked, "zip"), ".")
	if a, b := sha(t, filepath.Join(dir, "zip", "layer.zip")), sha(t, filepath.Join(locked, "zip", "layer.zip")); a != b {
		t.Errorf("the layer built from the lock differs from the resolved one")
	}
}

// The demo in examples/ builds as the README says, through hack/demo.sh
// (what make demo runs), and its output has no warning.
func TestExampleFixturesDemoBuilds(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	t.Setenv("GEOLAYER_DEMO_OUT", out)
	log := run(t, repoRoot(t), false, "bash", "hack/demo.sh")
	for _, l := range strings.Split(log, "\n") {
		// buildx prints "WARN: ..." lines and "N warning(s) found".
		if strings.Contains(l, "WARN") || strings.Contains(l, "warning found") || strings.Contains(l, "warnings found") {
			t.Errorf("make demo printed a warning: %s", l)
		}
	}
	for _, p := range []string{"linux_amd64", "linux_arm64"} {
		rep, err := report.Read(filepath.Join(out, p, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Packages) != 5 || rep.RuntimeImage == "" || !strings.Contains(rep.RuntimeImage, "@sha256:") {
			t.Errorf("%s: unexpected report: %d packages, runtime image %q", p, len(rep.Packages), rep.RuntimeImage)
		}
	}
}

// --target report gives report.json and a self-contained report.html with
// the layer's treemap; the zip target's build log carries the report table.
func TestReportTarget(t *testing.T) {
	dir := project(t, "TARGET aws-lambda python3.13\nPLATFORM linux/amd64\nREQUIRE glf-pure==1.0.0 glf-pure-dep==1.0.0 glf-cext==1.0.0\n", nil)
	// --no-cache: the table is the assemble step's log, shown when it runs.
	out := buildx(t, dir, false, "-f", "Geolayerfile", "--target", "report", "--no-cache", "-o", filepath.Join(dir, "out"), ".")
	html, err := os.ReadFile(filepath.Join(dir, "out", "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "glf_cext", "glf-pure", "linux/amd64"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, bad := range []string{"http://", "https://", "src="} {
		if strings.Contains(string(html), bad) {
			t.Errorf("report.html is not self-contained: it has %q", bad)
		}
	}
	if _, err := report.Read(filepath.Join(dir, "out", "report.json")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "layer.zip")); err == nil {
		t.Error("--target report exported layer.zip")
	}
	if !strings.Contains(out, "PACKAGE") || !strings.Contains(out, "unzipped") {
		t.Errorf("the build log should show the report table:\n%s", tail(out, 40))
	}
}
