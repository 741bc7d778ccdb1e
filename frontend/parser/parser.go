// Package parser splits a Geolayerfile into instruction nodes.
//
// The parser is purely syntactic: it knows about parser directives, comments,
// line continuations, the instruction keyword, `--flag[=value]` words and
// shell-like argument words, but not about which instructions or flags exist.
// Validation and variable expansion happen in package
// github.com/geolayer/geolayer/frontend/instructions.
//
// Locations use BuildKit's Dockerfile parser types so errors can be turned
// into errdefs source errors by the caller. Lines are 1-based; Character is a
// 0-based column counted in Unicode code points of the physical line, and an
// End position is exclusive (it points just after the last character).
package parser

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	dfparser "github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Range is a section of the Geolayerfile (BuildKit's parser.Range).
type Range = dfparser.Range

// Position is a point in the Geolayerfile (BuildKit's parser.Position).
type Position = dfparser.Position

// Directive is a parser directive such as `# syntax=...` (BuildKit's
// parser.Directive). Its Location covers the whole directive line.
type Directive = dfparser.Directive

// DefaultEscapeToken is the escape character used unless a
// `# escape=` directive selects another one.
const DefaultEscapeToken = '\\'

// Result is a parsed Geolayerfile.
type Result struct {
	// Directives holds the parser directives found at the top of the file,
	// keyed by lower-case name ("syntax", "escape", "check").
	Directives map[string]Directive
	// Nodes are the instructions in file order.
	Nodes []*Node
	// EscapeToken is the escape character in effect (`\` or "`").
	EscapeToken rune
}

// Node is one instruction: a logical line made of one or more physical
// lines joined by the escape character.
type Node struct {
	// Name is the instruction keyword in upper case.
	Name string
	// Original is the logical line as written, with continuation escapes,
	// comment lines and empty lines inside the continuation removed (the same
	// convention as BuildKit's Dockerfile parser).
	Original string
	// Keyword is the instruction keyword as written.
	Keyword Word
	// Flags are the `--name[=value]` words. For RUN and TEST, flags are only
	// recognised before the first argument; for other instructions they may
	// appear anywhere. A lone `--` ends flag recognition and is dropped.
	Flags []Flag
	// Args are the remaining words, unexpanded (quotes and `$` references
	// are kept as written).
	Args []Word
	// Rest is the raw text from the first argument to the end of the logical
	// line (trailing white space removed). It is what RUN and TEST use as
	// their body. If there are no arguments, Rest is empty and its Range is
	// the end of the line.
	Rest Word
	// Comments are the comment lines directly above the instruction (without
	// the leading `#`, trimmed). A blank line or an empty `#` line resets
	// them; parser directives are never included.
	Comments []string
	// Location is a single range from the first character of the keyword to
	// the end of the last character of the logical line.
	Location []Range
	// StartLine and EndLine are the 1-based physical lines of the node.
	StartLine, EndLine int
}

// Word is a raw (unexpanded) word of a logical line together with its source
// range. Its methods map byte offsets inside Raw back to file positions, even
// when the word spans continuation lines.
type Word struct {
	Raw   string
	Range Range

	lm  *lineMap
	off int // byte offset of Raw inside the logical line
}

// PositionAt returns the position of the byte offset i of Raw (0 <= i <=
// len(Raw)); i == len(Raw) gives the position just after the word.
func (w Word) PositionAt(i int) Position {
	if w.lm == nil {
		return w.Range.Start
	}
	i = clamp(i, 0, len(w.Raw))
	if i == len(w.Raw) {
		return w.Range.End
	}
	return w.lm.pos(w.off + i)
}

// RangeOf returns the range of Raw[i:j].
func (w Word) RangeOf(i, j int) Range {
	if w.lm == nil {
		return w.Range
	}
	i = clamp(i, 0, len(w.Raw))
	j = clamp(j, i, len(w.Raw))
	return Range{Start: w.PositionAt(i), End: w.lm.end(w.off+i, w.off+j)}
}

// Sub returns Raw[i:j] as a word with its own range.
func (w Word) Sub(i, j int) Word {
	if w.lm == nil {
		i = clamp(i, 0, len(w.Raw))
		j = clamp(j, i, len(w.Raw))
		return Word{Raw: w.Raw[i:j], Range: w.Range}
	}
	i = clamp(i, 0, len(w.Raw))
	j = clamp(j, i, len(w.Raw))
	return Word{Raw: w.Raw[i:j], Range: w.RangeOf(i, j), lm: w.lm, off: w.off + i}
}

