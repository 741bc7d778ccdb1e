package report

import (
	"fmt"
	"regexp"
	"testing"
)

func TestPackageColor(t *testing.T) {
	hex := regexp.MustCompile(`^#[0-9a-f]{6}$`)
	seen := map[string]string{}
	for i := range 200 {
		name := fmt.Sprintf("package-%d", i)
		c := packageColor(name)
		if !hex.MatchString(c) {
			t.Fatalf("packageColor(%q) = %q", name, c)
		}
		if c != packageColor(name) {
			t.Fatalf("packageColor(%q) is not stable", name)
		}
		seen[c] = name
	}
	if len(seen) < 190 {
		t.Errorf("only %d distinct colours for 200 names", len(seen))
	}
	if packageColor("numpy") == packageColor("pandas") {
		t.Error("numpy and pandas share a colour")
	}
}
