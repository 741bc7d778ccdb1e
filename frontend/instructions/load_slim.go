package instructions

// PRUNE, KEEP, STRIP, BYTECODE and BUDGET: how the layer is slimmed, and
// how large it may be.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/geolayer/geolayer/frontend/parser"
)

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
