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

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/report"
	"github.com/geolayer/geolayer/pkg/wheel"
)

func runInstall(o *helperapi.Install, stdout io.Writer) error {
	scripts, interp, headers := o.Scripts, o.Interpreter, o.Headers
	if scripts == "" {
		scripts = "bin"
	}
	if interp == "" {
		interp = wheel.DefaultInterpreter
	}
	if headers == "" {
		headers = filepath.Join(o.Data, "include")
	}
	mtime := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	if t := time.Unix(o.Epoch, 0).UTC(); t.After(mtime) {
		mtime = t
	}
	inst, err := wheel.Install(o.Wheel, wheel.Scheme{
		Root:    o.Root,
		Purelib: o.SitePackages, Platlib: o.SitePackages,
		Scripts: scripts, Data: o.Data, Headers: headers,
	}, wheel.InstallOptions{Interpreter: interp, Mtime: mtime})
	if err != nil {
		return err
	}
	p := report.Package{
		Name:     inst.Name,
		Version:  inst.Version,
		Runtime:  o.Runtime,
		Wheel:    filepath.Base(o.Wheel),
		URL:      o.URL,
		SHA256:   o.SHA256,
		Files:    len(inst.Files),
		Bytes:    inst.Bytes,
		Warnings: inst.Warnings,
		License:  inst.License,
		// PEP 639 License-Expression, SPDX syntax
		LicenseExpression: inst.LicenseExpression,
	}
	if o.Sdist != "" {
		sum, err := fileSHA256(o.Wheel)
		if err != nil {
			return err
		}
		p.Built = &report.Built{Sdist: o.Sdist, BuildImage: o.BuildImage, WheelSHA256: sum}
	}
	if err := os.MkdirAll(filepath.Dir(o.Meta), 0o755); err != nil {
		return err
	}
	f, err := os.Create(o.Meta)
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
