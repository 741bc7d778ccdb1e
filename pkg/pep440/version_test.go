package pep440

import (
	"cmp"
	"testing"
)

func TestParseVersionNormalizes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1.0", "1.0"},
		{"v1.0", "1.0"},
		{" 1.0 ", "1.0"},
		{"1!2.0", "1!2.0"},
		{"0!1.0", "1.0"},
		{"1.0a1", "1.0a1"},
		{"1.0A1", "1.0a1"},
		{"1.0-alpha1", "1.0a1"},
		{"1.0.beta.2", "1.0b2"},
		{"1.0c1", "1.0rc1"},
		{"1.0pre1", "1.0rc1"},
		{"1.0preview_1", "1.0rc1"},
		{"1.0a", "1.0a0"},
		{"1.0-1", "1.0.post1"},
		{"1.0.post", "1.0.post0"},
		{"1.0-r4", "1.0.post4"},
		{"1.0rev4", "1.0.post4"},
		{"1.0.dev", "1.0.dev0"},
		{"1.0-dev3", "1.0.dev3"},
		{"1.0a1.post2.dev3", "1.0a1.post2.dev3"},
		{"1.0+ubuntu-1", "1.0+ubuntu.1"},
		{"1.0+Local_Version.7", "1.0+local.version.7"},
		{"2024.10.1", "2024.10.1"},
		{"01.02", "1.2"},
	}
	for _, tt := range tests {
		v, err := ParseVersion(tt.in)
		if err != nil {
			t.Errorf("ParseVersion(%q): %v", tt.in, err)
			continue
		}
		if got := v.String(); got != tt.want {
			t.Errorf("ParseVersion(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseVersionInvalid(t *testing.T) {
	for _, in := range []string{"", "a", "1.", "1..0", "1.0.*", "1.0+", "1.0+a..b", "1.0+a.", "1.0 a1", "1.0-", "1.0foo", "1.0+ab$", "1!", "99999999999999999999"} {
		if v, err := ParseVersion(in); err == nil {
			t.Errorf("ParseVersion(%q) = %v, want error", in, v)
		}
	}
}

// The ordering example from the version-specifiers spec ("Summary of
// permitted suffixes and relative ordering") plus epochs and local labels.
func TestCompareVersionsOrdering(t *testing.T) {
	ordered := []string{
		"1.0.dev456",
		"1.0a1",
		"1.0a2.dev456",
		"1.0a12.dev456",
		"1.0a12",
		"1.0b1.dev456",
		"1.0b2",
		"1.0b2.post345.dev456",
		"1.0b2.post345",
		"1.0b2-346",
		"1.0c1.dev456",
		"1.0c1",
		"1.0rc2",
		"1.0c3",
		"1.0",
		"1.0.post456.dev34",
		"1.0.post456",
		"1.1.dev1",
		"1.2+123abc",
		"1.2+123abc456",
		"1.2+abc",
		"1.2+abc123",
		"1.2+abc123def",
		"1.2+1234.abc",
		"1.2+123456",
		"1.2.r32+123456",
		"1.2.rev33+123456",
		"1!1.0",
	}
	for i := range ordered {
		for j := range ordered {
			got, err := CompareVersions(ordered[i], ordered[j])
			if err != nil {
				t.Fatal(err)
			}
			want := cmp.Compare(i, j)
			if got != want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
}

func TestCompareVersionsEqual(t *testing.T) {
	for _, pair := range [][2]string{
		{"1.0", "1.0.0"},
		{"1.0", "1.0.0.0"},
		{"1.0c1", "1.0rc1"},
		{"1.0-1", "1.0.post1"},
		{"v2", "2.0"},
		{"0!3", "3"},
		{"1.0+A", "1.0+a"},
	} {
		if got, err := CompareVersions(pair[0], pair[1]); err != nil || got != 0 {
			t.Errorf("CompareVersions(%q, %q) = %d, %v; want 0", pair[0], pair[1], got, err)
		}
	}
	if _, err := CompareVersions("1.0", "nope"); err == nil {
		t.Error("want error for invalid version")
	}
}

func TestVersionPredicates(t *testing.T) {
	tests := []struct {
		in         string
		pre, post  bool
		base, publ string
	}{
		{"1.0", false, false, "1.0", "1.0"},
		{"1.0rc1", true, false, "1.0", "1.0rc1"},
		{"1.0.dev1", true, false, "1.0", "1.0.dev1"},
		{"1!1.0.post2+loc", false, true, "1!1.0", "1!1.0.post2"},
	}
	for _, tt := range tests {
		v, err := ParseVersion(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if v.IsPrerelease() != tt.pre || v.IsPostrelease() != tt.post || v.Base().String() != tt.base || v.Public().String() != tt.publ {
			t.Errorf("%s: pre=%v post=%v base=%s public=%s", tt.in, v.IsPrerelease(), v.IsPostrelease(), v.Base(), v.Public())
		}
	}
}

func TestValid(t *testing.T) {
	for _, s := range []string{
		"1.0", "V1.0", "1!2.0rc1.post2.dev3+abc.1", "1.0-1", "1.0.post_", "1.1pre-",
		"1.0-dev", "1.0+abc-def_1", "1.0RC1", "99999999999999999999.1",
	} {
		if !Valid(s) {
			t.Errorf("Valid(%q) = false", s)
		}
	}
	for _, s := range []string{
		"", " 1.0", "1.0 ", "1..0", "1.0+", "1.0-", "1.0+abc..1", "1.0.po\u017ft1", "1.0+\u212ax", "a1.0",
	} {
		if Valid(s) {
			t.Errorf("Valid(%q) = true", s)
		}
	}
}
