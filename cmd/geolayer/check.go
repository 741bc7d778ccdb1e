package main

import (
	"archive/tar"
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/containerd/platforms"
	"github.com/geolayer/geolayer/frontend/profile"
	"github.com/geolayer/geolayer/helper"
	"github.com/geolayer/geolayer/pkg/elfcheck"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Size caps for what geolayer check unpacks: the layer zip (uncompressed)
// and the runtime image's flattened file system.
const (
	maxLayerBytes = 4 << 30
	maxImageBytes = 16 << 30
	// maxZipEntries bounds the number of entries of a layer zip.
	maxZipEntries = 1 << 20
)

// Exit statuses of geolayer check.
const (
	checkOK       = 0 // no errors (warnings may have been reported)
	checkFailed   = 1 // the check found errors
	checkTrouble  = 2 // usage error, or the check could not run
	checkUsageErr = checkTrouble
)

// usageError marks errors in the command line found after parsing.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// runCheck runs the build's static ABI check (helper.CheckLayer) on an
// existing layer, outside BuildKit: the platform facts come from the
// profile table as in the frontend (frontend/check.go), the runtime file
// system from a directory or a pulled image.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("geolayer check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	prof := fs.String("profile", "", "target profile and runtime, PROFILE:RUNTIME (e.g. aws-lambda:python3.11); required")
	plat := fs.String("platform", "linux/amd64", "target platform: linux/amd64 or linux/arm64")
	glibc := fs.String("glibc", "", "glibc ceiling X.Y (default: the profile's)")
	layout := fs.String("layout", "", "layer layout: lambda, site-packages, azure or gcp (default: the profile's; needed for the custom profile)")
	runtimeImage := fs.String("runtime-image", "", "runtime image to pull for --platform (default: the profile's runtime image)")
	runtimeRoot := fs.String("runtime-root", "", "runtime root file system as a directory (instead of pulling an image)")
	jsonOut := fs.Bool("json", false, "write the result as JSON instead of text")
	insecure := fs.Bool("insecure-registry", false, "pull over plain HTTP (automatic for localhost and 127.0.0.1)")
	printUsage := func(w io.Writer) {
		_, _ = fmt.Fprintln(w, "usage: geolayer check [flags] <layer.zip|dir>")
		_, _ = fmt.Fprintln(w, "Runs the build's static ABI check on an existing layer against the runtime's file system.")
		_, _ = fmt.Fprintln(w, "Exit status: 0 no errors, 1 the check found errors, 2 usage error or the check could not run.")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	var pos []string
	if code, done := parseFlags(fs, args, printUsage, stdout, stderr, func() (err error) { pos, err = parseInterspersed(fs, args); return err }); done {
		return code
	}
	usage := func(format string, a ...any) int {
		_, _ = fmt.Fprintf(stderr, "geolayer check: "+format+"\nrun 'geolayer check --help' for the flags\n", a...)
		return checkUsageErr
	}
	if len(pos) != 1 {
		return usage("want exactly one layer (a zip or a directory), got %d arguments", len(pos))
	}
	if *runtimeImage != "" && *runtimeRoot != "" {
		return usage("--runtime-image and --runtime-root are mutually exclusive")
	}
	cfg, err := checkTarget(*prof, *plat, *glibc, *layout, *runtimeImage, *runtimeRoot)
	if err != nil {
		return usage("%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := check(ctx, pos[0], cfg, *runtimeImage, *runtimeRoot, *insecure, stderr)
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			return usage("%v", err)
		}
		_, _ = fmt.Fprintf(stderr, "geolayer check: %v\n", err)
		return checkTrouble
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(res)
	} else {
		err = res.WriteText(stdout)
	}
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "geolayer check: %v\n", err)
		return checkTrouble
	}
	if len(res.Errors()) > 0 {
		return checkFailed
	}
	return checkOK
}

// parseInterspersed parses flags before and after positional arguments
// (`geolayer check layer.zip --profile ...`); "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// checkConfig is a resolved target: the runtime row and the check options.
type checkConfig struct {
	rt       *profile.Runtime
	platform ocispecs.Platform
	opts     helper.CheckOptions
}

