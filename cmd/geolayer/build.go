package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/geolayer/geolayer/frontend"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/util/appcontext"
	"github.com/moby/buildkit/util/progress/progressui"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/sync/errgroup"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// runBuild runs the frontend in-process against $BUILDKIT_HOST. The helper
// steps need the helper binary in an image: --helper-image, or
// $GEOLAYER_FRONTEND_IMAGE.
func runBuild(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("geolayer build", flag.ContinueOnError)
	file := fs.String("f", "", "Geolayerfile (default: <context>/Geolayerfile)")
	out := fs.String("o", "out", "output directory")
	target := fs.String("target", "", "zip (default), dir, image, report")
	plat := fs.String("platform", "", "target platforms, comma separated")
	addr := fs.String("addr", os.Getenv("BUILDKIT_HOST"), "buildkitd address (default $BUILDKIT_HOST)")
	helperImage := fs.String("helper-image", os.Getenv("GEOLAYER_FRONTEND_IMAGE"), "image with the geolayer binary (default $GEOLAYER_FRONTEND_IMAGE)")
	progress := fs.String("progress", "auto", "auto, plain, tty, quiet")
	noCache := fs.Bool("no-cache", false, "do not use the cache")
	var buildArgs, secrets multiFlag
	fs.Var(&buildArgs, "build-arg", "KEY=VALUE (repeatable)")
	fs.Var(&secrets, "secret", "id=ID,src=FILE or id=ID,env=VAR (repeatable)")
	usage := func(w io.Writer) {
		_, _ = fmt.Fprintln(w, "usage: geolayer build [flags] [context]")
		_, _ = fmt.Fprintln(w, "Builds the Geolayerfile in context (default .) with the frontend in-process against a BuildKit daemon.")
		_, _ = fmt.Fprintln(w, "Exit status: 0 built, 1 the build failed, 2 usage error.")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args, usage, stdout, stderr, func() error { return fs.Parse(args) }); done {
		return code
	}
	ctxDir := "."
	if fs.NArg() > 0 {
		ctxDir = fs.Arg(0)
	}
	if *file == "" {
		*file = filepath.Join(ctxDir, frontend.DefaultFilename)
	}
	if *addr == "" {
		_, _ = fmt.Fprintln(stderr, "geolayer build: no buildkitd: set BUILDKIT_HOST or --addr")
		return 2
	}
	if *helperImage == "" {
		_, _ = fmt.Fprintln(stderr, "geolayer build: the helper steps need the geolayer image: set --helper-image or GEOLAYER_FRONTEND_IMAGE")
		return 2
	}
	if err := build(*addr, ctxDir, *file, *out, *target, *plat, *helperImage, *progress, *noCache, buildArgs, secrets); err != nil {
		_, _ = fmt.Fprintf(stderr, "geolayer build: %v\n", err)
		return 1
	}
	return 0
}

func build(addr, ctxDir, file, out, target, plat, helperImage, progress string, noCache bool, buildArgs, secrets []string) error {
	ctx := appcontext.Context()
	c, err := client.New(ctx, addr)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }()
	contextFS, err := fsutil.NewFS(ctxDir)
	if err != nil {
		return err
	}
	defFS, err := fsutil.NewFS(filepath.Dir(file))
	if err != nil {
		return err
	}
	attrs := map[string]string{
		"filename":              filepath.Base(file),
		frontend.OptHelperImage: helperImage,
	}
	if target != "" {
		attrs["target"] = target
	}
	if plat != "" {
		attrs["platform"] = plat
		if strings.Contains(plat, ",") {
			attrs["multi-platform"] = "true"
		}
	}
	if noCache {
		attrs["no-cache"] = ""
	}
	for _, kv := range buildArgs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			v = os.Getenv(k)
		}
		attrs["build-arg:"+k] = v
	}
	attachables := []session.Attachable{authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{})}
	if len(secrets) > 0 {
		sp, err := secretProvider(secrets)
		if err != nil {
			return err
		}
		attachables = append(attachables, sp)
	}
	opt := client.SolveOpt{
		LocalMounts:   map[string]fsutil.FS{"context": contextFS, "dockerfile": defFS},
		FrontendAttrs: attrs,
		Session:       attachables,
		Exports:       []client.ExportEntry{{Type: client.ExporterLocal, OutputDir: out}},
	}
	ch := make(chan *client.SolveStatus)
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		_, err := c.Build(ctx, opt, "geolayer", frontend.Build, ch)
		return err
	})
	eg.Go(func() error {
		d, err := progressui.NewDisplay(os.Stderr, progressui.DisplayMode(progress))
		if err != nil {
			return err
		}
		_, err = d.UpdateFrom(context.Background(), ch)
		return err
	})
	return eg.Wait()
}
