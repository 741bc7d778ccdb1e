// Command lambdaroot derives the dev world's strict AWS stand-in rootfs
// tarballs from its Debian ones (hack/standins.sh), by rewriting tar entries:
// nothing is unpacked or run, so it works the same for linux/arm64 tarballs on
// an amd64 host.
//
// The real public.ecr.aws/lambda/python:3.X images carry an upstream-built
// CPython under /var/lang (interpreter /var/lang/bin/python3.X, python3
// symlink, stdlib /var/lang/lib/python3.X, libpython in /var/lang/lib) and no
// python on the OS paths; the SAM build images (public.ecr.aws/sam/build-
// python3.X) are those plus compilers, pip, setuptools, wheel, and the OS's
// own, older CPython at /usr/bin/python3. lambdaroot makes the same layout
// from Debian's CPython (hack/README.md, "Lambda and SAM stand-ins"):
//
//	lambdaroot --variant lambda --py 3.11 --arch amd64 \
//	    --debian-runtime bookworm-amd64-runtime.tar --debian-build bookworm-amd64-build.tar -o bookworm-amd64-lambda.tar
//	lambdaroot --variant sam --py 3.11 --arch amd64 \
//	    --debian-runtime bookworm-amd64-runtime.tar --debian-build bookworm-amd64-build.tar \
//	    --decoy trixie-amd64-runtime.tar --decoy-py 3.13 -o bookworm-amd64-sam.tar
//
// lambda (from the runtime tarball): Debian's python3.X moved to /var/lang
// (libpython3.X.so.1.0 taken from the build tarball), EXTERNALLY-MANAGED
// dropped, site.py and sysconfig patched so that the one global site dir and
// the default install scheme are <prefix>/lib/python3.X/site-packages as in
// an upstream build, the _sysconfigdata rewritten to /var/lang; every other
// python-run script on the OS paths (pydoc3, py3compile, ...) goes, no pip;
// /var/runtime, /var/task and a stand-in /lambda-entrypoint.sh are added.
//
// sam (from the build tarball): the same, plus Debian's pip, setuptools and
// wheel moved from /usr/lib/python3/dist-packages into site-packages (pip,
// pip3, pip3.X, wheel in /var/lang/bin), the headers in
// /var/lang/include/python3.X with the real pyconfig.h in place of Debian's
// multiarch wrapper, and a decoy OS python: the other suite's CPython 3.Y (same
// architecture) as /usr/bin/python3.Y (/usr/bin/python3 -> python3.Y), its
// stdlib at /usr/lib/python3.Y, without pip; the wrapper starts it through its
// own dynamic loader and the libraries it needs (found by reading DT_NEEDED),
// kept under /usr/libexec/standin-os-python3.Y, so its glibc need not match.
//
// The output is deterministic: same inputs, same bytes.
package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

var triplets = map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}

func main() {
	variant := flag.String("variant", "", "lambda (runtime image) or sam (build image)")
	py := flag.String("py", "", "the suite's CPython version, e.g. 3.11")
	arch := flag.String("arch", "", "amd64 or arm64")
	debRuntime := flag.String("debian-runtime", "", "the Debian runtime rootfs tarball of the suite/arch")
	debBuild := flag.String("debian-build", "", "the Debian build rootfs tarball of the suite/arch")
	decoy := flag.String("decoy", "", "sam: the other suite's Debian runtime tarball (same arch), for the decoy OS python")
	decoyPy := flag.String("decoy-py", "", "sam: the decoy's CPython version, e.g. 3.13")
	out := flag.String("o", "", "output tarball")
	flag.Parse()
	t := triplets[*arch]
	if t == "" || !regexp.MustCompile(`^3\.[0-9]+$`).MatchString(*py) || *out == "" || *debRuntime == "" || *debBuild == "" {
		log.Fatal("lambdaroot: need --py 3.X, --arch amd64|arm64, --debian-runtime, --debian-build and -o (see the package comment)")
	}
	j := &job{py: *py, arch: *arch, triplet: t, sam: *variant == "sam"}
	switch {
	case *variant != "lambda" && *variant != "sam":
		log.Fatal("lambdaroot: --variant lambda or sam")
	case j.sam && (*decoy == "" || *decoyPy == "" || *decoyPy == *py):
		log.Fatal("lambdaroot: sam needs --decoy and --decoy-py (another CPython version than --py)")
	}
	j.decoyPy = *decoyPy
	if err := j.run(*debRuntime, *debBuild, *decoy, *out); err != nil {
		log.Fatalf("lambdaroot: %v", err)
	}
}

