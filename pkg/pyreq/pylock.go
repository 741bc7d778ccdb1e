package pyreq

// PEP 751 lock files,
// https://packaging.python.org/en/latest/specifications/pylock-toml/

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/geolayer/geolayer/pkg/pep440"
	"github.com/geolayer/geolayer/pkg/simpleindex"
	toml "github.com/pelletier/go-toml/v2"
)

// Lock is a pylock.toml file. Field order follows the spec, which is also
// the order WritePylock writes keys in.
type Lock struct {
	LockVersion      string         `toml:"lock-version"`
	Environments     []string       `toml:"environments,omitempty"`
	RequiresPython   string         `toml:"requires-python,omitempty"`
	Extras           []string       `toml:"extras"`
	DependencyGroups []string       `toml:"dependency-groups"`
	DefaultGroups    []string       `toml:"default-groups,omitempty"`
	CreatedBy        string         `toml:"created-by"`
	Packages         []LockPackage  `toml:"packages"`
	Tool             map[string]any `toml:"tool,omitempty"`

	// UnknownKeys are keys PEP 751 does not define (a lock of a newer
	// 1.x minor version may have them; ParsePylock refuses them in 1.0).
	UnknownKeys []string `toml:"-"`
}

// LockPackage is one [[packages]] entry.
type LockPackage struct {
	Name           string           `toml:"name"`
	Version        string           `toml:"version,omitempty"`
	Marker         string           `toml:"marker,omitempty"`
	RequiresPython string           `toml:"requires-python,omitempty"`
	Dependencies   []map[string]any `toml:"dependencies,omitempty"`
	VCS            *LockVCS         `toml:"vcs,omitempty"`
	Directory      *LockDirectory   `toml:"directory,omitempty"`
	Archive        *LockArchive     `toml:"archive,omitempty"`
	Index          string           `toml:"index,omitempty"`
	Sdist          *LockFile        `toml:"sdist,omitempty"`
	Wheels         []LockFile       `toml:"wheels,omitempty"`
	// AttestationIdentities each have a "kind" plus publisher-specific keys.
	AttestationIdentities []map[string]any `toml:"attestation-identities,omitempty"`
	Tool                  map[string]any   `toml:"tool,omitempty"`
}

// LockFile is a [packages.sdist] table or a [[packages.wheels]] entry.
// Name is filled from the last URL/path component when the file omits it.
type LockFile struct {
	Name       string            `toml:"name,omitempty"`
	UploadTime time.Time         `toml:"upload-time,omitempty"`
	URL        string            `toml:"url,omitempty"`
	Path       string            `toml:"path,omitempty"`
	Size       int64             `toml:"size,omitempty"`
	Hashes     map[string]string `toml:"hashes,inline"`
}

// LockArchive is a [packages.archive] table (direct URL to an archive).
type LockArchive struct {
	URL          string            `toml:"url,omitempty"`
	Path         string            `toml:"path,omitempty"`
	Size         int64             `toml:"size,omitempty"`
	UploadTime   time.Time         `toml:"upload-time,omitempty"`
	Hashes       map[string]string `toml:"hashes,inline"`
	Subdirectory string            `toml:"subdirectory,omitempty"`
}

// LockVCS is a [packages.vcs] table.
type LockVCS struct {
	Type              string `toml:"type"`
	URL               string `toml:"url,omitempty"`
	Path              string `toml:"path,omitempty"`
	RequestedRevision string `toml:"requested-revision,omitempty"`
	CommitID          string `toml:"commit-id"`
	Subdirectory      string `toml:"subdirectory,omitempty"`
}

// LockDirectory is a [packages.directory] table.
type LockDirectory struct {
	Path         string `toml:"path"`
	Editable     bool   `toml:"editable,omitempty"`
	Subdirectory string `toml:"subdirectory,omitempty"`
}

// ParsePylock parses and validates a pylock.toml file. Package names and
// hash algorithm names are normalized, missing file names are filled in.
func ParsePylock(data []byte) (*Lock, error) {
	// Decode twice: once generically to see which keys are present (the
	// spec requires some), once into the typed structure.
	var top map[string]any
	if err := toml.Unmarshal(data, &top); err != nil {
		return nil, tomlError(err)
	}
	for _, key := range []string{"lock-version", "created-by", "packages"} {
		if _, ok := top[key]; !ok {
			return nil, fmt.Errorf("pylock: missing required key %s", key)
		}
	}
	var l Lock
	if err := toml.Unmarshal(data, &l); err != nil {
		return nil, tomlError(err)
	}
	if err := l.validate(); err != nil {
		return nil, err
	}
	l.UnknownKeys = unknownKeys(top)
	// "If a tool supports the major version but not the minor version, a
	// tool SHOULD warn when an unknown key is seen": a 1.0 lock has no key
	// outside the spec (tool tables are where tools put theirs).
	if len(l.UnknownKeys) > 0 && l.LockVersion == "1.0" {
		return nil, fmt.Errorf("pylock: key %s is not part of lock-version 1.0 (PEP 751); tool-specific keys belong under [tool]", l.UnknownKeys[0])
	}
	return &l, nil
}

