package layerzip

import "slices"

// Measure returns what AssembleWith would return for the same fragments and
// options (entry count, archive size, unzipped size, deduplication, near-
// duplicates, unhashed fragments) without writing anything and without
// reading fragment data: it validates the indexes and names and plans
// deduplication exactly as AssembleWith does, and computes the archive's
// length from the records (local headers and data, central directory, end
// records). It does not check symlink targets or the fragment files
// against their indexes, which only AssembleWith can.
//
// Comparing the Measure of a set of fragments with and without some of
// them gives exactly what leaving those packages out of the layer saves,
// deduplication re-planned without them (a file they shared is then kept
// in another package's copy).
func Measure(fragments []Fragment, opts AssembleOptions) (*AssembleResult, error) {
	frags := slices.Clone(fragments)
	SortFragments(frags)
	res, links, dropped, err := planAssembly(frags, opts)
	if err != nil {
		return nil, err
	}
	res.NearDuplicates = nearDuplicates(frags, links, dropped)
	var off, cd uint64
	var buf []byte
	for e := range assemblyRecords(frags, links, dropped) {
		buf = appendCentral(buf[:0], e, off)
		cd += uint64(len(buf))
		off += e.localLen() + e.CompressedSize
		res.Entries++
		res.Unzipped += e.UncompressedSize
	}
	res.Size = off + cd + uint64(len(appendEnd(buf[:0], uint64(res.Entries), cd, off)))
	return res, nil
}
