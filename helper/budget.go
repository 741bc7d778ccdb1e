package helper

import (
	"fmt"
	"sort"
	"strings"

	"github.com/geolayer/geolayer/pkg/layerzip"
	"github.com/geolayer/geolayer/pkg/report"
)

// checkBudget fails an over-budget layer, after building it, with a table
// of the largest packages and files (the step's output is then discarded, so
// nothing is exported).
func checkBudget(rep *report.Report, frags []layerzip.Fragment) error {
	var over []string
	if l := rep.Limits.Unzipped; l > 0 && rep.Totals.Unzipped > l {
		over = append(over, fmt.Sprintf("unzipped %s > budget %s (by %s)", mb(rep.Totals.Unzipped), mb(l), mb(rep.Totals.Unzipped-l)))
	}
	if l := rep.Limits.Zipped; l > 0 && rep.Totals.Zipped > l {
		over = append(over, fmt.Sprintf("zipped %s > budget %s (by %s)", mb(rep.Totals.Zipped), mb(l), mb(rep.Totals.Zipped-l)))
	}
	if len(over) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "layer over budget for %s %s on %s: %s\n\n", rep.Profile, rep.Runtime, rep.Platform, strings.Join(over, "; "))
	pkgs := append([]report.Package(nil), rep.Packages...)
	sort.Slice(pkgs, func(i, j int) bool {
		return pkgs[i].Bytes > pkgs[j].Bytes || pkgs[i].Bytes == pkgs[j].Bytes && pkgs[i].Name < pkgs[j].Name
	})
	b.WriteString("largest packages (unzipped / zipped):\n")
	for i, p := range pkgs {
		if i == 10 {
			break
		}
		fmt.Fprintf(&b, "  %-28s %10s %10s\n", p.Name+" "+p.Version, mb(p.Bytes), mb(p.ZippedBytes))
	}
	type file struct {
		name string
		size int64
	}
	var files []file
	for _, f := range frags {
		for _, e := range f.Index.Entries {
			files = append(files, file{e.Name, int64(e.UncompressedSize)})
		}
	}
	sort.Slice(files, func(i, j int) bool {
		return files[i].size > files[j].size || files[i].size == files[j].size && files[i].name < files[j].name
	})
	b.WriteString("largest files (unzipped):\n")
	for i, f := range files {
		if i == 10 {
			break
		}
		fmt.Fprintf(&b, "  %10s  %s\n", mb(f.size), f.name)
	}
	b.WriteString("raise the limit with BUDGET unzipped=SIZE zipped=SIZE, or drop packages; PRUNE/STRIP savings are listed per package in report.json")
	return fmt.Errorf("%s", b.String())
}

func mb(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