// tomlError gives a TOML syntax error its line and column.
func tomlError(err error) error {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		return fmt.Errorf("pylock: line %d, column %d: %s", row, col, de.Error())
	}
	return fmt.Errorf("pylock: %w", err)
}

// The keys PEP 751 defines, per table.
var (
	lockTopKeys     = keySet("lock-version", "environments", "requires-python", "extras", "dependency-groups", "default-groups", "created-by", "packages", "tool")
	lockPackageKeys = keySet("name", "version", "marker", "requires-python", "dependencies", "vcs", "directory", "archive", "index", "sdist", "wheels", "attestation-identities", "tool")
	lockFileKeys    = keySet("name", "upload-time", "url", "path", "size", "hashes")
	lockArchiveKeys = keySet("url", "path", "size", "upload-time", "hashes", "subdirectory")
	lockVCSKeys     = keySet("type", "url", "path", "requested-revision", "commit-id", "subdirectory")
	lockDirKeys     = keySet("path", "editable", "subdirectory")
)

func keySet(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// unknownKeys lists the keys of a decoded lock that PEP 751 does not
// define, as dotted paths ("packages[2].frob"), sorted.
func unknownKeys(top map[string]any) []string {
	var out []string
	check := func(where string, m map[string]any, known map[string]bool) {
		for k := range m {
			if !known[k] {
				out = append(out, where+k)
			}
		}
	}
	check("", top, lockTopKeys)
	pkgs, _ := top["packages"].([]any)
	for i, p := range pkgs {
		pm, ok := p.(map[string]any)
		if !ok {
			continue
		}
		where := fmt.Sprintf("packages[%d].", i)
		check(where, pm, lockPackageKeys)
		if m, ok := pm["sdist"].(map[string]any); ok {
			check(where+"sdist.", m, lockFileKeys)
		}
		if m, ok := pm["archive"].(map[string]any); ok {
			check(where+"archive.", m, lockArchiveKeys)
		}
		if m, ok := pm["vcs"].(map[string]any); ok {
			check(where+"vcs.", m, lockVCSKeys)
		}
		if m, ok := pm["directory"].(map[string]any); ok {
			check(where+"directory.", m, lockDirKeys)
		}
		ws, _ := pm["wheels"].([]any)
		for j, w := range ws {
			if m, ok := w.(map[string]any); ok {
				check(fmt.Sprintf("%swheels[%d].", where, j), m, lockFileKeys)
			}
		}
	}
	slices.Sort(out)
	return out
}

// checkLockVersion accepts any 1.x version (newer minor versions only add
// keys, which are ignored).
func checkLockVersion(v string) error {
	major, minor, ok := strings.Cut(v, ".")
	if !ok || major == "" || minor == "" || strings.Trim(major+minor, "0123456789") != "" {
		return fmt.Errorf("pylock: invalid lock-version %q", v)
	}
	if strings.TrimLeft(major, "0") != "1" {
		return fmt.Errorf("pylock: unsupported lock-version %q (supported: 1.x)", v)
	}
	return nil
}

// validate checks the lock against the spec and normalizes it in place.
func (l *Lock) validate() error {
	if err := checkLockVersion(l.LockVersion); err != nil {
		return err
	}
	if strings.TrimSpace(l.CreatedBy) == "" {
		return errors.New("pylock: created-by is empty")
	}
	for _, env := range l.Environments {
		if _, err := ParseMarker(env); err != nil {
			return fmt.Errorf("pylock: environments: %w", err)
		}
	}
	if l.RequiresPython != "" {
		if _, err := pep440.ParseSpecifierSet(l.RequiresPython); err != nil {
			return fmt.Errorf("pylock: requires-python: %w", err)
		}
	}
	unconditional := map[string]int{} // name -> index of a marker-less entry
	for i := range l.Packages {
		p := &l.Packages[i]
		if err := p.validate(); err != nil {
			if p.Name == "" {
				return fmt.Errorf("pylock: packages[%d]: %w", i, err)
			}
			return fmt.Errorf("pylock: package %s: %w", p.Name, err)
		}
		if p.Marker != "" {
			continue
		}
		// Two entries without markers are always both selected, so the
		// install-time ambiguity check would fail in every environment.
		if j, dup := unconditional[p.Name]; dup {
			return fmt.Errorf("pylock: package %s is listed twice without a marker (packages[%d] and packages[%d]): ambiguous", p.Name, j, i)
		}
		unconditional[p.Name] = i
	}
	return nil
}

func (p *LockPackage) validate() error {
	if p.Name == "" {
		return errors.New("missing name")
	}
	if !simpleindex.ValidName(p.Name) {
		return fmt.Errorf("invalid name %q", p.Name)
	}
	p.Name = simpleindex.NormalizeName(p.Name)
	if p.Version != "" {
		if _, err := pep440.ParseVersion(p.Version); err != nil {
			return err
		}
	}
	if p.Marker != "" {
		if _, err := ParseMarker(p.Marker); err != nil {
			return err
		}
	}
	if p.RequiresPython != "" {
		if _, err := pep440.ParseSpecifierSet(p.RequiresPython); err != nil {
			return fmt.Errorf("requires-python: %w", err)
		}
	}
	var kinds []string
	if p.VCS != nil {
		kinds = append(kinds, "vcs")
	}
	if p.Directory != nil {
		kinds = append(kinds, "directory")
	}
	if p.Archive != nil {
		kinds = append(kinds, "archive")
	}
	if p.Sdist != nil || len(p.Wheels) > 0 {
		kinds = append(kinds, "sdist/wheels")
	}
	switch len(kinds) {
	case 0:
		return errors.New("no source: needs wheels, sdist, archive, vcs or directory")
	case 1:
	default:
		return fmt.Errorf("conflicting sources %s: they are mutually exclusive", strings.Join(kinds, ", "))
	}
	switch {
	case p.VCS != nil:
		v := p.VCS
		if v.Type == "" || v.CommitID == "" || (v.URL == "") == (v.Path == "") {
			return errors.New("vcs needs type, commit-id and exactly one of url or path")
		}
	case p.Directory != nil:
		if p.Directory.Path == "" {
			return errors.New("directory needs a path")
		}
	case p.Archive != nil:
		a := p.Archive
		if err := checkLocation(a.URL, a.Path); err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		var err error
		if a.Hashes, err = checkHashes(a.Hashes); err != nil {
			return fmt.Errorf("archive: %w", err)
		}
	}
	if p.Sdist != nil {
		if err := p.Sdist.validate(""); err != nil {
			return fmt.Errorf("sdist: %w", err)
		}
	}
	seen := map[string]bool{}
	for i := range p.Wheels {
		w := &p.Wheels[i]
		if err := w.validate(p.Name); err != nil {
			return fmt.Errorf("wheels[%d]: %w", i, err)
		}
		if seen[w.Name] {
			return fmt.Errorf("wheel %s is listed twice", w.Name)
		}
		seen[w.Name] = true
	}
	return nil
}

// validate checks a wheel (project != "") or sdist entry.
func (f *LockFile) validate(project string) error {
	if err := checkLocation(f.URL, f.Path); err != nil {
		return err
	}
	if f.Name == "" {
		loc := f.URL
		if loc == "" {
			loc = f.Path
		}
		loc, _, _ = strings.Cut(loc, "#")
		loc, _, _ = strings.Cut(loc, "?")
		f.Name = path.Base(strings.ReplaceAll(loc, `\`, "/"))
	}
	if f.Size < 0 {
		return fmt.Errorf("%s: negative size", f.Name)
	}
	var err error
	if f.Hashes, err = checkHashes(f.Hashes); err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	if !f.UploadTime.IsZero() {
		f.UploadTime = f.UploadTime.UTC()
	}
	if project == "" {
		return nil
	}
	if !strings.HasSuffix(f.Name, ".whl") {
		return fmt.Errorf("%s is not a wheel file name", f.Name)
	}
	dist, _, _ := strings.Cut(f.Name, "-")
	if simpleindex.NormalizeName(dist) != project {
		return fmt.Errorf("wheel %s does not belong to package %s", f.Name, project)
	}
	return nil
}

func checkLocation(url, path string) error {
	if url == "" && path == "" {
		return errors.New("needs url or path")
	}
	return nil
}

// checkHashes requires at least one entry and lowercases keys and values.
func checkHashes(h map[string]string) (map[string]string, error) {
	if len(h) == 0 {
		return nil, errors.New("hashes must have at least one entry")
	}
	out := make(map[string]string, len(h))
	for alg, v := range h {
		alg, v = strings.ToLower(strings.TrimSpace(alg)), strings.ToLower(strings.TrimSpace(v))
		if alg == "" || v == "" {
			return nil, fmt.Errorf("empty hash %q = %q", alg, v)
		}
		if _, dup := out[alg]; dup {
			return nil, fmt.Errorf("hash algorithm %s given twice", alg)
		}
		out[alg] = v
	}
	return out, nil
}
