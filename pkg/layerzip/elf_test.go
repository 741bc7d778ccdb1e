package layerzip

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// makeELF returns a minimal little-endian ELF64 shared object: sections
// .dynstr, .dynamic (DT_SONAME when soname is not "", then DT_NULL),
// .shstrtab, with payload in between (to vary content and size).
func makeELF(soname string, payload []byte) []byte {
	var dynstr []byte
	dynstr = append(dynstr, 0)
	sonameOff := uint64(len(dynstr))
	dynstr = append(append(dynstr, soname...), 0)
	var dyn bytes.Buffer
	if soname != "" {
		if err := binary.Write(&dyn, binary.LittleEndian, elf.Dyn64{Tag: int64(elf.DT_SONAME), Val: sonameOff}); err != nil {
			panic(err)
		}
	}
	if err := binary.Write(&dyn, binary.LittleEndian, elf.Dyn64{Tag: int64(elf.DT_NULL)}); err != nil {
		panic(err)
	}
	shstr := []byte("\x00.dynstr\x00.dynamic\x00.shstrtab\x00")

	const ehsize = 64
	offDynstr := uint64(ehsize)
	offDyn := offDynstr + uint64(len(dynstr))
	offPayload := offDyn + uint64(dyn.Len())
	offShstr := offPayload + uint64(len(payload))
	offSh := offShstr + uint64(len(shstr))

	var b bytes.Buffer
	h := elf.Header64{
		Type: uint16(elf.ET_DYN), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT),
		Shoff: offSh, Ehsize: ehsize, Phentsize: 56, Shentsize: 64, Shnum: 4, Shstrndx: 3,
	}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	h.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	h.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	if err := binary.Write(&b, binary.LittleEndian, h); err != nil {
		panic(err)
	}
	b.Write(dynstr)
	b.Write(dyn.Bytes())
	b.Write(payload)
	b.Write(shstr)
	for _, s := range []elf.Section64{
		{},
		{Name: 1, Type: uint32(elf.SHT_STRTAB), Flags: uint64(elf.SHF_ALLOC), Off: offDynstr, Size: uint64(len(dynstr)), Addralign: 1},
		{Name: 9, Type: uint32(elf.SHT_DYNAMIC), Flags: uint64(elf.SHF_ALLOC | elf.SHF_WRITE), Off: offDyn, Size: uint64(dyn.Len()), Link: 1, Addralign: 8, Entsize: 16},
		{Name: 18, Type: uint32(elf.SHT_STRTAB), Off: offShstr, Size: uint64(len(shstr)), Addralign: 1},
	} {
		if err := binary.Write(&b, binary.LittleEndian, s); err != nil {
			panic(err)
		}
	}
	return b.Bytes()
}

