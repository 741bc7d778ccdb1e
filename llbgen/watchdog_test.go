package llbgen

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The watchdog with the host's python3: an exit code passes through, a
// command past its limit is killed with its whole process group and exits
// 124 naming the limit and the build arg, a signal is named, a pipeline
// whose reader exits early ends as under sh (SIGPIPE at its default), and
// a program that cannot run exits 127.
func TestExecWatchdog(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed (any Debian development machine has it): %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "watchdog.py"), []byte(ExecWatchdog), 0o644); err != nil {
		t.Fatal(err)
	}
	// The args as a step has them, the watchdog from dir.
	local := func(args []string) []string {
		if args[2] != watchdogPath {
			t.Fatalf("the watchdog is not at %s: %q", watchdogPath, args[:3])
		}
		return append([]string{args[0], args[1], filepath.Join(dir, "watchdog.py")}, args[3:]...)
	}
	run := func(timeout time.Duration, script string) (int, string, time.Duration) {
		t.Helper()
		args := local(watchedArgs(py, timeout, "RUN", "GEOLAYER_RUN_TIMEOUT", "/bin/sh", "-c", script))
		cmd := exec.Command(args[0], args[1:]...)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), time.Since(start)
	}
	if code, out, _ := run(time.Minute, "echo hi; exit 7"); code != 7 || out != "hi\n" {
		t.Errorf("exit 7: code %d, output %q", code, out)
	}
	// A background child of the command keeps running past the limit
	// too: it is in the killed group.
	marker := filepath.Join(t.TempDir(), "survived")
	code, out, took := run(time.Second, "(sleep 3; touch "+marker+") & sleep 60")
	if code != 124 || !strings.Contains(out, "geolayer: RUN timed out after 1s and was killed (the build arg GEOLAYER_RUN_TIMEOUT=<seconds> changes the limit)") {
		t.Errorf("timeout: code %d, output %q", code, out)
	}
	if took > 20*time.Second {
		t.Errorf("the timed-out command took %s", took)
	}
	time.Sleep(3 * time.Second)
	if _, err := os.Stat(marker); err == nil {
		t.Error("a child of the timed-out command survived the kill")
	}
	if code, out, _ := run(time.Minute, "kill -SEGV $$"); code != 128+int(syscall.SIGSEGV) || !strings.Contains(out, "RUN was killed by SIGSEGV (signal 11): a crash in native code") {
		t.Errorf("SIGSEGV: code %d, output %q", code, out)
	}
	if code, out, _ := run(time.Minute, "yes | head -n 2; echo \"${PIPESTATUS:-done}\""); code != 0 || out != "y\ny\ndone\n" {
		t.Errorf("a pipeline: code %d, output %q", code, out)
	}
	args := watchedArgs(py, time.Minute, "BUILD", "GEOLAYER_BUILD_TIMEOUT", "/nonexistent/sh")
	la := local(args)
	cmd := exec.Command(la[0], la[1:]...)
	b, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 127 || !strings.Contains(string(b), "geolayer: BUILD: cannot run /nonexistent/sh") {
		t.Errorf("a missing program: code %d, output %q", cmd.ProcessState.ExitCode(), b)
	}
	if limit, arg, ok := Watchdog(args); !ok || limit != time.Minute || arg != "GEOLAYER_BUILD_TIMEOUT" {
		t.Errorf("Watchdog(%q) = %v %q %v", args, limit, arg, ok)
	}
	if _, _, ok := Watchdog([]string{"/bin/sh", "-c", "x"}); ok {
		t.Error("a plain command was read as watched")
	}
}
