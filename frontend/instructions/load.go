package instructions

// The loader: Load walks the parsed nodes in file order and calls each
// instruction's load function (defs.go); the load functions are grouped by
// concern in load_*.go. The error helpers every load function uses are
// here.

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

// asCommand avoids a typed-nil interface.
func asCommand[T Command](c T) Command {
	var zero T
	if any(c) == any(zero) {
		return nil
	}
	return c
}

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
