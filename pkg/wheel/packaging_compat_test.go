package wheel

import (
	"reflect"
	"testing"
)

// Cases where geolayer disagreed with Python's packaging, found by the
// differential test (test/conformance, docs/conformance.md).

func TestParseFilenameLikePackaging(t *testing.T) {
	tests := []struct {
		in        string
		name, ver string
		build     string
		tags      []string
	}{
		// Tags are not restricted to [a-z0-9_] (packaging lowercases them
		// and takes any characters).
		{"pkg-1.0-py3-none-any+x.whl", "pkg", "1.0", "", []string{"py3-none-any+x"}},
		{"pkg-1.0-py3-none-Any!.whl", "pkg", "1.0", "", []string{"py3-none-any!"}},
		// Names are letters and digits in Python's sense: numerals too.
		{"x²-1.0-py3-none-any.whl", "x²", "1.0", "", []string{"py3-none-any"}},
		{"Ⅻ_pkg-1.0-py3-none-any.whl", "ⅻ-pkg", "1.0", "", []string{"py3-none-any"}},
		// A separator after a phase word (the version is checked with
		// pep440.Valid and kept as written; pep440.ParseVersion normalizes it).
		{"foo-1.0.post_-py3-none-any.whl", "foo", "1.0.post_", "", []string{"py3-none-any"}},
	}
	for _, tt := range tests {
		f, err := ParseFilename(tt.in)
		if err != nil {
			t.Errorf("ParseFilename(%q): %v", tt.in, err)
			continue
		}
		if f.Name != tt.name || f.Version != tt.ver || f.Build != tt.build || !reflect.DeepEqual(tagStrings(f.Tags), tt.tags) {
			t.Errorf("ParseFilename(%q) = %+v, want %s %s %q %v", tt.in, f, tt.name, tt.ver, tt.build, tt.tags)
		}
	}
	// ASCII only (packaging since 26.1): "ſ" is not "s", "٣" is not a
	// build number. White space and control characters are refused.
	for _, in := range []string{
		"foo-1.0.po\u017ft1-py3-none-any.whl",
		"foo-1.0-\u0663-py3-none-any.whl",
		"foo- 1.0-py3-none-any.whl",
		"foo-1.0-1\nx-py3-none-any.whl",
	} {
		if f, err := ParseFilename(in); err == nil {
			t.Errorf("ParseFilename(%q) = %+v, want error", in, f)
		}
	}
}
