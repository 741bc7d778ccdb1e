package elfcheck

import (
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/geolayer/geolayer/pkg/elfhdr"
)

// Config describes the layer and the platform it is checked against.
type Config struct {
	// Machine is the target architecture (elf.EM_X86_64 or
	// elf.EM_AARCH64). Every loadable ELF in the layer must match it, and
	// the loader skips candidate libraries that do not.
	Machine elf.Machine
	// LayerRoot is a host directory with the layer contents as the
	// platform mounts them.
	LayerRoot string
	// MountPoint is where LayerRoot appears at run time ("/opt" for
	// Lambda layers).
	MountPoint string
	// RuntimeRoot is a host directory holding the runtime image's root
	// file system; nothing in it is executed. "" means there is none: only
	// the layer, Provided and the glibc family (GlibcSonames) are
	// available.
	RuntimeRoot string
	// LibraryPath is LD_LIBRARY_PATH exactly as the platform sets it, in
	// order, as absolute run-time paths. Lambda: /lib64, /usr/lib64,
	// /var/runtime, /var/runtime/lib, /var/task, /var/task/lib, /opt/lib.
	LibraryPath []string
	// SystemDirs are the runtime's default loader directories, searched
	// last (ld.so.cache and the built-in defaults), e.g. /lib64,
	// /usr/lib64 (Amazon Linux) or /lib/x86_64-linux-gnu,
	// /usr/lib/x86_64-linux-gnu, /lib, /usr/lib (Debian).
	SystemDirs []string
	// Absent lists sonames the runtime image has but the real platform
	// does not (or has differently), with the reason and its source,
	// e.g. "libexpat.so.1": "absent on the real AL2023 Lambda runtime
	// (eoapi-cdk#181)". A copy in the runtime image is then skipped, as if
	// it were not there; only a copy in the layer can satisfy the need.
	Absent map[string]string
	// Provided lists sonames the platform provides without a file under
	// RuntimeRoot (typically used with RuntimeRoot ""), with the reason.
	// They are the last resort after every search directory; their symbol
	// versions are not checked.
	Provided map[string]string
	// GlibcCeiling is the platform's glibc ("2.34"): a GLIBC_x.y version
	// need above it is an error. "" means no ceiling.
	GlibcCeiling string
	// Owner, if set, names the package that brought a layer file (a
	// slash-separated path relative to LayerRoot), for messages.
	Owner func(relpath string) string
}

// machineClass is the ELF class each supported machine uses on Linux.
var machineClass = map[elf.Machine]elf.Class{
	elf.EM_X86_64:  elf.ELFCLASS64,
	elf.EM_AARCH64: elf.ELFCLASS64,
	elf.EM_PPC64:   elf.ELFCLASS64,
	elf.EM_S390:    elf.ELFCLASS64,
	elf.EM_RISCV:   elf.ELFCLASS64,
	elf.EM_386:     elf.ELFCLASS32,
	elf.EM_ARM:     elf.ELFCLASS32,
}

// platformName is what $PLATFORM expands to.
var platformName = map[elf.Machine]string{
	elf.EM_X86_64:  "x86_64",
	elf.EM_AARCH64: "aarch64",
	elf.EM_PPC64:   "ppc64le",
	elf.EM_S390:    "s390x",
	elf.EM_386:     "i686",
}

// object is a parsed ELF file, cached by host path.
type object struct {
	hdr *elfhdr.Header
	dyn *dynInfo
	err error // unreadable or malformed; hdr may still be set
}

type layerFile struct {
	rel  string
	host string
	obj  *object
}

type checker struct {
	cfg    Config
	fs     *vfs
	class  elf.Class // 0: any
	objs   map[string]*object
	owners map[string]string

	layerNames map[string][]string // soname or file name -> layer paths shipping it
	shadows    map[string]*shadow  // soname -> where the runtime's copy won
	runtime    map[string][]problem
	inFlight   map[string]bool

	res Result
}

