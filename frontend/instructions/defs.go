package instructions

import (
	"fmt"
	"slices"
	"strings"

	"github.com/geolayer/geolayer/frontend/parser"
)

type flagKind int

const (
	boolFlag  flagKind = iota // --name or --name=true|false
	valueFlag                 // --name=value, expanded
	rawFlag                   // --name=value, expanded later by the instruction
)

type flagDef struct {
	name   string
	kind   flagKind
	enum   []string // allowed values of a valueFlag, if restricted
	repeat bool
	usage  string // shown in errors, e.g. "--secret=<id>"
}

type instrDef struct {
	name  string
	usage string
	flags []flagDef
	load  func(ld *loader, n *parser.Node, fl flagSet) error
}

func (d *instrDef) flag(name string) *flagDef {
	for i := range d.flags {
		if d.flags[i].name == name {
			return &d.flags[i]
		}
	}
	return nil
}

var instrDefs map[string]*instrDef

// instrOrder is the documented order of instructions, used for suggestions.
var instrOrder = []string{
	"ARG", "TARGET", "PLATFORM", "INDEX", "REQUIRE", "PRUNE", "KEEP", "STRIP",
	"BYTECODE", "BUDGET", "TEST", "ENV", "CHECK", "BUILD", "RUN",
}

func init() {
	defs := []*instrDef{
		{name: "ARG", usage: "ARG <name>[=<default>]...", load: (*loader).loadArg},
		{name: "TARGET", usage: "TARGET <profile> <runtime>... [--runtime-image=<ref>] [--build-image=<ref>] [--glibc=<X.Y>] [--layout=lambda|site-packages|azure|gcp]",
			flags: []flagDef{
				{name: "runtime-image", kind: valueFlag, usage: "--runtime-image=<ref>"},
				{name: "build-image", kind: valueFlag, usage: "--build-image=<ref>"},
				{name: "glibc", kind: valueFlag, usage: "--glibc=<X.Y>"},
				{name: "layout", kind: valueFlag, enum: []string{"lambda", "site-packages", "azure", "gcp"}, usage: "--layout=lambda|site-packages|azure|gcp"},
			}, load: (*loader).loadTarget},
		{name: "PLATFORM", usage: "PLATFORM <os/arch[/variant]>...", load: (*loader).loadPlatform},
		{name: "INDEX", usage: "INDEX <url> [--extra] [--secret=<id>]",
			flags: []flagDef{
				{name: "extra", kind: boolFlag, usage: "--extra"},
				{name: "secret", kind: valueFlag, usage: "--secret=<id>"},
			}, load: (*loader).loadIndex},
		{name: "REQUIRE", usage: "REQUIRE <requirement>... | REQUIRE -r <file> | REQUIRE --lock=<pylock.toml>",
			flags: []flagDef{
				{name: "lock", kind: valueFlag, usage: "--lock=<pylock.toml>"},
			}, load: (*loader).loadRequire},
		{name: "PRUNE", usage: "PRUNE [--no-defaults] [--preset=geo|geo-cli] [--collect-licenses] <pattern>...",
			flags: []flagDef{
				{name: "no-defaults", kind: boolFlag, usage: "--no-defaults"},
				{name: "collect-licenses", kind: boolFlag, usage: "--collect-licenses"},
				{name: "preset", kind: valueFlag, enum: []string{"geo", "geo-cli"}, usage: "--preset=geo|geo-cli"},
			}, load: (*loader).loadPrune},
		{name: "KEEP", usage: "KEEP <pattern>...", load: (*loader).loadKeep},
		{name: "STRIP", usage: "STRIP [--mode=debug|unneeded|none]",
			flags: []flagDef{
				{name: "mode", kind: valueFlag, enum: []string{"debug", "unneeded", "none"}, usage: "--mode=debug|unneeded|none"},
			}, load: (*loader).loadStrip},
		{name: "BYTECODE", usage: "BYTECODE [--optimize=0|1|2] [--sourceless]",
			flags: []flagDef{
				{name: "optimize", kind: valueFlag, enum: []string{"0", "1", "2"}, usage: "--optimize=0|1|2"},
				{name: "sourceless", kind: boolFlag, usage: "--sourceless"},
			}, load: (*loader).loadBytecode},
		{name: "BUDGET", usage: "BUDGET [unzipped=<size>] [zipped=<size>]", load: (*loader).loadBudget},
		{name: "TEST", usage: "TEST [--required] [--profile-imports] <python source>",
			flags: []flagDef{
				{name: "required", kind: boolFlag, usage: "--required"},
				{name: "profile-imports", kind: boolFlag, usage: "--profile-imports"},
			}, load: (*loader).loadTest},
		{name: "ENV", usage: "ENV <key>=<value>...", load: (*loader).loadEnv},
		{name: "CHECK", usage: "CHECK off|warn|error", load: (*loader).loadCheck},
		{name: "BUILD", usage: "BUILD <package>... [--from-source] [--auto] [--no-build-isolation]",
			flags: []flagDef{
				{name: "from-source", kind: boolFlag, usage: "--from-source"},
				{name: "auto", kind: boolFlag, usage: "--auto"},
				{name: "no-build-isolation", kind: boolFlag, usage: "--no-build-isolation"},
				// Accepted only to explain that vendoring is always shared.
				{name: "shared-libs", kind: boolFlag, usage: "--shared-libs"},
			}, load: (*loader).loadBuild},
		{name: "RUN", usage: "RUN [--mount=type=cache|secret|tmpfs,<key>=<value>...]... <command>",
			flags: []flagDef{
				{name: "mount", kind: rawFlag, repeat: true, usage: "--mount=type=<cache|secret|tmpfs>,<key>=<value>..."},
			}, load: (*loader).loadRun},
	}
	instrDefs = make(map[string]*instrDef, len(defs))
	for _, d := range defs {
		instrDefs[d.name] = d
	}
}