type job struct {
	py, decoyPy, arch, triplet string
	sam                        bool

	// from the pre-passes
	pyfile    map[string]bool       // regular files that are python scripts (#!...python...)
	pyconfig  []byte                // usr/include/<triplet>/python3.X/pyconfig.h (sam)
	libpython []*tar.Header         // usr/lib/<triplet>/libpython3.X.so* from the build tarball (lambda)
	libdata   map[string][]byte     // their contents
	kinds     map[string]byte       // every input path (no "./", dirs without "/") -> tar type
	links     map[string]string     // input symlinks -> target
	w         *tar.Writer           //
	written   map[string]bool       // output paths written (no "./", no trailing "/")
	dropped   map[string]bool       // input paths dropped
	stats     struct{ in, out int } //
}

func (j *job) P() string { return "python" + j.py }

// ---- paths ---------------------------------------------------------------

func clean(name string) string { // tar name -> "usr/bin/x" ("" for the root)
	n := strings.TrimPrefix(path.Clean("/"+name), "/")
	return n
}

// newPath maps an input path to its output path; "" drops it.
func (j *job) newPath(n string) string {
	P, T := j.P(), j.triplet
	under := func(dir string) (string, bool) {
		if n == dir {
			return "", true
		}
		rest, ok := strings.CutPrefix(n, dir+"/")
		return rest, ok
	}
	join := func(dir, rest string) string {
		if rest == "" {
			return dir
		}
		return dir + "/" + rest
	}
	if rest, ok := under("usr/lib/" + P); ok {
		switch rest {
		case "EXTERNALLY-MANAGED": // Debian's PEP 668 marker: upstream builds have none
			return ""
		case "sitecustomize.py": // Debian's link to /etc/python3.X/sitecustomize.py: ours is added (additions)
			return ""
		}
		return join("var/lang/lib/"+P, rest)
	}
	if rest, ok := under("usr/lib/python3"); ok { // Debian's dist-packages: pip, setuptools, wheel (sam)
		if r, ok := strings.CutPrefix(rest, "dist-packages"); ok && (r == "" || r[0] == '/') {
			return "var/lang/lib/" + P + "/site-packages" + r
		}
		return ""
	}
	if _, ok := under("usr/local/lib/" + P); ok { // Debian's /usr/local/lib/python3.X/dist-packages
		return ""
	}
	if rest, ok := under("usr/include/" + P); ok {
		return join("var/lang/include/"+P, rest)
	}
	if _, ok := under("usr/include/" + T + "/" + P); ok { // its pyconfig.h becomes /var/lang/include/python3.X/pyconfig.h
		return ""
	}
	if rest, ok := under("usr/lib/" + T); ok {
		if strings.HasPrefix(rest, "libpython3") && !strings.Contains(rest, "/") {
			return "var/lang/lib/" + rest
		}
		if strings.HasPrefix(rest, "pkgconfig/python") {
			return "var/lang/lib/" + rest
		}
	}
	if base, ok := strings.CutPrefix(n, "usr/bin/"); ok {
		switch {
		case base == P || base == "python3":
			return "var/lang/bin/" + base
		case base == P+"-config" || base == "python3-config" || base == T+"-"+P+"-config":
			return "var/lang/bin/" + strings.TrimPrefix(base, T+"-") // the link python3.X-config -> <triplet>-python3.X-config goes (copyEntry)
		case base == T+"-python3-config":
			return ""
		case base == "pydoc3" || base == "pydoc"+j.py || base == "pip" || base == "pip3" || base == "pip"+j.py || base == "wheel":
			return "var/lang/bin/" + base
		case j.pyfile[n]: // py3compile, py3clean, pygettext3, ...: Debian's, run by /usr/bin/python3
			return ""
		}
	}
	return n
}

// ---- content rewrites ------------------------------------------------------

