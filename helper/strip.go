package helper

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/geolayer/geolayer/pkg/elfstrip"
	"github.com/geolayer/geolayer/pkg/report"
)

// runStrip copies one package's installed tree, stripping ELF files on the
// way (pkg/elfstrip: only non-allocated sections after the loaded image;
// unusual layouts are left untouched and reported), and carries the
// package's report forward with the bytes saved.
func runStrip(args []string, stdout io.Writer) error {
	fl := newFlags("strip")
	in := fl.String("in", "", "installed package tree")
	out := fl.String("out", "", "output tree")
	mode := fl.String("mode", "unneeded", "debug, unneeded or none")
	metaIn := fl.String("meta-in", "", "the package's report JSON from install")
	metaOut := fl.String("meta-out", "", "where to write the updated report JSON")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if err := required(fl, "in", "out", "meta-in", "meta-out"); err != nil {
		return err
	}
	m, err := elfstrip.ParseMode(*mode)
	if err != nil {
		return err
	}
	pkg, err := report.ReadPackage(*metaIn)
	if err != nil {
		return err
	}
	st := &report.Strip{Mode: m.String()}
	var dirs []string
	err = filepath.WalkDir(*in, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(*in, p)
		dst := filepath.Join(*out, rel)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			dirs = append(dirs, rel)
			return os.MkdirAll(dst, 0o755)
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		case info.Mode().IsRegular():
			return stripCopy(p, dst, rel, info, m, st)
		default:
			return fmt.Errorf("%s: unexpected file type %v", rel, info.Mode().Type())
		}
	})
	if err != nil {
		return err
	}
	// Keep directory times as install set them (deterministic trees).
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		if info, err := os.Stat(filepath.Join(*in, d)); err == nil {
			_ = os.Chtimes(filepath.Join(*out, d), info.ModTime(), info.ModTime())
		}
	}
	pkg.Bytes -= st.SavedBytes
	pkg.Strip = st
	if err := os.MkdirAll(filepath.Dir(*metaOut), 0o755); err != nil {
		return err
	}
	f, err := os.Create(*metaOut)
	if err != nil {
		return err
	}
	defer f.Close()
	return report.Write(f, pkg)
}

func stripCopy(src, dst, rel string, info fs.FileInfo, m elfstrip.Mode, st *report.Strip) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
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
					outf.Close()
					return err
				}
			} else if res.Skipped {
				st.Skipped = append(st.Skipped, report.Skip{Path: rel, Reason: res.Reason})
			}
		}
	}
	if res == nil || !res.Changed {
		if _, err := in.Seek(0, io.SeekStart); err != nil {
			outf.Close()
			return err
		}
		if _, err := io.Copy(outf, in); err != nil {
			outf.Close()
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
