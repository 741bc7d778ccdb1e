package pep440

import "testing"

func TestSpecifierContains(t *testing.T) {
	tests := []struct {
		spec, version string
		want          bool
	}{
		{">=3.9", "3.13", true},
		{">=3.9", "3.8", false},
		{">=3.9", "3.9.0", true},
		{">= 3.9", "3.10", true},
		{">=3.8,<4", "3.13", true},
		{">=3.8, <4", "4.0", false},
		{"<4", "4.0rc1", false}, // <V excludes pre-releases of V
		{"<4", "3.99", true},
		{"<4.0rc2", "4.0rc1", true},
		{">3.8", "3.8.1", true},
		{">3.8", "3.8.post1", false}, // >V excludes post-releases of V
		{">3.8.post1", "3.8.post2", true},
		{">3.8", "3.8+local", false},
		{"<=3.12", "3.12.5", false},
		{"<=3.12", "3.12", true},
		{"!=3.0.*", "3.0.1", false},
		{"!=3.0.*", "3.1", true},
		{"!=3.0.*,!=3.1.*,!=3.2.*,>=2.7", "3.2.5", false},
		{"!=3.0.*,!=3.1.*,!=3.2.*,>=2.7", "3.13", true},
		{"==3.*", "3.13.1", true},
		{"==3.*", "4.0", false},
		{"==3.13.*", "3.13", true},
		{"==3.13.0.*", "3.13", true},
		{"==3.1.*", "3.13", false},
		{"~=3.10", "3.13", true},
		{"~=3.10", "3.9", false},
		{"~=3.10", "4.0", false},
		{"~=3.10.2", "3.10.5", true},
		{"~=3.10.2", "3.11", false},
		{"==3.13", "3.13.0", true},
		{"==3.13", "3.13.1", false},
		{"==1.0+abc", "1.0+abc", true},
		{"==1.0+abc", "1.0", false},
		{"==1.0", "1.0+abc", true}, // local ignored when the spec has none
		{"!=1.0", "1.0+abc", false},
		{"===1.0", "1.0", true},
		{"===1.0", "1.0.0", false},
		{"===1.0", "v1.0", false}, // compared as written
		{">=1!1.0", "2.0", false},
		{"", "3.13", true},
		{">=3.6,", "3.13", true}, // trailing comma seen in real metadata
	}
	for _, tt := range tests {
		set, err := ParseSpecifierSet(tt.spec)
		if err != nil {
			t.Errorf("ParseSpecifierSet(%q): %v", tt.spec, err)
			continue
		}
		got, err := set.ContainsString(tt.version)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("%q contains %q = %v, want %v", tt.spec, tt.version, got, tt.want)
		}
	}
}

func TestParseSpecifierInvalid(t *testing.T) {
	for _, s := range []string{"3.9", "=>3.9", ">=", ">=3.*", "~=3", "~=3.*", "==3.0a1.*", "<1.0+local", ">= 3 .9", "==bad"} {
		if sp, err := ParseSpecifier(s); err == nil {
			t.Errorf("ParseSpecifier(%q) = %+v, want error", s, sp)
		}
	}
}

func TestSpecifierSetString(t *testing.T) {
	set, err := ParseSpecifierSet(" >= 3.8 , != 3.0.* ,<4 ")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := set.String(), ">=3.8,!=3.0.*,<4"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestSatisfiesRequiresPython(t *testing.T) {
	tests := []struct {
		spec, py string
		want     bool
		err      bool
	}{
		{">=3.9", "3.13", true, false},
		{">=3.14", "3.13", false, false},
		{">=3.13.1", "3.13", false, false},
		{">=3.13.1", "3.13.1", true, false},
		{">=3.8,<4", "3.12", true, false},
		{"!=3.0.*,!=3.1.*", "3.13", true, false},
		{"~=3.10", "3.14", true, false},
		{"==3.*", "3.10", true, false},
		{">=3.10,<3.13", "3.13", false, false},
		{"", "3.13", true, false},
		{">=3.x", "3.13", false, true},
		{">=3.9", "three", false, true},
	}
	for _, tt := range tests {
		got, err := SatisfiesRequiresPython(tt.spec, tt.py)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("SatisfiesRequiresPython(%q, %q) = %v, %v; want %v, err=%v", tt.spec, tt.py, got, err, tt.want, tt.err)
		}
	}
}
