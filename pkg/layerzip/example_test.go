package layerzip_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/geolayer/geolayer/pkg/layerzip"
)

// Each package's slimmed tree becomes a cached fragment; a final step
// assembles the fragments into the layer archive.
func Example() {
	work, _ := os.MkdirTemp("", "layerzip-example")
	defer func() { _ = os.RemoveAll(work) }()
	site := "python/lib/python3.12/site-packages/"

	// Two installed packages (normally the output of earlier build steps).
	for pkg, file := range map[string]string{"shapely": "__init__.py", "pyproj": "proj.py"} {
		dir := filepath.Join(work, "pkgs", pkg, pkg)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), []byte("print('hello')\n"), 0o644); err != nil {
			log.Fatal(err)
		}
	}

	// SOURCE_DATE_EPOCH, clamped to 1980 and stored in UTC.
	epoch, err := layerzip.ParseSourceDateEpoch("1700000000")
	if err != nil {
		log.Fatal(err)
	}
	opts := layerzip.Options{Epoch: epoch}

	// Per package (a cacheable step): walk, then write layer.frag + .idx.
	var frags []layerzip.Fragment
	for _, pkg := range []string{"shapely", "pyproj"} {
		entries, err := layerzip.WalkDir(filepath.Join(work, "pkgs", pkg), site)
		if err != nil {
			log.Fatal(err)
		}
		frag, err := layerzip.WriteFragmentFile(filepath.Join(work, pkg+".frag"), entries, opts)
		if err != nil {
			log.Fatal(err)
		}
		frags = append(frags, frag)
	}

	// Final step: load fragments (from their .idx files), order them, assemble.
	for i, f := range frags {
		if frags[i], err = layerzip.LoadFragment(f.Data); err != nil {
			log.Fatal(err)
		}
	}
	layerzip.SortFragments(frags)
	var layer bytes.Buffer
	if err := layerzip.Assemble(&layer, frags); err != nil {
		log.Fatal(err)
	}

	zr, _ := zip.NewReader(bytes.NewReader(layer.Bytes()), int64(layer.Len()))
	for _, f := range zr.File {
		fmt.Println(f.Mode(), f.Modified.Format(time.DateTime), f.Name)
	}
	// Output:
	// -rw-r--r-- 2023-11-14 22:13:20 python/lib/python3.12/site-packages/pyproj/proj.py
	// -rw-r--r-- 2023-11-14 22:13:20 python/lib/python3.12/site-packages/shapely/__init__.py
}

// WriteTree is the one-step form: the same bytes as one fragment plus
// Assemble.
func ExampleWriteTree() {
	root, _ := os.MkdirTemp("", "layerzip-example")
	defer func() { _ = os.RemoveAll(root) }()
	if err := os.WriteFile(filepath.Join(root, "handler.py"), []byte("def handler(e, c):\n    return 1\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.Symlink("handler.py", filepath.Join(root, "main.py")); err != nil {
		log.Fatal(err)
	}

	out, err := os.Create(filepath.Join(root, "..", filepath.Base(root)+".zip"))
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = os.Remove(out.Name()) }()
	if err := layerzip.WriteTree(out, root, "", layerzip.Options{}); err != nil {
		log.Fatal(err)
	}
	if err := out.Close(); err != nil {
		log.Fatal(err)
	}

	zr, _ := zip.OpenReader(out.Name())
	defer func() { _ = zr.Close() }()
	for _, f := range zr.File {
		fmt.Println(f.Mode(), f.Name)
	}
	// Output:
	// -rw-r--r-- handler.py
	// Lrwxrwxrwx main.py
}
