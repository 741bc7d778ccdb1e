package pyreq

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// Adapted from the example in the pylock.toml specification.
const exampleLock = `lock-version = '1.0'
environments = ["sys_platform == 'win32'", "sys_platform == 'linux'"]
requires-python = '>=3.12'
created-by = 'mousebender'

[[packages]]
name = 'attrs'
version = '25.1.0'
requires-python = '>=3.8'
wheels = [
  {name = 'attrs-25.1.0-py3-none-any.whl', upload-time = 2025-01-25T11:30:10.164985+00:00, url = 'https://files.example/attrs-25.1.0-py3-none-any.whl', size = 63152, hashes = {SHA256 = 'C75A69E28A550A7E93789579C22AA26B0F5B83B75DC4E08FE092980051E1090A'}},
]
[[packages.attestation-identities]]
environment = 'release-pypi'
kind = 'GitHub'
repository = 'python-attrs/attrs'

[[packages]]
name = 'Numpy'
version = '2.2.3'
marker = "platform_machine == 'x86_64'"
requires-python = '>=3.10'
index = 'https://pypi.org/simple/'
wheels = [
  {url = 'https://files.example/numpy-2.2.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', size = 16116679, hashes = {sha256 = '3b787adbf04b0db1967798dba8da1af07e387908ed1553a0d6e74c084d1ceafe'}},
  {name = 'numpy-2.2.3-cp312-cp312-win_amd64.whl', path = 'wheels/numpy-2.2.3-cp312-cp312-win_amd64.whl', hashes = {sha256 = '83807d445817326b4bcdaaaf8e8e9f1753da04341eceec705c001ff342002e5d'}},
]

[[packages]]
name = 'numpy'
version = '2.2.2'
marker = "platform_machine == 'aarch64'"
sdist = {url = 'https://files.example/numpy-2.2.2.tar.gz', hashes = {sha256 = 'aa'}}

[tool.mousebender]
command = ['.', 'lock']
`

func TestParsePylock(t *testing.T) {
	l, err := ParsePylock([]byte(exampleLock))
	if err != nil {
		t.Fatal(err)
	}
	if l.LockVersion != "1.0" || l.CreatedBy != "mousebender" || l.RequiresPython != ">=3.12" || len(l.Environments) != 2 {
		t.Errorf("top level: %+v", l)
	}
	if len(l.Packages) != 3 {
		t.Fatalf("packages: %d", len(l.Packages))
	}
	attrs := l.Packages[0]
	w := attrs.Wheels[0]
	if w.Hashes["sha256"] != "c75a69e28a550a7e93789579c22aa26b0f5b83b75dc4e08fe092980051e1090a" || w.Size != 63152 ||
		!w.UploadTime.Equal(time.Date(2025, 1, 25, 11, 30, 10, 164985000, time.UTC)) {
		t.Errorf("attrs wheel: %+v", w)
	}
	if len(attrs.AttestationIdentities) != 1 || attrs.AttestationIdentities[0]["kind"] != "GitHub" {
		t.Errorf("attestations: %+v", attrs.AttestationIdentities)
	}
	np := l.Packages[1]
	if np.Name != "numpy" || np.Index != "https://pypi.org/simple/" || np.Marker == "" {
		t.Errorf("numpy: %+v", np)
	}
	if got := np.Wheels[0].Name; got != "numpy-2.2.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl" {
		t.Errorf("inferred wheel name %q", got)
	}
	if np.Wheels[1].Path == "" || np.Wheels[1].URL != "" {
		t.Errorf("path wheel: %+v", np.Wheels[1])
	}
	if l.Packages[2].Sdist == nil || l.Packages[2].Sdist.Name != "numpy-2.2.2.tar.gz" {
		t.Errorf("sdist: %+v", l.Packages[2].Sdist)
	}
	if l.Tool["mousebender"] == nil {
		t.Errorf("tool table lost: %+v", l.Tool)
	}
}

