// Command lockbench builds a many-package lock end to end (issue #15:
// "a generated 150-package lock builds, with planning time and helper peak
// memory reported"): N distinct wheels (generated pure ones plus the dev
// index's compiled fixtures, bench/manywheels) served on loopback, a
// hashed requirements file pinning all of them, built with buildctl and
// the gateway frontend on $BUILDKIT_HOST, cold (--no-cache: every step
// re-runs) and then warm (a no-op rebuild). From the rawjson progress it
// reports the planning time as a user sees it: from starting the build
// until the first wheel fetch step starts (loading the frontend, reading
// the context, the N index pages, the runtime image configs, planning, the
// LLB). Then it runs the same helper steps outside BuildKit on the same
// wheels (install, slim and compress per package, then assemble and the
// static check over all of them), as the build runs them, and reports each
// process's peak RSS (getrusage ru_maxrss). It prints markdown.
//
//	go run ./bench/lockbench --packages 150 --platforms linux/amd64,linux/arm64
package main

import (
	"bufio"
	"encoding/json"
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

	"github.com/geolayer/geolayer/bench/manywheels"
)

// fixtures are the dev index's compiled wheels added to the generated ones
// (both architectures, CPython 3.13 or abi3) and one pure fixture with data.
var fixtures = []string{
	"glf_cext-1.0.0-cp313-cp313-manylinux_2_25_x86_64.whl", "glf_cext-1.0.0-cp313-cp313-manylinux_2_25_aarch64.whl",
	"glf_vendored-1.0.0-cp313-cp313-manylinux_2_5_x86_64.whl", "glf_vendored-1.0.0-cp313-cp313-manylinux_2_17_aarch64.whl",
	"glf_abi3-1.0.0-cp311-abi3-manylinux_2_5_x86_64.whl", "glf_abi3-1.0.0-cp311-abi3-manylinux_2_17_aarch64.whl",
	"glf_data-1.0.0-py3-none-any.whl",
}

