package helper

import (
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/geolayer/geolayer/pkg/report"
	"github.com/geolayer/geolayer/pkg/wheel"
)

func runInstall(args []string, stdout io.Writer) error {
	fs := newFlags("install")
	whl := fs.String("wheel", "", "wheel file")
	root := fs.String("root", "", "layer root to install into")
	site := fs.String("site-packages", "", "purelib/platlib folder, relative to the root")
	scripts := fs.String("scripts", "bin", "scripts folder, relative to the root")
	data := fs.String("data", "", "data folder, relative to the root")
	headers := fs.String("headers", "", "headers folder, relative to the root")
	interp := fs.String("interpreter", wheel.DefaultInterpreter, "shebang interpreter for scripts")
	url := fs.String("url", "", "where the wheel came from (for the report)")
	sha := fs.String("sha256", "", "the wheel's sha256 (for the report)")
	epoch := fs.Int64("epoch", 0, "SOURCE_DATE_EPOCH for file times (0: 1980-01-01)")
	meta := fs.String("meta", "", "write this package's report JSON here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "wheel", "root", "site-packages", "meta"); err != nil {
		return err
	}
	if *headers == "" {
		*headers = filepath.Join(*data, "include")
	}
	mtime := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	if t := time.Unix(*epoch, 0).UTC(); t.After(mtime) {
		mtime = t
	}
	inst, err := wheel.Install(*whl, wheel.Scheme{
		Root:    *root,
		Purelib: *site, Platlib: *site,
		Scripts: *scripts, Data: *data, Headers: *headers,
	}, wheel.InstallOptions{Interpreter: *interp, Mtime: mtime})
	if err != nil {
		return err
	}
	p := report.Package{
		Name:     inst.Name,
		Version:  inst.Version,
		Wheel:    filepath.Base(*whl),
		URL:      *url,
		SHA256:   *sha,
		Files:    len(inst.Files),
		Bytes:    inst.Bytes,
		Warnings: inst.Warnings,
	}
	if err := os.MkdirAll(filepath.Dir(*meta), 0o755); err != nil {
		return err
	}
	f, err := os.Create(*meta)
	if err != nil {
		return err
	}
	if err := report.Write(f, p); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