func TestParsePylockErrors(t *testing.T) {
	const wheel = `wheels = [{url = 'https://x/foo-1.0-py3-none-any.whl', hashes = {sha256 = 'aa'}}]`
	base := "lock-version = '1.0'\ncreated-by = 'x'\n"
	pkg := func(body string) string { return base + "[[packages]]\nname = 'foo'\n" + body + "\n" }
	tests := []struct{ name, in, want string }{
		{"not toml", "lock-version = ", "pylock:"},
		{"no lock-version", "created-by = 'x'\npackages = []", "missing required key lock-version"},
		{"no created-by", "lock-version = '1.0'\npackages = []", "missing required key created-by"},
		{"no packages", base, "missing required key packages"},
		{"lock-version 2", "lock-version = '2.0'\ncreated-by = 'x'\npackages = []", "unsupported lock-version"},
		{"lock-version garbage", "lock-version = 'one'\ncreated-by = 'x'\npackages = []", "invalid lock-version"},
		{"bad environment", base + "environments = ['os_name ==']\npackages = []", "environments"},
		{"bad requires-python", base + "requires-python = '>=3.x'\npackages = []", "requires-python"},
		{"no name", base + "[[packages]]\nversion = '1'\n" + wheel, "packages[0]: missing name"},
		{"bad version", pkg("version = 'one'\n" + wheel), "invalid PEP 440 version"},
		{"bad marker", pkg("marker = 'nope'\n" + wheel), "invalid marker"},
		{"no source", pkg("version = '1.0'"), "no source"},
		{"vcs and wheels", pkg(wheel + "\nvcs = {type = 'git', url = 'https://x', commit-id = 'abc'}"), "conflicting sources vcs, sdist/wheels"},
		{"directory and archive", pkg("directory = {path = '.'}\narchive = {url = 'https://x/a.zip', hashes = {sha256 = 'aa'}}"), "conflicting sources directory, archive"},
		{"vcs without commit", pkg("vcs = {type = 'git', url = 'https://x'}"), "vcs needs"},
		{"archive without hashes", pkg("archive = {url = 'https://x/a.zip', hashes = {}}"), "hashes must have at least one entry"},
		{"wheel without hashes", pkg("wheels = [{url = 'https://x/foo-1.0-py3-none-any.whl'}]"), "hashes must have at least one entry"},
		{"wheel without location", pkg("wheels = [{name = 'foo-1.0-py3-none-any.whl', hashes = {sha256 = 'aa'}}]"), "needs url or path"},
		{"wheel of another project", pkg("wheels = [{url = 'https://x/bar-1.0-py3-none-any.whl', hashes = {sha256 = 'aa'}}]"), "does not belong to package foo"},
		{"not a wheel", pkg("wheels = [{url = 'https://x/foo-1.0.tar.gz', hashes = {sha256 = 'aa'}}]"), "not a wheel file name"},
		{"duplicate wheel", pkg("wheels = [{url = 'https://x/foo-1.0-py3-none-any.whl', hashes = {sha256 = 'aa'}}, {path = 'foo-1.0-py3-none-any.whl', hashes = {sha256 = 'aa'}}]"), "listed twice"},
		{"sdist without hashes", pkg("sdist = {url = 'https://x/foo-1.0.tar.gz'}"), "sdist: foo-1.0.tar.gz: hashes"},
		{"size type", pkg("wheels = [{url = 'https://x/foo-1.0-py3-none-any.whl', size = 'big', hashes = {sha256 = 'aa'}}]"), "pylock:"},
		{"duplicate unconditional", pkg(wheel) + "[[packages]]\nname = 'Foo'\n" + wheel + "\n", "listed twice without a marker"},
	}
	for _, tt := range tests {
		_, err := ParsePylock([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want containing %q", tt.name, err, tt.want)
		}
	}
}

func TestLockSelect(t *testing.T) {
	l, err := ParsePylock([]byte(exampleLock))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    []string // name==version
		wantErr string
	}{
		{"x86_64", LinuxEnv("3.12", "x86_64"), []string{"attrs==25.1.0", "numpy==2.2.3"}, ""},
		{"aarch64", LinuxEnv("3.13", "aarch64"), []string{"attrs==25.1.0", "numpy==2.2.2"}, ""},
		{"old python", LinuxEnv("3.11", "x86_64"), nil, "does not satisfy the lock's requires-python"},
		{"other os", func() map[string]string { e := LinuxEnv("3.12", "x86_64"); e["sys_platform"] = "darwin"; return e }(), nil, "matches none of the lock's environments"},
		{"no python", map[string]string{}, nil, "no python_full_version"},
	}
	for _, tt := range tests {
		got, err := l.Select(tt.env)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var names []string
		for _, p := range got {
			names = append(names, p.Name+"=="+p.Version)
		}
		if strings.Join(names, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%s: selected %v, want %v", tt.name, names, tt.want)
		}
	}
}

