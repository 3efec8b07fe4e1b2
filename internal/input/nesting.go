package input

import (
	"bytes"

	"github.com/hashicorp/hcl/v2"
)

// nestingOver scans HCL source for the first place it nests deeper than
// max and returns it. It follows HCL's lexical structure just enough to
// count only what the parser recurses on: { [ ( in expressions and ${ %{
// in templates, not brackets inside strings, comments or heredocs.
func nestingOver(src []byte, max int) (hcl.Pos, bool) {
	p := shapeOf(src, max)
	return p.pos, p.what == "nesting"
}

// shape is the first problem a scan found: what ("nesting", "heredoc
// lines", "unclosed heredoc"), and where.
type shape struct {
	what string
	pos  hcl.Pos
}

// shapeOf scans src for HCL that the parser would take too long or too
// deep to read: nesting deeper than max, a heredoc of more than
// MaxHeredocLines lines, or one never closed (whose lines HCL melds all
// the same).
func shapeOf(src []byte, max int) shape {
	s := &nestScanner{src: src, pos: hcl.Pos{Line: 1, Column: 1}}
	return s.scan(max)
}

type nestScanner struct {
	src []byte
	i   int
	pos hcl.Pos
}

// MaxHeredocLines bounds a heredoc: HCL's parser melds its lines one by
// one, in time and memory that grow with the square of their number (a
// heredoc of 20,000 lines takes a gigabyte).
const MaxHeredocLines = 5000

// mode is what a level of the stack is: code, a quoted string's template,
// or a heredoc's (with its end marker, where it started and its lines).
type mode struct {
	kind   byte // 'c' code, '"' string, 'h' heredoc
	marker []byte
	start  hcl.Pos
	lines  int
}

func (s *nestScanner) advance(n int) {
	for k := 0; k < n && s.i < len(s.src); k++ {
		if s.src[s.i] == '\n' {
			s.pos.Line++
			s.pos.Column = 1
		} else {
			s.pos.Column++
		}
		s.i++
		s.pos.Byte = s.i
	}
}

func (s *nestScanner) at(prefix string) bool { return bytes.HasPrefix(s.src[s.i:], []byte(prefix)) }

func (s *nestScanner) scan(max int) shape {
	stack := []mode{{kind: 'c'}}
	depth := 0
	push := func(m mode) bool {
		stack = append(stack, m)
		if m.kind == 'c' {
			depth++
		}
		return depth > max
	}
	for s.i < len(s.src) {
		top := stack[len(stack)-1]
		switch top.kind {
		case 'c':
			switch c := s.src[s.i]; {
			case c == '#' || s.at("//"):
				for s.i < len(s.src) && s.src[s.i] != '\n' {
					s.advance(1)
				}
			case s.at("/*"):
				end := bytes.Index(s.src[s.i+2:], []byte("*/"))
				if end < 0 {
					return shape{} // HCL reports the unclosed comment
				}
				s.advance(end + 4)
			case c == '"':
				s.advance(1)
				stack = append(stack, mode{kind: '"'})
			case s.at("<<"):
				s.heredoc(&stack)
			case c == '{' || c == '[' || c == '(':
				start := s.pos
				s.advance(1)
				if push(mode{kind: 'c'}) {
					return shape{"nesting", start}
				}
			case c == '}' || c == ']' || c == ')':
				s.advance(1)
				if len(stack) > 1 {
					stack = stack[:len(stack)-1]
					depth--
				}
			default:
				s.advance(1)
			}
		default: // a template: a quoted string or a heredoc
			switch {
			case top.kind == '"' && s.src[s.i] == '\\':
				s.advance(2)
			case top.kind == '"' && s.src[s.i] == '"':
				s.advance(1)
				stack = stack[:len(stack)-1]
			case top.kind == '"' && s.src[s.i] == '\n':
				s.advance(1)
				stack = stack[:len(stack)-1] // HCL reports the unclosed string
			case s.at("$${") || s.at("%%{"):
				s.advance(3)
			case s.at("${") || s.at("%{"):
				start := s.pos
				s.advance(2)
				if push(mode{kind: 'c'}) {
					return shape{"nesting", start}
				}
			case top.kind == 'h' && s.lineStart() && s.heredocEnd(top.marker):
				stack = stack[:len(stack)-1]
			case top.kind == 'h' && s.src[s.i] == '\n':
				s.advance(1)
				if stack[len(stack)-1].lines++; stack[len(stack)-1].lines > MaxHeredocLines {
					return shape{"heredoc lines", top.start}
				}
			default:
				s.advance(1)
			}
		}
	}
	for _, m := range stack {
		if m.kind == 'h' {
			return shape{"unclosed heredoc", m.start}
		}
	}
	return shape{}
}

// heredoc enters <<MARKER or <<-MARKER, whose text starts on the next line.
func (s *nestScanner) heredoc(stack *[]mode) {
	j := s.i + 2
	if j < len(s.src) && s.src[j] == '-' {
		j++
	}
	k := j
	for k < len(s.src) && (s.src[k] == '_' || s.src[k] >= 'A' && s.src[k] <= 'Z' || s.src[k] >= 'a' && s.src[k] <= 'z' || s.src[k] >= '0' && s.src[k] <= '9') {
		k++
	}
	if k == j || k >= len(s.src) || s.src[k] != '\n' && s.src[k] != '\r' {
		s.advance(2) // not a heredoc: the << of an expression
		return
	}
	marker := append([]byte(nil), s.src[j:k]...)
	start := s.pos
	// Past the marker's line break: the heredoc's lines start after it.
	if s.src[k] == '\r' && k+1 < len(s.src) && s.src[k+1] == '\n' {
		k++
	}
	s.advance(k + 1 - s.i)
	*stack = append(*stack, mode{kind: 'h', marker: marker, start: start})
}

func (s *nestScanner) lineStart() bool { return s.i == 0 || s.src[s.i-1] == '\n' }

// heredocEnd consumes a line that holds only the marker (indented, for
// <<-) and reports whether it did.
func (s *nestScanner) heredocEnd(marker []byte) bool {
	j := s.i
	for j < len(s.src) && (s.src[j] == ' ' || s.src[j] == '\t') {
		j++
	}
	if !bytes.HasPrefix(s.src[j:], marker) {
		return false
	}
	k := j + len(marker)
	if k < len(s.src) && s.src[k] != '\n' && s.src[k] != '\r' {
		return false
	}
	s.advance(k - s.i)
	return true
}
