package helper

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/prune"
	"github.com/geolayer/geolayer/pkg/report"
)

// runBytecode copies one package's tree and compiles its Python sources
// with the target's CPython (run inside the profile's build image, which
// has it): unchecked-hash pycs (PEP 552), so the result does not depend on
// file times and the layer stays deterministic, with the run-time path as
// the file name in tracebacks. --sourceless writes legacy foo.pyc next to
// each module and removes the .py.
func runBytecode(o *helperapi.Bytecode, stdout io.Writer) error {
	mount, python := o.MountPoint, o.Python
	if mount == "" {
		mount = "/opt"
	}
	if python == "" {
		python = "python3"
	}
	pkg, err := report.ReadPackage(o.MetaIn)
	if err != nil {
		return err
	}
	// A copy that keeps modes, times and symlinks: prune.Copy with no
	// rules removes nothing.
	keepAll, err := prune.Compile(prune.Options{NoDefaults: true})
	if err != nil {
		return err
	}
	if _, err := prune.Copy(o.In, o.Out, keepAll); err != nil {
		return err
	}
	before, _ := treeSize(o.Out)
	root := filepath.Join(o.Out, filepath.FromSlash(o.SitePackages))
	if _, err := os.Stat(root); err == nil {
		cargs := []string{"-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
			"-o", strconv.Itoa(o.Optimize), "-s", o.Out, "-p", mount}
		if o.Sourceless {
			cargs = append(cargs, "-b")
		}
		cmd := exec.Command(python, append(cargs, root)...)
		cmd.Env = append(os.Environ(), "PYTHONHASHSEED=0", "SOURCE_DATE_EPOCH=315532800")
		if b, err := cmd.CombinedOutput(); err != nil {
			// A file the target's CPython cannot compile would fail at
			// import (or, --sourceless, be missing): an error, not a note.
			return fmt.Errorf("BYTECODE: %s %s: %s could not compile every module (%v): %s; remove files that never import (e.g. Python 2 leftovers) with PRUNE, or leave BYTECODE out",
				pkg.Name, pkg.Version, python, err, strings.TrimSpace(lastLines(string(b), 5)))
		}
		if o.Sourceless {
			if err := removeCompiledSources(root); err != nil {
				return err
			}
		}
	}
	after, files := treeSize(o.Out)
	pkg.Bytecode = &report.Bytecode{Optimize: o.Optimize, Sourceless: o.Sourceless, AddedBytes: after - before}
	pkg.Bytes += after - before
	pkg.Files = files
	return writePackage(o.MetaOut, pkg)
}

// removeCompiledSources deletes every .py that has a .pyc beside it.
func removeCompiledSources(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".py") {
			return err
		}
		if _, err := os.Stat(p + "c"); err == nil {
			return os.Remove(p)
		}
		return nil
	})
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "; ")
}

// treeSize is the bytes and file count of a tree (symlinks count their
// link text, as the platforms count them).
func treeSize(root string) (bytes int64, files int) {
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := os.Lstat(p); err == nil {
			if info.Mode()&fs.ModeSymlink != 0 {
				t, _ := os.Readlink(p)
				bytes += int64(len(t))
			} else {
				bytes += info.Size()
			}
			files++
		}
		return nil
	})
	return bytes, files
}

func writePackage(p string, pkg *report.Package) error {
	if err := os.MkdirAll(path.Dir(filepath.ToSlash(p)), 0o755); err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if err := report.Write(f, pkg); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
