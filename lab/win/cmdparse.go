package win

import (
	"strings"
	"unicode/utf16"
)

// maxLine is cmd.exe's limit on a command line, in UTF-16 code units.
const maxLine = 8191

// stripSlashC applies cmd /c's rule for a line that starts with a quote:
// the quotes stay only when there are exactly two, nothing special
// (&<>()@^|) between them, some whitespace between them, and the quoted
// text names an executable file; otherwise the first and the last quote of
// the line are removed, keeping any text after the last one. With /s the
// quotes are always removed.
func stripSlashC(line string, slashS bool, isExecutable func(string) bool) string {
	trimmed := strings.TrimLeft(line, " \t")
	if !strings.HasPrefix(trimmed, `"`) {
		return line
	}
	first := len(line) - len(trimmed)
	last := strings.LastIndexByte(line, '"')
	if !slashS && strings.Count(line, `"`) == 2 {
		inner := line[first+1 : last]
		if !strings.ContainsAny(inner, "&<>()@^|") && strings.ContainsAny(inner, " \t") && isExecutable(inner) {
			return line
		}
	}
	if last == first {
		return line[:first] + line[first+1:]
	}
	return line[:first] + line[first+1:last] + line[last+1:]
}

// utf16Len is the length of s as cmd.exe counts it.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += len(utf16.Encode([]rune{r}))
	}
	return n
}

// expandPercent performs cmd.exe's command-line percent expansion:
// %NAME% becomes the variable's value, also inside quotes; %NAME:~s,l% and
// %NAME:old=new% edit it. An undefined variable is left as written, and
// scanning resumes at its closing percent, which may open another
// reference (%undefined%PATH% keeps "%undefined" and expands PATH).
func expandPercent(line string, lookup func(string) (string, bool)) string {
	src := []rune(line)
	var out []rune
	i := 0
	for i < len(src) {
		if src[i] != '%' {
			out = append(out, src[i])
			i++
			continue
		}
		start := i + 1
		j := start
		for j < len(src) && src[j] != '%' && !(src[j] == ':' && j+1 < len(src) && src[j+1] != '%') {
			j++
		}
		if j >= len(src) {
			out = append(out, '%')
			i = start
			continue
		}
		value, ok := lookup(string(src[start:j]))
		if !ok {
			out = append(out, '%')
			i = start
			continue
		}
		if src[j] == '%' {
			out = append(out, []rune(value)...)
			i = j + 1
			continue
		}
		// A modifier follows the colon.
		edited, end, ok := percentModifier(src, j+1, []rune(value))
		if !ok {
			out = append(out, '%')
			i = start
			continue
		}
		out = append(out, edited...)
		i = end
	}
	return string(out)
}

// percentModifier applies ~start[,len] or [*]old=new to value, reading the
// modifier from src at i up to the closing percent. It returns the result
// and the index after the closing percent.
func percentModifier(src []rune, i int, value []rune) ([]rune, int, bool) {
	closing := -1
	for k := i; k < len(src); k++ {
		if src[k] == '%' {
			closing = k
			break
		}
	}
	if closing < 0 {
		return nil, 0, false
	}
	mod := string(src[i:closing])
	if strings.HasPrefix(mod, "~") {
		startS, lenS, hasLen := strings.Cut(mod[1:], ",")
		start, ok1 := atoiSigned(startS)
		if startS == "" {
			start, ok1 = 0, true
		}
		if !ok1 {
			return nil, 0, false
		}
		n := len(value)
		if start < 0 {
			start += n
		}
		start = max(0, min(start, n))
		end := n
		if hasLen {
			l, ok := atoiSigned(lenS)
			if !ok {
				return nil, 0, false
			}
			if l < 0 {
				end = n + l
			} else {
				end = start + l
			}
			end = max(start, min(end, n))
		}
		return value[start:end], closing + 1, true
	}
	star := strings.HasPrefix(mod, "*")
	mod = strings.TrimPrefix(mod, "*")
	old, repl, ok := strings.Cut(mod, "=")
	if !ok || old == "" {
		return nil, 0, false
	}
	// The replacement runs to the first percent after the equals sign; the
	// text to replace may itself hold no percent here.
	s := string(value)
	lower, lowerOld := strings.ToLower(s), strings.ToLower(old)
	var b strings.Builder
	pos := 0
	for {
		k := strings.Index(lower[pos:], lowerOld)
		if k < 0 {
			break
		}
		if !star {
			b.WriteString(s[pos : pos+k])
		}
		b.WriteString(repl)
		pos += k + len(old)
		if star {
			break
		}
	}
	b.WriteString(s[pos:])
	return []rune(b.String()), closing + 1, true
}

