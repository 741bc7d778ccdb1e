package pyreq

// Fuzzers for the parsers of files and strings that users and indexes
// write: requirements files, pylock.toml and environment markers
// (FuzzParseRequirement is in pep508_test.go). `make fuzz` runs them all;
// one alone:
//
//	go test ./pkg/pyreq/ -run '^$' -fuzz '^FuzzParseRequirementsFile$' -fuzztime 60s

import (
	"bytes"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
)

// fuzzEnvs are the fixed marker environments the fuzzers evaluate with.
func fuzzEnvs() []map[string]string {
	rich := LinuxEnv("3.12.4", "arm64")
	rich["extra"] = "Test_Extra"
	rich["extras"] = "Socks,security"
	rich["dependency_groups"] = "dev"
	return []map[string]string{LinuxEnv("3.13", "x86_64"), rich}
}

// FuzzParseRequirementsFile: errors name the file; every requirement
// re-parses from its String() form and lies on a line of the input; and a
// file written back from the parsed result (options, includes,
// requirements with their hashes) parses to the same result.
func FuzzParseRequirementsFile(f *testing.F) {
	for _, s := range []string{
		"",
		"# a comment\nnumpy==2.1.0\n",
		"\ufeff# a comment\n--index-url https://pypi.example/simple\n--extra-index-url=https://extra.example/simple # trailing comment\n" +
			"-r base.txt\n-rother.txt\n--constraint constraints.txt\n\nnumpy==2.1.0 \\\n    --hash=sha256:" + strings.Repeat("A", 64) + " \\\n" +
			"    --hash sha256:" + strings.Repeat("b", 64) + "\r\n" +
			"shapely[vectorized] == 2.1.1 ; python_version >= \"3.10\" --hash=sha384:" + strings.Repeat("c", 96) + "\n" +
			"   # indented comment \\\n" +
			"six @ https://files.example/six-1.17.0-py2.py3-none-any.whl#sha256=" + strings.Repeat("a", 64) + "\n" +
			"--require-hashes --no-index\ncertifi==2025.1.31 \\\n\\\n  --hash=sha256:" + strings.Repeat("a", 64) + "\nidna==3.10 \\",
		"--only-binary :all: --prefer-binary --pre\n-c constraints.txt\nfoo>=1,<2; sys_platform == 'linux'\n",
		"foo==1 --hash=md5:d41d8cd98f00b204e9800998ecf8427e",
		"foo==1 --config-settings=x=y",
		"-e .",
		"pyproj==3.7.1#not-a-comment",
		"./dist/foo-1.0-py3-none-any.whl",
		"foo==${VERSION}",
		"foo \\\n  >=1 \\\n  bar",
		"-i https://x extra",
		// examples/fixtures-demo/requirements.txt
		"# Fixture packages from hack/fixtures, pinned.\nglf-pure==1.0.0\nglf-pure-dep==1.0.0\nglf-cext==1.0.0\nglf-data==1.0.0\nglf-meta==1.0.0\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "reqs.txt"
		rf, err := ParseRequirementsFile(bytes.NewReader(data), name)
		if err != nil {
			if !strings.HasPrefix(err.Error(), name+":") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		prev := 0
		for _, r := range rf.Requirements {
			if r.File != name || r.Line < 1 || r.Line > lines || r.Line < prev {
				t.Fatalf("requirement %q at %s:%d (file has %d lines, previous at %d)", r.Raw, r.File, r.Line, lines, prev)
			}
			prev = r.Line
			if _, err := ParseRequirement(r.String()); err != nil {
				t.Fatalf("%q -> %q does not parse: %v", r.Raw, r.String(), err)
			}
			for _, h := range r.Hashes {
				if n, ok := strongHashes[h.Alg]; !ok || len(h.Hex) != n || strings.Trim(h.Hex, "0123456789abcdef") != "" {
					t.Fatalf("%s: bad hash %+v", r.Name, h)
				}
			}
		}
		for _, inc := range rf.Includes {
			if inc.Path == "" || inc.Line < 1 || inc.Line > lines {
				t.Fatalf("include %+v (file has %d lines)", inc, lines)
			}
		}
		for _, o := range rf.Options {
			if o.Name == "" || o.Line < 1 || o.Line > lines {
				t.Fatalf("option %+v (file has %d lines)", o, lines)
			}
		}
		if len(rf.Includes) == 0 {
			reqs, err := ParseRequirements(bytes.NewReader(data), name)
			if err != nil || !reflect.DeepEqual(reqs, rf.Requirements) {
				t.Fatalf("ParseRequirements differs from ParseRequirementsFile: %v", err)
			}
		}

		// Write the file back and parse it again. Values are attached
		// with '=' (a value may start with '#': "-c#x" names "#x").
		var b strings.Builder
		for _, o := range rf.Options {
			b.WriteString("--" + o.Name)
			if o.Value != "" {
				b.WriteString("=" + o.Value)
			}
			b.WriteString("\n")
		}
		for _, inc := range rf.Includes {
			if inc.Constraint {
				b.WriteString("--constraint=" + inc.Path + "\n")
			} else {
				b.WriteString("--requirement=" + inc.Path + "\n")
			}
		}
		for _, r := range rf.Requirements {
			line := r.String()
			// "a@#x" is a requirement with URL "#x", "a @ #x" one
			// without: in a file " #" starts a comment.
			line = strings.Replace(line, " @ ", "@", 1)
			for _, h := range r.Hashes {
				line += " --hash=" + h.Alg + ":" + h.Hex
			}
			if strings.HasSuffix(line, `\`) {
				line += " " // "a===\\" is not a continuation line
			}
			b.WriteString(line + "\n")
		}
		again, err := ParseRequirementsFile(strings.NewReader(b.String()), name)
		if err != nil {
			t.Fatalf("written back as\n%s\ndoes not parse: %v", b.String(), err)
		}
		if got, want := fuzzReqFile(again), fuzzReqFile(rf); got != want {
			t.Fatalf("round trip through\n%s\n got %s\nwant %s", b.String(), got, want)
		}
	})
}

// fuzzReqFile describes a parsed requirements file without line numbers
// and raw text (which a rewrite changes).
func fuzzReqFile(rf *RequirementsFile) string {
	var b strings.Builder
	for _, r := range rf.Requirements {
		fmt.Fprintf(&b, "req %q %q %q %q %q %v\n", r.Name, r.Extras, r.Specifier, r.URL, r.Marker, r.Hashes)
	}
	for _, inc := range rf.Includes {
		fmt.Fprintf(&b, "inc %q %v\n", inc.Path, inc.Constraint)
	}
	for _, o := range rf.Options {
		fmt.Fprintf(&b, "opt %q %q\n", o.Name, o.Value)
	}
	return b.String()
}

// FuzzParseMarker: a marker that parses evaluates the same with EvalMarker,
// from its String(), in parentheses, and and-ed or or-ed with itself; one
// that does not parse is an error for EvalMarker too.
func FuzzParseMarker(f *testing.F) {
	for _, s := range []string{
		"",
		`sys_platform == "linux"`,
		`platform_system == "Linux" and os_name == "posix"`,
		`python_version > "3.9"`,
		`python_version == "3.*"`,
		`python_version ~= "3.10"`,
		`"3.8" <= python_version`,
		`python_version in "3.12 3.13"`,
		`python_version not in "3.12 3.13"`,
		`"linux" in sys_platform`,
		`sys_platform < "z"`,
		`platform_release >= "5.10"`,
		`extra == "test"`,
		`extra == "test.extra"`,
		`sys_platform == "win32" or (python_version >= "3.8" and sys_platform == "linux")`,
		`(sys_platform == "win32" or python_version >= "3.8") and sys_platform == "darwin"`,
		`sys.platform == "linux"`,
		`python_implementation == "CPython"`,
		`"foo" in extras`,
		`"dev" not in dependency_groups`,
		`python_full_version === "3.12.4"`,
		`implementation_version >= "3.13"`,
		`python_version >= `,
		`(python_version >= "3"`,
		`python_version >= "3`,
		`"a" < "b" < "c"`,
		`python_version == "3" & os_name == "posix"`,
		`platform_machine == 'aarch64'`,
	} {
		f.Add(s)
	}
	envs := fuzzEnvs()
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMarker(s)
		if err != nil {
			if strings.TrimSpace(s) != "" {
				if _, err := EvalMarker(s, envs[0]); err == nil {
					t.Fatalf("ParseMarker(%q) fails, EvalMarker does not", s)
				}
			}
			return
		}
		variants := []string{m.String(), "(" + s + ")", "(" + s + ") and (" + s + ")", "(" + s + ") or (" + s + ")"}
		for _, env := range envs {
			want, werr := m.Eval(env)
			if strings.TrimSpace(s) != "" {
				got, err := EvalMarker(s, env)
				if got != want || (err == nil) != (werr == nil) {
					t.Fatalf("%q: Eval = %v, %v; EvalMarker = %v, %v", s, want, werr, got, err)
				}
			}
			for _, v := range variants {
				mv, err := ParseMarker(v)
				if err != nil {
					t.Fatalf("%q parses, %q does not: %v", s, v, err)
				}
				got, err := mv.Eval(env)
				if got != want || (err == nil) != (werr == nil) {
					t.Fatalf("%q = %v, %v; %q = %v, %v", s, want, werr, v, got, err)
				}
			}
		}
	})
}

// FuzzParsePylock: a lock that parses selects without panicking (only
// packages whose marker holds), is written by WritePylock, and the written
// file parses again and is written back byte for byte (WritePylock is
// idempotent on what ParsePylock accepts).
func FuzzParsePylock(f *testing.F) {
	const wheel = `wheels = [{url = 'https://x/foo-1.0-py3-none-any.whl', hashes = {sha256 = 'aa'}}]`
	for _, s := range []string{
		exampleLock,
		"lock-version = '1.0'\ncreated-by = 'x'\npackages = []\n",
		"lock-version = '1.0'\ncreated-by = 'x'\n[[packages]]\nname = 'foo'\nversion = '1.0'\n" + wheel + "\n",
		"lock-version = '1.0'\ncreated-by = 'x'\ndefault-groups = ['dev']\n[[packages]]\nname = 'foo'\nmarker = \"'dev' in dependency_groups\"\n" + wheel + "\n",
		"lock-version = '1.0'\ncreated-by = 'x'\n[[packages]]\nname = 'foo'\nvcs = {type = 'git', url = 'https://x/y.git', commit-id = 'abc'}\n",
		"lock-version = '1.0'\ncreated-by = 'x'\n[[packages]]\nname = 'foo'\ndirectory = {path = '.', editable = true}\n",
		"lock-version = '1.0'\ncreated-by = 'x'\n[[packages]]\nname = 'foo'\narchive = {url = 'https://x/foo.tar.gz', hashes = {sha256 = 'aa'}, subdirectory = 'sub'}\n",
		"lock-version = '2.0'\ncreated-by = 'x'\npackages = []\n",
		"lock-version = '1.0'\ncreated-by = 'x'\n[[packages]]\nname = 'foo'\n" + wheel + "\n[[packages]]\nname = 'foo'\n" + wheel + "\n",
	} {
		f.Add([]byte(s))
	}
	envs := fuzzEnvs()
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParsePylock(data)
		if err != nil {
			return
		}
		for _, env := range envs {
			sel, err := l.Select(env)
			if err != nil {
				continue
			}
			if _, set := env["dependency_groups"]; !set && len(l.DefaultGroups) > 0 {
				env = maps.Clone(env) // as Select does
				env["dependency_groups"] = strings.Join(l.DefaultGroups, ",")
			}
			for _, p := range sel {
				if ok, err := EvalMarker(p.Marker, env); !ok || err != nil {
					t.Fatalf("selected %s with marker %q = %v, %v", p.Name, p.Marker, ok, err)
				}
			}
		}
		var out bytes.Buffer
		if err := WritePylock(&out, l); err != nil {
			t.Fatalf("WritePylock of a parsed lock: %v", err)
		}
		l2, err := ParsePylock(out.Bytes())
		if err != nil {
			t.Fatalf("written lock does not parse: %v\n%s", err, out.Bytes())
		}
		var again bytes.Buffer
		if err := WritePylock(&again, l2); err != nil {
			t.Fatalf("WritePylock of the re-read lock: %v", err)
		}
		if !bytes.Equal(out.Bytes(), again.Bytes()) {
			t.Fatalf("WritePylock not idempotent:\n%s\n---\n%s", out.Bytes(), again.Bytes())
		}
	})
}