func main() {
	n := flag.Int("packages", 150, "packages in the lock (generated ones plus 4 fixtures)")
	plats := flag.String("platforms", "linux/amd64,linux/arm64", "platforms to build")
	work := flag.String("work", "", "work folder (default: a temporary one, removed)")
	parallelism := flag.Int("max-parallelism", 4, "the throwaway buildkitd's max-parallelism (0: unlimited, as the dev daemon)")
	devDaemon := flag.Bool("dev-daemon", false, "build on $BUILDKIT_HOST with --no-cache for the cold build, instead of a throwaway buildkitd")
	warmRuns := flag.Int("warm-runs", 3, "no-op rebuilds after the cold build (min / median / max)")
	flag.Parse()
	devHome, frontend, host := os.Getenv("GEOLAYER_DEV_HOME"), os.Getenv("GEOLAYER_FRONTEND_IMAGE"), os.Getenv("BUILDKIT_HOST")
	if devHome == "" || frontend == "" || host == "" {
		fatalf("%s", "lockbench needs the dev world: . $GEOLAYER_DEV_HOME/env (GEOLAYER_DEV_HOME, GEOLAYER_FRONTEND_IMAGE, BUILDKIT_HOST)")
	}
	if *n < 5 {
		fatalf("%s", "--packages must be at least 5 (4 are fixtures)")
	}
	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("", "lockbench-")
		must(err)
		defer func() { _ = os.RemoveAll(d) }()
		dir = d
	}
	dists := filepath.Join(dir, "dists")
	files, err := manywheels.Generate(dists, *n-4)
	must(err)
	var fx []string
	for _, f := range fixtures {
		fx = append(fx, filepath.Join(devHome, "index", "dists", f))
	}
	extra, err := manywheels.Copy(dists, fx...)
	must(err)
	files = append(files, extra...)
	url, stop, err := manywheels.Serve(manywheels.NewIndex(files))
	must(err)
	defer stop()

	ctx := filepath.Join(dir, "context")
	must(os.MkdirAll(ctx, 0o755))
	reqs := manywheels.Requirements(files)
	must(os.WriteFile(filepath.Join(ctx, "requirements.txt"), []byte(reqs), 0o644))
	must(os.WriteFile(filepath.Join(ctx, "Geolayerfile"), []byte(geolayerfile(frontend, url, *n-4, *plats)), 0o644))
	var bytes int64
	for _, f := range files {
		bytes += f.Size
	}
	projects := strings.Count(reqs, "==")

	// A throwaway buildkitd on the dev world's configuration with an
	// empty state: the cold build is really cold (images pulled, nothing
	// cached), and the dev daemon's cache stays as it was.
	if !*devDaemon {
		d := startDaemon(dir, devHome, *parallelism)
		defer d.stop()
		cleanups = append(cleanups, d.stop)
		host = d.addr
	}
	load, _ := os.ReadFile("/proc/loadavg")
	cold := build(host, frontend, ctx, *plats, *devDaemon, "cold")
	var warm []result
	for i := 0; i < *warmRuns; i++ {
		warm = append(warm, build(host, frontend, ctx, *plats, false, fmt.Sprintf("warm%d", i+1)))
	}

	where := "a throwaway buildkitd with the dev world's configuration"
	if *parallelism > 0 {
		where += fmt.Sprintf(" and `max-parallelism = %d` (BuildKit's default, unlimited, starts every package's steps at once: on this shared 2-core machine that took the load average past 100 and made other builds' frontends miss their health checks)", *parallelism)
	}
	if *devDaemon {
		where = "the dev daemon"
	}
	fmt.Printf("%d projects in one hashed requirements file (%d generated pure wheels, glf-cext, glf-vendored, glf-abi3 for both architectures, glf-data; %d files, %.1f MB), served on loopback; `TARGET aws-lambda python3.13`, `PLATFORM %s`, the default PRUNE and STRIP, a TEST importing every package; buildctl on %s. Planning: from starting buildctl until the first wheel fetch step starts (the frontend loaded, the context and %d index pages read, image configs resolved, wheels chosen, LLB marshalled and handed to the solver); of which index pages: from the first index page fetch's start to the last one's (each page is a BuildKit HTTP source solved by the frontend).\n\n",
		projects, *n-4, len(files), float64(bytes)/1e6, strings.ReplaceAll(*plats, ",", " "), where, projects)
	fmt.Printf("Load average when it started: %s (a shared 2-core machine: read the seconds as noisy).\n\n", strings.Join(strings.Fields(string(load))[:3], " "))
	fmt.Println("| build | seconds | planning seconds | of which index pages | package and layer steps executed |")
	fmt.Println("|---|---:|---:|---:|---:|")
	coldWhat := "cold (a fresh buildkitd: images pulled, nothing cached)"
	if *devDaemon {
		coldWhat = "cold (`--no-cache` on the dev daemon: every step re-runs)"
	}
	fmt.Printf("| %s | %.1f | %.1f | %.1f | %d |\n", coldWhat, cold.total, cold.planning, cold.pages, cold.executed)
	var tot, pl, pg []float64
	ex := 0
	for _, w := range warm {
		tot, pl, pg, ex = append(tot, w.total), append(pl, w.planning), append(pg, w.pages), max(ex, w.executed)
	}
	fmt.Printf("| warm (no-op rebuild; %d runs: min / median / max) | %s | %s | %s | %d |\n", len(warm), stats(tot), stats(pl), stats(pg), ex)
	fmt.Println()
	helperRSS(dir, devHome, dists, files)
}

func geolayerfile(frontend, index string, generated int, plats string) string {
	return fmt.Sprintf(`# syntax=%s
TARGET aws-lambda python3.13
PLATFORM %s
INDEX %s
REQUIRE -r requirements.txt
TEST import importlib; [importlib.import_module('glf_many_%%03d' %% i) for i in range(1, %d)]; import glf_cext, glf_vendored, glf_abi3, glf_data
`, frontend, strings.ReplaceAll(plats, ",", " "), index, generated+1)
}

