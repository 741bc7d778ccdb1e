package llbgen

import (
	"fmt"
	"strings"

	"github.com/moby/buildkit/client/llb"
)

// PipReport is where Resolve writes pip's installation report.
const PipReport = "/report.json"

// Resolve runs pip's resolver (no install) inside the build image on the
// build host's own architecture, asking for wheels of the target platform:
// --platform for every acceptable manylinux tag, --python-version,
// --implementation, --abi, --only-binary. The state holds pip's JSON report.
func (g *Gen) Resolve(t *Target, buildImage, abi string, platformTags []string, indexURL string, extra []string, requirements []string) llb.State {
	req := strings.Join(requirements, "\n") + "\n"
	in := llb.Scratch().File(llb.Mkfile("/requirements.txt", 0o644, []byte(req)), llb.WithCustomName("[internal] write requirements for pip"))
	args := []string{"python3", "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
		"--disable-pip-version-check", "--no-input",
		"--report", "/out" + PipReport, "--target", "/tmp/geolayer-resolve",
		"--only-binary=:all:", "--implementation", "cp",
		"--python-version", strings.TrimPrefix(abi, "cp"), "--abi", abi,
		"--index-url", indexURL}
	for _, x := range extra {
		args = append(args, "--extra-index-url", x)
	}
	for _, p := range platformTags {
		args = append(args, "--platform", p)
	}
	args = append(args, "-r", "/in/requirements.txt")
	cacheID := fmt.Sprintf("geolayer-pip-%s-%s-%s", buildImage, platformString(t.BuildPlatform), abi)
	run := llb.Image(buildImage, append([]llb.ImageOption{llb.Platform(t.BuildPlatform)}, g.ImageOpt...)...).Run(
		llb.Args(args),
		llb.AddEnv("PIP_BREAK_SYSTEM_PACKAGES", "1"),
		llb.AddEnv("PIP_ROOT_USER_ACTION", "ignore"),
		llb.AddMount("/in", in, llb.Readonly),
		llb.AddMount("/root/.cache/pip", llb.Scratch(), llb.AsPersistentCacheDir(cacheID, llb.CacheMountShared)),
		t.name("resolve requirements with pip for %s", abi),
	)
	return run.AddMount("/out", llb.Scratch())
}