func atoiSigned(s string) (int, bool) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if s == "" || len(s) > 9 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// nodeKind is the kind of a parsed command node.
type nodeKind int

const (
	nodeSimple nodeKind = iota
	nodeBlock
	nodeQuiet
	nodeMulti // a & b
	nodeOr    // a || b
	nodeAnd   // a && b
	nodePipe  // a | b
	nodeIf    // if cond then [else other]
)

// node is one node of a parsed command line.
type node struct {
	kind        nodeKind
	head, tail  string // simple command: the first word and the rest as written
	redirs      []redir
	subs        []*node // block contents, the operands of an operator, or an if's branches
	quietTarget *node
	cond        *ifCond
}

// ifCond is the condition of an IF command.
type ifCond struct {
	not        bool
	ignoreCase bool
	kind       string // "exist", "defined", "errorlevel" or "compare"
	op         string // compare: "==", "EQU", "NEQ", "LSS", "LEQ", "GTR", "GEQ"
	left       string // the operand of exist, defined and errorlevel
	right      string
}

// redir is a parsed redirection. For ">&" and "<&" the target is the
// handle number.
type redir struct {
	handle int
	op     string
	target string
}

// Token types of the parser.
const (
	tokEnd = iota
	tokNormal
	tokOperator
	tokRedirection
	tokBeginBlock
	tokEndBlock
)

// syntaxError is a parse failure; token is what cmd.exe names in "…
// was unexpected at this time.", "" for the generic message.
type syntaxError struct{ token string }

func (e *syntaxError) Error() string {
	if e.token == "" {
		return "The syntax of the command is incorrect."
	}
	return e.token + " was unexpected at this time."
}

// parser splits an expanded command line into commands the way cmd.exe's
// phase 2 does: quotes toggle a quoted state, outside of which ^ escapes
// the next character and & | < > (and ) inside a block) are special; a
// digit right before < or > after a separator names a handle.
type parser struct {
	s       []rune
	pos     int // index after the current character
	cur     rune
	inBlock int
	tok     string
	tokType int
	err     *syntaxError
}

func isSpace(c rune) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// isSeparator reports the characters that separate tokens like spaces do.
func isSeparator(c rune) bool {
	return isSpace(c) || c == ',' || c == ';' || c == '='
}

// parseLine parses an expanded line. A nil node with a nil error means the
// line holds no command.
func parseLine(line string) (*node, error) {
	p := &parser{s: []rune(line), cur: ' '}
	n := p.commandOp(nodeMulti)
	if p.err == nil && n != nil && p.tokType != tokEnd {
		p.fail()
	}
	if p.err != nil {
		return nil, p.err
	}
	return n, nil
}

func (p *parser) next() rune {
	for p.pos < len(p.s) && p.s[p.pos] == '\r' {
		p.pos++
	}
	if p.pos >= len(p.s) {
		p.cur = 0
		p.pos = len(p.s) + 1
		return 0
	}
	p.cur = p.s[p.pos]
	p.pos++
	return p.cur
}

func (p *parser) fail() {
	if p.err != nil {
		return
	}
	if p.tokType == tokEnd {
		p.err = &syntaxError{}
		return
	}
	p.err = &syntaxError{token: p.tok}
}

func (p *parser) runeAt(i int) rune {
	if i < 0 || i >= len(p.s) {
		return 0
	}
	return p.s[i]
}

