package wheel

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
)

// recordEntry is one row of a wheel's RECORD file.
type recordEntry struct {
	Alg     string // "" when the row has no hash
	Digest  []byte
	Size    int64
	HasSize bool
	Line    int
}

// newHash returns a hash for the RECORD algorithms an installer accepts.
func newHash(alg string) (hash.Hash, error) {
	switch alg {
	case "sha256":
		return sha256.New(), nil
	case "sha384":
		return sha512.New384(), nil
	case "sha512":
		return sha512.New(), nil
	case "md5", "sha1":
		return nil, fmt.Errorf("forbidden weak hash algorithm %s (sha256 or stronger required)", alg)
	}
	return nil, fmt.Errorf("unsupported hash algorithm %q (want sha256, sha384 or sha512)", alg)
}

// encodeDigest encodes a digest the way RECORD stores it: urlsafe base64
// without '=' padding.
func encodeDigest(d []byte) string {
	return base64.RawURLEncoding.EncodeToString(d)
}

// parseRecord parses a wheel's RECORD (CSV rows "path,hash,size"). Hash
// algorithms are not judged here (see checkRecorded) but a hash must be
// "alg=urlsafe-base64" and a size a non-negative decimal.
func parseRecord(data []byte) (map[string]recordEntry, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	out := map[string]recordEntry{}
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("RECORD: %v", err)
		}
		line, _ := r.FieldPos(0)
		if len(row) < 3 {
			return nil, fmt.Errorf("RECORD line %d: want 3 fields (path,hash,size), got %d", line, len(row))
		}
		p, h, s := row[0], strings.TrimSpace(row[1]), strings.TrimSpace(row[2])
		if p == "" {
			return nil, fmt.Errorf("RECORD line %d: empty path", line)
		}
		e := recordEntry{Line: line}
		if h != "" {
			alg, enc, ok := strings.Cut(h, "=")
			if !ok || alg == "" {
				return nil, fmt.Errorf("RECORD line %d (%s): malformed hash %q, want alg=digest", line, p, h)
			}
			d, derr := base64.RawURLEncoding.DecodeString(strings.TrimRight(enc, "="))
			if derr != nil || len(d) == 0 {
				return nil, fmt.Errorf("RECORD line %d (%s): hash digest is not urlsafe base64", line, p)
			}
			e.Alg, e.Digest = strings.ToLower(alg), d
		}
		if s != "" {
			n, serr := strconv.ParseInt(s, 10, 64)
			if serr != nil || n < 0 {
				return nil, fmt.Errorf("RECORD line %d (%s): invalid size %q", line, p, s)
			}
			e.Size, e.HasSize = n, true
		}
		if prev, dup := out[p]; dup {
			if prev.Alg != e.Alg || !bytes.Equal(prev.Digest, e.Digest) || prev.HasSize != e.HasSize || prev.Size != e.Size {
				return nil, fmt.Errorf("RECORD lists %s twice with different values (lines %d and %d)", p, prev.Line, line)
			}
			continue
		}
		out[p] = e
	}
	return out, nil
}

// checkRecorded verifies that the archive member name has a usable RECORD
// row: present, with an accepted hash of the right length and a size.
func checkRecorded(record map[string]recordEntry, name string) (recordEntry, error) {
	e, ok := record[name]
	if !ok {
		return e, fmt.Errorf("%s: not listed in RECORD", name)
	}
	if e.Alg == "" {
		return e, fmt.Errorf("%s: RECORD row has no hash", name)
	}
	h, err := newHash(e.Alg)
	if err != nil {
		return e, fmt.Errorf("%s: RECORD %v", name, err)
	}
	if len(e.Digest) != h.Size() {
		return e, fmt.Errorf("%s: RECORD %s digest has %d bytes, want %d", name, e.Alg, len(e.Digest), h.Size())
	}
	if !e.HasSize {
		return e, fmt.Errorf("%s: RECORD row has no size", name)
	}
	return e, nil
}

// verifyRecorded compares what was read for name against its RECORD row.
func verifyRecorded(name string, e recordEntry, h hash.Hash, size int64) error {
	if size != e.Size {
		return fmt.Errorf("%s: size %d does not match RECORD (%d)", name, size, e.Size)
	}
	if got := h.Sum(nil); !bytes.Equal(got, e.Digest) {
		return fmt.Errorf("%s: %s hash %s does not match RECORD (%s)", name, e.Alg, encodeDigest(got), encodeDigest(e.Digest))
	}
	return nil
}

// installedRow is one row of the RECORD written at install time.
type installedRow struct {
	Path   string // relative to the .dist-info's parent, '/'-separated
	Sha256 []byte // nil for RECORD itself
	Size   int64
}

// formatRecord renders an installed RECORD: rows sorted by path, "\n" line
// endings, RECORD itself with empty hash and size.
func formatRecord(rows []installedRow, recordPath string) ([]byte, error) {
	sorted := append([]installedRow(nil), rows...)
	sorted = append(sorted, installedRow{Path: recordPath})
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for i, r := range sorted {
		if i > 0 && sorted[i-1].Path == r.Path {
			return nil, fmt.Errorf("installed RECORD would list %s twice", r.Path)
		}
		rec := []string{r.Path, "", ""}
		if r.Sha256 != nil {
			rec[1] = "sha256=" + encodeDigest(r.Sha256)
			rec[2] = strconv.FormatInt(r.Size, 10)
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// writeInstallerAndRecord writes .dist-info/INSTALLER and the installed
// RECORD listing every installed file relative to the .dist-info's parent.
func (in *installer) writeInstallerAndRecord() error {
	parent := in.scheme[in.rootKey]
	if err := in.fs.writeFile(path.Join(parent, in.distInfo, "INSTALLER"), []byte(InstallerName+"\n"), 0o644); err != nil {
		return err
	}
	rows := make([]installedRow, 0, len(in.fs.files))
	for _, f := range in.fs.files {
		rel, err := relSlash(parent, f.path)
		if err != nil {
			return err
		}
		rows = append(rows, installedRow{Path: rel, Sha256: f.sha256, Size: f.size})
	}
	data, err := formatRecord(rows, in.distInfo+"/RECORD")
	if err != nil {
		return err
	}
	for _, o := range in.fs.overwritten {
		in.warnf("overwrote existing file %s", o)
	}
	return in.fs.writeFile(path.Join(parent, in.distInfo, "RECORD"), data, 0o644)
}

// relSlash is filepath.Rel for '/'-separated paths relative to one root.
func relSlash(base, target string) (string, error) {
	bs := strings.Split(path.Clean(base), "/")
	ts := strings.Split(path.Clean(target), "/")
	if bs[0] == "." {
		bs = nil
	}
	i := 0
	for i < len(bs) && i < len(ts) && bs[i] == ts[i] {
		i++
	}
	parts := make([]string, 0, len(bs)-i+len(ts)-i)
	for range bs[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, ts[i:]...)
	if len(parts) == 0 {
		return "", fmt.Errorf("cannot record %s relative to %s", target, base)
	}
	return strings.Join(parts, "/"), nil
}