// checkTarget resolves --profile, --platform and the overrides the way
// TARGET does (targetRuntime in frontend/plan.go), and builds the check options the way the
// frontend does ((*plan).checkConfig in frontend/check.go).
func checkTarget(prof, plat, glibc, layout, runtimeImage, runtimeRoot string) (*checkConfig, error) {
	if prof == "" {
		return nil, errors.New("--profile is required (e.g. --profile aws-lambda:python3.11)")
	}
	pname, rname, ok := strings.Cut(prof, ":")
	if !ok || pname == "" || rname == "" {
		return nil, fmt.Errorf("--profile %q: want PROFILE:RUNTIME, e.g. aws-lambda:python3.11 (profiles: %s)", prof, strings.Join(profile.ProfileNames(), ", "))
	}
	rt, err := profile.Lookup(pname, rname)
	if err != nil {
		return nil, err
	}
	if runtimeImage == "" && runtimeRoot != "" && rt.RuntimeImage == "" {
		// The custom profile names no image; a directory stands in for it.
		rt.RuntimeImage = "dir:" + runtimeRoot
	}
	if runtimeImage != "" || glibc != "" || layout != "" {
		if rt, err = rt.ApplyOverrides(runtimeImage, "", glibc, layout); err != nil {
			return nil, err
		}
	}
	if err := rt.Validate(); err != nil {
		return nil, err
	}
	p, err := platforms.Parse(plat)
	if err != nil {
		return nil, fmt.Errorf("--platform: %w", err)
	}
	p = platforms.Normalize(p)
	machine := profile.ELFMachine(p.Architecture)
	if p.OS != "linux" || machine == "" {
		return nil, fmt.Errorf("--platform %s: only linux/amd64 and linux/arm64 are supported", plat)
	}
	if !rt.SupportsPlatform(p) {
		return nil, fmt.Errorf("%s %s does not run on %s (platforms: %s)", rt.Profile, rt.Name, platforms.Format(p), strings.Join(rt.Platforms, ", "))
	}
	ldPath := rt.LibraryPath()
	return &checkConfig{rt: rt, platform: p, opts: helper.CheckOptions{
		Machine:      machine,
		MountPoint:   rt.MountPoint,
		LibraryPath:  ldPath,
		SystemDirs:   rt.SysLibDirs,
		Absent:       rt.Absent,
		GlibcCeiling: rt.Glibc,
		SitePackages: rt.Layout.SitePackages,
		Mode:         "error",
	}}, nil
}

// check unpacks what it must (the layer zip, the runtime image) into
// temporary directories, runs the check and removes them.
func check(ctx context.Context, layer string, cfg *checkConfig, runtimeImage, runtimeRoot string, insecure bool, stderr io.Writer) (*elfcheck.Result, error) {
	st, err := os.Stat(layer)
	if err != nil {
		return nil, usageError{fmt.Sprintf("layer: %v", err)}
	}
	layerDir := layer
	if !st.IsDir() {
		tmp, err := os.MkdirTemp("", "geolayer-check-layer-")
		if err != nil {
			return nil, err
		}
		defer func() { _ = os.RemoveAll(tmp) }()
		if err := extractLayerZip(ctx, layer, tmp, maxLayerBytes); err != nil {
			return nil, err
		}
		layerDir = tmp
	}

	root := runtimeRoot
	if root != "" {
		st, err := os.Stat(root)
		if err != nil {
			return nil, usageError{fmt.Sprintf("--runtime-root: %v", err)}
		}
		if !st.IsDir() {
			return nil, usageError{fmt.Sprintf("--runtime-root %s: not a directory", root)}
		}
		_, _ = fmt.Fprintf(stderr, "geolayer check: %s %s on %s, glibc ceiling %s, runtime root %s\n",
			cfg.rt.Profile, cfg.rt.Name, platforms.Format(cfg.platform), cfg.opts.GlibcCeiling, root)
	} else {
		ref := runtimeImage
		if ref == "" {
			ref = cfg.rt.RuntimeImage
		}
		tmp, err := os.MkdirTemp("", "geolayer-check-runtime-")
		if err != nil {
			return nil, err
		}
		defer func() { _ = os.RemoveAll(tmp) }()
		desc, err := pullRootfs(ctx, ref, cfg.platform, insecure, tmp, maxImageBytes)
		if err != nil {
			hint := ""
			if runtimeImage == "" {
				hint = " (the profile's runtime image; use --runtime-image REF for a mirror, or --runtime-root DIR)"
			}
			return nil, fmt.Errorf("runtime image %s%s: %w", ref, hint, err)
		}
		_, _ = fmt.Fprintf(stderr, "geolayer check: %s %s on %s, glibc ceiling %s, runtime image %s\n",
			cfg.rt.Profile, cfg.rt.Name, platforms.Format(cfg.platform), cfg.opts.GlibcCeiling, desc)
		root = tmp
	}
	return helper.CheckLayer(layerDir, root, cfg.opts)
}

// errTooLarge is returned when an archive unpacks to more than its cap.
var errTooLarge = errors.New("too large")

// writeFile creates name under root (it must not exist) with the contents
// of src, at most budget bytes, and mode perm; it returns the bytes written.
func writeFile(root *os.Root, name string, src io.Reader, perm fs.FileMode, budget int64) (int64, error) {
	w, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(w, io.LimitReader(src, budget+1))
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > budget {
		err = errTooLarge
	}
	if err == nil {
		err = root.Chmod(name, perm) // not subject to the umask
	}
	return n, err
}