// patched names the stdlib sources rewritten here; their stale .pyc go.
func (j *job) patched(newp string) bool {
	lib := "var/lang/lib/" + j.P() + "/"
	switch newp {
	case lib + "site.py", lib + "sitecustomize.py", lib + "sysconfig.py", lib + "sysconfig/__init__.py":
		return true
	}
	return strings.HasPrefix(newp, lib+"_sysconfigdata_") && strings.HasSuffix(newp, ".py")
}

func (j *job) stalePyc(newp string) bool {
	dir, file := path.Split(newp)
	if !strings.HasSuffix(dir, "/__pycache__/") || !strings.HasSuffix(file, ".pyc") {
		return false
	}
	src := strings.TrimSuffix(dir, "__pycache__/") + file[:strings.Index(file, ".")] + ".py"
	return j.patched(src)
}

const siteOverride = `
# geolayer stand-in (hack/cmd/lambdaroot): this Debian CPython is relocated to
# /var/lang like the Lambda images' CPython, an upstream build, whose one
# global site dir is <prefix>/lib/pythonX.Y/site-packages (not Debian's
# dist-packages). This definition replaces Debian's getsitepackages above.
def getsitepackages(prefixes=None):
    sitepackages = []
    seen = set()
    for prefix in PREFIXES if prefixes is None else prefixes:
        if not prefix or prefix in seen:
            continue
        seen.add(prefix)
        sitepackages.append(os.path.join(prefix, "lib", "python%d.%d" % sys.version_info[:2], "site-packages"))
    return sitepackages

`

// sitecustomize replaces Debian's (a link to /etc/python3.X/sitecustomize.py,
// an apport hook): the site module is frozen into the interpreter (3.11+),
// so its patched source only counts under -X frozen_modules=off.
const sitecustomize = `# geolayer stand-in (hack/cmd/lambdaroot): Debian's CPython relocated to
# /var/lang like the Lambda images' CPython, an upstream build, whose global
# site dir is <prefix>/lib/pythonX.Y/site-packages. Debian's site module,
# frozen into the interpreter, only knows dist-packages: add each prefix's
# site-packages (as site does, .pth files included) and let
# site.getsitepackages() name them.
import os
import site
import sys


def getsitepackages(prefixes=None):
    dirs = []
    for prefix in site.PREFIXES if prefixes is None else prefixes:
        d = os.path.join(prefix, "lib", "python%d.%d" % sys.version_info[:2], "site-packages")
        if prefix and d not in dirs:
            dirs.append(d)
    return dirs


site.getsitepackages = getsitepackages
for d in getsitepackages():
    if d not in sys.path and os.path.isdir(d):
        site.addsitedir(d)
`

// sysconfigOverride goes before get_preferred_scheme: get_paths' default
// scheme is computed when get_paths is defined.
const sysconfigOverride = `# geolayer stand-in (hack/cmd/lambdaroot): relocated to /var/lang like the
# Lambda images' upstream-built CPython, whose default install scheme is
# posix_prefix (<prefix>/lib/pythonX.Y/site-packages), not Debian's
# posix_local (/usr/local/lib/pythonX.Y/dist-packages).
_debian_get_preferred_schemes = _get_preferred_schemes


def _get_preferred_schemes():
    schemes = _debian_get_preferred_schemes()
    if schemes.get('prefix') in ('posix_local', 'deb_system'):
        schemes = dict(schemes, prefix='posix_prefix')
    return schemes

`

