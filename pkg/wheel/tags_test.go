package wheel

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The expected counts, indices and digests below were produced with the
// packaging library (release 21.3, as vendored in pip; cpython_tags(version, abis=[cpXY], platforms=P) +
// compatible_tags(version, cpXY, P), P = _manylinux.platform_tags for the
// given glibc without linux_*), and agree with the worked counts in the
// reference notes (906 / 528 / 639). digest is the sha256 of the tag
// strings joined by "\n".
func TestTargetTagsMatchesPackaging(t *testing.T) {
	tests := []struct {
		py, arch, glibc string
		count           int
		firstABI3       int
		firstNone       int
		digest          string
	}{
		{"3.12", "x86_64", "2.34", 906, 33, 66, "df687618b8a5836c3d26a54b3983776512ed37da898f00cd18cc6b3447d6b377"},
		{"3.12", "aarch64", "2.34", 528, 19, 38, "d9d358b0e1079aabdd5849bf05a6ea3daf20231df422dda5e08f7256406140ae"},
		{"3.11", "x86_64", "2.26", 639, 25, 50, "0466a6c172dc4bb39052b18e04279517cbda286dc34c43f53175f6caf2155299"},
		{"3.13", "x86_64", "2.34", 973, 33, 66, "8dd118673779e40bbace2b52441aaf80b94697d7e75c08e84f406bdea8b19500"},
		{"3.13", "aarch64", "2.39", 712, 24, 48, "0859108cf090f8f72cdebeb2a6e49d661194f98b49ee111589331d238a7f4ed7"},
		{"3.10", "aarch64", "2.17", 59, 2, 4, "f1ddf0e42dee0560a2001d10ca2209de9bf2aa344361f4342491364b729a5db1"},
		{"3.11", "x86_64", "2.5", 64, 2, 4, "72e8d08b5e84e657c0ef11f42d1e33a6f9d4d0aa2962b9671a5fe243964f6b63"},
		{"3.14", "x86_64", "2.35", 1071, 34, 68, "5d08419bfd9798ef97d07e348d0857b72752070abd501b49da129c4a86906728"},
		{"3.12", "x86_64", "2.36", 960, 35, 70, "86364880d39892cdf1c7f89bfe514dc421a4e6e31821ddf6c9cf966205828a66"},
		{"3.8", "x86_64", "2.17", 315, 16, 32, "2075bcef42634724510ef63553be8e535b74950c7c135bb28ec1d222ae6fe726"},
		{"3.9", "aarch64", "2.28", 285, 13, 26, "86a81cc7b657870f796e2981b3efcd5c8eddf381f1f86942155e4130fd0ba4bb"},
		{"3.13", "x86_64", "2.17", 480, 16, 32, "5e4e266d0ee2a250e0871b32b9f760fdc623241f43471d0432e89339c8f53249"},
		{"3.12", "x86_64", "2.39", 1041, 38, 76, "e93728ca0fc5b21c057cae28e8a1a705fbfb80442e002d3cdd043977dd316695"},
		{"3.11", "aarch64", "2.26", 289, 11, 22, "c305d82fd1d6e05f0023443e1b844c095436b42fb14869f29cb44b69d0a3a321"},
		{"3.12", "ppc64le", "2.28", 366, 13, 26, "2edd5a84a7dcef3a77465e782db267231178006901bd8f9853f39e6844b86452"},
	}
	for _, tc := range tests {
		t.Run(tc.py+"/"+tc.arch+"/"+tc.glibc, func(t *testing.T) {
			tags, err := TargetTags(Target{PythonVersion: tc.py, Arch: tc.arch, Glibc: tc.glibc})
			if err != nil {
				t.Fatal(err)
			}
			if len(tags) != tc.count {
				t.Errorf("len = %d, want %d", len(tags), tc.count)
			}
			if got := firstIndex(tags, func(t Tag) bool { return t.ABI == "abi3" }); got != tc.firstABI3 {
				t.Errorf("first abi3 at %d, want %d", got, tc.firstABI3)
			}
			if got := firstIndex(tags, func(t Tag) bool { return t.ABI == "none" }); got != tc.firstNone {
				t.Errorf("first none at %d, want %d", got, tc.firstNone)
			}
			sum := sha256.Sum256([]byte(strings.Join(tagStrings(tags), "\n")))
			if got := hex.EncodeToString(sum[:]); got != tc.digest {
				t.Errorf("digest = %s, want %s", got, tc.digest)
			}
			seen := map[Tag]bool{}
			for _, tag := range tags {
				if seen[tag] {
					t.Errorf("duplicate tag %s", tag)
				}
				seen[tag] = true
				if isExcludedPlatform(tag.Platform) {
					t.Errorf("excluded platform in %s", tag)
				}
			}
		})
	}
}

