package frontend

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/geolayer/geolayer/pkg/pyreq"
	"github.com/moby/buildkit/client/llb"
)

// lockState renders the wheels chosen for one platform as a PEP 751
// pylock.toml that REQUIRE --lock reads back without running a resolver.
//
// A layer for several runtimes gets one file for all of them, as PEP 751
// means a lock for several environments to be: an environment per
// runtime, requires-python admitting exactly their Python versions, and a
// package entry per name and version holding the wheels of every runtime
// that chose it (an installer picks by tags), with a python_version marker
// when not every runtime chose it.
func lockState(p *platformBuild) (llb.State, error) {
	arch := wheelTarget(p.parts[0].rt, p.plat).Arch
	lock := &pyreq.Lock{LockVersion: "1.0", CreatedBy: pyreq.CreatedBy}
	var versions []string
	for _, part := range p.parts {
		versions = append(versions, part.rt.PythonVersion)
		env := "sys_platform == 'linux' and platform_machine == '" + arch + "'"
		if len(p.parts) > 1 {
			env += " and python_version == '" + part.rt.PythonVersion + "'"
		}
		lock.Environments = append(lock.Environments, env)
	}
	rp, err := requiresPython(versions)
	if err != nil {
		return llb.State{}, err
	}
	lock.RequiresPython = rp
	type entry struct {
		pkg      pyreq.LockPackage
		versions []string // the Python versions that chose it
		files    map[string]bool
	}
	var order []string
	entries := map[string]*entry{}
	for _, part := range p.parts {
		for _, w := range part.wheels {
			key := w.Name + "==" + w.Version
			e := entries[key]
			if e == nil {
				e = &entry{pkg: pyreq.LockPackage{Name: w.Name, Version: w.Version}, files: map[string]bool{}}
				entries[key] = e
				order = append(order, key)
			}
			e.versions = append(e.versions, part.rt.PythonVersion)
			if !e.files[w.Filename] {
				e.files[w.Filename] = true
				e.pkg.Wheels = append(e.pkg.Wheels, pyreq.LockFile{Name: w.Filename, URL: w.URL, Hashes: map[string]string{"sha256": w.SHA256}})
			}
		}
	}
	for _, key := range order {
		e := entries[key]
		if len(e.versions) < len(p.parts) {
			var ms []string
			for _, v := range e.versions {
				ms = append(ms, "python_version == '"+v+"'")
			}
			e.pkg.Marker = strings.Join(ms, " or ")
		}
		lock.Packages = append(lock.Packages, e.pkg)
	}
	var buf bytes.Buffer
	if err := pyreq.WritePylock(&buf, lock); err != nil {
		return llb.State{}, err
	}
	return llb.Scratch().File(llb.Mkfile("/pylock.toml", 0o644, buf.Bytes()), p.t.Name("write pylock.toml")), nil
}

// requiresPython is a PEP 440 specifier that admits exactly the given
// Python versions ("3.11"): "==3.13.*" for one, and for several the range
// from the lowest to the highest with the minor versions between them
// that are not listed excluded (">=3.11,!=3.12.*,<3.14").
func requiresPython(versions []string) (string, error) {
	minors := map[int]bool{}
	major := -1
	for _, v := range versions {
		a, b, ok := strings.Cut(v, ".")
		ma, err1 := strconv.Atoi(a)
		mi, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || major >= 0 && ma != major {
			return "", fmt.Errorf("internal: the runtimes' Python versions %v are not minor versions of one major", versions)
		}
		major = ma
		minors[mi] = true
	}
	if len(minors) == 1 {
		return "==" + versions[0] + ".*", nil
	}
	var ms []int
	for m := range minors {
		ms = append(ms, m)
	}
	sort.Ints(ms)
	lo, hi := ms[0], ms[len(ms)-1]
	parts := []string{fmt.Sprintf(">=%d.%d", major, lo)}
	for m := lo + 1; m < hi; m++ {
		if !minors[m] {
			parts = append(parts, fmt.Sprintf("!=%d.%d.*", major, m))
		}
	}
	parts = append(parts, fmt.Sprintf("<%d.%d", major, hi+1))
	return strings.Join(parts, ","), nil
}
