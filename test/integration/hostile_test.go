//go:build integration

package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostileCase is one hostile input. Each case asserts four things: the
// build fails (or, benign by design, succeeds and exports what it should);
// the output names the cause and, for a Geolayerfile or requirements line,
// that line; no panic, Go stack trace or "internal error" reaches the user;
// and a failed build exports nothing. TestHostileInputs ends with a
// known-good build on the same daemon.
type hostileCase struct {
	name string
	// file is the Geolayerfile after the syntax line; {index} becomes the
	// case's hostile index URL, {public} the public-address one.
	file string
	// raw, when set, is the whole Geolayerfile ({syntax} becomes the
	// syntax line without its newline).
	raw   []byte
	files map[string]string
	args  []string // more buildx arguments
	want  []string // substrings of the output
	final []string // substrings of the last ERROR line
	ok    bool     // benign by design: the build succeeds
	check func(t *testing.T, out string)
	// maxOut bounds the build output (a hostile input must not be echoed
	// whole); 0: 1 MiB.
	maxOut int
}

const lambdaAmd = "TARGET aws-lambda python3.13\nPLATFORM linux/amd64\n"

func runHostile(t *testing.T, cases []hostileCase, ix, pub *hostileIndex) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			subst := func(s string) string {
				if ix != nil {
					s = strings.ReplaceAll(s, "{index}", ix.simple())
				}
				if pub != nil {
					s = strings.ReplaceAll(s, "{public}", pub.simple())
				}
				return s
			}
			dir := project(t, subst(tc.file), tc.files)
			for name, body := range tc.files {
				if target, ok := strings.CutPrefix(body, "@symlink:"); ok {
					p := filepath.Join(dir, name)
					if err := os.Remove(p); err != nil {
						t.Fatal(err)
					}
					if err := os.Symlink(target, p); err != nil {
						t.Fatal(err)
					}
				}
			}
			if tc.raw != nil {
				raw := bytes.ReplaceAll(tc.raw, []byte("{syntax}"), []byte("# syntax="+env.frontendImage))
				if err := os.WriteFile(filepath.Join(dir, "Geolayerfile"), raw, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out := filepath.Join(dir, "out")
			args := []string{"-f", "Geolayerfile", "-o", out}
			for _, a := range tc.args {
				args = append(args, subst(a))
			}
			base := []string{"buildx", "build", "--builder", env.builder, "--progress=plain"}
			if !strings.Contains(tc.file, "INDEX {") {
				// The build arg wins over an INDEX line
				// (docs/geolayerfile.md): only without one.
				base = append(base, "--build-arg", "GEOLAYER_INDEX_URL="+env.indexURL)
			}
			o := run(t, dir, !tc.ok, "docker", append(append(base, args...), ".")...)
			for _, w := range tc.want {
				if !strings.Contains(o, subst(w)) {
					t.Errorf("output does not mention %q:\n%s", subst(w), clipLines(tail(o, 40), 400))
				}
			}
			if m := leaks.FindString(o); m != "" {
				t.Errorf("output leaks %q (a panic, stack trace or internal error):\n%s", m, clipLines(tail(o, 60), 400))
			}
			max := tc.maxOut
			if max == 0 {
				max = 1 << 20
			}
			if len(o) > max {
				t.Errorf("output is %d bytes, more than %d: the hostile input is echoed", len(o), max)
			}
			if tc.ok {
				if tc.check != nil {
					tc.check(t, out)
				}
				return
			}
			// The final error states the cause, never a helper's command
			// line (a refused helper step is explained by the frontend).
			last := lastErrorLine(o)
			if strings.Contains(last, `process "/geolayer helper`) {
				t.Errorf("the final error is a helper's command line, not its cause: %s", clipLines(last, 400))
			}
			for _, w := range tc.final {
				if !strings.Contains(last, w) {
					t.Errorf("the final error does not say %q: %s", w, clipLines(last, 400))
				}
			}
			if names := exported(out); len(names) > 0 {
				t.Errorf("a failed build exported %d entries: %v", len(names), names[:min(len(names), 10)])
			}
		})
	}
}

