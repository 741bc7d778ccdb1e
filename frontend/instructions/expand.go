package instructions

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/geolayer/geolayer/frontend/parser"
)

// argEnv is the set of ARG values visible to expansion (a shell.EnvGetter).
// Declared-but-unset ARGs are not in vals.
type argEnv struct {
	vals map[string]string
	keys []string
}

func (e *argEnv) Get(k string) (string, bool) {
	v, ok := e.vals[k]
	return v, ok
}

func (e *argEnv) Keys() []string { return e.keys }

func (e *argEnv) set(k, v string) {
	if _, ok := e.vals[k]; !ok {
		e.keys = append(e.keys, k)
	}
	e.vals[k] = v
}

// varRef is a `$NAME` / `${NAME...}` reference inside a raw word.
type varRef struct {
	name       string
	start, end int // byte range of `$NAME` or `${NAME` (plus `}` for `${NAME}`)
	optional   bool
	replace    bool // `${NAME/pat/repl}`, `${NAME//pat/repl}`: may grow the value
}

// MaxExpandedWord bounds what one word may expand to. ARG defaults are
// expanded when read, so ARGs that each repeat the one before grow
// exponentially (16 references a level reach gigabytes in seven lines):
// the bound is checked before the shell lexer expands anything.
const MaxExpandedWord = 1 << 20

// scanRefs lists variable references in raw in the order they appear. With
// shellQuotes, text in single quotes is literal (as the shell lexer treats
// it). References inside `${A:-...}` defaults are listed as well.
// `${A-x}`, `${A:-x}`, `${A+x}` and `${A:+x}` are optional: A may be
// undeclared.
func scanRefs(raw string, esc rune, shellQuotes bool) []varRef {
	var refs []varRef
	inDQ := false
	for i := 0; i < len(raw); {
		r, sz := utf8.DecodeRuneInString(raw[i:])
		switch {
		case r == esc:
			i += sz
			if i < len(raw) {
				_, sz = utf8.DecodeRuneInString(raw[i:])
				i += sz
			}
			continue
		case shellQuotes && !inDQ && r == '\'':
			j := strings.IndexByte(raw[i+1:], '\'')
			if j < 0 {
				return refs
			}
			i += j + 2
			continue
		case shellQuotes && r == '"':
			inDQ = !inDQ
		case r == '$':
			if ref, next, ok := parseRef(raw, i); ok {
				refs = append(refs, ref)
				i = next
				continue
			}
		}
		i += sz
	}
	return refs
}

// parseRef parses the reference starting at raw[i] == '$'. next is where
// scanning continues (just after the name and modifier, so that references
// nested in a default value are found too).
func parseRef(raw string, i int) (ref varRef, next int, ok bool) {
	j := i + 1
	if j < len(raw) && raw[j] == '{' {
		name, k := readName(raw, j+1, false)
		if name == "" {
			return varRef{}, 0, false // the lexer reports the bad substitution
		}
		ref = varRef{name: name, start: i, end: k}
		if k < len(raw) {
			switch raw[k] {
			case '}':
				ref.end = k + 1
			case '-', '+':
				ref.optional = true
				k++
			case '/':
				ref.replace = true
			case ':':
				if k+1 < len(raw) && (raw[k+1] == '-' || raw[k+1] == '+') {
					ref.optional = true
				}
				k++
			}
		}
		return ref, k, true
	}
	name, k := readName(raw, j, true)
	if name == "" {
		return varRef{}, 0, false // a lone '$' is literal
	}
	return varRef{name: name, start: i, end: k}, k, true
}

