//go:build !linux

package prune

import "time"

// lchtimes does nothing outside Linux: symlink times are not preserved
// there.
func lchtimes(string, time.Time) error { return nil }
