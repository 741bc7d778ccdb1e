package frontend

import (
	"encoding/json"

	"github.com/geolayer/geolayer/frontend/instructions"
	"github.com/geolayer/geolayer/frontend/profile"
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
	b, _ := json.Marshal(helper.CheckOptions{
		Machine:      profile.ELFMachine(p.Architecture),
		MountPoint:   rt.MountPoint,
		LibraryPath:  rt.LibraryPath(),
		SystemDirs:   rt.SysLibDirs,
		Absent:       rt.Absent,
		GlibcCeiling: rt.Glibc,
		SitePackages: rt.Layout.SitePackages,
		Mode:         pl.checkMode,
	})
	return string(b)
}
