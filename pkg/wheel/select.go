package wheel

import (
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"
)

// NoMatchError is returned by Select when no candidate wheel is compatible.
type NoMatchError struct {
	// Package is the normalized project name taken from the candidates
	// ("" if there were none).
	Package string
	// Available lists the distinct tags of the candidate wheels (expanded,
	// sorted), including musllinux/linux_* ones that Select ignores.
	Available []string
	// Acceptable is a short human summary of the acceptable tags, e.g.
	// "cp313/abi3/py3 on manylinux_2_34_x86_64 or older (glibc <= 2.34);
	// never musllinux or linux_*".
	Acceptable string
}

// maxListedTags bounds how many available tags Error() spells out.
const maxListedTags = 24

func (e *NoMatchError) Error() string {
	pkg := e.Package
	if pkg == "" {
		pkg = "(unknown package)"
	}
	var have string
	switch {
	case len(e.Available) == 0:
		have = "the index has no wheels for it"
	case len(e.Available) <= maxListedTags:
		have = "the index has " + strings.Join(e.Available, ", ")
	default:
		have = fmt.Sprintf("the index has %s, ... (%d more)",
			strings.Join(e.Available[:maxListedTags], ", "), len(e.Available)-maxListedTags)
	}
	return fmt.Sprintf("no compatible wheel for %s: %s; acceptable: %s", pkg, have, e.Acceptable)
}

// Select picks the best wheel among candidate filenames for the ordered,
// most-preferred-first supported tag list tags (typically from TargetTags).
//
// Each wheel is ranked by the lowest index any of its tags has in tags; the
// lowest rank wins. Ties are broken by build tag (higher wins; an absent
// build tag loses to any present one) and then by the lexically smallest
// candidate string, so the result does not depend on candidate order.
// Candidates may be file names, paths or URLs (query and fragment are
// ignored). Candidates that are not wheels (sdists), wheel names that do not
// parse, and tags with musllinux_* or linux_* platforms are ignored. best
// is the chosen candidate, unchanged, and rank its tag index. When nothing
// is compatible the error is a *NoMatchError (best "", rank -1).
func Select(candidates []string, tags []Tag) (best string, rank int, err error) {
	index := make(map[Tag]int, len(tags))
	for i, t := range tags {
		if isExcludedPlatform(t.Platform) {
			continue
		}
		if _, dup := index[t]; !dup {
			index[t] = i
		}
	}

	var (
		found              bool
		bestBuild          string
		wheelPkg, sdistPkg string
		available          = map[string]bool{}
	)
	for _, c := range candidates {
		base := candidateBase(c)
		if !strings.HasSuffix(base, ".whl") {
			if sdistPkg == "" {
				sdistPkg = sdistName(base)
			}
			continue
		}
		f, perr := ParseFilename(base)
		if perr != nil {
			continue
		}
		if wheelPkg == "" {
			wheelPkg = f.Name
		}
		r := -1
		for _, t := range f.Tags {
			available[t.String()] = true
			if isExcludedPlatform(t.Platform) {
				continue
			}
			if i, ok := index[t]; ok && (r < 0 || i < r) {
				r = i
			}
		}
		if r < 0 {
			continue
		}
		if !found || r < rank ||
			r == rank && (CompareBuildTags(f.Build, bestBuild) > 0 ||
				CompareBuildTags(f.Build, bestBuild) == 0 && c < best) {
			found, best, rank, bestBuild = true, c, r, f.Build
		}
	}
	if found {
		return best, rank, nil
	}
	e := &NoMatchError{Package: wheelPkg, Acceptable: SummarizeTags(tags)}
	if e.Package == "" {
		e.Package = sdistPkg
	}
	for t := range available {
		e.Available = append(e.Available, t)
	}
	sort.Strings(e.Available)
	return "", -1, e
}

// candidateBase returns the file name of a candidate given as a base name,
// a '/'-separated path or a URL (query and fragment such as "#sha256=..."
// dropped, percent-escapes decoded).
func candidateBase(c string) string {
	if strings.Contains(c, "://") {
		if u, err := url.Parse(c); err == nil {
			return path.Base(u.Path)
		}
	}
	return path.Base(c)
}

// sdistName guesses the project name of an sdist filename
// ("{name}-{version}.tar.gz"), normalized; "" if it does not look like one.
func sdistName(base string) string {
	for _, ext := range []string{".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".zip"} {
		if stem, ok := strings.CutSuffix(base, ext); ok {
			if i := strings.LastIndexByte(stem, '-'); i > 0 {
				return NormalizeName(stem[:i])
			}
			return ""
		}
	}
	return ""
}

// SummarizeTags describes an ordered supported-tag list in a few words for
// error messages, e.g. "cp313/abi3/py3 on manylinux_2_34_x86_64 or older
// (glibc <= 2.34); never musllinux or linux_*".
func SummarizeTags(tags []Tag) string {
	if len(tags) == 0 {
		return "nothing (empty tag list)"
	}
	interp := []string{tags[0].Python}
	var abi3, py3, anyPlat bool
	newest := ""
	for _, t := range tags {
		switch {
		case t.ABI == "abi3":
			abi3 = true
		case t.Python == "py3":
			py3 = true
		}
		if t.Platform == "any" {
			anyPlat = true
		} else if newest == "" && !isExcludedPlatform(t.Platform) {
			newest = t.Platform
		}
	}
	if abi3 {
		interp = append(interp, "abi3")
	}
	if py3 && interp[0] != "py3" {
		interp = append(interp, "py3")
	}
	var where string
	switch {
	case newest == "" && anyPlat:
		where = "pure-Python (platform any) only"
	case newest == "":
		where = "no platforms"
	default:
		where = "on " + newest
		if gMaj, gMin, _, ok := manylinuxGlibc(newest); ok {
			where += fmt.Sprintf(" or older (glibc <= %d.%d)", gMaj, gMin)
		}
	}
	return strings.Join(interp, "/") + " " + where + "; never musllinux or linux_*"
}
