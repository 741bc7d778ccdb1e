package frontend

import (
	"testing"

	"github.com/moby/buildkit/frontend/dockerui"
)

// geolayer answers --sbom with its own document unless the build names a
// generator other than BuildKit's default.
func TestUseOwnSBOM(t *testing.T) {
	for gen, want := range map[string]bool{
		"":                                      false, // no attest:sbom
		"docker/buildkit-syft-scanner:stable-1": true,
		"docker.io/docker/buildkit-syft-scanner:stable-1": true,
		"docker.io/docker/buildkit-syft-scanner:latest":   true,
		"example.com/my/scanner:1":                        false,
	} {
		bc := &dockerui.Client{}
		if gen != "" {
			bc.SBOM = &dockerui.SBOM{Generator: gen}
		}
		if got := useOwnSBOM(bc); got != want {
			t.Errorf("generator %q: useOwnSBOM = %v, want %v", gen, got, want)
		}
	}
}
