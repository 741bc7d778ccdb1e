package wheel

import (
	"archive/zip"
	"io/fs"
	"strings"
	"testing"
)

func TestCheckEntryName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"pkg/a.py", ""},
		{"pkg/", ""},
		{"pkg-1.0.data/scripts/x", ""},
		{"a..b/c", ""},
		{"", "empty path"},
		{"/", "empty path"},
		{"/abs", "absolute"},
		{"..", "'..'"},
		{"a/..", "'..'"},
		{"a/../b", "'..'"},
		{"a\\b", "backslash"},
		{"a\x00b", "NUL"},
		{"c:x", "drive letter"},
		{"./a", "not clean"},
		{"a//b", "not clean"},
		{"a//", "not clean"},
	}
	for _, tc := range tests {
		err := checkEntryName(tc.in)
		if tc.want == "" {
			if err != nil {
				t.Errorf("checkEntryName(%q) = %v", tc.in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("checkEntryName(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestCheckSymlinkTarget(t *testing.T) {
	tests := []struct{ link, target, want string }{
		{"a/b/l", "c", ""},
		{"a/b/l", "../c", ""},
		{"a/b/l", "../../c", ""},
		{"a/b/l", "../..", ""},
		{"a/b/l", "../../..", "outside the install root"},
		{"a/b/l", "../../../x", "outside the install root"},
		{"l", "../x", "outside the install root"},
		{"l", "/x", "absolute"},
		{"l", "x/", "not a clean"},
		{"l", "x/../y", "not a clean"},
		{"l", ".", ""},
		{"l", "", "empty"},
	}
	for _, tc := range tests {
		err := checkSymlinkTarget(tc.link, tc.target)
		if tc.want == "" {
			if err != nil {
				t.Errorf("checkSymlinkTarget(%q, %q) = %v", tc.link, tc.target, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("checkSymlinkTarget(%q, %q) = %v, want %q", tc.link, tc.target, err, tc.want)
		}
	}
}

func TestClassifyEntry(t *testing.T) {
	mk := func(name string, unixMode uint32, creator uint16) *zip.File {
		return &zip.File{FileHeader: zip.FileHeader{Name: name, ExternalAttrs: unixMode << 16, CreatorVersion: creator << 8}}
	}
	tests := []struct {
		f    *zip.File
		kind entryKind
		exec bool
		err  bool
	}{
		{mk("a", 0o100644, 3), kindFile, false, false},
		{mk("a", 0o100744, 3), kindFile, true, false},
		{mk("a", 0o100601, 3), kindFile, true, false},
		{mk("a", 0o000755, 3), kindFile, false, false}, // no S_IFREG: not executable (as pip)
		{mk("a", 0, 0), kindFile, false, false},
		{mk("d/", 0, 0), kindDir, false, false},
		{mk("d/", 0o100644, 3), kindDir, false, false},
		{mk("d", 0o040755, 3), kindDir, false, false},
		{mk("l", 0o120777, 3), kindSymlink, false, false},
		{mk("l", 0o120777, 0), kindSymlink, false, false}, // raw mode counts whatever the creator
		{mk("l/", 0o120777, 3), 0, false, true},
		{mk("p", 0o010644, 3), 0, false, true},
		{mk("c", 0o020644, 3), 0, false, true},
	}
	for _, tc := range tests {
		kind, exec, err := classifyEntry(tc.f)
		if (err != nil) != tc.err || kind != tc.kind || exec != tc.exec {
			t.Errorf("classifyEntry(%s %#o) = %v %v %v", tc.f.Name, tc.f.ExternalAttrs>>16, kind, exec, err)
		}
	}
	// A directory flagged only by the MS-DOS attribute.
	dos := &zip.File{FileHeader: zip.FileHeader{Name: "d", ExternalAttrs: 0x10}}
	if kind, _, _ := classifyEntry(dos); kind != kindDir || !dos.Mode().IsDir() {
		t.Errorf("MS-DOS dir: %v (mode %v)", kind, dos.Mode()&fs.ModeDir)
	}
}

func TestCleanSchemeDir(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"", ".", ""},
		{".", ".", ""},
		{"python", "python", ""},
		{"python/", "python", ""},
		{"python/lib/python3.12/site-packages", "python/lib/python3.12/site-packages", ""},
		{"/opt/python", "", "absolute"},
		{"../x", "", "'..'"},
		{"a/./b", "", "not clean"},
	}
	for _, tc := range tests {
		got, err := cleanSchemeDir(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("cleanSchemeDir(%q) err = %v", tc.in, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("cleanSchemeDir(%q) = %q, %v", tc.in, got, err)
		}
	}
}
