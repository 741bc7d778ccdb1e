package helper

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/geolayer/geolayer/pkg/elfcheck"
	"github.com/geolayer/geolayer/pkg/elfstrip"
	"github.com/geolayer/geolayer/pkg/report"
	"github.com/geolayer/geolayer/pkg/sbom"
)

// NativeLibrariesName is the pseudo-package that carries the libraries
// vendored from the build stage.
const NativeLibrariesName = "native-libraries"

// runVendor copies into the layer's library folder the build stage's
// libraries that the compiled packages need and the runtime lacks: the
// static checker's closure (elfcheck.Vendor), each library once, under
// its soname (a relative link to the real file name when they differ),
// stripped like the packages. The report lists each library, who needs
// it and its size.
func runVendor(args []string, stdout io.Writer) error {
	fl := newFlags("vendor")
	layer := fl.String("layer", "", "the compiled packages, installed as in the layer")
	build := fl.String("build", "", "the build stage's root file system")
	runtime := fl.String("runtime", "", "the runtime image's root file system (\"\": none)")
	config := fl.String("config", "", "CheckOptions as JSON")
	libDir := fl.String("lib-dir", "", "the layer's library folder, relative to the layer root (\"\": the platform has none)")
	mode := fl.String("strip", "unneeded", "strip mode: debug, unneeded or none")
	out := fl.String("out", "", "output tree")
	metaOut := fl.String("meta-out", "", "report JSON of the vendored libraries")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if err := required(fl, "layer", "build", "config", "out", "meta-out"); err != nil {
		return err
	}
	var opts CheckOptions
	if err := json.Unmarshal([]byte(*config), &opts); err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	m, err := elfstrip.ParseMode(*mode)
	if err != nil {
		return err
	}
	cfg, err := checkConfig(*layer, *runtime, opts)
	if err != nil {
		return err
	}
	runLib := path.Join(opts.MountPoint, *libDir)
	if *libDir == "" {
		runLib = path.Join(opts.MountPoint, ".geolayer-no-lib-dir")
	}
	buildDirs := appendUnique(ldSoConfDirs(*build, "/etc/ld.so.conf", 0), defaultLoaderDirs(cfg.Machine)...)
	res, err := elfcheck.Vendor(elfcheck.VendorConfig{Config: cfg, BuildRoot: *build, BuildDirs: buildDirs, LibDir: runLib})
	if err != nil {
		return err
	}
	if len(res.Libs) > 0 && *libDir == "" {
		var names []string
		for _, l := range res.Libs {
			names = append(names, l.Soname)
		}
		return fmt.Errorf("the compiled packages need libraries from the build stage that the runtime lacks (%s), and this platform has no library folder on its loader path to ship them in; "+
			"link them statically, or target a profile with a library folder (aws-lambda: lib/)", strings.Join(names, ", "))
	}
	pkg := &report.Package{Name: NativeLibrariesName, Vendored: []report.VendoredLib{}}
	st := &report.Strip{Mode: m.String()}
	dst := filepath.Join(*out, filepath.FromSlash(*libDir))
	if len(res.Libs) > 0 {
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
	} else if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	copied := map[string]int64{} // file name -> bytes shipped
	for _, l := range res.Libs {
		rel := path.Join(*libDir, l.Soname)
		if _, ok := copied[l.File]; !ok {
			info, err := os.Stat(l.Host)
			if err != nil {
				return err
			}
			if err := stripCopy(l.Host, filepath.Join(dst, l.File), path.Join(*libDir, l.File), info, m, st); err != nil {
				return fmt.Errorf("%s: %w", l.Source, err)
			}
			fi, err := os.Stat(filepath.Join(dst, l.File))
			if err != nil {
				return err
			}
			copied[l.File] = fi.Size()
			pkg.Files++
			pkg.Bytes += fi.Size()
		}
		if l.File != l.Soname {
			if err := os.Symlink(l.File, filepath.Join(dst, l.Soname)); err != nil {
				return err
			}
			pkg.Files++
		}
		vl := report.VendoredLib{Soname: l.Soname, Path: rel, Source: l.Source, Bytes: copied[l.File], NeededBy: l.NeededBy}
		if vl.SHA256, vl.SHA1, err = fileHashes(filepath.Join(dst, l.File)); err != nil {
			return err
		}
		if vl.SourceSHA256, _, err = fileHashes(l.Host); err != nil {
			return err
		}
		pkg.Vendored = append(pkg.Vendored, vl)
		_, _ = fmt.Fprintf(stdout, "vendored %s\n", l)
	}
	// The build stage's package that installed each library, as its dpkg
	// database says (for the SBOM).
	var sources []string
	for _, v := range pkg.Vendored {
		sources = append(sources, v.Source)
	}
	owners, err := sbom.DpkgOwners(*build, sources)
	if err != nil {
		return fmt.Errorf("reading the build stage's package database: %w", err)
	}
	for i := range pkg.Vendored {
		pkg.Vendored[i].OSPackage = owners[pkg.Vendored[i].Source]
	}
	if st.Files > 0 || len(st.Skipped) > 0 {
		pkg.Strip = st
	}
	for _, u := range res.Unresolved {
		w := fmt.Sprintf("%s, needed by %s, is neither on the runtime nor in the build stage (searched %s)", u.Soname, strings.Join(u.NeededBy, ", "), u.Searched)
		pkg.Warnings = append(pkg.Warnings, w)
		_, _ = fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	if len(res.Libs) == 0 {
		_, _ = fmt.Fprintln(stdout, "no library to vendor: the runtime has everything the compiled packages need")
	}
	return writePackage(*metaOut, pkg)
}
