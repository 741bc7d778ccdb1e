package instructions

import "testing"

func TestTestProfileImportsFlag(t *testing.T) {
	spec := mustLoad(t, "TARGET aws-lambda python3.13\nTEST --profile-imports --required import glf_pure, glf_cext\nTEST import glf_pure\n", nil)
	if len(spec.Tests) != 2 {
		t.Fatalf("tests: %d", len(spec.Tests))
	}
	if a := spec.Tests[0]; !a.ProfileImports || !a.Required || a.Source != "import glf_pure, glf_cext" {
		t.Errorf("first TEST: %+v", a)
	}
	if b := spec.Tests[1]; b.ProfileImports {
		t.Errorf("second TEST profiled: %+v", b)
	}
	if _, err := load(t, "TARGET aws-lambda python3.13\nTEST --profile-import import x\n", nil); err == nil {
		t.Error("a misspelt flag was accepted")
	}
}