// TestHostileInputs feeds geolayer hostile Geolayerfiles, requirements and
// lock files, index servers and wheels (issue #15 item 1; the index
// outcomes and URL policy of #14), then checks that a known-good build on
// the same daemon still succeeds.
func TestHostileInputs(t *testing.T) {
	ix := newHostileIndex(t, "127.0.0.1:0")
	// The host's own non-private address (TEST-NET-1 here), to play a
	// public index that links into loopback.
	pub := newHostileIndex(t, hostAddr(t)+":0")
	start := time.Now()
	t.Run("geolayerfile", func(t *testing.T) { runHostile(t, geolayerfileCases(), ix, pub) })
	t.Run("requirements", func(t *testing.T) { runHostile(t, requirementsCases(), ix, pub) })
	t.Run("index", func(t *testing.T) { runHostile(t, indexCases(t, ix, pub), ix, pub) })
	t.Run("wheels", func(t *testing.T) { runHostile(t, wheelCases(t, ix), ix, pub) })
	t.Run("run-and-test", func(t *testing.T) { runHostile(t, runTestCases(t, ix), ix, pub) })
	t.Logf("hostile cases took %s", time.Since(start).Round(time.Second))
	t.Run("known-good build afterwards", func(t *testing.T) {
		dir := project(t, lambdaAmd+"REQUIRE glf-pure==1.0.0 glf-pure-dep==1.0.0\nTEST import glf_pure\n", nil)
		out := filepath.Join(dir, "out")
		buildx(t, dir, false, "-f", "Geolayerfile", "-o", out, ".")
		if _, err := os.Stat(filepath.Join(out, "layer.zip")); err != nil {
			t.Fatalf("the known-good build exported no layer.zip: %v (%v)", err, exported(out))
		}
	})
}

// hostAddr is an address of this host that is neither loopback nor
// private (the dev machine's eth0 is in TEST-NET-1).
func hostAddr(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsPrivate() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	t.Fatalf("no public (non-loopback, non-private) IPv4 address on this host to play a public index: %v", addrs)
	return ""
}

