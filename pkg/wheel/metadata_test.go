package wheel

import (
	"archive/zip"
	"reflect"
	"strings"
	"testing"
)

func TestParseHeaders(t *testing.T) {
	got := parseHeaders("Wheel-Version: 1.0\r\nGenerator: bdist_wheel (0.43)\nTag: py3-none-any\nTag: py2-none-any\nLong: a\n  b\nno colon line\n\nBody: ignored\n")
	want := map[string]string{
		"wheel-version": "1.0", "generator": "bdist_wheel (0.43)", "tag": "py3-none-any", "long": "a b",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseWheelFile(t *testing.T) {
	tests := []struct {
		in      string
		want    wheelInfo
		wantErr string
	}{
		{"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n", wheelInfo{Major: 1, Minor: 0, RootIsPurelib: true, Raw: "1.0"}, ""},
		{"Wheel-Version: 1.9\nRoot-Is-Purelib: false\n", wheelInfo{Major: 1, Minor: 9, Raw: "1.9"}, ""},
		{"wheel-version:0.1\n", wheelInfo{Major: 0, Minor: 1, Raw: "0.1"}, ""},
		{"Wheel-Version: 2.0\n", wheelInfo{}, "unsupported Wheel-Version 2.0"},
		{"Wheel-Version: 10.0\n", wheelInfo{}, "unsupported Wheel-Version 10.0"},
		{"Wheel-Version: 1\n", wheelInfo{}, "malformed Wheel-Version"},
		{"Wheel-Version: 1.x\n", wheelInfo{}, "malformed Wheel-Version"},
		{"Root-Is-Purelib: true\n", wheelInfo{}, "no Wheel-Version"},
	}
	for _, tc := range tests {
		got, err := parseWheelFile(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseWheelFile(%q) err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseWheelFile(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestFindDistInfo(t *testing.T) {
	files := func(names ...string) []*zip.File {
		var out []*zip.File
		for _, n := range names {
			out = append(out, &zip.File{FileHeader: zip.FileHeader{Name: n}})
		}
		return out
	}
	tests := []struct {
		names   []string
		want    string
		wantErr string
	}{
		{[]string{"pkg/a.py", "pkg-1.0.dist-info/WHEEL", "pkg-1.0.dist-info/RECORD"}, "pkg-1.0.dist-info", ""},
		{[]string{"pkg-1.0.data/purelib/other-1.0.dist-info/METADATA", "pkg-1.0.dist-info/WHEEL"}, "pkg-1.0.dist-info", ""},
		{[]string{"x.dist-info", "pkg/a.py"}, "", "no .dist-info directory"},
		{[]string{"a-1.dist-info/WHEEL", "b-1.dist-info/WHEEL"}, "", "2 .dist-info directories (a-1.dist-info, b-1.dist-info)"},
	}
	for _, tc := range tests {
		got, err := findDistInfo(files(tc.names...))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: err = %v, want %q", tc.names, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v: got %q, %v", tc.names, got, err)
		}
	}
}

func TestSplitDistInfo(t *testing.T) {
	tests := []struct{ in, name, version, err string }{
		{"pkg-1.0.dist-info", "pkg", "1.0", ""},
		{"Foo_Bar-2.0.post1.dist-info", "Foo_Bar", "2.0.post1", ""},
		{"pkg.dist-info", "", "", "malformed"},
		{"-1.0.dist-info", "", "", "malformed"},
		{"pkg-.dist-info", "", "", "malformed"},
	}
	for _, tc := range tests {
		n, v, err := splitDistInfo(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("splitDistInfo(%q) err = %v", tc.in, err)
			}
			continue
		}
		if err != nil || n != tc.name || v != tc.version {
			t.Errorf("splitDistInfo(%q) = %q %q %v", tc.in, n, v, err)
		}
	}
}
