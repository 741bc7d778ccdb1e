package helper

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/geolayer/geolayer/pkg/layerzip"
	"github.com/geolayer/geolayer/pkg/report"
)

// checkBudget fails an over-budget layer, after building it, with what
// removing each package would save (largest first), the files packages
// share and what removing all their holders would save, the largest files
// and what slimming could still take off (the step's output is then
// discarded, so nothing is exported).
func checkBudget(rep *report.Report, frags []layerzip.Fragment, linked map[string]bool) error {
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
	runtime := rep.Runtime
	if len(rep.Runtimes) > 0 {
		runtime = strings.Join(rep.Runtimes, "+")
	}
	fmt.Fprintf(&b, "layer over budget for %s %s on %s: %s\n\n", rep.Profile, runtime, rep.Platform, strings.Join(over, "; "))
	writePackagesOverBudget(&b, rep)
	type file struct {
		name string
		size int64
	}
	var files []file
	seen := map[string]bool{}
	for _, f := range frags {
		for _, e := range f.Index.Entries {
			if linked[e.Name] || seen[e.Name] {
				continue // stored once: the copy is a symlink, or a copy several runtimes' fragments hold alike (merged)
			}
			seen[e.Name] = true
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
	b.WriteString("what could still come off:\n")
	for _, h := range savingHints(rep) {
		b.WriteString("  " + h + "\n")
	}
	b.WriteString("or raise the limit with BUDGET unzipped=SIZE zipped=SIZE (Lambda's zipped limit applies to direct uploads; a layer published from S3 is bound by the unzipped one), or drop packages; report.json lists every file each step removed")
	return fmt.Errorf("%s", b.String())
}

// writePackagesOverBudget lists the packages by what removing one would
// save, with what only it holds, what it shares and with whom, and what
// slimming already took off; then the groups of shared files. A report
// without the layer accounting (no Package.Layer) lists the packages by
// their own sizes.
func writePackagesOverBudget(b *strings.Builder, rep *report.Report) {
	zippedOver := rep.Limits.Zipped > 0 && rep.Totals.Zipped > rep.Limits.Zipped &&
		(rep.Limits.Unzipped <= 0 || rep.Totals.Unzipped <= rep.Limits.Unzipped)
	type row struct {
		p                report.Package
		unzipped, zipped int64
	}
	var rows []row
	accounted := false
	for _, p := range rep.Packages {
		r := row{p: p, unzipped: p.Bytes, zipped: p.ZippedBytes}
		if p.Layer != nil && p.Layer.RemovalSaves != nil {
			r.unzipped, r.zipped = p.Layer.RemovalSaves.Unzipped, p.Layer.RemovalSaves.Zipped
			accounted = true
		}
		rows = append(rows, r)
	}
	key := func(r row) int64 {
		if zippedOver {
			return r.zipped
		}
		return r.unzipped
	}
	sort.SliceStable(rows, func(i, j int) bool {
		ki, kj := key(rows[i]), key(rows[j])
		return ki > kj || ki == kj && rows[i].p.Name < rows[j].p.Name
	})
	if accounted {
		b.WriteString("what removing one package would save (unzipped / zipped; with what it shares and what slimming already took off):\n")
	} else {
		b.WriteString("largest packages (unzipped / zipped, and what slimming already took off):\n")
	}
	for i, r := range rows {
		if i == 10 {
			fmt.Fprintf(b, "  ... %d more in report.json\n", len(rows)-10)
			break
		}
		p := r.p
		var done []string
		if l := p.Layer; l != nil && l.SharedBytes > 0 {
			var with []string
			for _, sp := range l.Shared {
				with = append(with, sp.With...)
			}
			slices.Sort(with)
			done = append(done, fmt.Sprintf("shares %s with %s", mb(l.SharedBytes), strings.Join(slices.Compact(with), ", ")))
		}
		if p.Prune != nil {
			done = append(done, "pruned "+mb(p.Prune.SavedBytes))
		}
		if p.Strip != nil && p.Strip.SavedBytes > 0 {
			done = append(done, "stripped "+mb(p.Strip.SavedBytes))
		}
		fmt.Fprintf(b, "  %-28s %10s %10s  %s\n", p.Name+" "+p.Version, mb(r.unzipped), mb(r.zipped), strings.Join(done, ", "))
	}
	var groups []report.Share
	for _, s := range rep.Shares {
		if s.Shared() && s.RemovalSaves != nil {
			groups = append(groups, s)
		}
	}
	if len(groups) == 0 {
		return
	}
	b.WriteString("files several packages share, stored once (removing one of those packages saves little of them; removing all, unzipped / zipped):\n")
	for i, s := range groups {
		if i == 5 {
			fmt.Fprintf(b, "  ... %d more groups in report.json (shares)\n", len(groups)-5)
			break
		}
		all := fmt.Sprintf("all %d", len(s.Packages))
		if len(s.Packages) == 2 {
			all = "both"
		}
		fmt.Fprintf(b, "  %s shared by %s: removing %s saves %s / %s\n",
			mb(s.Bytes), strings.Join(s.Packages, ", "), all, mb(s.RemovalSaves.Unzipped), mb(s.RemovalSaves.Zipped))
	}
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

// savingHints estimates what the slimming options not in use would save,
// from what the layer holds.
func savingHints(rep *report.Report) []string {
	var hints []string
	var unstripped, pycache, grids int64
	for _, p := range rep.Packages {
		if p.Strip == nil {
			unstripped++
		}
		if p.Prune != nil {
			for _, r := range p.Prune.Rules {
				if r.Source == "preset geo" {
					grids += r.Bytes
				}
			}
		}
		if p.Bytecode != nil {
			pycache += p.Bytecode.AddedBytes
		}
	}
	if pycache > 0 {
		hints = append(hints, fmt.Sprintf("BYTECODE added %s of .pyc: dropping it saves that (cold starts then compile)", mb(pycache)))
	}
	if d := rep.Dedup; d != nil {
		var near int64
		for _, n := range d.NearDuplicates {
			near += n.Saving
		}
		if near > 0 {
			hints = append(hints, fmt.Sprintf("%d libraries are vendored several times with different bytes (same soname): one shared build of them would save about %s (report.json dedup.nearDuplicates)", len(d.NearDuplicates), mb(near)))
		}
	} else {
		hints = append(hints, "files identical across packages are stored several times: the profile does not deduplicate into symlinks")
	}
	if grids == 0 {
		hints = append(hints, "PRUNE --preset=geo removes PROJ grids and GDAL extras if the packages bundle any")
	}
	if unstripped > 0 {
		hints = append(hints, "STRIP --mode=unneeded (the default) strips symbol tables from every package with native code")
	}
	hints = append(hints, "PRUNE <pattern> removes what your code never imports (tests, CLI modules: PRUNE --preset=geo-cli)")
	return hints
}
