package wheel

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"io/fs"
)

// guardReader counts decompressed bytes as they stream and enforces the
// total and per-entry ratio limits; header sizes are never trusted.
type guardReader struct {
	r          io.Reader
	in         *installer
	name       string
	compressed int64
	n          int64
}

func (g *guardReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.n += int64(n)
	g.in.unpacked += int64(n)
	if max := g.in.opts.MaxUnpackedBytes; g.in.unpacked > max {
		return 0, fmt.Errorf("%w: %s: wheel expands to more than %d bytes (possible decompression bomb)", ErrTooLarge, g.name, max)
	}
	if ratio := g.in.opts.MaxEntryRatio; ratio > 0 && g.n > ratioFloor && g.n/g.compressed > ratio {
		return 0, fmt.Errorf("%w: %s: expands more than %d:1 (%d bytes from %d compressed; possible decompression bomb)",
			ErrTooLarge, g.name, ratio, g.n, g.compressed)
	}
	return n, err
}

// countWriter counts bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// extract installs one planned archive member.
func (in *installer) extract(p plannedEntry) error {
	if p.kind == kindDir {
		return in.fs.mkdirAll(p.dest)
	}
	name := p.f.Name
	rc, err := p.f.Open()
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	defer func() { _ = rc.Close() }()
	recHash, err := newHash(p.rec.Alg)
	if err != nil { // cannot happen: checked by plan
		return fmt.Errorf("%w: %s: %v", ErrRecord, name, err)
	}
	compressed := int64(p.f.CompressedSize64)
	if compressed < 1 {
		compressed = 1
	}
	g := &guardReader{r: rc, in: in, name: name, compressed: compressed}
	src := io.TeeReader(g, recHash)

	if p.kind == kindSymlink {
		data, err := io.ReadAll(io.LimitReader(src, maxSymlinkTarget+1))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if len(data) > maxSymlinkTarget {
			return fmt.Errorf("%w %q: symlink target longer than %d bytes", ErrUnsafe, name, maxSymlinkTarget)
		}
		if err := verifyRecorded(name, p.rec, recHash, g.n); err != nil {
			return fmt.Errorf("%w: %v", ErrRecord, err)
		}
		if err := checkSymlinkTarget(p.dest, string(data)); err != nil {
			return fmt.Errorf("%w %q: %v", ErrUnsafe, name, err)
		}
		if err := in.fs.symlink(p.dest, string(data)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}

	out, err := in.fs.create(p.dest)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	// The installed RECORD uses sha256 of the installed bytes; reuse the
	// verification hash when it is the same computation.
	var instHash hash.Hash
	var dst io.Writer = out
	reuse := p.rec.Alg == "sha256" && !p.script
	if !reuse {
		instHash = sha256.New()
		dst = io.MultiWriter(out, instHash)
	}
	cw := &countWriter{w: dst}
	rewritten := false
	if p.script {
		rewritten, err = copyScript(cw, src, in.opts.Interpreter)
	} else {
		_, err = io.Copy(cw, src)
	}
	if err != nil {
		_ = out.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := verifyRecorded(name, p.rec, recHash, g.n); err != nil {
		_ = out.Close()
		return fmt.Errorf("%w: %v", ErrRecord, err)
	}
	mode := fs.FileMode(0o644)
	if p.exec || rewritten {
		mode = 0o755
	}
	var sum []byte
	if reuse {
		sum = recHash.Sum(nil)
	} else {
		sum = instHash.Sum(nil)
	}
	if err := in.fs.commit(p.dest, out, cw.n, mode, sum); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
