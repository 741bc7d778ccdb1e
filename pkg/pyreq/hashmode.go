package pyreq

import (
	"fmt"
	"strings"
)

// HashModeError lists the requirements that break pip's hash-checking mode.
type HashModeError struct {
	// Missing have no --hash although another requirement has one.
	Missing []Requirement
	// Unpinned are not pinned with == (or ===) and are not direct URLs.
	Unpinned []Requirement
}

func (e *HashModeError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing --hash: "+describeReqs(e.Missing))
	}
	if len(e.Unpinned) > 0 {
		parts = append(parts, "not pinned with ==: "+describeReqs(e.Unpinned))
	}
	return "hash-checking mode (as in pip: once any requirement has a --hash, every requirement needs one and must be pinned with ==): " +
		strings.Join(parts, "; ")
}

func describeReqs(reqs []Requirement) string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		loc := ""
		switch {
		case r.File != "" && r.Line > 0:
			loc = fmt.Sprintf("%s:%d ", r.File, r.Line)
		case r.Line > 0:
			loc = fmt.Sprintf("line %d ", r.Line)
		}
		text := r.Raw
		if text == "" {
			text = r.String()
		}
		out[i] = fmt.Sprintf("%s(%s)", loc, text)
	}
	return strings.Join(out, ", ")
}

// CheckHashMode applies pip's hash-checking rule: if any requirement
// carries a hash, every requirement must carry one and must be pinned to
// one version with == or === (direct URL requirements need a hash but no
// pin). Without any hash it returns nil. The error is a *HashModeError.
func CheckHashMode(reqs []Requirement) error {
	return checkHashMode(reqs, false)
}

// CheckHashMode applies CheckHashMode to the file's requirements, with
// hash-checking forced on when the file says --require-hashes.
func (f *RequirementsFile) CheckHashMode() error {
	return checkHashMode(f.Requirements, f.RequireHashes())
}

func checkHashMode(reqs []Requirement, force bool) error {
	on := force
	for _, r := range reqs {
		if len(r.Hashes) > 0 {
			on = true
			break
		}
	}
	if !on {
		return nil
	}
	e := &HashModeError{}
	for _, r := range reqs {
		if len(r.Hashes) == 0 {
			e.Missing = append(e.Missing, r)
		}
		if _, pinned := r.Pinned(); !pinned && r.URL == "" {
			e.Unpinned = append(e.Unpinned, r)
		}
	}
	if len(e.Missing) == 0 && len(e.Unpinned) == 0 {
		return nil
	}
	return e
}
