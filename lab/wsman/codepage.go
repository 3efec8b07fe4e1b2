package wsman

import (
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Code pages a shell may ask for with WINRS_CODEPAGE.
const (
	CodepageUTF8 = 65001
	CodepageOEM  = 437
)

// charmaps are the single-byte code pages the lab can encode; any other
// WINRS_CODEPAGE falls back to 437, the OEM code page of an en-US host.
var charmaps = map[int]*charmap.Charmap{
	437:  charmap.CodePage437,
	850:  charmap.CodePage850,
	852:  charmap.CodePage852,
	866:  charmap.CodePage866,
	1252: charmap.Windows1252,
}

// encoder turns the UTF-8 a Machine writes into the shell's code page. It
// keeps an incomplete UTF-8 sequence at the end of one write for the next, so
// a character split across writes is not mangled.
type encoder struct {
	table   *charmap.Charmap // nil for UTF-8: bytes pass through
	pending []byte
}

func newEncoder(codepage int) encoder {
	if codepage == CodepageUTF8 {
		return encoder{}
	}
	t, ok := charmaps[codepage]
	if !ok {
		t = charmap.CodePage437
	}
	return encoder{table: t}
}

// encode converts p; final flushes a dangling partial sequence as '?'.
func (e *encoder) encode(p []byte, final bool) []byte {
	if e.table == nil {
		return append([]byte(nil), p...)
	}
	in := p
	if len(e.pending) > 0 {
		in = append(e.pending, p...)
		e.pending = nil
	}
	out := make([]byte, 0, len(in))
	for len(in) > 0 {
		if in[0] < utf8.RuneSelf {
			out = append(out, in[0])
			in = in[1:]
			continue
		}
		if !final && !utf8.FullRune(in) {
			e.pending = append([]byte(nil), in...)
			break
		}
		r, size := utf8.DecodeRune(in)
		in = in[size:]
		if b, ok := e.table.EncodeRune(r); ok && r != utf8.RuneError {
			out = append(out, b)
		} else {
			out = append(out, '?')
		}
	}
	return out
}
