package elfstrip

// Modes and the per-section decision of what a mode removes.

import (
	"debug/elf"
	"fmt"
	"strings"
)

// Mode selects what Strip removes.
type Mode int

const (
	// None removes nothing.
	None Mode = iota
	// Debug removes debugging information: .debug_*, .zdebug_*, the old
	// .debug/.line/.stab* formats, .gdb_index, .gnu_debugaltlink and the
	// relocation sections that apply to them. It keeps .gnu_debuglink,
	// .comment and .symtab.
	Debug
	// Unneeded is Debug plus the static symbol table: .symtab, the string
	// table only it uses (.strtab), .symtab_shndx, non-allocated relocation
	// sections that refer to it (from -Wl,--emit-relocs) and
	// .gnu_debugdata (MiniDebugInfo, an xz-compressed symbol table). The
	// dynamic symbol table and everything else allocated stays.
	Unneeded
)

// String returns the name ParseMode accepts.
func (m Mode) String() string {
	switch m {
	case None:
		return "none"
	case Debug:
		return "debug"
	case Unneeded:
		return "unneeded"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode parses "none", "debug" or "unneeded" (case-insensitive).
func ParseMode(s string) (Mode, error) {
	for _, m := range []Mode{None, Debug, Unneeded} {
		if strings.EqualFold(s, m.String()) {
			return m, nil
		}
	}
	return None, fmt.Errorf("elfstrip: unknown strip mode %q (want none, debug or unneeded)", s)
}

func (m Mode) valid() bool { return m >= None && m <= Unneeded }

// debugPrefixes are name prefixes of debugging sections.
var debugPrefixes = []string{
	".debug_", ".zdebug_", // DWARF 2+, plain and compressed (old style)
	".gnu.debuglto_",              // LTO debug info
	".stab.",                      // stabs variants (.stab.excl, ...)
	".rel.debug_", ".rela.debug_", // their relocations
	".rel.zdebug_", ".rela.zdebug_",
}

// debugNames are exact names of debugging sections.
var debugNames = map[string]bool{
	".debug":            true, // DWARF 1
	".line":             true, // DWARF 1 line numbers
	".stab":             true,
	".stabstr":          true,
	".gdb_index":        true,
	".gnu_debugaltlink": true, // dwz: only the .debug_* sections refer to it
}

func isDebugName(name string) bool {
	if debugNames[name] {
		return true
	}
	for _, p := range debugPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// wantsDrop is the mode's own decision for one section, before cascading
// through relocations and string tables (plan.go). Allocated sections are
// never dropped.
func (m Mode) wantsDrop(s *sectHdr) bool {
	if s.alloc() || m == None {
		return false
	}
	if isDebugName(s.nameStr) {
		// The name says debugging, but debug/elf and the ELF checks find
		// the dynamic tables by type: a section of such a type stays,
		// whatever it is called.
		return !dynamicType(s.typ)
	}
	if m != Unneeded {
		return false
	}
	switch elf.SectionType(s.typ) {
	case elf.SHT_SYMTAB, elf.SHT_SYMTAB_SHNDX:
		return true
	}
	return s.nameStr == ".gnu_debugdata"
}

// dynamicType reports whether a section of type t is one the dynamic
// information is read from by type (symbols, libraries, versions, hashes).
func dynamicType(t uint32) bool {
	switch elf.SectionType(t) {
	case elf.SHT_DYNSYM, elf.SHT_DYNAMIC, elf.SHT_HASH, elf.SHT_GNU_HASH,
		elf.SHT_GNU_VERSYM, elf.SHT_GNU_VERNEED, elf.SHT_GNU_VERDEF:
		return true
	}
	return false
}
