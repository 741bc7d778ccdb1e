// Package conformance compares geolayer's parsers for Python packaging
// standards (PEP 440 versions and specifiers, PEP 508 requirements and
// markers, wheel file names, PEP 425 tags) with Python's `packaging`
// library, case by case. See docs/conformance.md.
//
// Generate makes the cases from committed seeds (the same cases on every
// machine and Go release: the random source is a hand-written splitmix64),
// Geolayer answers them with geolayer's packages, reference.py answers them
// with `packaging`, and Compare lists the differences that the allowlist
// (allowlist.txt, with the rules in deviations.go) does not explain.
package conformance

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/geolayer/geolayer/pkg/pyreq"
	"github.com/geolayer/geolayer/pkg/wheel"
)

// Case is one question put to both sides. Marker and requirement cases are
// evaluated in every environment of Envs.
type Case struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"`
	Input    string   `json:"input,omitempty"`
	Other    string   `json:"other,omitempty"`    // compare: the second version
	Versions []string `json:"versions,omitempty"` // specifier: versions to test
	Profile  *Profile `json:"profile,omitempty"`  // tags
	Atom     *Atom    `json:"atom,omitempty"`     // marker: the comparison, parsed
}

// Atom is a single marker comparison as generated: each side a variable
// name or a literal's value.
type Atom struct {
	Lhs    string `json:"lhs"`
	Op     string `json:"op"`
	Rhs    string `json:"rhs"`
	LhsVar bool   `json:"lhs_var,omitempty"`
	RhsVar bool   `json:"rhs_var,omitempty"`
}

// Profile is a target interpreter for the tags cases. Platforms is the
// --platform list geolayer passes to pip for it (frontend/pipresolve.go).
type Profile struct {
	Python    string   `json:"python"`
	Arch      string   `json:"arch"`
	Glibc     string   `json:"glibc"`
	Platforms []string `json:"platforms"`
}

// Kinds lists the case kinds in generation order.
var Kinds = []string{"version", "compare", "specifier", "marker", "marker-expr", "requirement", "wheel", "tags"}

// Seeds are the committed seeds, one per kind: changing one changes that
// kind's cases (and so the allowlist's case ids).
var Seeds = map[string]uint64{
	"version":     0x0440_0001,
	"compare":     0x0440_0002,
	"specifier":   0x0440_0003,
	"marker":      0x0508_0001,
	"marker-expr": 0x0508_0003,
	"requirement": 0x0508_0002,
	"wheel":       0x0427_0001,
}

// Counts is how many cases each kind gets (tags: every profile, see
// TagProfiles).
var Counts = map[string]int{
	"version":     3000,
	"compare":     2000,
	"specifier":   1500,
	"marker":      1500,
	"marker-expr": 1000,
	"requirement": 1500,
	"wheel":       1500,
}

// The target profiles geolayer builds for.
var (
	ProfilePythons = []string{"3.10", "3.11", "3.12", "3.13", "3.14"}
	ProfileArches  = []string{"x86_64", "aarch64"}
	ProfileGlibcs  = []string{"2.26", "2.31", "2.34", "2.35", "2.36", "2.39"}
)