// Lines splits the word at physical line boundaries: element 0 is the part
// on the word's first line, each following element is the text contributed
// by one continuation line (continuation escape removed). Comment lines and
// empty lines inside a continuation contribute nothing and are not returned.
func (w Word) Lines() []Word {
	if w.lm == nil {
		return []Word{w}
	}
	start, end := w.off, w.off+len(w.Raw)
	var out []Word
	cur := start
	for k := w.lm.seg(start) + 1; k < len(w.lm.segs); k++ {
		b := w.lm.segs[k].start
		if b >= end {
			break
		}
		if b <= cur {
			continue // a continuation line that contributed no text
		}
		out = append(out, w.Sub(cur-w.off, b-w.off))
		cur = b
	}
	return append(out, w.Sub(cur-w.off, end-w.off))
}

// Flag is a `--name` or `--name=value` word.
type Flag struct {
	// Name is the flag name as written, without the leading "--".
	Name string
	// Value is the raw (unexpanded) text after the first "=".
	Value string
	// HasValue reports whether the flag was written with "=".
	HasValue bool
	// Range covers the whole flag word.
	Range Range

	word  Word
	valAt int
}

// Word returns the whole flag word.
func (f Flag) Word() Word { return f.word }

// ValueWord returns the raw value as a word with positions. Without a value
// it is an empty word located just after the flag name.
func (f Flag) ValueWord() Word {
	if f.word.Raw == "" {
		return Word{Raw: f.Value, Range: f.Range}
	}
	return f.word.Sub(f.valAt, len(f.word.Raw))
}

// bodyInstructions have a free-form body: flags are recognised only before
// the first argument.
var bodyInstructions = map[string]bool{"RUN": true, "TEST": true}

