package layerzip

import (
	"cmp"
	"fmt"
	"hash/crc32"
	"path"
	"slices"
	"strings"
)

// DefaultDedupMinSize is the smallest file AssembleWith deduplicates when
// AssembleOptions.DedupMinSize is 0. Below a few KiB a symlink saves
// little (an entry costs ~100 bytes of headers either way, and a 4 KiB
// filesystem block once unpacked) and small identical files (empty
// __init__.py, py.typed, short licences) are too many to be worth links.
const DefaultDedupMinSize = 4 << 10

// AssembleOptions control AssembleWith. The zero value assembles without
// deduplication.
type AssembleOptions struct {
	// Dedup stores regular files with identical content once: among the
	// files with equal size, SHA-256 and mode, the one whose name sorts
	// first (byte order) is kept and every other becomes a symlink to it
	// (relative target, S_IFLNK|0777, stored, like every symlink). Files in
	// *.dist-info/ and *.egg-info/ directories are never deduplicated, nor
	// files of format /1 fragments (no hashes).
	Dedup bool
	// DedupMinSize: files smaller than this are not deduplicated; 0 means
	// DefaultDedupMinSize. A copy is also kept when its link target would
	// not be shorter than the file.
	DedupMinSize int64
	// MergeIdentical keeps once a name that several fragments hold when
	// every copy is the same: regular files of hashed fragments with equal
	// mode, size, SHA-256 and CRC-32, or directories with equal mode. The
	// copy of the first fragment (in SortFragments order) is written, the
	// later ones are dropped (AssembleResult.Merged lists them). A copy
	// that differs, a symlink or a file of an unhashed fragment is still a
	// duplicate-name error, which then names the path and both fragments.
	// It is for layers several builds share paths of (the console scripts
	// two Python versions' copies of one package install in bin/); without
	// it a name in two fragments is always an error.
	MergeIdentical bool
}

// AssembleResult describes an assembled archive.
type AssembleResult struct {
	// Entries is the number of archive entries.
	Entries int
	// Size is the archive length in bytes.
	Size uint64
	// Unzipped is the unpacked size as AWS Lambda counts it: regular file
	// sizes plus symlink target lengths (a deduplicated copy counts as its
	// link), directories 0.
	Unzipped uint64
	// Dedup: what deduplication did (zero without AssembleOptions.Dedup).
	Dedup DedupStats
	// NearDuplicates: ELF libraries present in several builds (reported
	// whether or not Dedup is set).
	NearDuplicates []NearDuplicate
	// Unhashed lists the Data paths of format /1 fragments, whose files
	// were neither deduplicated nor checked for near-duplicates.
	Unhashed []string
	// Merged lists the copies AssembleOptions.MergeIdentical dropped, in
	// archive order.
	Merged []MergedEntry
}

// MergedEntry is a copy of a name that MergeIdentical dropped: Kept and
// Dropped are the Data paths of the fragment whose copy was written and
// of the one whose identical copy was not.
type MergedEntry struct {
	Name          string
	Kept, Dropped string
}

// dropSet holds the index entries whose copies are not written (merged
// into an identical copy of another fragment).
type dropSet map[*IndexEntry]bool

// DedupStats sums up deduplication.
type DedupStats struct {
	// Groups, largest SavedUnzipped first, then by Kept.
	Groups []DedupGroup
	// Files is the number of copies replaced by symlinks.
	Files int
	// SavedUnzipped and SavedZipped are the sums over Groups.
	SavedUnzipped, SavedZipped uint64
}

// DedupGroup is a set of identical files stored once.
type DedupGroup struct {
	Kept       string   // the regular file kept (first name in byte order)
	Duplicates []string // the copies now symlinks to Kept, sorted
	// Targets are the link targets of Duplicates, in the same order
	// (relative to each copy's directory); a copy counts len(target)
	// bytes unzipped.
	Targets []string
	Size    uint64 // bytes of each copy
	SHA256  string
	Mode    uint32 // Unix mode of every copy, e.g. 0o100755
	// SavedUnzipped: per duplicate, its size minus its link target length.
	SavedUnzipped uint64
	// SavedZipped: archive bytes saved, per duplicate its local header and
	// compressed data minus the symlink's local header and target. (Its
	// central directory record keeps its length, except for files of 4 GiB
	// or more, which lose their zip64 extra too; not counted.)
	SavedZipped uint64
}

