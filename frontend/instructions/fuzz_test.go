package instructions

import (
	"bytes"
	"errors"
	"testing"

	"github.com/geolayer/geolayer/frontend/parser"
	dfparser "github.com/moby/buildkit/frontend/dockerfile/parser"
)

// FuzzLoad checks that parsing and loading never panic and that every load
// error carries a location. Run it with:
//
//	go test ./frontend/instructions/ -run '^$' -fuzz FuzzLoad -fuzztime 20s -fuzzminimizetime 100x
func FuzzLoad(f *testing.F) {
	seeds := []string{
		target,
		"ARG A=1 B=${A:-x}\n" + target + "KEEP $A \"$B\" '$C'\n",
		target + "RUN --mount=type=cache,target=/c --mount=\"type=secret,id=x\" echo $HOME\n",
		target + "TEST --required \\\n  for m in 'ab': \\\n    print(m, \"${X:-y}\")\n",
		target + "BUDGET unzipped=1.5GB zipped=50MB\nPLATFORM linux/arm64/v8\n",
		target + "INDEX https://u:p@h/simple\nREQUIRE -r ../x\n",
		"# escape=`\n" + target + "ENV A=`$x B=${Y:?}\n",
		target + "KEEP ${X/a/b} ${X#a} ${X%%b} $@ ${",
	}
	for _, s := range seeds {
		f.Add([]byte(s), "1")
	}
	f.Fuzz(func(t *testing.T, data []byte, argVal string) {
		res, err := parser.Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		spec, err := Load(res, map[string]string{"A": argVal, "X": argVal})
		if err != nil {
			var le *dfparser.LocationError
			if !errors.As(err, &le) || len(le.Locations) == 0 {
				t.Fatalf("error without location: %v", err)
			}
			return
		}
		_ = spec.Outline()
	})
}
