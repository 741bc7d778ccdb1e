// Package layerzip writes deterministic zip archives for serverless Python
// layers, incrementally.
//
// Each package's files are compressed into a fragment (local file headers
// and data only, offsets relative to the fragment, see WriteFragment) with
// an index (FragmentIndex, serialised as JSON next to the data: layer.frag
// and layer.frag.idx). Fragments are cacheable build steps. A final step,
// Assemble, copies the fragments verbatim in order and writes the central
// directory. Local headers do not depend on their position, so assembling
// fragments gives exactly the bytes WriteArchive/WriteTree give for all
// entries written at once in the same order.
//
// Determinism rules: entries sorted by name (byte order) within a
// fragment; one modification time for all entries, max(SOURCE_DATE_EPOCH,
// 1980-01-01) in UTC MS-DOS format; no extra fields other than zip64 ones
// where required; creator "Unix" (3); version needed 20, or 45 where a
// zip64 extra is present; modes 0644/0755 for files, 0755 for directories,
// 0777 for symlinks (S_IFLNK, data = target); general purpose bit 11 only
// for non-ASCII names; sizes and CRC always in the local header (no data
// descriptors); no archive comment; deflate at Options.Level, stored when
// deflate does not shrink the data, and always for symlinks, directories
// and empty files. Zip64 is used per entry when a size is >= 0xFFFFFFFF,
// in the central directory when an offset is, and for the end records when
// the entry count is >= 0xFFFF or the directory size or offset does not
// fit in 32 bits.
//
// Index format /2 (IndexFormat) records, per regular file, the SHA-256 of
// its content and, for ELF shared objects, DT_SONAME (read with debug/elf;
// malformed ELF files just get none); the fragment data is unchanged and /1
// indexes are still read, without hashes.
//
// AssembleWith(w, frags, AssembleOptions{Dedup: true}) sorts the fragments
// and stores regular files with identical size, SHA-256 and mode once:
// the copy whose name sorts first is kept, every other becomes a stored
// symlink entry (S_IFLNK|0777) with a relative target to it, written in
// place of the copy's local header and data, which are skipped without
// recompressing anything. Files under *.dist-info/ and *.egg-info/, files
// below AssembleOptions.DedupMinSize (4 KiB) and files of /1 fragments are
// never deduplicated. The archive equals WriteTree of the tree in which
// the copies are those symlinks. AssembleResult reports the groups and
// bytes saved, the unzipped size as Lambda counts it (a link counts its
// target length), and near-duplicate libraries: ELF files with the same
// soname or file name after removing the auditwheel hash
// ("libgdal-3a1b2c3d.so.33" -> "libgdal.so.33") but different contents,
// with Total - Largest as the estimate a shared build would save.
//
// Compression runs in parallel with bounded memory; results are written in
// entry order, so neither GOMAXPROCS nor the memory settings change the
// output. The package does not import BuildKit. See README.md for the
// measured level curve and memory figures.
package layerzip
