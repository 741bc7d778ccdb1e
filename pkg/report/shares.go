package report

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// PackageLayer is one package's part of the assembled layer, after
// deduplication, in unzipped bytes as the layer counts them (a file's size,
// a symlink's target length; a deduplicated copy is a symlink).
type PackageLayer struct {
	// ExclusiveFiles and ExclusiveBytes are the entries only this package
	// has: its files and symlinks, including its copies of a file no other
	// package holds (a copy deduplicated within the package counts as its
	// link). They are the package's own entry in Report.Shares.
	ExclusiveFiles int   `json:"exclusiveFiles"`
	ExclusiveBytes int64 `json:"exclusiveBytes"`
	// SharedFiles and SharedBytes are its copies of files that other
	// packages hold too (same bytes and mode), which the layer stores once:
	// each copy at the file's size, as if it were alone (so
	// ExclusiveBytes + SharedBytes is about Package.Bytes). Shared breaks
	// them down by the packages it shares them with. In Report.Shares
	// these files are counted once, under the group of all their holders,
	// not under the package.
	SharedFiles int          `json:"sharedFiles,omitempty"`
	SharedBytes int64        `json:"sharedBytes,omitempty"`
	Shared      []SharedPart `json:"shared,omitempty"`
	// RemovalSaves is what the layer would lose without this package: its
	// sizes minus the sizes of the same layer assembled without the
	// package (deduplication planned again: a file it shared stays, in
	// another holder's copy). That is ExclusiveBytes plus the links of its
	// copies of shared files, give or take a few bytes when a link is
	// re-pointed at another holder's copy. nil when not computed.
	RemovalSaves *Saving `json:"removalSaves,omitempty"`
}

// SharedPart is the part of a package's files that it shares with the same
// other packages.
type SharedPart struct {
	// With are the other packages holding these files, by name.
	With  []string `json:"with"`
	Files int      `json:"files"`
	Bytes int64    `json:"bytes"`
}

// Saving is what leaving packages out of the layer would save.
type Saving struct {
	Unzipped int64 `json:"unzipped"`
	Zipped   int64 `json:"zipped"`
}

// Share is one part of the layer's unzipped bytes: the entries of one
// package that no other package has, or the files that several packages
// hold, stored once.
type Share struct {
	// Packages: one name for a package's own entries; several (sorted)
	// for files all of them hold.
	Packages []string `json:"packages"`
	// Files counts entries (files and symlinks; for several packages, every
	// copy: the one kept and the links to it), Bytes their unzipped bytes:
	// over all shares they add up to the layer's entries and unzipped
	// size.
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
	// RemovalSaves is what the layer would lose without all of Packages
	// (nil when not computed).
	RemovalSaves *Saving `json:"removalSaves,omitempty"`
}

// Shared reports whether the share is of files several packages hold.
func (s Share) Shared() bool { return len(s.Packages) > 1 }

// Label is the package's name, or "shared by a, b" for several.
func (s Share) Label() string {
	if s.Shared() {
		return "shared by " + strings.Join(s.Packages, ", ")
	}
	if len(s.Packages) == 1 {
		return s.Packages[0]
	}
	return ""
}

// LayerEntry is one entry of an assembled layer, for Attribute.
type LayerEntry struct {
	// Path is the entry's name in the archive; Package the package
	// (fragment) it came from.
	Path    string
	Package string
	// Size is what the entry adds to the layer's unzipped size: a file's
	// size, a symlink's target length (a deduplicated copy is a symlink),
	// 0 for a directory.
	Size int64
	Dir  bool
	// Merged marks a copy that is not in the archive because another
	// package's copy of the same name is identical and stored once (the
	// console scripts of one package installed for two runtimes): Size 0,
	// Stored the kept copy's path; it only makes Package a holder.
	Merged bool
	// Stored is, for a file deduplication stored once, the path of the
	// copy kept, on the kept copy itself and on every copy turned into a
	// link to it; "" for every other entry.
	Stored string
}