// token reads the next token starting at the current character. With
// useSeps, separators end it (and leading ones are skipped); extraEnd also
// ends it.
func (p *parser) token(extraEnd rune, useSeps bool) int {
	var out []rune
	inQuote := false
	c := p.cur
	for ; c != 0 && c != '\n'; c = p.next() {
		if c == '"' {
			inQuote = !inQuote
		}
		if !inQuote {
			if useSeps && isSeparator(c) {
				if len(out) == 0 {
					continue
				}
				break
			}
			// A digit before < or > is a handle if it starts a token.
			if c >= '0' && c <= '9' && (p.pos == 1 || isSeparator(p.runeAt(p.pos-2))) &&
				(p.runeAt(p.pos) == '<' || p.runeAt(p.pos) == '>') {
				break
			}
			if extraEnd != 0 && c == extraEnd {
				break
			}
			if p.inBlock > 0 && c == ')' {
				break
			}
			if c == '&' || c == '|' || c == '<' || c == '>' {
				break
			}
			if c == '^' {
				c = p.next()
				if c == '\n' {
					c = p.next()
				}
				if c == 0 {
					break
				}
			}
		}
		out = append(out, c)
	}

	typ := tokEnd
	switch {
	case len(out) > 0:
		typ = tokNormal
	case c == '(':
		typ = tokBeginBlock
		out = append(out, c)
		p.next()
	case c == ')':
		typ = tokEndBlock
		out = append(out, c)
		p.next()
	case c == '&' || c == '|':
		typ = tokOperator
		out = append(out, c)
		if n := p.next(); n == c {
			out = append(out, n)
			p.next()
		}
	case (c >= '0' && c <= '9') || c == '<' || c == '>':
		typ = tokRedirection
		if c >= '0' && c <= '9' {
			out = append(out, c)
			c = p.next()
		}
		out = append(out, c)
		c = p.next()
		if c == out[len(out)-1] {
			out = append(out, c)
			c = p.next()
		}
		if c == '&' {
			out = append(out, c)
			for c = p.next(); c != 0 && c != '\n' && isSeparator(c); c = p.next() {
			}
			if c >= '0' && c <= '9' {
				out = append(out, c)
				p.next()
			}
		}
	}
	p.tok = string(out)
	p.tokType = typ
	return typ
}

// redirection parses the redirection token just read (and its target).
func (p *parser) redirection(list *[]redir) bool {
	tok := p.tok
	r := redir{handle: -1}
	if tok[0] >= '0' && tok[0] <= '9' {
		r.handle = int(tok[0] - '0')
		tok = tok[1:]
	}
	switch {
	case strings.HasPrefix(tok, "<<"):
		p.fail()
		return false
	case strings.HasPrefix(tok, "<"):
		r.op = "<"
		tok = tok[1:]
		if r.handle < 0 {
			r.handle = 0
		}
	case strings.HasPrefix(tok, ">>"):
		r.op = ">>"
		tok = tok[2:]
	default:
		r.op = ">"
		tok = tok[1:]
	}
	if r.handle < 0 {
		r.handle = 1
	}
	if strings.HasPrefix(tok, "&") {
		if len(tok) != 2 {
			p.fail()
			return false
		}
		r.op = r.op[:1] + "&"
		r.target = tok[1:]
	} else {
		if p.token(0, true) != tokNormal {
			p.fail()
			return false
		}
		r.target = p.tok
	}
	*list = append(*list, r)
	return true
}

// commandOp parses operators from the lowest precedence (&) up: & < || <
// && < |, each right-associative.
func (p *parser) commandOp(kind nodeKind) *node {
	var left *node
	if kind == nodePipe {
		left = p.primary()
	} else {
		left = p.commandOp(kind + 1)
	}
	if p.err != nil || left == nil || p.tokType != tokOperator || p.tok != opStrings[kind] {
		return left
	}
	right := p.commandOp(kind)
	if right == nil {
		if p.err == nil && kind != nodeMulti {
			p.fail()
		}
		if p.err != nil {
			return nil
		}
		return left
	}
	return &node{kind: kind, subs: []*node{left, right}}
}

var opStrings = map[nodeKind]string{nodeMulti: "&", nodeOr: "||", nodeAnd: "&&", nodePipe: "|"}

func (p *parser) primary() *node {
	for isSeparator(p.cur) {
		if p.cur == '\n' {
			p.tokType = tokEnd
			return nil
		}
		p.next()
	}
	if p.cur == 0 {
		p.tokType = tokEnd
		return nil
	}
	if p.cur == ':' {
		// A label: the rest of the line is ignored.
		for p.token(0, false) != tokEnd {
		}
		return nil
	}
	if p.cur == '@' {
		p.next()
		sub := p.commandOp(nodeMulti)
		if sub == nil {
			return nil
		}
		return &node{kind: nodeQuiet, quietTarget: sub}
	}
	var redirs []redir
	typ := p.token('(', true)
	for typ == tokRedirection {
		if !p.redirection(&redirs) {
			return nil
		}
		typ = p.token('(', true)
	}
	switch {
	case typ == tokNormal && redirs == nil && strings.EqualFold(p.tok, "if"):
		return p.ifCommand()
	case typ == tokNormal:
		return p.commandPart(redirs)
	case typ == tokBeginBlock:
		return p.block(redirs)
	case typ == tokEndBlock && redirs == nil:
		return nil
	}
	p.fail()
	return nil
}

