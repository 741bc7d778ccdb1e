package wheel

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func mustTags(t *testing.T, py, arch, glibc string) []Tag {
	t.Helper()
	tags, err := TargetTags(Target{PythonVersion: py, Arch: arch, Glibc: glibc})
	if err != nil {
		t.Fatal(err)
	}
	return tags
}

func TestSelect(t *testing.T) {
	numpyLike := []string{
		"pkg-1.0.tar.gz",
		"pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		"pkg-1.0-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
		"pkg-1.0-cp311-cp311-musllinux_1_2_x86_64.whl",
		"pkg-1.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		"pkg-1.0-cp313-cp313-manylinux_2_28_x86_64.whl",
		"pkg-1.0-cp313-cp313-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
		"pkg-1.0-cp313-cp313-musllinux_1_2_x86_64.whl",
		"pkg-1.0-cp313-cp313-win_amd64.whl",
		"pkg-1.0-cp313-cp313-macosx_11_0_arm64.whl",
	}
	tests := []struct {
		name            string
		py, arch, glibc string
		candidates      []string
		want            string
		rank            int
	}{
		{"cp313 x86_64 2.34 prefers newest manylinux", "3.13", "x86_64", "2.34", numpyLike,
			"pkg-1.0-cp313-cp313-manylinux_2_28_x86_64.whl", 6},
		{"cp313 x86_64 2.26 skips 2_28", "3.13", "x86_64", "2.26", numpyLike,
			"pkg-1.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 9},
		{"cp313 aarch64", "3.13", "aarch64", "2.34", numpyLike,
			"pkg-1.0-cp313-cp313-manylinux_2_17_aarch64.manylinux2014_aarch64.whl", 17},
		{"cp311 x86_64 2.26", "3.11", "x86_64", "2.26", numpyLike,
			"pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 9},
		{"cp311 aarch64 2.26", "3.11", "aarch64", "2.26", numpyLike,
			"pkg-1.0-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl", 9},
		{"glibc 2.17 exact", "3.13", "x86_64", "2.17", numpyLike,
			"pkg-1.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 0},
		{"glibc 2.39", "3.13", "x86_64", "2.39", numpyLike,
			"pkg-1.0-cp313-cp313-manylinux_2_28_x86_64.whl", 11},
		{"legacy manylinux2014 alone == 2_17", "3.12", "aarch64", "2.34",
			[]string{"p-1-cp312-cp312-manylinux2014_aarch64.whl"}, "p-1-cp312-cp312-manylinux2014_aarch64.whl", 18},
		{"legacy manylinux1 == 2_5", "3.12", "x86_64", "2.34",
			[]string{"p-1-cp312-cp312-manylinux1_x86_64.whl"}, "p-1-cp312-cp312-manylinux1_x86_64.whl", 32},
		{"manylinux2010 == 2_12", "3.12", "x86_64", "2.34",
			[]string{"p-1-cp312-cp312-manylinux2010_x86_64.whl"}, "p-1-cp312-cp312-manylinux2010_x86_64.whl", 24},
		{"native 2_17 beats manylinux1", "3.12", "x86_64", "2.34",
			[]string{"p-1-cp312-cp312-manylinux1_x86_64.whl", "p-1-cp312-cp312-manylinux2014_x86_64.whl"},
			"p-1-cp312-cp312-manylinux2014_x86_64.whl", 18},
		{"abi3 from older cpython", "3.13", "x86_64", "2.34",
			[]string{"p-1-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "p-1-py3-none-any.whl"},
			"p-1-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 3*33 + 3*33 + 17},
		{"exact cpython beats abi3", "3.12", "x86_64", "2.34",
			[]string{"p-1-cp38-abi3-manylinux_2_34_x86_64.whl", "p-1-cp312-cp312-manylinux_2_5_x86_64.whl"},
			"p-1-cp312-cp312-manylinux_2_5_x86_64.whl", 31},
		{"compressed python set", "3.12", "x86_64", "2.34",
			[]string{"p-1-cp313.cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"},
			"p-1-cp313.cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 33 + 17},
		{"pure python", "3.12", "aarch64", "2.34",
			[]string{"p-1.tar.gz", "p-1-py2.py3-none-any.whl"}, "p-1-py2.py3-none-any.whl", 19*27 + 2},
		{"platform pure beats any", "3.12", "aarch64", "2.34",
			[]string{"p-1-py3-none-any.whl", "p-1-py3-none-manylinux_2_17_aarch64.whl"},
			"p-1-py3-none-manylinux_2_17_aarch64.whl", 13*19 + 19 + 17},
		{"higher build tag wins tie", "3.12", "x86_64", "2.34",
			[]string{"p-1-1-py3-none-any.whl", "p-1-10-py3-none-any.whl", "p-1-9-py3-none-any.whl", "p-1-py3-none-any.whl"},
			"p-1-10-py3-none-any.whl", 893},
		{"build tag suffix breaks int tie", "3.12", "x86_64", "2.34",
			[]string{"p-1-2b-py3-none-any.whl", "p-1-2a-py3-none-any.whl", "p-1-2-py3-none-any.whl"},
			"p-1-2b-py3-none-any.whl", 893},
		{"any build tag beats none", "3.12", "x86_64", "2.34",
			[]string{"p-1-py3-none-any.whl", "p-1-0-py3-none-any.whl"}, "p-1-0-py3-none-any.whl", 893},
		{"tag rank beats build tag", "3.12", "x86_64", "2.34",
			[]string{"p-1-99-py3-none-any.whl", "p-1-cp312-none-any.whl"}, "p-1-cp312-none-any.whl", 891},
		{"name tie-break is deterministic", "3.12", "x86_64", "2.34",
			[]string{"p-1-py3-none-any.whl", "P-1-py3-none-any.whl"}, "P-1-py3-none-any.whl", 893},
		{"musllinux and linux_ ignored", "3.12", "x86_64", "2.34",
			[]string{"p-1-cp312-cp312-musllinux_1_2_x86_64.whl", "p-1-cp312-cp312-linux_x86_64.whl", "p-1-py3-none-any.whl"},
			"p-1-py3-none-any.whl", 893},
		{"urls and paths keep their form", "3.12", "x86_64", "2.34",
			[]string{"https://files.example/p/p-1-py3-none-any.whl", "https://files.example/p/p-1.tar.gz"},
			"https://files.example/p/p-1-py3-none-any.whl", 893},
		{"url fragments and escapes", "3.12", "x86_64", "2.34",
			[]string{"https://files.example/p/p-1%2Blocal-py3-none-any.whl#sha256=00", "https://files.example/p/p-1.tar.gz?x=1"},
			"https://files.example/p/p-1%2Blocal-py3-none-any.whl#sha256=00", 893},
		{"malformed wheel names are skipped", "3.12", "x86_64", "2.34",
			[]string{"p-1-none-any.whl", "p-1-py3-none-any.whl"}, "p-1-py3-none-any.whl", 893},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tags := mustTags(t, tc.py, tc.arch, tc.glibc)
			got, rank, err := Select(tc.candidates, tags)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || rank != tc.rank {
				t.Errorf("Select = %s (rank %d), want %s (rank %d)", got, rank, tc.want, tc.rank)
			}
			// Result must not depend on candidate order.
			rev := append([]string(nil), tc.candidates...)
			for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
				rev[i], rev[j] = rev[j], rev[i]
			}
			if got2, rank2, _ := Select(rev, tags); got2 != got || rank2 != rank {
				t.Errorf("reversed order: Select = %s (%d), want %s (%d)", got2, rank2, got, rank)
			}
		})
	}
}

func TestSelectExcludedTagsInList(t *testing.T) {
	// Even if a caller's tag list contains musllinux/linux_ platforms,
	// Select never picks such wheels.
	tags := []Tag{
		{"cp312", "cp312", "linux_x86_64"},
		{"cp312", "cp312", "musllinux_1_2_x86_64"},
		{"py3", "none", "any"},
	}
	got, rank, err := Select([]string{"p-1-cp312-cp312-linux_x86_64.whl", "p-1-cp312-cp312-musllinux_1_2_x86_64.whl", "p-1-py3-none-any.whl"}, tags)
	if err != nil || got != "p-1-py3-none-any.whl" || rank != 2 {
		t.Errorf("Select = %s, %d, %v", got, rank, err)
	}
}

func TestSelectNoMatch(t *testing.T) {
	tests := []struct {
		name            string
		py, arch, glibc string
		candidates      []string
		pkg             string
		available       []string
		acceptable      string
		msgParts        []string
	}{
		{
			name: "only musl, windows and too-new glibc", py: "3.13", arch: "x86_64", glibc: "2.34",
			candidates: []string{
				"Shapely-2.0.6-cp313-cp313-musllinux_1_2_x86_64.whl",
				"shapely-2.0.6-cp313-cp313-win_amd64.whl",
				"shapely-2.0.6-cp313-cp313-manylinux_2_35_x86_64.whl",
				"shapely-2.0.6-cp313-cp313-linux_x86_64.whl",
				"shapely-2.0.6.tar.gz",
			},
			pkg: "shapely",
			available: []string{
				"cp313-cp313-linux_x86_64", "cp313-cp313-manylinux_2_35_x86_64",
				"cp313-cp313-musllinux_1_2_x86_64", "cp313-cp313-win_amd64",
			},
			acceptable: "cp313/abi3/py3 on manylinux_2_34_x86_64 or older (glibc <= 2.34); never musllinux or linux_*",
			msgParts:   []string{"no compatible wheel for shapely", "cp313-cp313-win_amd64", "glibc <= 2.34"},
		},
		{
			name: "wrong python", py: "3.11", arch: "aarch64", glibc: "2.26",
			candidates: []string{"p-1-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl", "p-1-cp313-abi3-manylinux_2_17_aarch64.whl"},
			pkg:        "p",
			available: []string{
				"cp312-cp312-manylinux2014_aarch64", "cp312-cp312-manylinux_2_17_aarch64", "cp313-abi3-manylinux_2_17_aarch64",
			},
			acceptable: "cp311/abi3/py3 on manylinux_2_26_aarch64 or older (glibc <= 2.26); never musllinux or linux_*",
		},
		{
			name: "wrong arch", py: "3.12", arch: "aarch64", glibc: "2.34",
			candidates: []string{"p-1-cp312-cp312-manylinux_2_17_x86_64.whl"},
			pkg:        "p",
			available:  []string{"cp312-cp312-manylinux_2_17_x86_64"},
			acceptable: "cp312/abi3/py3 on manylinux_2_34_aarch64 or older (glibc <= 2.34); never musllinux or linux_*",
		},
		{
			name: "sdist only", py: "3.12", arch: "x86_64", glibc: "2.34",
			candidates: []string{"GDAL-3.9.0.tar.gz"},
			pkg:        "gdal",
			acceptable: "cp312/abi3/py3 on manylinux_2_34_x86_64 or older (glibc <= 2.34); never musllinux or linux_*",
			msgParts:   []string{"no compatible wheel for gdal: the index has no wheels for it"},
		},
		{
			name: "nothing", py: "3.12", arch: "x86_64", glibc: "2.34",
			acceptable: "cp312/abi3/py3 on manylinux_2_34_x86_64 or older (glibc <= 2.34); never musllinux or linux_*",
			msgParts:   []string{"(unknown package)"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			best, rank, err := Select(tc.candidates, mustTags(t, tc.py, tc.arch, tc.glibc))
			var nm *NoMatchError
			if !errors.As(err, &nm) {
				t.Fatalf("Select = %q, %d, %v; want *NoMatchError", best, rank, err)
			}
			if best != "" || rank != -1 {
				t.Errorf("best, rank = %q, %d", best, rank)
			}
			if nm.Package != tc.pkg {
				t.Errorf("Package = %q, want %q", nm.Package, tc.pkg)
			}
			if !reflect.DeepEqual(nm.Available, tc.available) {
				t.Errorf("Available = %q, want %q", nm.Available, tc.available)
			}
			if nm.Acceptable != tc.acceptable {
				t.Errorf("Acceptable = %q, want %q", nm.Acceptable, tc.acceptable)
			}
			msg := err.Error()
			for _, p := range append(tc.msgParts, tc.acceptable) {
				if !strings.Contains(msg, p) {
					t.Errorf("Error() = %q, missing %q", msg, p)
				}
			}
		})
	}
}

func TestNoMatchErrorTruncates(t *testing.T) {
	e := &NoMatchError{Package: "p", Acceptable: "x"}
	for i := 0; i < 30; i++ {
		e.Available = append(e.Available, "t"+strings.Repeat("a", i))
	}
	if msg := e.Error(); !strings.Contains(msg, "(6 more)") {
		t.Errorf("Error() = %q", msg)
	}
}

func TestSummarizeTags(t *testing.T) {
	tests := []struct {
		tags []Tag
		want string
	}{
		{nil, "nothing (empty tag list)"},
		{[]Tag{{"py3", "none", "any"}}, "py3 pure-Python (platform any) only; never musllinux or linux_*"},
		{[]Tag{{"cp312", "cp312", "macosx_11_0_arm64"}, {"cp312", "none", "any"}}, "cp312 on macosx_11_0_arm64; never musllinux or linux_*"},
		{[]Tag{{"cp312", "cp312", "linux_x86_64"}, {"cp312", "cp312", "manylinux2014_x86_64"}},
			"cp312 on manylinux2014_x86_64 or older (glibc <= 2.17); never musllinux or linux_*"},
	}
	for _, tc := range tests {
		if got := SummarizeTags(tc.tags); got != tc.want {
			t.Errorf("SummarizeTags(%v) = %q, want %q", tc.tags, got, tc.want)
		}
	}
}
