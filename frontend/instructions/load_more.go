package instructions

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	"github.com/geolayer/geolayer/frontend/parser"
)

// knownArchs are the architectures accepted by PLATFORM; the target profile
// narrows them further.
var knownArchs = []string{"amd64", "arm64", "386", "arm", "ppc64le", "s390x", "riscv64", "loong64"}

func (ld *loader) loadPlatform(n *parser.Node, _ flagSet) error {
	if err := once(n, asCommand(ld.spec.Platforms)); err != nil {
		return err
	}
	vals, err := ld.fieldValues(n.Args)
	if err != nil {
		return err
	}
	if len(vals) == 0 {
		return missing(n, "at least one platform")
	}
	cmd := &PlatformCommand{cmdBase: base(n)}
	seen := map[string]Value{}
	for _, v := range vals {
		loc := v.Location[0]
		if strings.Count(v.Value, "/") < 1 {
			return errAt(loc, "invalid platform %q in PLATFORM: expected os/arch[/variant] such as linux/arm64", v.Value)
		}
		p, err := platforms.Parse(v.Value)
		if err != nil {
			return errAt(loc, "invalid platform %q in PLATFORM: %v; expected os/arch[/variant] such as linux/arm64", v.Value, err)
		}
		p = platforms.Normalize(p)
		if p.OS != "linux" || p.OSVersion != "" || len(p.OSFeatures) > 0 {
			return errAt(loc, "unsupported platform %q in PLATFORM: layers are built for linux only; expected linux/<arch>", v.Value)
		}
		if !slices.Contains(knownArchs, p.Architecture) {
			msg := fmt.Sprintf("unknown architecture %q in PLATFORM %q; expected one of %s", p.Architecture, v.Value, strings.Join(knownArchs, ", "))
			if s := suggest(p.Architecture, knownArchs); s != "" {
				msg += fmt.Sprintf(" (did you mean linux/%s?)", s)
			}
			return errAt(loc, "%s", msg)
		}
		key := platforms.Format(p)
		if prev, ok := seen[key]; ok {
			return errAtAll([]parser.Range{loc, prev.Location[0]}, "platform %q is listed twice in PLATFORM (both normalise to %s)", v.Value, key)
		}
		seen[key] = v
		cmd.Platforms = append(cmd.Platforms, p)
		cmd.PlatformLocations = append(cmd.PlatformLocations, v.Location)
	}
	ld.spec.Platforms = cmd
	ld.add(cmd)
	return nil
}

// asCommand avoids a typed-nil interface.
func asCommand[T Command](c T) Command {
	var zero T
	if any(c) == any(zero) {
		return nil
	}
	return c
}

func (ld *loader) patterns(n *parser.Node) ([]Value, error) {
	vals, err := ld.fieldValues(n.Args)
	if err != nil {
		return nil, err
	}
	for _, v := range vals {
		if problem := checkPattern(v.Value); problem != "" {
			return nil, errAt(v.Location[0], "invalid pattern %q in %s: %s", v.Value, n.Name, problem)
		}
	}
	return vals, nil
}

func (ld *loader) loadPrune(n *parser.Node, fl flagSet) error {
	cmd := &PruneCommand{cmdBase: base(n), NoDefaults: fl.bool("no-defaults"), Preset: fl.value("preset"), CollectLicenses: fl.bool("collect-licenses")}
	if len(n.Args) == 0 && len(n.Flags) == 0 {
		return missing(n, "patterns, --preset=geo, --collect-licenses or --no-defaults")
	}
	pats, err := ld.patterns(n)
	if err != nil {
		return err
	}
	cmd.Patterns = pats
	ld.spec.Prunes = append(ld.spec.Prunes, cmd)
	ld.add(cmd)
	return nil
}

func (ld *loader) loadKeep(n *parser.Node, _ flagSet) error {
	if len(n.Args) == 0 {
		return missing(n, "at least one pattern")
	}
	pats, err := ld.patterns(n)
	if err != nil {
		return err
	}
	if len(pats) == 0 {
		return errAt(n.Args[0].Range, "no patterns in KEEP: the arguments expand to nothing")
	}
	cmd := &KeepCommand{cmdBase: base(n), Patterns: pats}
	ld.spec.Keeps = append(ld.spec.Keeps, cmd)
	ld.add(cmd)
	return nil
}

