package helper

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
	sdist := fs.String("sdist", "", "the sdist the wheel was compiled from (BUILD; --url and --sha256 are then the sdist's)")
	buildImage := fs.String("build-image", "", "the build image (digest-pinned) the wheel was compiled in (with --sdist)")
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
		License:  inst.License,
		// PEP 639 License-Expression, SPDX syntax
		LicenseExpression: inst.LicenseExpression,
	}
	if *sdist != "" {
		sum, err := fileSHA256(*whl)
		if err != nil {
			return err
		}
		p.Built = &report.Built{Sdist: *sdist, BuildImage: *buildImage, WheelSHA256: sum}
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

// fileSHA256 is the hex sha256 of a file's bytes.
func fileSHA256(p string) (string, error) {
	s, _, err := fileHashes(p)
	return s, err
}

// fileHashes are the hex sha256 and sha1 of a file's bytes.
func fileHashes(p string) (sha256Hex, sha1Hex string, err error) {
	f, err := os.Open(p)
	if err != nil {
		return "", "", err
	}
	defer func() { _ = f.Close() }()
	h2, h1 := sha256.New(), sha1.New()
	if _, err := io.Copy(io.MultiWriter(h2, h1), f); err != nil {
		return "", "", fmt.Errorf("%s: %w", p, err)
	}
	return hex.EncodeToString(h2.Sum(nil)), hex.EncodeToString(h1.Sum(nil)), nil
}
