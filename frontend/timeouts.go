package frontend

import (
	"strconv"
	"time"

	"github.com/geolayer/geolayer/llbgen"
	"github.com/pkg/errors"
)

// stepTimeouts are the limits of each RUN and each BUILD step (build args
// GEOLAYER_RUN_TIMEOUT and GEOLAYER_BUILD_TIMEOUT, in seconds; llbgen's
// defaults when unset): llbgen.Target.RunTimeout and BuildTimeout.
func stepTimeouts(buildArgs map[string]string) (run, build time.Duration, err error) {
	if run, err = secondsArg(buildArgs, "GEOLAYER_RUN_TIMEOUT", llbgen.DefaultRunTimeout); err != nil {
		return 0, 0, err
	}
	if build, err = secondsArg(buildArgs, "GEOLAYER_BUILD_TIMEOUT", llbgen.DefaultBuildTimeout); err != nil {
		return 0, 0, err
	}
	return run, build, nil
}

// secondsArg is a build arg giving a limit in seconds (def when unset).
func secondsArg(buildArgs map[string]string, name string, def time.Duration) (time.Duration, error) {
	v := buildArgs[name]
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, errors.Errorf("invalid build arg %s=%q: want a positive number of seconds", name, v)
	}
	return time.Duration(n) * time.Second, nil
}
