package wheel

import (
	"archive/zip"
	"fmt"
	"path"
	"sort"
	"strings"
)

// entryKind classifies archive members.
type entryKind int

const (
	kindFile entryKind = iota
	kindDir
	kindSymlink
)

// plannedEntry is an archive member with its destination.
type plannedEntry struct {
	f      *zip.File
	kind   entryKind
	exec   bool
	key    string // scheme key of the destination
	dest   string // relative to root, '/'-separated
	rec    recordEntry
	script bool // under .data/scripts: shebang rewriting applies
}

// plan classifies every member, maps it to its destination and checks that
// it is covered by RECORD, before anything is written.
func (in *installer) plan(files []*zip.File) ([]plannedEntry, error) {
	var plan []plannedEntry
	listed := map[string]bool{}
	// Destinations of files, pre-filled with what Install generates itself.
	dests := map[string]string{
		path.Join(in.scheme[in.rootKey], in.distInfo, "RECORD"):    "the installed RECORD",
		path.Join(in.scheme[in.rootKey], in.distInfo, "INSTALLER"): "the installed INSTALLER",
	}
	var declared uint64
	for _, f := range files {
		kind, exec, err := classifyEntry(f)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(f.Name, "/")
		if kind != kindDir {
			switch name {
			case in.distInfo + "/RECORD", in.distInfo + "/RECORD.jws", in.distInfo + "/RECORD.p7s":
				if name != in.distInfo+"/RECORD" {
					in.warnf("dropped %s: it signs the archive RECORD, which is rewritten", name)
				}
				listed[name] = true
				continue
			}
			rec, err := checkRecorded(in.record, name)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrRecord, err)
			}
			listed[name] = true
			switch name {
			case in.distInfo + "/INSTALLER", in.distInfo + "/REQUESTED", in.distInfo + "/direct_url.json":
				in.warnf("dropped %s: install-time metadata does not belong in a wheel", name)
				continue
			}
			declared += f.UncompressedSize64
			p := plannedEntry{f: f, kind: kind, exec: exec, rec: rec}
			if p.key, p.dest, err = in.destination(name, false); err != nil {
				return nil, err
			}
			if other, dup := dests[p.dest]; dup {
				return nil, fmt.Errorf("%w: two members install to %s (%s and %s)", ErrUnsafe, p.dest, other, name)
			}
			dests[p.dest] = name
			// site.py runs a .pth file's import lines at every start.
			if (p.key == "purelib" || p.key == "platlib") && path.Ext(p.dest) == ".pth" && path.Dir(p.dest) == path.Clean(in.scheme[p.key]) {
				in.warnf("%s %s: Python runs its import lines at every interpreter start, whether or not the package is imported", PthWarning, path.Base(p.dest))
			}
			if p.key == "scripts" && strings.HasPrefix(name, in.dataDir+"/") {
				if kind != kindFile {
					return nil, fmt.Errorf("%w %q: scripts may only contain regular files", ErrUnsafe, name)
				}
				p.script = true
			}
			plan = append(plan, p)
			continue
		}
		if name == in.dataDir {
			continue
		}
		key, dest, err := in.destination(name, true)
		if err != nil {
			return nil, err
		}
		plan = append(plan, plannedEntry{f: f, kind: kindDir, key: key, dest: dest})
	}
	if declared > uint64(in.opts.MaxUnpackedBytes) {
		return nil, fmt.Errorf("%w: wheel declares %d unpacked bytes, more than the limit of %d", ErrTooLarge, declared, in.opts.MaxUnpackedBytes)
	}
	var missing []string
	for p := range in.record {
		if !listed[p] {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		in.warnf("RECORD lists %d path(s) not in the wheel: %s", len(missing), strings.Join(missing, ", "))
	}
	return plan, nil
}

// destination maps an archive path to its scheme key and destination
// relative to root. Only directories may map onto a scheme directory itself.
func (in *installer) destination(name string, isDir bool) (key, dest string, err error) {
	if name == in.dataDir {
		return "", "", fmt.Errorf("%s: must be a directory", name)
	}
	rest, ok := strings.CutPrefix(name, in.dataDir+"/")
	if !ok {
		return in.rootKey, path.Join(in.scheme[in.rootKey], name), nil
	}
	key, sub, _ := strings.Cut(rest, "/")
	base, known := in.scheme[key]
	if !known {
		return "", "", fmt.Errorf("%s: unknown .data directory %q (want one of %s)", name, key, schemeKeysInOrder)
	}
	if sub == "" {
		if !isDir {
			return "", "", fmt.Errorf("%s: must be a directory", name)
		}
		return key, base, nil
	}
	return key, path.Join(base, sub), nil
}
