package elfcheck

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
)

// VendorConfig describes a layer holding freshly compiled packages, the
// runtime it must load on (Config, as for Check) and the build stage the
// packages were compiled in.
type VendorConfig struct {
	Config
	// BuildRoot is a host directory holding the build stage's root file
	// system (where the packages were linked); nothing in it is executed.
	BuildRoot string
	// BuildDirs are the build stage's loader directories (its
	// ld.so.conf, then the built-in defaults), as absolute paths inside
	// BuildRoot.
	BuildDirs []string
	// LibDir is the run-time directory the vendored libraries go to
	// ("/opt/lib"). It should be on Config.LibraryPath, or the runtime's
	// loader will not find them; Vendor does not place them there.
	LibDir string
}

// VendoredLib is one library of the build stage that must ship with the
// layer.
type VendoredLib struct {
	// Soname is the DT_NEEDED name the requesters use; the library is
	// found under this name in LibDir.
	Soname string `json:"soname"`
	// Source is the library's path in the build stage, after symbolic
	// links; File is its base name.
	Source string `json:"source"`
	File   string `json:"file"`
	// Host is Source on the host (under BuildRoot).
	Host string `json:"-"`
	Size int64  `json:"bytes"`
	// NeededBy lists who needs it: layer paths (relative to the layer
	// root) and the sonames of other vendored libraries, sorted.
	NeededBy []string `json:"neededBy"`
}

// Unresolved is a library needed by the layer that neither the runtime,
// the layer nor the build stage has.
type Unresolved struct {
	Soname   string   `json:"soname"`
	NeededBy []string `json:"neededBy"`
	Searched string   `json:"searched"`
}

// VendorResult is the closure: what to ship and what cannot be found.
type VendorResult struct {
	Libs       []VendoredLib `json:"libs"`
	Unresolved []Unresolved  `json:"unresolved,omitempty"`
}

// Vendor computes which libraries of the build stage must ship with the
// layer: the closure of the DT_NEEDED entries of every loadable ELF file
// in the layer that the runtime (as Check would resolve it) does not
// satisfy, found the way the build stage's loader finds them (the
// requester's DT_RPATH/DT_RUNPATH, then BuildDirs), followed through the
// vendored libraries' own needs. The glibc family is never vendored.
// Libraries on the runtime are not vendored even when the build stage has
// another build of them: the static check then judges the symbol
// versions.
func Vendor(cfg VendorConfig) (*VendorResult, error) {
	if !path.IsAbs(cfg.LibDir) {
		return nil, fmt.Errorf("elfcheck: LibDir %q is not an absolute run-time path", cfg.LibDir)
	}
	rc, err := newChecker(cfg.Config)
	if err != nil {
		return nil, err
	}
	// The build stage as a checker without a layer: its files are
	// "runtime" files; the mount point is a name no build stage has.
	bc, err := newChecker(Config{
		Machine:     cfg.Machine,
		LayerRoot:   cfg.BuildRoot,
		MountPoint:  "/.geolayer-no-layer",
		RuntimeRoot: cfg.BuildRoot,
		SystemDirs:  cfg.BuildDirs,
	})
	if err != nil {
		return nil, fmt.Errorf("build stage: %w", err)
	}
	files, links, err := rc.walk()
	if err != nil {
		return nil, err
	}
	rc.indexLayer(files, links)

	type item struct {
		dyn       *dynInfo
		origin    string // run-time directory (layer) or build-stage directory
		requester string // layer path or soname
		inLayer   bool
	}
	var queue []item
	for _, f := range files {
		o := f.obj
		if o == nil || o.hdr == nil || o.err != nil || o.dyn == nil || !loadable(o.hdr) || !rc.matches(o.hdr) {
			continue
		}
		queue = append(queue, item{o.dyn, path.Dir(rc.runPath(f.rel)), f.rel, true})
	}
	libs := map[string]*VendoredLib{}
	byHost := map[string]string{} // host file -> first soname vendored for it
	missing := map[string]*Unresolved{}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		for _, name := range it.dyn.needed {
			if isGlibc(name) {
				continue
			}
			if l, ok := libs[name]; ok {
				if !slices.Contains(l.NeededBy, it.requester) {
					l.NeededBy = append(l.NeededBy, it.requester)
				}
				continue
			}
			// What the runtime loader would find (for a vendored library the
			// search runs from LibDir, where it will be).
			origin := it.origin
			if !it.inLayer {
				origin = cfg.LibDir
			}
			if r := rc.search(it.dyn, origin, name, ""); r.From != "" {
				continue
			}
			r := bc.search(it.dyn, it.origin, name, "")
			if r.obj == nil || r.obj.dyn == nil {
				u := missing[name]
				if u == nil {
					u = &Unresolved{Soname: name, Searched: r.searched}
					missing[name] = u
				}
				if !slices.Contains(u.NeededBy, it.requester) {
					u.NeededBy = append(u.NeededBy, it.requester)
				}
				continue
			}
			real := r.Path
			if r.Real != "" {
				real = r.Real
			}
			l := &VendoredLib{Soname: name, Source: real, File: path.Base(real), Host: r.node.host,
				Size: r.node.size, NeededBy: []string{it.requester}}
			libs[name] = l
			if _, seen := byHost[r.node.host]; !seen {
				byHost[r.node.host] = name
				queue = append(queue, item{r.obj.dyn, path.Dir(real), name, false})
			}
		}
	}
	res := &VendorResult{Libs: []VendoredLib{}}
	for _, l := range libs {
		sort.Strings(l.NeededBy)
		res.Libs = append(res.Libs, *l)
	}
	sort.Slice(res.Libs, func(i, j int) bool { return res.Libs[i].Soname < res.Libs[j].Soname })
	for _, u := range missing {
		sort.Strings(u.NeededBy)
		res.Unresolved = append(res.Unresolved, *u)
	}
	sort.Slice(res.Unresolved, func(i, j int) bool { return res.Unresolved[i].Soname < res.Unresolved[j].Soname })
	// Two libraries with one file name from different directories cannot
	// share LibDir.
	files2 := map[string]string{}
	for _, l := range res.Libs {
		if prev, ok := files2[l.File]; ok && prev != l.Source {
			return nil, fmt.Errorf("two libraries to vendor share the file name %s: %s and %s", l.File, prev, l.Source)
		}
		files2[l.File] = l.Source
	}
	return res, nil
}

// String is a one-line summary for logs.
func (l VendoredLib) String() string {
	return fmt.Sprintf("%s (%s, %d bytes) for %s", l.Soname, l.Source, l.Size, strings.Join(l.NeededBy, ", "))
}
