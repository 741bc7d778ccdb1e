package conformance

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/geolayer/geolayer/pkg/pep440"
	"github.com/geolayer/geolayer/pkg/pyreq"
	"github.com/geolayer/geolayer/pkg/wheel"
)

// Answer is one side's answer to a case; reference.py writes the same
// fields. Fields a kind does not use stay empty.
type Answer struct {
	ID    string `json:"id"`
	Valid bool   `json:"valid"`
	// version: str(Version), .public, .base_version, .is_prerelease,
	// .is_postrelease, .is_devrelease
	Str    string `json:"str,omitempty"`
	Public string `json:"public,omitempty"`
	Base   string `json:"base,omitempty"`
	Pre    bool   `json:"pre,omitempty"`
	Post   bool   `json:"post,omitempty"`
	Dev    bool   `json:"dev,omitempty"`
	// compare: -1, 0 or 1
	Cmp *int `json:"cmp,omitempty"`
	// specifier and requirement: the set's clauses as written, sorted
	Spec []string `json:"spec,omitempty"`
	// specifier: one letter per version, T(rue), F(alse) or E(rror)
	Contains string `json:"contains,omitempty"`
	// marker and requirement: one letter per environment of Envs
	Eval string `json:"eval,omitempty"`
	// requirement and wheel: normalized project name
	Name   string   `json:"name,omitempty"`
	Extras []string `json:"extras,omitempty"`
	URL    string   `json:"url,omitempty"`
	// wheel: normalized version, build tag (number, suffix), sorted tags
	Version string   `json:"version,omitempty"`
	Build   []string `json:"build,omitempty"`
	// tags: the ordered tag list; pip: the sorted tag set pip accepts
	Tags []string `json:"tags,omitempty"`
	Pip  []string `json:"pip,omitempty"`
}

// Key is the answer's canonical JSON (empty fields left out).
func (a Answer) Key() string {
	a.ID = ""
	b, _ := json.Marshal(a)
	return string(b)
}

// Geolayer answers c with geolayer's packages.
func Geolayer(c Case, envs []map[string]string) Answer {
	a := Answer{ID: c.ID}
	switch c.Kind {
	case "version":
		v, err := pep440.ParseVersion(c.Input)
		if err != nil {
			return a
		}
		a.Valid = true
		a.Str, a.Public, a.Base = v.String(), v.Public().String(), v.Base().String()
		a.Pre, a.Post, a.Dev = v.IsPrerelease(), v.IsPostrelease(), v.Dev
	case "compare":
		n, err := pep440.CompareVersions(c.Input, c.Other)
		if err != nil {
			return a
		}
		a.Valid, a.Cmp = true, &n
	case "specifier":
		set, err := pep440.ParseSpecifierSet(c.Input)
		if err != nil {
			return a
		}
		a.Valid, a.Spec = true, specList(set)
		var b strings.Builder
		for _, v := range c.Versions {
			ok, err := set.ContainsString(v)
			b.WriteString(letter(ok, err))
		}
		a.Contains = b.String()
	case "marker", "marker-expr":
		m, err := pyreq.ParseMarker(c.Input)
		if err != nil {
			return a
		}
		a.Valid = true
		var b strings.Builder
		for _, env := range envs {
			ok, err := m.Eval(env)
			b.WriteString(letter(ok, err))
		}
		a.Eval = b.String()
	case "requirement":
		r, err := pyreq.ParseRequirement(c.Input)
		if err != nil {
			return a
		}
		a.Valid, a.Name, a.URL = true, r.Name, r.URL
		seen := map[string]bool{}
		for _, e := range r.Extras {
			if !seen[e] {
				seen[e] = true
				a.Extras = append(a.Extras, e)
			}
		}
		sort.Strings(a.Extras)
		if r.Specifier != "" {
			set, err := pep440.ParseSpecifierSet(r.Specifier)
			if err != nil {
				a.Spec = []string{"unparsable: " + err.Error()}
			} else {
				a.Spec = specList(set)
			}
		}
		if r.Marker != "" {
			var b strings.Builder
			for _, env := range envs {
				ok, err := pyreq.EvalMarker(r.Marker, env)
				b.WriteString(letter(ok, err))
			}
			a.Eval = b.String()
		}
	case "wheel":
		f, err := wheel.ParseFilename(c.Input)
		if err != nil {
			return a
		}
		a.Valid, a.Name = true, f.Name
		v, err := pep440.ParseVersion(f.Version)
		if err != nil {
			a.Version = "unparsable: " + f.Version
		} else {
			a.Version = v.String()
		}
		if f.Build != "" {
			num, suffix, _ := wheel.ParseBuildTag(f.Build)
			a.Build = []string{num, suffix}
		}
		for _, t := range f.Tags {
			a.Tags = append(a.Tags, t.String())
		}
		sort.Strings(a.Tags)
	case "tags":
		p := c.Profile
		tags, err := wheel.TargetTags(wheel.Target{PythonVersion: p.Python, Arch: p.Arch, Glibc: p.Glibc})
		if err != nil {
			return a
		}
		a.Valid = true
		seen := map[string]bool{}
		for _, t := range tags {
			a.Tags = append(a.Tags, t.String())
			if !seen[t.String()] {
				seen[t.String()] = true
				a.Pip = append(a.Pip, t.String())
			}
		}
		sort.Strings(a.Pip)
	}
	return a
}

func letter(ok bool, err error) string {
	switch {
	case err != nil:
		return "E"
	case ok:
		return "T"
	}
	return "F"
}

// specList lists a specifier set's clauses as written, sorted, without the
// clauses packaging's SpecifierSet (a set) drops as equal to an earlier
// one: same operator and same canonicalize_version() of the version.
func specList(set pep440.SpecifierSet) []string {
	seen := map[string]bool{}
	var out []string
	for _, sp := range set {
		k := sp.Op + " " + canonicalSpecVersion(sp)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, sp.String())
	}
	sort.Strings(out)
	return out
}

// canonicalSpecVersion is packaging's canonicalize_version() of the
// clause's version text: the normalized version with trailing ".0"s
// stripped (kept for ~=), or the text itself when it is not a version
// (wildcards, arbitrary === strings).
func canonicalSpecVersion(sp pep440.Specifier) string {
	if sp.Wildcard {
		return sp.Version + ".*"
	}
	v, err := pep440.ParseVersion(sp.Version)
	if err != nil {
		return sp.Version
	}
	if sp.Op != "~=" {
		for len(v.Release) > 1 && v.Release[len(v.Release)-1] == 0 {
			v.Release = v.Release[:len(v.Release)-1]
		}
	}
	return v.String()
}
