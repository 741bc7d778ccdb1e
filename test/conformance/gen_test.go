package conformance

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
)

// casesDigest is the SHA-256 of the generated cases as JSON lines. The
// generator must give the same cases on every machine and Go release
// (allowlist.txt names cases by id): a change to the generator or its
// seeds changes this digest, and then the allowlist must be rewritten
// (go run ./test/conformance/cmd/conformance -write-allowlist) and reviewed.
const casesDigest = "f82ec355c004dc9f1da9dc7b7b94c6fcee033667fedd6ca8fbdaf8794f0dadcb"

func TestGenerateIsStable(t *testing.T) {
	cases := Generate()
	if len(cases) < 10000 {
		t.Errorf("%d cases, want at least 10000", len(cases))
	}
	ids := map[string]bool{}
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, c := range cases {
		if ids[c.ID] {
			t.Errorf("duplicate case id %s", c.ID)
		}
		ids[c.ID] = true
		if err := enc.Encode(c); err != nil {
			t.Fatal(err)
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != casesDigest {
		t.Errorf("generated cases changed: digest %s, want %s (see casesDigest)", got, casesDigest)
	}
	again := Generate()
	for i := range cases {
		a, _ := json.Marshal(cases[i])
		b, _ := json.Marshal(again[i])
		if string(a) != string(b) {
			t.Fatalf("Generate is not deterministic: case %d is %s, then %s", i, a, b)
		}
	}
}

// TestEveryMarkerVariableAndOperator checks the marker cases' coverage.
func TestEveryMarkerVariableAndOperator(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range GenerateKind("marker") {
		a := c.Atom
		if a.LhsVar {
			seen[a.Lhs+" "+a.Op] = true
		}
		if a.RhsVar {
			seen[a.Rhs+" "+a.Op] = true
		}
	}
	for _, v := range allVars {
		for _, op := range markerOps {
			if !seen[v+" "+op] {
				t.Errorf("no marker case compares %s with %s", v, op)
			}
		}
	}
}