func geolayerfileCases() []hostileCase {
	lambda := "TARGET aws-lambda python3.13\n"
	long := strings.Repeat("a", 1<<20)
	// Each level repeats the previous one 16 times: level 7 would be 16^7
	// times 64 bytes (17 GB) if expansion were unbounded.
	runaway := "ARG A0=" + strings.Repeat("x", 64) + "\n"
	for i := 1; i <= 7; i++ {
		runaway += fmt.Sprintf("ARG A%d=%s\n", i, strings.Repeat(fmt.Sprintf("${A%d}", i-1), 16))
	}
	return []hostileCase{
		{name: "unknown instruction", file: lambda + "FROB glf-pure\n",
			want: []string{"unknown instruction", ">>> FROB glf-pure"}},
		{name: "misspelled instruction", file: "TRAGET aws-lambda python3.13\n",
			want: []string{"did you mean TARGET", ">>> TRAGET aws-lambda"}},
		{name: "unterminated quote", file: lambda + "REQUIRE \"glf-pure==1.0.0\n",
			want: []string{"looking for matching double-quote", ">>> REQUIRE \"glf-pure"}},
		{name: "NUL byte in a line", file: lambda + "REQUIRE glf-pure==1.0.0\x00x\n",
			want: []string{`invalid requirement "glf-pure==1.0.0\x00x"`, "Geolayerfile:3"}},
		{name: "NUL byte in an instruction", file: lambda + "REQ\x00UIRE glf-pure==1.0.0\n",
			want: []string{"unknown instruction", "Geolayerfile:3"}},
		{name: "BOM before the syntax line", raw: []byte("\ufeff{syntax}\n" + lambdaAmd + "REQUIRE glf-pure==1.0.0 glf-pure-dep==1.0.0\n"),
			ok: true, check: hasLayer("glf_pure/__init__.py")},
		{name: "BOM in the middle", file: lambda + "\ufeffREQUIRE glf-pure==1.0.0\n",
			want: []string{"Geolayerfile:3"}},
		{name: "CRLF line endings", raw: []byte(strings.ReplaceAll("{syntax}\n"+lambdaAmd+"REQUIRE glf-pure==1.0.0 \\\n  glf-pure-dep==1.0.0\n", "\n", "\r\n")),
			ok: true, check: hasLayer("glf_pure/__init__.py")},
		// A CR is white space, as in a Dockerfile: two requirements.
		{name: "lone CR inside a line", file: lambdaAmd + "REQUIRE glf-pure==1.0.0\rglf-pure-dep==1.0.0\n",
			ok: true, check: hasLayer("glf_pure/__init__.py", "glf_pure_dep/__init__.py")},
		// The 1 MB name is a valid PEP 508 name, absent from the index.
		// geolayer clips what it echoes (the index page step's name, the
		// final error: a word's head, "…(N bytes)…" and its tail); the one
		// whole copy left is buildx's snippet of the source line.
		{name: "1 MB line", file: lambda + "REQUIRE " + long + "==1.0\n",
			want: []string{"==1.0: not found on", "…(1048582 bytes)…", "Geolayerfile:3"}, maxOut: 1<<20 + 64<<10},
		{name: "1 MB instruction name", file: lambda + long + " x\n",
			want: []string{"unknown instruction", "…(1048577 bytes)…", "Geolayerfile:3"}, maxOut: 1<<20 + 64<<10},
		{name: "runaway ARG expansion", file: runaway + lambda + "REQUIRE glf-pure==1.0.0\n",
			want: []string{"could expand to more than 1048576 bytes", ">>> ARG A4="}, maxOut: 256 << 10},
		{name: "unsupported PLATFORM", file: lambda + "PLATFORM linux/s390x\nREQUIRE glf-pure==1.0.0\n",
			want: []string{"linux/s390x", ">>> PLATFORM linux/s390x"}},
		{name: "PLATFORM of another OS", file: lambda + "PLATFORM windows/amd64\nREQUIRE glf-pure==1.0.0\n",
			want: []string{"windows/amd64", ">>> PLATFORM windows/amd64"}},
		{name: "malformed PLATFORM", file: lambda + "PLATFORM linux//amd64/\nREQUIRE glf-pure==1.0.0\n",
			want: []string{"linux//amd64/", ">>> PLATFORM linux//amd64/"}},
		{name: "unknown TARGET profile", file: "TARGET heroku python3.13\nREQUIRE glf-pure==1.0.0\n",
			want: []string{"heroku", ">>> TARGET heroku python3.13"}},
		{name: "unknown runtime", file: "TARGET aws-lambda python2.7\nREQUIRE glf-pure==1.0.0\n",
			want: []string{"python2.7", ">>> TARGET aws-lambda python2.7"}},
		{name: "second TARGET", file: lambda + "TARGET aws-lambda python3.11\nREQUIRE glf-pure==1.0.0\n",
			want: []string{"TARGET", ">>> TARGET aws-lambda python3.11"}},
		{name: "BUDGET not a size", file: lambda + "REQUIRE glf-pure==1.0.0\nBUDGET unzipped=lots\n",
			want: []string{"lots", ">>> BUDGET unzipped=lots"}},
		{name: "BUDGET zero", file: lambda + "REQUIRE glf-pure==1.0.0\nBUDGET zipped=0\n",
			want: []string{">>> BUDGET zipped=0"}},
		{name: "BUDGET fraction of a byte", file: lambda + "REQUIRE glf-pure==1.0.0\nBUDGET unzipped=0.1KB\n",
			want: []string{"0.1KB", ">>> BUDGET unzipped=0.1KB"}},
		{name: "BUDGET overflow", file: lambda + "REQUIRE glf-pure==1.0.0\nBUDGET unzipped=99999999999999999999G\n",
			want: []string{">>> BUDGET unzipped=99999999999999999999G"}},
		{name: "BUDGET unknown key", file: lambda + "REQUIRE glf-pure==1.0.0\nBUDGET total=1MB\n",
			want: []string{"total", ">>> BUDGET total=1MB"}},
		{name: "-r escaping the context", file: lambda + "REQUIRE -r ../secret.txt\n",
			want: []string{"../secret.txt", ">>> REQUIRE -r ../secret.txt"}},
		{name: "-r absolute path", file: lambda + "REQUIRE -r /etc/passwd\n",
			want: []string{"/etc/passwd", ">>> REQUIRE -r /etc/passwd"}},
		{name: "-r include escaping the context", file: lambda + "REQUIRE -r reqs/a.txt\n",
			files: map[string]string{"reqs/a.txt": "glf-pure==1.0.0\n-r ../../../etc/passwd\n"},
			want:  []string{"reqs/a.txt:2", "outside the build context", ">>> REQUIRE -r reqs/a.txt"}},
		{name: "-r symlink out of the context", file: lambda + "REQUIRE -r reqs.txt\n",
			files: map[string]string{"reqs.txt": "@symlink:/etc/passwd"},
			want:  []string{"reqs.txt: not found in the build context", ">>> REQUIRE -r reqs.txt"}},
		{name: "-r missing file", file: lambda + "REQUIRE -r nope.txt\n",
			want: []string{"nope.txt: not found in the build context", ">>> REQUIRE -r nope.txt"}},
		{name: "--lock missing file", file: lambda + "REQUIRE --lock=pylock.toml\n",
			want: []string{"pylock.toml: not found in the build context", ">>> REQUIRE --lock=pylock.toml"}},
		{name: "empty file", file: "",
			want: []string{"TARGET"}},
		{name: "comment-only file", file: "# nothing here\n#\n   # indented\n",
			want: []string{"TARGET"}},
		{name: "undefined variable", file: "TARGET aws-lambda python${PYVER}\n",
			want: []string{"PYVER", ">>> TARGET aws-lambda python${PYVER}"}},
		{name: "bad escape directive", raw: []byte("{syntax}\n# escape=x\n" + lambda + "REQUIRE glf-pure==1.0.0\n"),
			want: []string{"escape"}},
	}
}

