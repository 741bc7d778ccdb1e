package helper

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/elfcheck"
)

// runCheck checks every ELF file of the layer against the runtime image's
// file system (mounted, never executed): DT_NEEDED resolution in the
// platform's loader order, symbol versions, the glibc ceiling, shadowing
// and architecture (pkg/elfcheck). It writes check.json; with mode error,
// errors fail the step with the findings and their fixes.
func runCheck(o *helperapi.Check, stdout io.Writer) error {
	res, err := CheckLayer(o.Layer, o.Runtime, o.Config)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(o.Out, helperapi.CheckJSON))
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	var b strings.Builder
	_ = res.WriteText(&b)
	if o.Config.Mode != helperapi.CheckWarn && len(res.Errors()) > 0 {
		return fmt.Errorf("static check against the runtime failed (CHECK error; CHECK warn reports without failing):\n%s", b.String())
	}
	_, err = io.WriteString(stdout, b.String())
	return err
}

// CheckLayer runs the static check on an unpacked layer.
func CheckLayer(layer, runtime string, opts helperapi.CheckOptions) (*elfcheck.Result, error) {
	cfg, err := checkConfig(layer, runtime, opts)
	if err != nil {
		return nil, err
	}
	return elfcheck.Check(cfg)
}

// checkConfig is the elfcheck configuration for a layer on a runtime.
func checkConfig(layer, runtime string, opts helperapi.CheckOptions) (elfcheck.Config, error) {
	var m elf.Machine
	switch opts.Machine {
	case "x86_64", "amd64":
		m = elf.EM_X86_64
	case "aarch64", "arm64":
		m = elf.EM_AARCH64
	default:
		return elfcheck.Config{}, fmt.Errorf("unsupported machine %q", opts.Machine)
	}
	sys := append([]string(nil), opts.SystemDirs...)
	if runtime != "" {
		// The loader's cache comes from /etc/ld.so.conf: read it from the
		// image so a Debian-style multiarch runtime resolves like an Amazon
		// Linux one does with /lib64 and /usr/lib64.
		sys = appendUnique(ldSoConfDirs(runtime, "/etc/ld.so.conf", 0), sys...)
		sys = appendUnique(sys, defaultLoaderDirs(m)...)
	}
	return elfcheck.Config{
		Machine:      m,
		LayerRoot:    layer,
		MountPoint:   opts.MountPoint,
		RuntimeRoot:  runtime,
		LibraryPath:  opts.LibraryPath,
		SystemDirs:   sys,
		Absent:       opts.Absent,
		GlibcCeiling: opts.GlibcCeiling,
		Owner:        ownerFunc(layer, opts.SitePackages),
	}, nil
}

func defaultLoaderDirs(m elf.Machine) []string {
	// glibc's built-in search path for 64-bit targets (after ld.so.cache).
	return []string{"/lib64", "/usr/lib64", "/lib", "/usr/lib"}
}

// ldSoConfDirs reads an ld.so.conf (with its include globs) from the root.
func ldSoConfDirs(root, file string, depth int) []string {
	if depth > 8 {
		return nil
	}
	f, err := os.Open(filepath.Join(root, filepath.FromSlash(path.Clean("/"+file))))
	if err != nil {
		return nil
	}
	defer func() { _ = f.Close() }()
	var dirs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		switch {
		case line == "":
		case strings.HasPrefix(line, "include "):
			pat := strings.TrimSpace(strings.TrimPrefix(line, "include "))
			if !strings.HasPrefix(pat, "/") {
				pat = path.Join(path.Dir(file), pat)
			}
			matches, _ := filepath.Glob(filepath.Join(root, filepath.FromSlash(pat)))
			for _, mm := range matches {
				rel, _ := filepath.Rel(root, mm)
				dirs = appendUnique(dirs, ldSoConfDirs(root, "/"+filepath.ToSlash(rel), depth+1)...)
			}
		default:
			dirs = appendUnique(dirs, strings.Fields(line)[0])
		}
	}
	return dirs
}

func appendUnique(list []string, more ...string) []string {
	for _, s := range more {
		found := false
		for _, x := range list {
			if x == s {
				found = true
				break
			}
		}
		if !found {
			list = append(list, s)
		}
	}
	return list
}

// ownerFunc names the package a layer file came from: the distribution
// whose top_level.txt lists the file's top-level folder under
// site-packages (auditwheel's <name>.libs folders belong to <name>).
func ownerFunc(layer, site string) func(string) string {
	site = strings.Trim(path.Clean(site), "/")
	top := map[string]string{}
	dists, _ := filepath.Glob(filepath.Join(layer, filepath.FromSlash(site), "*.dist-info"))
	for _, d := range dists {
		name := strings.TrimSuffix(filepath.Base(d), ".dist-info")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i]
		}
		name = strings.ToLower(strings.ReplaceAll(name, "_", "-"))
		top[strings.ToLower(name)] = name
		top[strings.ReplaceAll(strings.ToLower(name), "-", "_")] = name
		if b, err := os.ReadFile(filepath.Join(d, "top_level.txt")); err == nil {
			for _, l := range strings.Fields(string(b)) {
				top[strings.ToLower(l)] = name
			}
		}
	}
	return func(rel string) string {
		rest, ok := strings.CutPrefix(rel, site+"/")
		if !ok {
			return ""
		}
		first, _, _ := strings.Cut(rest, "/")
		first = strings.ToLower(strings.TrimSuffix(first, ".libs"))
		first = strings.TrimSuffix(first, ".py")
		if i := strings.IndexByte(first, '.'); i > 0 { // _foo.cpython-311-x86_64-linux-gnu.so
			first = first[:i]
		}
		if n, ok := top[first]; ok {
			return n
		}
		return first
	}
}
