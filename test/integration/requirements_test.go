//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureSHA is the sha256 of a fixture file the dev index serves.
func fixtureSHA(t *testing.T, file string) string {
	t.Helper()
	return sha(t, filepath.Join(env.devHome, "index", "dists", file))
}

const pureWheel = "glf_pure-1.1.0-py3-none-any.whl"

// Each pip requirements-file option that geolayer cannot honour is refused
// at its file and line, with the Geolayerfile pointing at the REQUIRE that
// names the file, and nothing is exported.
func TestRequirementsFileOptionsRefusedAtTheirLine(t *testing.T) {
	for _, c := range []struct{ name, file, want string }{
		{"other index", "glf-pure==1.1.0\n--index-url https://pypi.example/simple/\n", "requirements.txt:2: --index-url https://pypi.example/simple/: geolayer fetches only from the indexes the Geolayerfile names"},
		{"no-index", "--no-index\nglf-pure==1.1.0\n", "requirements.txt:1: --no-index"},
		{"find-links", "--find-links ./wheels\nglf-pure==1.1.0\n", "requirements.txt:1: --find-links"},
		{"trusted-host", "--trusted-host 127.0.0.1\nglf-pure==1.1.0\n", "requirements.txt:1: --trusted-host 127.0.0.1"},
		{"no-binary", "--no-binary glf-pure\nglf-pure==1.1.0\n", "write BUILD <package>"},
		{"editable", "glf-pure==1.1.0\n-e ./src\n", "requirements.txt:2: -e: editable requirements are not supported"},
		{"vcs", "glf-pure @ git+https://example.com/glf.git\n", "requirements.txt:1: glf-pure @ git+https://example.com/glf.git: VCS requirements are not supported"},
		{"require-hashes without hashes", "--require-hashes\nglf-pure==1.1.0\nglf-data==1.0.0\n", "requirements.txt:2: glf-pure==1.1.0 has no --hash, and hash-checking mode is on (requirements.txt:1 says --require-hashes)"},
	} {
		t.Run(strings.ReplaceAll(c.name, " ", "-"), func(t *testing.T) {
			dir := project(t, "TARGET aws-lambda python3.13\nPLATFORM linux/amd64\nREQUIRE -r requirements.txt\n", map[string]string{"requirements.txt": c.file})
			out := buildx(t, dir, true, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
			for _, want := range []string{c.want, ">>> REQUIRE -r requirements.txt"} {
				if !strings.Contains(out, want) {
					t.Errorf("missing %q in:\n%s", want, tail(out, 25))
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
				t.Errorf("a refused build exported something")
			}
		})
	}
}

// Options geolayer honours: the same index as the Geolayerfile's, --pre,
// --only-binary, --prefer-binary, and --require-hashes with every line
// hashed; a wrong hash fails naming the file.
func TestRequirementsFileOptionsHonoured(t *testing.T) {
	h := fixtureSHA(t, pureWheel)
	file := "--index-url " + env.indexURL + "\n--pre\n--only-binary :all:\n--prefer-binary\n--require-hashes\nglf-pure==1.1.0 --hash=sha256:" + h + "\n"
	dir := project(t, "TARGET aws-lambda python3.13\nPLATFORM linux/amd64\nREQUIRE -r requirements.txt\n", map[string]string{"requirements.txt": file})
	buildx(t, dir, false, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
	if names := zipNames(t, filepath.Join(dir, "out", "layer.zip")); !names["python/lib/python3.13/site-packages/glf_pure/__init__.py"] {
		t.Errorf("glf_pure is not in the layer")
	}
	bad := strings.Replace(file, h, strings.Repeat("0", 64), 1)
	dir = project(t, "TARGET aws-lambda python3.13\nPLATFORM linux/amd64\nREQUIRE -r requirements.txt\n", map[string]string{"requirements.txt": bad})
	out := buildx(t, dir, true, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
	if !strings.Contains(out, "hash mismatch") || !strings.Contains(out, "requirements.txt:6") {
		t.Errorf("a wrong --hash: %s", tail(out, 20))
	}
}

// -c restricts versions and never adds a package: a constraint for a name
// nobody requires installs nothing; a pinned requirement outside its
// constraint fails naming both lines.
func TestConstraintsNeverAddPackages(t *testing.T) {
	files := map[string]string{
		"requirements.txt": "-c constraints.txt\nglf-pure==1.1.0\n",
		"constraints.txt":  "glf-pure<2\nglf-pure-dep==1.0.0\nglf-data==1.0.0\n",
	}
	dir := project(t, "TARGET aws-lambda python3.13\nPLATFORM linux/amd64\nREQUIRE -r requirements.txt\n", files)
	buildx(t, dir, false, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
	for name := range zipNames(t, filepath.Join(dir, "out", "layer.zip")) {
		if strings.Contains(name, "glf_pure_dep") || strings.Contains(name, "glf_data") {
			t.Errorf("a constraint added %s to the layer", name)
		}
	}
	files["constraints.txt"] = "glf-pure<1.1\n"
	dir = project(t, "TARGET aws-lambda python3.13\nPLATFORM linux/amd64\nREQUIRE -r requirements.txt\n", files)
	out := buildx(t, dir, true, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
	if !strings.Contains(out, "glf-pure==1.1.0 (requirements.txt:2) does not satisfy its constraint glf-pure<1.1 (constraints.txt:1)") {
		t.Errorf("violated constraint: %s", tail(out, 20))
	}
}

// A marker on a requirement is evaluated per target: in one two-platform
// build the aarch64-only package lands only in the arm64 layer, pinned or
// resolved by pip.
func TestMarkersPerTargetPlatform(t *testing.T) {
	for _, line := range []string{`glf-data==1.0.0 ; platform_machine == "aarch64"`, `glf-data ; platform_machine == "aarch64"`} {
		dir := project(t, "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\nREQUIRE -r requirements.txt\n",
			map[string]string{"requirements.txt": "glf-pure==1.1.0\n" + line + "\n"})
		buildx(t, dir, false, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
		has := func(arch string) bool {
			for name := range zipNames(t, filepath.Join(dir, "out", "linux_"+arch, "layer.zip")) {
				if strings.Contains(name, "/glf_data/") {
					return true
				}
			}
			return false
		}
		if has("amd64") || !has("arm64") {
			t.Errorf("%s: glf_data in amd64 %v, arm64 %v; want arm64 only", line, has("amd64"), has("arm64"))
		}
	}
}

// A pylock.toml with an entry per machine gives each platform's layer its
// own entries (PEP 751's selection per target), and an entry geolayer
// cannot honour fails at the REQUIRE --lock line, naming the package.
func TestPylockPerTargetAndRefusals(t *testing.T) {
	files := strings.Replace(env.indexURL, "/simple/", "/files/", 1)
	entry := func(name, version, file, marker string) string {
		m := ""
		if marker != "" {
			m = "marker = \"" + marker + "\"\n"
		}
		return "\n[[packages]]\nname = '" + name + "'\nversion = '" + version + "'\n" + m +
			"wheels = [{url = '" + files + file + "', hashes = {sha256 = '" + fixtureSHA(t, file) + "'}}]\n"
	}
	lock := "lock-version = '1.0'\ncreated-by = 'test'\n" +
		entry("glf-pure", "1.0.0", "glf_pure-1.0.0-py3-none-any.whl", "platform_machine == 'x86_64'") +
		entry("glf-pure", "1.1.0", "glf_pure-1.1.0-py3-none-any.whl", "platform_machine == 'aarch64'") +
		entry("glf-data", "1.0.0", "glf_data-1.0.0-py3-none-any.whl", "platform_machine == 'aarch64'")
	const gf = "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\nREQUIRE --lock=pylock.toml\n"
	dir := project(t, gf, map[string]string{"pylock.toml": lock})
	buildx(t, dir, false, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
	version := func(arch string) (pure string, data bool) {
		for name := range zipNames(t, filepath.Join(dir, "out", "linux_"+arch, "layer.zip")) {
			if strings.Contains(name, "/glf_pure-") && strings.HasSuffix(name, ".dist-info/METADATA") {
				pure = strings.TrimSuffix(strings.Split(name, "/glf_pure-")[1], ".dist-info/METADATA")
			}
			data = data || strings.Contains(name, "/glf_data/")
		}
		return pure, data
	}
	if v, data := version("amd64"); v != "1.0.0" || data {
		t.Errorf("amd64: glf-pure %q, glf-data %v; want 1.0.0 and no glf-data", v, data)
	}
	if v, data := version("arm64"); v != "1.1.0" || !data {
		t.Errorf("arm64: glf-pure %q, glf-data %v; want 1.1.0 and glf-data", v, data)
	}

	vcs := lock + "\n[[packages]]\nname = 'glf-git'\nvcs = {type = 'git', url = 'https://git.example/glf.git', commit-id = 'abc'}\n"
	dir = project(t, gf, map[string]string{"pylock.toml": vcs})
	out := buildx(t, dir, true, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
	for _, want := range []string{"pylock.toml: package glf-git comes from git (a VCS checkout)", ">>> REQUIRE --lock=pylock.toml"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, tail(out, 25))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Errorf("a refused build exported something")
	}
}