// clipLines shortens each line to n bytes (a hostile input may be a 1 MB
// line).
func clipLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if len(l) > n {
			lines[i] = l[:n] + fmt.Sprintf("... (%d bytes)", len(l))
		}
	}
	return strings.Join(lines, "\n")
}

// hasLayer checks that the export has a layer.zip holding a file whose
// name ends with each suffix.
func hasLayer(suffixes ...string) func(t *testing.T, out string) {
	return func(t *testing.T, out string) {
		t.Helper()
		names := unzipNames(t, filepath.Join(out, "layer.zip"))
		for _, s := range suffixes {
			found := false
			for _, n := range names {
				found = found || strings.HasSuffix(n, s)
			}
			if !found {
				t.Errorf("layer.zip has no %s: %v", s, names)
			}
		}
	}
}

func requirementsCases() []hostileCase {
	lambda := lambdaAmd
	zeros := strings.Repeat("0", 64)
	pureURL := strings.TrimSuffix(env.indexURL, "simple/") + "files/glf_pure-1.0.0-py3-none-any.whl"
	return []hostileCase{
		{name: "invalid TOML lock", file: lambda + "REQUIRE --lock=pylock.toml\n",
			files: map[string]string{"pylock.toml": "lock-version = \"1.0\"\n[[packages]\nname = \"x\"\n"},
			want:  []string{"pylock.toml", ">>> REQUIRE --lock=pylock.toml"}},
		{name: "lock not UTF-8", file: lambda + "REQUIRE --lock=pylock.toml\n",
			files: map[string]string{"pylock.toml": "lock-version = \"1.0\"\ncreated-by = \"\xff\xfe\"\n"},
			want:  []string{"pylock.toml", ">>> REQUIRE --lock=pylock.toml"}},
		{name: "lock with a wrong hash", file: lambda + "REQUIRE --lock=pylock.toml\n",
			files: map[string]string{"pylock.toml": lockWith("glf-pure", "1.0.0", pureURL, zeros)},
			want:  []string{"glf-pure", "does not match its published sha256", ">>> REQUIRE --lock=pylock.toml"}},
		{name: "lock with a file: URL", file: lambda + "REQUIRE --lock=pylock.toml\n",
			files: map[string]string{"pylock.toml": lockWith("glf-pure", "1.0.0", "file:///etc/passwd", zeros)},
			want:  []string{"only http and https", ">>> REQUIRE --lock=pylock.toml"}},
		{name: "lock with a metadata-service URL", file: lambda + "REQUIRE --lock=pylock.toml\n",
			files: map[string]string{"pylock.toml": lockWith("glf-pure", "1.0.0", "http://169.254.169.254/latest/meta-data/x.whl", zeros)},
			want:  []string{"169.254.169.254", "link-local", ">>> REQUIRE --lock=pylock.toml"}},
		{name: "lock without hashes", file: lambda + "REQUIRE --lock=pylock.toml\n",
			files: map[string]string{"pylock.toml": lockWith("glf-pure", "1.0.0", pureURL, "")},
			want:  []string{"hashes must have at least one entry", ">>> REQUIRE --lock=pylock.toml"}},
		{name: "wrong hash in requirements", file: lambda + "REQUIRE -r requirements.txt\n",
			files: map[string]string{"requirements.txt": "glf-pure==1.0.0 --hash=sha256:" + zeros + "\n"},
			want:  []string{"hash mismatch", "requirements.txt:1", ">>> REQUIRE -r requirements.txt"}},
		{name: "md5-only hash", file: lambda + "REQUIRE -r requirements.txt\n",
			files: map[string]string{"requirements.txt": "glf-pure==1.0.0 --hash=md5:" + zeros[:32] + "\n"},
			want:  []string{"sha256", "requirements.txt:1"}},
		{name: "duplicate conflicting pins", file: lambda + "REQUIRE glf-pure==1.0.0 glf-pure==2.0.0\n",
			want: []string{"glf-pure is required twice, differently", ">>> REQUIRE glf-pure==1.0.0 glf-pure==2.0.0"}},
		{name: "conflicting pins across files", file: lambda + "REQUIRE glf-pure==1.0.0\nREQUIRE -r requirements.txt\n",
			files: map[string]string{"requirements.txt": "\n\nGLF_Pure==1.0.1\n"},
			want:  []string{"required twice, differently", "requirements.txt:3", ">>> REQUIRE -r requirements.txt"}},
		{name: "marker syntax error", file: lambda + "REQUIRE \"glf-pure==1.0.0; python_version <> '3'\"\n",
			want: []string{"glf-pure", ">>> REQUIRE"}},
		{name: "unknown marker variable", file: lambda + "REQUIRE -r requirements.txt\n",
			files: map[string]string{"requirements.txt": "glf-pure==1.0.0; frobnicate == '1'\n"},
			want:  []string{"frobnicate", ">>> REQUIRE -r requirements.txt"}},
		// pip installs nothing for a requirement whose marker is false;
		// so does geolayer (the layer has no package).
		{name: "unsatisfiable marker leaves nothing", file: lambda + "REQUIRE \"glf-pure==1.0.0; python_version < '3'\"\n",
			ok: true, check: func(t *testing.T, out string) {
				for _, n := range unzipNames(t, filepath.Join(out, "layer.zip")) {
					if strings.Contains(n, "glf_pure") {
						t.Errorf("a requirement whose marker is false was installed: %s", n)
					}
				}
			}},
		{name: "requirements include cycle", file: lambda + "REQUIRE -r a.txt\n",
			files: map[string]string{"a.txt": "-r b.txt\n", "b.txt": "glf-pure==1.0.0\n-r a.txt\n"},
			want:  []string{"includes itself", ">>> REQUIRE -r a.txt"}},
		{name: "unknown pip option", file: lambda + "REQUIRE -r requirements.txt\n",
			files: map[string]string{"requirements.txt": "glf-pure==1.0.0\n--frobnicate yes\n"},
			want:  []string{"--frobnicate", "requirements.txt:2"}},
		{name: "requirements with NUL and invalid UTF-8", file: lambda + "REQUIRE -r requirements.txt\n",
			files: map[string]string{"requirements.txt": "glf-pure==1.0.0\n\xff\xfeglf\x00pure\n"},
			want:  []string{"requirements.txt:2", ">>> REQUIRE -r requirements.txt"}},
		{name: "VCS requirement", file: lambda + "REQUIRE -r requirements.txt\n",
			files: map[string]string{"requirements.txt": "glf-pure @ git+https://example.invalid/x.git\n"},
			want:  []string{"VCS", "requirements.txt:1"}},
	}
}

