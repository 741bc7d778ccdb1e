package frontend

import (
	"errors"
	"fmt"

	"github.com/geolayer/geolayer/frontend/instructions"
	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/prune"
)

// stripMode is STRIP's mode, unneeded by default.
func stripMode(spec *instructions.Spec) (helperapi.StripMode, error) {
	if spec.Strip == nil {
		return helperapi.StripUnneeded, nil
	}
	m, err := helperapi.ParseStripMode(string(spec.Strip.Mode))
	if err != nil {
		return 0, located(err, spec.Strip.Location())
	}
	return m, nil
}

// pruneOptions turns PRUNE and KEEP (in file order) into pkg/prune options,
// validated here so a bad pattern fails at its line before anything runs.
// It returns nil when nothing would be pruned (PRUNE --no-defaults alone).
func pruneOptions(spec *instructions.Spec, bytecode bool) (*prune.Options, error) {
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
				return nil, located(err, v.Location)
			}
		}
		return nil, err
	}
	if opts.NoDefaults && len(opts.Presets) == 0 && !hasPrune(opts.Rules) {
		return nil, nil
	}
	return &opts, nil
}

func hasPrune(rules []prune.Rule) bool {
	for _, r := range rules {
		if !r.Keep {
			return true
		}
	}
	return false
}
