package wsman

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parseXML reads one XML document into an element tree, resolving
// namespaces as encoding/xml's Decoder.Token does (same names, attributes
// and text, CDATA as text, CR LF as LF). It is a small scanner written for
// SOAP envelopes because encoding/xml was most of the server's work per
// request; xmlparse_test.go checks it against encoding/xml. It is
// stricter where encoding/xml is looser than XML 1.0 or than SOAP needs:
// no DTDs or other <! directives, ASCII names only, XML declarations and
// processing instructions by the XML 1.0 grammar, forbidden characters
// refused everywhere. Unlike encoding/xml it skips a leading byte order
// mark, which XML 1.0 (§4.3.3) lets a UTF-8 document start with.
func parseXML(b []byte) (*element, error) {
	if err := checkChars(b); err != nil {
		return nil, err
	}
	p := xmlParser{b: b, ns: map[string]string{}}
	root, err := p.document()
	if err != nil {
		return nil, fmt.Errorf("%w: %s at byte %d", errInvalidXML, err, p.i)
	}
	return root, nil
}

const xmlURL = "http://www.w3.org/XML/1998/namespace"

var utf8BOM = []byte("\uFEFF")

// checkChars refuses invalid UTF-8 and characters XML does not allow.
func checkChars(b []byte) error {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return fmt.Errorf("%w: illegal character code U+%04X at byte %d", errInvalidXML, c, i)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Errorf("%w: invalid UTF-8 at byte %d", errInvalidXML, i)
		}
		if r == 0xFFFE || r == 0xFFFF {
			return fmt.Errorf("%w: illegal character code U+%04X at byte %d", errInvalidXML, r, i)
		}
		i += n
	}
	return nil
}

type xmlParser struct {
	b []byte
	i int
	// ns maps prefixes ("" for the default) to URIs; undo restores it
	// when an element that declared some ends.
	ns    map[string]string
	undo  []nsUndo
	stack []openElement
}

type nsUndo struct {
	prefix, uri string
	had         bool
}

type openElement struct {
	el    *element
	raw   string // the name as written, to match the end tag
	undos int    // len(undo) before the element's declarations
}

type syntaxError string

func (e syntaxError) Error() string { return string(e) }

func (p *xmlParser) document() (*element, error) {
	if bytes.HasPrefix(p.b, utf8BOM) {
		p.i = len(utf8BOM)
	}
	docStart := p.i
	var root *element
	for p.i < len(p.b) {
		if p.b[p.i] != '<' {
			start := p.i
			for p.i < len(p.b) && p.b[p.i] != '<' {
				p.i++
			}
			if bytes.Contains(p.b[start:p.i], []byte("]]>")) {
				return nil, syntaxError("]]> outside a CDATA section")
			}
			text, err := p.text(p.b[start:p.i])
			if err != nil {
				return nil, err
			}
			if len(p.stack) > 0 {
				top := p.stack[len(p.stack)-1].el
				top.text = append(top.text, text...)
			} else if len(bytes.TrimSpace(text)) > 0 {
				return nil, syntaxError("text outside the root element")
			}
			continue
		}
		rest := p.b[p.i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("--"))
			if end < 0 {
				return nil, syntaxError("unterminated comment")
			}
			if !bytes.HasPrefix(rest[4+end:], []byte("-->")) {
				return nil, syntaxError(`"--" inside a comment`)
			}
			p.i += 4 + end + 3
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			end := bytes.Index(rest[9:], []byte("]]>"))
			if end < 0 {
				return nil, syntaxError("unterminated CDATA section")
			}
			text := normalizeNewlines(rest[9 : 9+end])
			p.i += 9 + end + 3
			if len(p.stack) > 0 {
				top := p.stack[len(p.stack)-1].el
				top.text = append(top.text, text...)
			} else if len(bytes.TrimSpace(text)) > 0 {
				return nil, syntaxError("text outside the root element")
			}
		case bytes.HasPrefix(rest, []byte("<!")):
			return nil, syntaxError("DTDs and other directives are not allowed in SOAP")
		case bytes.HasPrefix(rest, []byte("<?")):
			if err := p.procInst(p.i == docStart); err != nil {
				return nil, err
			}
		case bytes.HasPrefix(rest, []byte("</")):
			if err := p.endTag(); err != nil {
				return nil, err
			}
		default:
			el, err := p.startTag()
			if err != nil {
				return nil, err
			}
			if el == nil {
				continue // nested inside its parent already
			}
			if root != nil {
				return nil, syntaxError("more than one root element")
			}
			root = el
		}
	}
	if len(p.stack) > 0 {
		return nil, syntaxError("unexpected EOF: <" + p.stack[len(p.stack)-1].raw + "> is not closed")
	}
	if root == nil {
		return nil, syntaxError("no root element")
	}
	return root, nil
}

