//go:build integration

package integration

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wheelCases serves hand-made hostile wheels from the test's index (each
// linked with its true sha256, so it reaches the installer) and names what
// the output must say.
func wheelCases(t *testing.T, ix *hostileIndex) []hostileCase {
	var cases []hostileCase
	// serve registers project's wheel and adds a case requiring it.
	serve := func(name, project string, body []byte, c hostileCase) {
		ix.wheel(project, wheelFilename(project, "1.0.0"), body)
		c.name = name
		if c.file == "" {
			c.file = lambdaAmd + "INDEX {index}\nREQUIRE " + project + "==1.0.0\n"
		}
		c.want = append([]string{project}, c.want...)
		cases = append(cases, c)
	}
	pkg := func(project string) string { return strings.ReplaceAll(project, "-", "_") }
	init := func(project string) zent { return zent{name: pkg(project) + "/__init__.py", body: []byte("X = 1\n")} }
	with := func(project string, extra ...zent) []byte {
		return zipOf(t, wheelEntries(project, "1.0.0", append([]zent{init(project)}, extra...)...))
	}
	evil := []byte("EVIL = True\n")

	serve("../ entry", "hw-dotdot", with("hw-dotdot", zent{name: "../../evil.py", body: evil}),
		hostileCase{want: []string{"unsafe wheel entry", "../../evil.py", "'..'"}})
	serve("absolute entry", "hw-abs", with("hw-abs", zent{name: "/tmp/evil.py", body: evil}),
		hostileCase{want: []string{"unsafe wheel entry", "/tmp/evil.py", "absolute"}})
	serve("backslash entry", "hw-backslash", with("hw-backslash", zent{name: `hw_backslash\..\..\evil.py`, body: evil}),
		hostileCase{want: []string{"unsafe wheel entry", "backslash"}})
	serve("invalid UTF-8 name", "hw-utf8", with("hw-utf8", zent{name: "hw_utf8/\xff\xfe.py", body: evil}),
		hostileCase{want: []string{"unsafe wheel entry", "UTF-8"}})
	serve("NUL in a name", "hw-nul", with("hw-nul", zent{name: "hw_nul/a\x00.py", body: evil}),
		hostileCase{want: []string{"unsafe wheel entry", "NUL"}})
	serve("escaping symlink", "hw-symesc", with("hw-symesc", zent{name: "hw_symesc/passwd", body: []byte(strings.Repeat("../", 10) + "etc/passwd"), mode: os.ModeSymlink | 0o777}),
		hostileCase{want: []string{"unsafe wheel entry", "points outside the install root"}})
	serve("absolute symlink", "hw-symabs", with("hw-symabs", zent{name: "hw_symabs/passwd", body: []byte("/etc/passwd"), mode: os.ModeSymlink | 0o777}),
		hostileCase{want: []string{"unsafe wheel entry", "is absolute"}})
	serve("write through a symlink", "hw-through", with("hw-through",
		zent{name: "hw_through/up", body: []byte(".."), mode: os.ModeSymlink | 0o777},
		zent{name: "hw_through/up/evil.py", body: evil}),
		hostileCase{want: []string{"unsafe wheel entry", "symlink"}})
	serve("special file", "hw-fifo", with("hw-fifo", zent{name: "hw_fifo/pipe", mode: os.ModeNamedPipe | 0o644}),
		hostileCase{want: []string{"unsafe wheel entry", "special file"}})
	serve("deflate bomb of 1 GiB of zeros", "hw-bomb", zerosBomb(t, "hw-bomb", "1.0.0", 1<<30),
		hostileCase{want: []string{"decompression limit exceeded", "hw_bomb/zeros.bin", "decompression bomb"}})
	var tiny []zent
	for i := 0; i < 100000; i++ {
		tiny = append(tiny, zent{name: fmt.Sprintf("hw_tiny/m%06d.py", i)})
	}
	serve("100000 tiny entries", "hw-tiny", zipOf(t, wheelEntries("hw-tiny", "1.0.0", tiny...)),
		hostileCase{want: []string{"100003 entries", "more than"}})
	bigMeta := wheelEntries("hw-bigmeta", "1.0.0", init("hw-bigmeta"))
	for i := range bigMeta {
		if strings.HasSuffix(bigMeta[i].name, "/METADATA") {
			bigMeta[i].body = append(bigMeta[i].body, bytes.Repeat([]byte("Description: a long description line of a huge METADATA\n"), 64<<20/56)...)
		}
	}
	*recordEntry(bigMeta) = zent{name: recordEntry(bigMeta).name, body: recordOf(bigMeta[:len(bigMeta)-1], recordEntry(bigMeta).name)}
	serve("huge METADATA", "hw-bigmeta", zipOf(t, bigMeta),
		hostileCase{want: []string{"decompression limit exceeded", "METADATA"}})

	noRecord := wheelEntries("hw-norecord", "1.0.0", init("hw-norecord"))
	serve("RECORD missing", "hw-norecord", zipOf(t, noRecord[:len(noRecord)-1]),
		hostileCase{want: []string{"RECORD is missing"}})
	lying := wheelEntries("hw-recsize", "1.0.0", init("hw-recsize"))
	recordEntry(lying).body = bytes.Replace(recordEntry(lying).body, []byte(",6\n"), []byte(",600\n"), 1)
	serve("RECORD lying about a size", "hw-recsize", zipOf(t, lying),
		hostileCase{want: []string{"RECORD verification failed", "hw_recsize/__init__.py"}})
	wrong := wheelEntries("hw-rechash", "1.0.0", init("hw-rechash"))
	wrong[0].body = []byte("Y = 2\n") // same size, other bytes
	serve("RECORD with a wrong hash", "hw-rechash", zipOf(t, wrong),
		hostileCase{want: []string{"RECORD verification failed", "hw_rechash/__init__.py"}})
	unlisted := wheelEntries("hw-unlisted", "1.0.0", init("hw-unlisted"))
	unlisted = append(unlisted, zent{name: "hw_unlisted/extra.py", body: evil})
	serve("member not in RECORD", "hw-unlisted", zipOf(t, unlisted),
		hostileCase{want: []string{"RECORD verification failed", "hw_unlisted/extra.py"}})
	badCSV := wheelEntries("hw-reccsv", "1.0.0", init("hw-reccsv"))
	recordEntry(badCSV).body = []byte("\"hw_reccsv/__init__.py,sha256=x,6\n")
	serve("RECORD not CSV", "hw-reccsv", zipOf(t, badCSV),
		hostileCase{want: []string{"RECORD"}})
	dup := wheelEntries("hw-dup", "1.0.0", init("hw-dup"))
	dup = append(dup, zent{name: "hw_dup/__init__.py", body: evil})
	serve("duplicate entries", "hw-dup", zipOf(t, dup),
		hostileCase{want: []string{"unsafe wheel entry", "duplicate archive entry hw_dup/__init__.py"}})
	serve(".data entry escaping its scheme", "hw-dataesc", with("hw-dataesc", zent{name: "hw_dataesc-1.0.0.data/data/../../../../etc/evil", body: evil}),
		hostileCase{want: []string{"unsafe wheel entry", "'..'"}})
	serve(".data entry of an unknown scheme", "hw-datakey", with("hw-datakey", zent{name: "hw_datakey-1.0.0.data/root/etc/evil", body: evil}),
		hostileCase{want: []string{"unknown .data directory", "root"}})
	serve(".data scripts symlink", "hw-datalink", with("hw-datalink", zent{name: "hw_datalink-1.0.0.data/scripts/sh", body: []byte("../../../bin/sh"), mode: os.ModeSymlink | 0o777}),
		hostileCase{want: []string{"unsafe wheel entry"}})
	full := with("hw-trunc")
	serve("truncated zip", "hw-trunc", full[:len(full)/2],
		hostileCase{want: []string{"zip"}})
	serve("not a zip", "hw-notzip", []byte("<html>this is not a wheel</html>\n"),
		hostileCase{want: []string{"not a valid zip file"}})
	serve("zip64 end records", "hw-zip64", zip64ize(t, with("hw-zip64")),
		hostileCase{ok: true, check: hasLayer("hw_zip64/__init__.py")})
	serve("case-colliding files", "hw-case", with("hw-case", zent{name: "hw_case/Mod.py", body: []byte("A = 1\n")}, zent{name: "hw_case/mod.py", body: []byte("B = 2\n")}),
		hostileCase{ok: true, check: hasLayer("hw_case/Mod.py", "hw_case/mod.py")})
	other := wheelEntries("hw-notme", "1.0.0", init("hw-notme"))
	serve("wheel of another project", "hw-impostor", zipOf(t, other),
		hostileCase{want: []string{"hw_notme-1.0.0.dist-info"}})
	for _, s := range []struct{ name, project, ep, want string }{
		{"console script with shell metacharacters", "hw-cs-shell", "$(touch /tmp/pwned); x = hw_cs_shell:main", "invalid script name"},
		{"console script with a path", "hw-cs-path", "../../../usr/bin/python3 = hw_cs_path:main", "invalid script name"},
		{"console script with code", "hw-cs-code", "x = os:system('id')", "not module:attr"},
	} {
		di := distInfo(s.project, "1.0.0")
		serve(s.name, s.project, with(s.project, zent{name: di + "/entry_points.txt", body: []byte("[console_scripts]\n" + s.ep + "\n")}),
			hostileCase{want: []string{"entry_points.txt", s.want}})
	}
	// servePlat serves a cp313 manylinux x86_64 wheel (native code: the
	// stripper and the checker look at it) with one extension module.
	servePlat := func(name, project string, so []byte, c hostileCase) {
		fn := strings.ReplaceAll(project, "-", "_") + "-1.0.0-cp313-cp313-manylinux_2_17_x86_64.whl"
		ents := wheelEntries(project, "1.0.0", init(project), zent{name: pkg(project) + "/_native.so", body: so})
		for i := range ents {
			if strings.HasSuffix(ents[i].name, "/WHEEL") {
				ents[i].body = []byte("Wheel-Version: 1.0\nGenerator: geolayer-hostile-test\nRoot-Is-Purelib: false\nTag: cp313-cp313-manylinux_2_17_x86_64\n")
			}
		}
		*recordEntry(ents) = zent{name: recordEntry(ents).name, body: recordOf(ents[:len(ents)-1], recordEntry(ents).name)}
		ix.wheel(project, fn, zipOf(t, ents))
		c.name = name
		c.file = lambdaAmd + "INDEX {index}\nREQUIRE " + project + "==1.0.0\n"
		c.want = append([]string{project}, c.want...)
		cases = append(cases, c)
	}
	servePlat("ELF of the wrong architecture", "hw-arm", elf64(183),
		hostileCase{want: []string{"hw_arm/_native.so", "aarch64"}})
	// The static check refuses it (CHECK error): ld.so could not load it.
	badELF := []byte("\x7fELF\x02\x01\x01\x00garbage, not an ELF file at all")
	servePlat("corrupt ELF header", "hw-badelf", badELF,
		hostileCase{want: []string{"malformed-elf", "hw_badelf/_native.so", "truncated ELF header"}})
	lying64 := elf64(62)
	lying64[40] = 0xff // e_shoff far beyond the file
	lying64[47] = 0x7f
	lying64[60], lying64[61] = 0xff, 0xff // e_shnum 65535
	// Nothing loads it and nothing links to it: the build succeeds, the
	// stripper skips the file with its reason in report.json, and the
	// bytes reach the layer unchanged.
	servePlat("ELF with section headers beyond the file", "hw-shoff", lying64,
		hostileCase{ok: true, check: untouchedAndSkipped("hw_shoff/_native.so", lying64, "no program headers")})
	return cases
}

