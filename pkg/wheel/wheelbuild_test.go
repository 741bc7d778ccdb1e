package wheel

import (
	"archive/zip"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// zentry is one member of a test wheel.
type zentry struct {
	name string
	data string
	// mode: 0 means a regular 0644 file; fs.ModeSymlink|0777 makes a
	// symlink (data is the target); fs.ModeDir|0755 a directory entry.
	mode fs.FileMode
	// dos leaves the Unix mode out of the external attributes (an entry
	// written by an MS-DOS style tool).
	dos bool
	// store uses the Store method instead of Deflate.
	store bool
	// record controls the RECORD row: "" = correct sha256 row; "-" = no
	// row; "md5", "sha1", "sha384", "sha512" = that algorithm; anything
	// else is used verbatim as the "hash,size" part of the row.
	record string
}

const testWheelFile = "Wheel-Version: 1.0\nGenerator: geolayer-test 0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"

// demoEntries returns the metadata members of demo-1.0 plus extra.
func demoEntries(wheelFile string, extra ...zentry) []zentry {
	return append([]zentry{
		{name: "demo-1.0.dist-info/METADATA", data: "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"},
		{name: "demo-1.0.dist-info/WHEEL", data: wheelFile},
	}, extra...)
}

func recordHash(alg, data string) string {
	var sum []byte
	switch alg {
	case "md5":
		s := md5.Sum([]byte(data))
		sum = s[:]
	case "sha1":
		s := sha1.Sum([]byte(data))
		sum = s[:]
	case "sha384":
		s := sha512.Sum384([]byte(data))
		sum = s[:]
	case "sha512":
		s := sha512.Sum512([]byte(data))
		sum = s[:]
	default:
		alg = "sha256"
		s := sha256.Sum256([]byte(data))
		sum = s[:]
	}
	return alg + "=" + base64.RawURLEncoding.EncodeToString(sum)
}

// writeWheel writes a wheel named filename into dir. Unless withRecord is
// false, a RECORD is appended to distInfo built from the entries' record
// settings.
func writeWheel(t testing.TB, dir, filename, distInfo string, entries []zentry, withRecord bool) string {
	t.Helper()
	p := filepath.Join(dir, filename)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }() // closed below; this is for the t.Fatal paths
	zw := zip.NewWriter(f)
	var rec strings.Builder
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: mtime}
		if e.store {
			h.Method = zip.Store
		}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		if !e.dos {
			h.SetMode(mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
		if mode.IsDir() || e.record == "-" {
			continue
		}
		switch e.record {
		case "", "md5", "sha1", "sha384", "sha512":
			fmt.Fprintf(&rec, "%s,%s,%d\n", csvQuote(e.name), recordHash(e.record, e.data), len(e.data))
		default:
			fmt.Fprintf(&rec, "%s,%s\n", csvQuote(e.name), e.record)
		}
	}
	if withRecord {
		fmt.Fprintf(&rec, "%s/RECORD,,\n", distInfo)
		w, err := zw.Create(distInfo + "/RECORD")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(rec.String())); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func csvQuote(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// demoWheel writes demo-1.0-py3-none-any.whl with the demo metadata and
// extra members.
func demoWheel(t testing.TB, extra ...zentry) string {
	t.Helper()
	return writeWheel(t, t.TempDir(), "demo-1.0-py3-none-any.whl", "demo-1.0.dist-info", demoEntries(testWheelFile, extra...), true)
}

// lambdaScheme is the AWS Lambda layer layout used by most tests.
func lambdaScheme(root string) Scheme {
	return Scheme{
		Root:    root,
		Purelib: "python/lib/python3.12/site-packages",
		Platlib: "python/lib/python3.12/site-packages",
		Scripts: "bin",
		Data:    ".",
		Headers: "include/demo",
	}
}

// treeEntry is a snapshot of one path in an installed tree.
type treeEntry struct {
	Mode  fs.FileMode
	Mtime time.Time
	Data  string // file content or symlink target
}

// snapshotTree records every path below root (root itself excluded).
func snapshotTree(t testing.TB, root string) map[string]treeEntry {
	t.Helper()
	out := map[string]treeEntry{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		e := treeEntry{Mode: st.Mode(), Mtime: st.ModTime().UTC()}
		switch {
		case st.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			e.Data = target
		case st.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			e.Data = string(b)
		}
		out[filepath.ToSlash(rel)] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readFile(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
