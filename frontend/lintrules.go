package frontend

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/platforms"
	"github.com/geolayer/geolayer/frontend/instructions"
	"github.com/geolayer/geolayer/frontend/parser"
	"github.com/geolayer/geolayer/frontend/profile"
	"github.com/geolayer/geolayer/pkg/pyreq"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// checkRule is one rule of `--call check`; docs/geolayerfile.md has a
// "### <Name>" section for each under "Check rules".
type checkRule struct {
	Name        string
	Description string
}

// rulesDocs is where the rule sections live.
const rulesDocs = "https://github.com/geolayer/geolayer/blob/main/docs/geolayerfile.md#"

// URL is the rule's section of the Geolayerfile reference.
func (r checkRule) URL() string { return rulesDocs + strings.ToLower(r.Name) }

var (
	ruleUnpinnedRequirement = checkRule{"UnpinnedRequirement", "Requirements should be pinned to one version (== or ===) so the build does not move"}
	ruleUnhashedRequirement = checkRule{"UnhashedRequirement", "Requirements should carry a sha256 hash (--hash in a requirements file, or a pylock.toml)"}
	ruleMissingTest         = checkRule{"MissingTest", "A Geolayerfile should have a TEST that imports what the layer is for"}
	ruleTestNotRunnable     = checkRule{"TestNotRunnable", "TEST should be able to run on every target platform"}
	ruleDeprecatedRuntime   = checkRule{"DeprecatedRuntime", "The target runtime should not be deprecated by its platform"}
	ruleBudgetOverLimit     = checkRule{"BudgetOverLimit", "BUDGET should not allow more than the platform accepts"}
	ruleUnmatchablePattern  = checkRule{"UnmatchablePattern", "PRUNE and KEEP patterns should be relative to site-packages"}
	ruleUnusedArg           = checkRule{"UnusedArg", "Every ARG should be used"}
	ruleCredentialsInURL    = checkRule{"CredentialsInURL", "Index and download URLs should not embed credentials"}
)

// checkRules lists every rule, in the order of the docs.
var checkRules = []checkRule{
	ruleUnpinnedRequirement, ruleUnhashedRequirement, ruleMissingTest,
	ruleTestNotRunnable, ruleDeprecatedRuntime, ruleBudgetOverLimit,
	ruleUnmatchablePattern, ruleUnusedArg, ruleCredentialsInURL,
}

// userinfoRe finds a URL with user information (user:password@ or
// token@) before its host.
var userinfoRe = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.\-]*://[^/?#\s@]*@`)

func hasUserinfo(s string) bool { return userinfoRe.MatchString(s) }

// redactUserinfo replaces the user information of every URL in s.
func redactUserinfo(s string) string {
	return userinfoRe.ReplaceAllStringFunc(s, func(m string) string {
		scheme, _, _ := strings.Cut(m, "://")
		return scheme + "://***@"
	})
}

// indexCredentials: INDEX words that carry user information as written
// (Load refuses them too, with a message that does not repeat them).
func (ck *checker) indexCredentials(parsed *parser.Result) {
	for _, n := range parsed.Nodes {
		if n.Name != "INDEX" {
			continue
		}
		for _, w := range n.Args {
			if hasUserinfo(w.Raw) {
				ck.warn(ruleCredentialsInURL, []parser.Range{w.Range},
					fmt.Sprintf("INDEX %s embeds credentials in the URL: they would end up in the build's inputs and logs; store the Authorization header in a build secret and write INDEX <url> --secret=<id>", redactUserinfo(w.Raw)))
			}
		}
	}
}

// fileCredentials: index options and direct URLs with user information in
// the requirements files a REQUIRE -r reads (and their includes).
func (ck *checker) fileCredentials(pl *plan, files map[string][]byte) {
	for _, f := range pl.requireFiles {
		if f.kind != kindRequirements {
			continue
		}
		seen := map[string]bool{}
		var walk func(name string, depth int)
		walk = func(name string, depth int) {
			data, ok := files[name]
			if !ok || seen[name] || depth > maxIncludeDepth {
				return
			}
			seen[name] = true
			rf, err := pyreq.ParseRequirementsFile(bytes.NewReader(data), name)
			if err != nil {
				return // the loader reports it
			}
			for _, o := range rf.Options {
				if hasUserinfo(o.Value) {
					ck.warn(ruleCredentialsInURL, f.loc, fmt.Sprintf("%s:%d: --%s %s embeds credentials in the URL; name the index with INDEX <url> --secret=<id> in the Geolayerfile instead",
						name, o.Line, o.Name, redactUserinfo(o.Value)))
				}
			}
			for _, r := range rf.Requirements {
				if hasUserinfo(r.URL) {
					ck.warn(ruleCredentialsInURL, f.loc, fmt.Sprintf("%s:%d: the direct URL of %s (%s) embeds credentials; publish the package on an index named by INDEX --secret=<id>",
						name, r.Line, r.Name, redactUserinfo(r.URL)))
				}
			}
			for _, inc := range rf.Includes {
				walk(path.Clean(path.Join(path.Dir(name), inc.Path)), depth+1)
			}
		}
		walk(f.path, 0)
	}
}