// NearDuplicate is a library that the layer holds in different builds:
// ELF files with the same DT_SONAME, or, without one, the same file name,
// after removing an auditwheel hash ("libgdal-3a1b2c3d.so.33" ->
// "libgdal.so.33"), and at least two different contents.
type NearDuplicate struct {
	Key   string              // soname or file name without the hash
	Files []NearDuplicateFile // by path
	// Total is the unpacked size of the copies stored in the archive (a
	// copy deduplicated into a link counts 0), Largest the largest copy.
	Total, Largest uint64
	// Saving estimates what one shared build would save: Total - Largest,
	// i.e. as if a single copy the size of the largest served every
	// location. Unpacked bytes, an upper-bound-ish estimate: it assumes the
	// builds are interchangeable (same ABI, compatible versions), which
	// this package cannot know.
	Saving uint64
}

// NearDuplicateFile is one copy of a NearDuplicate library.
type NearDuplicateFile struct {
	Path     string
	Size     uint64
	SHA256   string
	Soname   string
	LinkedTo string // set when deduplication replaced this copy by a link
}

// dedupLink replaces a duplicate's local entry.
type dedupLink struct {
	rec    IndexEntry // symlink record: same name, flags and time
	target string
}

// metadataDir reports whether name lies in a *.dist-info or *.egg-info
// directory, whose files are never deduplicated: packaging metadata stays
// self-contained (RECORD hashes would still verify through a link, but
// tools such as licence scanners may skip symlinks), and licences are
// small.
func metadataDir(name string) bool {
	dir, _ := path.Split(name)
	for _, c := range strings.Split(dir, "/") {
		if strings.HasSuffix(c, ".dist-info") || strings.HasSuffix(c, ".egg-info") {
			return true
		}
	}
	return false
}

// relLink returns the relative symlink target that leads from the link
// from to the file to, both archive names (lexically: every directory in
// an archive name is a real directory, nameSet refuses files below
// symlinks).
func relLink(from, to string) string {
	fd := strings.Split(from, "/")
	fd = fd[:len(fd)-1]
	tp := strings.Split(to, "/")
	c := 0
	for c < len(fd) && c < len(tp)-1 && fd[c] == tp[c] {
		c++
	}
	return strings.Repeat("../", len(fd)-c) + strings.Join(tp[c:], "/")
}

// planDedup chooses the duplicates to replace. Candidates are regular
// files of hashed fragments, at least minSize bytes, outside metadata
// directories; they are grouped by (size, SHA-256, mode), so the result
// depends only on the entries, never on the fragment order.
func planDedup(frags []Fragment, minSize int64, dropped dropSet) (map[string]*dedupLink, DedupStats, error) {
	var cands []*IndexEntry
	for _, f := range frags {
		if !f.Index.hashed() {
			continue
		}
		for i := range f.Index.Entries {
			e := &f.Index.Entries[i]
			if dropped[e] {
				continue
			}
			if e.Mode&sIFMT == sIFREG && e.UncompressedSize >= uint64(minSize) && !metadataDir(e.Name) {
				cands = append(cands, e)
			}
		}
	}
	same := func(a, b *IndexEntry) bool {
		return a.UncompressedSize == b.UncompressedSize && a.SHA256 == b.SHA256 && a.Mode == b.Mode
	}
	slices.SortFunc(cands, func(a, b *IndexEntry) int {
		return cmp.Or(cmp.Compare(a.UncompressedSize, b.UncompressedSize), strings.Compare(a.SHA256, b.SHA256),
			cmp.Compare(a.Mode, b.Mode), strings.Compare(a.Name, b.Name))
	})
	links := map[string]*dedupLink{}
	var st DedupStats
	for i := 0; i < len(cands); {
		j := i + 1
		for j < len(cands) && same(cands[i], cands[j]) {
			j++
		}
		run := cands[i:j]
		i = j
		if len(run) < 2 {
			continue
		}
		kept := run[0]
		g := DedupGroup{Kept: kept.Name, Size: kept.UncompressedSize, SHA256: kept.SHA256, Mode: kept.Mode}
		for _, d := range run[1:] {
			if d.CRC32 != kept.CRC32 {
				return nil, st, fmt.Errorf("layerzip: %s and %s have the same SHA-256 but different CRC-32: corrupt fragment index", kept.Name, d.Name)
			}
			target := relLink(d.Name, kept.Name)
			if uint64(len(target)) >= d.UncompressedSize {
				continue
			}
			l := &dedupLink{target: target, rec: IndexEntry{
				Name: d.Name, CRC32: crc32.ChecksumIEEE([]byte(target)),
				CompressedSize: uint64(len(target)), UncompressedSize: uint64(len(target)),
				Method: methodStore, Flags: d.Flags, Mode: sIFLNK | 0o777, ModTime: d.ModTime, ModDate: d.ModDate,
			}}
			links[d.Name] = l
			g.Duplicates = append(g.Duplicates, d.Name)
			g.Targets = append(g.Targets, target)
			g.SavedUnzipped += d.UncompressedSize - l.rec.UncompressedSize
			g.SavedZipped += (d.localLen() + d.CompressedSize) - (l.rec.localLen() + l.rec.CompressedSize)
		}
		if len(g.Duplicates) == 0 {
			continue
		}
		// run is sorted by name, so Duplicates (and Targets with them)
		// already are.
		st.Groups = append(st.Groups, g)
		st.Files += len(g.Duplicates)
		st.SavedUnzipped += g.SavedUnzipped
		st.SavedZipped += g.SavedZipped
	}
	slices.SortFunc(st.Groups, func(a, b DedupGroup) int {
		return cmp.Or(cmp.Compare(b.SavedUnzipped, a.SavedUnzipped), strings.Compare(a.Kept, b.Kept))
	})
	return links, st, nil
}

