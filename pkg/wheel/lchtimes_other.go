//go:build !linux

package wheel

import "time"

// lchtimes is a no-op where setting a symlink's own times is not wired up;
// symlink mtimes are then not reproducible on those systems.
func lchtimes(path string, t time.Time) error { return nil }