func firstIndex(tags []Tag, pred func(Tag) bool) int {
	for i, t := range tags {
		if pred(t) {
			return i
		}
	}
	return -1
}

// TestTargetTagsGolden compares the full cp312/x86_64/glibc 2.34 list with
// a golden file generated the same way with the packaging library.
func TestTargetTagsGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/tags-cp312-x86_64-glibc2.34.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSpace(string(data)), "\n")
	tags, err := TargetTags(Target{PythonVersion: "3.12", Arch: "x86_64", Glibc: "2.34"})
	if err != nil {
		t.Fatal(err)
	}
	got := tagStrings(tags)
	for i := 0; i < len(got) && i < len(want); i++ {
		if got[i] != want[i] {
			t.Fatalf("tag %d = %s, want %s", i, got[i], want[i])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("len = %d, want %d", len(got), len(want))
	}
}

func TestTargetTagsLandmarks(t *testing.T) {
	tags, err := TargetTags(Target{PythonVersion: "3.12", Arch: "x86_64", Glibc: "2.34"})
	if err != nil {
		t.Fatal(err)
	}
	at := map[int]string{
		0:   "cp312-cp312-manylinux_2_34_x86_64",
		17:  "cp312-cp312-manylinux_2_17_x86_64",
		18:  "cp312-cp312-manylinux2014_x86_64",
		23:  "cp312-cp312-manylinux_2_12_x86_64",
		24:  "cp312-cp312-manylinux2010_x86_64",
		31:  "cp312-cp312-manylinux_2_5_x86_64",
		32:  "cp312-cp312-manylinux1_x86_64",
		33:  "cp312-abi3-manylinux_2_34_x86_64",
		66:  "cp312-none-manylinux_2_34_x86_64",
		99:  "cp311-abi3-manylinux_2_34_x86_64",
		429: "py312-none-manylinux_2_34_x86_64",
		462: "py3-none-manylinux_2_34_x86_64",
		495: "py311-none-manylinux_2_34_x86_64",
		891: "cp312-none-any",
		892: "py312-none-any",
		893: "py3-none-any",
		894: "py311-none-any",
		905: "py30-none-any",
	}
	for i, want := range at {
		if got := tags[i].String(); got != want {
			t.Errorf("tags[%d] = %s, want %s", i, got, want)
		}
	}
	for _, tag := range tags {
		if tag.ABI == "abi3" && tag.Python == "cp31" {
			t.Errorf("unexpected %s (abi3 stops at cp32)", tag)
		}
	}
	if tags[428].String() != "cp32-abi3-manylinux1_x86_64" {
		t.Errorf("tags[428] = %s, want the last cp32 abi3 tag", tags[428])
	}
}