// stripAuditwheelHash removes the "-<8 lowercase hex>" auditwheel inserts
// before ".so" when it vendors a library: "libgdal-3a1b2c3d.so.33" ->
// "libgdal.so.33". Other names are returned unchanged.
func stripAuditwheelHash(name string) string {
	for i := 0; ; {
		k := strings.Index(name[i:], ".so")
		if k < 0 {
			return name
		}
		k += i
		end := k + len(".so")
		if (end == len(name) || name[end] == '.') && k >= 9 && name[k-9] == '-' && isLowerHex(name[k-8:k]) {
			return name[:k-9] + name[k:]
		}
		i = end
	}
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// extensionModule reports whether a file name is a CPython/PyPy extension
// module (EXT_SUFFIX or abi3): the importer loads it by path and module
// name, so equal names in different packages are different modules, not
// builds of one shared library.
func extensionModule(base string) bool {
	return strings.Contains(base, ".cpython-") || strings.Contains(base, ".pypy") || strings.HasSuffix(base, ".abi3.so")
}

// nearKey is the grouping key of an ELF entry for near-duplicate
// detection, "" when it takes no part.
func nearKey(e *IndexEntry) string {
	if e.Soname != "" {
		return stripAuditwheelHash(e.Soname)
	}
	base := path.Base(e.Name)
	if extensionModule(base) {
		return ""
	}
	return stripAuditwheelHash(base)
}

// nearDuplicates groups the ELF files of hashed fragments by nearKey and
// reports the groups holding at least two different contents.
func nearDuplicates(frags []Fragment, links map[string]*dedupLink, dropped dropSet) []NearDuplicate {
	type item struct {
		key string
		e   *IndexEntry
	}
	var items []item
	for _, f := range frags {
		if !f.Index.hashed() {
			continue
		}
		for i := range f.Index.Entries {
			e := &f.Index.Entries[i]
			if !e.ELF || dropped[e] {
				continue
			}
			if k := nearKey(e); k != "" {
				items = append(items, item{k, e})
			}
		}
	}
	slices.SortFunc(items, func(a, b item) int {
		return cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.e.Name, b.e.Name))
	})
	var out []NearDuplicate
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].key == items[i].key {
			j++
		}
		run := items[i:j]
		i = j
		distinct := map[string]bool{}
		for _, it := range run {
			distinct[it.e.SHA256] = true
		}
		if len(distinct) < 2 {
			continue
		}
		nd := NearDuplicate{Key: run[0].key}
		for _, it := range run {
			f := NearDuplicateFile{Path: it.e.Name, Size: it.e.UncompressedSize, SHA256: it.e.SHA256, Soname: it.e.Soname}
			if l := links[it.e.Name]; l != nil {
				f.LinkedTo = path.Join(path.Dir(it.e.Name), l.target)
			} else {
				nd.Total += f.Size
			}
			nd.Largest = max(nd.Largest, f.Size)
			nd.Files = append(nd.Files, f)
		}
		if nd.Total > nd.Largest { // not when the largest copy is a link to a file outside the group
			nd.Saving = nd.Total - nd.Largest
		}
		out = append(out, nd)
	}
	slices.SortFunc(out, func(a, b NearDuplicate) int {
		return cmp.Or(cmp.Compare(b.Saving, a.Saving), strings.Compare(a.Key, b.Key))
	})
	return out
}
