package layerzip

import (
	"path"
	"reflect"
	"testing"
)

// Measure predicts AssembleWith's result exactly, with and without
// deduplication, for every subset of packages left out (the sizes of the
// layer without a package are what removing it saves), and for an empty
// set; the link targets it reports are the ones written.
func TestMeasureEqualsAssemble(t *testing.T) {
	orig, deduped := dupTrees()
	opts := Options{SpillThreshold: 64 << 10, Epoch: mustEpoch(t, "1700000000")}
	frags := packageFragments(t, makeTree(t, orig), opts)
	n := len(frags)
	for _, dedup := range []bool{false, true} {
		o := AssembleOptions{Dedup: dedup}
		for mask := 0; mask < 1<<n; mask++ {
			var sub []Fragment
			for i, f := range frags {
				if mask&(1<<i) == 0 {
					sub = append(sub, f)
				}
			}
			_, want := assembleWith(t, sub, o)
			got, err := Measure(sub, o)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("dedup %v, without %b: Measure\n%+v\nAssembleWith\n%+v", dedup, mask, got, want)
			}
		}
	}
	res, err := Measure(frags, AssembleOptions{Dedup: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range res.Dedup.Groups {
		if len(g.Targets) != len(g.Duplicates) {
			t.Fatalf("group %s: %d targets for %d duplicates", g.Kept, len(g.Targets), len(g.Duplicates))
		}
		for i, d := range g.Duplicates {
			name := d[len("python/"):]
			if want := deduped[name].link; g.Targets[i] != want {
				t.Errorf("%s: target %q, want %q", d, g.Targets[i], want)
			}
			if path.Join(path.Dir(d), g.Targets[i]) != g.Kept {
				t.Errorf("%s -> %s does not lead to %s", d, g.Targets[i], g.Kept)
			}
		}
	}
	if _, err := Measure([]Fragment{{Data: "x.frag"}}, AssembleOptions{}); err == nil {
		t.Error("a fragment without index: no error")
	}
}
