package layerzip

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
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
//
// Assemble is AssembleWith without deduplication, except that it keeps the
// fragment order given (callers sort with SortFragments).
func Assemble(w io.Writer, fragments []Fragment) error {
	_, err := assembleFrags(w, fragments, AssembleOptions{})
	return err
}

// AssembleWith is Assemble with options (deduplication, see
// AssembleOptions) and a result: sizes, deduplication statistics and
// near-duplicate libraries. It sorts (a copy of) fragments with
// SortFragments first, so the output does not depend on the order they
// are listed in.
//
// A deduplicated file's local header and data are skipped while copying
// its fragment and a symlink entry (same name, flags and time) is written
// in its place, so the archive is exactly what WriteTree writes for the
// tree in which the duplicates are those symlinks. Nothing is
// recompressed; fragment data is read once, sequentially (skipped ranges
// are seeked over).
func AssembleWith(w io.Writer, fragments []Fragment, opts AssembleOptions) (*AssembleResult, error) {
	frags := slices.Clone(fragments)
	SortFragments(frags)
	return assembleFrags(w, frags, opts)
}

func assembleFrags(w io.Writer, fragments []Fragment, opts AssembleOptions) (*AssembleResult, error) {
	res, links, dropped, err := planAssembly(fragments, opts)
	if err != nil {
		return nil, err
	}
	if err := checkFragmentLinks(fragments, links); err != nil {
		return nil, err
	}
	res.NearDuplicates = nearDuplicates(fragments, links, dropped)

	bw := bufio.NewWriterSize(w, 256<<10)
	out := &countWriter{w: bw}
	for _, f := range fragments {
		if err := copyFragment(out, f, links, dropped); err != nil {
			return nil, err
		}
	}
	records := assemblyRecords(fragments, links, dropped)
	for e := range records {
		res.Entries++
		res.Unzipped += e.UncompressedSize
	}
	if err := writeCentral(out, records); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	res.Size = uint64(out.n)
	return res, nil
}

// planAssembly validates the fragments (indexes, names across fragments)
// and plans deduplication: everything about the archive that the indexes
// decide, before any fragment data is read.
func planAssembly(fragments []Fragment, opts AssembleOptions) (*AssembleResult, map[string]*dedupLink, dropSet, error) {
	var names nameSet
	res := &AssembleResult{}
	var dropped dropSet
	// with MergeIdentical: the first copy of each name, and its fragment
	type firstCopy struct {
		e    *IndexEntry
		frag *Fragment
	}
	var first map[string]firstCopy
	if opts.MergeIdentical {
		dropped, first = dropSet{}, map[string]firstCopy{}
	}
	for fi := range fragments {
		f := &fragments[fi]
		if f.Index == nil {
			return nil, nil, nil, fmt.Errorf("layerzip: fragment %s has no index", f.Data)
		}
		if err := f.Index.Validate(); err != nil {
			return nil, nil, nil, fmt.Errorf("%w (fragment %s)", err, f.Data)
		}
		for i := range f.Index.Entries {
			e := &f.Index.Entries[i]
			if first != nil {
				if c, ok := first[e.Name]; ok && sameCopy(c.e, c.frag, e, f) {
					dropped[e] = true
					res.Merged = append(res.Merged, MergedEntry{Name: e.Name, Kept: c.frag.Data, Dropped: f.Data})
					continue
				}
				if _, ok := first[e.Name]; !ok {
					first[e.Name] = firstCopy{e, f}
				}
			}
			if err := names.add(e.Name, f.Data); err != nil {
				return nil, nil, nil, err
			}
		}
		if !f.Index.hashed() && len(f.Index.Entries) > 0 {
			res.Unhashed = append(res.Unhashed, f.Data)
		}
	}
	var links map[string]*dedupLink
	if opts.Dedup {
		minSize := opts.DedupMinSize
		if minSize <= 0 {
			minSize = DefaultDedupMinSize
		}
		var err error
		if links, res.Dedup, err = planDedup(fragments, minSize, dropped); err != nil {
			return nil, nil, nil, err
		}
	}
	return res, links, dropped, nil
}