// frontendArgs are build args the frontend reads itself: an ARG for them
// documents them and is not reported as unused.
var frontendArgs = map[string]bool{"GEOLAYER_INDEX_URL": true, "SOURCE_DATE_EPOCH": true}

func (ck *checker) unusedArgs(spec *instructions.Spec) {
	for _, ac := range spec.Args {
		for _, a := range ac.Args {
			if spec.UsedArgs[a.Name] || frontendArgs[a.Name] || strings.HasPrefix(a.Name, "BUILDKIT_") {
				continue
			}
			ck.warn(ruleUnusedArg, a.Location, fmt.Sprintf("ARG %s is declared but nothing refers to it ($%s or ${%s...}); RUN commands are not expanded and do not see ARGs: use it or remove it", a.Name, a.Name, a.Name))
		}
	}
}

func (ck *checker) missingTest(spec *instructions.Spec) {
	if len(spec.Tests) > 0 {
		return
	}
	ck.warn(ruleMissingTest, spec.Target.Location(), "no TEST: nothing imports the layer in the runtime image before it is exported; add one, e.g. TEST import <the packages the function uses>")
}

func (ck *checker) deprecatedRuntime(pl *plan, today time.Time) {
	for i, rt := range pl.runtimes {
		var loc []parser.Range
		if i < len(pl.spec.Target.Runtimes) {
			loc = pl.spec.Target.Runtimes[i].Location
		} else if i == 0 {
			loc = pl.spec.Target.Runtime.Location
		}
		ck.runtimeSupport(rt, loc, pl, today)
	}
}

// runtimeSupport warns when runtime rt (written at loc) is deprecated or
// past its end of support.
func (ck *checker) runtimeSupport(rt *profile.Runtime, loc []parser.Range, pl *plan, today time.Time) {
	status := rt.Support.Status(today)
	if status == "" {
		return
	}
	var supported []string
	for _, p := range profile.Profiles() {
		if p.Name != rt.Profile {
			continue
		}
		for _, r := range p.Runtimes {
			if r.Support.Status(today) == "" {
				supported = append(supported, r.Name)
			}
		}
	}
	msg := fmt.Sprintf("%s %s is %s", rt.Profile, rt.Name, status)
	if len(supported) > 0 {
		msg += fmt.Sprintf("; supported runtimes: %s", strings.Join(supported, ", "))
	}
	if rt.Support.Source != "" {
		msg += " (" + rt.Support.Source + ")"
	}
	if loc == nil {
		loc = pl.spec.Target.Location()
	}
	ck.warn(ruleDeprecatedRuntime, loc, msg)
}

// budget: BUDGET unzipped= above the platform's unzipped limit. The zipped
// limit is not compared: Lambda's 50 MB is the direct-upload limit, and a
// larger BUDGET zipped= is how a layer uploaded through S3 says so.
func (ck *checker) budget(spec *instructions.Spec, pl *plan) {
	b, limit := spec.Budget, pl.runtime.Limits.Unzipped
	if b == nil || b.Unzipped == nil || limit <= 0 || b.Unzipped.Bytes <= limit {
		return
	}
	ck.warn(ruleBudgetOverLimit, b.Unzipped.Location, fmt.Sprintf("BUDGET unzipped=%s (%s bytes) is above the %s limit of %s bytes unzipped: a layer that fits this budget can still be refused at deployment",
		b.Unzipped.Text, commas(b.Unzipped.Bytes), pl.runtime.Profile, commas(limit)))
}

func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// patterns: PRUNE/KEEP patterns written from the file system or the layer
// root instead of site-packages (see layoutPrefix).
func (ck *checker) patterns(spec *instructions.Spec, pl *plan) {
	check := func(verb string, v instructions.Value) {
		if msg := unmatchablePattern(verb, v.Value, pl.runtime); msg != "" {
			ck.warn(ruleUnmatchablePattern, v.Location, msg)
		}
	}
	for _, c := range spec.Commands {
		switch c := c.(type) {
		case *instructions.PruneCommand:
			for _, p := range c.Patterns {
				check("PRUNE", p)
			}
		case *instructions.KeepCommand:
			for _, p := range c.Patterns {
				check("KEEP", p)
			}
		}
	}
}

