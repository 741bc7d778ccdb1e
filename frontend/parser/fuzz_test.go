package parser

import (
	"bytes"
	"testing"
)

// FuzzParse checks that Parse never panics and that every range it returns
// is well formed. Run it with:
//
//	go test ./frontend/parser/ -run '^$' -fuzz FuzzParse -fuzztime 20s -fuzzminimizetime 100x
//
// (the default minimisation budget of 60s per new input makes short runs
// spend most of their time minimising).
func FuzzParse(f *testing.F) {
	seeds := []string{
		"",
		"# syntax=geolayer\nTARGET aws-lambda python3.12\n",
		"# escape=`\nKEEP a `\n b\n",
		"REQUIRE \"a b\" 'c' ${X:-d e} $Y \\\n# c\n\n z\n",
		"RUN --mount=type=cache,target=/c echo \"hi\" \\\n  && true\n",
		"TEST --required import os \\\n    print(os.environ['X'])\n",
		"KEEP a\"b \\\nc\" z\n",
		"\xEF\xBB\xBFKEEP é \\\r\n ü\r\n",
		"INDEX --=x -- --y\n",
		"KEEP ${\n",
		"KEEP '\n",
		"KEEP \\",
		"\\\n\\\n\\",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		checkRange := func(what string, r Range) {
			if r.Start.Line < 1 || r.End.Line < r.Start.Line ||
				(r.End.Line == r.Start.Line && r.End.Character < r.Start.Character) ||
				r.Start.Character < 0 {
				t.Fatalf("%s: bad range %+v", what, r)
			}
		}
		for _, n := range res.Nodes {
			if len(n.Location) != 1 {
				t.Fatalf("node without location")
			}
			checkRange("node", n.Location[0])
			checkRange("keyword", n.Keyword.Range)
			checkRange("rest", n.Rest.Range)
			if n.StartLine > n.EndLine {
				t.Fatalf("start line %d after end line %d", n.StartLine, n.EndLine)
			}
			for _, w := range n.Args {
				checkRange("arg", w.Range)
				for _, i := range []int{0, len(w.Raw) / 2, len(w.Raw)} {
					if p := w.PositionAt(i); p.Line < w.Range.Start.Line || p.Line > w.Range.End.Line {
						t.Fatalf("position %+v outside word range %+v", p, w.Range)
					}
				}
				_ = w.Lines()
				_ = w.RangeOf(0, len(w.Raw))
			}
			for _, fl := range n.Flags {
				checkRange("flag", fl.Range)
				checkRange("flag value", fl.ValueWord().Range)
			}
			var joined bytes.Buffer
			for _, l := range n.Rest.Lines() {
				checkRange("rest line", l.Range)
				joined.WriteString(l.Raw)
			}
			if joined.String() != n.Rest.Raw {
				t.Fatalf("Lines() lost text: %q vs %q", joined.String(), n.Rest.Raw)
			}
		}
	})
}
