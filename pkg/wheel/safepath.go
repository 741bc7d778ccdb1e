package wheel

import (
	"archive/zip"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// Error categories; errors returned by Install wrap one of these where they
// apply, so callers can use errors.Is.
var (
	// ErrUnsafe marks archive members refused for safety: absolute or
	// escaping paths, backslashes, NUL, duplicates, paths through symlinks,
	// symlinks leaving the install root, special files.
	ErrUnsafe = errors.New("unsafe wheel entry")
	// ErrRecord marks RECORD verification failures: unlisted members,
	// missing, weak or unsupported hashes, hash or size mismatches.
	ErrRecord = errors.New("RECORD verification failed")
	// ErrTooLarge marks decompression limit violations.
	ErrTooLarge = errors.New("decompression limit exceeded")
)

// checkRelPath validates a '/'-separated relative path: non-empty, no NUL,
// no backslash, not absolute (nor a drive letter), no empty, "." or ".."
// components.
func checkRelPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case strings.IndexByte(p, 0) >= 0:
		return errors.New("path contains NUL")
	case !utf8.ValidString(p):
		return errors.New("path is not valid UTF-8")
	case strings.IndexByte(p, '\\') >= 0:
		return errors.New("path contains a backslash")
	case strings.HasPrefix(p, "/"):
		return errors.New("path is absolute")
	case len(p) >= 2 && p[1] == ':' && (p[0]|0x20 >= 'a' && p[0]|0x20 <= 'z'):
		return errors.New("path starts with a drive letter")
	}
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "..":
			return errors.New("path contains '..'")
		case "", ".":
			return errors.New("path is not clean (empty or '.' component)")
		}
	}
	return nil
}

// checkEntryName validates an archive member name (directories may end in
// a single '/').
func checkEntryName(name string) error {
	if err := checkRelPath(strings.TrimSuffix(name, "/")); err != nil {
		return fmt.Errorf("%w %q: %v", ErrUnsafe, name, err)
	}
	return nil
}

// Unix file type bits as stored in the high 16 bits of ExternalAttrs.
const (
	sIFMT  = 0o170000
	sIFREG = 0o100000
	sIFDIR = 0o040000
	sIFLNK = 0o120000
)

// classifyEntry decides what an archive member is from its raw Unix mode
// (whatever the creator system, as pip does) and its name, and whether a
// regular file carries an exec bit.
func classifyEntry(f *zip.File) (kind entryKind, exec bool, err error) {
	unix := f.ExternalAttrs >> 16
	dirName := strings.HasSuffix(f.Name, "/")
	switch unix & sIFMT {
	case 0:
		if dirName || f.Mode().IsDir() {
			return kindDir, false, nil
		}
		return kindFile, false, nil
	case sIFREG:
		if dirName {
			return kindDir, false, nil
		}
		return kindFile, unix&0o111 != 0, nil
	case sIFDIR:
		return kindDir, false, nil
	case sIFLNK:
		if dirName {
			return 0, false, fmt.Errorf("%w %q: symlink entry with a directory name", ErrUnsafe, f.Name)
		}
		return kindSymlink, false, nil
	}
	return 0, false, fmt.Errorf("%w %q: special file (mode %#o)", ErrUnsafe, f.Name, unix)
}

// checkSymlinkTarget accepts only clean relative targets that, resolved
// from the link's directory (linkDest is relative to the install root),
// stay inside the install root. Because targets must be clean, any ".."
// is leading and climbs real directories (the link's own parents are
// checked not to be symlinks), so the lexical check is also the physical
// one.
func checkSymlinkTarget(linkDest, target string) error {
	switch {
	case target == "":
		return errors.New("empty symlink target")
	case strings.IndexByte(target, 0) >= 0:
		return errors.New("symlink target contains NUL")
	case strings.IndexByte(target, '\\') >= 0:
		return fmt.Errorf("symlink target %q contains a backslash", target)
	case strings.HasPrefix(target, "/"):
		return fmt.Errorf("symlink target %q is absolute", target)
	case path.Clean(target) != target:
		return fmt.Errorf("symlink target %q is not a clean relative path", target)
	}
	resolved := path.Join(path.Dir(linkDest), target)
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return fmt.Errorf("symlink target %q points outside the install root", target)
	}
	return nil
}
