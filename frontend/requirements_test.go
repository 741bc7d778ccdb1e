package frontend

import (
	"strings"
	"testing"

	"github.com/geolayer/geolayer/pkg/pyreq"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

const sha = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

// reqsOf plans a Geolayerfile and loads its requirements from in-memory
// context files (no daemon).
func reqsOf(t *testing.T, geolayerfile string, files map[string]string) (*plan, []*requirement, error) {
	t.Helper()
	pl, err := planOf(t, geolayerfile)
	if err != nil {
		t.Fatal(err)
	}
	fs := map[string][]byte{}
	for k, v := range files {
		fs[k] = []byte(v)
	}
	reqs, err := requirementsFrom(pl, fs)
	return pl, reqs, err
}

func names(reqs []*requirement) string {
	var n []string
	for _, r := range reqs {
		n = append(n, r.Name)
	}
	return strings.Join(n, " ")
}

// Every file-level pip option is honoured or refused naming the file, the
// line and the option; nothing is dropped silently.
func TestRequirementsFileOptions(t *testing.T) {
	const index = "https://pypi.org/simple/"
	cases := []struct {
		name, file string
		want       string // error text; "" = accepted
	}{
		{"same index", "--index-url " + index + "\nglf-pure==1.1.0\n", ""},
		{"same index without slash", "-i https://pypi.org/simple\nglf-pure==1.1.0\n", ""},
		{"other index", "glf-pure==1.1.0\n--index-url https://user:s3cret@evil.example/simple/\n", "requirements.txt:2: --index-url https://user:xxxxx@evil.example/simple/: geolayer fetches only from the indexes the Geolayerfile names"},
		{"extra index", "--extra-index-url https://mirror.example/simple/\nglf-pure==1.1.0\n", "requirements.txt:1: --extra-index-url https://mirror.example/simple/: not an index of the Geolayerfile"},
		{"no-index", "--no-index\nglf-pure==1.1.0\n", "requirements.txt:1: --no-index: installing from local files"},
		{"find-links", "-f ./wheels\nglf-pure==1.1.0\n", "requirements.txt:1: --find-links: installing from local files"},
		{"trusted-host", "--trusted-host pypi.org\nglf-pure==1.1.0\n", "requirements.txt:1: --trusted-host pypi.org: BuildKit verifies TLS"},
		{"no-binary", "--no-binary glf-pure\nglf-pure==1.1.0\n", "requirements.txt:1: --no-binary glf-pure: to compile packages from their sdist, write BUILD"},
		{"use-feature", "--use-feature truststore\nglf-pure==1.1.0\n", "requirements.txt:1: --use-feature truststore: not supported"},
		{"only-binary", "--only-binary :all:\nglf-pure==1.1.0\n", ""},
		{"prefer-binary", "--prefer-binary\nglf-pure==1.1.0\n", ""},
		{"pre", "--pre\nglf-pure==1.1.0\n", ""},
		{"editable", "-e ./src\n", "requirements.txt:1: -e: editable requirements are not supported"},
		{"vcs", "glf-pure @ git+https://example.com/glf.git\n", "requirements.txt:1: glf-pure @ git+https://example.com/glf.git: VCS requirements are not supported"},
		{"file url", "glf-pure @ file:///tmp/glf_pure-1.1.0-py3-none-any.whl\n", "requirements.txt:1: glf-pure @ file:///tmp/glf_pure-1.1.0-py3-none-any.whl: only http and https URLs"},
		{"https url", "glf-pure @ https://files.example/glf_pure-1.1.0-py3-none-any.whl\n", ""},
		{"url with credentials", "glf-pure @ https://user:s3cret@files.example/glf_pure-1.1.0-py3-none-any.whl\n", "requirements.txt:1: glf-pure @ https://user:xxxxx@files.example/glf_pure-1.1.0-py3-none-any.whl: credentials must not be written"},
		{"escape", "-r ../other.txt\n", "requirements.txt:1: ../other.txt is outside the build context"},
	}
	for _, c := range cases {
		pl, _, err := reqsOf(t, lambda+"REQUIRE -r requirements.txt\n", map[string]string{"requirements.txt": c.file})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		case c.want != "" && errLine(err) != 2:
			t.Errorf("%s: error at Geolayerfile line %d, want the REQUIRE line 2", c.name, errLine(err))
		}
		if c.name == "pre" && !pl.pre {
			t.Errorf("--pre was not passed on")
		}
	}
	// --only-binary for a package BUILD compiles contradicts the Geolayerfile.
	_, _, err := reqsOf(t, lambda+"REQUIRE -r requirements.txt\nBUILD glf-sdistonly\n", map[string]string{"requirements.txt": "--only-binary glf-sdistonly\nglf-sdistonly==1.0.0\n"})
	if err == nil || !strings.Contains(err.Error(), "BUILD in the Geolayerfile compiles glf-sdistonly") {
		t.Errorf("only-binary vs BUILD: %v", err)
	}
}

