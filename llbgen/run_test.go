package llbgen

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	"google.golang.org/protobuf/proto"
)

// execs returns the exec ops of a state's graph by their arguments.
func execs(t *testing.T, st llb.State) map[string]*pb.ExecOp {
	t.Helper()
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*pb.ExecOp{}
	for _, dt := range def.Def {
		var op pb.Op
		if err := proto.Unmarshal(dt, &op); err != nil {
			t.Fatal(err)
		}
		if e := op.GetExec(); e != nil {
			out[strings.Join(e.Meta.Args, " ")] = e
		}
	}
	return out
}

// RUN steps run in order on the target platform's build image, with their
// mounts as BuildKit mounts: cache ids default to the target (as in a
// Dockerfile), secrets as files or environment variables, tmpfs sizes.
func TestRunMounts(t *testing.T) {
	tg := testTarget("arm64")
	mode := uint32(0o700)
	uid := 1000
	tg.Runs = []Run{
		{Command: "dnf install -y gdal-devel", Mounts: []RunMount{
			{Type: "cache", Target: "/var/cache/dnf", Sharing: "locked"},
			{Type: "cache", Target: "/root/.cache", ID: "mine", ReadOnly: true, Mode: &mode, UID: &uid},
		}},
		{Command: "make install", Mounts: []RunMount{
			{Type: "secret", ID: "netrc", Target: "/root/.netrc", Required: true},
			{Type: "secret", ID: "tok", Env: "TOKEN"},
			{Type: "tmpfs", Target: "/tmp", Size: 1 << 20},
		}},
	}
	// The build image's config, as a Dockerfile RUN on it sees it.
	tg.Build = Image{Ref: "example.com/build@sha256:" + strings.Repeat("a", 64),
		Env:        []string{"PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin", "LANG=en_US.UTF-8"},
		WorkingDir: "/var/task", User: "sbx_user1051", Python: "/var/lang/bin/python3.13"}
	g := newGen()
	st := g.buildStage(tg)
	ex := execs(t, st)
	// Each RUN runs under the watchdog, with the build image's CPython
	// and the default limit.
	key := func(cmd string) string {
		return strings.Join(watchedArgs("/var/lang/bin/python3.13", DefaultRunTimeout, "RUN", "GEOLAYER_RUN_TIMEOUT", "/bin/sh", "-c", cmd), " ")
	}
	first, second := ex[key("dnf install -y gdal-devel")], ex[key("make install")]
	if first == nil || second == nil {
		t.Fatalf("RUN execs missing: %d execs", len(ex))
	}
	if limit, arg, ok := Watchdog(first.Meta.Args); !ok || limit != time.Hour || arg != "GEOLAYER_RUN_TIMEOUT" {
		t.Errorf("the RUN's watchdog: %v %q %v", limit, arg, ok)
	}
	for _, e := range []*pb.ExecOp{first, second} {
		if e.Meta.Cwd != "/var/task" || e.Meta.User != "sbx_user1051" ||
			!slices.Contains(e.Meta.Env, "PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin") || !slices.Contains(e.Meta.Env, "LANG=en_US.UTF-8") {
			t.Errorf("RUN %v does not run with the build image's config: cwd %q user %q env %v", e.Meta.Args, e.Meta.Cwd, e.Meta.User, e.Meta.Env)
		}
	}
	byDest := func(e *pb.ExecOp) map[string]*pb.Mount {
		m := map[string]*pb.Mount{}
		for _, mt := range e.Mounts {
			m[mt.Dest] = mt
		}
		return m
	}
	m1 := byDest(first)
	if c := m1["/var/cache/dnf"]; c == nil || c.MountType != pb.MountType_CACHE || c.CacheOpt.ID != "/var/cache/dnf" || c.CacheOpt.Sharing != pb.CacheSharingOpt_LOCKED {
		t.Errorf("default cache mount: %+v", c)
	}
	if c := m1["/root/.cache"]; c == nil || c.CacheOpt.ID != "mine" || !c.Readonly || c.Selector != "/cache" {
		t.Errorf("cache mount with id/ro/mode/uid: %+v", c)
	}
	m2 := byDest(second)
	if s := m2["/root/.netrc"]; s == nil || s.MountType != pb.MountType_SECRET || s.SecretOpt.ID != "netrc" || s.SecretOpt.Optional {
		t.Errorf("secret file: %+v", s)
	}
	if len(second.Secretenv) != 1 || second.Secretenv[0].ID != "tok" || second.Secretenv[0].Name != "TOKEN" || !second.Secretenv[0].Optional {
		t.Errorf("secret env: %+v", second.Secretenv)
	}
	if tm := m2["/tmp"]; tm == nil || tm.MountType != pb.MountType_TMPFS || tm.TmpfsOpt.Size != 1<<20 {
		t.Errorf("tmpfs: %+v", tm)
	}
	// The second RUN runs on the first's result: its root input is an exec output.
	if len(second.Mounts) == 0 || second.Mounts[0].Dest != "/" {
		t.Fatalf("root mount: %+v", second.Mounts)
	}
}
