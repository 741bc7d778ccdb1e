package elfstrip

// The output image: a list of extents, each either a range of the input, a
// small in-memory buffer or zero fill. It can be read at random (for
// verification before anything is written) and streamed to a writer, so a
// large library is never held in memory.

import (
	"errors"
	"io"
	"sort"
)

type extent struct {
	off, n uint64 // position and length in the output
	src    uint64 // input offset, when data == nil && !zero
	data   []byte
	zero   bool
}

type image struct {
	in   io.ReaderAt
	ext  []extent
	size uint64
}

func (im *image) addInput(src, n uint64) {
	if n > 0 {
		im.ext = append(im.ext, extent{off: im.size, n: n, src: src})
		im.size += n
	}
}

func (im *image) addBytes(b []byte) {
	if len(b) > 0 {
		im.ext = append(im.ext, extent{off: im.size, n: uint64(len(b)), data: b})
		im.size += uint64(len(b))
	}
}

func (im *image) addZero(n uint64) {
	if n > 0 {
		im.ext = append(im.ext, extent{off: im.size, n: n, zero: true})
		im.size += n
	}
}

// ReadAt implements io.ReaderAt.
func (im *image) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("elfstrip: negative offset")
	}
	pos := uint64(off)
	if pos >= im.size {
		return 0, io.EOF
	}
	i := sort.Search(len(im.ext), func(i int) bool { return im.ext[i].off+im.ext[i].n > pos })
	done := 0
	for ; i < len(im.ext) && done < len(p); i++ {
		e := &im.ext[i]
		skip := pos - e.off
		c := min(uint64(len(p)-done), e.n-skip)
		dst := p[done : done+int(c)]
		switch {
		case e.zero:
			clear(dst)
		case e.data != nil:
			copy(dst, e.data[skip:])
		default:
			if err := readFull(im.in, dst, int64(e.src+skip)); err != nil {
				return done, err
			}
		}
		done += int(c)
		pos += c
	}
	if done < len(p) {
		return done, io.EOF
	}
	return done, nil
}

// WriteTo streams the image to w.
func (im *image) WriteTo(w io.Writer) (int64, error) {
	var total int64
	buf := make([]byte, 256<<10)
	for _, e := range im.ext {
		var n int64
		var err error
		switch {
		case e.zero:
			n, err = writeZero(w, e.n, buf)
		case e.data != nil:
			var c int
			c, err = w.Write(e.data)
			n = int64(c)
		default:
			r := io.NewSectionReader(im.in, int64(e.src), int64(e.n))
			n, err = io.CopyBuffer(onlyWriter{w}, r, buf)
			if err == nil && n != int64(e.n) {
				err = io.ErrUnexpectedEOF
			}
		}
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func writeZero(w io.Writer, n uint64, buf []byte) (int64, error) {
	var total int64
	for n > 0 {
		c := min(n, uint64(len(buf)))
		z := buf[:c]
		clear(z)
		m, err := w.Write(z)
		total += int64(m)
		if err != nil {
			return total, err
		}
		n -= c
	}
	return total, nil
}

// onlyWriter hides ReadFrom so io.CopyBuffer really uses the buffer.
type onlyWriter struct{ io.Writer }
