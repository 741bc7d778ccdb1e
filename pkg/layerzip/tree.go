package layerzip

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// WriteArchive writes a complete archive of entries (sorted by name) to w:
// one fragment followed by its central directory, streaming. The bytes equal
// those of WriteFragment + Assemble on the same entries and Options.
func WriteArchive(w io.Writer, entries []Entry, opts Options) error {
	st, err := opts.resolve()
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	out := &countWriter{w: bw}
	idx, err := writeFragment(out, entries, &st)
	if err != nil {
		return err
	}
	if err := writeCentral(out, idx.records); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteTree writes the tree under root, named below prefix (see WalkDir),
// as a complete archive to w.
func WriteTree(w io.Writer, root, prefix string, opts Options) error {
	if _, err := opts.resolve(); err != nil {
		return err
	}
	entries, err := WalkDir(root, prefix)
	if err != nil {
		return err
	}
	return WriteArchive(w, entries, opts)
}

// WriteFragmentFile writes entries as a fragment to path and its index to
// path+IndexSuffix. On error neither file is left behind.
func WriteFragmentFile(path string, entries []Entry, opts Options) (f Fragment, err error) {
	defer func() {
		if err != nil {
			_ = os.Remove(path)
			_ = os.Remove(path + IndexSuffix)
		}
	}()
	data, err := os.Create(path)
	if err != nil {
		return f, fmt.Errorf("layerzip: %w", err)
	}
	idx, err := WriteFragment(data, entries, opts)
	if cerr := data.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("layerzip: %w", cerr)
	}
	if err != nil {
		return f, err
	}
	ixf, err := os.Create(path + IndexSuffix)
	if err != nil {
		return f, fmt.Errorf("layerzip: %w", err)
	}
	_, err = idx.WriteTo(ixf)
	err = errors.Join(err, ixf.Close())
	if err != nil {
		return f, fmt.Errorf("layerzip: %s: %w", path+IndexSuffix, err)
	}
	return Fragment{Data: path, Index: idx}, nil
}

// LoadFragment reads the index of the fragment at path from
// path+IndexSuffix.
func LoadFragment(path string) (Fragment, error) {
	ixf, err := os.Open(path + IndexSuffix)
	if err != nil {
		return Fragment{}, fmt.Errorf("layerzip: %w", err)
	}
	defer func() { _ = ixf.Close() }()
	idx, err := ReadFragmentIndex(ixf)
	if err != nil {
		return Fragment{}, fmt.Errorf("%w (%s)", err, ixf.Name())
	}
	return Fragment{Data: path, Index: idx}, nil
}
