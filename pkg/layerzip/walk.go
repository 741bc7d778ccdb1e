package layerzip

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// WalkDir collects the tree under root as entries named prefix + the path
// relative to root ('/' separated), sorted by name in byte order. Regular
// files and symlinks become entries; directories only when empty (their
// names end in '/'). Symlinks are not followed: they stay symlinks and must
// resolve inside the archive (relative to the archive root, so prefix
// counts). Devices, FIFOs and sockets are errors naming the file.
//
// prefix is "" or a relative directory path such as "python/" (a missing
// trailing '/' is added). File contents are read later, when the entries are
// written.
func WalkDir(root, prefix string) ([]Entry, error) {
	prefix, err := normPrefix(prefix)
	if err != nil {
		return nil, err
	}
	info, err := os.Lstat(root)
	if err != nil {
		return nil, fmt.Errorf("layerzip: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("layerzip: %s: not a directory", root)
	}
	var entries []Entry
	if err := walk(root, prefix, &entries); err != nil {
		return nil, err
	}
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	if err := checkLinks(entries); err != nil {
		var le *LinkError
		if errors.As(err, &le) {
			le.Path = filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(le.Name, prefix)))
		}
		return nil, err
	}
	return entries, nil
}

// walk appends the entries below dir (archive name prefix) to out.
func walk(dir, prefix string, out *[]Entry) error {
	des, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("layerzip: %w", err)
	}
	for _, de := range des {
		p := filepath.Join(dir, de.Name())
		name := prefix + de.Name()
		info, err := de.Info()
		if err != nil {
			return fmt.Errorf("layerzip: %w", err)
		}
		var e Entry
		switch mode := info.Mode(); {
		case mode.IsDir():
			n := len(*out)
			if err := walk(p, name+"/", out); err != nil {
				return err
			}
			if len(*out) > n {
				continue // not empty: extractors create it for its children
			}
			e = DirEntry(name)
		case mode.Type() == fs.ModeSymlink:
			target, err := os.Readlink(p)
			if err != nil {
				return fmt.Errorf("layerzip: %w", err)
			}
			e = SymlinkEntry(name, filepath.ToSlash(target))
		case mode.IsRegular():
			e = FileEntry(name, mode.Perm(), info.Size(), func() (io.ReadCloser, error) { return os.Open(p) })
		default:
			return fmt.Errorf("layerzip: %s: unsupported file type %v", p, mode.Type())
		}
		if err := e.check(); err != nil {
			return fmt.Errorf("%w (file %s)", err, p)
		}
		*out = append(*out, e)
	}
	return nil
}

// normPrefix validates prefix and makes it end in '/' unless empty.
func normPrefix(prefix string) (string, error) {
	if prefix == "" {
		return "", nil
	}
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	if err := checkName(prefix, true); err != nil {
		return "", fmt.Errorf("prefix: %w", err)
	}
	return prefix, nil
}