// extractLayerZip unpacks a layer zip into dest, an empty directory. It
// refuses archives that are not a plain tree inside dest: absolute names,
// ".." components, symbolic links with absolute targets or that resolve
// outside the layer, special files, duplicate entries, more than limit
// bytes. File and directory modes are kept (owners can always read files
// and enter and write directories, so that the checker can read them and
// the directory can be removed).
func extractLayerZip(ctx context.Context, file, dest string, limit int64) error {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return fmt.Errorf("layer %s: %w", file, err)
	}
	defer func() { _ = zr.Close() }()
	if len(zr.File) > maxZipEntries {
		return fmt.Errorf("layer %s: refused: more than %d entries", file, maxZipEntries)
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return err
	}
	defer func() { _ = root.Close() }()
	refuse := func(f *zip.File, format string, a ...any) error {
		return fmt.Errorf("layer %s: refused entry %q: %s", file, f.Name, fmt.Sprintf(format, a...))
	}
	type dirMode struct {
		name string
		perm fs.FileMode
	}
	var dirs []dirMode
	var links []*zip.File
	linkNames := map[*zip.File]string{}
	seen := map[string]bool{}
	var total int64
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		name, err := zipEntryName(f.Name)
		if err != nil {
			return refuse(f, "%v", err)
		}
		mode := f.Mode()
		if name == "." {
			if mode.IsDir() {
				continue // "./"
			}
			return refuse(f, "not a file name")
		}
		if seen[name] {
			return refuse(f, "duplicate entry")
		}
		seen[name] = true
		if parent := path.Dir(name); parent != "." {
			if err := root.MkdirAll(parent, 0o755); err != nil {
				return refuse(f, "%v", err)
			}
		}
		switch {
		case mode.IsDir():
			if err := root.MkdirAll(name, 0o755); err != nil {
				return refuse(f, "%v", err)
			}
			dirs = append(dirs, dirMode{name, mode.Perm()})
		case mode&fs.ModeSymlink != 0:
			target, err := readZipSmall(f, 4096)
			if err != nil {
				return refuse(f, "%v", err)
			}
			switch {
			case target == "":
				return refuse(f, "empty symbolic link")
			case path.IsAbs(target):
				return refuse(f, "symbolic link to an absolute path (%s): the layer must be self-contained", target)
			case strings.IndexByte(target, 0) >= 0:
				return refuse(f, "NUL in the link target")
			}
			if err := root.Symlink(target, name); err != nil {
				return refuse(f, "%v", err)
			}
			links = append(links, f)
			linkNames[f] = name
		case mode.Type() == 0:
			r, err := f.Open()
			if err != nil {
				return refuse(f, "%v", err)
			}
			n, err := writeFile(root, name, r, mode.Perm()|0o400, limit-total)
			_ = r.Close()
			total += n
			if errors.Is(err, errTooLarge) {
				return fmt.Errorf("layer %s: refused: unpacks to more than %d bytes", file, limit)
			}
			if err != nil {
				return refuse(f, "%v", err)
			}
		default:
			return refuse(f, "special file (%v)", mode.Type())
		}
	}
	// With the tree complete, every link must resolve inside it (links
	// through other links included).
	for _, f := range links {
		if linkEscapes(dest, linkNames[f]) {
			return refuse(f, "symbolic link that resolves outside the layer")
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := root.Chmod(dirs[i].name, dirs[i].perm|0o700); err != nil {
			return err
		}
	}
	return nil
}

// zipEntryName validates a zip entry name and returns it cleaned.
func zipEntryName(n string) (string, error) {
	switch {
	case n == "":
		return "", errors.New("empty name")
	case strings.HasPrefix(n, "/"):
		return "", errors.New("absolute path")
	case strings.IndexByte(n, 0) >= 0:
		return "", errors.New("NUL in the name")
	}
	for _, c := range strings.Split(n, "/") {
		if c == ".." {
			return "", errors.New(`".." in the path`)
		}
	}
	return path.Clean(n), nil
}

// readZipSmall reads an entry of at most max bytes (a link target).
func readZipSmall(f *zip.File, max int64) (string, error) {
	r, err := f.Open()
	if err != nil {
		return "", err
	}
	defer func() { _ = r.Close() }()
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return "", err
	}
	if int64(len(b)) > max {
		return "", errors.New("link target too long")
	}
	return string(b), nil
}

