// Package elfstrip removes debugging information and the static symbol
// table from ELF shared libraries and executables without touching
// anything the dynamic loader uses.
//
// # Why not GNU strip
//
// Wheels from PyPI have mostly been rewritten by auditwheel with patchelf,
// which appends a new PT_LOAD segment after the non-allocated sections and
// renumbers sections. Running strip afterwards rewrites the file layout and
// has produced unloadable libraries ("ELF load command address/offset not
// page-aligned", pypa/auditwheel#716; NixOS/patchelf#10, #145, #492). This
// package therefore never changes what is loaded, and refuses anything
// unusual.
//
// # What is kept verbatim
//
// The program header table, every SHF_ALLOC section and every byte from
// the start of the file to the end of the last byte any program header
// covers (max p_offset+p_filesz, and the ELF and program header tables)
// are copied verbatim. Only e_shoff, e_shnum and e_shstrndx in the ELF
// header change. Allocated sections (and any section a dynamic symbol
// names) also keep their section index, because .dynsym records it in
// st_shndx and cannot be rewritten: a removed section numbered below the
// last of them leaves an all-zero SHT_NULL header in its slot (this happens
// with -Wl,--emit-relocs, whose .rela.text sits between .text and .fini).
//
// # What is removed
//
// Only non-allocated sections lying after the loaded image. Debug removes
// .debug_*, .zdebug_*, .debug, .line, .stab*, .gdb_index,
// .gnu_debugaltlink and relocations for them. Unneeded also removes
// .symtab, its .strtab, .symtab_shndx, non-allocated relocation sections
// that use .symtab (-Wl,--emit-relocs) and .gnu_debugdata. A string table
// goes when every section linking to it goes.
//
// Decisions: .gnu_debuglink is kept in both modes: it is a few dozen bytes
// and the only way a debugger finds separately shipped debug information
// (Debian's arm64 libraries carry one). .gnu_debugaltlink is removed with
// the debug sections, because only they refer to it. .comment (compiler
// versions) is kept in both modes, as GNU strip keeps it; it is tiny and
// useful provenance. Non-allocated notes and attributes are kept.
// .shstrtab is kept as is, so it still holds the names of removed sections.
//
// # Output layout
//
// Kept non-allocated sections after the loaded image are packed, in file
// order, with their sh_addralign; the section header table follows,
// aligned to 8 (ELF64) or 4 (ELF32). sh_link and section-index sh_info
// values are renumbered. The output is deterministic.
//
// # Skips
//
// The file is left untouched and Result.Skipped is set, with a reason,
// when:
//   - it is not ET_DYN or ET_EXEC (relocatable objects, core files);
//   - it has no program headers or no section header table, or uses
//     extended numbering (e_shnum 0, SHN_XINDEX, PN_XNUM);
//   - header sizes are unusual, section header 0 is not all zero, or
//     .shstrtab does not start with a NUL byte;
//   - a program header or section reaches past the end of the file;
//   - a PT_LOAD has (p_vaddr - p_offset) % p_align != 0;
//   - the section header table lies inside a segment;
//   - sections overlap each other or the headers;
//   - a section straddles the end of the loaded image, or an allocated
//     section (other than SHT_NOBITS) reaches past it;
//   - non-zero bytes after it belong to no section (appended archives,
//     signatures);
//   - a section to drop lies inside a segment, or anywhere before the end
//     of the loaded image (patchelf's layout: see below);
//   - a kept section links to a dropped one, or a dynamic symbol names a
//     section to drop;
//   - debug/elf cannot read the file.
//
// patchelf (as used by auditwheel) appends a PT_LOAD after the
// non-allocated sections, so .debug_* and .symtab end up between segments.
// They cannot be removed without moving that segment, so such files are
// skipped: stripping has to happen before patchelf, as auditwheel itself
// now does (pypa/auditwheel#717).
//
// # Verification
//
// Before anything is written (Strip) or renamed (StripFile) the output is
// re-parsed with debug/elf and with this package's own parser (pkg/elfhdr
// for the ELF and program headers) and layout rules and compared with the
// input: ELF header, program headers, the
// loaded image byte for byte, every section header, the contents of every
// moved section, DynamicSymbols, ImportedLibraries, DynamicVersionNeeds,
// DynamicVersions and DT_SONAME/DT_RPATH/DT_RUNPATH. A mismatch is an
// error wrapping ErrVerify.
package elfstrip
