// Package unpack is what `geolayer check` unpacks, confined to a
// directory it is given and capped in size: a layer zip (LayerZip), a
// runtime image's file system from a tar stream (Rootfs) or pulled from a
// registry (PullRootfs). Input is hostile: nothing is written outside the
// directory (os.Root), and entries that would be are refused (zip) or
// skipped and reported (image).
package unpack

import (
	"errors"
	"io"
	"io/fs"
	"os"
)

// errTooLarge is returned when an archive unpacks to more than its cap.
var errTooLarge = errors.New("too large")

// writeFile creates name under root (it must not exist) with the contents
// of src, at most budget bytes, and mode perm; it returns the bytes written.
func writeFile(root *os.Root, name string, src io.Reader, perm fs.FileMode, budget int64) (int64, error) {
	w, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(w, io.LimitReader(src, budget+1))
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > budget {
		err = errTooLarge
	}
	if err == nil {
		err = root.Chmod(name, perm) // not subject to the umask
	}
	return n, err
}