type shadow struct {
	runtimePath string
	requesters  map[string]bool
}

// problem is a finding not yet attached to a layer file.
type problem struct {
	sev    Severity
	kind   Kind
	detail string
	fix    string
}

// Check walks cfg.LayerRoot and reports, for every loadable ELF file in
// it, how the platform's dynamic loader would resolve its DT_NEEDED
// libraries and whether the file will load. It reads ELF headers and
// dynamic segments only and executes nothing. The returned error is for
// an unusable Config or an unreadable LayerRoot; problems with individual
// files are findings.
func Check(cfg Config) (*Result, error) {
	c, err := newChecker(cfg)
	if err != nil {
		return nil, err
	}
	files, links, err := c.walk()
	if err != nil {
		return nil, err
	}
	c.indexLayer(files, links)
	for _, f := range files {
		c.checkFile(f)
	}
	c.reportShadows()
	c.res.sort()
	if c.res.Files == nil {
		c.res.Files = []File{}
	}
	if c.res.Findings == nil {
		c.res.Findings = []Finding{}
	}
	return &c.res, nil
}

func newChecker(cfg Config) (*checker, error) {
	if cfg.Machine == elf.EM_NONE {
		return nil, errors.New("elfcheck: Config.Machine is not set")
	}
	if !path.IsAbs(cfg.MountPoint) {
		return nil, fmt.Errorf("elfcheck: MountPoint %q is not an absolute path", cfg.MountPoint)
	}
	for _, d := range slices.Concat(cfg.LibraryPath, cfg.SystemDirs) {
		if !path.IsAbs(d) {
			return nil, fmt.Errorf("elfcheck: search directory %q is not an absolute run-time path", d)
		}
	}
	if cfg.GlibcCeiling != "" && parseVersion(cfg.GlibcCeiling) == nil {
		return nil, fmt.Errorf("elfcheck: GlibcCeiling %q is not a version like 2.34", cfg.GlibcCeiling)
	}
	layer, err := realDir(cfg.LayerRoot)
	if err != nil {
		return nil, fmt.Errorf("elfcheck: LayerRoot: %w", err)
	}
	runtime := ""
	if cfg.RuntimeRoot != "" {
		if runtime, err = realDir(cfg.RuntimeRoot); err != nil {
			return nil, fmt.Errorf("elfcheck: RuntimeRoot: %w", err)
		}
	}
	return &checker{
		cfg:        cfg,
		fs:         newVFS(path.Clean(cfg.MountPoint), layer, runtime),
		class:      machineClass[cfg.Machine],
		objs:       map[string]*object{},
		owners:     map[string]string{},
		layerNames: map[string][]string{},
		shadows:    map[string]*shadow{},
		runtime:    map[string][]problem{},
		inFlight:   map[string]bool{},
	}, nil
}

func realDir(p string) (string, error) {
	p, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if p, err = filepath.EvalSymlinks(p); err != nil {
		return "", err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s is not a directory", p)
	}
	return p, nil
}

// load parses the ELF file at host path h (cached). It returns nil for
// files that are not ELF.
func (c *checker) load(h string) *object {
	if o, ok := c.objs[h]; ok {
		return o
	}
	o := c.parse(h)
	c.objs[h] = o
	return o
}

func (c *checker) parse(h string) *object {
	f, err := os.Open(h)
	if err != nil {
		return &object{err: err}
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return &object{err: err}
	}
	p := newPageReader(f, fi.Size())
	hdr, err := readHeader(p)
	if errors.Is(err, elfhdr.ErrNotELF) {
		return nil
	}
	if err != nil {
		return &object{err: err}
	}
	o := &object{hdr: hdr}
	if loadable(hdr) && c.matches(hdr) {
		o.dyn, o.err = readDynamic(p, hdr)
	}
	return o
}