func (ld *loader) loadStrip(n *parser.Node, fl flagSet) error {
	if err := once(n, asCommand(ld.spec.Strip)); err != nil {
		return err
	}
	if len(n.Args) > 0 {
		return unexpected(n, n.Args[0])
	}
	cmd := &StripCommand{cmdBase: base(n), Mode: StripUnneeded}
	if v := fl.value("mode"); v.IsSet() {
		cmd.Mode = StripMode(v.Value)
	}
	ld.spec.Strip = cmd
	ld.add(cmd)
	return nil
}

func (ld *loader) loadBytecode(n *parser.Node, fl flagSet) error {
	if err := once(n, asCommand(ld.spec.Bytecode)); err != nil {
		return err
	}
	if len(n.Args) > 0 {
		return unexpected(n, n.Args[0])
	}
	cmd := &BytecodeCommand{cmdBase: base(n), Sourceless: fl.bool("sourceless")}
	if v := fl.value("optimize"); v.IsSet() {
		cmd.Optimize, _ = strconv.Atoi(v.Value) // validated by the enum
	}
	ld.spec.Bytecode = cmd
	ld.add(cmd)
	return nil
}

var budgetKeys = []string{"unzipped", "zipped"}

func (ld *loader) loadBudget(n *parser.Node, _ flagSet) error {
	if err := once(n, asCommand(ld.spec.Budget)); err != nil {
		return err
	}
	if len(n.Args) == 0 {
		return missing(n, "unzipped=<size> and/or zipped=<size>")
	}
	cmd := &BudgetCommand{cmdBase: base(n)}
	for _, w := range n.Args {
		key, _, ok := strings.Cut(w.Raw, "=")
		keyRange := w.RangeOf(0, len(key))
		if !ok {
			return errAt(w.Range, "invalid BUDGET argument %s: expected unzipped=<size> or zipped=<size>", w.Raw)
		}
		var dst **Size
		switch key {
		case "unzipped":
			dst = &cmd.Unzipped
		case "zipped":
			dst = &cmd.Zipped
		default:
			msg := fmt.Sprintf("unknown BUDGET key %q: expected unzipped=<size> or zipped=<size>", key)
			if s := suggest(key, budgetKeys); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			return errAt(keyRange, "%s", msg)
		}
		if *dst != nil {
			return errAtAll([]parser.Range{keyRange, (*dst).Location[0]}, "duplicate BUDGET key %s", key)
		}
		vw := w.Sub(len(key)+1, len(w.Raw))
		v, err := ld.word(vw)
		if err != nil {
			return err
		}
		b, problem := parseSize(v)
		if problem != "" {
			return errAt(vw.Range, "invalid size %q for BUDGET %s: %s", v, key, problem)
		}
		if b == 0 {
			return errAt(vw.Range, "invalid size %q for BUDGET %s: must be greater than zero", v, key)
		}
		*dst = &Size{Bytes: b, Text: v, Location: []parser.Range{w.Range}}
	}
	ld.spec.Budget = cmd
	ld.add(cmd)
	return nil
}

func (ld *loader) loadTest(n *parser.Node, fl flagSet) error {
	if n.Rest.Raw == "" {
		return missing(n, "Python source")
	}
	src, err := ld.pythonSource(n.Rest)
	if err != nil {
		return err
	}
	if strings.TrimSpace(src) == "" {
		return errAt(n.Rest.Range, "empty Python source in TEST: it expands to nothing")
	}
	cmd := &TestCommand{cmdBase: base(n), Required: fl.bool("required"), ProfileImports: fl.bool("profile-imports"), Source: src}
	ld.spec.Tests = append(ld.spec.Tests, cmd)
	ld.add(cmd)
	return nil
}