func TestLockSelectErrors(t *testing.T) {
	const w = `wheels = [{url = 'https://x/foo-1.0-py3-none-any.whl', hashes = {sha256 = 'aa'}}]`
	tests := []struct{ name, lock, want string }{
		{"ambiguous", `lock-version = '1.0'
created-by = 'x'
[[packages]]
name = 'foo'
marker = "os_name == 'posix'"
` + w + `
[[packages]]
name = 'foo'
marker = "sys_platform == 'linux'"
` + w, "ambiguous"},
		{"package requires-python", `lock-version = '1.0'
created-by = 'x'
[[packages]]
name = 'foo'
requires-python = '>=3.14'
` + w, "requires Python >=3.14"},
		{"default groups", `lock-version = '1.0'
created-by = 'x'
default-groups = ['dev']
[[packages]]
name = 'foo'
marker = "'dev' not in dependency_groups"
` + w, ""},
	}
	for _, tt := range tests {
		l, err := ParsePylock([]byte(tt.lock))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, err := l.Select(LinuxEnv("3.13", "x86_64"))
		if tt.want == "" {
			if err != nil || len(got) != 0 {
				t.Errorf("%s: got %v, %v; want nothing selected", tt.name, got, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestWritePylock(t *testing.T) {
	l := &Lock{
		CreatedBy:    "someone-else",
		Environments: []string{"sys_platform == 'linux'", "os_name == 'posix'"},
		Packages: []LockPackage{
			{Name: "shapely", Version: "2.1.1", Wheels: []LockFile{
				{Name: "shapely-2.1.1-cp313-cp313-manylinux_2_28_x86_64.whl", URL: "https://x/b.whl", Hashes: map[string]string{"sha256": "bb"}},
				{Name: "shapely-2.1.1-cp313-cp313-manylinux_2_28_aarch64.whl", URL: "https://x/a.whl", Size: 10, Hashes: map[string]string{"sha512": "cc", "sha256": "aa"}},
			}},
			{Name: "numpy", Version: "2.10.0", Marker: "platform_machine == 'x86_64'", Wheels: []LockFile{{URL: "https://x/numpy-2.10.0-cp313-cp313-any.whl", Hashes: map[string]string{"sha256": "dd"}}}},
			{Name: "numpy", Version: "2.9.0", Marker: "platform_machine == 'aarch64'", Wheels: []LockFile{{URL: "https://x/numpy-2.9.0-cp313-cp313-any.whl", Hashes: map[string]string{"sha256": "ee"}}}},
		},
	}
	var a, b bytes.Buffer
	if err := WritePylock(&a, l); err != nil {
		t.Fatal(err)
	}
	// Reordering the input must not change the output.
	l.Packages[0], l.Packages[2] = l.Packages[2], l.Packages[0]
	l.Environments[0], l.Environments[1] = l.Environments[1], l.Environments[0]
	if err := WritePylock(&b, l); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("output depends on input order:\n%s\n---\n%s", a.String(), b.String())
	}
	if l.CreatedBy != "someone-else" || l.LockVersion != "" {
		t.Error("WritePylock modified its input")
	}
	want := `lock-version = '1.0'
environments = ["os_name == 'posix'", "sys_platform == 'linux'"]
extras = []
dependency-groups = []
created-by = 'geolayer'

[[packages]]
name = 'numpy'
version = '2.9.0'
marker = "platform_machine == 'aarch64'"

[[packages.wheels]]
name = 'numpy-2.9.0-cp313-cp313-any.whl'
url = 'https://x/numpy-2.9.0-cp313-cp313-any.whl'
hashes = {sha256 = 'ee'}

[[packages]]
name = 'numpy'
version = '2.10.0'
marker = "platform_machine == 'x86_64'"

[[packages.wheels]]
name = 'numpy-2.10.0-cp313-cp313-any.whl'
url = 'https://x/numpy-2.10.0-cp313-cp313-any.whl'
hashes = {sha256 = 'dd'}

[[packages]]
name = 'shapely'
version = '2.1.1'

[[packages.wheels]]
name = 'shapely-2.1.1-cp313-cp313-manylinux_2_28_aarch64.whl'
url = 'https://x/a.whl'
size = 10
hashes = {sha256 = 'aa', sha512 = 'cc'}

[[packages.wheels]]
name = 'shapely-2.1.1-cp313-cp313-manylinux_2_28_x86_64.whl'
url = 'https://x/b.whl'
hashes = {sha256 = 'bb'}
`
	if a.String() != want {
		t.Errorf("WritePylock output:\n%s\nwant:\n%s", a.String(), want)
	}
	// The output parses back to the same content.
	back, err := ParsePylock(a.Bytes())
	if err != nil {
		t.Fatalf("parse back: %v", err)
	}
	var c bytes.Buffer
	if err := WritePylock(&c, back); err != nil || c.String() != a.String() {
		t.Errorf("round trip differs (%v):\n%s", err, c.String())
	}
}

func TestWritePylockRoundTripsExample(t *testing.T) {
	l, err := ParsePylock([]byte(exampleLock))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WritePylock(&out, l); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"created-by = 'geolayer'", "upload-time = 2025-01-25T11:30:10.164985Z", "[tool.mousebender]", "[[packages.attestation-identities]]", "[packages.sdist]", "index = 'https://pypi.org/simple/'"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
	if _, err := ParsePylock(out.Bytes()); err != nil {
		t.Errorf("output does not parse: %v\n%s", err, out.String())
	}
}

func TestWritePylockRejectsInvalid(t *testing.T) {
	l := &Lock{Packages: []LockPackage{{Name: "foo", Wheels: []LockFile{{URL: "https://x/foo-1.0-py3-none-any.whl"}}}}}
	var out bytes.Buffer
	if err := WritePylock(&out, l); err == nil || !strings.Contains(err.Error(), "hashes") {
		t.Errorf("err = %v", err)
	}
	if out.Len() != 0 {
		t.Error("wrote output for an invalid lock")
	}
}
