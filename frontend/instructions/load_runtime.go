package instructions

// TEST, ENV and CHECK: the layer against its runtime.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/geolayer/geolayer/frontend/parser"
)

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
