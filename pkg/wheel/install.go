package wheel

import (
	"archive/zip"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Scheme gives the install directories for the wheel scheme keys.
type Scheme struct {
	// Root is a host directory, created if missing.
	Root string
	// The scheme directories, '/'-separated and relative to Root ("" or
	// "." is Root itself). The .dist-info directory goes to Purelib or
	// Platlib, whichever receives the archive root.
	Purelib, Platlib string
	Scripts          string
	Data             string
	Headers          string
}

// InstallOptions tune Install. The zero value is usable.
type InstallOptions struct {
	// Interpreter replaces "python" in "#!python" script shebangs and is
	// the shebang of generated entry point wrappers, without the "#!".
	// Default "/usr/bin/env python3".
	Interpreter string
	// Mtime is given to every installed file, symlink and directory.
	// Default 1980-01-01T00:00:00Z.
	Mtime time.Time
	// MaxUnpackedBytes bounds the total number of bytes decompressed from
	// the wheel, counted while streaming. Default (<= 0) 4 GiB.
	MaxUnpackedBytes int64
	// MaxEntryRatio bounds decompressed/compressed size per entry once an
	// entry has produced more than 1 MiB. Default (0) 200; < 0 disables.
	MaxEntryRatio int64
	// MaxEntries bounds the number of archive members. Default (<= 0)
	// 65535, the most a zip holds without zip64's entry count: real wheels
	// have thousands at most, and every member costs a file and a RECORD
	// row.
	MaxEntries int
}

// Installed describes a completed installation.
type Installed struct {
	Name    string // normalized project name (PEP 503)
	Version string // as in the .dist-info directory name
	Files   []InstalledFile
	Bytes   int64 // total size of installed regular files
	// License is what METADATA declares: License-Expression (PEP 639, an
	// SPDX expression) when present, else the free-text License field;
	// "" when neither is set. LicenseExpression says which it is.
	License           string
	LicenseExpression bool
	Warnings          []string
}

// InstalledFile is one installed file or symlink (directories are not
// listed), sorted by Path.
type InstalledFile struct {
	Path string // relative to Scheme.Root, '/'-separated
	Size int64  // bytes; for symlinks the length of the target
	Mode fs.FileMode
}

const (
	// DefaultInterpreter is the default InstallOptions.Interpreter.
	DefaultInterpreter = "/usr/bin/env python3"
	// DefaultMaxUnpackedBytes is the default InstallOptions.MaxUnpackedBytes.
	DefaultMaxUnpackedBytes int64 = 4 << 30
	// DefaultMaxEntryRatio is the default InstallOptions.MaxEntryRatio.
	DefaultMaxEntryRatio int64 = 200
	// DefaultMaxEntries is the default InstallOptions.MaxEntries.
	DefaultMaxEntries = 65535
	// InstallerName is written to .dist-info/INSTALLER.
	InstallerName = "geolayer"

	ratioFloor        = 1 << 20 // entry bytes before the ratio limit applies
	maxMetadataBytes  = 1 << 20 // WHEEL, entry_points.txt
	maxRecordBytes    = 64 << 20
	maxSymlinkTarget  = 4096
	defaultMtimeUnix  = 315532800 // 1980-01-01T00:00:00Z
	schemeKeysInOrder = "purelib, platlib, scripts, data, headers"
)

// DefaultMtime is the default InstallOptions.Mtime.
var DefaultMtime = time.Unix(defaultMtimeUnix, 0).UTC()

// Install installs the wheel at wheelPath into s following the binary
// distribution format specification: it checks WHEEL's Wheel-Version,
// installs the archive root into purelib or platlib (Root-Is-Purelib),
// spreads {name}-{version}.data/{purelib,platlib,scripts,data,headers},
// verifies every member against RECORD while streaming it to disk, rewrites
// "#!python" shebangs, generates console_scripts/gui_scripts wrappers,
// writes INSTALLER and an installed RECORD (sorted, relative to the
// .dist-info's parent). REQUESTED and direct_url.json are not written.
//
// Unsafe members (absolute paths, "..", backslashes, NUL, names that are not
// UTF-8, duplicates, paths
// through symlinks, symlinks leaving Root, special files) are refused, and
// decompression and the number of entries are bounded by opts. Installed files get mode 0644 (0755
// when the archive marks a regular file executable, and for rewritten and
// generated scripts); every directory that receives content, pre-existing
// ones included, gets 0755; all get opts.Mtime. An existing regular file at
// a destination is replaced (with a warning). On error, files and
// directories Install created are removed again (best effort); files it
// replaced are lost.
func Install(wheelPath string, s Scheme, opts InstallOptions) (*Installed, error) {
	in, err := newInstaller(s, opts)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(wheelPath)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("%s: %w", wheelPath, err)
	}
	res, err := in.run(zr, filepath.Base(wheelPath))
	if err != nil {
		in.fs.cleanup()
		return nil, fmt.Errorf("install %s: %w", filepath.Base(wheelPath), err)
	}
	return res, nil
}

// installer carries the state of one Install call.
type installer struct {
	opts     InstallOptions
	scheme   map[string]string // scheme key -> dir relative to root
	fs       *fsWriter
	distInfo string // "{name}-{version}.dist-info"
	// license and licenseExpr: METADATA's declared license (Installed.License).
	license     string
	licenseExpr bool
	dataDir     string // "{name}-{version}.data"
	rootKey     string // "purelib" or "platlib"
	record      map[string]recordEntry
	unpacked    int64
	warnings    []string
}

