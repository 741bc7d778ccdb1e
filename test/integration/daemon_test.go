//go:build integration

package integration

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testDaemon is a throwaway buildkitd with its own state dir and socket,
// the dev world's registry mirrors and only the given platforms. It can be
// killed (SIGKILL) and started again on the same state.
type testDaemon struct {
	root, cfg, addr string
	env             []string
	cmd             *exec.Cmd
	logf            *os.File
}

// newTestDaemon starts one; it is killed and removed when the test ends.
// Without emulation its worker lists only the host's own platform.
func newTestDaemon(t *testing.T, plats []string, noEmulation bool) *testDaemon {
	t.Helper()
	return newSmallDiskDaemon(t, plats, noEmulation, "")
}

// newSmallDiskDaemon is newTestDaemon with its state directory (snapshots,
// content, the helper steps' outputs) on a tmpfs of stateSize ("512m"), as
// a builder with a small disk: "" for no such limit.
func newSmallDiskDaemon(t *testing.T, plats []string, noEmulation bool, stateSize string) *testDaemon {
	t.Helper()
	root, err := os.MkdirTemp(env.devHome, "test-buildkitd-")
	if err != nil {
		t.Fatal(err)
	}
	d := &testDaemon{root: root, addr: "unix://" + filepath.Join(root, "buildkitd.sock")}
	state := filepath.Join(root, "state")
	if stateSize != "" {
		if err := os.MkdirAll(state, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+stateSize, "tmpfs", state).CombinedOutput(); err != nil {
			t.Fatalf("mounting a %s tmpfs as the daemon's state: %v\n%s", stateSize, err, out)
		}
	}
	cfg, err := os.ReadFile(filepath.Join(env.devHome, "buildkitd.toml"))
	if err != nil {
		t.Fatal(err)
	}
	// Same mirrors; a fresh root and socket; restricted platforms.
	var b bytes.Buffer
	for _, line := range strings.Split(string(cfg), "\n") {
		switch {
		case strings.HasPrefix(line, "root ="):
			fmt.Fprintf(&b, "root = %q\n", state)
		case strings.HasPrefix(strings.TrimSpace(line), "address ="):
			fmt.Fprintf(&b, "  address = [%q]\n", d.addr)
		case strings.TrimSpace(line) == "[worker.oci]":
			b.WriteString(line + "\n")
			fmt.Fprintf(&b, "  platforms = [%s]\n", quoteList(plats))
		default:
			b.WriteString(line + "\n")
		}
	}
	d.cfg = filepath.Join(root, "buildkitd.toml")
	if err := os.WriteFile(d.cfg, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if noEmulation {
		// buildkitd finds emulators by running tiny binaries of each
		// architecture from $TMPDIR: on a noexec mount that fails, so the
		// worker lists only the native platform, as on a host without
		// QEMU binfmt handlers (which are global and stay untouched).
		tmp := filepath.Join(root, "noexec-tmp")
		if err := os.MkdirAll(tmp, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "noexec,size=64m", "tmpfs", tmp).CombinedOutput(); err != nil {
			t.Fatalf("mounting a noexec tmpfs for a daemon without emulation: %v\n%s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("umount", "-l", tmp).Run() })
		d.env = append(os.Environ(), "TMPDIR="+tmp)
	}
	t.Cleanup(func() {
		d.kill()
		if t.Failed() {
			// What the daemon said is gone with its state: keep its
			// end in the test's log (a flake is otherwise blind).
			lg, _ := os.ReadFile(filepath.Join(root, "buildkitd.log"))
			t.Logf("%s/buildkitd.log (end):\n%s", root, tail(string(lg), 40))
		}
		if stateSize != "" {
			_ = exec.Command("umount", "-l", state).Run()
		}
		// overlay mounts may linger briefly
		for i := 0; i < 10; i++ {
			if os.RemoveAll(root) == nil {
				return
			}
			time.Sleep(300 * time.Millisecond)
		}
	})
	d.start(t)
	return d
}

// start runs buildkitd on the daemon's state and waits until it answers.
func (d *testDaemon) start(t *testing.T) {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(d.root, "buildkitd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	d.logf = logf
	d.cmd = exec.Command("buildkitd", "--config", d.cfg)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	d.cmd.Env = d.env
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 150; i++ {
		if exec.Command("buildctl", "--addr", d.addr, "debug", "workers").Run() == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	lg, _ := os.ReadFile(filepath.Join(d.root, "buildkitd.log"))
	t.Fatalf("test buildkitd did not start:\n%s", tail(string(lg), 30))
}

// kill stops the daemon with SIGKILL, as a crash or OOM kill would.
func (d *testDaemon) kill() {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	_ = d.cmd.Process.Kill()
	_ = d.cmd.Wait()
	_ = d.logf.Close()
	d.cmd = nil
}