type result struct {
	total, planning float64
	// pages: from the first index page fetch's start to the last one's
	pages    float64
	executed int
}

// build runs one build and reads its rawjson progress; the vertices with
// their start times go to vertices-<label>.txt in the work folder.
func build(host, frontend, ctx, plats string, noCache bool, label string) result {
	out := filepath.Join(ctx, "..", "out")
	_ = os.RemoveAll(out)
	args := []string{"--addr", host, "build", "--progress=rawjson", "--frontend", "gateway.v0", "--opt", "source=" + frontend,
		"--local", "context=" + ctx, "--local", "dockerfile=" + ctx, "--opt", "filename=Geolayerfile",
		"--opt", "platform=" + plats, "--output", "type=local,dest=" + out}
	if noCache {
		args = append(args, "--no-cache")
	}
	cmd := exec.Command("buildctl", args...)
	stderr, err := cmd.StderrPipe()
	must(err)
	start := time.Now()
	must(cmd.Start())
	type vertex struct {
		Name    string     `json:"name"`
		Cached  bool       `json:"cached"`
		Started *time.Time `json:"started"`
	}
	vs := map[string]vertex{}
	var other []string
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var st struct {
			Vertexes []struct {
				Digest string `json:"digest"`
				vertex
			} `json:"vertexes"`
		}
		if json.Unmarshal(sc.Bytes(), &st) != nil {
			other = append(other, sc.Text())
			continue
		}
		for _, v := range st.Vertexes {
			p := vs[v.Digest]
			if v.Started == nil {
				v.Started = p.Started
			}
			v.Cached = v.Cached || p.Cached
			vs[v.Digest] = v.vertex
		}
	}
	if err := cmd.Wait(); err != nil {
		fatalf("buildctl %s: %v\n%s", strings.Join(args, " "), err, strings.Join(other[max(0, len(other)-30):], "\n"))
	}
	r := result{total: time.Since(start).Seconds()}
	var first, page0, page1 *time.Time
	var trace strings.Builder
	for _, v := range vs {
		if v.Started == nil {
			continue
		}
		fmt.Fprintf(&trace, "%8.2f cached=%-5v %s\n", v.Started.Sub(start).Seconds(), v.Cached, v.Name)
		// The per-platform steps that ran (a fetch whose result is not
		// needed shows as started and not cached: BuildKit only computed
		// its key, the checksum).
		if !v.Cached && strings.HasPrefix(v.Name, "[linux/") && !strings.Contains(v.Name, "] fetch ") {
			r.executed++
		}
		if strings.Contains(v.Name, "] fetch ") && (first == nil || v.Started.Before(*first)) {
			first = v.Started
		}
		if strings.HasPrefix(v.Name, "[internal] index page ") {
			if page0 == nil || v.Started.Before(*page0) {
				page0 = v.Started
			}
			if page1 == nil || v.Started.After(*page1) {
				page1 = v.Started
			}
		}
	}
	if first == nil {
		fatalf("%s", "no wheel fetch step in the progress")
	}
	r.planning = first.Sub(start).Seconds()
	if page0 != nil {
		r.pages = page1.Sub(*page0).Seconds()
	}
	// Every vertex with its start (seconds after buildctl started), for
	// whoever wants to see where the time went.
	name := "vertices-" + label + ".txt"
	lines := strings.SplitAfter(trace.String(), "\n")
	sort.Strings(lines)
	must(os.WriteFile(filepath.Join(ctx, "..", name), []byte(strings.Join(lines, "")), 0o644))
	if zips, _ := filepath.Glob(filepath.Join(out, "*", "layer.zip")); len(zips) != strings.Count(plats, ",")+1 {
		if _, err := os.Stat(filepath.Join(out, "layer.zip")); err != nil || strings.Contains(plats, ",") {
			fatalf("the build exported %d layer.zip files for %s", len(zips), plats)
		}
	}
	return r
}