func newInstaller(s Scheme, opts InstallOptions) (*installer, error) {
	if opts.Interpreter == "" {
		opts.Interpreter = DefaultInterpreter
	}
	if strings.ContainsAny(opts.Interpreter, "\n\r\x00") || strings.TrimSpace(opts.Interpreter) == "" {
		return nil, fmt.Errorf("invalid interpreter %q", opts.Interpreter)
	}
	if opts.Mtime.IsZero() {
		opts.Mtime = DefaultMtime
	}
	if opts.MaxUnpackedBytes <= 0 {
		opts.MaxUnpackedBytes = DefaultMaxUnpackedBytes
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	if opts.MaxEntryRatio == 0 {
		opts.MaxEntryRatio = DefaultMaxEntryRatio
	}
	if s.Root == "" {
		return nil, fmt.Errorf("scheme has no Root")
	}
	root, err := filepath.Abs(s.Root)
	if err != nil {
		return nil, err
	}
	in := &installer{opts: opts, scheme: map[string]string{}}
	for key, dir := range map[string]string{
		"purelib": s.Purelib, "platlib": s.Platlib, "scripts": s.Scripts,
		"data": s.Data, "headers": s.Headers,
	} {
		clean, err := cleanSchemeDir(dir)
		if err != nil {
			return nil, fmt.Errorf("scheme %s: %v", key, err)
		}
		in.scheme[key] = clean
	}
	in.fs = newFSWriter(root, opts.Mtime)
	return in, nil
}

// cleanSchemeDir validates a scheme directory relative to Root.
func cleanSchemeDir(dir string) (string, error) {
	if dir == "" || dir == "." {
		return ".", nil
	}
	if err := checkRelPath(strings.TrimSuffix(dir, "/")); err != nil {
		return "", err
	}
	return strings.TrimSuffix(dir, "/"), nil
}

// PthWarning starts the warning for a .pth file installed into
// site-packages (the frontend raises it as a build warning).
const PthWarning = "installs the .pth file"

func (in *installer) warnf(format string, args ...any) {
	in.warnings = append(in.warnings, fmt.Sprintf(format, args...))
}

func (in *installer) run(zr *zip.Reader, base string) (*Installed, error) {
	if len(zr.File) > in.opts.MaxEntries {
		return nil, fmt.Errorf("%w: the wheel has %d entries, more than the limit of %d", ErrTooLarge, len(zr.File), in.opts.MaxEntries)
	}
	members := map[string]*zip.File{}
	for _, f := range zr.File {
		if err := checkEntryName(f.Name); err != nil {
			return nil, err
		}
		if members[f.Name] != nil {
			return nil, fmt.Errorf("%w: duplicate archive entry %s", ErrUnsafe, f.Name)
		}
		members[f.Name] = f
	}
	distInfo, err := findDistInfo(zr.File)
	if err != nil {
		return nil, err
	}
	rawName, version, err := splitDistInfo(distInfo)
	if err != nil {
		return nil, err
	}
	name := NormalizeName(rawName)
	if fn, ferr := ParseFilename(base); ferr == nil {
		if fn.Name != name {
			return nil, fmt.Errorf("wheel filename is for %s but it contains %s", fn.Name, distInfo)
		}
		if fn.Version != version {
			in.warnf("wheel filename version %s differs from %s", fn.Version, distInfo)
		}
	}
	in.distInfo = distInfo
	in.dataDir = strings.TrimSuffix(distInfo, ".dist-info") + ".data"

	wf := members[distInfo+"/WHEEL"]
	if wf == nil {
		return nil, fmt.Errorf("%s/WHEEL is missing", distInfo)
	}
	data, err := readMember(wf, maxMetadataBytes)
	if err != nil {
		return nil, err
	}
	wi, err := parseWheelFile(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s/WHEEL: %w", distInfo, err)
	}
	if wi.Minor > 0 {
		in.warnf("Wheel-Version %s is newer than the supported 1.0; installing anyway", wi.Raw)
	}
	if mf := members[distInfo+"/METADATA"]; mf != nil {
		head, err := readHead(mf, maxMetadataBytes)
		if err != nil {
			return nil, err
		}
		in.license, in.licenseExpr = declaredLicense(parseHeaders(string(head)))
	}
	in.rootKey = "platlib"
	if wi.RootIsPurelib {
		in.rootKey = "purelib"
	}
	rf := members[distInfo+"/RECORD"]
	if rf == nil {
		return nil, fmt.Errorf("%w: %s/RECORD is missing", ErrRecord, distInfo)
	}
	data, err = readMember(rf, maxRecordBytes)
	if err != nil {
		return nil, err
	}
	if in.record, err = parseRecord(data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRecord, err)
	}

	plan, err := in.plan(zr.File)
	if err != nil {
		return nil, err
	}
	if err := in.fs.init(); err != nil {
		return nil, err
	}
	for _, p := range plan {
		if err := in.extract(p); err != nil {
			return nil, err
		}
	}
	if err := in.entryPointScripts(); err != nil {
		return nil, err
	}
	if err := in.writeInstallerAndRecord(); err != nil {
		return nil, err
	}
	if err := in.fs.finish(); err != nil {
		return nil, err
	}
	res := &Installed{Name: name, Version: version, License: in.license, LicenseExpression: in.licenseExpr, Warnings: in.warnings}
	for _, f := range in.fs.files {
		res.Files = append(res.Files, InstalledFile{Path: f.path, Size: f.size, Mode: f.mode})
		if f.mode.IsRegular() {
			res.Bytes += f.size
		}
	}
	sort.Slice(res.Files, func(i, j int) bool { return res.Files[i].Path < res.Files[j].Path })
	return res, nil
}