// matches reports whether the loader would accept an object with this
// header on the target machine.
func (c *checker) matches(h *elfhdr.Header) bool {
	if h.Machine != c.cfg.Machine {
		return false
	}
	if c.class != 0 && h.Class != c.class {
		return false
	}
	// Both supported targets are little-endian.
	if (c.cfg.Machine == elf.EM_X86_64 || c.cfg.Machine == elf.EM_AARCH64) && h.Data != elf.ELFDATA2LSB {
		return false
	}
	return true
}

func (c *checker) owner(rel string) string {
	if c.cfg.Owner == nil {
		return ""
	}
	if o, ok := c.owners[rel]; ok {
		return o
	}
	o := c.cfg.Owner(rel)
	c.owners[rel] = o
	return o
}

func (c *checker) add(rel string, p problem) {
	c.res.Findings = append(c.res.Findings, Finding{
		Severity: p.sev, Kind: p.kind, File: rel, Package: c.owner(rel), Detail: p.detail, Fix: p.fix,
	})
}

// runPath is the run-time path of a layer file.
func (c *checker) runPath(rel string) string { return path.Join(c.fs.mount, rel) }

// walk lists the layer's ELF files and symbolic links, sorted. It never
// follows links while walking: linked directories are reached through
// their real location.
func (c *checker) walk() ([]layerFile, []string, error) {
	var files []layerFile
	var links []string
	err := filepath.WalkDir(c.fs.layer, func(h string, d fs.DirEntry, err error) error {
		rel, rerr := filepath.Rel(c.fs.layer, h)
		if rerr != nil {
			return rerr
		}
		rel = filepath.ToSlash(rel)
		if err != nil {
			if h == c.fs.layer {
				return err
			}
			c.add(rel, problem{sev: Error, kind: KindUnreadable, detail: err.Error(),
				fix: "make the layer readable (directories 0755, files 0644/0755)"})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			links = append(links, rel)
			// A link to an ELF file in another directory (a layer builder's
			// deduplicated copy) is loaded through the link's path, so its
			// $ORIGIN is the link's directory: check it there too. A link
			// in the same directory (libfoo.so.1 -> libfoo.so.1.2.3) is an
			// alias with the same $ORIGIN.
			n := c.fs.lookup(c.runPath(rel))
			if n.err == nil && n.inLayer && n.mode.IsRegular() {
				if target, terr := filepath.Rel(c.fs.layer, n.host); terr == nil && path.Dir(filepath.ToSlash(target)) != path.Dir(rel) {
					if o := c.load(n.host); o != nil && o.hdr != nil {
						files = append(files, layerFile{rel: rel, host: n.host, obj: o})
					}
				}
			}
		case d.Type().IsRegular():
			if o := c.load(h); o != nil {
				files = append(files, layerFile{rel: rel, host: h, obj: o})
			}
		}
		return nil
	})
	return files, links, err
}

// indexLayer records every name under which the layer offers a library
// for this machine (its DT_SONAME, file name and the names of links to
// it), and reports links that lead nowhere.
func (c *checker) indexLayer(files []layerFile, links []string) {
	ok := func(o *object) bool {
		return o != nil && o.err == nil && o.hdr != nil && o.hdr.Type == elf.ET_DYN && c.matches(o.hdr)
	}
	addName := func(name, rel string) {
		if !slices.Contains(c.layerNames[name], rel) {
			c.layerNames[name] = append(c.layerNames[name], rel)
		}
	}
	for _, f := range files {
		if !ok(f.obj) {
			continue
		}
		addName(path.Base(f.rel), f.rel)
		if s := f.obj.dyn.soname; s != "" {
			addName(s, f.rel)
		}
	}
	for _, rel := range links {
		n := c.fs.lookup(c.runPath(rel))
		if n.err != nil {
			// A link out of the layer cannot be judged without the runtime.
			if c.fs.runtime != "" || under(n.path, c.fs.mount) {
				c.add(rel, problem{sev: Warning, kind: KindBrokenSymlink,
					detail: fmt.Sprintf("%s does not resolve at run time: %v", c.runPath(rel), n.err),
					fix:    "make the link relative and point it at a file inside the layer, or drop it"})
			}
			continue
		}
		if n.inLayer && n.mode.IsRegular() && ok(c.load(n.host)) {
			addName(path.Base(rel), rel)
		}
	}
}