// procInst skips <?target …?>. The XML declaration, allowed only at the
// document's start, must be version 1.0 and UTF-8, as encoding/xml
// without a CharsetReader wants.
func (p *xmlParser) procInst(atStart bool) error {
	p.i += 2
	target := p.name()
	if target == "" {
		return syntaxError("bad processing instruction target")
	}
	end := bytes.Index(p.b[p.i:], []byte("?>"))
	if end < 0 {
		return syntaxError("unterminated processing instruction")
	}
	content := p.b[p.i : p.i+end]
	p.i += end + 2
	if len(content) > 0 && !isSpace(content[0]) {
		return syntaxError("no white space after processing instruction target " + target)
	}
	switch {
	case target == "xml" && atStart:
		return xmlDecl(content)
	case target == "xml":
		return syntaxError("XML declaration not at the start of the document")
	case strings.EqualFold(target, "xml"):
		return syntaxError("reserved processing instruction target " + target)
	}
	return nil
}

// xmlDecl checks what follows <?xml by the XML 1.0 grammar: version,
// then optionally encoding and standalone, in that order, each as
// name = "value" with white space before it and optionally around '='.
func xmlDecl(b []byte) error {
	d := xmlParser{b: b}
	fields := []string{"version", "encoding", "standalone"}
	next := 0
	for {
		before := d.i
		d.space()
		if d.i == len(d.b) {
			break
		}
		spaced := d.i > before
		name := d.name()
		k := slices.Index(fields[next:], name)
		if !spaced || k < 0 || next == 0 && name != "version" {
			return syntaxError("bad XML declaration")
		}
		next += k + 1
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != '=' {
			return syntaxError("bad XML declaration")
		}
		d.i++
		d.space()
		raw, err := d.quoted(name)
		if err != nil {
			return err
		}
		switch v := string(raw); name {
		case "version":
			if v != "1.0" {
				return syntaxError("unsupported XML version " + v)
			}
		case "encoding":
			if !strings.EqualFold(v, "utf-8") {
				return syntaxError("unsupported encoding " + v)
			}
		case "standalone":
			if v != "yes" && v != "no" {
				return syntaxError("bad XML declaration")
			}
		}
	}
	if next == 0 {
		return syntaxError("XML declaration without a version")
	}
	return nil
}

func (p *xmlParser) endTag() error {
	p.i += 2
	raw := p.name()
	if raw == "" {
		return syntaxError("bad end tag")
	}
	p.space()
	if p.i >= len(p.b) || p.b[p.i] != '>' {
		return syntaxError("bad end tag </" + raw + ">")
	}
	p.i++
	if len(p.stack) == 0 {
		return syntaxError("unexpected end element </" + raw + ">")
	}
	top := p.stack[len(p.stack)-1]
	if top.raw != raw {
		return syntaxError("element <" + top.raw + "> closed by </" + raw + ">")
	}
	p.pop(top)
	return nil
}

// pop closes top: its namespace declarations go out of scope.
func (p *xmlParser) pop(top openElement) {
	for len(p.undo) > top.undos {
		u := p.undo[len(p.undo)-1]
		p.undo = p.undo[:len(p.undo)-1]
		if u.had {
			p.ns[u.prefix] = u.uri
		} else {
			delete(p.ns, u.prefix)
		}
	}
	p.stack = p.stack[:len(p.stack)-1]
}

// startTag reads <name attr="v"…> or <… />. It returns the element when it
// is the root, nil when it went into its parent.
func (p *xmlParser) startTag() (*element, error) {
	if len(p.stack) >= maxDepth {
		return nil, syntaxError(fmt.Sprintf("nested deeper than %d elements", maxDepth))
	}
	p.i++
	raw := p.name()
	if raw == "" || strings.Count(raw, ":") > 1 {
		return nil, syntaxError("bad element name")
	}
	el := &element{}
	empty := false
	for {
		p.space()
		if p.i >= len(p.b) {
			return nil, syntaxError("unexpected EOF in <" + raw + ">")
		}
		if c := p.b[p.i]; c == '>' {
			p.i++
			break
		} else if c == '/' {
			if p.i+1 >= len(p.b) || p.b[p.i+1] != '>' {
				return nil, syntaxError("expected /> in <" + raw + ">")
			}
			p.i += 2
			empty = true
			break
		}
		name := p.name()
		if name == "" || strings.Count(name, ":") > 1 {
			return nil, syntaxError("bad attribute name in <" + raw + ">")
		}
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != '=' {
			return nil, syntaxError("attribute " + name + " without a value")
		}
		p.i++
		p.space()
		raw, err := p.quoted(name)
		if err != nil {
			return nil, err
		}
		value, err := p.text(raw)
		if err != nil {
			return nil, err
		}
		el.attr = append(el.attr, xml.Attr{Name: splitName(name), Value: string(value)})
	}
	// Declarations apply to the element's own name and attributes.
	undos := len(p.undo)
	for _, a := range el.attr {
		switch {
		case a.Name.Space == "xmlns":
			p.declare(a.Name.Local, a.Value)
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			p.declare("", a.Value)
		}
	}
	el.name = p.resolve(splitName(raw), true)
	for i := range el.attr {
		el.attr[i].Name = p.resolve(el.attr[i].Name, false)
	}
	open := openElement{el: el, raw: raw, undos: undos}
	var root *element
	if len(p.stack) == 0 {
		root = el
	} else {
		parent := p.stack[len(p.stack)-1].el
		parent.children = append(parent.children, el)
	}
	p.stack = append(p.stack, open)
	if empty {
		p.pop(open)
	}
	return root, nil
}