// pythonSource turns the body of TEST into Python source. Every physical
// line becomes a source line; a continuation line loses up to C leading
// blanks, C being the column at which the source starts on its first line,
// so that indentation relative to that column is kept.
func (ld *loader) pythonSource(rest parser.Word) (string, error) {
	pieces := rest.Lines()
	col := rest.Range.Start.Character
	var lines []string
	for i, p := range pieces {
		v, err := ld.verbatim(p)
		if err != nil {
			return "", err
		}
		if i > 0 {
			k := 0
			for k < len(v) && k < col && (v[k] == ' ' || v[k] == '\t') {
				k++
			}
			v = v[k:]
		}
		lines = append(lines, strings.TrimRight(v, " \t"))
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n"), nil
}

func (ld *loader) loadEnv(n *parser.Node, _ flagSet) error {
	if len(n.Args) == 0 {
		return missing(n, "at least one KEY=VALUE")
	}
	cmd := &EnvCommand{cmdBase: base(n)}
	for _, w := range n.Args {
		key, _, ok := strings.Cut(w.Raw, "=")
		if !ok {
			return errAt(w.Range, "invalid ENV argument %s: expected KEY=VALUE (quote values that contain spaces)", w.Raw)
		}
		if !validName(key) {
			return errAt(w.RangeOf(0, len(key)), "invalid ENV name %q: names start with a letter or '_' and contain only letters, digits and '_'", key)
		}
		v, err := ld.word(w.Sub(len(key)+1, len(w.Raw)))
		if err != nil {
			return err
		}
		cmd.Env = append(cmd.Env, KeyValue{Key: key, Value: v, Location: []parser.Range{w.Range}})
	}
	ld.spec.Env = append(ld.spec.Env, cmd)
	ld.add(cmd)
	return nil
}

var checkModes = []string{string(CheckOff), string(CheckWarn), string(CheckError)}

func (ld *loader) loadCheck(n *parser.Node, _ flagSet) error {
	if err := once(n, asCommand(ld.spec.Check)); err != nil {
		return err
	}
	if len(n.Args) == 0 {
		return missing(n, "a mode")
	}
	if len(n.Args) > 1 {
		return unexpected(n, n.Args[1])
	}
	v, err := ld.word(n.Args[0])
	if err != nil {
		return err
	}
	if !slices.Contains(checkModes, v) {
		msg := fmt.Sprintf("invalid CHECK mode %q: expected off, warn or error", v)
		if s := suggest(v, checkModes); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		return errAt(n.Args[0].Range, "%s", msg)
	}
	cmd := &CheckCommand{cmdBase: base(n), Mode: CheckMode(v)}
	ld.spec.Check = cmd
	ld.add(cmd)
	return nil
}

func (ld *loader) loadBuild(n *parser.Node, fl flagSet) error {
	cmd := &BuildCommand{
		cmdBase:          base(n),
		FromSource:       fl.bool("from-source"),
		Auto:             fl.bool("auto"),
		SharedLibs:       fl.bool("shared-libs"),
		NoBuildIsolation: fl.bool("no-build-isolation"),
	}
	vals, err := ld.fieldValues(n.Args)
	if err != nil {
		return err
	}
	if len(vals) == 0 && !cmd.Auto {
		if len(n.Args) > 0 {
			return errAt(n.Args[0].Range, "no packages in BUILD: the arguments expand to nothing")
		}
		return missing(n, "at least one package (or --auto)")
	}
	for _, v := range vals {
		if !projectNameRe.MatchString(v.Value) {
			return errAt(v.Location[0], "invalid package name %q in BUILD: expected a project name such as gdal (no version specifiers; pin versions with REQUIRE)", v.Value)
		}
		norm := normalizeProject(v.Value)
		for _, prev := range ld.spec.Builds {
			for _, p := range prev.Packages {
				if normalizeProject(p.Value) == norm {
					return errAtAll([]parser.Range{v.Location[0], p.Location[0]}, "package %s is listed twice in BUILD (first at line %d)", v.Value, p.Location[0].Start.Line)
				}
			}
		}
		for _, p := range cmd.Packages {
			if normalizeProject(p.Value) == norm {
				return errAtAll([]parser.Range{v.Location[0], p.Location[0]}, "package %s is listed twice in BUILD", v.Value)
			}
		}
		cmd.Packages = append(cmd.Packages, v)
	}
	ld.spec.Builds = append(ld.spec.Builds, cmd)
	ld.add(cmd)
	return nil
}

func (ld *loader) loadRun(n *parser.Node, fl flagSet) error {
	cmd := &RunCommand{cmdBase: base(n), Command: strings.TrimSpace(n.Rest.Raw)}
	for _, fv := range fl["mount"] {
		m, err := ld.parseMount(fv)
		if err != nil {
			return err
		}
		cmd.Mounts = append(cmd.Mounts, m)
	}
	if cmd.Command == "" {
		return missing(n, "a shell command")
	}
	ld.spec.Runs = append(ld.spec.Runs, cmd)
	ld.add(cmd)
	return nil
}
