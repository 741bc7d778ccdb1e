// Package elfcheck is a static ABI checker for layers: given an unpacked
// layer and the runtime image's root file system (both directories, never
// executed), it reports for every ELF file in the layer whether the
// platform's dynamic loader will load it. It works for any target
// architecture on any host, reading only ELF headers and dynamic segments.
//
// # What is checked
//
// Every regular file in Config.LayerRoot whose first four bytes are the
// ELF magic is parsed. Shared objects and executables (ET_DYN, ET_EXEC)
// are checked; relocatable objects and core files are skipped, as are
// static archives (no ELF magic). Python extension modules are dlopen()ed
// by the interpreter, so they are checked like any other shared object:
// their own DT_NEEDED entries must resolve.
//
//   - Architecture: a loadable ELF whose machine, class or byte order
//     differs from Config.Machine is a wrong-architecture error.
//   - Libraries: each DT_NEEDED is looked up the way glibc's ld.so does it
//     (see below). Not found is a missing-library error; found only in the
//     runtime image while Config.Absent says the real platform lacks it is
//     an absent-on-platform error. Libraries from the runtime image are
//     followed transitively (their own dependencies must resolve too);
//     libraries in the layer are checked as files of their own.
//   - Symbol versions: each (library, version) need from SHT_GNU_verneed
//     must be defined (SHT_GNU_verdef) by the library the loader picks,
//     else missing-symbol-version (an error; a warning for weak needs).
//     As in ld.so, a library without version definitions satisfies any
//     need.
//   - glibc: every GLIBC_x.y need above Config.GlibcCeiling is a
//     glibc-too-new error (GLIBC_ABI_DT_RELR counts as 2.36); the highest
//     is File.MaxGlibc. GLIBC_PRIVATE needs are a warning.
//   - Shadowing: a soname the layer ships (as a DT_SONAME, file name or
//     link name) that the loader takes from the runtime image instead
//     (typically because LD_LIBRARY_PATH lists /lib64 before /opt/lib) is
//     a shadowed warning; if the runtime's copy is too old, the version
//     check reports the error.
//   - Files with the ELF magic that cannot be parsed are malformed-elf
//     errors; links in the layer that lead nowhere are broken-symlink
//     warnings.
//
// # Library search
//
// For a DT_NEEDED without a slash, the directories are searched in this
// order: the object's own DT_RPATH (only if it has no DT_RUNPATH),
// Config.LibraryPath (LD_LIBRARY_PATH), the object's DT_RUNPATH, and
// Config.SystemDirs (skipped for objects linked with -z nodefaultlib).
// $ORIGIN and ${ORIGIN} expand to the object's run-time directory
// (Config.MountPoint joined with its directory in the layer); $PLATFORM to
// x86_64 or aarch64. Elements with $LIB (whose value is built into each
// distribution's ld.so), relative and empty elements are dropped, since
// they cannot be judged statically. A candidate of the wrong class or
// machine is skipped, as ld.so does; a candidate that is not a valid ELF
// stops the search with an error, as in ld.so.
//
// Run-time paths under Config.MountPoint map into the layer, all others
// into Config.RuntimeRoot. Symbolic links are followed inside that view
// (absolute targets relative to its root, ".." physically), never on the
// host, so nothing outside the two directories is read.
//
// Not modelled: DT_RPATH inherited from the loading object or the
// executable, libraries already loaded under the same soname (ld.so reuses
// them without searching), glibc-hwcaps subdirectories, and
// /etc/ld.so.cache beyond the directories given in Config.SystemDirs.
// Without a runtime root, the sonames in GlibcSonames (and the dynamic
// loader) count as provided, and Config.Provided is consulted only after
// every search directory, so a layer copy found earlier wins even where the
// platform's copy would shadow it.
//
// # Cost
//
// Files are read with positioned reads through a small page cache (at
// most 256 KiB per open file, one file open at a time); parsed objects and
// path lookups are cached for the run, so each runtime library is parsed
// once. Memory grows with the number of ELF files and their dynamic
// entries, not with their size.
package elfcheck
