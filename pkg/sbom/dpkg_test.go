package sbom

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, data := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDpkgOwners(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"etc/os-release": "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
		"var/lib/dpkg/status": "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:1.2.13.dfsg-1\n\n" +
			"Package: libgdal32\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nVersion: 3.6.2+dfsg-1+b2\nDescription: x\n continued: not a field\n\n" +
			"Package: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1\n",
		// zlib1g lists the /lib alias (merged /usr); libgdal32 its
		// multi-arch name.
		"var/lib/dpkg/info/zlib1g:amd64.list":    "/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libz.so.1.2.13\n/lib/x86_64-linux-gnu/libz.so.1\n",
		"var/lib/dpkg/info/libgdal32:amd64.list": "/usr/lib/x86_64-linux-gnu/libgdal.so.32.3.6.2\n",
		"var/lib/dpkg/info/gone.list":            "/usr/lib/x86_64-linux-gnu/libgone.so.1\n",
	})
	if err := os.MkdirAll(filepath.Join(root, "usr/lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("usr/lib", filepath.Join(root, "lib")); err != nil {
		t.Fatal(err)
	}
	got, err := DpkgOwners(root, []string{
		"/usr/lib/x86_64-linux-gnu/libz.so.1.2.13",
		"/usr/lib/x86_64-linux-gnu/libgdal.so.32.3.6.2",
		"/usr/local/lib/libbuiltbyrun.so.1",
	})
	if err != nil {
		t.Fatal(err)
	}
	z := got["/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"]
	if z == nil || z.Name != "zlib1g" || z.Version != "1:1.2.13.dfsg-1" || z.Architecture != "amd64" || z.Distro != "debian" || z.Manager != "dpkg" {
		t.Errorf("libz: %+v", z)
	}
	g := got["/usr/lib/x86_64-linux-gnu/libgdal.so.32.3.6.2"]
	if g == nil || g.Name != "libgdal32" || g.Version != "3.6.2+dfsg-1+b2" {
		t.Errorf("libgdal: %+v", g)
	}
	if o := got["/usr/local/lib/libbuiltbyrun.so.1"]; o != nil {
		t.Errorf("a library no package lists got %+v", o)
	}
	if len(got) != 2 {
		t.Errorf("got %d owners, want 2", len(got))
	}
}

func TestDpkgOwnersNoDatabase(t *testing.T) {
	got, err := DpkgOwners(t.TempDir(), []string{"/usr/lib/libx.so.1"})
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v; want nothing and no error", got, err)
	}
}

func TestDpkgOwnersBounded(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"var/lib/dpkg/info/huge.list": "/" + strings.Repeat("x", maxLineBytes+10) + "\n",
	})
	if _, err := DpkgOwners(root, []string{"/usr/lib/libx.so.1"}); err == nil || !strings.Contains(err.Error(), "huge.list") {
		t.Fatalf("err = %v, want the over-long line refused, naming the file", err)
	}
}