// Parse reads a Geolayerfile. It only fails on malformed parser directives
// and read errors; everything else is reported by the instructions package.
func Parse(r io.Reader) (*Result, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("failed to read Geolayerfile: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	lines := splitLines(string(data))

	res := &Result{Directives: map[string]Directive{}, EscapeToken: DefaultEscapeToken}

	// Parser directives: consecutive `# key=value` lines at the very top.
	var dp dfparser.DirectiveParser
	nDirectives := 0
	for _, l := range lines {
		d, err := dp.ParseLine([]byte(l))
		lineNo := nDirectives + 1
		loc := []Range{{Start: Position{Line: lineNo}, End: Position{Line: lineNo, Character: utf8.RuneCountInString(l)}}}
		if err != nil {
			return nil, dfparser.WithLocation(err, loc)
		}
		if d == nil {
			break
		}
		nDirectives++
		d.Location = loc
		if d.Name == "escape" {
			switch d.Value {
			case "\\":
				res.EscapeToken = '\\'
			case "`":
				res.EscapeToken = '`'
			default:
				return nil, dfparser.WithLocation(fmt.Errorf("invalid escape directive value %q: expected \"\\\" or \"`\"", d.Value), loc)
			}
		}
		res.Directives[d.Name] = *d
	}

	var comments []string
	for i := 0; i < len(lines); {
		raw := lines[i]
		lineNo := i + 1
		trimmed := strings.TrimLeftFunc(raw, unicode.IsSpace)
		if trimmed == "" {
			comments = nil
			i++
			continue
		}
		if trimmed[0] == '#' {
			if i >= nDirectives {
				if c := strings.TrimSpace(trimmed[1:]); c == "" {
					comments = nil
				} else {
					comments = append(comments, c)
				}
			}
			i++
			continue
		}

		lm := &lineMap{}
		indent := utf8.RuneCountInString(raw[:len(raw)-len(trimmed)])
		text, cont := trimContinuation(trimmed, res.EscapeToken)
		lm.add(text, lineNo, indent)
		endLine := lineNo
		i++
		for cont && i < len(lines) {
			raw = lines[i]
			lineNo = i + 1
			i++
			t := strings.TrimLeftFunc(raw, unicode.IsSpace)
			if t == "" || t[0] == '#' {
				// Empty lines and comment lines inside a continuation are
				// skipped, as in a Dockerfile.
				continue
			}
			text, cont = trimContinuation(raw, res.EscapeToken)
			lm.add(text, lineNo, 0)
			endLine = lineNo
		}
		n := buildNode(lm, res.EscapeToken)
		n.StartLine, n.EndLine = n.Location[0].Start.Line, endLine
		n.Comments = comments
		comments = nil
		res.Nodes = append(res.Nodes, n)
	}
	return res, nil
}

// splitLines splits on "\n" and drops a trailing "\r" from each line.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// trimContinuation removes a trailing escape character (optionally followed
// by blanks) and reports whether the line continues.
func trimContinuation(s string, esc rune) (string, bool) {
	t := strings.TrimRight(s, " \t")
	if strings.HasSuffix(t, string(esc)) {
		return t[:len(t)-utf8.RuneLen(esc)], true
	}
	return s, false
}

func buildNode(lm *lineMap, esc rune) *Node {
	line := lm.text()
	line = strings.TrimRightFunc(line, unicode.IsSpace)
	n := &Node{Original: line}

	// keyword: first run of non-space characters
	kwEnd := strings.IndexFunc(line, unicode.IsSpace)
	if kwEnd < 0 {
		kwEnd = len(line)
	}
	n.Keyword = lm.word(0, kwEnd)
	n.Name = strings.ToUpper(n.Keyword.Raw)
	n.Location = []Range{{Start: lm.pos(0), End: lm.end(0, len(line))}}

	body := bodyInstructions[n.Name]
	flagsOpen := true
	restStart := -1
	for _, t := range splitWords(line, kwEnd, esc) {
		w := lm.word(t[0], t[1])
		if flagsOpen && strings.HasPrefix(w.Raw, "--") {
			if w.Raw == "--" {
				flagsOpen = false
				continue
			}
			f := Flag{Range: w.Range, word: w}
			name, val, ok := strings.Cut(w.Raw[2:], "=")
			f.Name = name
			if ok {
				f.Value, f.HasValue = val, true
				f.valAt = 2 + len(name) + 1
			} else {
				f.valAt = len(w.Raw)
			}
			n.Flags = append(n.Flags, f)
			continue
		}
		if body {
			flagsOpen = false
		}
		if restStart < 0 {
			restStart = t[0]
		}
		n.Args = append(n.Args, w)
	}
	if restStart < 0 {
		n.Rest = lm.word(len(line), len(line))
	} else {
		n.Rest = lm.word(restStart, len(line))
	}
	return n
}

// splitWords splits s[from:] into shell-like words and returns their byte
// offsets. Quotes, escapes and `${...}` keep white space inside a word. It is
// tolerant: an unterminated quote runs to the end of the line (the
// instructions package reports it when the word is expanded).
func splitWords(s string, from int, esc rune) [][2]int {
	var out [][2]int
	i := from
	for {
		for i < len(s) {
			r, sz := utf8.DecodeRuneInString(s[i:])
			if !unicode.IsSpace(r) {
				break
			}
			i += sz
		}
		if i >= len(s) {
			return out
		}
		start := i
		var quote rune
		depth := 0
	word:
		for i < len(s) {
			r, sz := utf8.DecodeRuneInString(s[i:])
			switch {
			case quote == '\'':
				if r == '\'' {
					quote = 0
				}
			case r == esc:
				i += sz
				if i < len(s) {
					_, sz = utf8.DecodeRuneInString(s[i:])
				} else {
					sz = 0
				}
			case quote == '"':
				if r == '"' {
					quote = 0
				}
			case r == '\'' || r == '"':
				quote = r
			case r == '$' && i+1 < len(s) && s[i+1] == '{':
				depth++
				sz = 2
			case r == '}' && depth > 0:
				depth--
			case unicode.IsSpace(r) && depth == 0:
				break word
			}
			i += sz
		}
		out = append(out, [2]int{start, i})
	}
}

// lineMap maps byte offsets of a logical line to file positions.
type lineMap struct {
	segs []segment
	buf  strings.Builder
}

type segment struct {
	start int    // byte offset in the logical line
	line  int    // 1-based physical line
	col   int    // rune column of the segment's first character
	text  string // text contributed by the physical line
}

func (m *lineMap) add(text string, line, col int) {
	m.segs = append(m.segs, segment{start: m.buf.Len(), line: line, col: col, text: text})
	m.buf.WriteString(text)
}

func (m *lineMap) text() string { return m.buf.String() }

// seg returns the index of the last segment starting at or before off.
func (m *lineMap) seg(off int) int {
	k := 0
	for j, s := range m.segs {
		if s.start <= off {
			k = j
		} else {
			break
		}
	}
	return k
}

// pos is the position of the character starting at byte offset off.
func (m *lineMap) pos(off int) Position {
	if len(m.segs) == 0 {
		return Position{Line: 1}
	}
	s := m.segs[m.seg(off)]
	d := clamp(off-s.start, 0, len(s.text))
	return Position{Line: s.line, Character: s.col + utf8.RuneCountInString(s.text[:d])}
}

// end is the exclusive end position of the text [start, off).
func (m *lineMap) end(start, off int) Position {
	if off <= start {
		return m.pos(start)
	}
	if len(m.segs) == 0 {
		return Position{Line: 1}
	}
	s := m.segs[m.seg(off-1)]
	d := clamp(off-s.start, 0, len(s.text))
	return Position{Line: s.line, Character: s.col + utf8.RuneCountInString(s.text[:d])}
}

func (m *lineMap) word(start, end int) Word {
	t := m.text()
	return Word{
		Raw:   t[start:end],
		Range: Range{Start: m.pos(start), End: m.end(start, end)},
		lm:    m,
		off:   start,
	}
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
