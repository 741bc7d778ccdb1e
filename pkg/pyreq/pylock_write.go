package pyreq

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/geolayer/geolayer/pkg/pep440"
	toml "github.com/pelletier/go-toml/v2"
)

// CreatedBy is the created-by value WritePylock records.
const CreatedBy = "geolayer"

// Select runs the selection steps of the spec's installation algorithm for
// one target environment: check requires-python and environments, skip
// packages whose marker is false, error on unmet per-package
// requires-python and on packages that do not narrow down to one entry.
// env is a marker environment (see LinuxEnv); its python_full_version is
// the interpreter version. If env has no dependency_groups, the lock's
// default-groups are used, as the spec suggests.
func (l *Lock) Select(env map[string]string) ([]LockPackage, error) {
	idx, err := l.SelectIndexes(env)
	if err != nil {
		return nil, err
	}
	out := make([]LockPackage, 0, len(idx))
	for _, i := range idx {
		out = append(out, l.Packages[i])
	}
	return out, nil
}

// SelectIndexes is Select giving the chosen entries' indexes in Packages.
func (l *Lock) SelectIndexes(env map[string]string) ([]int, error) {
	pyver := env["python_full_version"]
	if pyver == "" {
		return nil, fmt.Errorf("pylock: environment has no python_full_version")
	}
	if l.RequiresPython != "" {
		ok, err := pep440.SatisfiesRequiresPython(l.RequiresPython, pyver)
		if err != nil {
			return nil, fmt.Errorf("pylock: %w", err)
		}
		if !ok {
			return nil, fmt.Errorf("pylock: Python %s does not satisfy the lock's requires-python %q", pyver, l.RequiresPython)
		}
	}
	if _, set := env["dependency_groups"]; !set && len(l.DefaultGroups) > 0 {
		env = maps.Clone(env)
		env["dependency_groups"] = strings.Join(l.DefaultGroups, ",")
	}
	if len(l.Environments) > 0 {
		matched := false
		for _, m := range l.Environments {
			ok, err := EvalMarker(m, env)
			if err != nil {
				return nil, fmt.Errorf("pylock: environments: %w", err)
			}
			matched = matched || ok
		}
		if !matched {
			return nil, fmt.Errorf("pylock: the target environment matches none of the lock's environments %q", l.Environments)
		}
	}
	var out []int
	chosen := map[string]int{} // name -> index into l.Packages
	for i, p := range l.Packages {
		ok, err := EvalMarker(p.Marker, env)
		if err != nil {
			return nil, fmt.Errorf("pylock: package %s: %w", p.Name, err)
		}
		if !ok {
			continue
		}
		if p.RequiresPython != "" {
			ok, err := pep440.SatisfiesRequiresPython(p.RequiresPython, pyver)
			if err != nil {
				return nil, fmt.Errorf("pylock: package %s: %w", p.Name, err)
			}
			if !ok {
				return nil, fmt.Errorf("pylock: package %s %s requires Python %s, target is %s", p.Name, p.Version, p.RequiresPython, pyver)
			}
		}
		if j, dup := chosen[p.Name]; dup {
			return nil, fmt.Errorf("pylock: package %s is ambiguous: packages[%d] and packages[%d] both apply to the target environment", p.Name, j, i)
		}
		chosen[p.Name] = i
		out = append(out, i)
	}
	return out, nil
}

// WritePylock validates l and writes it as pylock.toml with
// lock-version "1.0" and created-by "geolayer". Output is deterministic:
// keys in spec order, packages sorted by name, version and marker, wheels
// by file name, string arrays sorted, table keys sorted.
func WritePylock(w io.Writer, l *Lock) error {
	c := cloneLock(l)
	c.LockVersion, c.CreatedBy = "1.0", CreatedBy
	if err := c.validate(); err != nil {
		return err
	}
	for _, s := range [][]string{c.Environments, c.Extras, c.DependencyGroups, c.DefaultGroups} {
		slices.Sort(s)
	}
	// Non-nil so that empty lists are written as [] ("tools SHOULD
	// explicitly set this key to an empty array").
	if c.Extras == nil {
		c.Extras = []string{}
	}
	if c.DependencyGroups == nil {
		c.DependencyGroups = []string{}
	}
	for i := range c.Packages {
		p := &c.Packages[i]
		slices.SortFunc(p.Wheels, func(a, b LockFile) int { return strings.Compare(a.Name, b.Name) })
		slices.SortStableFunc(p.Dependencies, func(a, b map[string]any) int {
			return strings.Compare(fmt.Sprint(a["name"]), fmt.Sprint(b["name"]))
		})
	}
	slices.SortStableFunc(c.Packages, comparePackages)
	var buf bytes.Buffer
	enc := toml.NewEncoder(&buf)
	enc.SetIndentTables(false)
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("pylock: encode: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func comparePackages(a, b LockPackage) int {
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if a.Version != b.Version {
		if n, err := pep440.CompareVersions(a.Version, b.Version); err == nil && n != 0 {
			return n
		}
	}
	return cmp.Or(strings.Compare(a.Version, b.Version), strings.Compare(a.Marker, b.Marker))
}

// cloneLock deep-copies the parts WritePylock and validate modify.
func cloneLock(l *Lock) *Lock {
	c := *l
	c.Environments = slices.Clone(l.Environments)
	c.Extras = slices.Clone(l.Extras)
	c.DependencyGroups = slices.Clone(l.DependencyGroups)
	c.DefaultGroups = slices.Clone(l.DefaultGroups)
	c.Packages = slices.Clone(l.Packages)
	for i := range c.Packages {
		p := &c.Packages[i]
		p.Dependencies = slices.Clone(p.Dependencies)
		p.Wheels = slices.Clone(p.Wheels)
		for j := range p.Wheels {
			p.Wheels[j].Hashes = maps.Clone(p.Wheels[j].Hashes)
		}
		if p.Sdist != nil {
			s := *p.Sdist
			s.Hashes = maps.Clone(s.Hashes)
			p.Sdist = &s
		}
		if p.Archive != nil {
			a := *p.Archive
			a.Hashes = maps.Clone(a.Hashes)
			p.Archive = &a
		}
	}
	return &c
}
