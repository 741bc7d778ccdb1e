package elfcheck

import (
	"path"
	"slices"
	"strings"
)

// resolved is the outcome of one library search.
type resolved struct {
	Resolution
	obj  *object // the library picked; nil if not found or provided
	node node

	bad        string   // the loader stops at Path with this error
	absent     string   // Config.Absent reason for a skipped runtime copy
	absentPath string   // that copy
	skipped    []string // candidates of the wrong class or machine
	searched   string   // the search path, for messages
	note       string   // why no search was possible
}

type searchDir struct {
	dir  string // run-time directory, unnormalized: ".." is resolved physically
	from string
}

// searchDirs is glibc's order for a DT_NEEDED of an object: DT_RPATH
// (ignored when the object has DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH,
// then the system directories unless the object was linked with
// -z nodefaultlib. DT_RPATH of the objects that loaded this one (and of
// the executable) is not inherited: the checker does not know the loading
// chain, and python, the executable, has none.
func (c *checker) searchDirs(d *dynInfo, origin string) []searchDir {
	var out []searchDir
	if d.hasRPath && !d.hasRunPath {
		out = c.expand(out, d.rpath, origin, "rpath")
	}
	for _, p := range c.cfg.LibraryPath {
		out = append(out, searchDir{p, "ld_library_path"})
	}
	if d.hasRunPath {
		out = c.expand(out, d.runpath, origin, "runpath")
	}
	if !d.nodeflib {
		for _, p := range c.cfg.SystemDirs {
			out = append(out, searchDir{p, "system"})
		}
	}
	return out
}

// expand splits a DT_RPATH/DT_RUNPATH value and substitutes dynamic string
// tokens. Like ld.so it drops an element with a token it cannot expand
// ($LIB: its value is built into each distribution's ld.so); relative and
// empty elements (relative to the working directory) cannot be judged
// statically and are dropped too.
func (c *checker) expand(out []searchDir, list, origin, from string) []searchDir {
	for e := range strings.SplitSeq(list, ":") {
		x, ok := expandTokens(e, origin, platformName[c.cfg.Machine])
		if !ok || !path.IsAbs(x) {
			continue
		}
		out = append(out, searchDir{x, from})
	}
	return out
}

// expandTokens substitutes $ORIGIN, ${ORIGIN}, $PLATFORM and ${PLATFORM}.
// ok is false when the element contains a token ld.so knows but cannot be
// expanded here. Unknown $NAMEs stay literal, as in ld.so.
func expandTokens(s, origin, platform string) (string, bool) {
	if !strings.Contains(s, "$") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '$' {
			b.WriteByte(s[i])
			i++
			continue
		}
		name, n := dstName(s[i+1:])
		var repl string
		switch name {
		case "ORIGIN":
			repl = origin
		case "PLATFORM":
			if platform == "" {
				return "", false
			}
			repl = platform
		case "LIB":
			return "", false
		default:
			b.WriteByte('$')
			i++
			continue
		}
		b.WriteString(repl)
		i += 1 + n
	}
	return b.String(), true
}

// dstName parses the token name after a '$': "NAME" or "{NAME}". A bare
// name ends at the first character that cannot be part of an identifier.
func dstName(s string) (string, int) {
	if strings.HasPrefix(s, "{") {
		if j := strings.IndexByte(s, '}'); j > 0 {
			return s[1:j], j + 1
		}
		return "", 0
	}
	j := 0
	for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
		j++
	}
	return s[:j], j
}

// search finds the library the loader maps for DT_NEEDED name of an
// object whose run-time directory is origin. requester (a run-time path)
// is only used for shadowing reports.
func (c *checker) search(d *dynInfo, origin, name, requester string) resolved {
	r := resolved{Resolution: Resolution{Soname: name}}
	if strings.Contains(name, "/") {
		// ld.so opens such a name as a path, without searching.
		if !path.IsAbs(name) {
			r.note = "a DT_NEEDED with a relative path depends on the working directory"
			return r
		}
		c.try(&r, searchDir{path.Dir(name), "path"}, path.Base(name), requester)
		if r.From == "" {
			r.note = "the path " + name + " does not exist at run time"
		}
		return r
	}
	dirs := c.searchDirs(d, origin)
	for _, sd := range dirs {
		if c.try(&r, sd, name, requester) {
			break
		}
	}
	if r.From == "" {
		_, provided := c.cfg.Provided[name]
		if provided || c.fs.runtime == "" && isGlibc(name) {
			r.From = "provided"
			r.absent = ""
		}
	}
	if r.From == "" {
		var b strings.Builder
		for i, sd := range dirs {
			switch {
			case i == 0:
				b.WriteString(sd.from + " ")
			case dirs[i-1].from != sd.from:
				b.WriteString("; " + sd.from + " ")
			default:
				b.WriteString(":")
			}
			b.WriteString(cleanRun(sd.dir))
		}
		r.searched = b.String()
		if r.searched == "" {
			r.searched = "an empty search path"
		}
	}
	return r
}

// try looks for name in sd.dir; it reports whether the search ends there.
func (c *checker) try(r *resolved, sd searchDir, name, requester string) bool {
	cand := strings.TrimSuffix(sd.dir, "/") + "/" + name
	n := c.fs.lookup(cand)
	if n.err != nil || !n.mode.IsRegular() {
		return false
	}
	o := c.load(n.host)
	found := func() bool {
		r.Path, r.From, r.node = cleanRun(cand), sd.from, n
		if n.path != r.Path {
			r.Real = n.path
		}
		return true
	}
	switch {
	case o == nil:
		r.bad = "invalid ELF header"
		return found()
	case o.hdr == nil:
		r.bad = o.err.Error()
		return found()
	case !c.matches(o.hdr):
		// ld.so skips objects of another class or machine and goes on.
		if !slices.Contains(r.skipped, cleanRun(cand)) {
			r.skipped = append(r.skipped, cleanRun(cand))
		}
		return false
	case !loadable(o.hdr):
		r.bad = "only ET_DYN and ET_EXEC can be loaded, this is " + o.hdr.Type.String()
		return found()
	}
	if !n.inLayer {
		if why, ok := c.cfg.Absent[name]; ok {
			if r.absent == "" {
				r.absent, r.absentPath = why, cleanRun(cand)
			}
			return false
		}
		if len(c.layerNames[name]) > 0 {
			s := c.shadows[name]
			if s == nil {
				s = &shadow{runtimePath: cleanRun(cand), requesters: map[string]bool{}}
				c.shadows[name] = s
			}
			s.requesters[requester] = true
		}
	}
	r.obj = o
	return found()
}

// cleanRun normalizes a run-time path for display.
func cleanRun(p string) string { return path.Clean(p) }
