package instructions

import (
	"fmt"
	"slices"
	"strings"

	"github.com/geolayer/geolayer/frontend/parser"
	dfparser "github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

type loader struct {
	lex       *shell.Lex
	esc       rune
	env       *argEnv
	declared  map[string]parser.Range // ARGs declared so far
	allArgs   map[string]parser.Range // every ARG name in the file (first declaration)
	buildArgs map[string]string
	spec      *Spec
	cur       *parser.Node
}

// Load expands, validates and types the parsed Geolayerfile. buildArgs
// override ARG defaults; a build arg is only visible through an ARG
// declaration. The first error is returned, wrapped with
// parser.WithLocation (BuildKit's) at the word or reference at fault.
func Load(res *parser.Result, buildArgs map[string]string) (*Spec, error) {
	if res == nil {
		return nil, errAt(lineRange(1), "no Geolayerfile to load")
	}
	esc := res.EscapeToken
	if esc == 0 {
		esc = parser.DefaultEscapeToken
	}
	ld := &loader{
		lex:       shell.NewLex(esc),
		esc:       esc,
		env:       &argEnv{vals: map[string]string{}},
		declared:  map[string]parser.Range{},
		allArgs:   map[string]parser.Range{},
		buildArgs: buildArgs,
		spec:      &Spec{},
	}
	ld.prescanArgs(res.Nodes)

	for _, n := range res.Nodes {
		ld.cur = n
		d, ok := instrDefs[n.Name]
		if !ok {
			return nil, unknownInstruction(n)
		}
		fl, err := ld.parseFlags(n, d)
		if err != nil {
			return nil, err
		}
		if err := d.load(ld, n, fl); err != nil {
			return nil, err
		}
	}
	if ld.spec.Target == nil {
		return nil, errAt(lineRange(1), "missing TARGET instruction: a Geolayerfile needs exactly one, e.g. TARGET aws-lambda python3.12")
	}
	for k := range buildArgs {
		if _, ok := ld.declared[k]; !ok && !strings.HasPrefix(k, "BUILDKIT_") {
			ld.spec.UnusedBuildArgs = append(ld.spec.UnusedBuildArgs, k)
		}
	}
	slices.Sort(ld.spec.UnusedBuildArgs)
	return ld.spec, nil
}

func (ld *loader) prescanArgs(nodes []*parser.Node) {
	for _, n := range nodes {
		if n.Name != "ARG" {
			continue
		}
		for _, w := range n.Args {
			name, _, _ := strings.Cut(w.Raw, "=")
			if _, ok := ld.allArgs[name]; !ok && validName(name) {
				ld.allArgs[name] = w.RangeOf(0, len(name))
			}
		}
	}
}

func (ld *loader) add(c Command) { ld.spec.Commands = append(ld.spec.Commands, c) }

func base(n *parser.Node) cmdBase { return cmdBase{name: n.Name, loc: n.Location} }

func errAt(r parser.Range, format string, args ...any) error {
	return dfparser.WithLocation(fmt.Errorf(format, args...), []parser.Range{r})
}

// errAtAll attaches several locations; the first is the primary one.
func errAtAll(rs []parser.Range, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	for _, r := range rs {
		err = dfparser.WithLocation(err, []parser.Range{r})
	}
	return err
}

func lineRange(line int) parser.Range {
	return parser.Range{Start: parser.Position{Line: line}, End: parser.Position{Line: line}}
}

// endOf is the empty range just after the node: where a missing argument
// belongs.
func endOf(n *parser.Node) parser.Range {
	e := n.Location[0].End
	return parser.Range{Start: e, End: e}
}

func unknownInstruction(n *parser.Node) error {
	msg := fmt.Sprintf("unknown instruction %s", n.Keyword.Raw)
	if s := suggest(n.Name, instrOrder); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	} else if h, ok := dockerfileHints[n.Name]; ok {
		msg += ": " + h
	} else {
		msg += "; expected one of " + strings.Join(instrOrder, ", ")
	}
	return errAt(n.Keyword.Range, "%s", msg)
}

func missing(n *parser.Node, what string) error {
	return errAt(endOf(n), "missing %s in %s; expected %s", what, n.Name, instrDefs[n.Name].usage)
}

func unexpected(n *parser.Node, w parser.Word) error {
	return errAt(w.Range, "unexpected argument %s for %s; expected %s", w.Raw, n.Name, instrDefs[n.Name].usage)
}

// once rejects a second instruction that may appear only once.
func once(n *parser.Node, first Command) error {
	if first == nil {
		return nil
	}
	fl := first.Location()
	return errAtAll([]parser.Range{n.Location[0], fl[0]},
		"only one %s instruction is allowed; the first one is at line %d", n.Name, fl[0].Start.Line)
}

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
	case len(n.Args) > 2:
		return unexpected(n, n.Args[2])
	}
	cmd := &TargetCommand{cmdBase: base(n)}
	for i, dst := range []*Value{&cmd.Profile, &cmd.Runtime} {
		w := n.Args[i]
		v, err := ld.word(w)
		if err != nil {
			return err
		}
		*dst = Value{Value: v, Location: []parser.Range{w.Range}}
	}
	if !profileRe.MatchString(cmd.Profile.Value) {
		return errAt(n.Args[0].Range, "invalid TARGET profile %q: expected a word such as aws-lambda (letters, digits, '.', '_' and '-')", cmd.Profile.Value)
	}
	if !runtimeRe.MatchString(cmd.Runtime.Value) {
		return errAt(n.Args[1].Range, "invalid TARGET runtime %q: expected a word such as python3.12", cmd.Runtime.Value)
	}
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
