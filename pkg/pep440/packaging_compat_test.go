package pep440

import "testing"

// Cases where geolayer disagreed with Python's packaging, found by the
// differential test (test/conformance, docs/conformance.md).

func TestParseVersionLikePackaging(t *testing.T) {
	tests := []struct{ in, want string }{
		// A separator after a phase word with no number: an implicit 0.
		{"1.1pre-", "1.1rc0"},
		{"58.post-", "58.post0"},
		{"1.0.post_", "1.0.post0"},
		{"1.0dev.", "1.0.dev0"},
		{"1.0.post.dev.", "1.0.post0.dev0"},
		{"06.6_alpha--dev.82", "6.6a0.dev82"},
		{"2.0POST-", "2.0.post0"},
		{"1.0a-1", "1.0a1"},
		// Numeric local segments are numbers.
		{"7+post.007", "7+post.7"},
		{"1.0+000.x", "1.0+0.x"},
		// Python's \s: U+001C..U+001F are white space too.
		{"1.0\x1c", "1.0"},
		{"\x1f2.0\u2003", "2.0"},
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
	// ASCII only, as packaging since 26.1: strings.ToLower would have
	// turned the Kelvin sign into "k".
	for _, in := range []string{"1.0+\u212ax", "1.0.po\u017ft1", "1.0.prev\u0131ew", "1.0+\u00e9"} {
		if v, err := ParseVersion(in); err == nil {
			t.Errorf("ParseVersion(%q) = %v, want error", in, v)
		}
	}
}

func TestCompareLocalNumbersLikePackaging(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0+007", "1.0+7", 0},
		{"1.0+10", "1.0+9", 1},
		// Beyond an int64, still numbers.
		{"1.0+99999999999999999999", "1.0+100000000000000000000", -1},
		{"1.0+99999999999999999999", "1.0+abc", 1},
	}
	for _, tt := range tests {
		got, err := CompareVersions(tt.a, tt.b)
		if err != nil || got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, %v; want %d", tt.a, tt.b, got, err, tt.want)
		}
	}
}

func TestArbitraryEqualityLikePackaging(t *testing.T) {
	// "===" takes any text without white space, ';' or ')', even none.
	for _, s := range []string{"===", "=== ", "===foo,bar", "===1.0+Local"} {
		if _, err := ParseSpecifier(s); err != nil {
			t.Errorf("ParseSpecifier(%q): %v", s, err)
		}
	}
	for _, s := range []string{"===1.0)", "===1.0;x", "===1 0"} {
		if sp, err := ParseSpecifier(s); err == nil {
			t.Errorf("ParseSpecifier(%q) = %v, want error", s, sp)
		}
	}
	set, err := ParseSpecifierSet("===")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := set.ContainsString("1.0"); ok || err != nil {
		t.Errorf(`"===" contains 1.0: %v, %v; want false`, ok, err)
	}
}
