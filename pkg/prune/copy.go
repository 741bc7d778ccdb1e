package prune

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Copy copies the tree at src to dst without the files m removes, and
// returns the plan it followed (see Plan). It preserves permission bits
// (including setuid, setgid and sticky), modification times and symlinks
// (copied as links with the same target text, never followed); hard links
// become separate files, and ownership is not copied. Directories that
// pruning leaves empty are not created; directories that were already
// empty in src are. dst is created when missing (then it also gets src's
// mode and mtime); an existing dst must be a directory, and must not hold
// any of the entries being copied. src is only read.
func Copy(src, dst string, m *Matcher) (*Result, error) {
	res, entries, err := plan(src, m)
	if err != nil {
		return nil, err
	}
	created := false
	switch fi, err := os.Lstat(dst); {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dst, 0o700); err != nil {
			return nil, err
		}
		created = true
	case err != nil:
		return nil, err
	case !fi.IsDir():
		return nil, fmt.Errorf("prune: copy destination %s is not a directory", dst)
	}
	for _, e := range entries {
		if e.rel == "" || e.remove {
			continue
		}
		from := filepath.Join(src, filepath.FromSlash(e.rel))
		to := filepath.Join(dst, filepath.FromSlash(e.rel))
		switch e.kind {
		case fs.ModeDir:
			// Owner-writable until its contents are in; the real mode is
			// set afterwards.
			if err := os.Mkdir(to, 0o700); err != nil {
				return nil, err
			}
		case fs.ModeSymlink:
			if err := os.Symlink(e.target, to); err != nil {
				return nil, err
			}
			if err := lchtimes(to, e.mtime); err != nil {
				return nil, err
			}
		default:
			if err := copyFile(from, to, e.mode, e.mtime); err != nil {
				return nil, err
			}
		}
	}
	// Directory modes and times last, deepest first, so that creating
	// entries does not touch them again.
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.kind != fs.ModeDir || e.remove || (e.rel == "" && !created) {
			continue
		}
		to := filepath.Join(dst, filepath.FromSlash(e.rel))
		if err := os.Chmod(to, permBits(e.mode)); err != nil {
			return nil, err
		}
		if err := os.Chtimes(to, e.mtime, e.mtime); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func permBits(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

func copyFile(from, to string, mode fs.FileMode, mtime time.Time) (err error) {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return fmt.Errorf("prune: copying %s: %w", from, err)
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Chmod(to, permBits(mode)); err != nil {
		return err
	}
	return os.Chtimes(to, mtime, mtime)
}
