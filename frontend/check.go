package frontend

import (
	"github.com/geolayer/geolayer/frontend/instructions"
	"github.com/geolayer/geolayer/frontend/profile"
	"github.com/geolayer/geolayer/internal/helperapi"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// checkMode is CHECK's value, error by default.
func checkMode(spec *instructions.Spec) (helperapi.CheckMode, error) {
	if spec.Check == nil {
		return helperapi.CheckError, nil
	}
	m, err := helperapi.ParseCheckMode(string(spec.Check.Mode))
	if err != nil {
		return 0, located(err, spec.Check.Location())
	}
	return m, nil
}

// checkConfig is the static check's view of runtime rt for one platform:
// the loader path the platform sets, its system directories, the glibc
// ceiling and what the public image has that the platform lacks (llbgen
// adds CHECK's mode).
func checkConfig(rt *profile.Runtime, p ocispecs.Platform) helperapi.CheckOptions {
	return helperapi.CheckOptions{
		Machine:      profile.ELFMachine(p.Architecture),
		MountPoint:   rt.MountPoint,
		LibraryPath:  rt.LibraryPath(),
		SystemDirs:   rt.SysLibDirs,
		Absent:       rt.Absent,
		GlibcCeiling: rt.Glibc,
		SitePackages: rt.Layout.SitePackages,
	}
}