// Attribute divides the layer's unzipped bytes, every entry counted once:
// the files several packages hold (a deduplicated file: the copy kept plus
// the links, whose holders are two or more packages) go to a share of all
// their holders; every other entry (including a file deduplicated within
// one package, with its links) to its package. It sets r.Shares (largest
// first) and, for every package of r, Layer (a new one; RemovalSaves is
// left for the caller, which can assemble the layer without the package).
// The shares' Bytes add up to the sum of the entries' sizes, which is the
// layer's unzipped size when entries are all of its entries.
func Attribute(r *Report, entries []LayerEntry) {
	type group struct {
		holders []string
		copies  map[string]int // per holder
		size    int64          // of the kept copy
		bytes   int64          // kept copy plus links
	}
	groups := map[string]*group{}
	own := map[string]*Share{}
	ownShare := func(pkg string) *Share {
		s := own[pkg]
		if s == nil {
			s = &Share{Packages: []string{pkg}}
			own[pkg] = s
		}
		return s
	}
	for _, p := range r.Packages {
		ownShare(p.Key())
	}
	for _, e := range entries {
		if e.Stored == "" {
			s := ownShare(e.Package)
			if !e.Dir {
				s.Files++
			}
			s.Bytes += e.Size
			continue
		}
		g := groups[e.Stored]
		if g == nil {
			g = &group{copies: map[string]int{}}
			groups[e.Stored] = g
		}
		if e.Merged {
			if !slices.Contains(g.holders, e.Package) {
				g.holders = append(g.holders, e.Package)
			}
			continue
		}
		g.copies[e.Package]++
		g.bytes += e.Size
		if e.Path == e.Stored {
			g.size = e.Size
		}
		if !slices.Contains(g.holders, e.Package) {
			g.holders = append(g.holders, e.Package)
		}
	}
	shared := map[string]*Share{}
	type part struct{ files, bytes int64 }
	parts := map[string]map[string]*part{} // package -> the other holders, joined -> part
	for _, kept := range slices.Sorted(maps.Keys(groups)) {
		g := groups[kept]
		if len(g.holders) == 1 {
			s := ownShare(g.holders[0])
			s.Files += g.copies[g.holders[0]]
			s.Bytes += g.bytes
			continue
		}
		slices.Sort(g.holders)
		key := strings.Join(g.holders, "\x00")
		s := shared[key]
		if s == nil {
			s = &Share{Packages: g.holders}
			shared[key] = s
		}
		s.Bytes += g.bytes
		for _, h := range g.holders {
			s.Files += g.copies[h]
			others := slices.DeleteFunc(slices.Clone(g.holders), func(o string) bool { return o == h })
			k := strings.Join(others, "\x00")
			if parts[h] == nil {
				parts[h] = map[string]*part{}
			}
			pt := parts[h][k]
			if pt == nil {
				pt = &part{}
				parts[h][k] = pt
			}
			pt.files += int64(g.copies[h])
			pt.bytes += int64(g.copies[h]) * g.size
		}
	}

	r.Shares = nil
	for _, s := range own {
		r.Shares = append(r.Shares, *s)
	}
	for _, s := range shared {
		r.Shares = append(r.Shares, *s)
	}
	sortShares(r.Shares)
	for i := range r.Packages {
		p := &r.Packages[i]
		s := own[p.Key()]
		l := &PackageLayer{ExclusiveFiles: s.Files, ExclusiveBytes: s.Bytes}
		for _, k := range slices.Sorted(maps.Keys(parts[p.Key()])) {
			pt := parts[p.Key()][k]
			l.Shared = append(l.Shared, SharedPart{With: strings.Split(k, "\x00"), Files: int(pt.files), Bytes: pt.bytes})
			l.SharedFiles += int(pt.files)
			l.SharedBytes += pt.bytes
		}
		slices.SortStableFunc(l.Shared, func(a, b SharedPart) int { return cmp.Compare(b.Bytes, a.Bytes) })
		p.Layer = l
	}
}