// lockWith is a pylock.toml with one package and one wheel.
func lockWith(name, version, url, sha string) string {
	hashes := "{}"
	if sha != "" {
		hashes = `{sha256 = "` + sha + `"}`
	}
	return fmt.Sprintf(`lock-version = "1.0"
created-by = "hostile-test"
requires-python = "==3.13.*"

[[packages]]
name = %q
version = %q
wheels = [{name = "glf_pure-1.0.0-py3-none-any.whl", url = %q, hashes = %s}]
`, name, version, url, hashes)
}

func indexCases(t *testing.T, ix, pub *hostileIndex) []hostileCase {
	good := zipOf(t, wheelEntries("hi-good", "1.0.0", zent{name: "hi_good/__init__.py", body: []byte("X = 1\n")}))
	goodSum := sha256.Sum256(good)
	goodSHA := hex.EncodeToString(goodSum[:])
	goodName := wheelFilename("hi-good", "1.0.0")
	ix.bytesAt("/files/"+goodName, "application/octet-stream", good)
	link := func(project string) string { return ix.base + "/files/" + goodName }
	req := func(project string) string {
		return lambdaAmd + "INDEX {index}\nREQUIRE " + project + "==1.0.0\n"
	}
	// serve project's page: a link to a copy of the good wheel, renamed.
	served := func(project string) (fn, url string) {
		fn = wheelFilename(project, "1.0.0")
		url = ix.base + "/files/" + fn
		return
	}
	cases := []hostileCase{}
	add := func(c hostileCase) { cases = append(cases, c) }

	ix.status("/simple/hi-500/", 500)
	add(hostileCase{name: "page HTTP 500", file: req("hi-500"),
		want: []string{"{index}hi-500/", "the server failed (HTTP 500)", ">>> INDEX {index}"}})
	ix.status("/simple/hi-503/", 503)
	add(hostileCase{name: "page HTTP 503", file: req("hi-503"),
		want: []string{"{index}hi-503/", "HTTP 503", ">>> INDEX {index}"}})
	add(hostileCase{name: "page HTTP 404", file: req("hi-absent"),
		want: []string{"hi-absent==1.0.0: not found on {index}", ">>> REQUIRE hi-absent==1.0.0"}})
	ix.status("/simple/hi-410/", 410)
	add(hostileCase{name: "page HTTP 410", file: req("hi-410"),
		want: []string{"hi-410==1.0.0: not found on", ">>> REQUIRE hi-410==1.0.0"}})
	ix.status("/simple/hi-401/", 401)
	add(hostileCase{name: "page HTTP 401 without a secret", file: req("hi-401"),
		want: []string{"{index}hi-401/", "wants credentials (HTTP 401)", "INDEX <url> --secret=<id>", ">>> INDEX {index}"}})
	ix.status("/simple/hi-403/", 403)
	add(hostileCase{name: "page HTTP 403 with a secret", file: lambdaAmd + "INDEX {index} --secret=hostile-token\nREQUIRE hi-403==1.0.0\n",
		args: []string{"--secret", "id=hostile-token,src=" + secretFile(t)},
		want: []string{"{index}hi-403/", "refused the credentials (HTTP 403)", `"hostile-token"`, ">>> INDEX {index} --secret=hostile-token"}})
	ix.status("/simple/hi-418/", 418)
	add(hostileCase{name: "page HTTP 418", file: req("hi-418"),
		want: []string{"{index}hi-418/", "418", ">>> INDEX {index}"}})
	ix.handle("/simple/hi-loop/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/simple/hi-loop/", http.StatusFound)
	})
	add(hostileCase{name: "redirect loop", file: req("hi-loop"),
		want: []string{"{index}hi-loop/", "redirect", ">>> INDEX {index}"}})
	ix.handle("/simple/hi-stall/", func(w http.ResponseWriter, r *http.Request) {
		select { // accepts the request and never answers
		case <-r.Context().Done():
		case <-time.After(2 * time.Minute):
		}
	})
	add(hostileCase{name: "stalling server", file: req("hi-stall"),
		args: []string{"--build-arg", "GEOLAYER_HTTP_TIMEOUT=3"},
		want: []string{"{index}hi-stall/", "no complete answer within 3s", "GEOLAYER_HTTP_TIMEOUT", ">>> INDEX {index}"}})
	ix.handle("/simple/hi-trickle/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		for i := 0; i < 120; i++ { // a byte a second: never complete in time
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Second):
			}
		}
	})
	add(hostileCase{name: "trickling server", file: req("hi-trickle"),
		args: []string{"--build-arg", "GEOLAYER_HTTP_TIMEOUT=3"},
		want: []string{"{index}hi-trickle/", "no complete answer within 3s", ">>> INDEX {index}"}})
	ix.handle("/simple/hi-truncpage/", truncated([]byte(linkPage(link("hi-good")+"#sha256="+goodSHA, goodName))))
	add(hostileCase{name: "truncated page", file: req("hi-truncpage"),
		want: []string{"{index}hi-truncpage/", ">>> INDEX {index}"}})
	fn, u := served("hi-truncwheel")
	ix.handle("/files/"+fn, truncated(good))
	ix.page("hi-truncwheel", linkPage(u+"#sha256="+goodSHA, fn))
	add(hostileCase{name: "truncated wheel download", file: req("hi-truncwheel"),
		want:  []string{"fetch hi-truncwheel 1.0.0", "unexpected EOF"},
		final: []string{"hi-truncwheel 1.0.0: downloading", "hi_truncwheel-1.0.0", "closed the connection before the whole file arrived"}})
	fn, u = served("hi-stallwheel")
	ix.handle("/files/"+fn, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(good)))
		_, _ = w.Write(good[:len(good)/3]) // part of the file, then nothing
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Minute):
		}
	})
	ix.page("hi-stallwheel", linkPage(u+"#sha256="+goodSHA, fn))
	add(hostileCase{name: "wheel download that stalls", file: req("hi-stallwheel"),
		args:  []string{"--build-arg", "GEOLAYER_DOWNLOAD_TIMEOUT=5"},
		want:  []string{">>> REQUIRE hi-stallwheel==1.0.0"},
		final: []string{"hi-stallwheel 1.0.0: downloading " + u, "did not complete within 5s", "GEOLAYER_DOWNLOAD_TIMEOUT"}})
	big := bytes.Repeat([]byte("<!-- padding padding padding padding padding padding padding -->\n"), 50<<20/64)
	ix.bytesAt("/simple/hi-50mb/", "text/html", big)
	add(hostileCase{name: "50 MB page over the page limit", file: req("hi-50mb"),
		args: []string{"--build-arg", "GEOLAYER_INDEX_PAGE_LIMIT=16777216"},
		want: []string{"{index}hi-50mb/", fmt.Sprintf("the page is %d bytes, more than the limit of 16777216", len(big)), "GEOLAYER_INDEX_PAGE_LIMIT", ">>> INDEX {index}"}})
	var many strings.Builder
	many.WriteString("<!DOCTYPE html><html><body>\n")
	for i := 0; i < 200000; i++ {
		n := fmt.Sprintf("hi_many-0.%d-py3-none-any.whl", i)
		fmt.Fprintf(&many, "<a href=\"/files/%s#sha256=%s\">%s</a><br>\n", n, goodSHA, n)
	}
	many.WriteString("</body></html>\n")
	ix.bytesAt("/simple/hi-many/", "text/html", []byte(many.String()))
	add(hostileCase{name: "200000 links", file: req("hi-many"),
		want: []string{"hi-many==1.0.0: not found on", ">>> REQUIRE hi-many==1.0.0"}})
	fn, u = served("hi-nohash")
	ix.bytesAt("/files/"+fn, "application/octet-stream", good)
	ix.page("hi-nohash", linkPage(u, fn))
	add(hostileCase{name: "link without a hash", file: req("hi-nohash"),
		want: []string{"the index gives no sha256 for " + fn, ">>> REQUIRE hi-nohash==1.0.0"}})
	fn, u = served("hi-md5")
	ix.page("hi-md5", linkPage(u+"#md5=0123456789abcdef0123456789abcdef", fn))
	add(hostileCase{name: "link with only an md5", file: req("hi-md5"),
		want: []string{"the index gives no sha256 for " + fn, ">>> REQUIRE hi-md5==1.0.0"}})
	fn, u = served("hi-wronghash")
	ix.bytesAt("/files/"+fn, "application/octet-stream", good)
	ix.page("hi-wronghash", linkPage(u+"#sha256="+strings.Repeat("ab", 32), fn))
	add(hostileCase{name: "link with a wrong hash", file: req("hi-wronghash"),
		want: []string{"does not match its published sha256", u, ">>> REQUIRE hi-wronghash==1.0.0"}})
	fn, u = served("hi-badhash")
	ix.page("hi-badhash", linkPage(u+"#sha256=not-hex", fn))
	add(hostileCase{name: "link with a malformed hash", file: req("hi-badhash"),
		want: []string{"the index gives a malformed hash for " + fn, ">>> REQUIRE hi-badhash==1.0.0"}})
	ix.bytesAt("/simple/hi-latin1/", "text/html", []byte("<html><body>\xe9t\xe9 <a href=\"/files/hi_latin1-1.0.0-py3-none-any.whl\">hi_latin1-1.0.0-py3-none-any.whl</a> \xff\xfe</body></html>"))
	add(hostileCase{name: "non-UTF-8 HTML", file: req("hi-latin1"),
		want: []string{"hi_latin1-1.0.0-py3-none-any.whl", ">>> REQUIRE hi-latin1==1.0.0"}})
	ix.bytesAt("/simple/hi-json/", "application/vnd.pypi.simple.v1+json", []byte(`{"meta": {"api-version": "1.1"}, "name": "hi-json", "files": [{"filename": `))
	add(hostileCase{name: "malformed PEP 691 JSON", file: req("hi-json"),
		want: []string{"reading index page {index}hi-json/", ">>> INDEX {index}"}})
	ix.bytesAt("/simple/hi-jsontypes/", "application/vnd.pypi.simple.v1+json", []byte(`{"meta": {"api-version": "1.1"}, "name": "hi-jsontypes", "files": {"filename": 7}}`))
	add(hostileCase{name: "PEP 691 JSON of the wrong shape", file: req("hi-jsontypes"),
		want: []string{"reading index page {index}hi-jsontypes/", ">>> INDEX {index}"}})
	ix.bytesAt("/simple/hi-jsonfile/", "application/vnd.pypi.simple.v1+json", []byte(`{"meta": {"api-version": "1.1"}, "name": "hi-jsonfile", "files": [{"filename": "hi_jsonfile-1.0.0-py3-none-any.whl", "url": "file:///etc/passwd", "hashes": {"sha256": "`+goodSHA+`"}}]}`))
	add(hostileCase{name: "PEP 691 JSON linking file:", file: req("hi-jsonfile"),
		want: []string{"file:///etc/passwd", "only http and https", ">>> REQUIRE hi-jsonfile==1.0.0"}})
	for _, l := range []struct{ name, href, want string }{
		{"file: link", "file:///etc/passwd", "only http and https"},
		{"javascript: link", "javascript:alert(1)", "only http and https"},
		{"ftp: link", "ftp://127.0.0.1/x.whl", "only http and https"},
		{"link-local metadata link", "http://169.254.169.254/latest/meta-data/x.whl", "link-local"},
		{"IPv6 link-local link", "http://[fe80::1]/x.whl", "link-local"},
		{"unspecified-address link", "http://0.0.0.0/x.whl", "link-local or special"},
		{"GCP metadata name link", "http://metadata.google.internal/x.whl", "cloud metadata"},
	} {
		project := "hi-" + strings.ToLower(strings.NewReplacer(" ", "-", ":", "", ",", "").Replace(l.name))
		fn := wheelFilename(project, "1.0.0")
		ix.page(project, linkPage(l.href+"#sha256="+goodSHA, fn))
		add(hostileCase{name: l.name, file: req(project),
			want: []string{l.want, "the index page {index}" + project + "/ lists " + fn, ">>> REQUIRE " + project + "==1.0.0"}})
	}
	// A public index (the host's TEST-NET address) may not send the
	// builder into loopback or private ranges.
	fn = wheelFilename("hi-public", "1.0.0")
	pub.page("hi-public", linkPage(link("hi-good")+"#sha256="+goodSHA, fn))
	add(hostileCase{name: "public page linking loopback", file: lambdaAmd + "INDEX {public}\nREQUIRE hi-public==1.0.0\n",
		want: []string{"may not send the builder to a loopback or private address", ix.base, ">>> REQUIRE hi-public==1.0.0"}})
	pub.page("hi-private", linkPage("http://10.1.2.3/files/"+fn+"#sha256="+goodSHA, wheelFilename("hi-private", "1.0.0")))
	add(hostileCase{name: "public page linking a private address", file: lambdaAmd + "INDEX {public}\nREQUIRE hi-private==1.0.0\n",
		want: []string{"may not send the builder to a loopback or private address", "10.1.2.3", ">>> REQUIRE hi-private==1.0.0"}})
	ix.page("hi-other", linkPage(link("hi-good")+"#sha256="+goodSHA, goodName))
	add(hostileCase{name: "another project's file on the page", file: req("hi-other"),
		want: []string{"another project's file", goodName, ">>> REQUIRE hi-other==1.0.0"}})
	for _, s := range []struct {
		code int
		want string
	}{
		{404, "not found (HTTP 404)"}, {500, "the server failed (HTTP 500)"}, {401, "wants credentials (HTTP 401)"},
	} {
		project := fmt.Sprintf("hi-dl%d", s.code)
		fn, u := served(project)
		ix.status("/files/"+fn, s.code)
		ix.page(project, linkPage(u+"#sha256="+goodSHA, fn))
		add(hostileCase{name: fmt.Sprintf("wheel download HTTP %d", s.code), file: req(project),
			want: []string{project + " 1.0.0: downloading " + u, s.want, ">>> REQUIRE " + project + "==1.0.0"}})
	}
	return cases
}

// truncated announces body's full length and sends half of it.
func truncated(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(200)
		_, _ = w.Write(body[:len(body)/2]) // the point is to stop short
		w.(http.Flusher).Flush()
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close() // cut the connection: the truncation
			}
		}
	}
}

// secretFile holds a (wrong) Authorization header value.
func secretFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte("Bearer not-a-valid-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
