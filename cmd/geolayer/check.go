package main

// geolayer check: the command line (flags, the target from the profile
// table, exit statuses) and the run. What it unpacks (the layer zip, the
// runtime image) is cmd/geolayer/internal/unpack.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/containerd/platforms"
	"github.com/geolayer/geolayer/cmd/geolayer/internal/unpack"
	"github.com/geolayer/geolayer/frontend/profile"
	"github.com/geolayer/geolayer/helper"
	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/elfcheck"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Size caps for what geolayer check unpacks: the layer zip (uncompressed)
// and the runtime image's flattened file system.
const (
	maxLayerBytes = 4 << 30
	maxImageBytes = 16 << 30
)

// Exit statuses of geolayer check.
const (
	checkOK       = 0 // no errors (warnings may have been reported)
	checkFailed   = 1 // the check found errors
	checkTrouble  = 2 // usage error, or the check could not run
	checkUsageErr = checkTrouble
)

// usageError marks errors in the command line found after parsing.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// runCheck runs the build's static ABI check (helper.CheckLayer) on an
// existing layer, outside BuildKit: the platform facts come from the
// profile table as in the frontend (frontend/check.go), the runtime file
// system from a directory or a pulled image.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("geolayer check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	prof := fs.String("profile", "", "target profile and runtime, PROFILE:RUNTIME (e.g. aws-lambda:python3.11); required")
	plat := fs.String("platform", "linux/amd64", "target platform: linux/amd64 or linux/arm64")
	glibc := fs.String("glibc", "", "glibc ceiling X.Y (default: the profile's)")
	layout := fs.String("layout", "", "layer layout: lambda, site-packages, azure or gcp (default: the profile's; needed for the custom profile)")
	runtimeImage := fs.String("runtime-image", "", "runtime image to pull for --platform (default: the profile's runtime image)")
	runtimeRoot := fs.String("runtime-root", "", "runtime root file system as a directory (instead of pulling an image)")
	jsonOut := fs.Bool("json", false, "write the result as JSON instead of text")
	insecure := fs.Bool("insecure-registry", false, "pull over plain HTTP (automatic for localhost and 127.0.0.1)")
	printUsage := func(w io.Writer) {
		_, _ = fmt.Fprintln(w, "usage: geolayer check [flags] <layer.zip|dir>")
		_, _ = fmt.Fprintln(w, "Runs the build's static ABI check on an existing layer against the runtime's file system.")
		_, _ = fmt.Fprintln(w, "Exit status: 0 no errors, 1 the check found errors, 2 usage error or the check could not run.")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	var pos []string
	if code, done := parseFlags(fs, args, printUsage, stdout, stderr, func() (err error) { pos, err = parseInterspersed(fs, args); return err }); done {
		return code
	}
	usage := func(format string, a ...any) int {
		_, _ = fmt.Fprintf(stderr, "geolayer check: "+format+"\nrun 'geolayer check --help' for the flags\n", a...)
		return checkUsageErr
	}
	if len(pos) != 1 {
		return usage("want exactly one layer (a zip or a directory), got %d arguments", len(pos))
	}
	if *runtimeImage != "" && *runtimeRoot != "" {
		return usage("--runtime-image and --runtime-root are mutually exclusive")
	}
	cfg, err := checkTarget(*prof, *plat, *glibc, *layout, *runtimeImage, *runtimeRoot)
	if err != nil {
		return usage("%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := check(ctx, pos[0], cfg, *runtimeImage, *runtimeRoot, *insecure, stderr)
	if err != nil {
		var ue usageError
		var re *unpack.ReferenceError
		if errors.As(err, &ue) || errors.As(err, &re) {
			return usage("%v", err)
		}
		_, _ = fmt.Fprintf(stderr, "geolayer check: %v\n", err)
		return checkTrouble
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(res)
	} else {
		err = res.WriteText(stdout)
	}
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "geolayer check: %v\n", err)
		return checkTrouble
	}
	if len(res.Errors()) > 0 {
		return checkFailed
	}
	return checkOK
}

// parseInterspersed parses flags before and after positional arguments
// (`geolayer check layer.zip --profile ...`); "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// checkConfig is a resolved target: the runtime row and the check options.
type checkConfig struct {
	rt       *profile.Runtime
	platform ocispecs.Platform
	opts     helperapi.CheckOptions
}

