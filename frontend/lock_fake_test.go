package frontend

import (
	"context"
	"slices"
	"strings"
	"testing"
)

const (
	lockAMD = "https://files.example/glf_cext-1.0.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
	lockARM = "https://files.example/glf_cext-2.0.0-cp313-cp313-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"
)

// perArchLock has one name twice, an entry per machine (as lockers write
// a lock for several environments), and a default group.
func perArchLock(extra string) string {
	return `lock-version = '1.0'
created-by = 'test'
requires-python = '>=3.12'
environments = ["sys_platform == 'linux'"]
default-groups = ['prod']
` + extra + `
[[packages]]
name = 'glf-cext'
version = '1.0.0'
marker = "platform_machine == 'x86_64'"
wheels = [{url = '` + lockAMD + `', hashes = {sha256 = '` + fakeSHA + `'}}]

[[packages]]
name = 'glf-cext'
version = '2.0.0'
marker = "platform_machine == 'aarch64'"
wheels = [{url = '` + lockARM + `', hashes = {sha256 = '` + fakeSHA + `'}}]

[[packages]]
name = 'glf-pure'
version = '1.0.0'
marker = "'prod' in dependency_groups"
wheels = [{url = 'https://files.example/glf_pure-1.0.0-py3-none-any.whl', hashes = {sha256 = '` + fakeSHA + `'}}]

[[packages]]
name = 'glf-dev'
version = '1.0.0'
marker = "'dev' in dependency_groups"
wheels = [{url = 'https://files.example/glf_dev-1.0.0-py3-none-any.whl', hashes = {sha256 = '` + fakeSHA + `'}}]
`
}

func lockBuild(t *testing.T, lock string, args map[string]string) (*fakeDaemon, error) {
	t.Helper()
	opts := map[string]string{"platform": "linux/amd64,linux/arm64", "filename": "Geolayerfile"}
	for k, v := range args {
		opts["build-arg:"+k] = v
	}
	f := &fakeDaemon{
		opts: opts,
		files: map[string]string{
			"Geolayerfile": "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\nREQUIRE --lock=pylock.toml\n",
			"pylock.toml":  lock,
		},
	}
	_, err := Build(context.Background(), f)
	return f, err
}

// finalDownloads gives each platform's downloads, read from its layer
// assembly's definition.
func finalDownloads(t *testing.T, f *fakeDaemon) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, def := range f.solved {
		if arch := assemblyArch(t, def); arch != "" {
			out[arch] = httpSources(t, def)
		}
	}
	return out
}

