package unpack

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// maxZipEntries bounds the number of entries of a layer zip.
const maxZipEntries = 1 << 20

// LayerZip unpacks a layer zip into dest, an empty directory. It
// refuses archives that are not a plain tree inside dest: absolute names,
// ".." components, symbolic links with absolute targets or that resolve
// outside the layer, special files, duplicate entries, more than limit
// bytes. File and directory modes are kept (owners can always read files
// and enter and write directories, so that the checker can read them and
// the directory can be removed).
func LayerZip(ctx context.Context, file, dest string, limit int64) error {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return fmt.Errorf("layer %s: %w", file, err)
	}
	defer func() { _ = zr.Close() }()
	if len(zr.File) > maxZipEntries {
		return fmt.Errorf("layer %s: refused: more than %d entries", file, maxZipEntries)
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return err
	}
	defer func() { _ = root.Close() }()
	refuse := func(f *zip.File, format string, a ...any) error {
		return fmt.Errorf("layer %s: refused entry %q: %s", file, f.Name, fmt.Sprintf(format, a...))
	}
	type dirMode struct {
		name string
		perm fs.FileMode
	}
	var dirs []dirMode
	var links []*zip.File
	linkNames := map[*zip.File]string{}
	seen := map[string]bool{}
	var total int64
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		name, err := zipEntryName(f.Name)
		if err != nil {
			return refuse(f, "%v", err)
		}
		mode := f.Mode()
		if name == "." {
			if mode.IsDir() {
				continue // "./"
			}
			return refuse(f, "not a file name")
		}
		if seen[name] {
			return refuse(f, "duplicate entry")
		}
		seen[name] = true
		if parent := path.Dir(name); parent != "." {
			if err := root.MkdirAll(parent, 0o755); err != nil {
				return refuse(f, "%v", err)
			}
		}
		switch {
		case mode.IsDir():
			if err := root.MkdirAll(name, 0o755); err != nil {
				return refuse(f, "%v", err)
			}
			dirs = append(dirs, dirMode{name, mode.Perm()})
		case mode&fs.ModeSymlink != 0:
			target, err := readZipSmall(f, 4096)
			if err != nil {
				return refuse(f, "%v", err)
			}
			switch {
			case target == "":
				return refuse(f, "empty symbolic link")
			case path.IsAbs(target):
				return refuse(f, "symbolic link to an absolute path (%s): the layer must be self-contained", target)
			case strings.IndexByte(target, 0) >= 0:
				return refuse(f, "NUL in the link target")
			}
			if err := root.Symlink(target, name); err != nil {
				return refuse(f, "%v", err)
			}
			links = append(links, f)
			linkNames[f] = name
		case mode.Type() == 0:
			r, err := f.Open()
			if err != nil {
				return refuse(f, "%v", err)
			}
			n, err := writeFile(root, name, r, mode.Perm()|0o400, limit-total)
			_ = r.Close()
			total += n
			if errors.Is(err, errTooLarge) {
				return fmt.Errorf("layer %s: refused: unpacks to more than %d bytes", file, limit)
			}
			if err != nil {
				return refuse(f, "%v", err)
			}
		default:
			return refuse(f, "special file (%v)", mode.Type())
		}
	}
	// With the tree complete, every link must resolve inside it (links
	// through other links included).
	for _, f := range links {
		if linkEscapes(dest, linkNames[f]) {
			return refuse(f, "symbolic link that resolves outside the layer")
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := root.Chmod(dirs[i].name, dirs[i].perm|0o700); err != nil {
			return err
		}
	}
	return nil
}

// zipEntryName validates a zip entry name and returns it cleaned.
func zipEntryName(n string) (string, error) {
	switch {
	case n == "":
		return "", errors.New("empty name")
	case strings.HasPrefix(n, "/"):
		return "", errors.New("absolute path")
	case strings.IndexByte(n, 0) >= 0:
		return "", errors.New("NUL in the name")
	}
	for _, c := range strings.Split(n, "/") {
		if c == ".." {
			return "", errors.New(`".." in the path`)
		}
	}
	return path.Clean(n), nil
}

// readZipSmall reads an entry of at most max bytes (a link target).
func readZipSmall(f *zip.File, max int64) (string, error) {
	r, err := f.Open()
	if err != nil {
		return "", err
	}
	defer func() { _ = r.Close() }()
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return "", err
	}
	if int64(len(b)) > max {
		return "", errors.New("link target too long")
	}
	return string(b), nil
}

// linkEscapes reports whether the symbolic link link (slash-separated,
// relative to root) resolves to a place outside root, following further
// links inside root and treating ".." physically, as the kernel does.
// Links with absolute targets escape; loops do not (they resolve to
// nothing).
func linkEscapes(root, link string) bool {
	host := func(comps []string) string {
		return filepath.Join(append([]string{root}, comps...)...)
	}
	var cur []string // the resolved directory, no component a link
	if d := path.Dir(link); d != "." {
		cur = strings.Split(d, "/")
	}
	target, err := os.Readlink(host(strings.Split(link, "/")))
	if err != nil || path.IsAbs(target) {
		return true
	}
	rest := strings.Split(target, "/")
	hops := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return true
			}
			cur = cur[:len(cur)-1]
			continue
		}
		next := append(cur[:len(cur):len(cur)], c)
		fi, err := os.Lstat(host(next))
		if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			if hops++; hops > 40 {
				return false
			}
			t, err := os.Readlink(host(next))
			if err != nil || path.IsAbs(t) {
				return true
			}
			rest = append(strings.Split(t, "/"), rest...)
			continue
		}
		// Missing names and files are followed lexically: conservative.
		cur = next
	}
	return false
}