// checkTarget resolves --profile, --platform and the overrides the way
// TARGET does (targetRuntime in frontend/plan.go), and builds the check options the way the
// frontend does ((*plan).checkConfig in frontend/check.go).
func checkTarget(prof, plat, glibc, layout, runtimeImage, runtimeRoot string) (*checkConfig, error) {
	if prof == "" {
		return nil, errors.New("--profile is required (e.g. --profile aws-lambda:python3.11)")
	}
	pname, rname, ok := strings.Cut(prof, ":")
	if !ok || pname == "" || rname == "" {
		return nil, fmt.Errorf("--profile %q: want PROFILE:RUNTIME, e.g. aws-lambda:python3.11 (profiles: %s)", prof, strings.Join(profile.ProfileNames(), ", "))
	}
	rt, err := profile.Lookup(pname, rname)
	if err != nil {
		return nil, err
	}
	if runtimeImage == "" && runtimeRoot != "" && rt.RuntimeImage == "" {
		// The custom profile names no image; a directory stands in for it.
		rt.RuntimeImage = "dir:" + runtimeRoot
	}
	if runtimeImage != "" || glibc != "" || layout != "" {
		if rt, err = rt.ApplyOverrides(runtimeImage, "", glibc, layout); err != nil {
			return nil, err
		}
	}
	if err := rt.Validate(); err != nil {
		return nil, err
	}
	p, err := platforms.Parse(plat)
	if err != nil {
		return nil, fmt.Errorf("--platform: %w", err)
	}
	p = platforms.Normalize(p)
	machine := profile.ELFMachine(p.Architecture)
	if p.OS != "linux" || machine == "" {
		return nil, fmt.Errorf("--platform %s: only linux/amd64 and linux/arm64 are supported", plat)
	}
	if !rt.SupportsPlatform(p) {
		return nil, fmt.Errorf("%s %s does not run on %s (platforms: %s)", rt.Profile, rt.Name, platforms.Format(p), strings.Join(rt.Platforms, ", "))
	}
	ldPath := rt.LibraryPath()
	return &checkConfig{rt: rt, platform: p, opts: helperapi.CheckOptions{
		Machine:      machine,
		MountPoint:   rt.MountPoint,
		LibraryPath:  ldPath,
		SystemDirs:   rt.SysLibDirs,
		Absent:       rt.Absent,
		GlibcCeiling: rt.Glibc,
		SitePackages: rt.Layout.SitePackages,
		Mode:         helperapi.CheckError,
	}}, nil
}

// check unpacks what it must (the layer zip, the runtime image) into
// temporary directories, runs the check and removes them.
func check(ctx context.Context, layer string, cfg *checkConfig, runtimeImage, runtimeRoot string, insecure bool, stderr io.Writer) (*elfcheck.Result, error) {
	st, err := os.Stat(layer)
	if err != nil {
		return nil, usageError{fmt.Sprintf("layer: %v", err)}
	}
	layerDir := layer
	if !st.IsDir() {
		tmp, err := os.MkdirTemp("", "geolayer-check-layer-")
		if err != nil {
			return nil, err
		}
		defer func() { _ = os.RemoveAll(tmp) }()
		if err := unpack.LayerZip(ctx, layer, tmp, maxLayerBytes); err != nil {
			return nil, err
		}
		layerDir = tmp
	}

	root := runtimeRoot
	if root != "" {
		st, err := os.Stat(root)
		if err != nil {
			return nil, usageError{fmt.Sprintf("--runtime-root: %v", err)}
		}
		if !st.IsDir() {
			return nil, usageError{fmt.Sprintf("--runtime-root %s: not a directory", root)}
		}
		_, _ = fmt.Fprintf(stderr, "geolayer check: %s %s on %s, glibc ceiling %s, runtime root %s\n",
			cfg.rt.Profile, cfg.rt.Name, platforms.Format(cfg.platform), cfg.opts.GlibcCeiling, root)
	} else {
		ref := runtimeImage
		if ref == "" {
			ref = cfg.rt.RuntimeImage
		}
		tmp, err := os.MkdirTemp("", "geolayer-check-runtime-")
		if err != nil {
			return nil, err
		}
		defer func() { _ = os.RemoveAll(tmp) }()
		desc, err := unpack.PullRootfs(ctx, ref, cfg.platform, insecure, tmp, maxImageBytes, "geolayer/"+version)
		if err != nil {
			hint := ""
			if runtimeImage == "" {
				hint = " (the profile's runtime image; use --runtime-image REF for a mirror, or --runtime-root DIR)"
			}
			return nil, fmt.Errorf("runtime image %s%s: %w", ref, hint, err)
		}
		_, _ = fmt.Fprintf(stderr, "geolayer check: %s %s on %s, glibc ceiling %s, runtime image %s\n",
			cfg.rt.Profile, cfg.rt.Name, platforms.Format(cfg.platform), cfg.opts.GlibcCeiling, desc)
		root = tmp
	}
	return helper.CheckLayer(layerDir, root, cfg.opts)
}