func (c *checker) checkFile(f layerFile) {
	o := f.obj
	if o.err != nil && o.hdr == nil {
		kind, fix := KindMalformed, "re-download or rebuild the file; a post-processing step (strip, patchelf) may have damaged it"
		var pe *fs.PathError
		if errors.As(o.err, &pe) {
			kind, fix = KindUnreadable, "make the file readable (0644, or 0755 for executables)"
		}
		c.res.Files = append(c.res.Files, File{Path: f.rel})
		c.add(f.rel, problem{sev: Error, kind: kind, detail: o.err.Error(), fix: fix})
		return
	}
	if !loadable(o.hdr) {
		return // object files, core dumps: never loaded
	}
	file := File{Path: f.rel}
	defer func() { c.res.Files = append(c.res.Files, file) }()
	if !c.matches(o.hdr) {
		c.add(f.rel, problem{sev: Error, kind: KindWrongArchitecture,
			detail: fmt.Sprintf("%s %s %s object; the target is %s", describeMachine(o.hdr.Machine), o.hdr.Class, o.hdr.Data, describeMachine(c.cfg.Machine)),
			fix:    fmt.Sprintf("install the %s build of this package (wheel platform tag ..._%s) or BUILD it for the target", platformName[c.cfg.Machine], platformName[c.cfg.Machine])})
		return
	}
	if o.err != nil {
		c.add(f.rel, problem{sev: Error, kind: KindMalformed, detail: o.err.Error(),
			fix: "re-download or rebuild the file; a post-processing step (strip, patchelf) may have damaged it"})
		return
	}
	file.Soname = o.dyn.soname
	origin := path.Dir(c.runPath(f.rel))
	requester := c.runPath(f.rel)
	found := map[string]resolved{}
	for _, name := range o.dyn.needed {
		r := c.search(o.dyn, origin, name, requester)
		if _, dup := found[name]; !dup {
			found[name] = r
		}
		file.Needed = append(file.Needed, r.Resolution)
		switch {
		case r.bad != "":
			c.add(f.rel, badCandidate(name, r))
		case r.obj != nil && !r.node.inLayer:
			for _, p := range c.runtimeProblems(r.Path, r.obj) {
				p.detail = fmt.Sprintf("via %s: %s", r.Path, p.detail)
				c.add(f.rel, p)
			}
		case r.From == "":
			c.add(f.rel, c.notFound(name, r))
		}
	}
	for _, p := range c.versionProblems(o.dyn, origin, found, requester) {
		c.add(f.rel, p)
	}
	file.MaxGlibc = c.glibcChecks(f.rel, o.dyn)
}

func describeMachine(m elf.Machine) string {
	if n, ok := platformName[m]; ok {
		return n
	}
	return m.String()
}

