package frontend

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/frontend/instructions"
	"github.com/geolayer/geolayer/frontend/parser"
	"github.com/geolayer/geolayer/llbgen"
	"github.com/geolayer/geolayer/pkg/simpleindex"
	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// planInputs is a 60-package hashed lock (pip-compile --generate-hashes
// style, two hashes per package: the x86_64 and aarch64 wheels) and the 60
// index pages a build reads, each as large as a popular project's page on
// PyPI: 30 versions x 40 files.
func planInputs(b testing.TB) (geolayerfile []byte, files map[string][]byte, pages map[pageKey]*simpleindex.Project) {
	const index = "https://pypi.org/simple/"
	var lock strings.Builder
	pages = map[pageKey]*simpleindex.Project{}
	sha := func(s string) string { h := sha256.Sum256([]byte(s)); return fmt.Sprintf("%x", h) }
	for i := 0; i < 60; i++ {
		name := fmt.Sprintf("pkg%02d", i)
		var page bytes.Buffer
		page.WriteString("<!DOCTYPE html><html><body>\n")
		for v := 0; v < 30; v++ {
			ver := fmt.Sprintf("1.%d.0", v)
			for _, py := range []string{"cp39", "cp310", "cp311", "cp312", "cp313"} {
				for _, plat := range []string{"manylinux_2_17_x86_64.manylinux2014_x86_64", "manylinux_2_17_aarch64.manylinux2014_aarch64",
					"musllinux_1_1_x86_64", "musllinux_1_1_aarch64", "macosx_10_9_x86_64", "macosx_11_0_arm64", "win_amd64", "win32"} {
					fn := fmt.Sprintf("%s-%s-%s-%s-%s.whl", name, ver, py, py, plat)
					fmt.Fprintf(&page, "<a href=\"https://files.example/%s#sha256=%s\" data-requires-python=\"&gt;=3.9\">%s</a><br/>\n", fn, sha(fn), fn)
				}
			}
		}
		page.WriteString("</body></html>\n")
		p, err := simpleindex.Parse(page.Bytes(), "text/html", index+name+"/")
		if err != nil {
			b.Fatal(err)
		}
		pages[pageKey{index, name}] = p
		fmt.Fprintf(&lock, "%s==1.29.0 \\\n    --hash=sha256:%s \\\n    --hash=sha256:%s\n", name,
			sha(name+"-1.29.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
			sha(name+"-1.29.0-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"))
	}
	geolayerfile = []byte("TARGET aws-lambda python3.11\nPLATFORM linux/amd64 linux/arm64\nREQUIRE -r requirements.txt\nPRUNE **/benchmarks/\nCHECK error\nTEST import pkg00\n")
	return geolayerfile, map[string][]byte{"requirements.txt": []byte(lock.String())}, pages
}

// plan60 is the frontend's planning for a 60-package lock once the index
// pages are read: parse the Geolayerfile and the lock, plan, pick each
// platform's wheels and generate and marshal its LLB (without solving).
func plan60(b testing.TB, geolayerfile []byte, files map[string][]byte, pages map[pageKey]*simpleindex.Project) int {
	parsed, err := parser.Parse(bytes.NewReader(geolayerfile))
	if err != nil {
		b.Fatal(err)
	}
	spec, err := instructions.Load(parsed, nil)
	if err != nil {
		b.Fatal(err)
	}
	amd := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	pl, err := newPlan(spec, nil, []ocispecs.Platform{amd}, nil)
	if err != nil {
		b.Fatal(err)
	}
	fs := &fileSet{}
	if err := fileRequirements("requirements.txt", files, map[string]bool{}, false, fs); err != nil {
		b.Fatal(err)
	}
	reqs, err := finishRequirements(fs.reqs)
	if err != nil {
		b.Fatal(err)
	}
	gen := &llbgen.Gen{Helper: llb.Image("example.com/geolayer/frontend:bench"), Merge: true}
	ops := 0
	for _, p := range pl.Platforms {
		t := pl.target(p)
		wheels, err := selectWheels(pl, t, reqs, pages)
		if err != nil {
			b.Fatal(err)
		}
		if len(wheels) != 60 {
			b.Fatalf("%d wheels", len(wheels))
		}
		layer := gen.Build(t, wheels)
		gen.AddTests(layer, []llbgen.Test{{Code: "import pkg00"}}, nil)
		def, err := gen.Gated(layer, layer.Archive).Marshal(context.Background(), llb.Platform(p))
		if err != nil {
			b.Fatal(err)
		}
		ops += len(def.Def)
	}
	return ops
}

// go test -run '^$' -bench Planning ./frontend (make bench reports it).
func BenchmarkPlanning60Packages(b *testing.B) {
	g, files, pages := planInputs(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if ops := plan60(b, g, files, pages); ops < 60*2*4 {
			b.Fatalf("only %d LLB ops", ops)
		}
	}
}

// Parsing the 60 index pages themselves (done once per build, after they
// are fetched), for scale.
func BenchmarkParse60IndexPages(b *testing.B) {
	_, _, pages := planInputs(b)
	var raw [][]byte
	for _, p := range pages {
		var buf bytes.Buffer
		buf.WriteString("<html><body>\n")
		for _, f := range p.Files {
			fmt.Fprintf(&buf, "<a href=\"%s#sha256=%s\">%s</a>\n", f.URL, f.Hashes["sha256"], f.Filename)
		}
		buf.WriteString("</body></html>\n")
		raw = append(raw, buf.Bytes())
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, r := range raw {
			if _, err := simpleindex.Parse(r, "text/html", "https://pypi.org/simple/x/"); err != nil {
				b.Fatal(err)
			}
		}
	}
}
