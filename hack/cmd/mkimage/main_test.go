package main

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The same files written under umask 022 and under umask 002 (group
// writable, as many desktop and CI setups have it) give the same layer.
func TestTarDirIgnoresTheUmask(t *testing.T) {
	write := func(dirMode, exeMode, fileMode os.FileMode) []byte {
		dir := t.TempDir()
		sub := filepath.Join(dir, "etc")
		if err := os.Mkdir(sub, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "geolayer"), []byte("\x7fELF..."), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, "conf"), []byte("x=1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		// chmod, not the creation mode: that one is subject to this
		// process's umask.
		for p, m := range map[string]os.FileMode{sub: dirMode, filepath.Join(dir, "geolayer"): exeMode, filepath.Join(sub, "conf"): fileMode} {
			if err := os.Chmod(p, m); err != nil {
				t.Fatal(err)
			}
		}
		b, err := tarDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := write(0o755, 0o755, 0o644)
	b := write(0o775, 0o775, 0o664)
	if !bytes.Equal(a, b) {
		t.Fatalf("umask 002 changed the layer")
	}
	want := map[string]int64{"etc/": 0o755, "etc/conf": 0o644, "geolayer": 0o755}
	tr := tar.NewReader(bytes.NewReader(a))
	n := 0
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		n++
		if m, ok := want[h.Name]; !ok || h.Mode != m {
			t.Errorf("%s: mode %o, want %o", h.Name, h.Mode, m)
		}
	}
	if n != len(want) {
		t.Errorf("%d entries, want %d", n, len(want))
	}
}
