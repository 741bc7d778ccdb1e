package instructions

// ARG, TARGET and PLATFORM: the build's parameters and what the layer is
// for.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/geolayer/geolayer/frontend/parser"
)

func (ld *loader) loadArg(n *parser.Node, _ flagSet) error {
	if len(n.Args) == 0 {
		return missing(n, "a variable name")
	}
	cmd := &ArgCommand{cmdBase: base(n)}
	for _, w := range n.Args {
		name, _, hasDefault := strings.Cut(w.Raw, "=")
		nameRange := w.RangeOf(0, len(name))
		if !validName(name) {
			return errAt(nameRange, "invalid ARG name %q: names start with a letter or '_' and contain only letters, digits and '_'", name)
		}
		if prev, ok := ld.declared[name]; ok {
			return errAtAll([]parser.Range{nameRange, prev}, "duplicate ARG %s: the first declaration is at line %d", name, prev.Start.Line)
		}
		a := &Arg{Name: name, Location: []parser.Range{w.Range}}
		if hasDefault {
			v, err := ld.word(w.Sub(len(name)+1, len(w.Raw)))
			if err != nil {
				return err
			}
			a.Default, a.HasDefault = v, true
		}
		if v, ok := ld.buildArgs[name]; ok {
			a.Value, a.HasValue, a.FromBuildArg = v, true, true
		} else if hasDefault {
			a.Value, a.HasValue = a.Default, true
		}
		a.Description = docComment(n.Comments, name, len(n.Args) == 1)
		ld.declared[name] = nameRange
		if a.HasValue {
			ld.env.set(name, a.Value)
		}
		cmd.Args = append(cmd.Args, a)
	}
	ld.spec.Args = append(ld.spec.Args, cmd)
	ld.add(cmd)
	return nil
}

// docComment follows the Dockerfile convention: a comment line starting
// with "NAME " describes NAME (the name is dropped). Otherwise, for an ARG
// line declaring a single name, the whole comment block is its description.
func docComment(comments []string, name string, single bool) string {
	for _, c := range comments {
		if rest, ok := strings.CutPrefix(c, name+" "); ok {
			return rest
		}
	}
	if single {
		return strings.Join(comments, " ")
	}
	return ""
}

func (ld *loader) loadTarget(n *parser.Node, fl flagSet) error {
	if ld.spec.Target != nil {
		return once(n, ld.spec.Target)
	}
	switch {
	case len(n.Args) == 0:
		return missing(n, "a profile and a runtime")
	case len(n.Args) == 1:
		return missing(n, "a runtime after the profile")
	}
	cmd := &TargetCommand{cmdBase: base(n)}
	pw := n.Args[0]
	pv, err := ld.word(pw)
	if err != nil {
		return err
	}
	cmd.Profile = Value{Value: pv, Location: []parser.Range{pw.Range}}
	if !profileRe.MatchString(cmd.Profile.Value) {
		return errAt(pw.Range, "invalid TARGET profile %q: expected a word such as aws-lambda (letters, digits, '.', '_' and '-')", cmd.Profile.Value)
	}
	// One runtime, or several of the profile (one layer for all: the plan
	// checks that the profile's layout keeps them apart).
	for _, w := range n.Args[1:] {
		v, err := ld.word(w)
		if err != nil {
			return err
		}
		if !runtimeRe.MatchString(v) {
			return errAt(w.Range, "invalid TARGET runtime %q: expected a word such as python3.12", v)
		}
		for _, prev := range cmd.Runtimes {
			if prev.Value == v {
				return errAtAll([]parser.Range{w.Range, prev.Location[0]}, "runtime %q is listed twice in TARGET", v)
			}
		}
		cmd.Runtimes = append(cmd.Runtimes, Value{Value: v, Location: []parser.Range{w.Range}})
	}
	cmd.Runtime = cmd.Runtimes[0]
	cmd.RuntimeImage = fl.value("runtime-image")
	cmd.BuildImage = fl.value("build-image")
	for _, f := range []struct {
		name string
		v    Value
	}{{"runtime-image", cmd.RuntimeImage}, {"build-image", cmd.BuildImage}} {
		if f.v.IsSet() {
			if problem := checkImageRef(f.v.Value); problem != "" {
				return errAt(f.v.Location[0], "invalid --%s %q for TARGET: %s", f.name, f.v.Value, problem)
			}
		}
	}
	cmd.Glibc = fl.value("glibc")
	if cmd.Glibc.IsSet() && !glibcRe.MatchString(cmd.Glibc.Value) {
		return errAt(cmd.Glibc.Location[0], "invalid --glibc %q for TARGET: expected a version like 2.34", cmd.Glibc.Value)
	}
	cmd.Layout = fl.value("layout")
	ld.spec.Target = cmd
	ld.add(cmd)
	return nil
}

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