// A lock with an entry per machine gives each platform its own entry, and
// default-groups select the group entries (PEP 751's selection).
func TestLockSelectsPerTarget(t *testing.T) {
	f, err := lockBuild(t, perArchLock(""), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := finalDownloads(t, f)
	want := map[string][]string{
		"amd64": {lockAMD, "https://files.example/glf_pure-1.0.0-py3-none-any.whl"},
		"arm64": {lockARM, "https://files.example/glf_pure-1.0.0-py3-none-any.whl"},
	}
	for arch, w := range want {
		if !slices.Equal(got[arch], w) {
			t.Errorf("%s: downloads %v, want %v", arch, got[arch], w)
		}
	}
}

// What geolayer cannot honour in a lock is an error naming the file, the
// package and what to do; never a silent skip.
func TestLockRefusals(t *testing.T) {
	base := perArchLock("")
	cases := []struct {
		name string
		lock string
		args map[string]string
		want []string
	}{
		{"requires-python", strings.Replace(base, "'>=3.12'", "'<3.13'", 1), nil,
			[]string{"pylock.toml", "requires-python", "3.13"}},
		{"environments", strings.Replace(base, `"sys_platform == 'linux'"`, `"sys_platform == 'win32'"`, 1), nil,
			[]string{"pylock.toml", "matches none of the lock's environments"}},
		{"vcs", base + "\n[[packages]]\nname = 'glf-git'\nvcs = {type = 'git', url = 'https://git.example/glf.git', commit-id = 'abc'}\n", nil,
			[]string{"pylock.toml: package glf-git", "VCS checkout"}},
		{"directory", base + "\n[[packages]]\nname = 'glf-dir'\ndirectory = {path = 'src/glf'}\n", nil,
			[]string{"package glf-dir", "local directory"}},
		{"archive", base + "\n[[packages]]\nname = 'glf-arc'\narchive = {url = 'https://files.example/glf.tar.gz', hashes = {sha256 = '" + fakeSHA + "'}}\n", nil,
			[]string{"package glf-arc", "direct archive"}},
		{"sdist only", base + "\n[[packages]]\nname = 'glf-sd'\nversion = '1.0'\nsdist = {url = 'https://files.example/glf_sd-1.0.tar.gz', hashes = {sha256 = '" + fakeSHA + "'}}\n", nil,
			[]string{"package glf-sd 1.0", "only an sdist"}},
		{"attestations", base + "\n[[packages]]\nname = 'glf-att'\nversion = '1.0'\nwheels = [{url = 'https://files.example/glf_att-1.0-py3-none-any.whl', hashes = {sha256 = '" + fakeSHA + "'}}]\n[[packages.attestation-identities]]\nkind = 'GitHub'\nrepository = 'example/glf'\n", nil,
			[]string{"package glf-att 1.0", "attestation-identities", "GEOLAYER_PYLOCK_ATTESTATIONS=unverified"}},
		{"unknown key in 1.0", strings.Replace(base, "created-by = 'test'", "created-by = 'test'\nfrobnicate = true", 1), nil,
			[]string{"frobnicate", "lock-version 1.0"}},
		{"unknown package key in 1.0", base + "\n[[packages]]\nname = 'glf-x'\nversion = '1.0'\nfrob = 1\nwheels = [{url = 'https://files.example/glf_x-1.0-py3-none-any.whl', hashes = {sha256 = '" + fakeSHA + "'}}]\n", nil,
			[]string{"packages[4].frob"}},
		{"TOML syntax", strings.Replace(base, "name = 'glf-pure'", "name = 'glf-pure", 1), nil,
			[]string{"pylock.toml", "line 20, column 17"}},
		{"bad build arg", base, map[string]string{"GEOLAYER_PYLOCK_ATTESTATIONS": "yes"},
			[]string{"GEOLAYER_PYLOCK_ATTESTATIONS", "unverified"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := lockBuild(t, tc.lock, tc.args)
			if err == nil {
				t.Fatalf("built; want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if len(finalDownloads(t, f)) > 0 {
				t.Errorf("a refused lock reached the layer's assembly")
			}
		})
	}
}

// With the build arg, entries with attestation identities install on their
// hashes; a newer 1.x lock's unknown keys are a warning.
func TestLockOptIns(t *testing.T) {
	att := perArchLock("") + "\n[[packages]]\nname = 'glf-att'\nversion = '1.0'\nwheels = [{url = 'https://files.example/glf_att-1.0-py3-none-any.whl', hashes = {sha256 = '" + fakeSHA + "'}}]\n[[packages.attestation-identities]]\nkind = 'GitHub'\nrepository = 'example/glf'\n"
	f, err := lockBuild(t, att, map[string]string{"GEOLAYER_PYLOCK_ATTESTATIONS": "unverified"})
	if err != nil {
		t.Fatal(err)
	}
	if got := finalDownloads(t, f)["amd64"]; !slices.Contains(got, "https://files.example/glf_att-1.0-py3-none-any.whl") {
		t.Errorf("amd64 downloads %v lack glf-att", got)
	}
	newer := strings.Replace(perArchLock(""), "lock-version = '1.0'", "lock-version = '1.1'\nfrobnicate = true", 1)
	f, err = lockBuild(t, newer, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(f.warns, func(w string) bool { return strings.Contains(w, "frobnicate") }) {
		t.Errorf("no warning about the unknown key: %q", f.warns)
	}
}
