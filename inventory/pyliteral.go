package inventory

import (
	"errors"
	"math/big"
	"strings"
	"unicode"

	"github.com/zclconf/go-cty/cty"
)

// Ansible's INI inventory reads every value with Python's ast.literal_eval
// and keeps the text as a string when that fails: 23 is a number, True a
// bool, [1, 2] a list, 'x' and "x" strings, and Administrator (a name, not
// a literal) the string "Administrator". pyLiteral does the same for the
// literals inventories hold. A "#" outside quotes starts a comment, which
// literal_eval's tokenizer skips.

// pyLiteral reads s as a Python literal, or returns it as a string.
func pyLiteral(s string) cty.Value {
	p := &pyParser{s: s}
	v, err := p.value()
	if err == nil {
		p.space()
		if p.i == len(p.s) {
			return v
		}
	}
	return cty.StringVal(s)
}

type pyParser struct {
	s string
	i int
}

var errNotLiteral = errors.New("not a Python literal")

// space skips blanks and a comment to the end of the text.
func (p *pyParser) space() {
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '#':
			p.i = len(p.s)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *pyParser) value() (cty.Value, error) {
	p.space()
	if p.i >= len(p.s) {
		return cty.NilVal, errNotLiteral
	}
	switch c := p.s[p.i]; {
	case c == '\'' || c == '"':
		return p.str()
	case c == '[':
		return p.seq('[', ']')
	case c == '(':
		return p.seq('(', ')')
	case c == '{':
		return p.dict()
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		return p.number()
	}
	for word, v := range map[string]cty.Value{"True": cty.True, "False": cty.False, "None": cty.NullVal(cty.DynamicPseudoType)} {
		if strings.HasPrefix(p.s[p.i:], word) {
			end := p.i + len(word)
			if end == len(p.s) || !isIdent(rune(p.s[end])) {
				p.i = end
				return v, nil
			}
		}
	}
	return cty.NilVal, errNotLiteral
}

func isIdent(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

func (p *pyParser) str() (cty.Value, error) {
	q := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return cty.StringVal(b.String()), nil
		case c == '\\' && p.i+1 < len(p.s):
			p.i++
			esc := map[byte]string{'n': "\n", 't': "\t", 'r': "\r", '\\': "\\", '\'': "'", '"': "\"", '0': "\x00"}
			if r, ok := esc[p.s[p.i]]; ok {
				b.WriteString(r)
			} else {
				b.WriteByte('\\')
				b.WriteByte(p.s[p.i])
			}
			p.i++
		case c == '\n':
			return cty.NilVal, errNotLiteral
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return cty.NilVal, errNotLiteral
}

func (p *pyParser) number() (cty.Value, error) {
	start := p.i
	if p.s[p.i] == '-' || p.s[p.i] == '+' {
		p.i++
	}
	for p.i < len(p.s) && strings.IndexByte("0123456789._eE+-xXabcdefABCDEFoObB", p.s[p.i]) >= 0 {
		// A sign only right after an exponent.
		if (p.s[p.i] == '+' || p.s[p.i] == '-') && !strings.ContainsRune("eE", rune(p.s[p.i-1])) {
			break
		}
		p.i++
	}
	text := strings.ReplaceAll(p.s[start:p.i], "_", "")
	if digits := strings.TrimLeft(text, "+-"); len(digits) > 1 && digits[0] == '0' && digits[1] >= '0' && digits[1] <= '9' {
		return cty.NilVal, errNotLiteral // Python 3 has no 0123
	}
	if f, ok := new(big.Float).SetString(text); ok && !strings.ContainsAny(text, "xXoObB") {
		return cty.NumberVal(f), nil
	}
	if n, ok := new(big.Int).SetString(text, 0); ok {
		return cty.NumberVal(new(big.Float).SetInt(n)), nil
	}
	return cty.NilVal, errNotLiteral
}

func (p *pyParser) seq(open, closing byte) (cty.Value, error) {
	p.i++ // open
	var vals []cty.Value
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == closing {
			p.i++
			return tupleOrEmpty(vals), nil
		}
		v, err := p.value()
		if err != nil {
			return cty.NilVal, err
		}
		vals = append(vals, v)
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == closing {
			p.i++
			return tupleOrEmpty(vals), nil
		}
		return cty.NilVal, errNotLiteral
	}
}

func tupleOrEmpty(vals []cty.Value) cty.Value {
	if len(vals) == 0 {
		return cty.EmptyTupleVal
	}
	return cty.TupleVal(vals)
}

func (p *pyParser) dict() (cty.Value, error) {
	p.i++ // {
	vals := map[string]cty.Value{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return cty.ObjectVal(vals), nil
		}
		k, err := p.value()
		if err != nil || k.Type() != cty.String {
			// Only string keys map onto an object.
			return cty.NilVal, errNotLiteral
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return cty.NilVal, errNotLiteral
		}
		p.i++
		v, err := p.value()
		if err != nil {
			return cty.NilVal, err
		}
		vals[k.AsString()] = v
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return cty.ObjectVal(vals), nil
		}
		return cty.NilVal, errNotLiteral
	}
}
