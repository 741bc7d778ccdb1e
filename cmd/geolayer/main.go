// Command geolayer is one static binary with four faces:
//   - with no arguments, a BuildKit gateway frontend (the image's entrypoint);
//   - `geolayer helper ...`, the steps it runs inside builds;
//   - `geolayer build ...`, a CLI that runs the frontend in-process;
//   - `geolayer check ...`, the build's static ABI check on an existing layer.
package main

import (
	"fmt"
	"os"

	"github.com/geolayer/geolayer/frontend"
	"github.com/geolayer/geolayer/helper"
	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/util/appcontext"
	_ "github.com/moby/buildkit/util/grpcutil/encoding/proto"
)

var version = "dev"

func main() {
	if len(os.Args) < 2 {
		if err := grpcclient.RunFromEnvironment(appcontext.Context(), frontend.Build); err != nil {
			fmt.Fprintf(os.Stderr, "geolayer frontend: %v\n", err)
			os.Exit(1)
		}
		return
	}
	switch os.Args[1] {
	case "helper":
		os.Exit(helper.Main(os.Args[2:], os.Stdout, os.Stderr))
	case "build":
		os.Exit(runBuild(os.Args[2:]))
	case "check":
		os.Exit(runCheck(os.Args[2:], os.Stdout, os.Stderr))
	case "version", "--version", "-version":
		fmt.Println("geolayer", version)
	default:
		fmt.Fprintf(os.Stderr, "geolayer: unknown command %q\nusage: geolayer [helper|build|check|version] ...\n", os.Args[1])
		os.Exit(2)
	}
}
