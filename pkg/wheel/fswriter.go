package wheel

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// fileInfo describes one installed file or symlink.
type fileInfo struct {
	path   string // relative to root, '/'-separated
	size   int64
	mode   fs.FileMode
	sha256 []byte
}

// fsWriter creates files below root without ever following a symlink below
// root, remembers what it created (for cleanup and for RECORD) and applies
// the fixed modes and mtimes.
type fsWriter struct {
	root         string
	mtime        time.Time
	dirs         map[string]bool // verified real directories, relative to root
	files        map[string]*fileInfo
	createdRoot  bool
	createdDirs  []string // relative, in creation order
	createdFiles []string // relative, in creation order
	overwritten  []string
}

func newFSWriter(root string, mtime time.Time) *fsWriter {
	return &fsWriter{root: root, mtime: mtime, dirs: map[string]bool{".": true}, files: map[string]*fileInfo{}}
}

func (w *fsWriter) abs(rel string) string {
	return filepath.Join(w.root, filepath.FromSlash(rel))
}

// init makes sure root exists and is a directory.
func (w *fsWriter) init() error {
	st, err := os.Stat(w.root)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(w.root, 0o755); err != nil {
			return err
		}
		w.createdRoot = true
		return nil
	}
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("install root %s is not a directory", w.root)
	}
	return nil
}

// mkdirAll creates rel and its parents below root, refusing to traverse
// symlinks or non-directories.
func (w *fsWriter) mkdirAll(rel string) error {
	if w.dirs[rel] {
		return nil
	}
	if parent := path.Dir(rel); !w.dirs[parent] {
		if err := w.mkdirAll(parent); err != nil {
			return err
		}
	}
	p := w.abs(rel)
	st, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Mkdir(p, 0o755); err != nil {
			return err
		}
		w.createdDirs = append(w.createdDirs, rel)
	case err != nil:
		return err
	case st.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%w: path %s traverses a symlink", ErrUnsafe, rel)
	case !st.IsDir():
		return fmt.Errorf("%w: %s exists and is not a directory", ErrUnsafe, rel)
	}
	w.dirs[rel] = true
	return nil
}

// prepare readies rel for creation: parents exist and are real
// directories, nothing was installed there yet, and an existing regular
// file is removed (recorded as overwritten); symlinks and directories in
// the way are refused.
func (w *fsWriter) prepare(rel string) (string, error) {
	if w.files[rel] != nil {
		return "", fmt.Errorf("%w: two members install to %s", ErrUnsafe, rel)
	}
	if w.dirs[rel] {
		return "", fmt.Errorf("%w: %s is a directory", ErrUnsafe, rel)
	}
	if err := w.mkdirAll(path.Dir(rel)); err != nil {
		return "", err
	}
	p := w.abs(rel)
	st, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return p, nil
	case err != nil:
		return "", err
	case st.Mode()&fs.ModeSymlink != 0:
		return "", fmt.Errorf("%w: refusing to replace existing symlink %s", ErrUnsafe, rel)
	case !st.Mode().IsRegular():
		return "", fmt.Errorf("%w: %s exists and is not a regular file", ErrUnsafe, rel)
	}
	if err := os.Remove(p); err != nil {
		return "", err
	}
	w.overwritten = append(w.overwritten, rel)
	return p, nil
}

// create opens a new file at rel for writing.
func (w *fsWriter) create(rel string) (*os.File, error) {
	p, err := w.prepare(rel)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	w.createdFiles = append(w.createdFiles, rel)
	return f, nil
}

// commit closes f (created by create) and fixes its mode and mtime.
func (w *fsWriter) commit(rel string, f *os.File, size int64, mode fs.FileMode, sum []byte) error {
	if err := f.Close(); err != nil {
		return err
	}
	p := w.abs(rel)
	if err := os.Chmod(p, mode); err != nil {
		return err
	}
	if err := os.Chtimes(p, w.mtime, w.mtime); err != nil {
		return err
	}
	w.files[rel] = &fileInfo{path: rel, size: size, mode: mode, sha256: sum}
	return nil
}

// writeFile installs a small generated file.
func (w *fsWriter) writeFile(rel string, data []byte, mode fs.FileMode) error {
	f, err := w.create(rel)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	sum := sha256.Sum256(data)
	return w.commit(rel, f, int64(len(data)), mode, sum[:])
}

// symlink creates a symlink at rel. target must have passed
// checkSymlinkTarget; additionally it must not lead through a symlink
// below root that this installation did not create.
func (w *fsWriter) symlink(rel, target string) error {
	resolved := path.Join(path.Dir(rel), target)
	if resolved != "." {
		walked := ""
		for _, c := range strings.Split(resolved, "/") {
			walked = path.Join(walked, c)
			if w.dirs[walked] || w.files[walked] != nil {
				continue
			}
			st, err := os.Lstat(w.abs(walked))
			if err != nil {
				break // does not exist (yet)
			}
			if st.Mode()&fs.ModeSymlink != 0 {
				return fmt.Errorf("%w: symlink %s -> %s leads through pre-existing symlink %s", ErrUnsafe, rel, target, walked)
			}
		}
	}
	p, err := w.prepare(rel)
	if err != nil {
		return err
	}
	if err := os.Symlink(target, p); err != nil {
		return err
	}
	w.createdFiles = append(w.createdFiles, rel)
	if err := lchtimes(p, w.mtime); err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(target))
	w.files[rel] = &fileInfo{path: rel, size: int64(len(target)), mode: fs.ModeSymlink | 0o777, sha256: sum[:]}
	return nil
}

// finish gives every directory below root that holds installed content
// mode 0755 and the fixed mtime. It runs after all files are written, as
// creating entries updates a directory's mtime.
func (w *fsWriter) finish() error {
	dirs := make([]string, 0, len(w.dirs))
	for d := range w.dirs {
		if d != "." {
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		p := w.abs(d)
		if err := os.Chmod(p, 0o755); err != nil {
			return err
		}
		if err := os.Chtimes(p, w.mtime, w.mtime); err != nil {
			return err
		}
	}
	return nil
}

// cleanup removes what this installation created, newest first (best
// effort; overwritten files are not restored).
func (w *fsWriter) cleanup() {
	for i := len(w.createdFiles) - 1; i >= 0; i-- {
		_ = os.Remove(w.abs(w.createdFiles[i]))
	}
	for i := len(w.createdDirs) - 1; i >= 0; i-- {
		_ = os.Remove(w.abs(w.createdDirs[i]))
	}
	if w.createdRoot {
		_ = os.Remove(w.root)
	}
}