// untouchedAndSkipped checks that a file reached the layer byte for byte
// and that report.json says why the stripper left it alone.
func untouchedAndSkipped(suffix string, want []byte, reason string) func(t *testing.T, out string) {
	return func(t *testing.T, out string) {
		t.Helper()
		zr, err := zip.OpenReader(filepath.Join(out, "layer.zip"))
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = zr.Close() }() // read-only
		var got []byte
		for _, f := range zr.File {
			if strings.HasSuffix(f.Name, suffix) {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				got, _ = io.ReadAll(rc)
				_ = rc.Close() // read-only
			}
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s reached the layer changed (%d bytes, want the %d it had)", suffix, len(got), len(want))
		}
		rep, err := os.ReadFile(filepath.Join(out, "report.json"))
		if err != nil || !bytes.Contains(rep, []byte(suffix)) || !bytes.Contains(rep, []byte(reason)) {
			t.Errorf("report.json does not say the stripper skipped %s (%s): %v", suffix, reason, err)
		}
	}
}

// runTestCases: RUN, BUILD and TEST that misbehave.
func runTestCases(t *testing.T, ix *hostileIndex) []hostileCase {
	lambda := lambdaAmd + "REQUIRE glf-pure==1.0.0 glf-pure-dep==1.0.0\n"
	// An sdist whose build never ends: setup.py sleeps (setuptools runs
	// it for pip wheel; --no-build-isolation: the build stage's
	// setuptools, nothing from the index).
	hang := sdistOf(t, "hi-hang", "1.0.0", map[string]string{
		"setup.py": "import time\ntime.sleep(3600)\n",
	})
	ix.sdist("hi-hang", "hi_hang-1.0.0.tar.gz", hang)
	return []hostileCase{
		{name: "RUN that never ends", file: lambdaAmd + "REQUIRE glf-sdistonly==1.0.0\nRUN echo started; sleep 3600\nBUILD glf-sdistonly\n",
			args:  []string{"--build-arg", "GEOLAYER_RUN_TIMEOUT=5"},
			want:  []string{"geolayer: RUN timed out after 5s and was killed", ">>> RUN echo started; sleep 3600"},
			final: []string{"[linux/amd64] RUN echo started; sleep 3600: timed out after 5s and was killed", "GEOLAYER_RUN_TIMEOUT"}},
		{name: "BUILD that never ends", file: lambdaAmd + "INDEX {index}\nREQUIRE hi-hang==1.0.0\nBUILD hi-hang --no-build-isolation\n",
			args:  []string{"--build-arg", "GEOLAYER_BUILD_TIMEOUT=20"},
			want:  []string{"geolayer: BUILD timed out after 20s and was killed", ">>> BUILD hi-hang --no-build-isolation"},
			final: []string{"[linux/amd64] BUILD hi-hang 1.0.0 from source", "timed out after 20s and was killed", "GEOLAYER_BUILD_TIMEOUT"}},
		{name: "TEST that hangs", file: lambda + "TEST import time; time.sleep(3600)\n",
			args:  []string{"--build-arg", "GEOLAYER_TEST_TIMEOUT=5"},
			want:  []string{"TEST timed out after 5s", ">>> TEST import time; time.sleep(3600)"},
			final: []string{"TEST import time; time.sleep(3600): timed out after 5s and was killed", "GEOLAYER_TEST_TIMEOUT"}},
		{name: "TEST that segfaults", file: lambda + "TEST import ctypes; ctypes.string_at(0)\n",
			want:  []string{"SIGSEGV", ">>> TEST import ctypes; ctypes.string_at(0)"},
			final: []string{"TEST import ctypes; ctypes.string_at(0): killed by SIGSEGV (signal 11)"}},
		// RUN prepares the build stage; what it writes outside the
		// compiled package never reaches the layer.
		{name: "RUN writing outside its output", file: lambdaAmd + "REQUIRE glf-sdistonly==1.0.0\nRUN mkdir -p /opt/python && echo 'EVIL = 1' > /opt/python/evil.py && echo evil > /etc/evil-marker\nBUILD glf-sdistonly\n",
			ok: true, check: func(t *testing.T, out string) {
				hasLayer("glf_sdistonly/__init__.py")(t, out)
				for _, n := range unzipNames(t, out+"/layer.zip") {
					if strings.Contains(n, "evil") {
						t.Errorf("what RUN wrote outside the package reached the layer: %s", n)
					}
				}
			}},
		{name: "TEST that exits", file: lambda + "TEST import os; os._exit(7)\n",
			want:  []string{"exit code: 7", ">>> TEST import os; os._exit(7)"},
			final: []string{"TEST import os; os._exit(7): failed with exit code 7"}},
	}
}
