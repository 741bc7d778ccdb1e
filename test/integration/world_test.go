//go:build integration

package integration

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/pkg/simpleindex"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The daemon must offer both architectures (arm64 through binfmt/QEMU).
func TestWorldWorkersListBothPlatforms(t *testing.T) {
	out := run(t, "", false, "buildctl", "--addr", env.buildkitHost, "debug", "workers", "-v")
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		if !strings.Contains(out, p) {
			t.Errorf("buildctl debug workers does not list %s:\n%s", p, out)
		}
	}
}

// Every stand-in is a two-platform index whose configs say their platform.
func TestWorldStandinsAreTwoPlatformIndexes(t *testing.T) {
	refs := []string{
		"lambda/python:3.11", "lambda/python:3.13",
		"sam/build-python3.11:latest", "sam/build-python3.13:latest",
		"azure-functions/python:4-python3.11", "azure-functions/python:4-python3.13",
		"serverless-runtimes/google-22-full/runtimes/python311",
		"serverless-runtimes/google-24-full/runtimes/python313",
	}
	for _, r := range refs {
		ref, err := name.ParseReference(env.registry+"/"+r, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := remote.Index(ref)
		if err != nil {
			t.Errorf("%s: %v", r, err)
			continue
		}
		im, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, d := range im.Manifests {
			img, err := idx.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if d.Platform == nil || cf.OS != d.Platform.OS || cf.Architecture != d.Platform.Architecture {
				t.Errorf("%s: manifest %s says %v but its config says %s/%s", r, d.Digest, d.Platform, cf.OS, cf.Architecture)
			}
			got[cf.OS+"/"+cf.Architecture] = true
		}
		if !got["linux/amd64"] || !got["linux/arm64"] || len(got) != 2 {
			t.Errorf("%s: platforms %v, want linux/amd64 and linux/arm64", r, got)
		}
	}
}

// pip finds every fixture on the local index.
func TestWorldIndexServesFixtures(t *testing.T) {
	pip, err := exec.LookPath("pip3")
	if err != nil {
		if pip, err = exec.LookPath("pip"); err != nil {
			t.Fatal("pip is needed to check the index the way users' tools read it")
		}
	}
	dir := t.TempDir()
	for _, spec := range []string{"glf-pure==1.0.0", "glf-pure==1.1.0", "glf-meta", "glf-data", "glf-plugins", "glf-plugin-a"} {
		run(t, dir, false, pip, "download", "--isolated", "--no-deps", "--index-url", env.indexURL, "-d", dir, spec)
	}
	// pip matches --platform tags exactly: give it every manylinux level the
	// stand-ins' glibc (2.36) allows, as an installer on such a system would.
	for _, arch := range []string{"x86_64", "aarch64"} {
		var plats []string
		for minor := 36; minor >= 5; minor-- {
			if arch == "aarch64" && minor < 17 {
				break
			}
			plats = append(plats, "--platform", fmt.Sprintf("manylinux_2_%d_%s", minor, arch))
		}
		for _, py := range []string{"311", "313"} {
			for _, spec := range []string{"glf-cext", "glf-vendored"} {
				args := append([]string{"download", "--isolated", "--no-deps", "--only-binary=:all:"}, plats...)
				args = append(args, "--python-version", py, "--implementation", "cp", "--abi", "cp"+py,
					"--index-url", env.indexURL, "-d", dir, spec)
				run(t, dir, false, pip, args...)
			}
		}
	}
	// pip download of an sdist prepares its metadata, which needs a build
	// backend this host's Python lacks: fetch it the way the page lists it.
	fetchFromPage(t, "glf-sdistonly", ".tar.gz", dir)
	entries, _ := os.ReadDir(dir)
	if len(entries) < 15 {
		t.Errorf("expected every fixture file, got %d files", len(entries))
	}
}

// A user's plain Dockerfile on a real image name builds offline on both
// platforms through docker buildx and the remote builder.
func TestWorldDockerfileOnRealImageName(t *testing.T) {
	dir := t.TempDir()
	df := "FROM public.ecr.aws/lambda/python:3.13\nRUN python3 -c 'import platform; print(platform.machine())' > /arch\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	run(t, dir, false, "docker", "buildx", "build", "--builder", env.builder, "--progress=plain",
		"--platform", "linux/amd64,linux/arm64", "-o", "type=local,dest="+out, ".")
	for plat, want := range map[string]string{"linux_amd64": "x86_64", "linux_arm64": "aarch64"} {
		b, err := os.ReadFile(filepath.Join(out, plat, "arch"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(string(b)) != want {
			t.Errorf("%s: ran on %q, want %q", plat, b, want)
		}
	}
}

// fetchFromPage downloads a project's file through its index page and checks
// the sha256 the page publishes.
func fetchFromPage(t *testing.T, project, suffix, dir string) {
	t.Helper()
	pageURL := env.indexURL + project + "/"
	resp, err := http.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	p, err := simpleindex.Parse(body, resp.Header.Get("Content-Type"), pageURL)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range p.Files {
		if !strings.HasSuffix(f.Filename, suffix) {
			continue
		}
		r, err := http.Get(f.URL)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if got := fmt.Sprintf("%x", sha256.Sum256(data)); got != f.Hashes["sha256"] {
			t.Fatalf("%s: sha256 %s, page says %s", f.Filename, got, f.Hashes["sha256"])
		}
		if err := os.WriteFile(filepath.Join(dir, f.Filename), data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s: no %s file on %s", project, suffix, pageURL)
}