// glibcChecks applies the glibc ceiling and returns the highest glibc
// release the object needs.
func (c *checker) glibcChecks(rel string, d *dynInfo) string {
	maxV := ""
	var tooNew, private []string
	for _, vn := range d.verneed {
		for _, v := range vn.versions {
			if v.name == "GLIBC_PRIVATE" {
				private = append(private, vn.file)
				continue
			}
			g := glibcVersion(v.name)
			if g == "" {
				continue
			}
			if maxV == "" || compareVersions(g, maxV) > 0 {
				maxV = g
			}
			if c.cfg.GlibcCeiling != "" && compareVersions(g, c.cfg.GlibcCeiling) > 0 {
				tooNew = append(tooNew, fmt.Sprintf("%s (%s)", v.name, vn.file))
			}
		}
	}
	if len(tooNew) > 0 {
		tag := manylinuxTag(c.cfg.GlibcCeiling)
		c.add(rel, problem{sev: Error, kind: KindGlibcTooNew,
			detail: fmt.Sprintf("needs glibc %s but the platform has %s: %s", maxV, c.cfg.GlibcCeiling, strings.Join(tooNew, ", ")),
			fix:    fmt.Sprintf("pick a wheel with an older manylinux tag (%s or lower) or BUILD it from source in the target build image", tag)})
	}
	if len(private) > 0 {
		slices.Sort(private)
		c.add(rel, problem{sev: Warning, kind: KindGlibcPrivate,
			detail: "needs GLIBC_PRIVATE from " + strings.Join(slices.Compact(private), ", ") + ": internal glibc interface, works only with the exact glibc build it was linked against",
			fix:    "use a manylinux wheel or BUILD against the target image's glibc"})
	}
	return maxV
}

// runtimeProblems checks a library from the runtime image that a layer
// file loads: its own dependencies must resolve too (Config.Absent may
// remove some) and provide the versions it needs. Results are cached per
// run-time path (its $ORIGIN depends on it).
func (c *checker) runtimeProblems(p string, o *object) []problem {
	if ps, ok := c.runtime[p]; ok {
		return ps
	}
	if c.inFlight[p] || o.dyn == nil {
		return nil
	}
	c.inFlight[p] = true
	defer delete(c.inFlight, p)
	var out []problem
	found := map[string]resolved{}
	for _, name := range o.dyn.needed {
		r := c.search(o.dyn, path.Dir(p), name, p)
		if _, dup := found[name]; !dup {
			found[name] = r
		}
		switch {
		case r.bad != "":
			out = append(out, badCandidate(name, r))
		case r.obj != nil && !r.node.inLayer:
			for _, q := range c.runtimeProblems(r.Path, r.obj) {
				q.detail = fmt.Sprintf("via %s: %s", r.Path, q.detail)
				out = append(out, q)
			}
		case r.From == "":
			out = append(out, c.notFound(name, r))
		}
	}
	out = append(out, c.versionProblems(o.dyn, path.Dir(p), found, p)...)
	c.runtime[p] = out
	return out
}

// badCandidate is the finding for a search that stops at a file the
// loader refuses.
func badCandidate(name string, r resolved) problem {
	return problem{sev: Error, kind: KindMalformed,
		detail: fmt.Sprintf("needs %s: the loader opens %s first and fails: %s", name, r.Path, r.bad),
		fix:    "replace or remove that file, it stops the library search"}
}

// notFound builds the finding for an unresolved DT_NEEDED.
func (c *checker) notFound(name string, r resolved) problem {
	if r.absent != "" {
		return problem{sev: Error, kind: KindAbsentOnPlatform,
			detail: fmt.Sprintf("needs %s: the runtime image has %s, but %s; nothing in the layer provides it", name, r.absentPath, r.absent),
			fix:    fmt.Sprintf("vendor %s into the layer where the loader finds it (lib/ on LD_LIBRARY_PATH, or next to the object with an $ORIGIN rpath)", name)}
	}
	detail := fmt.Sprintf("needs %s: not found", name)
	if r.note != "" {
		detail += " (" + r.note + ")"
	} else if len(r.searched) > 0 {
		detail += " in " + r.searched
	}
	if len(r.skipped) > 0 {
		detail += fmt.Sprintf("; skipped %s (wrong architecture)", strings.Join(r.skipped, ", "))
	}
	return problem{sev: Error, kind: KindMissingLibrary, detail: detail,
		fix: "vendor the library (auditwheel repair / BUILD) or add a package that provides it"}
}