// sameCopy says whether entry b of fragment fb is the same as entry a of
// another fragment fa, so that MergeIdentical may drop b: two regular
// files of hashed fragments with the same mode, size, SHA-256 and CRC-32,
// or two directories with the same mode. Symlinks are never merged.
func sameCopy(a *IndexEntry, fa *Fragment, b *IndexEntry, fb *Fragment) bool {
	if fa.Data == fb.Data || a.Name != b.Name || a.Mode != b.Mode {
		return false
	}
	switch a.Mode & sIFMT {
	case sIFDIR:
		return strings.HasSuffix(a.Name, "/")
	case sIFREG:
		return fa.Index.hashed() && fb.Index.hashed() && a.SHA256 != "" &&
			a.SHA256 == b.SHA256 && a.UncompressedSize == b.UncompressedSize && a.CRC32 == b.CRC32
	}
	return false
}

// assemblyRecords yields the archive's entries in order: the fragments'
// entries, a deduplicated copy replaced by its symlink record, a merged
// copy left out.
func assemblyRecords(fragments []Fragment, links map[string]*dedupLink, dropped dropSet) iter.Seq[*IndexEntry] {
	return func(yield func(*IndexEntry) bool) {
		for _, f := range fragments {
			for i := range f.Index.Entries {
				e := &f.Index.Entries[i]
				if dropped[e] {
					continue
				}
				if l := links[e.Name]; l != nil {
					e = &l.rec
				}
				if !yield(e) {
					return
				}
			}
		}
	}
}

// checkFragmentLinks reads the targets of all symlinks (stored entries)
// from the fragment files and checks that they, and the deduplication
// links, resolve inside the archive, following symlinks of every fragment.
func checkFragmentLinks(fragments []Fragment, dedup map[string]*dedupLink) error {
	var links []Entry
	from := map[string]string{}
	for _, l := range dedup {
		links = append(links, SymlinkEntry(l.rec.Name, l.target))
		from[l.rec.Name] = "(deduplication link)"
	}
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
	var size int64
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
			defer func() { _ = file.Close() }()
			st, err := file.Stat()
			if err != nil {
				return nil, fmt.Errorf("layerzip: %w", err)
			}
			size = st.Size()
		}
		// The index is not trusted to fit the file: allocate no more
		// than the file holds.
		if e.CompressedSize > uint64(size) {
			return nil, fmt.Errorf("layerzip: fragment %s: %s: %d-byte symlink target in a %d-byte file", f.Data, e.Name, e.CompressedSize, size)
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
// header against the one the index implies. Entries named in links are
// replaced by their symlink: header and data skipped, the link written;
// dropped entries (merged) are skipped.
func copyFragment(out *countWriter, f Fragment, links map[string]*dedupLink, dropped dropSet) error {
	file, err := os.Open(f.Data)
	if err != nil {
		return fmt.Errorf("layerzip: %w", err)
	}
	defer func() { _ = file.Close() }()
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
		if dropped[e] {
			if err := skip(br, file, int64(e.CompressedSize)); err != nil {
				return fmt.Errorf("layerzip: fragment %s: %s: %w", f.Data, e.Name, err)
			}
			continue
		}
		if l := links[e.Name]; l != nil {
			if err := skip(br, file, int64(e.CompressedSize)); err != nil {
				return fmt.Errorf("layerzip: fragment %s: %s: %w", f.Data, e.Name, err)
			}
			want = appendLocal(want[:0], &l.rec)
			_, _ = out.Write(want)
			_, _ = io.WriteString(out, l.target)
			continue
		}
		_, _ = out.Write(got)
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

// skip advances br, which reads file, by n bytes: discarding what is
// buffered, seeking past the rest.
func skip(br *bufio.Reader, file *os.File, n int64) error {
	if n <= int64(br.Buffered()) {
		_, err := br.Discard(int(n))
		return err
	}
	n -= int64(br.Buffered())
	_, _ = br.Discard(br.Buffered()) // no error: it discards only what is buffered
	if _, err := file.Seek(n, io.SeekCurrent); err != nil {
		return err
	}
	br.Reset(file)
	return nil
}

// writeCentral writes the central directory for records, whose local
// headers and data were written contiguously from offset 0 of out in this
// order, then the end records.
func writeCentral(out *countWriter, records iter.Seq[*IndexEntry]) error {
	start := out.n
	var count, off uint64
	buf := make([]byte, 0, 1024)
	for e := range records {
		buf = appendCentral(buf[:0], e, off)
		_, _ = out.Write(buf)
		off += e.localLen() + e.CompressedSize
		count++
	}
	if off != uint64(start) {
		return fmt.Errorf("layerzip: internal error: entries end at %d, data at %d", off, start)
	}
	size := uint64(out.n - start)
	_, _ = out.Write(appendEnd(buf[:0], count, size, uint64(start)))
	return out.err
}
