//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
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

// Every Lambda/SAM stand-in is a two-platform index whose configs say their
// platform. (The Azure and GCP ones are linux/amd64 only, like the real
// images: TestWorldPlatformStandinsConfig.)
func TestWorldStandinsAreTwoPlatformIndexes(t *testing.T) {
	refs := []string{
		"lambda/python:3.11", "lambda/python:3.13",
		"sam/build-python3.11:latest", "sam/build-python3.13:latest",
		// the plain Debian images the dev world's own tooling builds on
		"geolayer/standin-runtime:bookworm", "geolayer/standin-runtime:trixie",
		"geolayer/standin-build:bookworm", "geolayer/standin-build:trixie",
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
	_ = resp.Body.Close()
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
		_ = r.Body.Close()
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

// The Lambda and SAM stand-ins pushed under the real names have the real
// images' layout and config (hack/README.md, "Lambda and SAM stand-ins").
// Config, from aws/aws-lambda-base-images (branches python3.11, python3.13:
// Dockerfile.python3.X) and aws/aws-sam-build-images
// (build-image-src/Dockerfile-python311, -python313: FROM the Lambda image,
// ENV PATH=$PATH:/usr/local/opt/lambda-builders/bin, LANG, ENTRYPOINT [],
// CMD ["/bin/bash"]).
const (
	lambdaPATH = "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin"
	lambdaLD   = "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"
	// BuildKit's PATH for a RUN in an image without one (what an LLB exec
	// that does not apply the image config gets).
	buildkitDefaultPATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

var strictStandins = []struct {
	ref, stage, py, decoy string // decoy: the other CPython at /usr/bin/python3 of a SAM image
}{
	{"lambda/python:3.11", "lambda311", "3.11", ""},
	{"lambda/python:3.13", "lambda313", "3.13", ""},
	{"sam/build-python3.11:latest", "sam311", "3.11", "3.13"},
	{"sam/build-python3.13:latest", "sam313", "3.13", "3.11"},
}

func TestWorldLambdaStandinConfigs(t *testing.T) {
	check := func(ref string, want map[string]string, workdir string, entrypoint, cmd []string) {
		t.Helper()
		r, err := name.ParseReference(env.registry+"/"+ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := remote.Index(r)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range im.Manifests {
			img, err := idx.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			where := ref + " " + cf.OS + "/" + cf.Architecture
			got := map[string]string{}
			for _, kv := range cf.Config.Env {
				k, v, _ := strings.Cut(kv, "=")
				got[k] = v
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: Env\n got %v\nwant %v", where, got, want)
			}
			if cf.Config.WorkingDir != workdir {
				t.Errorf("%s: WorkingDir %q, want %q", where, cf.Config.WorkingDir, workdir)
			}
			if fmt.Sprintf("%q", cf.Config.Entrypoint) != fmt.Sprintf("%q", entrypoint) {
				t.Errorf("%s: Entrypoint %q, want %q", where, cf.Config.Entrypoint, entrypoint)
			}
			if fmt.Sprintf("%q", cf.Config.Cmd) != fmt.Sprintf("%q", cmd) {
				t.Errorf("%s: Cmd %q, want %q", where, cf.Config.Cmd, cmd)
			}
		}
	}
	lambdaEnv := func(path string) map[string]string {
		return map[string]string{"LANG": "en_US.UTF-8", "TZ": ":/etc/localtime", "PATH": path, "LD_LIBRARY_PATH": lambdaLD,
			"LAMBDA_TASK_ROOT": "/var/task", "LAMBDA_RUNTIME_DIR": "/var/runtime"}
	}
	for _, s := range strictStandins {
		if s.decoy == "" {
			check(s.ref, lambdaEnv(lambdaPATH), "/var/task", []string{"/lambda-entrypoint.sh"}, nil)
		} else { // ENTRYPOINT []: no Entrypoint in the config, as BuildKit writes it
			check(s.ref, lambdaEnv(lambdaPATH+":/usr/local/opt/lambda-builders/bin"), "/var/task", nil, []string{"/bin/bash"})
		}
	}
	// The plain Debian images keep Debian's PATH.
	for _, ref := range []string{"geolayer/standin-runtime:bookworm", "geolayer/standin-build:trixie"} {
		check(ref, map[string]string{"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}, "", nil, []string{"/bin/sh"})
	}
}

// Inside, on the real buildkitd for both platforms: /var/lang's CPython is
// the only python on the image's PATH and on BuildKit's default one there is
// none (Lambda) or the decoy OS python, another CPython without pip (SAM);
// site-packages, sysconfig and the headers are /var/lang's, so pip wheel of
// a C-extension sdist compiles against /var/lang/include.
func TestWorldLambdaStandinsInside(t *testing.T) {
	dir := t.TempDir()
	probe := filepath.Join(dir, "probe")
	if err := os.MkdirAll(probe, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"probe.sh": probeSh, "probe.py": probePy}
	for n, body := range files {
		if err := os.WriteFile(filepath.Join(probe, n), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeSdist(t, filepath.Join(probe, "glfprobe-1.0.tar.gz"))
	var df strings.Builder
	for _, s := range strictStandins {
		fmt.Fprintf(&df, "FROM public.ecr.aws/%s AS %s\nCOPY probe/ /probe/\nRUN sh /probe/probe.sh %s %q\n\n", s.ref, s.stage, s.py, s.decoy)
	}
	df.WriteString("FROM scratch\n")
	for _, s := range strictStandins {
		fmt.Fprintf(&df, "COPY --from=%s /out/ /%s/\n", s.stage, s.stage)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	run(t, dir, false, "buildctl", "--addr", env.buildkitHost, "build", "--progress=plain", "--frontend", "dockerfile.v0",
		"--local", "context="+dir, "--local", "dockerfile="+dir, "--opt", "platform=linux/amd64,linux/arm64",
		"--output", "type=local,dest="+out)
	for _, arch := range []string{"amd64", "arm64"} {
		machine := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[arch]
		for _, s := range strictStandins {
			where := s.ref + " linux/" + arch
			b, err := os.ReadFile(filepath.Join(out, "linux_"+arch, s.stage, "report.txt"))
			if err != nil {
				t.Errorf("%s: %v", where, err)
				continue
			}
			rep := map[string]string{}
			for _, l := range strings.Split(string(b), "\n") {
				if k, v, ok := strings.Cut(l, "="); ok {
					rep[k] = v
				}
			}
			nodot := strings.ReplaceAll(s.py, ".", "")
			site := "/var/lang/lib/python" + s.py + "/site-packages"
			want := map[string]string{
				"machine":            machine,
				"python3":            "/var/lang/bin/python3",
				"python3-link":       "python" + s.py,
				"version":            s.py,
				"prefix":             "/var/lang",
				"getsitepackages":    site,
				"site-on-path":       "yes",
				"purelib":            site,
				"INCLUDEPY":          "/var/lang/include/python" + s.py,
				"LIBDIR":             "/var/lang/lib",
				"sysconfig-prefix":   "/var/lang",
				"EXT_SUFFIX":         ".cpython-" + nodot + "-" + machine + "-linux-gnu.so",
				"imports":            "ok",
				"libpython":          "yes",
				"dirs":               "/var/runtime /var/task",
				"entrypoint":         "yes",
				"externally-managed": "no",
			}
			if s.decoy == "" {
				want["os-python"] = ""
				want["default-path-python3"] = "none"
				want["pip"] = "no"
			} else {
				want["os-python"] = "/usr/bin/python3 /usr/bin/python" + s.decoy
				want["default-path-python3"] = "/usr/bin/python3"
				want["decoy-version"] = s.decoy
				want["decoy-pip"] = "no"
				want["pip"] = site + "/pip"
				want["setuptools"] = site + "/setuptools"
				want["wheel"] = site + "/wheel"
				want["pip-scripts"] = "pip pip3 pip" + s.py
				want["pyconfig"] = "real"
				want["pip-wheel"] = "0"
				want["wheel-file"] = "glfprobe-1.0-cp" + nodot + "-cp" + nodot + "-linux_" + machine + ".whl"
				want["ext-file"] = "glfprobe.cpython-" + nodot + "-" + machine + "-linux-gnu.so"
				want["ext-minor"] = strings.TrimPrefix(s.py, "3.")
				want["compiled-against"] = "-I/var/lang/include/python" + s.py
			}
			for k, v := range want {
				if rep[k] != v {
					t.Errorf("%s: %s = %q, want %q", where, k, rep[k], v)
				}
			}
			if t.Failed() || testing.Verbose() {
				t.Logf("%s report:\n%s", where, b)
				if log, err := os.ReadFile(filepath.Join(out, "linux_"+arch, s.stage, "pip.log")); err == nil && t.Failed() {
					t.Logf("%s pip.log:\n%s", where, tail(string(log), 40))
				}
			}
		}
	}
}

// writeSdist writes a minimal setuptools sdist with one C extension whose
// minor() returns the PY_MINOR_VERSION of the headers it was compiled with.
func writeSdist(t *testing.T, dst string) {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct{ name, body string }{
		{"PKG-INFO", "Metadata-Version: 2.1\nName: glfprobe\nVersion: 1.0\n"},
		{"setup.py", "from setuptools import Extension, setup\n\nsetup(name='glfprobe', version='1.0', ext_modules=[Extension('glfprobe', ['glfprobe.c'])])\n"},
		{"glfprobe.c", `#include <Python.h>

static PyObject *minor(PyObject *self, PyObject *unused) { return PyLong_FromLong(PY_MINOR_VERSION); }
static PyMethodDef methods[] = {{"minor", minor, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "glfprobe", NULL, -1, methods};
PyMODINIT_FUNC PyInit_glfprobe(void) { return PyModule_Create(&module); }
`},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: "glfprobe-1.0/" + f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// probe.sh PY DECOY: key=value facts about the image into /out/report.txt
// (run with the image's own environment, as a Dockerfile RUN does).
const probeSh = `set -u
py=$1 decoy=$2
mkdir -p /out
exec >/out/report.txt 2>&1
echo "machine=$(uname -m)"
echo "python3=$(command -v python3 || echo none)"
echo "python3-link=$(readlink /var/lang/bin/python3)"
echo "version=$(/var/lang/bin/python$py -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
echo "os-python=$(ls -d /usr/bin/python* /usr/sbin/python* /usr/local/bin/python* /usr/local/sbin/python* 2>/dev/null | sort -u | tr '\n' ' ' | sed 's/ $//')"
echo "default-path-python3=$(env -i PATH=` + buildkitDefaultPATH + ` sh -c 'command -v python3 || echo none')"
echo "dirs=$(for d in /var/runtime /var/task; do [ -d $d ] && printf '%s ' $d; done | sed 's/ $//')"
[ -x /lambda-entrypoint.sh ] && echo entrypoint=yes
[ -f /var/lang/lib/libpython$py.so.1.0 ] && echo libpython=yes
[ -e /var/lang/lib/python$py/EXTERNALLY-MANAGED ] && echo externally-managed=yes || echo externally-managed=no
if [ -n "$decoy" ]; then
  echo "decoy-version=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  /usr/bin/python3 -m pip --version >/dev/null 2>&1 && echo decoy-pip=yes || echo decoy-pip=no
  echo "pip-scripts=$(cd /var/lang/bin && ls pip pip3 pip$py 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
  grep -q '^#define SIZEOF_VOID_P' /var/lang/include/python$py/pyconfig.h && echo pyconfig=real
  cd /tmp && /var/lang/bin/python$py -m pip wheel -v --no-index --no-deps --no-build-isolation -w /out/wheels /probe/glfprobe-1.0.tar.gz >/out/pip.log 2>&1
  echo "pip-wheel=$?"
  echo "wheel-file=$(cd /out/wheels && ls)"
  grep -o -- "-I/var/lang/include/python$py" /out/pip.log | head -1 | sed 's/^/compiled-against=/'
  /var/lang/bin/python$py -m zipfile -e /out/wheels/*.whl /tmp/glfprobe
  PYTHONPATH=/tmp/glfprobe /var/lang/bin/python$py -c 'import glfprobe, os; print("ext-file=" + os.path.basename(glfprobe.__file__)); print("ext-minor=%d" % glfprobe.minor())'
fi
/var/lang/bin/python$py /probe/probe.py
exit 0
`

// probe.py: the interpreter's own view.
const probePy = `import importlib, os, site, sys, sysconfig
print("prefix=" + sys.prefix)
print("getsitepackages=" + " ".join(site.getsitepackages()))
sp = "/var/lang/lib/python%d.%d/site-packages" % sys.version_info[:2]
print("site-on-path=" + ("yes" if sp in sys.path else "no"))
print("purelib=" + sysconfig.get_paths()["purelib"])
for k in ("INCLUDEPY", "LIBDIR", "EXT_SUFFIX"):
    print(k + "=" + str(sysconfig.get_config_var(k)))
print("sysconfig-prefix=" + str(sysconfig.get_config_var("prefix")))
import ssl, sqlite3, ctypes, zlib, lzma, bz2, json, decimal
print("imports=ok")
# setuptools first: Debian's pip imports the stdlib distutils, which
# setuptools' distutils shim refuses once loaded (the same in Debian's image).
for m in ("setuptools", "wheel", "pip"):
    try:
        print(m + "=" + os.path.dirname(importlib.import_module(m).__file__))
    except ImportError:
        print(m + "=no")
`