// versionProblems checks each (library, version) need against the version
// definitions of the library the loader picked, as ld.so does after
// loading: a library without any version definitions is accepted.
func (c *checker) versionProblems(d *dynInfo, origin string, found map[string]resolved, requester string) []problem {
	var out []problem
	for _, vn := range d.verneed {
		r, ok := found[vn.file]
		if !ok {
			r = c.search(d, origin, vn.file, requester)
			found[vn.file] = r
		}
		if r.obj == nil || r.obj.dyn == nil || !r.obj.dyn.hasVerdef {
			continue
		}
		var missing, weak []string
		for _, v := range vn.versions {
			if slices.Contains(r.obj.dyn.verdef, v.name) {
				continue
			}
			if v.weak {
				weak = append(weak, v.name)
			} else {
				missing = append(missing, v.name)
			}
		}
		where := r.Path
		if r.Real != "" {
			where += " (" + r.Real + ")"
		}
		for _, m := range []struct {
			names []string
			sev   Severity
		}{{missing, Error}, {weak, Warning}} {
			if len(m.names) == 0 {
				continue
			}
			detail := fmt.Sprintf("needs %s from %s, which %s does not define", strings.Join(m.names, ", "), vn.file, where)
			if n := newestLike(r.obj.dyn.verdef, m.names[0]); n != "" {
				detail += "; newest there: " + n
			}
			if m.sev == Warning {
				detail += " (weak need: ld.so only warns)"
			}
			fix := fmt.Sprintf("the loader picks an older %s than the file was built against: ship a newer one in the layer where it wins the search (an $ORIGIN DT_RPATH, or lib/ if the runtime copy does not shadow it), or pick a build linked against an older version", vn.file)
			if isGlibc(vn.file) {
				fix = "glibc cannot be shipped in a layer: pick a wheel with an older manylinux tag or BUILD it from source in the target build image"
			}
			out = append(out, problem{sev: m.sev, kind: KindMissingSymbolVersion, detail: detail, fix: fix})
		}
	}
	return out
}

// newestLike returns the highest version in defs with the same prefix as
// name ("GLIBCXX_3.4.29" for "GLIBCXX_3.4.30").
func newestLike(defs []string, name string) string {
	prefix, _, ok := cutVersion(name)
	if !ok {
		return ""
	}
	best, bestV := "", ""
	for _, d := range defs {
		p, v, ok := cutVersion(d)
		if !ok || p != prefix {
			continue
		}
		if best == "" || compareVersions(v, bestV) > 0 {
			best, bestV = d, v
		}
	}
	return best
}

// cutVersion splits "GLIBCXX_3.4.30" into "GLIBCXX" and "3.4.30".
func cutVersion(s string) (string, string, bool) {
	i := strings.LastIndexByte(s, '_')
	if i <= 0 || parseVersion(s[i+1:]) == nil {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

func (c *checker) reportShadows() {
	for soname, s := range c.shadows {
		layer := slices.Clone(c.layerNames[soname])
		slices.Sort(layer)
		req := make([]string, 0, len(s.requesters))
		for r := range s.requesters {
			req = append(req, r)
		}
		slices.Sort(req)
		who := strings.Join(req[:min(3, len(req))], ", ")
		if len(req) > 3 {
			who += fmt.Sprintf(" and %d more", len(req)-3)
		}
		copies := make([]string, len(layer))
		for i, l := range layer {
			copies[i] = c.runPath(l)
		}
		c.add(layer[0], problem{sev: Warning, kind: KindShadowed,
			detail: fmt.Sprintf("the layer ships %s (%s) but the loader takes the runtime's %s for %s",
				soname, strings.Join(copies, ", "), s.runtimePath, who),
			fix: "the layer copy is not used: drop it, or, if it is needed, give the objects that load it an $ORIGIN-relative DT_RPATH (which wins over LD_LIBRARY_PATH; DT_RUNPATH does not)"})
	}
}
