package helper

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/elfcheck"
	"github.com/geolayer/geolayer/pkg/report"
	"github.com/geolayer/geolayer/pkg/sbom"
)

// runVendor copies into the layer's library folder the build stage's
// libraries that the compiled packages need and the runtime lacks: the
// static checker's closure (elfcheck.Vendor), each library once, under
// its soname (a relative link to the real file name when they differ),
// stripped like the packages. The report lists each library, who needs
// it and its size.
func runVendor(o *helperapi.Vendor, stdout io.Writer) error {
	m, err := elfMode(o.Strip)
	if err != nil {
		return err
	}
	cfg, err := checkConfig(o.Layer, o.Runtime, o.Config)
	if err != nil {
		return err
	}
	runLib := path.Join(o.Config.MountPoint, o.LibDir)
	if o.LibDir == "" {
		runLib = path.Join(o.Config.MountPoint, ".geolayer-no-lib-dir")
	}
	buildDirs := appendUnique(ldSoConfDirs(o.Build, "/etc/ld.so.conf", 0), defaultLoaderDirs(cfg.Machine)...)
	res, err := elfcheck.Vendor(elfcheck.VendorConfig{Config: cfg, BuildRoot: o.Build, BuildDirs: buildDirs, LibDir: runLib})
	if err != nil {
		return err
	}
	if len(res.Libs) > 0 && o.LibDir == "" {
		var names []string
		for _, l := range res.Libs {
			names = append(names, l.Soname)
		}
		return fmt.Errorf("the compiled packages need libraries from the build stage that the runtime lacks (%s), and this platform has no library folder on its loader path to ship them in; "+
			"link them statically, or target a profile with a library folder (aws-lambda: lib/)", strings.Join(names, ", "))
	}
	pkg := &report.Package{Name: helperapi.NativeLibrariesName, Vendored: []report.VendoredLib{}}
	st := &report.Strip{Mode: m.String()}
	dst := filepath.Join(o.Out, filepath.FromSlash(o.LibDir))
	if len(res.Libs) > 0 {
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
	} else if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	copied := map[string]int64{} // file name -> bytes shipped
	for _, l := range res.Libs {
		rel := path.Join(o.LibDir, l.Soname)
		if _, ok := copied[l.File]; !ok {
			info, err := os.Stat(l.Host)
			if err != nil {
				return err
			}
			if err := stripCopy(l.Host, filepath.Join(dst, l.File), path.Join(o.LibDir, l.File), info, m, st); err != nil {
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
	owners, err := sbom.DpkgOwners(o.Build, sources)
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
	return writePackage(o.MetaOut, pkg)
}
