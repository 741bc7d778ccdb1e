//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The Azure Functions and Google Cloud stand-ins (hack/platforms.sh,
// hack/README.md "Azure and GCP stand-ins"): linux/amd64 only, with the real
// images' config, and inside what the real ones have where geolayer looks:
// glibc, where CPython is, pip, a compiler, the user.
type platformStandin struct {
	real string // the name a Dockerfile uses; buildkitd's mirrors resolve it
	path string // the same image in the dev registry
	// config
	user string
	env  map[string]string // a subset of the config's Env
	cmd  []string
	// inside (probe output, see platformProbe)
	debian, glibc, python3, pyver string
	pip, compiler                 bool
	uid                           string
	exists                        []string
}

var platformStandins = []platformStandin{
	{
		// Debian 11 (glibc 2.31): Azure/azure-functions-docker
		// host/4/bullseye/python/python311/python311.Dockerfile;
		// azure-functions-python-worker#1651. CPython 3.11 as
		// python:3.11-slim-bullseye has it, in /usr/local; pip; no compiler.
		real: "mcr.microsoft.com/azure-functions/python:4-python3.11",
		path: "azure-functions/python:4-python3.11",
		env: map[string]string{"FUNCTIONS_WORKER_RUNTIME": "python", "FUNCTIONS_WORKER_RUNTIME_VERSION": "3.11",
			"AzureWebJobsScriptRoot": "/home/site/wwwroot", "HOME": "/home", "LANG": "C.UTF-8",
			"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		cmd:    []string{"/opt/startup/start_nonappservice.sh"},
		debian: "11.", glibc: "glibc 2.31", python3: "/usr/local/bin/python3", pyver: "3.11.", pip: true, uid: "0",
		exists: []string{"/usr/local/bin/python3.11", "/usr/local/lib/libpython3.11.so.1.0", "/usr/local/bin/pip", "/usr/bin/ld"},
	},
	{
		// python311-buildenv.Dockerfile: python:3.11-slim-bullseye + build-essential & co.
		real: "mcr.microsoft.com/azure-functions/python:4-python3.11-buildenv",
		path: "azure-functions/python:4-python3.11-buildenv",
		env:  map[string]string{"FUNCTIONS_WORKER_RUNTIME": "python", "PYTHON_VERSION": "3.11.2", "LANG": "C.UTF-8"},
		cmd:  []string{"python3"},
		// /usr/bin/python3 is Debian's 3.9 (python3-dev), behind /usr/local/bin on PATH.
		debian: "11.", glibc: "glibc 2.31", python3: "/usr/local/bin/python3", pyver: "3.11.", pip: true, compiler: true, uid: "0",
		exists: []string{"/usr/bin/python3.9", "/usr/include/python3.9/Python.h", "/usr/local/include/python3.11/Python.h"},
	},
	{
		// Debian 12 (glibc 2.36): host/4/bookworm/python/python313/python313.Dockerfile,
		// Oryx's CPython in /opt/python/<version>, bin/* linked into /usr/bin.
		real: "mcr.microsoft.com/azure-functions/python:4-python3.13",
		path: "azure-functions/python:4-python3.13",
		env: map[string]string{"FUNCTIONS_WORKER_RUNTIME": "python", "FUNCTIONS_WORKER_RUNTIME_VERSION": "3.13",
			"APP_UID": "1654", "HOME": "/home"},
		cmd:    []string{"/opt/startup/start_nonappservice.sh"},
		debian: "12.", glibc: "glibc 2.36", python3: "/usr/bin/python3", pyver: "3.13.", pip: true, uid: "0",
		exists: []string{"/opt/python/3.13/bin/python3.13", "/opt/python/3/bin/python3", "/usr/bin/python3.13",
			"/usr/bin/pip", "/usr/lib/libpython3.13.so.1.0"},
	},
	{
		// GoogleCloudPlatform/buildpacks stacks/google_22/build.Dockerfile:
		// USER cnb (1000:1000), python3 without pip, build-essential. The
		// stand-in's CPython (Debian 11's 3.9) is no target's, like
		// Ubuntu 22.04's 3.10 is none of python311/312/313's.
		real: "gcr.io/buildpacks/google-22/build",
		path: "buildpacks/google-22/build:latest",
		user: "cnb",
		env: map[string]string{"CNB_USER_ID": "1000", "CNB_GROUP_ID": "1000", "CNB_STACK_ID": "google.22",
			"LANG": "en_US.UTF-8", "LANGUAGE": "en_US:en", "LC_ALL": "en_US.UTF-8", "PORT": "8080"},
		debian: "11.", glibc: "glibc 2.31", python3: "/usr/bin/python3", pyver: "3.9.", compiler: true, uid: "1000",
		exists: []string{"/home/cnb", "/builder/outputs"},
	},
	{
		// stacks/google_24_universal/build.Dockerfile: USER 33:33, python3 without pip.
		real: "gcr.io/buildpacks/google-24/build",
		path: "buildpacks/google-24/build:latest",
		user: "33:33",
		env: map[string]string{"CNB_USER_ID": "33", "CNB_GROUP_ID": "33", "CNB_STACK_ID": "google.24",
			"LC_ALL": "en_US.UTF-8", "PORT": "8080"},
		debian: "12.", glibc: "glibc 2.36", python3: "/usr/bin/python3", pyver: "3.11.", compiler: true, uid: "33",
		exists: []string{"/www-data-home", "/builder/outputs"},
	},
	{
		// The runtime images: the google-22-full run image's config
		// (stacks/google_gae_22/run.Dockerfile; an inference), the
		// runtime's CPython (where it is in the real image is not public).
		real:   "us-central1-docker.pkg.dev/serverless-runtimes/google-22-full/runtimes/python311",
		path:   "serverless-runtimes/google-22-full/runtimes/python311:latest",
		user:   "33:33",
		env:    map[string]string{"CNB_USER_ID": "33", "CNB_STACK_ID": "google.gae.22", "PORT": "8080"},
		debian: "12.", glibc: "glibc 2.36", python3: "/usr/bin/python3", pyver: "3.11.", uid: "33",
	},
	{
		real:   "us-central1-docker.pkg.dev/serverless-runtimes/google-22-full/runtimes/python313",
		path:   "serverless-runtimes/google-22-full/runtimes/python313:latest",
		user:   "33:33",
		env:    map[string]string{"CNB_USER_ID": "33", "CNB_STACK_ID": "google.gae.22", "PORT": "8080"},
		debian: "12.", glibc: "glibc 2.36", python3: "/usr/bin/python3", pyver: "3.13.", uid: "33",
	},
}

// platformProbe prints key=value lines about the image it runs in.
const platformProbe = `
echo "uid=$(id -u)"
echo "debian=$(cat /etc/debian_version)"
echo "ldd=$(ldd --version 2>&1 | head -n 1)"
echo "python3=$(command -v python3)"
python3 -c 'import os, platform; print("glibc=" + os.confstr("CS_GNU_LIBC_VERSION")); print("pyver=" + platform.python_version())'
if python3 -m pip --version >/dev/null 2>&1; then echo "pip=$(python3 -m pip --version)"; fi
for c in gcc cc g++ c++; do if command -v "$c" >/dev/null 2>&1; then echo "compiler=$c"; fi; done
for f in "$@"; do if [ -e "$f" ]; then echo "exists=$f"; fi; done
`

// The real Azure and Google images are linux/amd64 only: each stand-in is
// a one-entry index whose config says linux/amd64, and has the real config.
func TestWorldPlatformStandinsConfig(t *testing.T) {
	for _, s := range platformStandins {
		ref, err := name.ParseReference(env.registry+"/"+s.path, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := remote.Index(ref)
		if err != nil {
			t.Errorf("%s: %v", s.path, err)
			continue
		}
		im, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if len(im.Manifests) != 1 || im.Manifests[0].Platform == nil ||
			im.Manifests[0].Platform.OS != "linux" || im.Manifests[0].Platform.Architecture != "amd64" {
			t.Errorf("%s: manifests %+v, want exactly one, for linux/amd64", s.path, im.Manifests)
			continue
		}
		img, err := idx.Image(im.Manifests[0].Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		checkPlatformConfig(t, s, cf)
	}
}

func checkPlatformConfig(t *testing.T, s platformStandin, cf *v1.ConfigFile) {
	t.Helper()
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("%s: config says %s/%s", s.path, cf.OS, cf.Architecture)
	}
	if cf.Config.User != s.user {
		t.Errorf("%s: User %q, want %q", s.path, cf.Config.User, s.user)
	}
	got := map[string]string{}
	for _, kv := range cf.Config.Env {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = v
	}
	for k, v := range s.env {
		if got[k] != v {
			t.Errorf("%s: Env %s=%q, want %q", s.path, k, got[k], v)
		}
	}
	if s.cmd != nil && strings.Join(cf.Config.Cmd, " ") != strings.Join(s.cmd, " ") {
		t.Errorf("%s: Cmd %q, want %q", s.path, cf.Config.Cmd, s.cmd)
	}
}

// Inside each stand-in, on the real buildkitd, through the real name: a
// one-RUN Dockerfile (dockerfile.v0) runs platformProbe as the image's user.
func TestWorldPlatformStandinsInside(t *testing.T) {
	for _, s := range platformStandins {
		t.Run(strings.NewReplacer("/", "_", ":", "_").Replace(s.path), func(t *testing.T) {
			t.Parallel()
			got := probePlatform(t, s)
			want := func(k, v string) {
				t.Helper()
				if !strings.HasPrefix(got[k], v) {
					t.Errorf("%s=%q, want %q...", k, got[k], v)
				}
			}
			want("uid", s.uid)
			want("debian", s.debian)
			want("glibc", s.glibc)
			if !strings.Contains(got["ldd"], strings.TrimPrefix(s.glibc, "glibc ")) {
				t.Errorf("ldd --version says %q, want %s", got["ldd"], s.glibc)
			}
			if got["python3"] != s.python3 {
				t.Errorf("python3 on PATH is %q, want %q", got["python3"], s.python3)
			}
			want("pyver", s.pyver)
			if pip := got["pip"] != ""; pip != s.pip {
				t.Errorf("pip for python3: %q, want present=%v", got["pip"], s.pip)
			} else if pip && !strings.Contains(got["pip"], "(python "+strings.TrimSuffix(s.pyver, ".")+")") {
				t.Errorf("pip is %q, want python %s's", got["pip"], strings.TrimSuffix(s.pyver, "."))
			}
			if cc := got["compiler"] != ""; cc != s.compiler {
				t.Errorf("compiler %q, want present=%v", got["compiler"], s.compiler)
			}
			for _, f := range s.exists {
				if !strings.Contains(" "+got["exists"]+" ", " "+f+" ") {
					t.Errorf("%s is missing (found: %s)", f, got["exists"])
				}
			}
		})
	}
}

// probePlatform runs platformProbe in the image and returns its key=value
// lines (repeated keys joined with spaces).
func probePlatform(t *testing.T, s platformStandin) map[string]string {
	t.Helper()
	dir := t.TempDir()
	df := "FROM " + s.real + "\n" +
		"RUN --mount=type=bind,source=probe.sh,target=/tmp/probe.sh sh /tmp/probe.sh " + strings.Join(s.exists, " ") + " >/tmp/probe.txt\n" +
		"FROM scratch\nCOPY --from=0 /tmp/probe.txt /\n"
	for n, b := range map[string]string{"Dockerfile": df, "probe.sh": platformProbe} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "out")
	run(t, dir, false, "buildctl", "--addr", env.buildkitHost, "build", "--progress=plain",
		"--frontend", "dockerfile.v0", "--local", "context="+dir, "--local", "dockerfile="+dir,
		"--opt", "platform=linux/amd64", "--output", "type=local,dest="+out)
	b, err := os.ReadFile(filepath.Join(out, "probe.txt"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, _ := strings.Cut(l, "=")
		if got[k] != "" {
			v = got[k] + " " + v
		}
		got[k] = v
	}
	t.Logf("%s: %v", s.real, got)
	return got
}
