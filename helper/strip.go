package helper

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/elfstrip"
	"github.com/geolayer/geolayer/pkg/report"
)

// elfMode is the pkg/elfstrip mode of a --strip value.
func elfMode(m helperapi.StripMode) (elfstrip.Mode, error) {
	switch m {
	case helperapi.StripNone:
		return elfstrip.None, nil
	case helperapi.StripDebug:
		return elfstrip.Debug, nil
	case helperapi.StripUnneeded:
		return elfstrip.Unneeded, nil
	}
	return elfstrip.None, fmt.Errorf("--strip: unknown strip mode %v", m)
}

func stripCopy(src, dst, rel string, info fs.FileInfo, m elfstrip.Mode, st *report.Strip) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	outf, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, info.Mode().Perm())
	if err != nil {
		return err
	}
	var res *elfstrip.Result
	if m != elfstrip.None {
		var buf bytes.Buffer
		res, err = elfstrip.Strip(in, info.Size(), &buf, m)
		switch {
		case errors.Is(err, elfstrip.ErrNotELF):
			res, err = nil, nil
		case err != nil:
			// A verification failure keeps the original bytes: never break a file.
			st.Skipped = append(st.Skipped, report.Skip{Path: rel, Reason: err.Error()})
			res, err = nil, nil
		default:
			if res.Changed {
				st.Files++
				st.SavedBytes += res.Before - res.After
				if _, err := outf.Write(buf.Bytes()); err != nil {
					_ = outf.Close()
					return err
				}
			} else if res.Skipped {
				st.Skipped = append(st.Skipped, report.Skip{Path: rel, Reason: res.Reason})
			}
		}
	}
	if res == nil || !res.Changed {
		if _, err := in.Seek(0, io.SeekStart); err != nil {
			_ = outf.Close()
			return err
		}
		if _, err := io.Copy(outf, in); err != nil {
			_ = outf.Close()
			return err
		}
	}
	if err := outf.Close(); err != nil {
		return err
	}
	mt := info.ModTime()
	if mt.IsZero() {
		mt = time.Unix(315532800, 0)
	}
	return os.Chtimes(dst, mt, mt)
}
