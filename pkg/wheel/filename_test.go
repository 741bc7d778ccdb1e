package wheel

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func tagStrings(tags []Tag) []string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.String()
	}
	return out
}

func TestParseFilename(t *testing.T) {
	tests := []struct {
		in      string
		name    string
		version string
		build   string
		tags    []string
	}{
		{"six-1.16.0-py2.py3-none-any.whl", "six", "1.16.0", "", []string{"py2-none-any", "py3-none-any"}},
		{
			"numpy-2.1.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "numpy", "2.1.0", "",
			[]string{"cp313-cp313-manylinux_2_17_x86_64", "cp313-cp313-manylinux2014_x86_64"},
		},
		{
			"pkg-1.0-cp313.cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "pkg", "1.0", "",
			[]string{
				"cp313-abi3-manylinux_2_17_x86_64", "cp313-abi3-manylinux2014_x86_64",
				"cp312-abi3-manylinux_2_17_x86_64", "cp312-abi3-manylinux2014_x86_64",
			},
		},
		{"Foo_Bar.baz-0.1-1-py3-none-any.whl", "foo-bar-baz", "0.1", "1", []string{"py3-none-any"}},
		{"pkg-1.0-2b-py3-none-any.whl", "pkg", "1.0", "2b", []string{"py3-none-any"}},
		{"pkg-1.0-007_x-py3-none-any.whl", "pkg", "1.0", "007_x", []string{"py3-none-any"}},
		{"pkg-1!2.0rc1.post3.dev4+local.7-py3-none-any.whl", "pkg", "1!2.0rc1.post3.dev4+local.7", "", []string{"py3-none-any"}},
		{"pkg-v1.0-PY3-NONE-ANY.whl", "pkg", "v1.0", "", []string{"py3-none-any"}},
		{"pkg-1.0-py3.py3-none-any.whl", "pkg", "1.0", "", []string{"py3-none-any"}}, // de-duplicated
		{"rasterio-1.4.3-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl", "rasterio", "1.4.3", "",
			[]string{"cp312-cp312-manylinux_2_17_aarch64", "cp312-cp312-manylinux2014_aarch64"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			f, err := ParseFilename(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if f.Name != tc.name || f.Version != tc.version || f.Build != tc.build {
				t.Errorf("got name=%q version=%q build=%q, want %q %q %q", f.Name, f.Version, f.Build, tc.name, tc.version, tc.build)
			}
			if got := tagStrings(f.Tags); !reflect.DeepEqual(got, tc.tags) {
				t.Errorf("tags = %v, want %v", got, tc.tags)
			}
		})
	}
}

func TestParseFilenameErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"pkg-1.0-py3-none-any.zip", "missing .whl suffix"},
		{"pkg-1.0.tar.gz", "missing .whl suffix"},
		{"pkg-1.0-none-any.whl", "want 5 or 6"},
		{"pkg-1.0-1-2-py3-none-any.whl", "want 5 or 6"},
		{"-1.0-py3-none-any.whl", "empty distribution name"},
		{"foo__bar-1.0-py3-none-any.whl", `contains "__"`},
		{"foo+bar-1.0-py3-none-any.whl", "contains '+'"},
		{"pkg-one-py3-none-any.whl", "not a valid PEP 440 version"},
		{"pkg--py3-none-any.whl", "not a valid PEP 440 version"},
		{"pkg-1.0-x1-py3-none-any.whl", "build tag \"x1\" must start with a digit"},
		{"pkg-1.0--py3-none-any.whl", "build tag \"\" must start with a digit"},
		{"pkg-1.0-py3..py2-none-any.whl", "empty element in python tag set"},
		{"pkg-1.0-py3--any.whl", "empty abi tag"},
		{"pkg-1.0-py3-none-.whl", "empty platform tag"},
		{"pkg-1.0-py3-none-any x.whl", "white space"},
		{"dir/pkg-1.0-py3-none-any.whl", "base name"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParseFilename(tc.in)
			var fe *FilenameError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want *FilenameError", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.in) {
				t.Errorf("err = %q, want it to mention %q and the filename", err, tc.want)
			}
		})
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"friendly-bard", "friendly-bard"},
		{"Friendly-Bard", "friendly-bard"},
		{"FRIENDLY-BARD", "friendly-bard"},
		{"friendly.bard", "friendly-bard"},
		{"friendly_bard", "friendly-bard"},
		{"friendly--bard", "friendly-bard"},
		{"FrIeNdLy-._.-bArD", "friendly-bard"},
		{"GDAL", "gdal"},
		{"a", "a"},
		{"_leading", "-leading"},
		{"trailing.", "trailing-"},
	}
	for _, tc := range tests {
		if got := NormalizeName(tc.in); got != tc.want {
			t.Errorf("NormalizeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseBuildTag(t *testing.T) {
	tests := []struct {
		in, num, suffix string
		ok              bool
	}{
		{"", "", "", false},
		{"x1", "", "", false},
		{"1", "1", "", true},
		{"007", "7", "", true},
		{"000", "0", "", true},
		{"12abc", "12", "abc", true},
		{"1_2", "1", "_2", true},
	}
	for _, tc := range tests {
		num, suffix, ok := ParseBuildTag(tc.in)
		if num != tc.num || suffix != tc.suffix || ok != tc.ok {
			t.Errorf("ParseBuildTag(%q) = %q, %q, %v; want %q, %q, %v", tc.in, num, suffix, ok, tc.num, tc.suffix, tc.ok)
		}
	}
}

func TestCompareBuildTags(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "0", -1},
		{"0", "", 1},
		{"1", "2", -1},
		{"10", "9", 1},
		{"007", "7", 0},
		{"7a", "7", 1},
		{"7a", "7b", -1},
		{"99999999999999999999999", "100000000000000000000000", -1},
		{"2", "1zzz", 1},
	}
	for _, tc := range tests {
		if got := CompareBuildTags(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareBuildTags(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
