package frontend

import (
	"context"
	"sync"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	intoto "github.com/in-toto/in-toto-golang/in_toto"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/result"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
)

// AttestationPath is the file name of geolayer's SBOM attestation: the
// local and tar exporters write the in-toto statement (our SPDX document
// as its predicate, the exported files as its subjects) under this name,
// beside the layer's own sbom.spdx.json, which it must not overwrite.
const AttestationPath = "/sbom.spdx.intoto.json"

// defaultScanner is BuildKit's default SBOM generator
// (frontend/attestations: docker/buildkit-syft-scanner).
const defaultScanner = "docker.io/docker/buildkit-syft-scanner"

// useOwnSBOM reports whether the build asks for an SBOM attestation
// (buildx --sbom=true, --attest type=sbom; BuildKit's attest:sbom option)
// that geolayer answers with its own document. A frontend-supplied SPDX
// attestation makes BuildKit skip its scanner (solver/llbsolver/proc:
// SBOMProcessor returns early when the result has one). A generator other
// than BuildKit's default is the user's explicit choice: then geolayer
// adds none and BuildKit runs that scanner.
func useOwnSBOM(bc *dockerui.Client) bool {
	if bc.SBOM == nil {
		return false
	}
	named, err := reference.ParseNormalizedNamed(bc.SBOM.Generator)
	return err == nil && named.Name() == defaultScanner
}

// sbomRefs collects each platform's SBOM, solved, by export platform ID.
type sbomRefs struct {
	mu   sync.Mutex
	refs map[string]client.Reference
}

// add solves the layer's sbom.spdx.json (the assemble step's output) for
// platform p.
func (s *sbomRefs) add(ctx context.Context, c client.Client, bc *dockerui.Client, archive llb.State, p ocispecs.Platform) error {
	st := llb.Scratch().File(llb.Copy(archive, "/sbom.spdx.json", AttestationPath),
		llb.WithCustomName("["+platforms.Format(p)+"] SBOM attestation"))
	def, err := st.Marshal(ctx)
	if err != nil {
		return err
	}
	r, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: bc.CacheImports, Evaluate: true})
	if err != nil {
		return err
	}
	ref, err := r.SingleRef()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs == nil {
		s.refs = map[string]client.Reference{}
	}
	s.refs[platforms.FormatAll(platforms.Normalize(p))] = ref
	return nil
}

// attach adds each platform's SPDX attestation to the result.
func (s *sbomRefs) attach(ctx context.Context, rb *dockerui.ResultBuilder) error {
	return rb.EachPlatform(ctx, func(ctx context.Context, id string, p ocispecs.Platform) error {
		s.mu.Lock()
		ref, ok := s.refs[id]
		s.mu.Unlock()
		if !ok {
			return errors.Errorf("internal error: no SBOM for platform %s", id)
		}
		rb.AddAttestation(id, result.Attestation[client.Reference]{
			Kind: gatewaypb.AttestationKind_InToto,
			Ref:  ref,
			Path: AttestationPath,
			InToto: result.InTotoAttestation{
				PredicateType: intoto.PredicateSPDX,
			},
		})
		return nil
	})
}
