//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every user error fails the build with a clear message that points at the
// Geolayerfile line where it can, and nothing is written to the output.
func TestErrorsPointAtTheGeolayerfileAndWriteNothing(t *testing.T) {
	lambda := "TARGET aws-lambda python3.13\n"
	cases := []struct {
		name, file string
		files      map[string]string
		platform   string
		want       []string // substrings of the output
		// final: substrings of the last ERROR line (what buildx prints
		// last): the cause itself, never a helper command line.
		final []string
	}{
		{name: "unknown instruction", file: lambda + "FROB glf-pure\n",
			want: []string{"unknown instruction", ">>> FROB glf-pure"}},
		{name: "bad flag", file: lambda + "REQUIRE --frob glf-pure==1.0.0\n",
			want: []string{"--frob", ">>> REQUIRE --frob"}},
		{name: "missing TARGET", file: "REQUIRE glf-pure==1.0.0\n",
			want: []string{"TARGET"}},
		{name: "unsupported platform", file: "TARGET azure-functions python3.13\nPLATFORM linux/arm64\nREQUIRE glf-pure==1.0.0\n",
			want: []string{"linux/arm64", "not supported"}},
		{name: "mixed hashed and unhashed", file: lambda + "REQUIRE -r requirements.txt\n",
			files: map[string]string{"requirements.txt": "glf-pure==1.0.0 --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000\nglf-pure-dep==1.0.0\n"},
			want:  []string{"glf-pure-dep", "hash"}},
		{name: "no compatible wheel", file: "TARGET aws-lambda python3.12\nPLATFORM linux/amd64\nREQUIRE glf-cext==1.0.0\n",
			want: []string{"glf-cext", "cp313", ">>> REQUIRE glf-cext==1.0.0"}},
		{name: "index hash mismatch", file: lambda + "PLATFORM linux/amd64\nREQUIRE glf-evil-hash==1.0.0\n",
			want: []string{"glf-evil-hash", "checksum"}},
		{name: "path traversal wheel", file: lambda + "PLATFORM linux/amd64\nREQUIRE glf-evil-dotdot==1.0.0\n",
			want: []string{"glf-evil-dotdot", "unsafe", ">>> REQUIRE glf-evil-dotdot==1.0.0"}, final: []string{"install glf-evil-dotdot 1.0.0", "unsafe wheel entry", ".."}},
		{name: "absolute path wheel", file: lambda + "PLATFORM linux/amd64\nREQUIRE glf-evil-abs==1.0.0\n",
			want: []string{"glf-evil-abs", "unsafe", ">>> REQUIRE glf-evil-abs==1.0.0"}, final: []string{"install glf-evil-abs 1.0.0", "unsafe"}},
		{name: "escaping symlink wheel", file: lambda + "PLATFORM linux/amd64\nREQUIRE glf-evil-symlink==1.0.0\n",
			want: []string{"glf-evil-symlink", "symlink"}, final: []string{"install glf-evil-symlink 1.0.0", "symlink"}},
		{name: "bad RECORD wheel", file: lambda + "PLATFORM linux/amd64\nREQUIRE glf-evil-record==1.0.0\n",
			want: []string{"glf-evil-record", "RECORD"}, final: []string{"install glf-evil-record 1.0.0", "RECORD"}},
		{name: "over budget", file: lambda + "PLATFORM linux/amd64\nREQUIRE glf-cext==1.0.0 glf-data==1.0.0\nBUDGET unzipped=8KiB\n",
			want: []string{"over budget", "what removing one package would save", "glf-cext", "largest files", ">>> BUDGET unzipped=8KiB"}, final: []string{"over budget"}},
		{name: "failing TEST shows the traceback", file: lambda + "PLATFORM linux/amd64 linux/arm64\nREQUIRE glf-pure==1.0.0 glf-pure-dep==1.0.0\nTEST import glf_pure; 1 / 0\n",
			want: []string{"Traceback (most recent call last)", "ZeroDivisionError", ">>> TEST import glf_pure; 1 / 0"}},
		{name: "RUN without BUILD", file: lambda + "REQUIRE glf-pure==1.0.0\nRUN echo hi\n",
			want: []string{"nothing is built", ">>> RUN echo hi"}},
		{name: "BUILD --shared-libs", file: lambda + "REQUIRE glf-sdistonly==1.0.0\nBUILD glf-sdistonly --shared-libs\n",
			want: []string{"always vendored once", ">>> BUILD glf-sdistonly --shared-libs"}},
		{name: "failing RUN", file: lambda + "PLATFORM linux/amd64\nREQUIRE glf-sdistonly==1.0.0\nRUN echo preparing && exit 3\nBUILD glf-sdistonly\n",
			want: []string{"[linux/amd64] RUN echo preparing", "exit code: 3", ">>> RUN echo preparing && exit 3"}},
		{name: "BUILD compile error", file: lambda + "PLATFORM linux/amd64\nREQUIRE glf-linked==1.0.0\nBUILD glf-linked\n",
			want: []string{"glfnative.h", ">>> BUILD glf-linked"}},
		{name: "decompression bomb", file: lambda + "PLATFORM linux/amd64\nREQUIRE glf-evil-bomb==1.0.0\n",
			want: []string{"glf-evil-bomb", ">>> REQUIRE glf-evil-bomb==1.0.0"}, final: []string{"install glf-evil-bomb 1.0.0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := project(t, tc.file, tc.files)
			out := filepath.Join(dir, "out")
			o := buildx(t, dir, true, "-f", "Geolayerfile", "-o", out, ".")
			for _, w := range tc.want {
				if !strings.Contains(o, w) {
					t.Errorf("output does not mention %q:\n%s", w, tail(o, 40))
				}
			}
			if len(tc.final) > 0 {
				last := lastErrorLine(o)
				if strings.Contains(last, `process "/geolayer helper`) {
					t.Errorf("the final error is the helper's command line, not its cause: %s", last)
				}
				for _, w := range tc.final {
					if !strings.Contains(last, w) {
						t.Errorf("the final error does not say %q: %s", w, last)
					}
				}
			}
			if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
				t.Errorf("a failed build wrote %d entries to the output", len(entries))
			}
		})
	}
}

// lastErrorLine is the last line buildx prints that starts with "ERROR:".
func lastErrorLine(out string) string {
	last := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "ERROR:") {
			last = l
		}
	}
	return last
}