// rewrite returns the new content of a regular file, or nil to keep it.
func (j *job) rewrite(oldp, newp string, data []byte) ([]byte, error) {
	lib := "var/lang/lib/" + j.P() + "/"
	switch {
	case newp == lib+"site.py":
		i := bytes.Index(data, []byte("\ndef addsitepackages("))
		if i < 0 || !bytes.Contains(data, []byte("\ndef getsitepackages(")) {
			return nil, fmt.Errorf("%s: Debian's getsitepackages/addsitepackages not found", oldp)
		}
		return concat(data[:i+1], []byte(siteOverride), data[i+1:]), nil
	case newp == lib+"sysconfig.py" || newp == lib+"sysconfig/__init__.py":
		i := bytes.Index(data, []byte("\ndef get_preferred_scheme("))
		if i < 0 || !bytes.Contains(data[:i], []byte("\ndef _get_preferred_schemes(")) {
			return nil, fmt.Errorf("%s: _get_preferred_schemes, get_preferred_scheme not found", oldp)
		}
		return concat(data[:i+1], []byte(sysconfigOverride), data[i+1:]), nil
	case j.patched(newp): // _sysconfigdata_*.py
		return j.sysconfigdata(data), nil
	case newp == "var/lang/include/"+j.P()+"/pyconfig.h":
		if j.pyconfig == nil {
			return nil, fmt.Errorf("no usr/include/%s/%s/pyconfig.h in the input", j.triplet, j.P())
		}
		return j.pyconfig, nil
	case strings.HasPrefix(newp, "var/lang/lib/pkgconfig/"):
		return j.pkgconfig(data), nil
	case newp == "var/lang/bin/"+j.P()+"-config": // Debian's relocatable sh script: its libdir is multiarch
		return bytes.ReplaceAll(data, []byte(`"/usr/lib/`+j.triplet+`"`), []byte(`"/usr/lib"`)), nil
	case strings.HasPrefix(newp, "var/lang/bin/"):
		return j.shebang(data), nil
	}
	return nil, nil
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// sysconfigdata moves the install paths of the build-time variables to
// /var/lang, where an upstream --prefix=/var/lang build has them: prefix,
// exec_prefix, BINDIR, LIBDIR, INCLUDEDIR, INCLUDEPY, LIBDEST, LIBPL, ...
// Tools outside Python's install (/usr/bin/install, -I/usr/include/uuid, the
// compiler) keep their paths.
func (j *job) sysconfigdata(data []byte) []byte {
	P, T := j.P(), j.triplet
	s := string(data)
	for _, r := range [][2]string{
		{"/usr/lib/" + T + "/" + P, "/var/lang/lib/" + P}, // BINLIBDEST, MACHDESTLIB
		{"/usr/lib/" + T + "/pkgconfig", "/var/lang/lib/pkgconfig"},
		{"/usr/lib/" + P, "/var/lang/lib/" + P}, // LIBDEST, LIBPL, DESTSHARED, ...
		{"/usr/include/" + P, "/var/lang/include/" + P},
	} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	// Whole words (between quotes or blanks) only.
	words := map[string]string{
		"/usr": "/var/lang", "/usr/bin": "/var/lang/bin", "/usr/lib": "/var/lang/lib", "/usr/lib/" + T: "/var/lang/lib",
		"/usr/include": "/var/lang/include", "/usr/bin/" + P: "/var/lang/bin/" + P,
		"/usr/share": "/var/lang/share", "/usr/share/man": "/var/lang/share/man",
	}
	return []byte(wordRe.ReplaceAllStringFunc(s, func(w string) string {
		if r, ok := words[w]; ok {
			return r
		}
		return w
	}))
}

var wordRe = regexp.MustCompile(`[^'"\s]+`)

// pkgconfig: python-3.X.pc etc. with prefix /var/lang and libdir ${prefix}/lib.
func (j *job) pkgconfig(data []byte) []byte {
	var b strings.Builder
	for _, l := range strings.SplitAfter(string(data), "\n") {
		switch {
		case strings.HasPrefix(l, "prefix=/usr"):
			l = "prefix=/var/lang" + strings.TrimPrefix(l, "prefix=/usr")
		case strings.HasPrefix(l, "libdir="):
			l = strings.Replace(l, "/lib/"+j.triplet, "/lib", 1)
		case strings.HasPrefix(l, "Cflags:"): // no multiarch include dir
			l = strings.Replace(l, " -I${includedir}/"+j.triplet+"/"+j.P(), "", 1)
		}
		b.WriteString(l)
	}
	return []byte(b.String())
}

var shebangRe = regexp.MustCompile(`^#![ \t]*/usr/bin/python3(\.[0-9]+)?([ \t\n])`)

// shebang points a moved python script at /var/lang/bin/python3.X.
func (j *job) shebang(data []byte) []byte {
	m := shebangRe.FindSubmatchIndex(data)
	if m == nil {
		return nil
	}
	return concat([]byte("#!/var/lang/bin/"+j.P()), data[m[4]:])
}

// isPyScript: a script run by python (on Debian: #!/usr/bin/python3...).
func isPyScript(head []byte) bool {
	if !bytes.HasPrefix(head, []byte("#!")) {
		return false
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	return bytes.Contains(line, []byte("python"))
}

// ---- the passes ------------------------------------------------------------

func each(file string, fn func(h *tar.Header, r io.Reader) error) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		if err := fn(h, tr); err != nil {
			return fmt.Errorf("%s: %s: %w", file, h.Name, err)
		}
	}
}

