package helper

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/geolayer/geolayer/internal/helperapi"
)

// A failed step writes its cause over the reserved bytes, cut to its
// length; the reservation is in place while the step runs.
func TestCauseFileReservedAndWritten(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cause")
	t.Setenv(helperapi.CauseFileEnv, p)
	c := reserveCause()
	if st, err := os.Stat(p); err != nil || st.Size() != causeReserve {
		t.Fatalf("while the step runs the cause file has %v bytes (%v), want %d reserved", st, err, causeReserve)
	}
	c.write(fmt.Errorf("install x: %w", syscall.ENOSPC))
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "install x: no space left on device\n" {
		t.Errorf("cause file: %q", got)
	}
	var stderr bytes.Buffer
	if Main([]string{"install"}, &bytes.Buffer{}, &stderr) != 1 {
		t.Fatal("install without flags succeeded")
	}
	got, _ = os.ReadFile(p)
	if !strings.Contains(string(got), "helper protocol") {
		t.Errorf("Main's cause file: %q (stderr %q)", got, stderr.String())
	}
}

// A step that succeeds leaves an empty cause file.
func TestCauseFileClearedOnSuccess(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cause")
	t.Setenv(helperapi.CauseFileEnv, p)
	reserveCause().clear()
	if st, err := os.Stat(p); err != nil || st.Size() != 0 {
		t.Fatalf("after a success the cause file is %v (%v), want empty", st, err)
	}
}

// A full disk is named as such, with what to do.
func TestExplainDiskFull(t *testing.T) {
	err := explainDiskFull(&os.PathError{Op: "write", Path: "/out/x", Err: syscall.ENOSPC})
	if !strings.Contains(err.Error(), "write /out/x: no space left on device (the builder's disk is full") {
		t.Errorf("got %v", err)
	}
	if other := fmt.Errorf("bad"); explainDiskFull(other) != other {
		t.Error("another error was changed")
	}
}
