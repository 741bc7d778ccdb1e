// Command mkimage assembles a multi-platform OCI image from per-platform
// rootfs tarballs or directories and pushes it, under one or more names, to a
// registry. The dev world uses it for the stand-in runtime and build images
// and for the frontend image; nothing is pulled from anywhere.
//
//	mkimage --platform linux/amd64=rootfs-amd64.tar --platform linux/arm64=dir:./out/arm64 \
//	    --env PATH=/usr/bin:/bin --entrypoint /geolayer --label k=v --push 127.0.0.1:5000/x:y
//
// --entrypoint and --cmd take words separated by blanks, or a JSON array as
// in a Dockerfile's exec form: --entrypoint '["/lambda-entrypoint.sh"]',
// --cmd '["/bin/bash"]'. --entrypoint '[]' is an explicitly empty entrypoint
// (a Dockerfile's ENTRYPOINT []): the config then has none, which is also
// what BuildKit writes for ENTRYPOINT [] (the OCI config field is omitempty).
//
// --uncompressed pushes tarball layers as they are
// (application/vnd.oci.image.layer.v1.tar): on the loopback registry the
// gzip of large rootfs tarballs is most of a push's CPU.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func main() {
	var plats, envs, labels, pushes multi
	flag.Var(&plats, "platform", "os/arch=ROOTFS.tar or os/arch=dir:DIR (repeatable)")
	flag.Var(&envs, "env", "KEY=VALUE for the image config (repeatable)")
	flag.Var(&labels, "label", "KEY=VALUE label (repeatable)")
	flag.Var(&pushes, "push", "image reference to push to (repeatable)")
	entrypoint := flag.String("entrypoint", "", "entrypoint: words separated by blanks, or a JSON array ('[]': explicitly none)")
	cmd := flag.String("cmd", "", "default command: words separated by blanks, or a JSON array")
	workdir := flag.String("workdir", "", "working directory")
	uncompressed := flag.Bool("uncompressed", false, "push tarball layers uncompressed (application/vnd.oci.image.layer.v1.tar)")
	flag.Parse()
	if len(plats) == 0 || len(pushes) == 0 {
		log.Fatal("mkimage: need at least one --platform and one --push")
	}
	ep, err := argv("entrypoint", *entrypoint)
	if err != nil {
		log.Fatal(err)
	}
	cm, err := argv("cmd", *cmd)
	if err != nil {
		log.Fatal(err)
	}
	idx := v1.ImageIndex(empty.Index)
	idx = mutate.IndexMediaType(idx, types.OCIImageIndex)
	for _, p := range plats {
		spec, src, ok := strings.Cut(p, "=")
		if !ok {
			log.Fatalf("mkimage: bad --platform %q", p)
		}
		plat, err := platforms.Parse(spec)
		if err != nil {
			log.Fatalf("mkimage: %v", err)
		}
		plat = platforms.Normalize(plat)
		layer, err := layerFrom(src, *uncompressed)
		if err != nil {
			log.Fatalf("mkimage: %s: %v", p, err)
		}
		img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
		if err != nil {
			log.Fatal(err)
		}
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
		cf, err := img.ConfigFile()
		if err != nil {
			log.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture, cf.Variant = plat.OS, plat.Architecture, plat.Variant
		cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
		cf.Config.Env = envs
		cf.Config.WorkingDir = *workdir
		cf.Config.Entrypoint, cf.Config.Cmd = ep, cm
		if len(labels) > 0 {
			cf.Config.Labels = map[string]string{}
			for _, l := range labels {
				k, v, _ := strings.Cut(l, "=")
				cf.Config.Labels[k] = v
			}
		}
		img, err = mutate.ConfigFile(img, cf)
		if err != nil {
			log.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{
				OS: plat.OS, Architecture: plat.Architecture, Variant: plat.Variant,
			}},
		})
	}
	for _, ref := range pushes {
		r, err := name.ParseReference(ref, name.Insecure)
		if err != nil {
			log.Fatalf("mkimage: %v", err)
		}
		if err := remote.WriteIndex(r, idx); err != nil {
			log.Fatalf("mkimage: push %s: %v", ref, err)
		}
		d, _ := idx.Digest()
		fmt.Printf("pushed %s@%s\n", ref, d)
	}
}

// argv reads --entrypoint or --cmd: blank-separated words or a JSON array
// of strings; nil when empty.
func argv(flagName, s string) ([]string, error) {
	var a []string
	if !strings.HasPrefix(strings.TrimSpace(s), "[") {
		a = strings.Fields(s)
	} else if err := json.Unmarshal([]byte(s), &a); err != nil {
		return nil, fmt.Errorf("mkimage: --%s %s: not a JSON array of strings: %v", flagName, s, err)
	}
	if len(a) == 0 {
		return nil, nil
	}
	return a, nil
}

func layerFrom(src string, uncompressed bool) (v1.Layer, error) {
	if _, isDir := strings.CutPrefix(src, "dir:"); uncompressed && !isDir {
		return rawLayerFrom(src)
	}
	if dir, ok := strings.CutPrefix(src, "dir:"); ok {
		b, err := tarDir(dir)
		if err != nil {
			return nil, err
		}
		return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(b)), nil
		}, tarball.WithMediaType(types.OCILayer))
	}
	return tarball.LayerFromFile(src, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching, tarball.WithCompressionLevel(gzip.BestSpeed))
}

// tarDir makes a reproducible tar of a (small) directory: sorted entries,
// zero mtimes, root ownership, and modes that do not depend on the umask
// the files were written under (normalMode): the same binaries give the
// same layer digest on every machine, so the frontend image, which every
// helper step runs in, keeps BuildKit's cache keys (and caches imported
// from another machine) valid.
func tarDir(dir string) ([]byte, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if err != nil {
			return nil, err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return nil, err
			}
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(dir, p)
		h.Name = filepath.ToSlash(rel)
		if fi.IsDir() {
			h.Name += "/"
		}
		h.ModTime, h.AccessTime, h.ChangeTime = time.Unix(0, 0), time.Time{}, time.Time{}
		h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
		h.Mode = normalMode(fi.Mode())
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return nil, err
			}
			_, err = io.Copy(tw, f)
			_ = f.Close()
			if err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// normalMode is a tar header mode as a umask of 022 gives it: 0755 for
// directories and files anyone may execute, 0644 for other files, 0777 for
// symlinks (their mode means nothing on Linux).
func normalMode(m fs.FileMode) int64 {
	switch {
	case m&fs.ModeSymlink != 0:
		return 0o777
	case m.IsDir(), m&0o111 != 0:
		return 0o755
	}
	return 0o644
}

// rawLayer is a tarball file pushed as it is: its digest is its diff ID.
type rawLayer struct {
	path string
	hash v1.Hash
	size int64
}

func rawLayerFrom(path string) (v1.Layer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	h, n, err := v1.SHA256(f)
	if err != nil {
		return nil, err
	}
	return &rawLayer{path: path, hash: h, size: n}, nil
}

func (l *rawLayer) Digest() (v1.Hash, error)             { return l.hash, nil }
func (l *rawLayer) DiffID() (v1.Hash, error)             { return l.hash, nil }
func (l *rawLayer) Compressed() (io.ReadCloser, error)   { return os.Open(l.path) }
func (l *rawLayer) Uncompressed() (io.ReadCloser, error) { return os.Open(l.path) }
func (l *rawLayer) Size() (int64, error)                 { return l.size, nil }
func (l *rawLayer) MediaType() (types.MediaType, error)  { return types.OCIUncompressedLayer, nil }