// readName reads a variable name like the shell lexer does: digits, one
// special parameter character (only when special is true) or a run of
// letters, digits and '_'.
func readName(raw string, i int, special bool) (string, int) {
	if i >= len(raw) {
		return "", i
	}
	if raw[i] >= '0' && raw[i] <= '9' {
		j := i
		for j < len(raw) && raw[j] >= '0' && raw[j] <= '9' {
			j++
		}
		return raw[i:j], j
	}
	if special && strings.IndexByte("@*#?-$!", raw[i]) >= 0 {
		return raw[i : i+1], i + 1
	}
	j := i
	for j < len(raw) {
		r, sz := utf8.DecodeRuneInString(raw[j:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
			break
		}
		j += sz
	}
	return raw[i:j], j
}

// checkRefs reports the first reference to a variable that is not declared
// by an ARG above the current instruction.
func (ld *loader) checkRefs(w parser.Word, shellQuotes bool) error {
	refs := scanRefs(w.Raw, ld.esc, shellQuotes)
	if err := ld.checkExpandedSize(w, refs); err != nil {
		return err
	}
	for _, ref := range refs {
		if _, ok := ld.declared[ref.name]; ok {
			if ld.spec.UsedArgs == nil {
				ld.spec.UsedArgs = map[string]bool{}
			}
			ld.spec.UsedArgs[ref.name] = true
			continue
		}
		if ref.optional {
			continue
		}
		rng := w.RangeOf(ref.start, ref.end)
		if later, ok := ld.allArgs[ref.name]; ok {
			return errAtAll([]parser.Range{rng, later},
				"variable %s is used in %s before it is declared: ARG %s is at line %d; move the ARG above its first use",
				ref.name, ld.cur.Name, ref.name, later.Start.Line)
		}
		msg := fmt.Sprintf("undefined variable %s in %s: declare it with ARG %s (an empty default is fine), use ${%s:-<default>}, or escape the '$' as %c$",
			ref.name, ld.cur.Name, ref.name, ref.name, ld.esc)
		if s := suggest(ref.name, ld.declaredNames()); s != "" {
			msg = fmt.Sprintf("undefined variable %s in %s (did you mean %s?)", ref.name, ld.cur.Name, s)
		}
		return errAt(rng, "%s", msg)
	}
	return nil
}

// checkExpandedSize refuses a word whose expansion could exceed
// MaxExpandedWord. The estimate is an upper bound: the raw text plus every
// referenced value, and for a replacement form its value times everything
// else (each character could be replaced by all of it).
func (ld *loader) checkExpandedSize(w parser.Word, refs []varRef) error {
	total := int64(len(w.Raw))
	for _, ref := range refs {
		v, _ := ld.env.Get(ref.name)
		total += int64(len(v))
	}
	est := total
	for _, ref := range refs {
		if ref.replace {
			v, _ := ld.env.Get(ref.name)
			est += int64(len(v)) * total
		}
		if est > MaxExpandedWord {
			break
		}
	}
	if est <= MaxExpandedWord || est == int64(len(w.Raw)) {
		return nil // small, or long as written (nothing to expand)
	}
	return errAt(w.Range, "this word in %s could expand to more than %d bytes (an upper estimate: %d bytes; ARGs that repeat each other grow exponentially): shorten the ARG values or reference them fewer times", ld.cur.Name, MaxExpandedWord, est)
}

func (ld *loader) declaredNames() []string {
	var out []string
	for k := range ld.declared {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// word expands one word (shell quotes removed, no field splitting).
func (ld *loader) word(w parser.Word) (string, error) {
	if err := ld.checkRefs(w, true); err != nil {
		return "", err
	}
	res, err := ld.lex.ProcessWordWithMatches(w.Raw, ld.env)
	if err != nil {
		return "", errAt(w.Range, "invalid word in %s: %v", ld.cur.Name, err)
	}
	return res.Result, nil
}

// fields expands one word and splits unquoted expansions on white space, so
// `ARG PKGS="a b"` + `REQUIRE $PKGS` gives two requirements.
func (ld *loader) fields(w parser.Word) ([]string, error) {
	if err := ld.checkRefs(w, true); err != nil {
		return nil, err
	}
	words, err := ld.lex.ProcessWords(w.Raw, ld.env)
	if err != nil {
		return nil, errAt(w.Range, "invalid word in %s: %v", ld.cur.Name, err)
	}
	return words, nil
}

// fieldValues expands all words with field splitting; every resulting value
// keeps the range of the word it came from.
func (ld *loader) fieldValues(ws []parser.Word) ([]Value, error) {
	var out []Value
	for _, w := range ws {
		vals, err := ld.fields(w)
		if err != nil {
			return nil, err
		}
		for _, v := range vals {
			out = append(out, Value{Value: v, Location: []parser.Range{w.Range}})
		}
	}
	return out, nil
}

// verbatim expands variable references in text that is not shell syntax
// (TEST's Python source): quotes are not interpreted and everything except
// references is kept as written. `<escape>$` gives a literal '$'; any other
// escape pair is kept unchanged.
func (ld *loader) verbatim(w parser.Word) (string, error) {
	if err := ld.checkRefs(w, false); err != nil {
		return "", err
	}
	raw := w.Raw
	var b strings.Builder
	for i := 0; i < len(raw); {
		r, sz := utf8.DecodeRuneInString(raw[i:])
		if r == ld.esc && i+sz < len(raw) {
			r2, sz2 := utf8.DecodeRuneInString(raw[i+sz:])
			if r2 == '$' {
				b.WriteByte('$')
			} else {
				b.WriteString(raw[i : i+sz+sz2])
			}
			i += sz + sz2
			continue
		}
		if r == '$' {
			if j := refEnd(raw, i, ld.esc); j > i+1 {
				v, _, err := ld.lex.ProcessWord(raw[i:j], ld.env)
				if err != nil {
					return "", errAt(w.RangeOf(i, j), "invalid variable reference %s in %s: %v", raw[i:j], ld.cur.Name, err)
				}
				b.WriteString(v)
				i = j
				continue
			}
		}
		b.WriteString(raw[i : i+sz])
		i += sz
	}
	return b.String(), nil
}

// refEnd returns the end of the reference starting at raw[i] == '$', or i+1
// if there is none. An unterminated `${` extends to the end of raw.
func refEnd(raw string, i int, esc rune) int {
	if i+1 < len(raw) && raw[i+1] == '{' {
		depth := 0
		for j := i + 1; j < len(raw); {
			r, sz := utf8.DecodeRuneInString(raw[j:])
			switch r {
			case esc:
				j += sz
				if j < len(raw) {
					_, sz = utf8.DecodeRuneInString(raw[j:])
				} else {
					sz = 0
				}
			case '{':
				depth++
			case '}':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
			j += sz
		}
		return len(raw)
	}
	name, k := readName(raw, i+1, true)
	if name == "" {
		return i + 1
	}
	return k
}
