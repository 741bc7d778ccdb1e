package pyreq

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

var (
	h1 = strings.Repeat("a", 64)
	h2 = strings.Repeat("b", 64)
	h3 = strings.Repeat("c", 96)
	h4 = strings.Repeat("d", 128)
)

func TestParseRequirementsFile(t *testing.T) {
	in := "\ufeff# a comment\n" + // 1
		"--index-url https://pypi.example/simple\n" + // 2
		"--extra-index-url=https://extra.example/simple # trailing comment\n" + // 3
		"-r base.txt\n" + // 4
		"-rother.txt\n" + // 5
		"--constraint constraints.txt\n" + // 6
		"\n" + // 7
		"numpy==2.1.0 \\\n" + // 8
		"    --hash=sha256:" + strings.ToUpper(h1) + " \\\n" + // 9
		"    --hash sha256:" + h2 + "\r\n" + // 10
		"shapely[vectorized] == 2.1.1 ; python_version >= \"3.10\" --hash=sha384:" + h3 + " --hash=sha512:" + h4 + "\n" + // 11
		"   # indented comment \\\n" + // 12: comment lines never continue
		"six @ https://files.example/six-1.17.0-py2.py3-none-any.whl#sha256=" + h1 + "\n" + // 13
		"--require-hashes --no-index\n" + // 14
		"certifi==2025.1.31 \\\n" + // 15
		"\\\n" + // 16
		"  --hash=sha256:" + h1 + "\n" + // 17
		"idna==3.10 \\" // 18: continuation at EOF
	f, err := ParseRequirementsFile(strings.NewReader(in), "requirements.txt")
	if err != nil {
		t.Fatal(err)
	}
	const file = "requirements.txt"
	wantReqs := []Requirement{
		{Name: "numpy", Specifier: "==2.1.0", Hashes: []Hash{{"sha256", h1}, {"sha256", h2}}, File: file, Line: 8, Raw: "numpy==2.1.0"},
		{Name: "shapely", Extras: []string{"vectorized"}, Specifier: "==2.1.1", Marker: `python_version >= "3.10"`,
			Hashes: []Hash{{"sha384", h3}, {"sha512", h4}}, File: file, Line: 11, Raw: `shapely[vectorized] == 2.1.1 ; python_version >= "3.10"`},
		{Name: "six", URL: "https://files.example/six-1.17.0-py2.py3-none-any.whl#sha256=" + h1, File: file, Line: 13,
			Raw: "six @ https://files.example/six-1.17.0-py2.py3-none-any.whl#sha256=" + h1},
		{Name: "certifi", Specifier: "==2025.1.31", Hashes: []Hash{{"sha256", h1}}, File: file, Line: 15, Raw: "certifi==2025.1.31"},
		{Name: "idna", Specifier: "==3.10", File: file, Line: 18, Raw: "idna==3.10"},
	}
	if !reflect.DeepEqual(f.Requirements, wantReqs) {
		t.Errorf("Requirements:\n got %+v\nwant %+v", f.Requirements, wantReqs)
	}
	wantIncludes := []Include{{"base.txt", 4, false}, {"other.txt", 5, false}, {"constraints.txt", 6, true}}
	if !reflect.DeepEqual(f.Includes, wantIncludes) {
		t.Errorf("Includes = %+v, want %+v", f.Includes, wantIncludes)
	}
	wantOpts := []Option{
		{"index-url", "https://pypi.example/simple", 2},
		{"extra-index-url", "https://extra.example/simple", 3},
		{"require-hashes", "", 14},
		{"no-index", "", 14},
	}
	if !reflect.DeepEqual(f.Options, wantOpts) {
		t.Errorf("Options = %+v, want %+v", f.Options, wantOpts)
	}
	if !f.RequireHashes() {
		t.Error("RequireHashes() = false")
	}
}

func TestParseRequirementsFileErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"--bogus", "requirements.txt:1: unknown option --bogus"},
		{"foo==1\n-e .", "requirements.txt:2: -e: editable requirements are not supported"},
		{"foo==1 --pre", "unknown option --pre after requirement foo"},
		{"foo==1 --config-settings=x=y", "build options are not supported"},
		{"foo==1 --hash=md5:d41d8cd98f00b204e9800998ecf8427e", "md5 is too weak"},
		{"foo==1 --hash=sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1 is too weak"},
		{"foo==1 --hash=blake2b:00", "unsupported algorithm"},
		{"foo==1 --hash=sha256:abc", "expected 64 hex digits"},
		{"foo==1 --hash=sha256:" + strings.Repeat("g", 64), "expected 64 hex digits"},
		{"foo==1 --hash=" + h1, "expected <algorithm>:<hex digest>"},
		{"foo==1 --hash", "--hash needs a value"},
		{"--hash=sha256:" + h1, "--hash must follow a requirement"},
		{"-r", "-r needs a value"},
		{"--index-url=", "--index-url needs a value"},
		{"--no-index=yes", "takes no value"},
		{"-i https://x extra", `unexpected "extra"`},
		{"pyproj==3.7.1#not-a-comment", "invalid requirement"},
		{"./dist/foo-1.0-py3-none-any.whl", "must be written as `name @ url`"},
		{"https://x.example/foo-1.0.tar.gz", "must be written as `name @ url`"},
		{"foo==${VERSION}", "expanding variables in requirements files is not supported"},
		{"first==1\n\nfoo>=", "requirements.txt:3:"},
		{"foo \\\n  >=1 \\\n  bar", "requirements.txt:1:"},
	}
	for _, tt := range tests {
		_, err := ParseRequirementsFile(strings.NewReader(tt.in), "requirements.txt")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want containing %q", tt.in, err, tt.want)
		}
	}
}

func TestParseRequirements(t *testing.T) {
	reqs, err := ParseRequirements(strings.NewReader("a==1\n--index-url https://x\nb>=2\n"), "r.txt")
	if err != nil || len(reqs) != 2 || reqs[0].Name != "a" || reqs[1].Name != "b" {
		t.Errorf("ParseRequirements = %+v, %v", reqs, err)
	}
	_, err = ParseRequirements(strings.NewReader("a==1\n-r more.txt\n"), "r.txt")
	if err == nil || !strings.Contains(err.Error(), "r.txt:2: includes more.txt") {
		t.Errorf("include: err = %v", err)
	}
}

func TestCheckHashMode(t *testing.T) {
	withHash := []Hash{{"sha256", h1}}
	tests := []struct {
		name         string
		reqs         []Requirement
		missing      []string
		unpinned     []string
		wantErrParts []string
	}{
		{name: "no hashes at all", reqs: []Requirement{{Name: "a", Specifier: ">=1"}, {Name: "b"}}},
		{name: "all hashed and pinned", reqs: []Requirement{
			{Name: "a", Specifier: "==1", Hashes: withHash},
			{Name: "b", Specifier: "===2", Hashes: withHash},
			{Name: "c", URL: "https://x/c.whl", Hashes: withHash},
		}},
		{name: "one missing", reqs: []Requirement{
			{Name: "a", Specifier: "==1", Hashes: withHash, File: "r.txt", Line: 1, Raw: "a==1"},
			{Name: "b", Specifier: "==2", File: "r.txt", Line: 4, Raw: "b==2"},
		}, missing: []string{"b"}, wantErrParts: []string{"missing --hash: r.txt:4 (b==2)"}},
		{name: "unpinned and missing", reqs: []Requirement{
			{Name: "a", Specifier: ">=1", Hashes: withHash, Line: 2, Raw: "a>=1"},
			{Name: "b", Specifier: "==2.*", Line: 3, Raw: "b==2.*"},
			{Name: "c", Specifier: "==3", Hashes: withHash},
		}, missing: []string{"b"}, unpinned: []string{"a", "b"},
			wantErrParts: []string{"missing --hash: line 3 (b==2.*)", "not pinned with ==: line 2 (a>=1), line 3 (b==2.*)"}},
	}
	for _, tt := range tests {
		err := CheckHashMode(tt.reqs)
		if tt.missing == nil && tt.unpinned == nil {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		var he *HashModeError
		if !errors.As(err, &he) {
			t.Errorf("%s: err = %v, want *HashModeError", tt.name, err)
			continue
		}
		if got := names(he.Missing); !reflect.DeepEqual(got, tt.missing) {
			t.Errorf("%s: Missing = %v, want %v", tt.name, got, tt.missing)
		}
		if got := names(he.Unpinned); !reflect.DeepEqual(got, tt.unpinned) {
			t.Errorf("%s: Unpinned = %v, want %v", tt.name, got, tt.unpinned)
		}
		for _, part := range tt.wantErrParts {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("%s: error %q lacks %q", tt.name, err, part)
			}
		}
	}
}

func TestFileCheckHashModeRequireHashes(t *testing.T) {
	f, err := ParseRequirementsFile(strings.NewReader("--require-hashes\nfoo==1\n"), "r.txt")
	if err != nil {
		t.Fatal(err)
	}
	if CheckHashMode(f.Requirements) != nil {
		t.Error("package CheckHashMode should not see --require-hashes")
	}
	if err := f.CheckHashMode(); err == nil || !strings.Contains(err.Error(), "r.txt:2 (foo==1)") {
		t.Errorf("f.CheckHashMode() = %v", err)
	}
}

func names(reqs []Requirement) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Name)
	}
	return out
}
