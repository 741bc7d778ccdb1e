package frontend

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/geolayer/geolayer/frontend/instructions"
	"github.com/geolayer/geolayer/pkg/prune"
)

// pruneOptions turns PRUNE and KEEP (in file order) into pkg/prune options,
// validated here so a bad pattern fails at its line before anything runs.
// It returns "" when nothing would be pruned (PRUNE --no-defaults alone).
func pruneOptions(spec *instructions.Spec, bytecode bool) (string, error) {
	opts := prune.Options{Bytecode: bytecode}
	where := map[string]instructions.Value{}
	for _, c := range spec.Commands {
		switch c := c.(type) {
		case *instructions.PruneCommand:
			if c.NoDefaults {
				opts.NoDefaults = true
			}
			if c.Preset.IsSet() {
				opts.Presets = append(opts.Presets, c.Preset.Value)
			}
			for _, p := range c.Patterns {
				src := fmt.Sprintf("PRUNE, Geolayerfile line %d", p.Location[0].Start.Line)
				opts.Rules = append(opts.Rules, prune.Rule{Pattern: p.Value, Source: src})
				where[p.Value+"\x00"+src] = p
			}
		case *instructions.KeepCommand:
			for _, p := range c.Patterns {
				src := fmt.Sprintf("KEEP, Geolayerfile line %d", p.Location[0].Start.Line)
				opts.Rules = append(opts.Rules, prune.Rule{Pattern: p.Value, Keep: true, Source: src})
				where[p.Value+"\x00"+src] = p
			}
		}
	}
	if _, err := prune.Compile(opts); err != nil {
		var pe *prune.PatternError
		if errors.As(err, &pe) {
			if v, ok := where[pe.Pattern+"\x00"+pe.Source]; ok {
				return "", located(err, v.Location)
			}
		}
		return "", err
	}
	if opts.NoDefaults && len(opts.Presets) == 0 && !hasPrune(opts.Rules) {
		return "", nil
	}
	b, err := json.Marshal(opts)
	return string(b), err
}

func hasPrune(rules []prune.Rule) bool {
	for _, r := range rules {
		if !r.Keep {
			return true
		}
	}
	return false
}
