package llbgen

import (
	"strconv"
	"time"

	"github.com/moby/buildkit/client/llb"
)

// Defaults of the RUN and BUILD run-time bounds (the frontend's build args
// GEOLAYER_RUN_TIMEOUT and GEOLAYER_BUILD_TIMEOUT change them). They catch
// a step that never ends, not a slow one: a compile of a large sdist under
// emulation takes tens of minutes.
const (
	DefaultRunTimeout   = time.Hour
	DefaultBuildTimeout = 2 * time.Hour
)

// ExecWatchdog (watchdog.py) runs argv (sys.argv[4:]) as a child in its own process
// group and waits for it at most sys.argv[1] seconds: a child still
// running then is killed with its group, the step prints what ran too long
// (sys.argv[2]: RUN, BUILD or TEST) and which build arg (sys.argv[3])
// changes the limit, and exits 124 (as timeout(1) does). A child killed by
// a signal exits 128+N with the signal named (a crash signal as a crash in
// native code, which BuildKit would only show as an exit code); otherwise
// its exit code is passed on.
// The child gets SIGPIPE and SIGXFSZ back at their defaults (CPython
// ignores them, and exec keeps an ignored signal ignored), so a shell
// pipeline behaves as under /bin/sh alone. It runs with the image's own
// CPython (-I), which RUN and BUILD steps always have: the build image's,
// checked by the frontend. The limit is an argument: the file (and so
// every RUN's cache key) stays the same whatever the limit.
const ExecWatchdog = `import os, signal, sys
_gl_limit, _gl_what, _gl_arg, _gl_argv = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
_gl_pid = os.fork()
if _gl_pid == 0:
    os.setpgid(0, 0)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    try:
        os.execv(_gl_argv[0], _gl_argv)
    except OSError as e:
        print('geolayer: %s: cannot run %s: %s' % (_gl_what, _gl_argv[0], e), file=sys.stderr)
        os._exit(127)
try:
    os.setpgid(_gl_pid, _gl_pid)
except OSError:
    pass
class _GlTimeout(Exception):
    pass
def _gl_alarm(*a):
    raise _GlTimeout()
signal.signal(signal.SIGALRM, _gl_alarm)
signal.alarm(_gl_limit)
try:
    _, _gl_st = os.waitpid(_gl_pid, 0)
except _GlTimeout:
    try:
        os.killpg(_gl_pid, signal.SIGKILL)
    except OSError:
        os.kill(_gl_pid, signal.SIGKILL)
    os.waitpid(_gl_pid, 0)
    print('geolayer: %s timed out after %ds and was killed (the build arg %s=<seconds> changes the limit)' % (_gl_what, _gl_limit, _gl_arg), file=sys.stderr)
    os._exit(124)
signal.alarm(0)
if os.WIFSIGNALED(_gl_st):
    _gl_sig = os.WTERMSIG(_gl_st)
    try:
        _gl_name = signal.Signals(_gl_sig).name
    except ValueError:
        _gl_name = 'signal %d' % _gl_sig
    print('geolayer: %s was killed by %s (signal %d)%s' % (_gl_what, _gl_name, _gl_sig,
          ': a crash in native code (an extension or a library it loads)' if _gl_sig in (signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGABRT) else ''), file=sys.stderr)
    os._exit(128 + _gl_sig)
os._exit(os.WEXITSTATUS(_gl_st))
`

// watchdogDir is where RUN, BUILD and TEST steps find ExecWatchdog, as
// watchdog.py: a file, so that a failed step's command line (which
// BuildKit prints) is the user's command after a short prefix, not the
// watchdog's code.
const watchdogDir = "/.geolayer-watchdog"

const watchdogPath = watchdogDir + "/watchdog.py"

// watched runs argv under ExecWatchdog with python, bounded by timeout
// (at least a second); what names the step in its messages, buildArg the
// build arg that changes the limit. The options are the step's args and
// the watchdog's mount.
func watched(python string, timeout time.Duration, what, buildArg string, argv ...string) []llb.RunOption {
	return []llb.RunOption{
		llb.Args(watchedArgs(python, timeout, what, buildArg, argv...)),
		llb.AddMount(watchdogDir, llb.Scratch().File(llb.Mkfile("/watchdog.py", 0o644, []byte(ExecWatchdog)),
			llb.WithCustomName("[internal] write the step watchdog")), llb.Readonly),
	}
}

func watchedArgs(python string, timeout time.Duration, what, buildArg string, argv ...string) []string {
	secs := int(timeout.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return append([]string{python, "-I", watchdogPath, strconv.Itoa(secs), what, buildArg}, argv...)
}

// Watchdog reads the limit and its build arg back from an exec's args
// when ExecWatchdog runs it (the frontend words a failed RUN or BUILD
// with them).
func Watchdog(args []string) (limit time.Duration, buildArg string, ok bool) {
	if len(args) < 7 || args[1] != "-I" || args[2] != watchdogPath {
		return 0, "", false
	}
	n, err := strconv.Atoi(args[3])
	if err != nil || n < 1 {
		return 0, "", false
	}
	return time.Duration(n) * time.Second, args[5], true
}
