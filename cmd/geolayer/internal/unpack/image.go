package unpack

import (
	"context"
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// ReferenceError is PullRootfs's error for a reference that does not
// parse: the command line's mistake, not the registry's.
type ReferenceError struct {
	Ref string
	Err error
}

func (e *ReferenceError) Error() string { return fmt.Sprintf("image reference %q: %v", e.Ref, e.Err) }

func (e *ReferenceError) Unwrap() error { return e.Err }

// PullRootfs pulls ref for platform p and unpacks its flattened file
// system into dest (Rootfs, at most limit bytes); it returns a description
// of what it pulled. Registries on this machine (loopbackRegistry), and
// all with insecure, are pulled over plain HTTP. userAgent names the
// client to the registry.
func PullRootfs(ctx context.Context, ref string, p ocispecs.Platform, insecure bool, dest string, limit int64, userAgent string) (string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", &ReferenceError{Ref: ref, Err: err}
	}
	if insecure || loopbackRegistry(r.Context().RegistryStr()) {
		if r, err = name.ParseReference(ref, name.Insecure); err != nil {
			return "", err
		}
	}
	img, err := remote.Image(r,
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithPlatform(v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}),
		remote.WithUserAgent(userAgent))
	if err != nil {
		return "", err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return "", err
	}
	if cfg.Architecture != "" {
		got := platforms.Normalize(ocispecs.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant})
		if got.OS != p.OS || got.Architecture != p.Architecture {
			return "", fmt.Errorf("the image is for %s, not %s", platforms.Format(got), platforms.Format(p))
		}
	}
	digest, err := img.Digest()
	if err != nil {
		return "", err
	}
	rc := mutate.Extract(img)
	defer func() { _ = rc.Close() }()
	skipped, err := Rootfs(ctx, rc, dest, limit)
	if err != nil {
		return "", err
	}
	desc := fmt.Sprintf("%s (%s, %s)", r.Name(), platforms.Format(p), digest)
	if len(skipped) > 0 {
		desc += fmt.Sprintf("; %d entries not unpacked (outside the root or dangling hard links), first %s", len(skipped), skipped[0])
	}
	return desc, nil
}

// loopbackRegistry reports whether a registry host is this machine's:
// those are pulled over plain HTTP.
func loopbackRegistry(reg string) bool {
	host := reg
	if h, _, ok := strings.Cut(strings.TrimPrefix(reg, "["), "]"); ok && strings.HasPrefix(reg, "[") {
		host = h
	} else if i := strings.LastIndexByte(reg, ':'); i >= 0 && strings.Count(reg, ":") == 1 {
		host = reg[:i]
	}
	return host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}
