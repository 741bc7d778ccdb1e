package instructions

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/geolayer/geolayer/frontend/parser"
)

// mountKeys lists the keys accepted per mount type; aliases map to the
// canonical key.
var mountKeys = map[MountType][]string{
	MountCache:  {"type", "target", "dst", "destination", "id", "sharing", "ro", "readonly", "mode", "uid", "gid"},
	MountSecret: {"type", "id", "target", "dst", "destination", "env", "required", "mode", "uid", "gid"},
	MountTmpfs:  {"type", "target", "dst", "destination", "size"},
}

var mountTypes = []string{string(MountCache), string(MountSecret), string(MountTmpfs)}

type mountField struct {
	key    string
	val    string
	hasVal bool
	kw, vw parser.Word
}

// splitFields splits a raw --mount value on commas that are outside quotes
// and `${...}`, returning byte ranges.
func splitFields(raw string, esc rune) [][2]int {
	var out [][2]int
	start, depth := 0, 0
	var quote rune
	for i := 0; i < len(raw); {
		r, sz := utf8.DecodeRuneInString(raw[i:])
		switch {
		case quote == '\'':
			if r == '\'' {
				quote = 0
			}
		case r == esc:
			if i+sz < len(raw) {
				_, sz2 := utf8.DecodeRuneInString(raw[i+sz:])
				sz += sz2
			}
		case quote == '"':
			if r == '"' {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '$' && i+1 < len(raw) && raw[i+1] == '{':
			depth++
			sz = 2
		case r == '}' && depth > 0:
			depth--
		case r == ',' && depth == 0:
			out = append(out, [2]int{start, i})
			start = i + 1
		}
		i += sz
	}
	return append(out, [2]int{start, len(raw)})
}

func (ld *loader) parseMount(fv flagVal) (*Mount, error) {
	w := unquoteWhole(fv.word)
	m := &Mount{Location: []parser.Range{fv.flag.Range}}
	var fields []mountField
	seen := map[string]parser.Range{}
	for _, se := range splitFields(w.Raw, ld.esc) {
		pw := w.Sub(se[0], se[1])
		if strings.TrimSpace(pw.Raw) == "" {
			return nil, errAt(pw.Range, "empty field in RUN --mount; expected <key>=<value> pairs separated by ','")
		}
		key, _, hasVal := strings.Cut(pw.Raw, "=")
		f := mountField{key: strings.ToLower(key), hasVal: hasVal, kw: pw.Sub(0, len(key)), vw: pw.Sub(len(key)+1, len(pw.Raw))}
		if !hasVal {
			f.vw = pw.Sub(len(pw.Raw), len(pw.Raw))
		}
		canon := canonicalMountKey(f.key)
		if prev, ok := seen[canon]; ok {
			return nil, errAtAll([]parser.Range{f.kw.Range, prev}, "mount option %s is given twice in RUN --mount", key)
		}
		seen[canon] = f.kw.Range
		if hasVal {
			v, err := ld.word(f.vw)
			if err != nil {
				return nil, err
			}
			f.val = v
		}
		fields = append(fields, f)
	}

	var typeField *mountField
	for i := range fields {
		if fields[i].key == "type" {
			typeField = &fields[i]
		}
	}
	if typeField == nil {
		return nil, errAt(fv.flag.Range, "missing type in RUN --mount: expected type=cache, type=secret or type=tmpfs")
	}
	if !slices.Contains(mountTypes, typeField.val) {
		msg := fmt.Sprintf("invalid mount type %q in RUN --mount: expected cache, secret or tmpfs", typeField.val)
		if s := suggest(typeField.val, mountTypes); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		return nil, errAt(typeField.vw.Range, "%s", msg)
	}
	m.Type = MountType(typeField.val)
	allowed := mountKeys[m.Type]

	for _, f := range fields {
		if !slices.Contains(allowed, f.key) {
			msg := fmt.Sprintf("unknown option %q for RUN --mount=type=%s", f.key, m.Type)
			if s := suggest(f.key, allowed); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			msg += "; expected one of " + strings.Join(allowed[1:], ", ")
			return nil, errAt(f.kw.Range, "%s", msg)
		}
		if f.key == "type" {
			continue
		}
		isBool := f.key == "ro" || f.key == "readonly" || f.key == "required"
		if !isBool && !f.hasVal {
			return nil, errAt(f.kw.Range, "mount option %s in RUN --mount requires a value: %s=<value>", f.key, f.key)
		}
		bad := func(expected string) error {
			return errAt(f.vw.Range, "invalid value %q for mount option %s in RUN --mount: expected %s", f.val, f.key, expected)
		}
		switch canonicalMountKey(f.key) {
		case "target":
			if !path.IsAbs(f.val) {
				return nil, bad("an absolute path such as /root/.cache/pip")
			}
			m.Target = path.Clean(f.val)
		case "id":
			if f.val == "" {
				return nil, bad("a non-empty id")
			}
			m.ID = f.val
		case "sharing":
			if f.val != "shared" && f.val != "private" && f.val != "locked" {
				return nil, bad("shared, private or locked")
			}
			m.Sharing = f.val
		case "readonly", "required":
			b := true
			if f.hasVal {
				var err error
				if b, err = strconv.ParseBool(f.val); err != nil {
					return nil, bad("true or false")
				}
			}
			if f.key == "required" {
				m.Required = b
			} else {
				m.ReadOnly = b
			}
		case "env":
			if !validName(f.val) {
				return nil, bad("an environment variable name")
			}
			m.Env = f.val
		case "mode":
			v, err := strconv.ParseUint(f.val, 8, 32)
			if err != nil || v > 0o7777 {
				return nil, bad("an octal file mode such as 0400")
			}
			mode := uint32(v)
			m.Mode = &mode
		case "uid", "gid":
			v, err := strconv.Atoi(f.val)
			if err != nil || v < 0 {
				return nil, bad("a non-negative number")
			}
			if f.key == "uid" {
				m.UID = &v
			} else {
				m.GID = &v
			}
		case "size":
			b, problem := parseSize(f.val)
			if problem != "" {
				return nil, errAt(f.vw.Range, "invalid size %q for RUN --mount=type=tmpfs: %s", f.val, problem)
			}
			m.Size = b
		}
	}

	switch m.Type {
	case MountCache, MountTmpfs:
		if m.Target == "" {
			return nil, errAt(fv.flag.Range, "missing target in RUN --mount=type=%s: expected target=<absolute path>", m.Type)
		}
	case MountSecret:
		if m.ID == "" && m.Target == "" {
			return nil, errAt(fv.flag.Range, "missing id in RUN --mount=type=secret: expected id=<secret id> or target=<path>")
		}
		if m.ID == "" {
			m.ID = path.Base(m.Target)
		}
	}
	return m, nil
}

// unquoteWhole strips quotes around a whole --mount value
// (--mount="type=cache,target=/x") so its fields can be split.
func unquoteWhole(w parser.Word) parser.Word {
	raw := w.Raw
	if len(raw) < 2 || (raw[0] != '"' && raw[0] != '\'') || raw[len(raw)-1] != raw[0] {
		return w
	}
	for i := 1; i < len(raw)-1; i++ {
		if raw[i] == raw[0] && (raw[0] == '\'' || raw[i-1] != '\\') {
			return w // more than one quoted section
		}
	}
	return w.Sub(1, len(raw)-1)
}

func canonicalMountKey(k string) string {
	switch k {
	case "dst", "destination":
		return "target"
	case "ro":
		return "readonly"
	}
	return k
}
