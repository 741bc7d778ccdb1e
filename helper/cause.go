package helper

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/geolayer/geolayer/internal/helperapi"
)

// causeReserve is how much of the cause file is allocated when the helper
// starts: a step that fails because the disk is full must still be able
// to say so (the frontend reads 8 KiB of it).
const causeReserve = 8 << 10

type causeFile struct{ f *os.File }

// reserveCause creates the cause file, when asked for one, and fills it
// with causeReserve spaces (which the frontend trims), so that its blocks
// are allocated before the step can fill the disk.
func reserveCause() causeFile {
	name := os.Getenv(helperapi.CauseFileEnv)
	if name == "" {
		return causeFile{}
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return causeFile{}
	}
	_, _ = f.Write([]byte(strings.Repeat(" ", causeReserve))) // best effort: the step runs anyway
	return causeFile{f}
}

// write puts err over the reserved bytes and cuts the file to its length.
func (c causeFile) write(err error) {
	if c.f == nil {
		return
	}
	msg := []byte(err.Error() + "\n")
	if _, werr := c.f.WriteAt(msg, 0); werr == nil {
		_ = c.f.Truncate(int64(len(msg)))
	}
	_ = c.f.Close()
}

// clear empties the cause file of a step that succeeded.
func (c causeFile) clear() {
	if c.f == nil {
		return
	}
	_ = c.f.Truncate(0)
	_ = c.f.Close()
}

// explainDiskFull adds what to do to an error caused by a full disk: the
// helper writes into the builder's state directory (its snapshots).
func explainDiskFull(err error) error {
	if errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), "no space left on device") {
		return fmt.Errorf("%w (the builder's disk is full: free space in BuildKit's state directory, e.g. with `docker buildx prune` or `buildctl prune`, or give the builder a larger disk)", err)
	}
	return err
}