// Envs are the marker environments every marker and requirement case is
// evaluated in: geolayer's own targets (pyreq.LinuxEnv) and environments
// whose values exercise the Version | String rules (kernel releases that
// are or are not versions, a pre-release and a non-PEP 440 Python, macOS
// and Windows values, requested extras).
func Envs() []map[string]string {
	with := func(env map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range env {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	return []map[string]string{
		pyreq.LinuxEnv("3.12", "x86_64"),
		pyreq.LinuxEnv("3.10", "aarch64"),
		pyreq.LinuxEnv("3.14.2", "arm64"),
		with(pyreq.LinuxEnv("3.13", "amd64"),
			"platform_release", "6.1.0-18-amd64",
			"platform_version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)",
			"extra", "test"),
		with(pyreq.LinuxEnv("3.11.4", "x86_64"),
			"platform_release", "5.10.0", "platform_version", "13", "extra", "Bar_Baz"),
		with(pyreq.LinuxEnv("3.13", "aarch64"),
			"python_full_version", "3.13.0rc1", "implementation_version", "3.13.0rc1"),
		with(pyreq.LinuxEnv("3.12", "arm64"),
			"python_full_version", "3.12.0+", "implementation_version", "3.12.0+",
			"sys_platform", "darwin", "platform_system", "Darwin", "platform_machine", "arm64",
			"platform_release", "14.5.0",
			"platform_version", "Darwin Kernel Version 14.5.0: Wed Jul 29 02:18:53 PDT 2015"),
		{
			"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows",
			"platform_machine": "AMD64", "platform_release": "10",
			"platform_version": "10.0.19041", "platform_python_implementation": "CPython",
			"implementation_name": "cpython", "implementation_version": "3.9.13",
			"python_version": "3.9", "python_full_version": "3.9.13", "extra": "",
		},
	}
}

// StableEnvs are the indexes in Envs of the environments marker-expr and
// requirement cases are evaluated in: all but the one whose Python version
// is not a PEP 440 version ("3.12.0+"), which the marker cases cover.
var StableEnvs = []int{0, 1, 2, 3, 4, 5, 7}

// EnvsFor returns the environments a case of kind is evaluated in.
func EnvsFor(kind string) []map[string]string {
	all := Envs()
	if kind == "marker" {
		return all
	}
	var out []map[string]string
	for _, i := range StableEnvs {
		out = append(out, all[i])
	}
	return out
}

// Generate returns every case, kind by kind, in a fixed order.
func Generate() []Case {
	var out []Case
	for _, k := range Kinds {
		out = append(out, GenerateKind(k)...)
	}
	return out
}

// GenerateKind returns the cases of one kind: the generated ones, then
// the hand-written ones of Fixed.
func GenerateKind(kind string) []Case {
	if kind == "tags" {
		return tagCases()
	}
	out := generated(kind)
	for i, c := range Fixed[kind] {
		c.ID = fmt.Sprintf("%s/fixed-%02d", kind, i)
		c.Kind = kind
		out = append(out, c)
	}
	return out
}

// Fixed are hand-written cases: the differences reported in issue 14 and
// the edges of each deviation rule.
var Fixed = map[string][]Case{
	"version": {
		{Input: "1.1pre-"}, {Input: "1.0.post_"}, {Input: "7+post.007"}, {Input: "1.0\x1c"},
		{Input: "1.0+\u212ax"}, {Input: "1.0.po\u017ft1"}, {Input: "99999999999999999999"},
		{Input: " v1!1.0-1 "}, {Input: "1.0.0.0.0"}, {Input: "1.0-"},
	},
	"compare": {
		{Input: "1.0+007", Other: "1.0+7"}, {Input: "1.1pre-", Other: "1.1rc0"},
		{Input: "1.0.post1", Other: "1.0-1"}, {Input: "1.0a1", Other: "1.0.dev1"},
		{Input: "1.0+abc", Other: "1.0+1"},
	},
	"specifier": {
		{Input: "===1.0", Versions: []string{"1.0", "1.00", "1.0.0", "1.0+x", "v1.0"}},
		{Input: "===", Versions: []string{"1.0"}},
		{Input: "~=1!1.0", Versions: []string{"1!1.5", "1.5", "1!2.0"}},
		{Input: "==1!1.0.*", Versions: []string{"1!1.0", "1!1.0.5", "1.0"}},
		{Input: "~=0.1.Dev", Versions: []string{"0.2.2", "0.1.5", "1.0"}},
		{Input: "<1.0.post1", Versions: []string{"1.0a1", "1.0"}},
		{Input: ">1.0.dev1", Versions: []string{"1.0.post1", "1.0"}},
		{Input: "==1.0.*, !=1.0.1", Versions: []string{"1.0", "1.0.1", "1.1"}},
	},
	"marker": {
		{Input: `"aarch64" < platform_machine`, Atom: &Atom{Lhs: "aarch64", Op: "<", Rhs: "platform_machine", RhsVar: true}},
		{Input: `platform_machine ~= "x86"`, Atom: &Atom{Lhs: "platform_machine", Op: "~=", Rhs: "x86", LhsVar: true}},
		{Input: `platform_machine === "x86_64"`, Atom: &Atom{Lhs: "platform_machine", Op: "===", Rhs: "x86_64", LhsVar: true}},
		{Input: `python_version === "3.12"`, Atom: &Atom{Lhs: "python_version", Op: "===", Rhs: "3.12", LhsVar: true}},
		{Input: `platform_release >= "5"`, Atom: &Atom{Lhs: "platform_release", Op: ">=", Rhs: "5", LhsVar: true}},
		{Input: `"a" == "a"`, Atom: &Atom{Lhs: "a", Op: "==", Rhs: "a"}},
		{Input: `os_name == platform_system`, Atom: &Atom{Lhs: "os_name", Op: "==", Rhs: "platform_system", LhsVar: true, RhsVar: true}},
		{Input: `os.name == "posix"`, Atom: &Atom{Lhs: "os.name", Op: "==", Rhs: "posix", LhsVar: true}},
		{Input: `"test" in extras`, Atom: &Atom{Lhs: "test", Op: "in", Rhs: "extras", RhsVar: true}},
	},
	"marker-expr": {
		{Input: `os_name == "posix" "b"`}, {Input: `os_name == "p\x6fsix"`},
		{Input: `os_name=="posix"and os_name=="posix"`}, {Input: `os_name == "posix")`},
	},
	"requirement": {
		{Input: "foo>=1.0,"}, {Input: "foo @ https://x/a.whl;python_version>'3'"},
		{Input: "foo @ https://x/a.whl ; python_version>'3'"}, {Input: "foo @ foo:bar"},
		{Input: "foo[]"}, {Input: "foo (>=1.0)"}, {Input: "foo===1.0, >=2"}, {Input: "foo===1.0,>=2"},
		{Input: "foo_ [a]"}, {Input: "Foo.Bar[Baz_Qux] >=1.0, <2 ; python_version >= '3.8' and extra == 'Baz-Qux'"},
	},
	"wheel": {
		{Input: "foo-1.1pre_-py3-none-any.whl"}, {Input: "foo-1.0-py3-none-any+x.whl"},
		{Input: "-1.0-py3-none-any.whl"}, {Input: "foo-1.0-py3..py2-none-any.whl"},
		{Input: "foo-1.0-\u0663-py3-none-any.whl"}, {Input: "x\u00b2-1.0-py3-none-any.whl"},
		{Input: "Foo_Bar-1.0-01abc-cp312-abi3.cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"},
	},
}

func generated(kind string) []Case {
	g := &gen{r: rng{s: Seeds[kind]}}
	var out []Case
	for i := 0; i < Counts[kind]; i++ {
		c := Case{ID: fmt.Sprintf("%s/%05d", kind, i), Kind: kind}
		switch kind {
		case "version":
			c.Input = g.version()
		case "compare":
			c.Input, c.Other = g.comparePair()
		case "specifier":
			c.Input, c.Versions = g.specifierCase()
		case "marker":
			c.Atom = g.markerAtom(i)
			c.Input = g.atomText(c.Atom)
		case "marker-expr":
			c.Input = g.markerCase()
		case "requirement":
			c.Input = g.requirement()
		case "wheel":
			c.Input = g.wheelName()
		default:
			panic("unknown kind " + kind)
		}
		out = append(out, c)
	}
	return out
}

func tagCases() []Case {
	var out []Case
	for _, py := range ProfilePythons {
		for _, arch := range ProfileArches {
			for _, gl := range ProfileGlibcs {
				p := &Profile{Python: py, Arch: arch, Glibc: gl}
				// The --platform list of frontend/pipresolve.go.
				tags, err := wheel.TargetTags(wheel.Target{PythonVersion: py, Arch: arch, Glibc: gl})
				if err == nil {
					seen := map[string]bool{}
					for _, t := range tags {
						if t.Platform != "any" && !seen[t.Platform] {
							seen[t.Platform] = true
							p.Platforms = append(p.Platforms, t.Platform)
						}
					}
				}
				out = append(out, Case{
					ID:      fmt.Sprintf("tags/cp%s-%s-glibc%s", strings.ReplaceAll(py, ".", ""), arch, gl),
					Kind:    "tags",
					Profile: p,
				})
			}
		}
	}
	return out
}

// rng is splitmix64: small, and fixed forever (math/rand's streams may
// change between Go releases; the allowlist names cases by index).
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// n returns a number in [0, k).
func (r *rng) n(k int) int { return int(r.next() % uint64(k)) }

// p is true pct percent of the time.
func (r *rng) p(pct int) bool { return r.n(100) < pct }

func pick[T any](r *rng, xs []T) T { return xs[r.n(len(xs))] }

type gen struct{ r rng }

// ---------------------------------------------------------------- versions

// vparts is a version before spelling: numbers as decimal strings.
type vparts struct {
	epoch   string
	release []string
	pre     string // "a", "b", "rc" or "" (spelled by spellVersion)
	preN    string // "" for an implicit number
	post    bool
	postN   string
	dev     bool
	devN    string
	local   []string
}

func (g *gen) num() string {
	r := &g.r
	switch x := r.n(100); {
	case x < 55:
		return strconv.Itoa(r.n(10))
	case x < 75:
		return strconv.Itoa(r.n(100))
	case x < 85:
		return strconv.Itoa(2000 + r.n(30))
	case x < 92:
		return "0" + strconv.Itoa(r.n(10))
	case x < 99:
		return strconv.Itoa(r.n(1000000))
	default:
		return pick(r, []string{"00", "000", "4294967296", "9223372036854775807", "18446744073709551616", "123456789012345678901234567890"})
	}
}

func (g *gen) smallNum() string { return strconv.Itoa(g.r.n(3)) }

func (g *gen) randParts() vparts {
	r := &g.r
	var v vparts
	if r.p(8) {
		v.epoch = pick(r, []string{"0", "1", "2", "01", "10"})
	}
	for n := 1 + r.n(4); n > 0; n-- {
		v.release = append(v.release, g.num())
	}
	g.decorate(&v, false)
	return v
}

// decorate adds pre, post, dev and local parts; small keeps their numbers
// in 0..2 so that related versions collide.
func (g *gen) decorate(v *vparts, small bool) {
	r := &g.r
	n := g.num
	if small {
		n = g.smallNum
	}
	if r.p(30) {
		v.pre = pick(r, []string{"a", "b", "rc"})
		if !r.p(15) {
			v.preN = n()
		}
	}
	if r.p(20) {
		v.post = true
		if !r.p(15) {
			v.postN = n()
		}
	}
	if r.p(20) {
		v.dev = true
		if !r.p(15) {
			v.devN = n()
		}
	}
	if r.p(12) {
		for k := 1 + r.n(3); k > 0; k-- {
			v.local = append(v.local, g.localSeg())
		}
	}
}

func (g *gen) localSeg() string {
	r := &g.r
	switch r.n(4) {
	case 0:
		return g.smallNum()
	case 1:
		return strconv.Itoa(r.n(20))
	case 2:
		return pick(r, []string{"ubuntu", "cu121", "cpu", "abc", "git", "Local", "g1a2b3c", "0abc", "007"})
	default:
		return pick(r, []string{"a", "b", "z", "x1", "dev", "post"})
	}
}

var (
	sepsOpt  = []string{"", "", "", ".", "-", "_"}
	preWords = map[string][]string{
		"a":  {"a", "a", "alpha", "A", "Alpha"},
		"b":  {"b", "b", "beta", "B", "BETA"},
		"rc": {"rc", "rc", "c", "pre", "preview", "RC", "Pre", "C"},
	}
	postWords = []string{"post", "post", "post", "rev", "r", "POST", "Rev"}
	devWords  = []string{"dev", "dev", "dev", "DEV", "Dev"}
)

// numSuffix spells the number after a phase word: "N", ".N", "-N", "_N",
// nothing, or a lone separator (an implicit 0, as in "1.1pre-").
func (g *gen) numSuffix(n string) string {
	r := &g.r
	if n == "" {
		if r.p(20) {
			return pick(r, []string{".", "-", "_"})
		}
		return ""
	}
	return pick(r, sepsOpt) + n
}

// spellVersion writes v with random normalization-equivalent spellings
// unless canonical is set.
func (g *gen) spellVersion(v vparts, canonical bool) string {
	r := &g.r
	var b strings.Builder
	if !canonical && r.p(6) {
		b.WriteString(pick(r, []string{"v", "V"}))
	}
	if v.epoch != "" {
		b.WriteString(v.epoch + "!")
	}
	b.WriteString(strings.Join(v.release, "."))
	if v.pre != "" {
		if canonical {
			b.WriteString(v.pre + zeroIfEmpty(v.preN))
		} else {
			b.WriteString(pick(r, sepsOpt) + pick(r, preWords[v.pre]) + g.numSuffix(v.preN))
		}
	}
	if v.post {
		switch {
		case canonical:
			b.WriteString(".post" + zeroIfEmpty(v.postN))
		case v.postN != "" && r.p(25):
			b.WriteString("-" + v.postN)
		default:
			b.WriteString(pick(r, sepsOpt) + pick(r, postWords) + g.numSuffix(v.postN))
		}
	}
	if v.dev {
		if canonical {
			b.WriteString(".dev" + zeroIfEmpty(v.devN))
		} else {
			b.WriteString(pick(r, sepsOpt) + pick(r, devWords) + g.numSuffix(v.devN))
		}
	}
	if len(v.local) > 0 {
		b.WriteString("+")
		for i, s := range v.local {
			if i > 0 {
				if canonical {
					b.WriteString(".")
				} else {
					b.WriteString(pick(r, []string{".", ".", "-", "_"}))
				}
			}
			b.WriteString(s)
		}
	}
	return b.String()
}

func zeroIfEmpty(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// version returns a version string: mostly valid spellings, a quarter
// mutated (most of those invalid).
func (g *gen) version() string {
	r := &g.r
	s := g.spellVersion(g.randParts(), r.p(20))
	if r.p(5) {
		s = pick(r, []string{" ", "  ", "\t", "\n", "\r\n", "\f", "\v"}) + s + pick(r, []string{"", " ", "\n", "\t "})
	}
	if r.p(25) {
		s = g.mutate(s)
	}
	return s
}

// confusables are characters Python's case-insensitive Unicode regexes
// match as ASCII letters (ſ=s, ı=i, K=k) and digits and spaces from other
// scripts.
var confusables = []string{"ſ", "ı", "K", "٣", "１", "²", "\u00a0", "\u2003", "\x1c", "\x85", "é"}

func (g *gen) mutate(s string) string {
	r := &g.r
	switch r.n(9) {
	case 0: // insert a character
		i := r.n(len(s) + 1)
		return s[:i] + pick(r, strings.Split("!@#$%^&*()[]{};:'\",<>/?`~ =+-_.abcxyzPpDdRr0", "")) + s[i:]
	case 1: // delete a byte (ASCII input)
		if len(s) > 1 {
			i := r.n(len(s))
			return s[:i] + s[i+1:]
		}
		return ""
	case 2: // double a separator
		for _, sep := range []string{".", "-", "_", "+", "!"} {
			if i := strings.Index(s, sep); i >= 0 {
				return s[:i] + sep + s[i:]
			}
		}
		return s + ".."
	case 3:
		return s + pick(r, []string{".*", "..", "+", "!", "-", "_", ".", "+local+x", " 1", "a", "post", "dev", "+ ", "-dev", ".post-", "a.b", "-1", "-a", "rc.", ".r", "++"})
	case 4:
		return pick(r, []string{"v", "V", "vv", "!", "+", ".", "-", "1!", "!1", "a", "x"}) + s
	case 5: // confusable Unicode
		return strings.NewReplacer("s", "ſ", "i", "ı", "k", "K").Replace(s) + pick(r, []string{"", "+ſ", "+Kx", ".poſt1", ".prevıew"})
	case 6:
		i := r.n(len(s) + 1)
		return s[:i] + pick(r, confusables) + s[i:]
	case 7:
		return pick(r, []string{"", " ", "latest", "1.0.*", "1.*", "*", "1.0.x", "dev", "1..0", ".1", "1.", "1.0-", "1.0+", "1.0+.x", "1.0+x..y", "1!", "1.0.post.dev.", "1.0-r-1", "1.0c1", "1.0rc1.post-1", "1.0_a_1_post_1_dev_1", "1.0a1-1", "2!1.0", "0!0.0", "1.0abc", "1.0.alpha1.beta2"})
	default: // case flip
		return strings.ToUpper(s)
	}
}

// comparePair returns two versions of one family (same release, related
// suffixes, equivalent spellings) four times in five.
func (g *gen) comparePair() (string, string) {
	r := &g.r
	if r.p(20) {
		return g.version(), g.version()
	}
	base := g.family()
	a, b := g.relative(base), g.relative(base)
	sa, sb := g.spellVersion(a, r.p(30)), g.spellVersion(b, r.p(30))
	if r.p(3) {
		sb = g.mutate(sb)
	}
	return sa, sb
}

// family returns a short release segment (and sometimes an epoch).
func (g *gen) family() vparts {
	r := &g.r
	v := vparts{}
	if r.p(5) {
		v.epoch = pick(r, []string{"0", "1"})
	}
	for n := 1 + r.n(3); n > 0; n-- {
		v.release = append(v.release, strconv.Itoa(r.n(3)))
	}
	return v
}

// relative returns a version close to base: trailing zeros added or a
// segment bumped, and small pre/post/dev/local parts.
func (g *gen) relative(base vparts) vparts {
	r := &g.r
	v := vparts{epoch: base.epoch, release: append([]string(nil), base.release...)}
	switch r.n(6) {
	case 0:
		v.release = append(v.release, "0")
	case 1:
		v.release = append(v.release, "0", "0")
	case 2:
		i := r.n(len(v.release))
		n, _ := strconv.Atoi(v.release[i])
		v.release[i] = strconv.Itoa(n + 1)
	case 3:
		if len(v.release) > 1 {
			v.release = v.release[:len(v.release)-1]
		}
	}
	if r.p(4) {
		v.epoch = pick(r, []string{"", "1"})
	}
	g.decorate(&v, true)
	return v
}

// -------------------------------------------------------------- specifiers

func (g *gen) specClause(base vparts) string {
	r := &g.r
	op := pick(r, []string{"==", "==", "==", "!=", "!=", "<=", ">=", ">=", "<", ">", "~=", "~=", "==="})
	v := g.relative(base)
	wild := false
	switch op {
	case "==", "!=":
		wild = r.p(30)
		if wild && !r.p(10) {
			v.pre, v.post, v.dev, v.local = "", false, false, nil
		}
	case "~=":
		if len(v.release) < 2 && r.p(80) {
			v.release = append(v.release, "0")
		}
		if r.p(90) {
			v.local = nil
		}
	default:
		if r.p(90) {
			v.local = nil
		}
		wild = r.p(3)
	}
	var text string
	if op == "===" && r.p(40) {
		text = pick(r, []string{"foo", "1.0.*", "1.0", "1.0.0", "v1.0", "1.0+Local", "latest", "2020.01", "1.0)", "1.0;x"})
	} else {
		text = g.spellVersion(v, r.p(40))
	}
	if wild {
		text += ".*"
	}
	ws := func() string {
		if r.p(80) {
			return ""
		}
		return pick(r, []string{" ", "  ", "\t"})
	}
	return ws() + op + ws() + text + ws()
}

func (g *gen) specSet(base vparts) string {
	r := &g.r
	var clauses []string
	for n := 1 + r.n(3); n > 0; n-- {
		clauses = append(clauses, g.specClause(base))
	}
	s := strings.Join(clauses, pick(r, []string{",", ",", ", ", " ,"}))
	if r.p(4) {
		s += ","
	}
	if r.p(8) {
		s = g.mutateSpec(s)
	}
	return s
}

func (g *gen) mutateSpec(s string) string {
	r := &g.r
	switch r.n(5) {
	case 0:
		return pick(r, []string{"=>", "=<", "=", "~", "!==", "<>", "==="}) + g.spellVersion(g.family(), true)
	case 1:
		return g.spellVersion(g.family(), true)
	case 2:
		return s + pick(r, []string{",,", ", ,", " ; ", " x", "*", ".*.*", "-"})
	case 3:
		return pick(r, []string{",", "", " ", ">= ", "== 1.0 .*", "==1.*.0", "~=1", "~=1.*", "<=1.0.*", ">1.0+local", "==1.0a1.*", "==1.0+abc.*", "===", "=== ", "==1.0 ==2.0"})
	default:
		i := r.n(len(s) + 1)
		return s[:i] + pick(r, confusables) + s[i:]
	}
}

func (g *gen) specifierCase() (string, []string) {
	r := &g.r
	base := g.family()
	spec := g.specSet(base)
	var vs []string
	for i := 0; i < 10; i++ {
		switch {
		case r.p(3):
			vs = append(vs, g.version())
		case r.p(10):
			vs = append(vs, g.spellVersion(g.relative(g.family()), true))
		default:
			vs = append(vs, g.spellVersion(g.relative(base), r.p(50)))
		}
	}
	return spec, vs
}

// ----------------------------------------------------------------- markers

var (
	versionVars = []string{"python_version", "python_full_version", "implementation_version"}
	vsVars      = []string{"platform_release", "platform_version"}
	stringVars  = []string{"os_name", "sys_platform", "platform_machine", "platform_python_implementation",
		"platform_system", "implementation_name"}
	aliasVars = []string{"os.name", "sys.platform", "platform.version", "platform.machine",
		"platform.python_implementation", "python_implementation"}
	setVars = []string{"extras", "dependency_groups"}
	// allVars: every marker variable, each alias, and the PEP 751 sets.
	allVars   = concat(versionVars, vsVars, stringVars, []string{"extra"}, aliasVars, setVars)
	markerOps = []string{"==", "!=", "<", "<=", ">", ">=", "~=", "===", "in", "not in"}
	// plainVals never parse as versions.
	plainVals = []string{"x86_64", "aarch64", "arm64", "AMD64", "linux", "Linux", "posix", "nt", "win32",
		"darwin", "Darwin", "Windows", "CPython", "cpython", "PyPy", "pypy", "x86", "arch", "", "SMP", "Debian"}
	// versionyVals do (some only as specifiers or as prefixes).
	versionyVals = []string{"5.10", "5.10.0", "6.1", "6.1.0-18-amd64", "14.5.0", "13", "10", "10.0.19041", "64", "1.0.*", "#1 SMP"}
	versionVals  = []string{"3", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15", "2.7",
		"3.10.0", "3.12.1", "3.13.0", "3.14.2", "3.13.0rc1", "3.12.0+", "3.12.*", "3.1*", "3.*", "3.13.0a1",
		"3.11.4", "abc", "3.x", "", "3.12 ", " 3.12", "3.10.dev0", "4", "0"}
	extraVals = []string{"test", "Test", "bar_baz", "Bar-Baz", "bar.baz", "socks", "dev", "", "TEST"}
)

func concat(xs ...[]string) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x...)
	}
	return out
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func (g *gen) ws() string {
	r := &g.r
	switch r.n(10) {
	case 0:
		return ""
	case 1:
		return "  "
	case 2:
		return "\t"
	default:
		return " "
	}
}

func (g *gen) quote(s string) string {
	r := &g.r
	q := pick(r, []string{"'", "\""})
	if strings.Contains(s, q) {
		q = map[string]string{"'": "\"", "\"": "'"}[q]
	}
	return q + s + q
}

// markerAtom returns the i-th single comparison: the first ones go through
// every variable with every operator, then random ones, mostly a variable
// against a literal of its own type, some against other literals, on
// either side, some between two literals or two variables.
func (g *gen) markerAtom(i int) *Atom {
	r := &g.r
	var v, op string
	if i < len(allVars)*len(markerOps) {
		v, op = allVars[i/len(markerOps)], markerOps[i%len(markerOps)]
	} else {
		v, op = g.markerVar(), pick(r, markerOps)
	}
	a := &Atom{Op: op}
	val := g.markerValue(v, op)
	switch x := r.n(100); {
	case contains(setVars, v):
		a.Lhs, a.Rhs, a.RhsVar = pick(r, extraVals), v, true
		if r.p(20) {
			a.Lhs, a.Rhs, a.LhsVar, a.RhsVar = v, a.Lhs, true, false
		}
	case x < 70:
		a.Lhs, a.Rhs, a.LhsVar = v, val, true
	case x < 92:
		a.Lhs, a.Rhs, a.RhsVar = val, v, true
	case x < 96:
		a.Lhs, a.Rhs = val, g.markerValue(v, op)
	default:
		a.Lhs, a.Rhs, a.LhsVar, a.RhsVar = v, g.markerVar(), true, true
	}
	return a
}

func (g *gen) markerVar() string {
	r := &g.r
	switch x := r.n(100); {
	case x < 28:
		return pick(r, versionVars)
	case x < 42:
		return pick(r, vsVars)
	case x < 78:
		return pick(r, stringVars)
	case x < 90:
		return "extra"
	case x < 96:
		return pick(r, aliasVars)
	default:
		return pick(r, setVars)
	}
}

// markerValue returns a literal suited (mostly) to variable v.
func (g *gen) markerValue(v, op string) string {
	r := &g.r
	var pool []string
	switch {
	case v == "extra":
		pool = extraVals
	case contains(versionVars, v):
		pool = versionVals
	case contains(vsVars, v) || v == "platform.version":
		pool = concat(versionyVals, versionVals[:12], plainVals[:4])
	default:
		pool = plainVals
	}
	if r.p(12) {
		pool = concat(plainVals, versionyVals, versionVals)
	}
	s := pick(r, pool)
	if strings.HasSuffix(op, "in") && len(s) > 2 && r.p(50) {
		i := r.n(len(s) - 1)
		s = s[i : i+1+r.n(len(s)-i)] // a substring
	}
	return s
}

// atomText spells a in marker syntax with random quoting and spacing.
func (g *gen) atomText(a *Atom) string {
	r := &g.r
	side := func(s string, isVar bool) string {
		if isVar {
			return s
		}
		return g.quote(s)
	}
	sep := g.ws
	if a.Op == "in" || a.Op == "not in" {
		sep = func() string {
			if r.p(90) {
				return pick(r, []string{" ", " ", "  ", "\t"})
			}
			return "" // "'a'in os_name" is valid; "os_namein'a'" is not
		}
	}
	op := a.Op
	if op == "not in" && r.p(10) {
		op = pick(r, []string{"not  in", "not\tin"})
	}
	return side(a.Lhs, a.LhsVar) + sep() + op + sep() + side(a.Rhs, a.RhsVar)
}

// stableAtom returns a comparison whose meaning packaging has not changed
// across releases: version variables against versions, string variables
// with ==, !=, in and not in against plain strings, extra == and !=.
func (g *gen) stableAtom() string {
	r := &g.r
	var v, op, val string
	switch x := r.n(100); {
	case x < 40:
		v = pick(r, versionVars)
		op = pick(r, []string{"==", "==", "!=", "<", "<=", ">", ">=", ">=", "~=", "==="})
		switch op {
		case "~=":
			val = pick(r, []string{"3.8", "3.10", "3.12", "3.12.1", "3.13.0", "2.7"})
		case "==", "!=":
			val = pick(r, []string{"3.12", "3.13", "3.12.*", "3.1*", "3.13.0rc1", "3.*", "3.10.0", "2.7", "3.12.0"})
			if val == "3.1*" {
				val = "3.1.*"
			}
		case "===":
			val = pick(r, []string{"3.12", "3.12.0", "3.13.0rc1", "3.10"})
		default:
			val = pick(r, []string{"3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.12.1", "3.13.0rc1", "3.13.0a1", "3"})
		}
	case x < 80:
		v = pick(r, concat(stringVars, stringVars, aliasVars))
		if v == "platform.version" {
			v = "platform.machine"
		}
		op = pick(r, []string{"==", "==", "!=", "in", "not in"})
		val = pick(r, plainVals)
		if strings.HasSuffix(op, "in") && len(val) > 2 && r.p(50) {
			i := r.n(len(val) - 1)
			val = val[i : i+1+r.n(len(val)-i)]
		}
	default:
		v, op = "extra", pick(r, []string{"==", "==", "!="})
		val = pick(r, extraVals)
	}
	a := &Atom{Op: op}
	if r.p(75) || strings.Contains(val, "*") || op == "~=" {
		// A literal on the left is the version tested against the
		// variable's value: it cannot be a wildcard, and ~= would test
		// the value as a specifier.
		a.Lhs, a.Rhs, a.LhsVar = v, val, true
	} else {
		a.Lhs, a.Rhs, a.RhsVar = val, v, true
	}
	text := g.atomText(a)
	if r.p(4) {
		// A Python escape in the literal: \x78 is "x", \u00e9 "é".
		text = strings.Replace(text, "x", `\x78`, 1)
		text = strings.Replace(text, "é", `\u00e9`, 1)
		text = strings.Replace(text, "in\"", "\\x69n\"", 1)
	}
	return text
}

func (g *gen) markerExpr(depth int) string {
	r := &g.r
	if depth >= 3 || r.p(45) {
		a := g.stableAtom()
		if r.p(8) {
			return "(" + g.ws() + a + g.ws() + ")"
		}
		return a
	}
	l, rr := g.markerExpr(depth+1), g.markerExpr(depth+1)
	op := pick(r, []string{"and", "or"})
	e := l + pick(r, []string{" ", " ", "  ", "\t"}) + op + pick(r, []string{" ", " ", "  "}) + rr
	if r.p(45) {
		e = "(" + e + ")"
	}
	return e
}

func (g *gen) markerCase() string {
	r := &g.r
	m := g.markerExpr(0)
	if r.p(4) {
		m = g.ws() + m + g.ws()
	}
	if r.p(12) {
		m = g.mutateMarker(m)
	}
	return m
}

func (g *gen) mutateMarker(m string) string {
	r := &g.r
	switch r.n(9) {
	case 0:
		return strings.Replace(m, "(", "", 1)
	case 1:
		return strings.Replace(m, ")", "", 1)
	case 2:
		if i := strings.IndexAny(m, `'"`); i >= 0 {
			return m[:i] + m[i+1:]
		}
		return m + "'"
	case 3:
		return m + pick(r, []string{` "b"`, " )", " and", " or x", " garbage", ")", " extra", " ==", ` 'x'`})
	case 4:
		return strings.NewReplacer("python_version", "python_versions", "os_name", "os_nam", "extra", "Extra").Replace(m)
	case 5:
		return strings.NewReplacer(" and ", " AND ", " or ", " || ").Replace(m)
	case 6:
		return strings.NewReplacer("==", "=", "<=", "=<", "not in", "notin", "!=", "<>").Replace(m)
	case 7:
		return strings.Replace(m, "'", `'\xg`, 1) // a bad escape
	default:
		return pick(r, []string{"", " ", "()", "and", "os_name", `"a"`, `os_name == `, `== "a"`, `os_name ==! "a"`, `(os_name == "posix"`, `os_name == "posix" and (python_version >= "3")`, `os_name == 'a\'`, "os_name == 'a\nb'", `os_name == '\N{DASH}'`})
	}
}

// ------------------------------------------------------------ requirements

func (g *gen) projectName() string {
	r := &g.r
	if r.p(8) {
		return pick(r, []string{"", "-foo", "foo-", "foo_", ".foo", "fo o", "foo!", "_", "f", "9", "a-", "a.b-c_d", "Foo__Bar", "foo--bar", "café", "x86-64", "zope.interface", "ruamel.yaml", "Django", "PyYAML"})
	}
	words := []string{"foo", "Bar", "requests", "numpy", "zope", "interface", "a", "x1", "py", "lib", "Data", "9"}
	s := pick(r, words)
	for n := r.n(3); n > 0; n-- {
		s += pick(r, []string{"-", "_", ".", "", "--", "._"}) + pick(r, words)
	}
	return s
}

func (g *gen) extras() string {
	r := &g.r
	if r.p(12) {
		return pick(r, []string{"[]", "[ ]", "[a,]", "[,a]", "[a b]", "[-a]", "[a", "a]", "[a,,b]", "[a;b]", "[a.]", "[*]"})
	}
	var xs []string
	for n := 1 + r.n(3); n > 0; n-- {
		xs = append(xs, pick(r, []string{"socks", "Security", "dev_tools", "test", "a", "b-c", "c.d", "TEST", "x1"}))
	}
	sep := pick(r, []string{",", ", ", " , "})
	return g.ws() + "[" + pick(r, []string{"", " "}) + strings.Join(xs, sep) + pick(r, []string{"", " "}) + "]"
}

var urls = []string{
	"https://files.example.org/packages/foo-1.0-py3-none-any.whl",
	"https://files.example.org/packages/foo-1.0-py3-none-any.whl#sha256=0123abcd",
	"http://example.org/foo-1.0.tar.gz",
	"https://example.org/p?x=1;y=2",
	"https://user:pw@example.org:8443/a/b.whl",
	"file:///tmp/foo-1.0-py3-none-any.whl",
	"file://localhost/tmp/foo.whl",
	"file:/tmp/foo.whl",
	"file:foo.whl",
	"file:///tmp/x?",
	"git+https://github.com/pypa/pip.git@22.0#egg=pip",
	"git+ssh://git@github.com/a/b.git",
	"foo:bar",
	"./local/dir",
	"foo",
	"http://",
	"https:/example.org/x.whl",
	"ftp://example.org/x.whl",
	"HTTPS://EXAMPLE.ORG/X.whl",
	"https://[::1]:8000/x.whl",
	"https://[::1/x.whl",
}

func (g *gen) requirement() string {
	r := &g.r
	var b strings.Builder
	if r.p(4) {
		b.WriteString(g.ws())
	}
	b.WriteString(g.projectName())
	if r.p(25) {
		b.WriteString(g.extras())
	}
	hasURL := r.p(12)
	if hasURL {
		b.WriteString(pick(r, []string{" @ ", "@", " @", "@ ", "  @  "}) + pick(r, urls))
		if r.p(40) {
			b.WriteString(pick(r, []string{" ; ", " ;", ";", "\t; ", " "}) + g.markerExpr(1))
		}
	} else {
		if r.p(65) {
			spec := g.specSet(g.family())
			switch {
			case r.p(10):
				spec = "(" + spec + ")"
			case r.p(3):
				spec = "(" + spec
			}
			b.WriteString(pick(r, []string{"", "", " ", "  "}) + spec)
		}
		if r.p(35) {
			b.WriteString(pick(r, []string{"; ", " ; ", ";", " ;"}) + g.markerExpr(1))
		}
	}
	s := b.String()
	if r.p(8) {
		s = g.mutateRequirement(s)
	}
	return s
}

func (g *gen) mutateRequirement(s string) string {
	r := &g.r
	switch r.n(6) {
	case 0:
		return s + pick(r, []string{";", "; ", " #comment", " ;  ", ",", " x", "\n"})
	case 1:
		return strings.Replace(s, ";", "", 1)
	case 2:
		return strings.Replace(s, ",", ",,", 1)
	case 3:
		return pick(r, []string{"", " ", "@ https://x/y.whl", "[a]", ">=1.0", "; os_name == 'a'"})
	case 4:
		return s + " " + s
	default:
		i := r.n(len(s) + 1)
		return s[:i] + pick(r, []string{"!", "(", ")", "[", "]", "@", "~", "\t"}) + s[i:]
	}
}

// ---------------------------------------------------------- wheel names

func (g *gen) wheelName() string {
	r := &g.r
	name := pick(r, []string{"foo", "Foo_Bar", "foo.bar", "zope.interface", "numpy", "a", "A1", "x_y_z", "PyYAML", "ruamel.yaml.clib", "9lives", "my_pkg2"})
	if r.p(8) {
		name = pick(r, []string{"", "foo__bar", "foo-bar", "café", "naïve_pkg", "x²", "Ⅻ", "foo bar", "foo!", ".foo", "foo.", "_foo", "foo_", "été"})
	}
	var ver string
	switch {
	case r.p(75):
		v := g.randParts()
		ver = g.spellVersion(v, r.p(40))
	case r.p(50):
		ver = g.version()
	default:
		ver = pick(r, []string{"1.0", "1.0-1", "1.1pre-", "1.0pre_", "1.0.post_", "1.0dev.", "1.0a.b", " 1.0", "1.0 ", "V1.0", "1!2.0", "1.0+local", "1.0+ſ", "latest", ""})
	}
	parts := []string{name, ver}
	if r.p(20) {
		parts = append(parts, pick(r, []string{"1", "01", "0", "2abc", "123_x", "10", "a1", "", "1.2", "٣", "1\nx", "9999999999999999999999"}))
	}
	py := pick(r, []string{"py3", "py3", "py2.py3", "cp312", "cp39.cp310", "PY3", "pp310", "py3.py2", "cp313", "cp314"})
	abi := pick(r, []string{"none", "none", "abi3", "cp312", "cp312t", "cp313.abi3", "NONE", "cp39"})
	plat := pick(r, []string{"any", "any", "manylinux_2_17_x86_64.manylinux2014_x86_64", "linux_x86_64", "win_amd64",
		"macosx_11_0_arm64", "musllinux_1_1_aarch64", "manylinux_2_28_aarch64", "manylinux1_x86_64.manylinux2010_x86_64", "any.any"})
	if r.p(6) {
		switch r.n(3) {
		case 0:
			py = pick(r, []string{"", "py3..py2", ".py3", "py 3", "py3!", "3", "py-3", "ƥy3", "py3."})
		case 1:
			abi = pick(r, []string{"", "..", "abi3.", "none!", "NoNe", "ſ"})
		default:
			plat = pick(r, []string{"", "any.", "x86-64", "any!", "linux_x86_64.", "Any", "manylinux_2_17_x86_64..any"})
		}
	}
	parts = append(parts, py, abi, plat)
	s := strings.Join(parts, "-")
	switch {
	case r.p(92):
		s += ".whl"
	default:
		s += pick(r, []string{".WHL", ".zip", ".whl.metadata", ".whl\n", "", ".tar.gz", ".whl "})
	}
	if r.p(2) {
		s = pick(r, []string{"dir/", " ", "./"}) + s
	}
	return s
}
