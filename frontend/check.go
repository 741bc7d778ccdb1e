package frontend

import (
	"encoding/json"
	"strings"

	"github.com/geolayer/geolayer/frontend/instructions"
	"github.com/geolayer/geolayer/helper"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// checkMode is CHECK's value, "error" by default.
func checkMode(spec *instructions.Spec) string {
	if spec.Check != nil {
		return string(spec.Check.Mode)
	}
	return string(instructions.CheckError)
}

// checkConfig is the static check's view of the runtime for one platform:
// the loader path the platform sets, its system directories, the glibc
// ceiling and what the public image has that the platform lacks.
func (pl *plan) checkConfig(p ocispecs.Platform) string {
	rt := pl.runtime
	machine := "x86_64"
	if p.Architecture == "arm64" {
		machine = "aarch64"
	}
	var ldPath []string
	for _, d := range strings.Split(rt.Env["LD_LIBRARY_PATH"], ":") {
		if d != "" {
			ldPath = append(ldPath, d)
		}
	}
	b, _ := json.Marshal(helper.CheckOptions{
		Machine:      machine,
		MountPoint:   rt.MountPoint,
		LibraryPath:  ldPath,
		SystemDirs:   rt.SysLibDirs,
		Absent:       rt.Absent,
		GlibcCeiling: rt.Glibc,
		SitePackages: rt.Layout.SitePackages,
		Mode:         pl.checkMode,
	})
	return string(b)
}
