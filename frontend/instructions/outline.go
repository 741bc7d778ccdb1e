package instructions

import (
	"github.com/geolayer/geolayer/frontend/parser"
)

// Outline is the data behind `--call outline`: the build parameters a
// Geolayerfile accepts. It mirrors BuildKit's subrequests/outline shapes
// without importing them.
type Outline struct {
	Args    []OutlineArg
	Secrets []OutlineSecret
}

// OutlineArg is one ARG.
type OutlineArg struct {
	Name        string
	Description string // from the comment directly above the ARG line
	Default     string
	HasDefault  bool
	Value       string // effective value (build arg or default)
	Location    []parser.Range
}

// OutlineSecret is a build secret the file refers to.
type OutlineSecret struct {
	ID       string
	Required bool
	Location []parser.Range
}

// Outline lists ARGs (in declaration order) and the build secrets used by
// INDEX --secret and RUN --mount=type=secret (first use of each id).
func (s *Spec) Outline() Outline {
	var o Outline
	for _, c := range s.Args {
		for _, a := range c.Args {
			o.Args = append(o.Args, OutlineArg{
				Name:        a.Name,
				Description: a.Description,
				Default:     a.Default,
				HasDefault:  a.HasDefault,
				Value:       a.Value,
				Location:    a.Location,
			})
		}
	}
	seen := map[string]int{}
	addSecret := func(id string, required bool, loc []parser.Range) {
		if i, ok := seen[id]; ok {
			o.Secrets[i].Required = o.Secrets[i].Required || required
			return
		}
		seen[id] = len(o.Secrets)
		o.Secrets = append(o.Secrets, OutlineSecret{ID: id, Required: required, Location: loc})
	}
	for _, c := range s.Commands {
		switch c := c.(type) {
		case *IndexCommand:
			if c.Secret.IsSet() {
				addSecret(c.Secret.Value, true, c.Secret.Location)
			}
		case *RunCommand:
			for _, m := range c.Mounts {
				if m.Type == MountSecret {
					addSecret(m.ID, m.Required, m.Location)
				}
			}
		}
	}
	return o
}
