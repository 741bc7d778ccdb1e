// Command archivebench compares geolayer's archive writer (pkg/layerzip)
// with Info-ZIP `zip -r9 -X` and `zip -r6 -X` on the same tree, side by side
// in one run: seconds (min/median/max of N runs), bytes, and whether reruns
// are byte-identical. It prints a markdown table.
//
//	go run ./bench/archivebench --tree DIR [--runs 3]
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/geolayer/geolayer/pkg/layerzip"
)

type result struct {
	name    string
	times   []time.Duration
	size    int64
	digests map[string]bool
}

func main() {
	tree := flag.String("tree", "", "directory to archive")
	runs := flag.Int("runs", 3, "runs of geolayer's writer per level")
	refRuns := flag.Int("ref-runs", 0, "runs of each zip reference (default: --runs); zip -r9 alone takes about a minute here")
	levels := flag.String("levels", "6", "comma-separated deflate levels for geolayer's writer")
	flag.Parse()
	if *tree == "" {
		log.Fatal("--tree is required")
	}
	tmp, err := os.MkdirTemp("", "archivebench-")
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	var treeBytes int64
	_ = filepath.Walk(*tree, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			treeBytes += fi.Size()
		}
		return nil
	})
	if *refRuns <= 0 {
		*refRuns = *runs
	}
	type tool struct {
		name string
		runs int
		run  func(out string) error
	}
	tools := []tool{
		{"zip -r9 -X", *refRuns, func(out string) error { return zipCmd(*tree, out, "-9") }},
		{"zip -r6 -X", *refRuns, func(out string) error { return zipCmd(*tree, out, "-6") }},
	}
	for _, l := range strings.Split(*levels, ",") {
		level, err := strconv.Atoi(l)
		if err != nil {
			log.Fatalf("bad level %q", l)
		}
		tools = append(tools, tool{fmt.Sprintf("geolayer layerzip, level %d, parallel", level), *runs, func(out string) error {
			f, err := os.Create(out)
			if err != nil {
				return err
			}
			if err := layerzip.WriteTree(f, *tree, "", layerzip.Options{Level: level}); err != nil {
				_ = f.Close()
				return err
			}
			return f.Close()
		}})
	}
	var results []*result
	for _, tl := range tools {
		r := &result{name: tl.name, digests: map[string]bool{}}
		for i := 0; i < tl.runs; i++ {
			out := filepath.Join(tmp, fmt.Sprintf("out-%d.zip", i))
			start := time.Now()
			if err := tl.run(out); err != nil {
				log.Fatalf("%s: %v", tl.name, err)
			}
			r.times = append(r.times, time.Since(start))
			st, _ := os.Stat(out)
			r.size = st.Size()
			r.digests[digest(out)] = true
			_ = os.Remove(out)
			if i == 0 && strings.HasPrefix(tl.name, "zip") {
				time.Sleep(time.Second) // zip stores mtimes: let the clock move between runs
			}
		}
		results = append(results, r)
	}
	fmt.Printf("Tree: %s, %.1f MB in files. geolayer's writer: %d runs per level; each zip reference: %d run(s). Seconds are min / median / max; a shared 2-core machine (noisy).\n\n", *tree, float64(treeBytes)/1e6, *runs, *refRuns)
	fmt.Println("| tool | seconds (min / median / max) | bytes | size vs zip -r9 | speed vs zip -r9 | identical reruns |")
	fmt.Println("|---|---|---|---|---|---|")
	base := results[0]
	for _, r := range results {
		fmt.Printf("| %s | %.2f / %.2f / %.2f | %d | %.3f× | %.1f× | %s |\n", r.name,
			sec(r.times, 0), sec(r.times, len(r.times)/2), sec(r.times, len(r.times)-1), r.size,
			float64(r.size)/float64(base.size), sec(base.times, len(base.times)/2)/sec(r.times, len(r.times)/2), identical(r))
	}
}

func zipCmd(tree, out, level string) error {
	cmd := exec.Command("zip", "-q", "-r", level, "-X", "-y", out, ".")
	cmd.Dir = tree
	cmd.Stderr = os.Stderr
	return cmd.Run()
}

func sec(ts []time.Duration, i int) float64 {
	s := append([]time.Duration(nil), ts...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	return s[i].Seconds()
}

func digest(p string) string {
	f, err := os.Open(p)
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	_, _ = io.Copy(h, f)
	return fmt.Sprintf("%x", h.Sum(nil))
}

// identical says whether every run wrote the same bytes ("-" after one run).
func identical(r *result) string {
	if len(r.times) < 2 {
		return "-"
	}
	return fmt.Sprint(len(r.digests) == 1)
}
