package llbgen

import (
	"os"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
)

// Run is a RUN instruction: a shell command run in the build stage, in
// file order, before packages are compiled.
type Run struct {
	Command  string
	Mounts   []RunMount
	Location []*pb.Range
}

// RunMount is one RUN --mount.
type RunMount struct {
	Type     string // cache, secret or tmpfs
	Target   string
	ID       string
	Sharing  string // cache: shared, private or locked
	ReadOnly bool
	Env      string // secret: expose as this variable
	Required bool
	Mode     *uint32
	UID, GID *int
	Size     int64 // tmpfs
}

// buildStage is the profile's build image for the target platform (pinned
// by digest, its config applied) after the RUN instructions, each its own
// cached step, run emulated when the platform is foreign. BUILD compiles on
// it and the vendor step reads the libraries the compiled packages link
// from it. RUN sees the image as a Dockerfile RUN on it would: its PATH,
// environment, working directory and user.
func (g *Gen) buildStage(t *Target) llb.State {
	st := g.ConfiguredImage(t.Build, t.Platform)
	for _, r := range t.Runs {
		timeout := t.RunTimeout
		if timeout <= 0 {
			timeout = DefaultRunTimeout
		}
		opts := append(watched(t.Build.python(), timeout, "RUN", "GEOLAYER_RUN_TIMEOUT", "/bin/sh", "-c", r.Command),
			t.name("RUN %s", oneLine(r.Command)))
		if t.Build.User != "" {
			opts = append(opts, llb.User(t.Build.User))
		}
		if g.SourceMap != nil && len(r.Location) > 0 {
			opts = append(opts, g.SourceMap.Location(r.Location))
		}
		for _, m := range r.Mounts {
			opts = append(opts, runMount(m))
		}
		st = st.Run(opts...).Root()
	}
	return st
}

func runMount(m RunMount) llb.RunOption {
	switch m.Type {
	case "secret":
		uid, gid, mode := 0, 0, 0o400
		if m.UID != nil {
			uid = *m.UID
		}
		if m.GID != nil {
			gid = *m.GID
		}
		if m.Mode != nil {
			mode = int(*m.Mode)
		}
		var target *string
		switch {
		case m.Target != "":
			target = &m.Target
		case m.Env == "":
			def := "/run/secrets/" + m.ID
			target = &def
		}
		so := []llb.SecretOption{llb.SecretFileOpt(uid, gid, mode)}
		if m.Env != "" {
			so = append(so, llb.SecretAsEnvName(m.Env))
		}
		if !m.Required {
			so = append(so, llb.SecretOptional)
		}
		return llb.AddSecretWithDest(m.ID, target, so...)
	case "tmpfs":
		var to []llb.TmpfsOption
		if m.Size > 0 {
			to = append(to, llb.TmpfsSize(m.Size))
		}
		return llb.AddMount(m.Target, llb.Scratch(), llb.Tmpfs(to...))
	default: // cache
		id := m.ID
		if id == "" {
			id = m.Target
		}
		sharing := llb.CacheMountShared
		switch m.Sharing {
		case "private":
			sharing = llb.CacheMountPrivate
		case "locked":
			sharing = llb.CacheMountLocked
		}
		mo := []llb.MountOption{llb.AsPersistentCacheDir(id, sharing)}
		if m.ReadOnly {
			mo = append(mo, llb.Readonly)
		}
		base, ok := cacheBase(m)
		if ok {
			mo = append(mo, llb.SourcePath("/cache"))
		}
		return llb.AddMount(m.Target, base, mo...)
	}
}

// cacheBase gives a cache mount its owner and mode the first time it is
// created (RUN --mount=type=cache,uid=,gid=,mode=).
func cacheBase(m RunMount) (llb.State, bool) {
	if m.UID == nil && m.GID == nil && m.Mode == nil {
		return llb.Scratch(), false
	}
	uid, gid, mode := 0, 0, uint32(0o755)
	if m.UID != nil {
		uid = *m.UID
	}
	if m.GID != nil {
		gid = *m.GID
	}
	if m.Mode != nil {
		mode = *m.Mode
	}
	return llb.Scratch().File(llb.Mkdir("/cache", os.FileMode(mode), llb.WithUIDGID(uid, gid)), llb.WithCustomName("cache mount owner")), true
}
