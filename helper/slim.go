package helper

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/elfstrip"
	"github.com/geolayer/geolayer/pkg/prune"
	"github.com/geolayer/geolayer/pkg/report"
)

// runSlim copies one package's installed tree without the files the PRUNE
// rules remove (pkg/prune, relative to site-packages), stripping ELF files
// on the way (pkg/elfstrip), and carries the package's report forward with
// what each step removed. One pass, one copy: its cache key is the
// installed tree and the options only.
func runSlim(o *helperapi.Slim, stdout io.Writer) error {
	m, err := elfMode(o.Strip)
	if err != nil {
		return err
	}
	pkg, err := report.ReadPackage(o.MetaIn)
	if err != nil {
		return err
	}
	pkg.Installed = &report.Size{Files: pkg.Files, Bytes: pkg.Bytes}
	// Paths below site-packages; "" when site-packages is the layer root
	// (gcp and site-packages layouts), where "./" would match nothing.
	sitePrefix := path.Clean(o.SitePackages) + "/"
	if sitePrefix == "./" {
		sitePrefix = ""
	}

	var plan *prune.Result
	if o.Prune != nil {
		opts := *o.Prune
		opts.Package = pkg.Name
		matcher, err := prune.Compile(opts)
		if err != nil {
			return err
		}
		root := filepath.Join(o.In, filepath.FromSlash(o.SitePackages))
		if _, err := os.Stat(root); err == nil {
			if plan, err = prune.Plan(root, matcher); err != nil {
				return err
			}
		}
	}
	removed := func(rel string) bool {
		rel = filepath.ToSlash(rel)
		return plan != nil && strings.HasPrefix(rel, sitePrefix) && plan.IsRemoved(strings.TrimPrefix(rel, sitePrefix))
	}

	st := &report.Strip{Mode: m.String()}
	var dirs []string
	err = filepath.WalkDir(o.In, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(o.In, p)
		if rel != "." && removed(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		dst := filepath.Join(o.Out, rel)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			dirs = append(dirs, rel)
			return os.MkdirAll(dst, 0o755)
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		case info.Mode().IsRegular():
			return stripCopy(p, dst, rel, info, m, st)
		default:
			return fmt.Errorf("%s: unexpected file type %v", rel, info.Mode().Type())
		}
	})
	if err != nil {
		return err
	}
	// Directories pruning emptied go too; keep directory times as install
	// set them (deterministic trees).
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		dst := filepath.Join(o.Out, d)
		if d != "." {
			if ents, err := os.ReadDir(dst); err == nil && len(ents) == 0 {
				if src, err := os.ReadDir(filepath.Join(o.In, d)); err == nil && len(src) > 0 {
					if err := os.Remove(dst); err != nil {
						return err
					}
					continue
				}
			}
		}
		if info, err := os.Stat(filepath.Join(o.In, d)); err == nil {
			_ = os.Chtimes(dst, info.ModTime(), info.ModTime())
		}
	}

	if plan != nil && plan.Files > 0 {
		pr := &report.Prune{Files: plan.Files, SavedBytes: plan.Bytes}
		for _, r := range plan.Rules {
			pr.Rules = append(pr.Rules, report.PruneRule{Pattern: r.Rule.Pattern, Source: r.Rule.Source, Files: r.Files, Bytes: r.Bytes})
		}
		for _, r := range plan.Removed {
			pr.Removed = append(pr.Removed, report.Removed{Path: r.Path, Pattern: r.Rule.Pattern, Bytes: r.Size})
		}
		for _, w := range plan.Warnings {
			pkg.Warnings = append(pkg.Warnings, w.Message)
		}
		pkg.Prune = pr
		pkg.Files -= plan.Files
		pkg.Bytes -= plan.Bytes
	}
	if m != elfstrip.None {
		pkg.Bytes -= st.SavedBytes
		pkg.Strip = st
	}
	pkg.Licenses, pkg.DataDirs = scanKept(o.Out)
	if err := os.MkdirAll(filepath.Dir(o.MetaOut), 0o755); err != nil {
		return err
	}
	f, err := os.Create(o.MetaOut)
	if err != nil {
		return err
	}
	if err := report.Write(f, pkg); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// scanKept lists the license files the package keeps and the data folders
// it bundles for PROJ (proj.db) and GDAL (gdalvrt.xsd), as paths relative
// to the layer root.
func scanKept(root string) (licenses []string, data []report.DataDir) {
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		base := strings.ToLower(d.Name())
		dir := path.Dir(rel)
		switch {
		case strings.Contains(rel, ".dist-info/licenses/"),
			strings.Contains(dir, ".dist-info") && (strings.HasPrefix(base, "license") || strings.HasPrefix(base, "licence") || strings.HasPrefix(base, "copying") || strings.HasPrefix(base, "notice")):
			licenses = append(licenses, rel)
		case base == "proj.db":
			data = append(data, report.DataDir{Variable: "PROJ_DATA", Path: dir})
		case base == "gdalvrt.xsd":
			data = append(data, report.DataDir{Variable: "GDAL_DATA", Path: dir})
		}
		return nil
	})
	return licenses, data
}
