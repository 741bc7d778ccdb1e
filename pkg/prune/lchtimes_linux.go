//go:build linux

package prune

import (
	"os"
	"syscall"
	"time"
	"unsafe"
)

// lchtimes sets a symlink's own access and modification times to t:
// utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW).
func lchtimes(name string, t time.Time) error {
	const (
		atFDCWD           = -100
		atSymlinkNoFollow = 0x100
	)
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return err
	}
	ts := syscall.NsecToTimespec(t.UnixNano())
	times := [2]syscall.Timespec{ts, ts}
	dirfd := atFDCWD
	if _, _, e := syscall.Syscall6(syscall.SYS_UTIMENSAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
		uintptr(unsafe.Pointer(&times[0])), atSymlinkNoFollow, 0, 0); e != 0 {
		return &os.PathError{Op: "utimensat", Path: name, Err: e}
	}
	return nil
}
