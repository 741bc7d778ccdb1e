package pyreq

// pip requirements files, as described by
// https://pip.pypa.io/en/stable/reference/requirements-file-format/

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// RequirementsFile is a parsed pip requirements file.
type RequirementsFile struct {
	Name         string
	Requirements []Requirement
	// Includes are -r (and -c) lines, in file order. Paths are as written,
	// relative to the including file; the caller reads them.
	Includes []Include
	// Options are the file-level pip options, in file order.
	Options []Option
}

// Include is a "-r path" (or, with Constraint, "-c path") line.
type Include struct {
	Path       string
	Line       int
	Constraint bool
}

// Option is a file-level option line. Name is the long option name without
// dashes ("index-url"); Value is empty for flags such as "no-index".
type Option struct {
	Name  string
	Value string
	Line  int
}

// RequireHashes reports whether the file contains --require-hashes.
func (f *RequirementsFile) RequireHashes() bool {
	for _, o := range f.Options {
		if o.Name == "require-hashes" {
			return true
		}
	}
	return false
}

// fileOptions maps every accepted file-level option spelling to its long
// name and whether it takes a value. "-r" and "-c" are handled separately.
var fileOptions = map[string]struct {
	long     string
	hasValue bool
}{
	"-i": {"index-url", true}, "--index-url": {"index-url", true},
	"--extra-index-url": {"extra-index-url", true},
	"--no-index":        {"no-index", false},
	"-f":                {"find-links", true}, "--find-links": {"find-links", true},
	"--trusted-host":   {"trusted-host", true},
	"--pre":            {"pre", false},
	"--prefer-binary":  {"prefer-binary", false},
	"--only-binary":    {"only-binary", true},
	"--no-binary":      {"no-binary", true},
	"--require-hashes": {"require-hashes", false},
	"--use-feature":    {"use-feature", true},
}

var includeOptions = map[string]bool{ // option -> is constraint
	"-r": false, "--requirement": false,
	"-c": true, "--constraint": true,
}

var (
	commentRe = regexp.MustCompile(`(^|\s)#.*$`)
	envVarRe  = regexp.MustCompile(`\$\{[A-Za-z0-9_]+\}`)
	// optionStartRe finds the first whitespace-separated word starting
	// with "-": there the per-requirement options begin (as in pip).
	optionStartRe = regexp.MustCompile(`\s-`)
)

// ParseRequirementsFile parses a pip requirements file. name is used in
// error messages and recorded in each Requirement.File.
func ParseRequirementsFile(r io.Reader, name string) (*RequirementsFile, error) {
	lines, err := logicalLines(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f := &RequirementsFile{Name: name}
	for _, ll := range lines {
		if err := f.parseLine(ll.text, ll.line); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, ll.line, err)
		}
	}
	return f, nil
}

// ParseRequirements returns the requirements of a requirements file that
// has no -r/-c lines; files with includes are an error here (use
// ParseRequirementsFile, which reports them). File-level options are
// ignored.
func ParseRequirements(r io.Reader, name string) ([]Requirement, error) {
	f, err := ParseRequirementsFile(r, name)
	if err != nil {
		return nil, err
	}
	if len(f.Includes) > 0 {
		inc := f.Includes[0]
		return nil, fmt.Errorf("%s:%d: includes %s, which ParseRequirements cannot follow; use ParseRequirementsFile", name, inc.Line, inc.Path)
	}
	return f.Requirements, nil
}

type logicalLine struct {
	text string
	line int // first physical line, 1-based
}