func (p *parser) commandPart(redirs []redir) *node {
	head := p.tok
	if strings.EqualFold(head, "rem") {
		// REM ignores the rest of the line, operators included, unless it
		// is asked for help.
		if p.token(0, true) != tokNormal || p.tok != "/?" {
			for p.tokType != tokEnd {
				p.token(0, false)
			}
			return nil
		}
		return &node{kind: nodeSimple, head: head, tail: " /?", redirs: redirs}
	}
	var tail strings.Builder
	for {
		typ := p.token(0, false)
		if typ == tokNormal {
			tail.WriteString(p.tok)
			continue
		}
		if typ == tokRedirection {
			if !p.redirection(&redirs) {
				return nil
			}
			continue
		}
		break
	}
	return &node{kind: nodeSimple, head: head, tail: tail.String(), redirs: redirs}
}

func (p *parser) block(redirs []redir) *node {
	b := &node{kind: nodeBlock, redirs: redirs}
	p.inBlock++
	for {
		sub := p.commandOp(nodeMulti)
		if p.err != nil {
			p.inBlock--
			return nil
		}
		if sub != nil {
			b.subs = append(b.subs, sub)
		}
		if p.tokType == tokEndBlock {
			break
		}
		if p.tokType != tokEnd || p.cur == 0 {
			// Text after a nested block, or the line ended inside this one.
			p.inBlock--
			p.fail()
			return nil
		}
		p.next()
	}
	p.inBlock--
	for p.token(0, true) == tokRedirection {
		if !p.redirection(&b.redirs) {
			return nil
		}
	}
	return b
}

// ifCommand parses the rest of an IF command: the condition, then the
// command. As in cmd.exe, a command that is not a block runs to the end
// of the line, & and || included; after a block, ELSE may follow.
func (p *parser) ifCommand() *node {
	c := &ifCond{kind: "compare"}
	w := p.ifWord(true)
	if strings.EqualFold(w, "/i") {
		c.ignoreCase = true
		w = p.ifWord(true)
	}
	if strings.EqualFold(w, "not") {
		c.not = true
		w = p.ifWord(true)
	}
	switch lw := strings.ToLower(w); {
	case !c.ignoreCase && (lw == "exist" || lw == "defined" || lw == "errorlevel"):
		c.kind = lw
		c.left = p.ifWord(false)
	default:
		c.left = w
		p.skipBlanks()
		if p.cur == '=' && p.runeAt(p.pos) == '=' {
			p.next()
			p.next()
			c.op = "=="
		} else {
			c.op = strings.ToUpper(p.ifWord(false))
		}
		c.right = p.ifWord(false)
		switch c.op {
		case "==", "EQU", "NEQ", "LSS", "LEQ", "GTR", "GEQ":
		default:
			c.op = ""
		}
	}
	if c.left == "" || (c.kind == "compare" && (c.op == "" || c.right == "")) {
		p.err = &syntaxError{}
		return nil
	}
	p.skipBlanks()
	n := &node{kind: nodeIf, cond: c}
	if p.cur != '(' {
		then := p.ifBranch()
		if then == nil {
			return nil
		}
		n.subs = []*node{then}
		return n
	}
	then := p.primary()
	if p.err != nil {
		return nil
	}
	n.subs = []*node{then}
	if p.tokType == tokNormal && strings.EqualFold(p.tok, "else") {
		other := p.ifBranch()
		if other == nil {
			return nil
		}
		n.subs = append(n.subs, other)
	}
	return n
}

// ifBranch parses the command of an IF or ELSE, which must be there.
func (p *parser) ifBranch() *node {
	n := p.commandOp(nodeMulti)
	if p.err == nil && n == nil {
		p.err = &syntaxError{}
	}
	if p.err != nil {
		return nil
	}
	return n
}

// skipBlanks skips the blanks between the words of an IF condition.
func (p *parser) skipBlanks() {
	for p.cur == ' ' || p.cur == '\t' || p.cur == ',' || p.cur == ';' {
		p.next()
	}
}

// ifWord reads one word of an IF condition: up to a blank outside quotes
// (or "==" with stopAtEq), quotes kept, carets removed.
func (p *parser) ifWord(stopAtEq bool) string {
	p.skipBlanks()
	var out []rune
	inQuote := false
	for c := p.cur; c != 0 && c != '\n'; c = p.next() {
		if c == '"' {
			inQuote = !inQuote
		}
		if !inQuote {
			if isSpace(c) || c == ',' || c == ';' || c == '&' || c == '|' || c == '<' || c == '>' ||
				(c == ')' && p.inBlock > 0) || (stopAtEq && c == '=' && p.runeAt(p.pos) == '=') {
				break
			}
			if c == '^' {
				if c = p.next(); c == 0 {
					break
				}
			}
		}
		out = append(out, c)
	}
	return string(out)
}