// splitName splits prefix:local as encoding/xml does: a name with an
// empty prefix or local part has no prefix.
func splitName(raw string) xml.Name {
	space, local, ok := strings.Cut(raw, ":")
	if !ok || space == "" || local == "" {
		return xml.Name{Local: raw}
	}
	return xml.Name{Space: space, Local: local}
}

func (p *xmlParser) declare(prefix, uri string) {
	old, had := p.ns[prefix]
	p.undo = append(p.undo, nsUndo{prefix: prefix, uri: old, had: had})
	p.ns[prefix] = uri
}

// resolve maps a name's prefix to its namespace URI as encoding/xml does:
// unprefixed attributes have none, xmlns declarations keep theirs, an
// unknown prefix stays as written.
func (p *xmlParser) resolve(n xml.Name, element bool) xml.Name {
	switch {
	case n.Space == "xmlns":
		return n
	case n.Space == "" && !element:
		return n
	case n.Space == "xml":
		n.Space = xmlURL
		return n
	case n.Space == "" && n.Local == "xmlns":
		return n
	}
	if v, ok := p.ns[n.Space]; ok {
		n.Space = v
	}
	return n
}

// name reads an ASCII XML name (letters, digits, _ : . - and not starting
// with a digit, '.' or '-').
func (p *xmlParser) name() string {
	start := p.i
	for p.i < len(p.b) && isNameByte(p.b[p.i]) {
		p.i++
	}
	n := p.b[start:p.i]
	if len(n) == 0 || (n[0] >= '0' && n[0] <= '9') || n[0] == '.' || n[0] == '-' {
		return ""
	}
	return string(n)
}

func isNameByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == ':' || c == '.' || c == '-'
}

// quoted reads a value in single or double quotes, as written, for
// attribute name.
func (p *xmlParser) quoted(name string) ([]byte, error) {
	if p.i >= len(p.b) || (p.b[p.i] != '"' && p.b[p.i] != '\'') {
		return nil, syntaxError("unquoted value of attribute " + name)
	}
	q := p.b[p.i]
	p.i++
	start := p.i
	for p.i < len(p.b) && p.b[p.i] != q {
		if p.b[p.i] == '<' {
			return nil, syntaxError("unescaped < in attribute " + name)
		}
		p.i++
	}
	if p.i >= len(p.b) {
		return nil, syntaxError("unterminated value of attribute " + name)
	}
	p.i++
	return p.b[start : p.i-1], nil
}

func (p *xmlParser) space() {
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// text decodes character data or an attribute value: entity and
// character references, and CR LF or a lone CR as LF.
func (p *xmlParser) text(raw []byte) ([]byte, error) {
	if bytes.IndexByte(raw, '&') < 0 {
		return normalizeNewlines(raw), nil
	}
	out := make([]byte, 0, len(raw))
	for len(raw) > 0 {
		amp := bytes.IndexByte(raw, '&')
		if amp < 0 {
			out = append(out, normalizeNewlines(raw)...)
			break
		}
		out = append(out, normalizeNewlines(raw[:amp])...)
		raw = raw[amp+1:]
		semi := bytes.IndexByte(raw, ';')
		if semi <= 0 {
			return nil, syntaxError("invalid character entity")
		}
		ref := string(raw[:semi])
		raw = raw[semi+1:]
		switch ref {
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "amp":
			out = append(out, '&')
		case "apos":
			out = append(out, '\'')
		case "quot":
			out = append(out, '"')
		default:
			r, ok := charRef(ref)
			if !ok {
				return nil, syntaxError("invalid character entity &" + ref + ";")
			}
			out = utf8.AppendRune(out, r)
		}
	}
	return out, nil
}

// charRef decodes #N or #xH to a character XML allows.
func charRef(ref string) (rune, bool) {
	num, ok := strings.CutPrefix(ref, "#")
	if !ok || num == "" {
		return 0, false
	}
	base := 10
	if hex, ok := strings.CutPrefix(num, "x"); ok {
		num, base = hex, 16
	}
	if num == "" || num[0] == '+' || num[0] == '-' {
		return 0, false
	}
	n, err := strconv.ParseUint(num, base, 32)
	if err != nil {
		return 0, false
	}
	r := rune(n)
	inRange := r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
	return r, inRange
}

// normalizeNewlines turns CR LF and lone CRs into LF, as XML parsers must.
func normalizeNewlines(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\r' {
			out = append(out, '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			continue
		}
		out = append(out, b[i])
	}
	return out
}