func (j *job) run(debRuntime, debBuild, decoy, out string) error {
	in := debRuntime
	if j.sam {
		in = debBuild
	}
	j.pyfile, j.kinds, j.links = map[string]bool{}, map[string]byte{}, map[string]string{}
	j.libdata, j.written, j.dropped = map[string][]byte{}, map[string]bool{}, map[string]bool{}
	// Pre-pass over the input: what is where (symlink retargeting, scripts to drop) and pyconfig.h.
	err := each(in, func(h *tar.Header, r io.Reader) error {
		n := clean(h.Name)
		j.kinds[n] = h.Typeflag
		if h.Typeflag == tar.TypeSymlink {
			j.links[n] = h.Linkname
		}
		if n == "usr/include/"+j.triplet+"/"+j.P()+"/pyconfig.h" {
			b, err := io.ReadAll(r)
			j.pyconfig = b
			return err
		}
		if h.Typeflag == tar.TypeReg && h.Size > 2 {
			head := make([]byte, 128)
			k, _ := io.ReadFull(r, head)
			j.pyfile[n] = isPyScript(head[:k])
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !j.sam { // libpython from the build tarball (python3.X-dev's dependency libpython3.X)
		err = each(debBuild, func(h *tar.Header, r io.Reader) error {
			n := clean(h.Name)
			base, ok := strings.CutPrefix(n, "usr/lib/"+j.triplet+"/")
			if !ok || !strings.HasPrefix(base, "libpython"+j.py+".so.") {
				return nil
			}
			if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeSymlink {
				return fmt.Errorf("unexpected type %c", h.Typeflag)
			}
			b, err := io.ReadAll(r)
			j.libpython = append(j.libpython, h)
			j.libdata[n] = b
			return err
		})
		if err != nil {
			return err
		}
		if len(j.libpython) == 0 {
			return fmt.Errorf("%s: no usr/lib/%s/libpython%s.so.*", debBuild, j.triplet, j.py)
		}
	}

	f, err := os.Create(out + ".tmp")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(out + ".tmp") }()
	j.w = tar.NewWriter(f)
	err = each(in, func(h *tar.Header, r io.Reader) error { j.stats.in++; return j.copyEntry(h, r) })
	if err == nil {
		err = j.additions()
	}
	if err == nil && j.sam {
		err = j.addDecoy(decoy)
	}
	if err == nil {
		err = j.w.Close()
	}
	if err == nil {
		err = f.Close()
	} else {
		_ = f.Close()
	}
	if err != nil {
		return err
	}
	for _, must := range j.mustHave() {
		if !j.written[must] {
			return fmt.Errorf("the output lacks %s", must)
		}
	}
	log.Printf("lambdaroot: %s: %d entries in, %d out", out, j.stats.in, j.stats.out)
	return os.Rename(out+".tmp", out)
}

func (j *job) mustHave() []string {
	P := j.P()
	m := []string{"var/lang/bin/" + P, "var/lang/bin/python3", "var/lang/lib/" + P + "/os.py",
		"var/lang/lib/" + P + "/lib-dynload", "var/lang/lib/" + P + "/site-packages", "var/lang/lib/libpython" + j.py + ".so.1.0",
		"var/runtime", "var/task", "lambda-entrypoint.sh"}
	if j.sam {
		m = append(m, "var/lang/bin/pip", "var/lang/bin/pip3", "var/lang/bin/pip"+j.py,
			"var/lang/lib/"+P+"/site-packages/pip", "var/lang/lib/"+P+"/site-packages/setuptools",
			"var/lang/lib/"+P+"/site-packages/wheel", "var/lang/include/"+P+"/Python.h", "var/lang/include/"+P+"/pyconfig.h",
			"usr/bin/python3", "usr/bin/python"+j.decoyPy, "usr/lib/python"+j.decoyPy+"/os.py")
	}
	return m
}

// write writes one entry under its output path, first any missing parent
// directory (e.g. var/lang before the input's own var/ comes).
func (j *job) write(h *tar.Header, data []byte) error {
	n := clean(h.Name)
	if j.written[n] {
		if h.Typeflag == tar.TypeDir {
			return nil // a parent made earlier (same metadata: root, 0755, time 0)
		}
		return fmt.Errorf("%s written twice", n)
	}
	if err := j.parents(n); err != nil {
		return err
	}
	h.Name = "./" + n
	if h.Typeflag == tar.TypeDir {
		h.Name += "/"
	}
	if h.Typeflag == tar.TypeReg {
		h.Size = int64(len(data))
	}
	h.Xattrs = nil //nolint:staticcheck // SA1019: clears the deprecated copy that archive/tar's reader still fills; the xattrs are in PAXRecords too
	h.AccessTime, h.ChangeTime = time.Time{}, time.Time{}
	h.Format = tar.FormatPAX
	if err := j.w.WriteHeader(h); err != nil {
		return err
	}
	if h.Typeflag == tar.TypeReg {
		if _, err := j.w.Write(data); err != nil {
			return err
		}
	}
	j.written[n] = true
	j.stats.out++
	return nil
}

func (j *job) parents(n string) error {
	d := path.Dir(n)
	if d == "." || j.written[d] {
		return nil
	}
	return j.write(dirHeader(d), nil)
}

func dirHeader(n string) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeDir, Name: n, Mode: 0o755, ModTime: time.Unix(0, 0)}
}