// pip's hash-checking mode: --require-hashes, or one hashed line anywhere,
// requires a hash and an exact pin on every requirement, REQUIRE specs
// included; the error names the first line without one.
func TestRequirementsHashMode(t *testing.T) {
	cases := []struct {
		name, geolayerfile string
		files              map[string]string
		want               string
	}{
		{"require-hashes, no hash", "REQUIRE -r r.txt\n", map[string]string{"r.txt": "--require-hashes\nglf-pure==1.1.0\nglf-cext==1.0.0\n"},
			"r.txt:2: glf-pure==1.1.0 has no --hash, and hash-checking mode is on (r.txt:1 says --require-hashes)"},
		{"require-hashes, unpinned", "REQUIRE -r r.txt\n", map[string]string{"r.txt": "--require-hashes\nglf-pure>=1 --hash=sha256:" + sha + "\n"},
			"r.txt:2: glf-pure>=1 is not pinned with =="},
		{"one hashed line in another file", "REQUIRE -r a.txt\nREQUIRE -r b.txt\n", map[string]string{"a.txt": "glf-pure==1.1.0 --hash=sha256:" + sha + "\n", "b.txt": "glf-cext==1.0.0\n"},
			"b.txt:1: glf-cext==1.0.0 has no --hash, and hash-checking mode is on (a.txt:1 has a --hash)"},
		{"REQUIRE spec in hash mode", "REQUIRE glf-cext==1.0.0\nREQUIRE -r a.txt\n", map[string]string{"a.txt": "--require-hashes\nglf-pure==1.1.0 --hash=sha256:" + sha + "\n"},
			"REQUIRE glf-cext==1.0.0 carries no hash"},
		{"all hashed", "REQUIRE -r r.txt\n", map[string]string{"r.txt": "--require-hashes\nglf-pure==1.1.0 --hash=sha256:" + sha + "\n"}, ""},
		{"no hash mode", "REQUIRE -r r.txt\n", map[string]string{"r.txt": "glf-pure==1.1.0\nglf-cext\n"}, ""},
	}
	for _, c := range cases {
		_, _, err := reqsOf(t, lambda+c.geolayerfile, c.files)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

// -c files restrict versions and never add names, as in pip; a pinned
// requirement outside its constraint fails naming both lines; constraint
// markers and hashes apply per target.
func TestRequirementsConstraints(t *testing.T) {
	pl, reqs, err := reqsOf(t, lambda+"REQUIRE -r r.txt\n", map[string]string{
		"r.txt": "-c c.txt\nglf-pure==1.1.0\n",
		"c.txt": "glf-pure<2\nglf-pure-dep==1.0.0\nglf-cext==9 ; platform_machine == 'aarch64'\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(reqs); got != "glf-pure" {
		t.Errorf("requirements %q: constraints added names", got)
	}
	if len(pl.constraints) != 3 {
		t.Errorf("%d constraints, want 3", len(pl.constraints))
	}
	amd := pyreq.LinuxEnv("3.13", "x86_64")
	if _, err := applyConstraints(pl, reqs[0], amd); err != nil {
		t.Errorf("glf-pure==1.1.0 within glf-pure<2: %v", err)
	}
	pl, reqs, err = reqsOf(t, lambda+"REQUIRE -r r.txt\n", map[string]string{
		"r.txt": "-c c.txt\nglf-pure==1.1.0\nglf-cext==1.0.0\n",
		"c.txt": "glf-pure<1.1\nglf-cext==9 ; platform_machine == 'aarch64'\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = applyConstraints(pl, reqs[0], amd)
	if err == nil || !strings.Contains(err.Error(), "glf-pure==1.1.0 (r.txt:2) does not satisfy its constraint glf-pure<1.1 (c.txt:1)") {
		t.Errorf("violated constraint: %v", err)
	}
	if _, err := applyConstraints(pl, reqs[1], amd); err != nil {
		t.Errorf("an aarch64-only constraint applied on x86_64: %v", err)
	}
	if _, err := applyConstraints(pl, reqs[1], pyreq.LinuxEnv("3.13", "aarch64")); err == nil {
		t.Errorf("the aarch64 constraint glf-cext==9 did not apply on aarch64")
	}
	pl, reqs, err = reqsOf(t, lambda+"REQUIRE -r r.txt\n", map[string]string{"r.txt": "-c c.txt\nglf-pure==1.1.0\n", "c.txt": "glf-pure==1.1.0 --hash=sha256:" + sha + "\n"})
	if err != nil {
		t.Fatal(err)
	}
	if h, err := applyConstraints(pl, reqs[0], amd); err != nil || len(h) != 1 || h[0] != sha {
		t.Errorf("constraint hashes: %v %v", h, err)
	}
	if _, _, err := reqsOf(t, lambda+"REQUIRE -r r.txt\n", map[string]string{"r.txt": "-c c.txt\nglf-pure==1.1.0\n", "c.txt": "glf-pure[extra]<2\n"}); err == nil || !strings.Contains(err.Error(), "c.txt:1: constraints cannot have extras") {
		t.Errorf("extras in a constraint: %v", err)
	}
}

// Markers on unpinned requirements are evaluated for the target before pip
// sees them (pip would evaluate them for the build host).
func TestResolverLinesFollowTheTargetsMarkers(t *testing.T) {
	pl, reqs, err := reqsOf(t, lambda+"REQUIRE -r r.txt\n", map[string]string{"r.txt": "glf-cext>=1 ; platform_machine == 'aarch64'\nglf-pure[x]>=1\n"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ arch, want string }{{"x86_64", "glf-pure[x]>=1"}, {"aarch64", "glf-cext>=1 glf-pure[x]>=1"}} {
		env := pyreq.LinuxEnv(pl.runtime.PythonVersion, c.arch)
		var got []string
		for _, r := range reqs {
			line, ok, err := targetLine(r, env)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				got = append(got, line)
			}
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s: pip gets %q, want %q", c.arch, got, c.want)
		}
	}
	_ = ocispecs.Platform{}
}