// Instructions returns the names of all instructions of the language.
func Instructions() []string { return slices.Clone(instrOrder) }

// dockerfileHints help users coming from a Dockerfile.
var dockerfileHints = map[string]string{
	"FROM":    "use TARGET <profile> <runtime> [--runtime-image=<ref>] to choose the runtime",
	"COPY":    "files are read from the build context by REQUIRE -r and REQUIRE --lock",
	"ADD":     "files are read from the build context by REQUIRE -r and REQUIRE --lock",
	"WORKDIR": "the layer layout is chosen with TARGET --layout",
}

type flagVal struct {
	on    bool   // boolFlag
	value string // valueFlag (expanded)
	word  parser.Word
	flag  parser.Flag
}

type flagSet map[string][]flagVal

func (fs flagSet) bool(name string) bool {
	v := fs[name]
	return len(v) > 0 && v[len(v)-1].on
}

func (fs flagSet) value(name string) Value {
	v := fs[name]
	if len(v) == 0 {
		return Value{}
	}
	return Value{Value: v[0].value, Location: []parser.Range{v[0].word.Range}}
}

func flagNames(d *instrDef) string {
	var names []string
	for _, f := range d.flags {
		names = append(names, f.usage)
	}
	return strings.Join(names, ", ")
}

func (ld *loader) parseFlags(n *parser.Node, d *instrDef) (flagSet, error) {
	fs := flagSet{}
	for _, f := range n.Flags {
		fd := d.flag(f.Name)
		if fd == nil {
			msg := fmt.Sprintf("unknown flag --%s for %s", f.Name, d.name)
			var cands []string
			for _, x := range d.flags {
				cands = append(cands, x.name)
			}
			if s := suggest(f.Name, cands); s != "" {
				msg += fmt.Sprintf(" (did you mean --%s?)", s)
			}
			if len(d.flags) == 0 {
				msg += fmt.Sprintf(": %s takes no flags", d.name)
			} else {
				msg += "; expected one of " + flagNames(d)
			}
			return nil, errAt(f.Range, "%s", msg)
		}
		if prev := fs[fd.name]; len(prev) > 0 && !fd.repeat {
			return nil, errAtAll([]parser.Range{f.Range, prev[0].flag.Range},
				"flag --%s is given twice for %s", fd.name, d.name)
		}
		vw := f.ValueWord()
		fv := flagVal{word: vw, flag: f}
		switch fd.kind {
		case boolFlag:
			fv.on = true
			if f.HasValue {
				v, err := ld.word(vw)
				if err != nil {
					return nil, err
				}
				switch strings.ToLower(v) {
				case "true":
				case "false":
					fv.on = false
				default:
					return nil, errAt(vw.Range, "invalid value %q for flag --%s of %s: expected %s, --%s=true or --%s=false", v, fd.name, d.name, fd.usage, fd.name, fd.name)
				}
			}
		case valueFlag, rawFlag:
			if !f.HasValue {
				return nil, errAt(f.Range, "flag --%s of %s requires a value: %s", fd.name, d.name, fd.usage)
			}
			if fd.kind == rawFlag {
				fv.value = f.Value
				break
			}
			v, err := ld.word(vw)
			if err != nil {
				return nil, err
			}
			if v == "" {
				return nil, errAt(vw.Range, "flag --%s of %s requires a non-empty value: %s", fd.name, d.name, fd.usage)
			}
			if len(fd.enum) > 0 && !slices.Contains(fd.enum, v) {
				msg := fmt.Sprintf("invalid value %q for flag --%s of %s: expected one of %s", v, fd.name, d.name, strings.Join(fd.enum, ", "))
				if s := suggest(v, fd.enum); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				return nil, errAt(vw.Range, "%s", msg)
			}
			fv.value = v
		}
		fs[fd.name] = append(fs[fd.name], fv)
	}
	return fs, nil
}

// suggest returns the candidate closest to s (case-insensitive
// optimal-string-alignment distance), or "" if none is close enough.
func suggest(s string, candidates []string) string {
	best, bestD := "", -1
	ls := strings.ToLower(s)
	for _, c := range candidates {
		d := editDistance(ls, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if n := len([]rune(s)); n <= 3 {
		limit = 1
	}
	if bestD < 0 || bestD > limit || bestD >= len([]rune(s)) {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance (Levenshtein plus
// adjacent transpositions).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		if a == b {
			return 0
		}
		return 1 << 20
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
