package unpack

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Rootfs unpacks a flattened image file system (a tar stream, whiteouts
// already applied) into dest: directories, regular files, symbolic and hard
// links; device nodes, FIFOs and sockets are left out. It never writes
// outside dest (os.Root): entries that would, and hard links to missing
// files, are skipped and returned. Owners are not kept; modes are, with
// owner read access added.
func Rootfs(ctx context.Context, r io.Reader, dest string, limit int64) (skipped []string, err error) {
	root, err := os.OpenRoot(dest)
	if err != nil {
		return nil, err
	}
	defer func() { _ = root.Close() }()
	tr := tar.NewReader(r)
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return skipped, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return skipped, nil
		}
		if err != nil {
			return skipped, err
		}
		name := path.Clean(strings.TrimLeft(h.Name, "/"))
		if name == "." {
			continue
		}
		if name == ".." || strings.HasPrefix(name, "../") {
			skipped = append(skipped, h.Name)
			continue
		}
		switch h.Typeflag {
		case tar.TypeDir, tar.TypeReg, tar.TypeSymlink, tar.TypeLink:
		default: // device nodes, FIFOs
			continue
		}
		if dir := path.Dir(name); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				skipped = append(skipped, h.Name)
				continue
			}
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = root.MkdirAll(name, 0o755)
		case tar.TypeReg:
			_ = root.Remove(name)
			var n int64
			n, err = writeFile(root, name, tr, fs.FileMode(h.Mode).Perm()|0o400, limit-total)
			total += n
			if errors.Is(err, errTooLarge) {
				return skipped, fmt.Errorf("the file system is larger than %d bytes", limit)
			}
		case tar.TypeSymlink:
			_ = root.Remove(name)
			err = root.Symlink(h.Linkname, name)
		case tar.TypeLink:
			_ = root.Remove(name)
			err = root.Link(path.Clean(strings.TrimLeft(h.Linkname, "/")), name)
		}
		if err != nil {
			skipped = append(skipped, h.Name)
		}
	}
}