// linkEscapes reports whether the symbolic link link (slash-separated,
// relative to root) resolves to a place outside root, following further
// links inside root and treating ".." physically, as the kernel does.
// Links with absolute targets escape; loops do not (they resolve to
// nothing).
func linkEscapes(root, link string) bool {
	host := func(comps []string) string {
		return filepath.Join(append([]string{root}, comps...)...)
	}
	var cur []string // the resolved directory, no component a link
	if d := path.Dir(link); d != "." {
		cur = strings.Split(d, "/")
	}
	target, err := os.Readlink(host(strings.Split(link, "/")))
	if err != nil || path.IsAbs(target) {
		return true
	}
	rest := strings.Split(target, "/")
	hops := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return true
			}
			cur = cur[:len(cur)-1]
			continue
		}
		next := append(cur[:len(cur):len(cur)], c)
		fi, err := os.Lstat(host(next))
		if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			if hops++; hops > 40 {
				return false
			}
			t, err := os.Readlink(host(next))
			if err != nil || path.IsAbs(t) {
				return true
			}
			rest = append(strings.Split(t, "/"), rest...)
			continue
		}
		// Missing names and files are followed lexically: conservative.
		cur = next
	}
	return false
}

// pullRootfs pulls ref for platform p and unpacks its flattened file
// system into dest; it returns a description of what it pulled.
func pullRootfs(ctx context.Context, ref string, p ocispecs.Platform, insecure bool, dest string, limit int64) (string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", usageError{fmt.Sprintf("image reference %q: %v", ref, err)}
	}
	if insecure || loopbackRegistry(r.Context().RegistryStr()) {
		if r, err = name.ParseReference(ref, name.Insecure); err != nil {
			return "", err
		}
	}
	img, err := remote.Image(r,
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithPlatform(v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}),
		remote.WithUserAgent("geolayer/"+version))
	if err != nil {
		return "", err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return "", err
	}
	if cfg.Architecture != "" {
		got := platforms.Normalize(ocispecs.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant})
		if got.OS != p.OS || got.Architecture != p.Architecture {
			return "", fmt.Errorf("the image is for %s, not %s", platforms.Format(got), platforms.Format(p))
		}
	}
	digest, err := img.Digest()
	if err != nil {
		return "", err
	}
	rc := mutate.Extract(img)
	defer func() { _ = rc.Close() }()
	skipped, err := extractRootfs(ctx, rc, dest, limit)
	if err != nil {
		return "", err
	}
	desc := fmt.Sprintf("%s (%s, %s)", r.Name(), platforms.Format(p), digest)
	if len(skipped) > 0 {
		desc += fmt.Sprintf("; %d entries not unpacked (outside the root or dangling hard links), first %s", len(skipped), skipped[0])
	}
	return desc, nil
}

// loopbackRegistry reports whether a registry host is this machine's:
// those are pulled over plain HTTP.
func loopbackRegistry(reg string) bool {
	host := reg
	if h, _, ok := strings.Cut(strings.TrimPrefix(reg, "["), "]"); ok && strings.HasPrefix(reg, "[") {
		host = h
	} else if i := strings.LastIndexByte(reg, ':'); i >= 0 && strings.Count(reg, ":") == 1 {
		host = reg[:i]
	}
	return host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}

// extractRootfs unpacks a flattened image file system (a tar stream, whiteouts
// already applied) into dest: directories, regular files, symbolic and hard
// links; device nodes, FIFOs and sockets are left out. It never writes
// outside dest (os.Root): entries that would, and hard links to missing
// files, are skipped and returned. Owners are not kept; modes are, with
// owner read access added.
func extractRootfs(ctx context.Context, r io.Reader, dest string, limit int64) (skipped []string, err error) {
	root, err := os.OpenRoot(dest)
	if err != nil {
		return nil, err
	}
	defer func() { _ = root.Close() }()
	tr := tar.NewReader(r)
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return skipped, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return skipped, nil
		}
		if err != nil {
			return skipped, err
		}
		name := path.Clean(strings.TrimLeft(h.Name, "/"))
		if name == "." {
			continue
		}
		if name == ".." || strings.HasPrefix(name, "../") {
			skipped = append(skipped, h.Name)
			continue
		}
		switch h.Typeflag {
		case tar.TypeDir, tar.TypeReg, tar.TypeSymlink, tar.TypeLink:
		default: // device nodes, FIFOs
			continue
		}
		if dir := path.Dir(name); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				skipped = append(skipped, h.Name)
				continue
			}
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = root.MkdirAll(name, 0o755)
		case tar.TypeReg:
			_ = root.Remove(name)
			var n int64
			n, err = writeFile(root, name, tr, fs.FileMode(h.Mode).Perm()|0o400, limit-total)
			total += n
			if errors.Is(err, errTooLarge) {
				return skipped, fmt.Errorf("the file system is larger than %d bytes", limit)
			}
		case tar.TypeSymlink:
			_ = root.Remove(name)
			err = root.Symlink(h.Linkname, name)
		case tar.TypeLink:
			_ = root.Remove(name)
			err = root.Link(path.Clean(strings.TrimLeft(h.Linkname, "/")), name)
		}
		if err != nil {
			skipped = append(skipped, h.Name)
		}
	}
}