// sortShares orders shares largest first, then by label.
func sortShares(s []Share) {
	slices.SortFunc(s, func(a, b Share) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), slices.Compare(a.Packages, b.Packages))
	})
}

// shareTenths turns parts of a whole into tenths of a percent that add up
// to exactly 1000 (100.0%) when the parts add up to whole: each part gets
// its share rounded down, and the tenths still missing go one each to the
// parts with the largest remainders (ties: the earlier part), the
// largest-remainder method. A part of 0 bytes stays at 0.0%. When the parts
// do not add up to whole (a report without shares, whose package sizes
// count shared files in every holder), each share is rounded on its own
// (half up) and the sum is whatever it is. ok is false when whole <= 0.
func shareTenths(parts []int64, whole int64) (tenths []int64, ok bool) {
	if whole <= 0 {
		return nil, false
	}
	tenths = make([]int64, len(parts))
	var sum int64
	for _, p := range parts {
		sum += p
	}
	if sum != whole {
		for i, p := range parts {
			tenths[i] = (p*2000/whole + 1) / 2
		}
		return tenths, true
	}
	rem := make([]int64, len(parts))
	var given int64
	for i, p := range parts {
		tenths[i] = p * 1000 / whole
		rem[i] = p * 1000 % whole
		given += tenths[i]
	}
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rem[b], rem[a]) })
	for _, i := range order[:1000-given] {
		tenths[i]++
	}
	return tenths, true
}

// formatTenths is "12.3%".
func formatTenths(t int64) string {
	return fmt.Sprintf("%d.%d%%", t/10, t%10)
}

// layerRow is one row of the package tables of WriteText and WriteHTML:
// a package, or a group of packages sharing files.
type layerRow struct {
	share   Share
	pkg     *Package // nil for a shared group
	tenths  int64
	percent string // "12.3%", or "-"
}

// layerRows returns the rows of the package tables: the packages, largest
// own share first (ties by name, then version), then the groups of shared
// files, largest first, with their shares of the layer. A report without
// Shares (schema v1) gives every package its Bytes and no groups.
func layerRows(r *Report) (pkgs, shared []layerRow) {
	own := map[string]Share{}
	for _, s := range r.Shares {
		if !s.Shared() && len(s.Packages) == 1 {
			own[s.Packages[0]] = s
		}
	}
	names := map[string]bool{}
	for _, p := range sortedByName(r.Packages) {
		names[p.Key()] = true
		s, ok := own[p.Key()]
		if !ok || len(r.Shares) == 0 {
			s = Share{Packages: []string{p.Key()}, Files: p.Files, Bytes: p.Bytes}
		}
		pkgs = append(pkgs, layerRow{share: s, pkg: &p})
	}
	// Shares of entries whose package has no report (none in practice)
	// still count, as rows of their own.
	for _, s := range r.Shares {
		if !s.Shared() && len(s.Packages) == 1 && !names[s.Packages[0]] && s.Bytes > 0 {
			pkgs = append(pkgs, layerRow{share: s})
		}
	}
	slices.SortStableFunc(pkgs, func(a, b layerRow) int {
		return cmp.Or(cmp.Compare(b.share.Bytes, a.share.Bytes), slices.Compare(a.share.Packages, b.share.Packages))
	})
	for _, s := range r.Shares {
		if s.Shared() {
			shared = append(shared, layerRow{share: s})
		}
	}
	var parts []int64
	for _, row := range pkgs {
		parts = append(parts, row.share.Bytes)
	}
	for _, row := range shared {
		parts = append(parts, row.share.Bytes)
	}
	tenths, ok := shareTenths(parts, r.Totals.Unzipped)
	set := func(row *layerRow, i int) {
		row.percent = "-"
		if ok {
			row.tenths = tenths[i]
			row.percent = formatTenths(tenths[i])
		}
	}
	for i := range pkgs {
		set(&pkgs[i], i)
	}
	for i := range shared {
		set(&shared[i], len(pkgs)+i)
	}
	return pkgs, shared
}
