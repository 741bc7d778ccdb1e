// Command conformance runs geolayer's conformance check against Python's
// packaging by hand (the test is test/conformance, `make test-conformance`):
//
//	go run ./test/conformance/cmd/conformance [-python P] [-pythonpath DIR] [-kind K] [-show N]
//	go run ./test/conformance/cmd/conformance -cases            # print the cases (JSON lines)
//	go run ./test/conformance/cmd/conformance -write-allowlist  # rewrite allowlist.txt
//
// -pythonpath runs reference.py with another packaging, e.g. a source tree's
// src directory, to see how geolayer compares with that release.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/geolayer/geolayer/test/conformance"
)

func main() {
	python := flag.String("python", conformance.DefaultPython, "reference interpreter")
	pythonpath := flag.String("pythonpath", "", "PYTHONPATH for reference.py (another packaging)")
	kind := flag.String("kind", "", "only this kind of case")
	show := flag.Int("show", 20, "mismatches to print per kind")
	dump := flag.Bool("cases", false, "print the generated cases as JSON lines and exit")
	write := flag.Bool("write-allowlist", false, "rewrite allowlist.txt from the classified mismatches")
	flag.Parse()

	var cases []conformance.Case
	if *kind != "" {
		cases = conformance.GenerateKind(*kind)
	} else {
		cases = conformance.Generate()
	}
	if *dump {
		enc := json.NewEncoder(os.Stdout)
		for _, c := range cases {
			if err := enc.Encode(c); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
		}
		return
	}
	var env []string
	if *pythonpath != "" {
		env = append(env, "PYTHONPATH="+*pythonpath)
	}
	t0 := time.Now()
	ref, err := conformance.RunReference(*python, env, cases)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	mm, err := conformance.Diff(cases, ref)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	rep := conformance.Classify(mm)
	if *write {
		if err := conformance.WriteAllowlist(rep, ref); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	fmt.Print(rep.Summary(cases, ref, *show))
	fmt.Printf("time: %.1fs\n", time.Since(t0).Seconds())
	if len(rep.Unexplained) > 0 {
		os.Exit(1)
	}
}