// unmatchablePattern reports a pattern that is anchored (a '/' at the
// start or inside) and whose leading literal folders are the layer's mount
// point (/opt/…) or the layout's path from the layer root to site-packages
// (python/lib/python3.X/site-packages/…, any 3.X). Patterns are relative to
// each package's site-packages, so such a pattern could only match a
// package that ships a folder named like the mount point, or a copy of the
// layer layout, at the top of site-packages; files outside site-packages
// are never pruned. It returns "" for any other pattern.
func unmatchablePattern(verb, pat string, rt *profile.Runtime) string {
	p := strings.TrimPrefix(pat, "!")
	p = strings.TrimSuffix(p, "/")
	lead := strings.HasPrefix(p, "/")
	p = strings.TrimPrefix(p, "/")
	segs := strings.Split(p, "/")
	if !lead && len(segs) < 2 {
		return "" // not anchored: matches at any depth
	}
	var lits []string
	for _, s := range segs {
		if s == "" || strings.ContainsAny(s, `*?[\`) {
			break
		}
		lits = append(lits, s)
	}
	mount := splitPath(rt.MountPoint)
	var site []string
	if sp := path.Clean(rt.Layout.SitePackages); sp != "." && sp != "" {
		site = splitPath(sp)
	}
	type cand struct {
		segs   []string
		toSite bool // the candidate ends at site-packages
	}
	var cands []cand
	if len(mount) > 0 && len(site) > 0 {
		cands = append(cands, cand{append(append([]string{}, mount...), site...), true})
	}
	if len(site) > 0 {
		cands = append(cands, cand{site, true})
	}
	if len(mount) > 0 {
		cands = append(cands, cand{mount, len(site) == 0})
	}
	for _, c := range cands {
		if !segPrefix(lits, c.segs) {
			continue
		}
		written := strings.Join(segs[:len(c.segs)], "/")
		if lead {
			written = "/" + written
		}
		siteShown := rt.Layout.SitePackages
		if siteShown == "." {
			siteShown = "the layer root"
		}
		msg := fmt.Sprintf("%s %q starts with %s, a path written from outside site-packages; patterns are relative to each package's site-packages (%s in the layer), so this one looks for %s inside it and in practice matches nothing",
			verb, pat, written, siteShown, strings.TrimPrefix(written, "/"))
		rest := segs[len(c.segs):]
		switch {
		case !c.toSite:
			msg += "; files outside site-packages are never pruned"
		case len(rest) == 0:
			msg += "; it names site-packages itself"
		default:
			fix := strings.Join(rest, "/")
			if len(rest) == 1 {
				fix = "/" + fix // stay anchored at site-packages
			}
			if strings.HasSuffix(pat, "/") {
				fix += "/"
			}
			if strings.HasPrefix(pat, "!") {
				fix = "!" + fix
			}
			msg += fmt.Sprintf("; write %q", fix)
		}
		return msg
	}
	return ""
}

func splitPath(p string) []string {
	p = strings.Trim(path.Clean("/"+p), "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

var pythonDirRe = regexp.MustCompile(`^python3\.[0-9]+$`)

// segPrefix reports whether want is a prefix of have, a pythonX.Y folder
// matching any other.
func segPrefix(have, want []string) bool {
	if len(have) < len(want) {
		return false
	}
	for i, w := range want {
		if have[i] != w && (!pythonDirRe.MatchString(have[i]) || !pythonDirRe.MatchString(w)) {
			return false
		}
	}
	return true
}

// testsRunnable: TEST on a platform that no worker of the builder runs
// (no emulation): skipped with a warning, or a failed build with
// --required.
func (ck *checker) testsRunnable(spec *instructions.Spec, pl *plan, runs func(ocispecs.Platform) bool) {
	var cannot []string
	for _, p := range pl.Platforms {
		if !runs(p) {
			cannot = append(cannot, platforms.Format(p))
		}
	}
	if len(cannot) == 0 {
		return
	}
	list := strings.Join(cannot, ", ")
	for _, tc := range spec.Tests {
		what := "is skipped"
		if tc.Required {
			what = "fails the build (TEST --required)"
		}
		ck.warn(ruleTestNotRunnable, tc.Location(), fmt.Sprintf("TEST %s for %s: the builder cannot run %s processes (no worker lists the platform); register QEMU binfmt emulation (qemu-user-static) on the builder or build on a machine of that architecture",
			what, list, list))
	}
}

// requirements: unpinned and unhashed requirements. Lock entries are
// pinned and hashed by construction (the loader refuses a wheel without
// sha256).
func (ck *checker) requirements(reqs []*requirement) {
	for _, r := range reqs {
		if r.lock != nil {
			continue
		}
		raw := redactUserinfo(r.Raw)
		if raw == "" {
			raw = redactUserinfo(r.String())
		}
		inline := r.source == "Geolayerfile"
		if r.version == "" && r.URL == "" {
			msg := fmt.Sprintf("%s is not pinned to one version with == or ===: pip resolves it at build time and BuildKit's cache keeps whatever it chose first; pin it, or write the chosen set with --target lock and build from REQUIRE --lock", raw)
			if !inline {
				msg = r.source + ": " + msg
			}
			ck.warn(ruleUnpinnedRequirement, r.loc, msg)
		}
		if len(r.sha256) == 0 {
			msg := fmt.Sprintf("%s has no sha256 hash, so the wheel is whatever the index serves under that name", raw)
			if inline {
				msg += "; a REQUIRE line cannot carry hashes: list it in a requirements file with --hash=sha256:<digest>, or use REQUIRE --lock with a pylock.toml (--target lock writes one)"
			} else {
				msg = r.source + ": " + msg + "; add --hash=sha256:<digest>, or use REQUIRE --lock with a pylock.toml (--target lock writes one)"
			}
			ck.warn(ruleUnhashedRequirement, r.loc, msg)
		}
	}
}
