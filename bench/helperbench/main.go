// Command helperbench measures the helper steps the build runs (install,
// slim, fragment, assemble, check) on the realistic geo wheels, outside
// BuildKit: wall time, throughput and each process's peak RSS. It builds
// the geolayer binary and runs `geolayer helper ...` as the build does.
//
//	go run ./bench/helperbench --dists $GEOLAYER_DEV_HOME/index/dists --runtime-tar $GEOLAYER_DEV_HOME/rootfs/bookworm-amd64-runtime.tar
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/prune"
)

type sample struct {
	secs  float64
	rss   int64 // KiB
	bytes int64
}

func main() {
	dists := flag.String("dists", "", "folder of wheels (the dev index's dists)")
	runtimeTar := flag.String("runtime-tar", "", "runtime root file system tarball for the check")
	pattern := flag.String("wheels", "*-cp311-cp311-manylinux_*_x86_64.whl", "which compiled wheels (glob in --dists)")
	flag.Parse()
	if *dists == "" || *runtimeTar == "" {
		log.Fatal("--dists and --runtime-tar are required")
	}
	work, err := os.MkdirTemp("", "helperbench-")
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = os.RemoveAll(work) }()
	bin := filepath.Join(work, "geolayer")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/geolayer").CombinedOutput(); err != nil {
		log.Fatalf("go build: %v\n%s", err, out)
	}
	rt := filepath.Join(work, "runtime")
	must(os.MkdirAll(rt, 0o755))
	if out, err := exec.Command("tar", "-xf", *runtimeTar, "-C", rt, "--exclude=./dev/*").CombinedOutput(); err != nil {
		log.Fatalf("tar: %v\n%s", err, out)
	}
	wheels, _ := filepath.Glob(filepath.Join(*dists, *pattern))
	sort.Strings(wheels)
	var names []string
	for _, w := range wheels {
		if !strings.HasPrefix(filepath.Base(w), "glf_") {
			names = append(names, w)
		}
	}
	if len(names) == 0 {
		log.Fatalf("no wheels match %s in %s", *pattern, *dists)
	}
	site := "python/lib/python3.11/site-packages"
	steps := map[string]*sample{}
	add := func(step string, s sample) {
		t := steps[step]
		if t == nil {
			t = &sample{}
			steps[step] = t
		}
		t.secs += s.secs
		t.bytes += s.bytes
		if s.rss > t.rss {
			t.rss = s.rss
		}
	}
	layer := filepath.Join(work, "layer")
	for _, w := range names {
		name := strings.SplitN(filepath.Base(w), "-", 2)[0]
		inst, slim, meta := filepath.Join(work, "inst", name), filepath.Join(work, "slim", name), filepath.Join(work, "meta")
		st, _ := os.Stat(w)
		add("install", runHelper(bin, st.Size(), helperapi.Install{Wheel: w, Root: inst, SitePackages: site, Scripts: "bin",
			Data: "python", SHA256: fileSHA256(w), Meta: filepath.Join(meta, "inst", name+".json")}))
		size := treeBytes(inst)
		add("slim (prune + strip)", runHelper(bin, size, helperapi.Slim{In: inst, Out: slim, Strip: helperapi.StripUnneeded, SitePackages: site,
			Prune: &prune.Options{}, MetaIn: filepath.Join(meta, "inst", name+".json"), MetaOut: filepath.Join(meta, "slim", name+".json")}))
		add("fragment (deflate 6)", runHelper(bin, treeBytes(slim), helperapi.Fragment{Root: slim, Package: name, Out: filepath.Join(work, "frags")}))
		must(exec.Command("cp", "-a", slim+"/.", layer+"/").Run())
	}
	fragBytes := treeBytes(filepath.Join(work, "frags"))
	add("assemble (dedup)", runHelper(bin, fragBytes, helperapi.Assemble{Fragments: filepath.Join(work, "frags"), Meta: filepath.Join(work, "meta", "slim"),
		Out: filepath.Join(work, "out"), Dedup: true}))
	cfg := helperapi.CheckOptions{Machine: "x86_64", MountPoint: "/opt", LibraryPath: []string{"/lib64", "/usr/lib64", "/opt/lib"},
		SystemDirs: []string{"/lib64", "/usr/lib64"}, GlibcCeiling: "2.36", SitePackages: site, Mode: helperapi.CheckWarn}
	add("check (static ABI)", runHelper(bin, treeBytes(layer), helperapi.Check{Layer: layer, Runtime: rt, Config: cfg, Out: filepath.Join(work, "check")}))

	fmt.Printf("%d geo wheels (%s), one process per package and step as in a build; RSS is each process's peak.\n\n", len(names), *pattern)
	fmt.Println("| helper step | input MB | seconds (sum) | MB/s | peak RSS MiB |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, k := range []string{"install", "slim (prune + strip)", "fragment (deflate 6)", "assemble (dedup)", "check (static ABI)"} {
		s := steps[k]
		fmt.Printf("| %s | %.1f | %.2f | %.0f | %.1f |\n", k, float64(s.bytes)/1e6, s.secs, float64(s.bytes)/1e6/s.secs, float64(s.rss)/1024)
	}
}

// runHelper runs one helper command, its command line written by
// helperapi as llbgen writes it.
func runHelper(bin string, inBytes int64, c interface{ Args() []string }) sample {
	args := c.Args()
	cmd := exec.Command(bin, append([]string{"helper"}, args...)...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		log.Fatalf("helper %s: %v", args[0], err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return sample{secs: time.Since(start).Seconds(), rss: ru.Maxrss, bytes: inBytes}
}

func treeBytes(root string) int64 {
	var n int64
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if i, err := d.Info(); err == nil {
				n += i.Size()
			}
		}
		return nil
	})
	return n
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// fileSHA256 is the wheel's sha256, as the index gives it (the SBOM
// records it).
func fileSHA256(name string) string {
	dt, err := os.ReadFile(name)
	must(err)
	sum := sha256.Sum256(dt)
	return hex.EncodeToString(sum[:])
}
