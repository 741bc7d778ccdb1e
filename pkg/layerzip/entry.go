package layerzip

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"unicode/utf8"
)

// Entry is one archive member: a regular file, a symlink or an (empty)
// directory.
type Entry struct {
	// Name is the archive path: '/' separated, no leading '/', no "." or
	// ".." components; directories end in '/'.
	Name string
	// Mode carries the type (0, fs.ModeDir or fs.ModeSymlink) and, for
	// regular files, the permission bits. Modes are normalized when written:
	// files 0644, or 0755 when any execute bit is set; directories 0755;
	// symlinks 0777.
	Mode fs.FileMode
	// Size is the exact content size of a regular file, len(LinkTarget) for
	// a symlink and 0 for a directory. A file whose content does not match
	// Size when read is an error.
	Size int64
	// LinkTarget is the target of a symlink, stored as the entry's data. It
	// must be relative and stay inside the archive.
	LinkTarget string

	open func() (io.ReadCloser, error)
}

// FileEntry returns a regular file entry. open may be called more than once
// (files that do not shrink are read again to be stored) and must return the
// same content each time; a mismatch is detected with the CRC and reported.
// open is not called when size is 0.
func FileEntry(name string, perm fs.FileMode, size int64, open func() (io.ReadCloser, error)) Entry {
	return Entry{Name: name, Mode: perm.Perm(), Size: size, open: open}
}

// SymlinkEntry returns a symlink entry pointing at target.
func SymlinkEntry(name, target string) Entry {
	return Entry{Name: name, Mode: fs.ModeSymlink | 0o777, Size: int64(len(target)), LinkTarget: target}
}

// DirEntry returns a directory entry; a trailing '/' is added if missing.
// Only empty directories need entries: extractors create parents of files.
func DirEntry(name string) Entry {
	if !strings.HasSuffix(name, "/") {
		name += "/"
	}
	return Entry{Name: name, Mode: fs.ModeDir | 0o755}
}

// Open returns the entry's content: the file data, the link target for a
// symlink, nothing for a directory.
func (e Entry) Open() (io.ReadCloser, error) {
	switch e.kind() {
	case kindSymlink:
		return io.NopCloser(strings.NewReader(e.LinkTarget)), nil
	case kindDir:
		return io.NopCloser(strings.NewReader("")), nil
	}
	if e.open == nil {
		return nil, errors.New("entry has no content source")
	}
	return e.open()
}

type kind int

const (
	kindFile kind = iota
	kindDir
	kindSymlink
	kindOther
)

func (e Entry) kind() kind {
	switch e.Mode.Type() {
	case 0:
		return kindFile
	case fs.ModeDir:
		return kindDir
	case fs.ModeSymlink:
		return kindSymlink
	}
	return kindOther
}

// Unix st_mode type bits as stored in the high 16 bits of the external
// attributes.
const (
	sIFREG = 0o100000
	sIFDIR = 0o040000
	sIFLNK = 0o120000
	sIFMT  = 0o170000 // type bits
)

// unixMode is the normalized Unix mode written for the entry.
func (e Entry) unixMode() uint32 {
	switch e.kind() {
	case kindDir:
		return sIFDIR | 0o755
	case kindSymlink:
		return sIFLNK | 0o777
	}
	if e.Mode&0o111 != 0 {
		return sIFREG | 0o755
	}
	return sIFREG | 0o644
}

// check validates the entry's name, type and size.
func (e Entry) check() error {
	k := e.kind()
	if k == kindOther {
		return fmt.Errorf("layerzip: %s: unsupported file type %v", e.Name, e.Mode.Type())
	}
	if err := checkName(e.Name, k == kindDir); err != nil {
		return err
	}
	switch k {
	case kindDir:
		if e.Size != 0 {
			return fmt.Errorf("layerzip: %s: directory with size %d", e.Name, e.Size)
		}
	case kindSymlink:
		if e.Size != int64(len(e.LinkTarget)) {
			return fmt.Errorf("layerzip: %s: symlink size %d, target has %d bytes", e.Name, e.Size, len(e.LinkTarget))
		}
	default:
		if e.Size < 0 {
			return fmt.Errorf("layerzip: %s: negative size", e.Name)
		}
	}
	return nil
}

var errBadName = errors.New("layerzip: invalid archive name")

// checkName accepts '/'-separated relative UTF-8 names without empty, "."
// or ".." components, backslashes or NUL; directory names end in '/'.
func checkName(name string, dir bool) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", errBadName, name, why) }
	switch {
	case name == "":
		return bad("empty")
	case len(name) > 0xFFFF:
		return bad("longer than 65535 bytes")
	case !utf8.ValidString(name):
		return bad("not valid UTF-8")
	case strings.ContainsAny(name, "\x00\\"):
		return bad("contains NUL or backslash")
	case name[0] == '/':
		return bad("absolute")
	case dir != strings.HasSuffix(name, "/"):
		if dir {
			return bad("directory name must end in '/'")
		}
		return bad("only directory names end in '/'")
	}
	for _, c := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
		if c == "" || c == "." || c == ".." {
			return bad("empty, '.' or '..' component")
		}
	}
	return nil
}

// isASCII reports whether the UTF-8 flag (general purpose bit 11) is not
// needed for name.
func isASCII(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
