//go:build !unix

package prune

import "errors"

func mkfifo(string) error { return errors.New("not supported") }