type daemon struct {
	addr string
	cmd  *exec.Cmd
	root string
}

// startDaemon runs buildkitd with the dev world's buildkitd.toml, its own
// state and socket under dir.
func startDaemon(dir, devHome string, parallelism int) *daemon {
	cfg, err := os.ReadFile(filepath.Join(devHome, "buildkitd.toml"))
	must(err)
	root := filepath.Join(dir, "buildkitd")
	must(os.MkdirAll(root, 0o755))
	d := &daemon{addr: "unix://" + filepath.Join(root, "buildkitd.sock"), root: root}
	var b strings.Builder
	for _, line := range strings.Split(string(cfg), "\n") {
		switch {
		case strings.HasPrefix(line, "root ="):
			fmt.Fprintf(&b, "root = %q\n", filepath.Join(root, "state"))
		case strings.HasPrefix(strings.TrimSpace(line), "address ="):
			fmt.Fprintf(&b, "  address = [%q]\n", d.addr)
		case strings.TrimSpace(line) == "[worker.oci]" && parallelism > 0:
			fmt.Fprintf(&b, "%s\n  max-parallelism = %d\n", line, parallelism)
		default:
			b.WriteString(line + "\n")
		}
	}
	must(os.WriteFile(filepath.Join(root, "buildkitd.toml"), []byte(b.String()), 0o644))
	logf, err := os.Create(filepath.Join(root, "buildkitd.log"))
	must(err)
	d.cmd = exec.Command("buildkitd", "--config", filepath.Join(root, "buildkitd.toml"))
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	must(d.cmd.Start())
	for i := 0; i < 300; i++ {
		if exec.Command("buildctl", "--addr", d.addr, "debug", "workers").Run() == nil {
			return d
		}
		time.Sleep(200 * time.Millisecond)
	}
	d.stop()
	fatalf("the throwaway buildkitd did not start (log: %s)", logf.Name())
	return nil
}

// stop ends the daemon and removes its state.
func (d *daemon) stop() {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
	}
	// overlay mounts may linger briefly
	for i := 0; i < 10 && os.RemoveAll(filepath.Join(d.root, "state")) != nil; i++ {
		time.Sleep(300 * time.Millisecond)
	}
}

