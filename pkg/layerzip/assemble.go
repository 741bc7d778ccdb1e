package layerzip

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Fragment is a fragment data file (local headers and data, as written by
// WriteFragment) with its index.
type Fragment struct {
	Data  string
	Index *FragmentIndex
}

// first is the sort key of the fragment: its first entry name.
func (f Fragment) first() string {
	if f.Index == nil || len(f.Index.Entries) == 0 {
		return ""
	}
	return f.Index.Entries[0].Name
}

// SortFragments orders fragments by their first entry name (byte order),
// then by Data path; empty fragments, which add no bytes, come first.
// Assemble writes fragments in slice order, so callers that want an order
// independent of how fragments were listed sort them with this first.
func SortFragments(frags []Fragment) {
	slices.SortStableFunc(frags, func(a, b Fragment) int {
		if c := strings.Compare(a.first(), b.first()); c != 0 {
			return c
		}
		return strings.Compare(a.Data, b.Data)
	})
}

// Assemble writes a complete archive: the data of each fragment, in the
// order given, copied verbatim (streaming), then the central directory with
// offsets adjusted, zip64 records when needed, and the end record.
//
// Before writing anything it validates every index and rejects duplicate
// names across fragments (the error names both fragments) and file/directory
// clashes, and checks symlinks across the whole archive (a link may pass
// through a symlink of another fragment). While copying it checks each local header against the index and
// the fragment length; it does not re-verify CRCs of the data.
// No fragments give a valid empty archive.
func Assemble(w io.Writer, fragments []Fragment) error {
	var names nameSet
	for _, f := range fragments {
		if f.Index == nil {
			return fmt.Errorf("layerzip: fragment %s has no index", f.Data)
		}
		if err := f.Index.Validate(); err != nil {
			return fmt.Errorf("%w (fragment %s)", err, f.Data)
		}
		for i := range f.Index.Entries {
			if err := names.add(f.Index.Entries[i].Name, f.Data); err != nil {
				return err
			}
		}
	}
	if err := checkFragmentLinks(fragments); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	out := &countWriter{w: bw}
	idx := make([]*FragmentIndex, len(fragments))
	bases := make([]uint64, len(fragments))
	for i, f := range fragments {
		idx[i], bases[i] = f.Index, uint64(out.n)
		if err := copyFragment(out, f); err != nil {
			return err
		}
	}
	if err := writeCentral(out, idx, bases); err != nil {
		return err
	}
	return bw.Flush()
}

// checkFragmentLinks reads the targets of all symlinks (stored entries)
// from the fragment files and checks that they resolve inside the archive,
// following symlinks of every fragment.
func checkFragmentLinks(fragments []Fragment) error {
	var links []Entry
	from := map[string]string{}
	for _, f := range fragments {
		es, err := fragmentLinks(f)
		if err != nil {
			return err
		}
		for _, e := range es {
			from[e.Name] = f.Data
		}
		links = append(links, es...)
	}
	if err := checkLinks(links); err != nil {
		var le *LinkError
		if errors.As(err, &le) {
			le.Path = "in fragment " + from[le.Name] + ": " + le.Name
		}
		return err
	}
	return nil
}

// fragmentLinks returns the symlinks of a fragment with their targets.
func fragmentLinks(f Fragment) ([]Entry, error) {
	var links []Entry
	var file *os.File
	for i := range f.Index.Entries {
		e := &f.Index.Entries[i]
		if e.Mode != sIFLNK|0o777 {
			continue
		}
		if file == nil {
			var err error
			if file, err = os.Open(f.Data); err != nil {
				return nil, fmt.Errorf("layerzip: %w", err)
			}
			defer file.Close()
		}
		target := make([]byte, e.CompressedSize)
		if _, err := file.ReadAt(target, int64(e.Offset+e.localLen())); err != nil {
			return nil, fmt.Errorf("layerzip: fragment %s: %s: %w", f.Data, e.Name, err)
		}
		links = append(links, SymlinkEntry(e.Name, string(target)))
	}
	return links, nil
}

// copyFragment streams the fragment data to out, checking every local
// header against the one the index implies.
func copyFragment(out *countWriter, f Fragment) error {
	file, err := os.Open(f.Data)
	if err != nil {
		return fmt.Errorf("layerzip: %w", err)
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return fmt.Errorf("layerzip: %w", err)
	}
	if uint64(info.Size()) != f.Index.Size {
		return fmt.Errorf("layerzip: fragment %s has %d bytes, its index says %d", f.Data, info.Size(), f.Index.Size)
	}
	br := bufio.NewReaderSize(file, 256<<10)
	var want, got []byte
	for i := range f.Index.Entries {
		e := &f.Index.Entries[i]
		want = appendLocal(want[:0], e)
		got = slices.Grow(got[:0], len(want))[:len(want)]
		if _, err := io.ReadFull(br, got); err != nil {
			return fmt.Errorf("layerzip: fragment %s: %s: %w", f.Data, e.Name, err)
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("layerzip: fragment %s: local header of %s does not match the index", f.Data, e.Name)
		}
		out.Write(got)
		n, err := io.CopyN(out, br, int64(e.CompressedSize))
		if err != nil {
			if n < int64(e.CompressedSize) && out.err == nil {
				return fmt.Errorf("layerzip: fragment %s: %s: data truncated: %w", f.Data, e.Name, err)
			}
			return err
		}
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return fmt.Errorf("layerzip: fragment %s: data past the last entry", f.Data)
	}
	return out.err
}

// writeCentral writes the central directory for the fragments whose data
// starts at bases, then the end records.
func writeCentral(out *countWriter, frags []*FragmentIndex, bases []uint64) error {
	start := out.n
	var count uint64
	buf := make([]byte, 0, 1024)
	for i, x := range frags {
		for k := range x.Entries {
			e := &x.Entries[k]
			buf = appendCentral(buf[:0], e, bases[i]+e.Offset)
			out.Write(buf)
			count++
		}
	}
	size := uint64(out.n - start)
	out.Write(appendEnd(buf[:0], count, size, uint64(start)))
	return out.err
}