func (j *job) copyEntry(h *tar.Header, r io.Reader) error {
	n := clean(h.Name)
	if n == "" {
		h.Name = "./"
		h.Format = tar.FormatPAX
		j.stats.out++
		return j.w.WriteHeader(h)
	}
	newp := j.newPath(n)
	if newp == "" || j.stalePyc(newp) {
		j.dropped[n] = true
		return nil
	}
	h2 := *h
	h2.Name = newp
	var data []byte
	switch h.Typeflag {
	case tar.TypeReg:
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		data = b
		if nb, err := j.rewrite(n, newp, b); err != nil {
			return err
		} else if nb != nil {
			data = nb
		}
	case tar.TypeSymlink:
		target, oldAbs, newAbs, ok := j.retarget(n, newp, h.Linkname)
		switch {
		case !ok, newAbs == newp, j.written[newp]: // to something dropped; now a link to itself (python3.X-config)
			j.dropped[n] = true
			return nil
		case strings.HasPrefix(newp, "usr/bin/") && (j.pyfile[oldAbs] || strings.HasPrefix(newAbs, "var/lang/")):
			j.dropped[n] = true // pdb3.X, py3versions, ...: python scripts left on the OS path
			return nil
		}
		h2.Linkname = target
	case tar.TypeLink:
		t := j.newPath(clean(h.Linkname))
		if t == "" {
			return fmt.Errorf("hard link to dropped %s", h.Linkname)
		}
		h2.Linkname = "./" + t
	}
	return j.write(&h2, data)
}

// retarget keeps a symlink pointing at the same file after both moved
// (returning the new link target and the old and new paths it names); a link
// to something dropped goes too (ok false).
func (j *job) retarget(oldp, newp, target string) (string, string, string, bool) {
	abs := clean(target)
	if !strings.HasPrefix(target, "/") {
		abs = clean(path.Join(path.Dir(oldp), target))
	}
	if _, known := j.kinds[abs]; !known {
		return target, abs, abs, true // outside the tarball (/proc/...) or through a linked dir: unchanged
	}
	t := j.newPath(abs)
	if t == "" || j.stalePyc(t) {
		return "", abs, "", false
	}
	if t == abs && path.Dir(oldp) == path.Dir(newp) {
		return target, abs, t, true
	}
	if strings.HasPrefix(target, "/") {
		return "/" + t, abs, t, true
	}
	return rel(path.Dir(newp), t), abs, t, true
}

