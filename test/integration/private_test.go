//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A private index that requires basic auth works through a BuildKit secret
// (index pages, wheel downloads and pip's resolver), and the secret's value
// appears nowhere: not in the build log, the outputs, the lock file or an
// exported cache.
func TestPrivateIndexSecretLeaksNothing(t *testing.T) {
	authURL, creds := os.Getenv("GEOLAYER_AUTH_INDEX_URL"), os.Getenv("GEOLAYER_AUTH_INDEX_CREDENTIALS")
	if authURL == "" || creds == "" {
		t.Fatal("GEOLAYER_AUTH_INDEX_URL and GEOLAYER_AUTH_INDEX_CREDENTIALS are not set: run `make dev-up` and source its env file")
	}
	_, password, _ := strings.Cut(creds, ":")
	header := "Basic " + base64.StdEncoding.EncodeToString([]byte(creds))
	needles := [][]byte{[]byte(password), []byte(base64.StdEncoding.EncodeToString([]byte(creds)))}

	// Not through buildx() on purpose: its GEOLAYER_INDEX_URL build arg
	// would replace the private INDEX.
	build := func(dir string, wantErr bool, args ...string) string {
		base := []string{"buildx", "build", "--builder", env.builder, "--progress=plain", "-f", "Geolayerfile"}
		return run(t, dir, wantErr, "docker", append(append(base, args...), ".")...)
	}
	t.Setenv("GLF_INDEX_AUTH", header)
	var logs strings.Builder

	// Pinned: index pages and wheels through llb.HTTP with the secret.
	pinned := project(t, "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\nINDEX "+authURL+" --secret=glf-index\nREQUIRE glf-pure==1.1.0 glf-pure-dep==1.0.0 glf-cext==1.0.0\n", nil)
	cache := filepath.Join(t.TempDir(), "cache")
	accessLog := filepath.Join(env.devHome, "logs", "index-auth.log")
	before, err := os.ReadFile(accessLog)
	if err != nil {
		t.Fatal(err)
	}
	// --no-cache: wheels are cached by checksum, so without it nothing
	// would be downloaded through the private index.
	logs.WriteString(build(pinned, false, "--no-cache", "--secret", "id=glf-index,env=GLF_INDEX_AUTH",
		"--cache-to", "type=local,mode=max,dest="+cache, "-o", filepath.Join(pinned, "out")))
	for _, p := range []string{"linux_amd64/layer.zip", "linux_arm64/layer.zip", "linux_amd64/report.json"} {
		if _, err := os.Stat(filepath.Join(pinned, "out", p)); err != nil {
			t.Errorf("pinned build through the private index: %v", err)
		}
	}
	logs.WriteString(build(pinned, false, "--secret", "id=glf-index,env=GLF_INDEX_AUTH", "--target", "lock", "-o", filepath.Join(pinned, "lock")))

	// Unpinned: pip resolves against the private index with the secret.
	unpinned := project(t, "TARGET aws-lambda python3.13\nPLATFORM linux/amd64\nINDEX "+authURL+" --secret=glf-index\nREQUIRE glf-pure glf-data\n", nil)
	logs.WriteString(build(unpinned, false, "--no-cache", "--secret", "id=glf-index,env=GLF_INDEX_AUTH", "-o", filepath.Join(unpinned, "out")))
	if _, err := os.Stat(filepath.Join(unpinned, "out", "layer.zip")); err != nil {
		t.Errorf("unpinned build through the private index: %v", err)
	}

	after, err := os.ReadFile(accessLog)
	if err != nil {
		t.Fatal(err)
	}
	served := string(after[len(before):])
	for _, want := range []string{"GET /simple/glf-cext/ 200", "GET /files/glf_cext-1.0.0-cp313-cp313-manylinux_2_25_aarch64.whl 200",
		"GET /files/glf_cext-1.0.0-cp313-cp313-manylinux_2_25_x86_64.whl 200", "GET /simple/glf-data/ 200", "GET /files/glf_data-1.0.0-py3-none-any.whl 200"} {
		if !strings.Contains(served, want) {
			t.Errorf("the private index did not log %q during the builds:\n%s", want, served)
		}
	}

	// Without the secret the index refuses, and the error says where.
	fresh := project(t, "TARGET aws-lambda python3.13\nPLATFORM linux/amd64\nINDEX "+authURL+" --secret=glf-index\nREQUIRE glf-pure==1.0.0\n", nil)
	out := build(fresh, true, "-o", filepath.Join(fresh, "out"))
	for _, want := range []string{`build secret "glf-index"`, "--secret id=glf-index", ">>> INDEX " + authURL} {
		if !strings.Contains(out, want) {
			t.Errorf("a build without the secret should say %q:\n%s", want, tail(out, 30))
		}
	}
	// A wrong secret: the index refuses with 401, and the error says so.
	t.Setenv("GLF_INDEX_AUTH", "Basic "+base64.StdEncoding.EncodeToString([]byte("geolayer:wrong")))
	out = build(fresh, true, "--secret", "id=glf-index,env=GLF_INDEX_AUTH", "-o", filepath.Join(fresh, "out"))
	if !strings.Contains(out, "401") || !strings.Contains(out, ">>> INDEX "+authURL) {
		t.Errorf("a build with a wrong secret should report the 401 at the INDEX line:\n%s", tail(out, 30))
	}

	for _, n := range needles {
		if bytes.Contains([]byte(logs.String()), n) {
			t.Errorf("the build log contains the secret")
		}
	}
	for _, root := range []string{pinned, unpinned, cache} {
		scanForSecret(t, root, needles)
	}
}

// scanForSecret fails when any file under root, or any file inside a
// (gzipped) tar blob under root, contains one of the needles.
func scanForSecret(t *testing.T, root string, needles [][]byte) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		check := func(what string, data []byte) {
			for _, n := range needles {
				if bytes.Contains(data, n) {
					t.Errorf("%s contains the secret", what)
				}
			}
		}
		check(p, b)
		if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
			if plain, err := io.ReadAll(zr); err == nil {
				check(p+" (gunzipped)", plain)
				tr := tar.NewReader(bytes.NewReader(plain))
				for {
					h, err := tr.Next()
					if err != nil {
						break
					}
					data, _ := io.ReadAll(tr)
					check(p+":"+h.Name, data)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Errorf("nothing to scan under %s", root)
	}
}
