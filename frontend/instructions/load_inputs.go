package instructions

// INDEX, REQUIRE, BUILD and RUN: what goes into the layer, and from where.

import (
	"strings"

	"github.com/geolayer/geolayer/frontend/parser"
)

func (ld *loader) loadIndex(n *parser.Node, fl flagSet) error {
	if len(n.Args) == 0 {
		return missing(n, "a URL")
	}
	if len(n.Args) > 1 {
		return unexpected(n, n.Args[1])
	}
	w := n.Args[0]
	v, err := ld.word(w)
	if err != nil {
		return err
	}
	if problem := checkIndexURL(v); problem != "" {
		return errAt(w.Range, "invalid INDEX URL: %s", problem)
	}
	cmd := &IndexCommand{
		cmdBase: base(n),
		URL:     Value{Value: v, Location: []parser.Range{w.Range}},
		Extra:   fl.bool("extra"),
		Secret:  fl.value("secret"),
	}
	if cmd.Secret.IsSet() && !secretIDRe.MatchString(cmd.Secret.Value) {
		return errAt(cmd.Secret.Location[0], "invalid --secret %q for INDEX: expected a secret id (letters, digits, '.', '_' and '-')", cmd.Secret.Value)
	}
	if !cmd.Extra {
		for _, prev := range ld.spec.Indexes {
			if !prev.Extra {
				return errAtAll([]parser.Range{n.Location[0], prev.loc[0]},
					"only one INDEX without --extra is allowed (it replaces the default index; the first one is at line %d); add --extra to search more indexes", prev.loc[0].Start.Line)
			}
		}
	}
	ld.spec.Indexes = append(ld.spec.Indexes, cmd)
	ld.add(cmd)
	return nil
}

func (ld *loader) loadRequire(n *parser.Node, fl flagSet) error {
	cmd := &RequireCommand{cmdBase: base(n)}
	lock := fl.value("lock")
	for _, prev := range ld.spec.Requires {
		if prev.Kind == RequireLock || lock.IsSet() {
			return errAtAll([]parser.Range{n.Location[0], prev.loc[0]},
				"conflicting REQUIRE instructions: REQUIRE --lock cannot be combined with other REQUIRE instructions (the lock file pins the complete set; the other REQUIRE is at line %d)", prev.loc[0].Start.Line)
		}
	}
	switch {
	case lock.IsSet():
		if len(n.Args) > 0 {
			return errAt(n.Args[0].Range, "unexpected argument %s for REQUIRE --lock: the lock file is the only input", n.Args[0].Raw)
		}
		p, problem := contextPath(lock.Value)
		if problem == "" && !pylockRe.MatchString(pathBase(p)) {
			problem = "the file name must be pylock.toml or pylock.<name>.toml (PEP 751)"
		}
		if problem != "" {
			return errAt(lock.Location[0], "invalid lock file %q for REQUIRE --lock: %s", lock.Value, problem)
		}
		cmd.Kind, cmd.File = RequireLock, Value{Value: p, Location: lock.Location}
	case len(n.Args) == 0:
		return missing(n, "requirements, -r <file> or --lock=<file>")
	case n.Args[0].Raw == "-r":
		if len(n.Args) == 1 {
			return missing(n, "a requirements file after -r")
		}
		if len(n.Args) > 2 {
			return unexpected(n, n.Args[2])
		}
		w := n.Args[1]
		v, err := ld.word(w)
		if err != nil {
			return err
		}
		p, problem := contextPath(v)
		if problem != "" {
			return errAt(w.Range, "invalid requirements file %q for REQUIRE -r: %s", v, problem)
		}
		cmd.Kind, cmd.File = RequireFile, Value{Value: p, Location: []parser.Range{w.Range}}
	default:
		vals, err := ld.fieldValues(n.Args)
		if err != nil {
			return err
		}
		if len(vals) == 0 {
			return errAt(n.Args[0].Range, "no requirements in REQUIRE: the arguments expand to nothing")
		}
		for _, v := range vals {
			if strings.HasPrefix(v.Value, "-") {
				return errAt(v.Location[0], "unexpected option %s in REQUIRE: pip options are not supported; use REQUIRE -r <file> (alone) or REQUIRE --lock=<file>", v.Value)
			}
			if problem, sensitive := checkRequirement(v.Value); problem != "" {
				if sensitive {
					return errAt(v.Location[0], "invalid requirement in REQUIRE: %s", problem)
				}
				return errAt(v.Location[0], "invalid requirement %q in REQUIRE: %s", v.Value, problem)
			}
		}
		cmd.Kind, cmd.Requirements = RequireSpecs, vals
	}
	ld.spec.Requires = append(ld.spec.Requires, cmd)
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