// logicalLines joins "\" continuations and strips comments and blank lines.
// As in pip, a line that starts with a comment never continues.
func logicalLines(r io.Reader) ([]logicalLine, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	var out []logicalLine
	var cur strings.Builder
	start, n := 0, 0
	flush := func() {
		text := strings.TrimSpace(commentRe.ReplaceAllString(cur.String(), ""))
		if text != "" {
			out = append(out, logicalLine{text: text, line: start})
		}
		cur.Reset()
		start = 0
	}
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if start == 0 {
			start = n
		}
		isComment := strings.HasPrefix(strings.TrimLeft(line, " \t"), "#")
		if strings.HasSuffix(line, `\`) && !isComment {
			cur.WriteString(strings.TrimSuffix(line, `\`))
			continue
		}
		if isComment && cur.Len() > 0 {
			cur.WriteString(" ") // make the comment start with whitespace
		}
		cur.WriteString(line)
		flush()
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	flush() // continuation on the last line
	return out, nil
}

func (f *RequirementsFile) parseLine(text string, line int) error {
	if m := envVarRe.FindString(text); m != "" {
		return fmt.Errorf("environment variable %s: expanding variables in requirements files is not supported", m)
	}
	fields := strings.Fields(text)
	if strings.HasPrefix(fields[0], "-") {
		return f.parseOptionLine(fields, line)
	}
	// Requirement text, then per-requirement options (first word starting
	// with "-", as pip splits them).
	reqText, optText := text, ""
	if loc := optionStartRe.FindStringIndex(text); loc != nil {
		reqText, optText = text[:loc[0]], text[loc[0]:]
	}
	reqText = strings.TrimSpace(reqText)
	req, err := ParseRequirement(reqText)
	if err != nil {
		if looksLikePathOrURL(reqText) {
			return fmt.Errorf("%q: direct URL or path requirements must be written as `name @ url`", reqText)
		}
		return err
	}
	req.File, req.Line = f.Name, line
	opts := strings.Fields(optText)
	for j := 0; j < len(opts); j++ {
		opt, val, hasVal := strings.Cut(opts[j], "=")
		switch opt {
		case "--hash":
			if !hasVal {
				if j+1 >= len(opts) {
					return fmt.Errorf("--hash needs a value")
				}
				j++
				val = opts[j]
			}
			h, err := parseHashOption(val)
			if err != nil {
				return err
			}
			req.Hashes = append(req.Hashes, h)
		case "--config-settings", "--global-option", "--install-option":
			return fmt.Errorf("%s: build options are not supported (geolayer installs wheels)", opt)
		default:
			return fmt.Errorf("unknown option %s after requirement %s", opt, req.Name)
		}
	}
	f.Requirements = append(f.Requirements, req)
	return nil
}

func (f *RequirementsFile) parseOptionLine(fields []string, line int) error {
	for j := 0; j < len(fields); j++ {
		word := fields[j]
		opt, val, hasVal := strings.Cut(word, "=")
		if !strings.HasPrefix(word, "--") && len(word) > 2 {
			// Short option with attached value: -rfile, -ihttps://...
			opt, val, hasVal = word[:2], word[2:], true
		}
		takeValue := func() (string, error) {
			if hasVal {
				if val == "" {
					return "", fmt.Errorf("%s needs a value", opt)
				}
				return val, nil
			}
			if j+1 >= len(fields) {
				return "", fmt.Errorf("%s needs a value", opt)
			}
			j++
			return fields[j], nil
		}
		if constraint, ok := includeOptions[opt]; ok {
			p, err := takeValue()
			if err != nil {
				return err
			}
			f.Includes = append(f.Includes, Include{Path: p, Line: line, Constraint: constraint})
			continue
		}
		if def, ok := fileOptions[opt]; ok {
			o := Option{Name: def.long, Line: line}
			if def.hasValue {
				v, err := takeValue()
				if err != nil {
					return err
				}
				o.Value = v
			} else if hasVal {
				return fmt.Errorf("%s takes no value", opt)
			}
			f.Options = append(f.Options, o)
			continue
		}
		switch opt {
		case "-e", "--editable":
			return fmt.Errorf("%s: editable requirements are not supported", opt)
		case "--hash":
			return fmt.Errorf("--hash must follow a requirement on the same line")
		}
		if !strings.HasPrefix(opt, "-") {
			return fmt.Errorf("unexpected %q after options", word)
		}
		return fmt.Errorf("unknown option %s", opt)
	}
	return nil
}

// strongHashes are the algorithms pip accepts for --hash, with their hex
// digest lengths (pypa/pip src/pip/_internal/utils/hashes.py STRONG_HASHES).
var strongHashes = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

func parseHashOption(v string) (Hash, error) {
	alg, hex, ok := strings.Cut(v, ":")
	if !ok {
		return Hash{}, fmt.Errorf("--hash=%s: expected <algorithm>:<hex digest>", v)
	}
	alg, hex = strings.ToLower(alg), strings.ToLower(hex)
	n, ok := strongHashes[alg]
	if !ok {
		if alg == "md5" || alg == "sha1" {
			return Hash{}, fmt.Errorf("--hash=%s: %s is too weak; use sha256, sha384 or sha512", v, alg)
		}
		return Hash{}, fmt.Errorf("--hash=%s: unsupported algorithm %q (use sha256, sha384 or sha512)", v, alg)
	}
	if len(hex) != n || strings.Trim(hex, "0123456789abcdef") != "" {
		return Hash{}, fmt.Errorf("--hash=%s: expected %d hex digits for %s", v, n, alg)
	}
	return Hash{Alg: alg, Hex: hex}, nil
}

func looksLikePathOrURL(s string) bool {
	return strings.Contains(s, "://") || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "/") ||
		strings.HasSuffix(s, ".whl") || strings.HasSuffix(s, ".tar.gz") || strings.HasSuffix(s, ".zip")
}
