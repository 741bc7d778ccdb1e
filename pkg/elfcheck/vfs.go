package elfcheck

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// maxSymlinks is the number of symbolic links a lookup follows before it
// gives up, like the kernel's ELOOP limit (40).
const maxSymlinks = 40

var (
	errNotExist = fs.ErrNotExist
	errLoop     = errors.New("too many levels of symbolic links")
	errNotDir   = errors.New("not a directory")
)

// vfs is the file system as a process on the platform sees it: the layer
// mounted at mount, everything else from the runtime image. Paths are
// run-time absolute paths; symbolic links are resolved inside this view,
// never on the host, so nothing outside the two roots is ever read.
type vfs struct {
	mount   string // clean absolute run-time path
	layer   string // host directory
	runtime string // host directory, "" for none

	nodes map[string]node       // lookup results by run-time path
	lstat map[string]lstatEntry // host path -> Lstat (+ Readlink)
}

type lstatEntry struct {
	info   fs.FileInfo
	target string
	err    error
}

// node is a resolved run-time path.
type node struct {
	path    string // run-time path after following symbolic links; on error, where resolution failed
	host    string // the file on the host
	inLayer bool
	mode    fs.FileMode
	size    int64
	err     error
}

func newVFS(mount, layer, runtime string) *vfs {
	return &vfs{mount: mount, layer: layer, runtime: runtime,
		nodes: map[string]node{}, lstat: map[string]lstatEntry{}}
}

// under reports whether run-time path p is dir or below it.
func under(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// host maps a clean run-time path to the host; ok is false for paths in
// no root.
func (v *vfs) host(p string) (h string, inLayer, ok bool) {
	if under(p, v.mount) {
		return filepath.Join(v.layer, filepath.FromSlash(strings.TrimPrefix(p, v.mount))), true, true
	}
	if v.runtime == "" {
		return "", false, false
	}
	return filepath.Join(v.runtime, filepath.FromSlash(p)), false, true
}

// mountAncestor reports whether p is a strict ancestor of the mount point:
// such directories exist at run time even if the runtime image lacks them.
func (v *vfs) mountAncestor(p string) bool {
	return p != v.mount && under(v.mount, p)
}

func (v *vfs) lstatHost(h string) lstatEntry {
	if e, ok := v.lstat[h]; ok {
		return e
	}
	var e lstatEntry
	e.info, e.err = os.Lstat(h)
	if e.err == nil && e.info.Mode()&fs.ModeSymlink != 0 {
		e.target, e.err = os.Readlink(h)
	}
	v.lstat[h] = e
	return e
}

// lookup resolves run-time path p (absolute), following symbolic links.
// ".." is resolved physically, as the kernel does: after a symbolic link
// it leads to the parent of the link's target.
func (v *vfs) lookup(p string) node {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if n, ok := v.nodes[p]; ok {
		return n
	}
	n := v.resolve(p)
	v.nodes[p] = n
	return n
}

func (v *vfs) resolve(p string) node {
	rest := strings.Split(strings.TrimPrefix(p, "/"), "/")
	cur := "/"
	links := 0
	var last lstatEntry
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			last = lstatEntry{}
			continue
		}
		next := path.Join(cur, c)
		if v.mountAncestor(next) {
			cur, last = next, lstatEntry{}
			continue
		}
		h, _, ok := v.host(next)
		if !ok {
			return node{path: next, err: errNotExist}
		}
		e := v.lstatHost(h)
		if e.err != nil {
			return node{path: next, err: e.err}
		}
		if e.info.Mode()&fs.ModeSymlink != 0 {
			if links++; links > maxSymlinks {
				return node{path: next, err: errLoop}
			}
			if e.target == "" {
				return node{path: next, err: errNotExist}
			}
			if path.IsAbs(e.target) {
				cur = "/"
			}
			rest = append(strings.Split(e.target, "/"), rest...)
			continue
		}
		if len(rest) > 0 && !e.info.IsDir() {
			// A later component might be ".." but POSIX resolution still
			// fails on a non-directory.
			return node{path: next, err: errNotDir}
		}
		cur, last = next, e
	}
	h, inLayer, ok := v.host(cur)
	if last.info == nil {
		// "/", a mount ancestor or the result of "..": a directory.
		return node{path: cur, host: h, inLayer: inLayer && ok, mode: fs.ModeDir}
	}
	return node{path: cur, host: h, inLayer: inLayer, mode: last.info.Mode().Type(), size: last.info.Size()}
}