// TestELFIndexFields: WriteFragment records elf and DT_SONAME for ELF
// shared objects (generic entries and files on disk), nothing for other
// files, and never fails on malformed ELF data.
func TestELFIndexFields(t *testing.T) {
	good := makeELF("libgdal-3a1b2c3d.so.33", randomBytes(3000, 5))
	noSoname := makeELF("", randomBytes(100, 6))
	exec := bytes.Clone(good)
	exec[16] = byte(elf.ET_EXEC)
	// Corruptions: each must leave soname empty, and the fragment written.
	truncated := good[:40]
	badShoff := bytes.Clone(good)
	binary.LittleEndian.PutUint64(badShoff[40:], 1<<40)
	badLink := bytes.Clone(good)
	// .dynamic's sh_link (section header 2, offset 40 within it) -> 99.
	shoff := binary.LittleEndian.Uint64(good[40:])
	binary.LittleEndian.PutUint32(badLink[shoff+2*64+40:], 99)
	unterminated := makeELF("libx.so", nil)
	dynstrEnd := 64 + 1 + len("libx.so") // the soname's NUL
	unterminated[dynstrEnd] = 'y'
	sh1 := binary.LittleEndian.Uint64(unterminated[40:]) + 64 // .dynstr header
	binary.LittleEndian.PutUint64(unterminated[sh1+32:], uint64(1+len("libx.so")))
	slash := makeELF("lib/x.so", nil)
	garbage := append([]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00"), randomBytes(500, 9)...)

	cases := []struct {
		name   string
		data   []byte
		elf    bool
		soname string
	}{
		{"good.so", good, true, "libgdal-3a1b2c3d.so.33"},
		{"nosoname.so", noSoname, true, ""},
		{"exec", exec, false, ""},
		{"truncated.so", truncated, false, ""},
		{"badshoff.so", badShoff, false, ""},
		{"badlink.so", badLink, true, ""},
		{"unterminated.so", unterminated, true, ""},
		{"slash.so", slash, true, ""},
		{"garbage.so", garbage, false, ""},
		{"text.py", []byte("print(1)\n"), false, ""},
	}
	var es []Entry
	for _, c := range cases {
		es = append(es, FileEntry(c.name, 0o755, int64(len(c.data)), opener(string(c.data))))
	}
	check := func(label string, idx *FragmentIndex) {
		t.Helper()
		got := map[string]IndexEntry{}
		for _, e := range idx.Entries {
			got[e.Name] = e
		}
		for _, c := range cases {
			e := got[c.name]
			if e.ELF != c.elf || e.Soname != c.soname || e.SHA256 != sum(c.data) {
				t.Errorf("%s: %s: elf %v soname %q sha %s, want %v %q %s", label, c.name, e.ELF, e.Soname, e.SHA256, c.elf, c.soname, sum(c.data))
			}
		}
	}
	// Generic entries (no io.ReaderAt: the entry is re-opened), both when
	// deflated and when stored, and spilled.
	for _, o := range []Options{{}, {Level: 1}, {SpillThreshold: 1}} {
		idx, err := WriteFragment(&bytes.Buffer{}, es, o)
		if err != nil {
			t.Fatal(err)
		}
		check("entries", idx)
	}
	// Files on disk (WalkDir: *os.File, read in place).
	root := t.TempDir()
	for _, c := range cases {
		if err := os.WriteFile(filepath.Join(root, c.name), c.data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	walked, err := WalkDir(root, "")
	if err != nil {
		t.Fatal(err)
	}
	idx, err := WriteFragment(&bytes.Buffer{}, walked, Options{})
	if err != nil {
		t.Fatal(err)
	}
	check("files", idx)

	// A real library from the system, when there is one.
	if _, err := os.Stat("/usr/lib/x86_64-linux-gnu/libz.so.1"); err == nil {
		sys := t.TempDir()
		data, _ := os.ReadFile("/usr/lib/x86_64-linux-gnu/libz.so.1")
		if err := os.WriteFile(filepath.Join(sys, "libz-0123abcd.so.1"), data, 0o755); err != nil {
			t.Fatal(err)
		}
		walked, _ := WalkDir(sys, "")
		idx, err := WriteFragment(&bytes.Buffer{}, walked, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if e := idx.Entries[0]; !e.ELF || e.Soname != "libz.so.1" {
			t.Errorf("system libz: elf %v soname %q", e.ELF, e.Soname)
		}
	}
}

// The soname reader is bounded and never panics, whatever the bytes.
func TestELFSonameFuzzish(t *testing.T) {
	base := makeELF("libfoo.so.1", randomBytes(200, 3))
	for i := range 4000 {
		d := bytes.Clone(base)
		r := randomBytes(3, uint64(i))
		d[int(r[0])%len(d)] ^= r[1] | 1
		d[(int(r[1])*7+int(r[2]))%len(d)] ^= r[2] | 1
		s, _ := elfSoname(bytes.NewReader(d), int64(len(d)))
		if s != "" && !validSoname(s) {
			t.Fatalf("invalid soname %q", s)
		}
	}
	if s, ok := elfSoname(bytes.NewReader(base), int64(len(base))); !ok || s != "libfoo.so.1" {
		t.Errorf("base: %q %v", s, ok)
	}
	if !strings.HasPrefix(string(base), elf.ELFMAG) || !looksELFShared(base) || looksELFShared(base[:10]) {
		t.Errorf("looksELFShared")
	}
}