func TestManylinuxPlatforms(t *testing.T) {
	tests := []struct {
		arch  string
		glibc int
		want  []string
	}{
		{"aarch64", 19, []string{"manylinux_2_19_aarch64", "manylinux_2_18_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"}},
		{"x86_64", 13, []string{
			"manylinux_2_13_x86_64", "manylinux_2_12_x86_64", "manylinux2010_x86_64", "manylinux_2_11_x86_64",
			"manylinux_2_10_x86_64", "manylinux_2_9_x86_64", "manylinux_2_8_x86_64", "manylinux_2_7_x86_64",
			"manylinux_2_6_x86_64", "manylinux_2_5_x86_64", "manylinux1_x86_64",
		}},
		{"aarch64", 17, []string{"manylinux_2_17_aarch64", "manylinux2014_aarch64"}},
	}
	for _, tc := range tests {
		if got := manylinuxPlatforms(tc.arch, tc.glibc); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("manylinuxPlatforms(%s, %d) = %v, want %v", tc.arch, tc.glibc, got, tc.want)
		}
	}
}

func TestTargetTagsErrors(t *testing.T) {
	tests := []struct {
		target Target
		want   string
	}{
		{Target{"3", "x86_64", "2.34"}, "invalid python version"},
		{Target{"3.x", "x86_64", "2.34"}, "invalid python version"},
		{Target{"+3.12", "x86_64", "2.34"}, "invalid python version"},
		{Target{"2.7", "x86_64", "2.34"}, "unsupported python version"},
		{Target{"3.7", "x86_64", "2.34"}, "unsupported python version"},
		{Target{"3.12", "amd64", "2.34"}, "unsupported architecture"},
		{Target{"3.12", "", "2.34"}, "unsupported architecture"},
		{Target{"3.12", "x86_64", ""}, "invalid glibc version"},
		{Target{"3.12", "x86_64", "3.1"}, "only glibc 2.x"},
		{Target{"3.12", "x86_64", "2.4"}, "older than the oldest manylinux tag"},
		{Target{"3.12", "aarch64", "2.16"}, "older than the oldest manylinux tag"},
	}
	for _, tc := range tests {
		_, err := TargetTags(tc.target)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("TargetTags(%+v) err = %v, want %q", tc.target, err, tc.want)
		}
	}
}

func TestPlatformArch(t *testing.T) {
	tests := map[string]string{
		"amd64": "x86_64", "arm64": "aarch64", "386": "i686", "arm": "armv7l",
		"ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64", "loong64": "loongarch64",
		"wasm": "", "": "",
	}
	for in, want := range tests {
		if got := PlatformArch(in); got != want {
			t.Errorf("PlatformArch(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseTag(t *testing.T) {
	tag, err := ParseTag("CP313-abi3-Manylinux_2_17_x86_64")
	if err != nil || tag != (Tag{"cp313", "abi3", "manylinux_2_17_x86_64"}) {
		t.Errorf("ParseTag = %v, %v", tag, err)
	}
	for _, bad := range []string{"py3-none", "py3.py2-none-any", "py3-none-any-x", ""} {
		if _, err := ParseTag(bad); err == nil {
			t.Errorf("ParseTag(%q) succeeded", bad)
		}
	}
}

func TestManylinuxGlibc(t *testing.T) {
	tests := []struct {
		plat     string
		maj, min int
		arch     string
		ok       bool
	}{
		{"manylinux_2_34_x86_64", 2, 34, "x86_64", true},
		{"manylinux2014_aarch64", 2, 17, "aarch64", true},
		{"manylinux2010_x86_64", 2, 12, "x86_64", true},
		{"manylinux1_x86_64", 2, 5, "x86_64", true},
		{"musllinux_1_2_x86_64", 0, 0, "", false},
		{"linux_x86_64", 0, 0, "", false},
		{"manylinux_x_y_z", 0, 0, "", false},
		{"any", 0, 0, "", false},
	}
	for _, tc := range tests {
		maj, mn, arch, ok := manylinuxGlibc(tc.plat)
		if maj != tc.maj || mn != tc.min || arch != tc.arch || ok != tc.ok {
			t.Errorf("manylinuxGlibc(%s) = %d %d %s %v", tc.plat, maj, mn, arch, ok)
		}
	}
}
