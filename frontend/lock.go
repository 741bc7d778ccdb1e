package frontend

import (
	"bytes"

	"github.com/geolayer/geolayer/llbgen"
	"github.com/geolayer/geolayer/pkg/pyreq"
	"github.com/moby/buildkit/client/llb"
)

// lockState renders the wheels chosen for one platform as a PEP 751
// pylock.toml that REQUIRE --lock reads back without running a resolver.
func lockState(pl *plan, t *llbgen.Target, wheels []llbgen.Wheel) (llb.State, error) {
	lock := &pyreq.Lock{
		LockVersion:    "1.0",
		RequiresPython: "==" + pl.runtimeFor(t).PythonVersion + ".*",
		CreatedBy:      pyreq.CreatedBy,
		Environments: []string{
			"sys_platform == 'linux' and platform_machine == '" + wheelTarget(pl.runtimeFor(t), t.Platform).Arch + "'",
		},
	}
	for _, w := range wheels {
		lock.Packages = append(lock.Packages, pyreq.LockPackage{
			Name:    w.Name,
			Version: w.Version,
			Wheels:  []pyreq.LockFile{{Name: w.Filename, URL: w.URL, Hashes: map[string]string{"sha256": w.SHA256}}},
		})
	}
	var buf bytes.Buffer
	if err := pyreq.WritePylock(&buf, lock); err != nil {
		return llb.State{}, err
	}
	return llb.Scratch().File(llb.Mkfile("/pylock.toml", 0o644, buf.Bytes()), t.Name("write pylock.toml")), nil
}