// rel: the relative path from directory from to target (both clean, relative to /).
func rel(from, target string) string {
	f, t := strings.Split(from, "/"), strings.Split(target, "/")
	i := 0
	for i < len(f) && i < len(t)-1 && f[i] == t[i] {
		i++
	}
	parts := []string{}
	for range f[i:] {
		parts = append(parts, "..")
	}
	return path.Join(append(parts, t[i:]...)...)
}

const entrypoint = `#!/bin/sh
# geolayer dev-world stand-in for the Lambda base images' /lambda-entrypoint.sh,
# which starts the runtime interface emulator (or, in Lambda, the runtime) with
# the handler given as CMD. The stand-in has no runtime: it says so.
echo "lambda-entrypoint.sh (geolayer stand-in): no Lambda runtime here; handler: ${1:-none}" >&2
exit 1
`

// additions: what Debian does not have and the Lambda images do.
func (j *job) additions() error {
	P := j.P()
	for _, d := range []string{"var/lang/bin", "var/lang/lib/" + P + "/site-packages", "var/runtime", "var/task"} {
		if !j.written[d] {
			if err := j.write(dirHeader(d), nil); err != nil {
				return err
			}
		}
	}
	if err := j.write(&tar.Header{Typeflag: tar.TypeReg, Name: "lambda-entrypoint.sh", Mode: 0o755, ModTime: time.Unix(0, 0)}, []byte(entrypoint)); err != nil {
		return err
	}
	if err := j.write(&tar.Header{Typeflag: tar.TypeReg, Name: "var/lang/lib/" + P + "/sitecustomize.py", Mode: 0o644, ModTime: time.Unix(0, 0)}, []byte(sitecustomize)); err != nil {
		return err
	}
	for _, h := range j.libpython { // lambda: from the build tarball
		h2 := *h
		n := clean(h.Name)
		h2.Name = j.newPath(n)
		if h.Typeflag == tar.TypeSymlink {
			h2.Linkname = path.Base(h.Linkname)
		}
		if err := j.write(&h2, j.libdata[n]); err != nil {
			return err
		}
	}
	if j.sam { // pip3.X and pip3 as an upstream ensurepip makes them, if Debian lacks one
		for _, name := range []string{"pip3", "pip" + j.py} {
			if j.written["var/lang/bin/"+name] || !j.written["var/lang/bin/pip"] {
				continue
			}
			if err := j.write(&tar.Header{Typeflag: tar.TypeSymlink, Name: "var/lang/bin/" + name, Linkname: "pip", Mode: 0o777, ModTime: time.Unix(0, 0)}, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// ---- the decoy OS python (sam) ----------------------------------------------

func (j *job) addDecoy(file string) error {
	D := "python" + j.decoyPy
	prefix := "usr/libexec/standin-os-" + D // the real binary and its libraries
	type ent struct {
		h    *tar.Header
		data []byte
	}
	files := map[string]ent{} // usr/lib/<triplet>/*, the interpreter: for the library closure
	var stdlib []ent          // usr/lib/python3.Y/** in tar order
	links := map[string]string{}
	err := each(file, func(h *tar.Header, r io.Reader) error {
		n := clean(h.Name)
		if h.Typeflag == tar.TypeSymlink {
			links[n] = h.Linkname
		}
		inStdlib := n == "usr/lib/"+D || strings.HasPrefix(n, "usr/lib/"+D+"/")
		isLib := strings.HasPrefix(n, "usr/lib/"+j.triplet+"/") && !strings.Contains(strings.TrimPrefix(n, "usr/lib/"+j.triplet+"/"), "/")
		if !inStdlib && !isLib && n != "usr/bin/"+D {
			return nil
		}
		var b []byte
		if h.Typeflag == tar.TypeReg {
			var err error
			if b, err = io.ReadAll(r); err != nil {
				return err
			}
		}
		if inStdlib {
			if !strings.HasSuffix(n, "/EXTERNALLY-MANAGED") {
				stdlib = append(stdlib, ent{h, b})
			}
			if !strings.Contains(n, "/lib-dynload/") {
				return nil
			}
		}
		files[n] = ent{h, b}
		return nil
	})
	if err != nil {
		return err
	}
	// resolve follows symlinks inside the decoy tarball (/lib is usr/lib).
	var resolve func(n string, depth int) (string, bool)
	resolve = func(n string, depth int) (string, bool) {
		if t, ok := links[n]; ok && depth < 16 {
			abs := clean(t)
			if !strings.HasPrefix(t, "/") {
				abs = clean(path.Join(path.Dir(n), t))
			}
			if strings.HasPrefix(abs, "lib/") || strings.HasPrefix(abs, "lib64/") {
				abs = "usr/" + abs
			}
			return resolve(abs, depth+1)
		}
		e, ok := files[n]
		return n, ok && e.h.Typeflag == tar.TypeReg
	}
	bin, ok := files["usr/bin/"+D]
	if !ok || bin.h.Typeflag != tar.TypeReg {
		return fmt.Errorf("%s: no usr/bin/%s", file, D)
	}
	ef, err := elf.NewFile(bytes.NewReader(bin.data))
	if err != nil {
		return fmt.Errorf("usr/bin/%s: %w", D, err)
	}
	interp := ""
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			b, _ := io.ReadAll(p.Open())
			interp = path.Base(strings.TrimRight(string(b), "\x00"))
		}
	}
	if interp == "" {
		return fmt.Errorf("usr/bin/%s: no PT_INTERP", D)
	}
	// The closure of DT_NEEDED from the interpreter and every lib-dynload module.
	need := map[string]string{interp: ""} // soname -> resolved path
	queue := []string{"usr/bin/" + D}
	for n := range files {
		if strings.Contains(n, "/lib-dynload/") && strings.HasSuffix(n, ".so") {
			queue = append(queue, n)
		}
	}
	sort.Strings(queue)
	var missing []string
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		ef, err := elf.NewFile(bytes.NewReader(files[n].data))
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		libs, err := ef.ImportedLibraries()
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		for _, so := range libs {
			if _, seen := need[so]; seen {
				continue
			}
			p, ok := resolve("usr/lib/"+j.triplet+"/"+so, 0)
			if !ok {
				missing = append(missing, so+" (for "+n+")")
				need[so] = "-"
				continue
			}
			need[so] = p
			queue = append(queue, p)
		}
	}
	if p, ok := resolve("usr/lib/"+j.triplet+"/"+interp, 0); ok {
		need[interp] = p
	} else {
		return fmt.Errorf("%s: no %s", file, interp)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		log.Printf("lambdaroot: decoy %s: not in %s, those modules will not import: %s", D, file, strings.Join(missing, ", "))
	}
	reg := func(n string, mode int64, data []byte) error {
		return j.write(&tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: mode, ModTime: time.Unix(0, 0)}, data)
	}
	if err := reg(prefix+"/"+D, 0o755, bin.data); err != nil {
		return err
	}
	sonames := make([]string, 0, len(need))
	for so, p := range need {
		if p != "-" {
			sonames = append(sonames, so)
		}
	}
	sort.Strings(sonames)
	for _, so := range sonames {
		if err := reg(prefix+"/lib/"+so, 0o755, files[need[so]].data); err != nil {
			return err
		}
	}
	wrapper := fmt.Sprintf(`#!/bin/sh
# geolayer dev-world stand-in for the OS python of the real SAM build images
# (Amazon Linux's own, older CPython at /usr/bin/python3, beside /var/lang's):
# another suite's Debian CPython %s, no pip, started through its own loader
# and libraries (hack/cmd/lambdaroot).
exec /%s/lib/%s --library-path /%s/lib --argv0 "$0" /%s/%s "$@"
`, j.decoyPy, prefix, interp, prefix, prefix, D)
	if err := reg("usr/bin/"+D, 0o755, []byte(wrapper)); err != nil {
		return err
	}
	if err := j.write(&tar.Header{Typeflag: tar.TypeSymlink, Name: "usr/bin/python3", Linkname: D, Mode: 0o777, ModTime: time.Unix(0, 0)}, nil); err != nil {
		return err
	}
	for _, e := range stdlib {
		h := *e.h
		if err := j.write(&h, e.data); err != nil {
			return err
		}
	}
	return nil
}
