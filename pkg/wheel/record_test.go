package wheel

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
)

func TestParseRecord(t *testing.T) {
	sum := sha256.Sum256([]byte("x"))
	good := encodeDigest(sum[:])
	rec, err := parseRecord([]byte("a.py,sha256=" + good + ",1\r\n" +
		"\"b,c.py\",SHA256=" + good + "==,1\n" +
		"\n" +
		"d.py,sha256=" + good + ",1,extra\n" +
		"a.py,sha256=" + good + ",1\n" + // identical duplicate is tolerated
		"pkg-1.0.dist-info/RECORD,,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec) != 4 {
		t.Fatalf("got %d rows: %v", len(rec), rec)
	}
	for _, p := range []string{"a.py", "b,c.py", "d.py"} {
		e := rec[p]
		if e.Alg != "sha256" || string(e.Digest) != string(sum[:]) || !e.HasSize || e.Size != 1 {
			t.Errorf("%s: %+v", p, e)
		}
	}
	if e := rec["pkg-1.0.dist-info/RECORD"]; e.Alg != "" || e.HasSize {
		t.Errorf("RECORD row: %+v", e)
	}
}

func TestParseRecordErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a.py,sha256=AAAA\n", "line 1: want 3 fields"},
		{",sha256=AAAA,1\n", "line 1: empty path"},
		{"a.py,sha256,1\n", "malformed hash"},
		{"a.py,=AAAA,1\n", "malformed hash"},
		{"a.py,sha256=#,1\n", "not urlsafe base64"},
		{"a.py,sha256=AAAA,x\n", `invalid size "x"`},
		{"a.py,sha256=AAAA,1\na.py,sha256=AAAA,2\n", "lists a.py twice with different values (lines 1 and 2)"},
		{"\"a.py,sha256=AAAA,1\n", "RECORD:"},
	}
	for _, tc := range tests {
		_, err := parseRecord([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseRecord(%q) err = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestCheckRecorded(t *testing.T) {
	sum := sha256.Sum256([]byte("x"))
	rec := map[string]recordEntry{
		"ok":     {Alg: "sha256", Digest: sum[:], Size: 1, HasSize: true},
		"nohash": {Size: 1, HasSize: true},
		"md5":    {Alg: "md5", Digest: make([]byte, 16), Size: 1, HasSize: true},
		"sha1":   {Alg: "sha1", Digest: make([]byte, 20), Size: 1, HasSize: true},
		"sha224": {Alg: "sha224", Digest: make([]byte, 28), Size: 1, HasSize: true},
		"short":  {Alg: "sha512", Digest: sum[:], Size: 1, HasSize: true},
		"nosize": {Alg: "sha256", Digest: sum[:]},
		"sha384": {Alg: "sha384", Digest: make([]byte, 48), HasSize: true},
		"sha512": {Alg: "sha512", Digest: make([]byte, 64), HasSize: true},
	}
	tests := map[string]string{
		"ok": "", "sha384": "", "sha512": "",
		"missing": "missing: not listed in RECORD",
		"nohash":  "nohash: RECORD row has no hash",
		"md5":     "forbidden weak hash algorithm md5",
		"sha1":    "forbidden weak hash algorithm sha1",
		"sha224":  `unsupported hash algorithm "sha224"`,
		"short":   "digest has 32 bytes, want 64",
		"nosize":  "nosize: RECORD row has no size",
	}
	for name, want := range tests {
		_, err := checkRecorded(rec, name)
		if want == "" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", name, err, want)
		}
	}
}

func TestVerifyRecorded(t *testing.T) {
	sum := sha256.Sum256([]byte("x"))
	e := recordEntry{Alg: "sha256", Digest: sum[:], Size: 1, HasSize: true}
	h := sha256.New()
	h.Write([]byte("x"))
	if err := verifyRecorded("f", e, h, 1); err != nil {
		t.Error(err)
	}
	if err := verifyRecorded("f", e, h, 2); err == nil || !strings.Contains(err.Error(), "f: size 2 does not match RECORD (1)") {
		t.Errorf("size: %v", err)
	}
	h2 := sha256.New()
	h2.Write([]byte("y"))
	if err := verifyRecorded("f", e, h2, 1); err == nil || !strings.Contains(err.Error(), "f: sha256 hash") {
		t.Errorf("hash: %v", err)
	}
}

func TestFormatRecord(t *testing.T) {
	d := []byte{0xfb, 0xff}
	got, err := formatRecord([]installedRow{
		{Path: "pkg/z.py", Sha256: d, Size: 2},
		{Path: "../../bin/tool", Sha256: d, Size: 10},
		{Path: "pkg/a,b.py", Sha256: d, Size: 0},
		{Path: "pkg-1.0.dist-info/INSTALLER", Sha256: d, Size: 9},
	}, "pkg-1.0.dist-info/RECORD")
	if err != nil {
		t.Fatal(err)
	}
	want := "../../bin/tool,sha256=-_8,10\n" +
		"pkg-1.0.dist-info/INSTALLER,sha256=-_8,9\n" +
		"pkg-1.0.dist-info/RECORD,,\n" +
		"\"pkg/a,b.py\",sha256=-_8,0\n" +
		"pkg/z.py,sha256=-_8,2\n"
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if _, err := formatRecord([]installedRow{{Path: "a", Sha256: d}, {Path: "a", Sha256: d}}, "R"); err == nil {
		t.Error("duplicate rows accepted")
	}
}

func TestRelSlash(t *testing.T) {
	tests := []struct{ base, target, want string }{
		{".", "a/b", "a/b"},
		{"python", "python/pkg/x.py", "pkg/x.py"},
		{"python/lib/python3.12/site-packages", "bin/tool", "../../../../bin/tool"},
		{"lib/pure", "lib/plat/x.so", "../plat/x.so"},
		{"a/b", "a/bc/d", "../bc/d"},
	}
	for _, tc := range tests {
		got, err := relSlash(tc.base, tc.target)
		if err != nil || got != tc.want {
			t.Errorf("relSlash(%q, %q) = %q, %v; want %q", tc.base, tc.target, got, err, tc.want)
		}
	}
	if _, err := relSlash("a", "a"); err == nil {
		t.Error("relSlash(a, a) succeeded")
	}
}

func TestErrorCategoriesDistinct(t *testing.T) {
	for _, e := range []error{ErrUnsafe, ErrRecord, ErrTooLarge} {
		n := 0
		for _, o := range []error{ErrUnsafe, ErrRecord, ErrTooLarge} {
			if errors.Is(e, o) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%v matches %d categories", e, n)
		}
	}
}
