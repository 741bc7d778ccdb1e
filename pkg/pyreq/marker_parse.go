package pyreq

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

type markerTokKind int

const (
	tokLParen markerTokKind = iota
	tokRParen
	tokString
	tokVar
	tokOp // comparison operator, including "in" and "not in"
	tokAnd
	tokOr
)

type markerTok struct {
	kind markerTokKind
	text string // operator text, canonical variable name or string value
}

var markerOps = []string{"===", "==", "!=", "<=", ">=", "~=", "<", ">"}

func tokenizeMarker(s string) ([]markerTok, error) {
	var toks []markerTok
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(':
			toks = append(toks, markerTok{kind: tokLParen, text: "("})
			i++
		case c == ')':
			toks = append(toks, markerTok{kind: tokRParen, text: ")"})
			i++
		case c == '\'' || c == '"':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("invalid marker %q: unterminated string", s)
			}
			text, err := pyStringLiteral(s[i+1 : i+1+end])
			if err != nil {
				return nil, fmt.Errorf("invalid marker %q: string %s: %v", s, s[i:i+end+2], err)
			}
			toks = append(toks, markerTok{kind: tokString, text: text})
			i += end + 2
		case strings.IndexByte("=!<>~", c) >= 0:
			op := ""
			for _, o := range markerOps {
				if strings.HasPrefix(s[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, fmt.Errorf("invalid marker %q: bad operator at %q", s, s[i:])
			}
			toks = append(toks, markerTok{kind: tokOp, text: op})
			i += len(op)
		case isIdentStart(c):
			j := i
			for j < len(s) && (isIdentStart(s[j]) || s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			word := s[i:j]
			i = j
			switch word {
			case "and":
				toks = append(toks, markerTok{kind: tokAnd, text: word})
			case "or":
				toks = append(toks, markerTok{kind: tokOr, text: word})
			case "in":
				toks = append(toks, markerTok{kind: tokOp, text: "in"})
			case "not":
				rest := strings.TrimLeft(s[i:], " \t")
				if !strings.HasPrefix(rest, "in") || (len(rest) > 2 && isIdentStart(rest[2])) {
					return nil, fmt.Errorf("invalid marker %q: expected 'in' after 'not'", s)
				}
				i = len(s) - len(rest) + 2
				toks = append(toks, markerTok{kind: tokOp, text: "not in"})
			default:
				name := word
				if alias, ok := markerAliases[name]; ok {
					name = alias
				}
				if _, ok := markerVars[name]; !ok {
					return nil, fmt.Errorf("invalid marker %q: unknown variable %q", s, word)
				}
				toks = append(toks, markerTok{kind: tokVar, text: name})
			}
		default:
			return nil, fmt.Errorf("invalid marker %q: unexpected character %q", s, c)
		}
	}
	return toks, nil
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

type markerParser struct {
	toks []markerTok
	pos  int
}

func (p *markerParser) peek() (markerTok, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return markerTok{}, false
}

func (p *markerParser) parseOr() (markerNode, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for {
		t, ok := p.peek()
		if !ok || t.kind != tokOr {
			return left, nil
		}
		p.pos++
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = markerBool{and: false, l: left, r: right}
	}
}

func (p *markerParser) parseAnd() (markerNode, error) {
	left, err := p.parseAtom()
	if err != nil {
		return nil, err
	}
	for {
		t, ok := p.peek()
		if !ok || t.kind != tokAnd {
			return left, nil
		}
		p.pos++
		right, err := p.parseAtom()
		if err != nil {
			return nil, err
		}
		left = markerBool{and: true, l: left, r: right}
	}
}

func (p *markerParser) parseAtom() (markerNode, error) {
	t, ok := p.peek()
	if !ok {
		return nil, errors.New("unexpected end of marker")
	}
	if t.kind == tokLParen {
		p.pos++
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if t, ok := p.peek(); !ok || t.kind != tokRParen {
			return nil, errors.New("missing ')'")
		}
		p.pos++
		return n, nil
	}
	lhs, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	op, ok := p.peek()
	if !ok || op.kind != tokOp {
		return nil, errors.New("expected a comparison operator")
	}
	p.pos++
	rhs, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	if t, ok := p.peek(); ok && t.kind == tokOp {
		return nil, errors.New("chained comparisons are not allowed")
	}
	return markerCmp{lhs: lhs, op: op.text, rhs: rhs}, nil
}

func (p *markerParser) parseOperand() (markerOperand, error) {
	t, ok := p.peek()
	if !ok {
		return markerOperand{}, errors.New("unexpected end of marker")
	}
	switch t.kind {
	case tokVar:
		p.pos++
		return markerOperand{variable: t.text}, nil
	case tokString:
		p.pos++
		return markerOperand{literal: t.text}, nil
	}
	return markerOperand{}, fmt.Errorf("expected a variable or quoted string, got %q", t.text)
}

// pyStringLiteral decodes the body of a quoted marker string as Python's
// ast.literal_eval does (packaging evaluates marker strings that way):
// backslash escapes \\ \' \" \a \b \f \n \r \t \v, \ooo, \xhh, \uhhhh and
// \Uhhhhhhhh are decoded, an unknown escape keeps its backslash, a line
// break, NUL or a trailing lone backslash is an error. \N{name} is refused
// (Unicode names are not looked up).
func pyStringLiteral(body string) (string, error) {
	if strings.ContainsAny(body, "\n\r\x00") {
		return "", errors.New("line breaks and NUL are not allowed in a string")
	}
	if !strings.Contains(body, `\`) {
		return body, nil
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(body) {
			return "", errors.New("unterminated string (it ends in a backslash)")
		}
		switch c = body[i]; c {
		case '\\', '\'', '"':
			b.WriteByte(c)
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			n, j := 0, i
			for ; j < len(body) && j < i+3 && body[j] >= '0' && body[j] <= '7'; j++ {
				n = n*8 + int(body[j]-'0')
			}
			b.WriteRune(rune(n))
			i = j - 1
		case 'x', 'u', 'U':
			width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
			if i+1+width > len(body) {
				return "", fmt.Errorf("truncated \\%c escape", c)
			}
			n, err := strconv.ParseUint(body[i+1:i+1+width], 16, 32)
			if err != nil || strings.ContainsAny(body[i+1:i+1+width], "+-_") {
				return "", fmt.Errorf("invalid \\%c escape", c)
			}
			if n > unicode.MaxRune || n >= 0xd800 && n <= 0xdfff {
				return "", fmt.Errorf("\\%c escape out of range", c)
			}
			b.WriteRune(rune(n))
			i += width
		case 'N':
			return "", errors.New("\\N{...} escapes are not supported")
		default:
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