// helperRSS runs the helper steps as the build does, on the build host,
// one process per package and step, and prints each step's peak RSS.
func helperRSS(dir, devHome, dists string, files []manywheels.File) {
	bin := filepath.Join(dir, "geolayer")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/geolayer").CombinedOutput(); err != nil {
		fatalf("go build: %v\n%s", err, out)
	}
	rt := filepath.Join(dir, "runtime")
	must(os.MkdirAll(rt, 0o755))
	if out, err := exec.Command("tar", "-xf", filepath.Join(devHome, "rootfs", "trixie-amd64-lambda.tar"), "-C", rt, "--exclude=./dev/*").CombinedOutput(); err != nil {
		fatalf("tar: %v\n%s", err, out)
	}
	site := "python/lib/python3.13/site-packages"
	type stat struct {
		n          int
		secs       float64
		rss        int64
		rssPackage string
		totalInput int64
	}
	steps := map[string]*stat{}
	order := []string{"install", "slim (default PRUNE, strip)", "compress (fragment)", "assemble (dedup)", "check (static ABI)"}
	// Each command line written by helperapi, as llbgen writes it.
	add := func(step, pkg string, in int64, c interface{ Args() []string }) {
		args := c.Args()
		cmd := exec.Command(bin, append([]string{"helper"}, args...)...)
		cmd.Stderr = os.Stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			fatalf("helper %s (%s): %v", args[0], pkg, err)
		}
		s := steps[step]
		if s == nil {
			s = &stat{}
			steps[step] = s
		}
		s.n++
		s.secs += time.Since(start).Seconds()
		s.totalInput += in
		if rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss; rss > s.rss {
			s.rss, s.rssPackage = rss, pkg
		}
	}
	layer, meta, frags := filepath.Join(dir, "layer"), filepath.Join(dir, "meta"), filepath.Join(dir, "frags")
	sort.Slice(files, func(i, j int) bool { return files[i].Filename < files[j].Filename })
	done := map[string]bool{}
	for _, f := range files {
		if strings.Contains(f.Filename, "aarch64") || done[f.Project] {
			continue // the amd64 layer: one wheel a project
		}
		done[f.Project] = true
		name := f.Project
		inst, slim := filepath.Join(dir, "inst", name), filepath.Join(dir, "slim", name)
		add(order[0], name, f.Size, helperapi.Install{Wheel: filepath.Join(dists, f.Filename), Root: inst, SitePackages: site,
			Scripts: "bin", Data: "python", Headers: "python/include", Interpreter: "/var/lang/bin/python3.13",
			URL: "http://127.0.0.1/files/" + f.Filename, SHA256: f.SHA256, Meta: filepath.Join(meta, "inst", name+".json")})
		add(order[1], name, treeBytes(inst), helperapi.Slim{In: inst, Out: slim, Strip: helperapi.StripUnneeded, SitePackages: site,
			Prune: &prune.Options{}, MetaIn: filepath.Join(meta, "inst", name+".json"), MetaOut: filepath.Join(meta, "slim", name+".json")})
		add(order[2], name, treeBytes(slim), helperapi.Fragment{Root: slim, Package: name, Out: frags})
		if out, err := exec.Command("cp", "-a", slim+"/.", layer+"/").CombinedOutput(); err != nil {
			fatalf("cp: %v\n%s", err, out)
		}
	}
	add(order[3], "all", treeBytes(frags), helperapi.Assemble{Fragments: frags, Meta: filepath.Join(meta, "slim"),
		Out: filepath.Join(dir, "assembled"), Dedup: true})
	cfg := helperapi.CheckOptions{Machine: "x86_64", MountPoint: "/opt", LibraryPath: []string{"/var/lang/lib", "/lib64", "/usr/lib64", "/opt/lib"},
		SystemDirs: []string{"/lib64", "/usr/lib64"}, GlibcCeiling: "2.34", SitePackages: site, Mode: helperapi.CheckWarn}
	add(order[4], "all", treeBytes(layer), helperapi.Check{Layer: layer, Runtime: rt, Config: cfg, Out: filepath.Join(dir, "check")})

	fmt.Printf("Helper peak memory: the same helper steps run outside BuildKit on the linux/amd64 wheels, one process per package and step as in the build (the build's own arguments, a trixie Lambda stand-in root for the check); peak RSS is getrusage's ru_maxrss of each process, the largest over the step's processes.\n\n")
	fmt.Println("| helper step | processes | input MB (sum) | seconds (sum) | peak RSS MiB (largest) | at |")
	fmt.Println("|---|---:|---:|---:|---:|---|")
	for _, k := range order {
		s := steps[k]
		fmt.Printf("| %s | %d | %.1f | %.2f | %.1f | %s |\n", k, s.n, float64(s.totalInput)/1e6, s.secs, float64(s.rss)/1024, s.rssPackage)
	}
}

// stats is "min / median / max" (one value: itself).
func stats(v []float64) string {
	if len(v) == 0 {
		return "-"
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 1 {
		return fmt.Sprintf("%.1f", s[0])
	}
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return fmt.Sprintf("%.1f / %.1f / %.1f", s[0], m, s[len(s)-1])
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
		fatalf("%v", err)
	}
}

// cleanups run before a fatal exit (the throwaway daemon, the index).
var cleanups []func()

func fatalf(format string, a ...any) {
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	log.Fatalf(format, a...)
}
