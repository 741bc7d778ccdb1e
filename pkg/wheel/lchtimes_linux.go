//go:build linux

package wheel

import (
	"io/fs"
	"syscall"
	"time"
	"unsafe"
)

const (
	atFDCWD           = -0x64
	atSymlinkNofollow = 0x100
)

// lchtimes sets the access and modification times of a symlink itself
// (utimensat with AT_SYMLINK_NOFOLLOW).
func lchtimes(path string, t time.Time) error {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return err
	}
	ts := [2]syscall.Timespec{syscall.NsecToTimespec(t.UnixNano()), syscall.NsecToTimespec(t.UnixNano())}
	fd := atFDCWD
	_, _, errno := syscall.Syscall6(syscall.SYS_UTIMENSAT, uintptr(fd),
		uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&ts)), atSymlinkNofollow, 0, 0)
	if errno != 0 {
		return &fs.PathError{Op: "lchtimes", Path: path, Err: errno}
	}
	return nil
}
