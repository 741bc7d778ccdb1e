package elfstrip

// The public entry points.

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrNotELF is returned for input that does not start with the ELF magic.
// Callers stripping a tree skip such files silently.
var ErrNotELF = errors.New("elfstrip: not an ELF file")

// Result describes what Strip did.
type Result struct {
	// Changed is true when the output differs from the input.
	Changed bool
	// Skipped is true when the file was left alone because its layout is
	// unusual; Reason says why.
	Skipped bool
	// Reason explains Skipped, or why nothing changed.
	Reason string
	// Before and After are the input and output sizes in bytes.
	Before, After int64
	// Removed lists the names of the removed sections, in section order.
	Removed []string
}

// Strip reads an ELF file of size bytes from in and writes the stripped
// file to w. If nothing is removed (mode None, nothing to remove, or a
// skipped layout) the input is copied to w unchanged and Result.Changed is
// false. Output is verified before anything is written: on any error
// (including ErrNotELF and ErrVerify) nothing has been written to w unless
// the error came from w itself.
func Strip(in io.ReaderAt, size int64, w io.Writer, mode Mode) (*Result, error) {
	res, src, p, err := analyze(in, size, mode)
	if err != nil {
		return nil, err
	}
	if p == nil {
		if _, err := io.Copy(w, io.NewSectionReader(in, 0, size)); err != nil {
			return nil, err
		}
		return res, nil
	}
	im := p.image(in)
	if err := verify(src, p, im, int64(im.size)); err != nil {
		return nil, err
	}
	if _, err := im.WriteTo(w); err != nil {
		return nil, err
	}
	return res, nil
}

// StripFile strips the file at path in place. It writes a temporary file in
// the same directory, verifies what was written and renames it over the
// original, keeping the permission bits; the file is not touched when
// nothing changes, and on any error the original is kept. Symbolic links
// and other non-regular files are skipped (Result.Skipped). Renaming breaks
// hard links to the original.
func StripFile(path string, mode Mode) (*Result, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return &Result{Skipped: true, Reason: "not a regular file (" + fi.Mode().Type().String() + ")"}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	res, src, p, err := analyze(f, fi.Size(), mode)
	if err != nil || p == nil {
		return res, err
	}
	if err := replace(path, fi, src, p); err != nil {
		return nil, err
	}
	return res, nil
}

func replace(path string, fi os.FileInfo, src *source, p *plan) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".elfstrip-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	n, err := p.image(src.r).WriteTo(tmp)
	if err != nil {
		return err
	}
	if err := tmp.Chmod(fi.Mode() & (os.ModePerm | os.ModeSetuid | os.ModeSetgid | os.ModeSticky)); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := verify(src, p, tmp, n); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	now, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if now.Size() != fi.Size() || !now.ModTime().Equal(fi.ModTime()) {
		return fmt.Errorf("elfstrip: %s changed while being stripped", path)
	}
	return os.Rename(tmp.Name(), path)
}

// analyze decides everything. It returns a nil plan when the output equals
// the input; a skip is reported in the Result, not as an error.
func analyze(in io.ReaderAt, size int64, mode Mode) (*Result, *source, *plan, error) {
	if size < 0 {
		return nil, nil, nil, errors.New("elfstrip: negative size")
	}
	if !mode.valid() {
		return nil, nil, nil, fmt.Errorf("elfstrip: invalid mode %d", int(mode))
	}
	if err := checkMagic(in, size); err != nil {
		return nil, nil, nil, err
	}
	res := &Result{Before: size, After: size}
	if mode == None {
		res.Reason = "mode none"
		return res, nil, nil, nil
	}
	src, p, err := planStrip(in, size, mode)
	var skip *skipError
	switch {
	case errors.As(err, &skip):
		res.Skipped, res.Reason = true, skip.reason
		return res, nil, nil, nil
	case err != nil:
		return nil, nil, nil, err
	case p == nil:
		res.Reason = "nothing to remove"
		return res, nil, nil, nil
	case p.size >= uint64(size):
		res.Reason = "removing sections would not make the file smaller"
		return res, nil, nil, nil
	}
	res.Changed, res.After, res.Removed = true, int64(p.size), p.removed
	return res, src, p, nil
}

// planStrip parses and checks the input and plans the output; a nil plan
// means there is nothing to remove.
func planStrip(in io.ReaderAt, size int64, mode Mode) (*source, *plan, error) {
	raw, err := parseELF(in, size)
	if err != nil {
		return nil, nil, err
	}
	loadEnd, err := checkLayout(in, raw)
	if err != nil {
		return nil, nil, err
	}
	src := &source{r: in, raw: raw, loadEnd: loadEnd}
	err = protect("debug/elf", func() (err error) { src.ef, err = elf.NewFile(in); return err })
	if err != nil {
		return nil, nil, skipf("debug/elf cannot read the file: %v", err)
	}
	if len(src.ef.Sections) != len(raw.sects) || len(src.ef.Progs) != len(raw.progs) {
		return nil, nil, skipf("debug/elf sees %d sections and %d program headers, expected %d and %d",
			len(src.ef.Sections), len(src.ef.Progs), len(raw.sects), len(raw.progs))
	}
	drop, some := chooseDrops(raw, mode)
	if !some {
		return src, nil, nil
	}
	if src.dyn, err = readDynFacts(src.ef); err != nil {
		return nil, nil, skipf("%v", err)
	}
	if err := checkDrops(raw, drop, loadEnd, src.dyn.Syms); err != nil {
		return nil, nil, err
	}
	p, err := layoutPlan(raw, drop, loadEnd, pinnedIndices(raw, src.dyn.Syms))
	if err != nil {
		return nil, nil, err
	}
	return src, p, nil
}
