package readonly

import (
	"errors"
	"strings"
)

// simple is one command cmd.exe may run, as it hands it on: the command
// text with carets and redirections removed and quotes kept.
type simple struct {
	text   string
	redirs []redir
	// piped marks a command on either side of a pipe.
	piped bool
	// nested marks text that is a whole command line run again by cmd.exe
	// (FOR /F's 'command', the rest of a REM).
	nested bool
}

// redir is one redirection: op is <, >, >>, or one of them followed by &
// (a handle duplication, whose target is the handle).
type redir struct {
	op     string
	target string
}

// parser reads a line as cmd.exe's second phase does: a quote toggles a
// quoted state, outside of which ^ escapes the next character and & | < >
// are special, and ( ) are where a block may be; IF, FOR and REM have
// their own syntax. It errs on the side of finding more commands: a REM's
// rest is read as a line too.
type parser struct {
	s       []rune
	i       int
	inBlock int
	out     []*simple
}

var errSyntax = errors.New("the syntax of the command is incorrect")

// parse returns every simple command of line, in order.
func parse(line string) ([]*simple, error) {
	p := &parser{s: []rune(line)}
	if err := p.sequence(); err != nil {
		return nil, err
	}
	if p.i < len(p.s) {
		return nil, errSyntax // a ) outside any block
	}
	return p.out, nil
}

func (p *parser) peek() rune {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// isDelim reports cmd.exe's token delimiters.
func isDelim(r rune) bool {
	switch r {
	case ' ', '\t', ',', ';', '=', '\v', '\f', '\u00a0':
		return true
	}
	return false
}

func (p *parser) skipDelims() {
	for p.i < len(p.s) && isDelim(p.s[p.i]) {
		p.i++
	}
}

// sequence parses commands joined by operators up to the end of the line
// or, inside a block, its closing parenthesis. A pipe binds tighter than
// && and ||, so its left side is the last command part read.
func (p *parser) sequence() error {
	piped := false
	for {
		start := len(p.out)
		if err := p.commandPart(); err != nil {
			return err
		}
		if piped {
			p.markPiped(start)
			piped = false
		}
		switch p.peek() {
		case 0:
			return nil
		case ')':
			if p.inBlock > 0 {
				return nil
			}
			return errSyntax
		case '&':
			p.i++
			if p.peek() == '&' {
				p.i++
			}
		case '|':
			p.i++
			if p.peek() == '|' {
				p.i++
				continue
			}
			// Both sides of a pipe run in cmd.exe instances of their own.
			p.markPiped(start)
			piped = true
		default:
			return errSyntax
		}
	}
}

func (p *parser) markPiped(from int) {
	for _, c := range p.out[from:] {
		c.piped = true
	}
}

// commandPart parses one command: a block, an IF, a FOR, or a simple
// command, after leading delimiters and @.
func (p *parser) commandPart() error {
	p.skipDelims()
	for p.peek() == '@' {
		p.i++
		p.skipDelims()
	}
	switch r := p.peek(); {
	case r == 0 || r == '&' || r == '|':
		return nil
	case r == ')':
		return nil
	case r == '(':
		if err := p.block(); err != nil {
			return err
		}
		return p.endOfCommand()
	case r == ':':
		return errors.New("a line that starts with a label")
	}
	switch strings.ToLower(p.firstWord()) {
	case "if":
		return p.ifCommand()
	case "for":
		return p.forCommand()
	case "rem":
		// REM ignores the rest of the line; read it anyway, so that no
		// reading of REM can hide a command.
		p.i += 3
		rest := string(p.s[p.i:])
		p.i = len(p.s)
		p.out = append(p.out, &simple{text: rest, nested: true})
		return nil
	}
	return p.simpleCommand()
}

// firstWord is the word at the cursor up to a delimiter or a special
// character, without consuming it.
func (p *parser) firstWord() string {
	j := p.i
	for j < len(p.s) && !isDelim(p.s[j]) && !strings.ContainsRune("&|<>()^\"", p.s[j]) {
		j++
	}
	if j < len(p.s) && !isDelim(p.s[j]) && !strings.ContainsRune("&|<>()", p.s[j]) {
		return "" // a quote or caret inside the first word: not a keyword
	}
	return string(p.s[p.i:j])
}

// block parses ( commands ) and the redirections after it, which apply to
// every command inside.
func (p *parser) block() error {
	p.i++ // (
	p.inBlock++
	start := len(p.out)
	for {
		if err := p.sequence(); err != nil {
			return err
		}
		if p.peek() == ')' {
			break
		}
		return errSyntax // the line ended inside the block
	}
	p.i++ // )
	p.inBlock--
	var redirs []redir
	for {
		p.skipDelims()
		r := p.peek()
		if r != '<' && r != '>' && !(r >= '0' && r <= '9' && p.i+1 < len(p.s) && (p.s[p.i+1] == '<' || p.s[p.i+1] == '>')) {
			break
		}
		rd, err := p.redirection(r >= '0' && r <= '9')
		if err != nil {
			return err
		}
		redirs = append(redirs, rd)
	}
	for _, c := range p.out[start:] {
		c.redirs = append(c.redirs, redirs...)
	}
	if len(redirs) > 0 {
		// cmd.exe opens them even for an empty block.
		p.out = append(p.out, &simple{redirs: redirs})
	}
	return nil
}

// endOfCommand fails unless an operator, the end of the line or of the
// enclosing block follows.
func (p *parser) endOfCommand() error {
	switch p.peek() {
	case 0, '&', '|':
		return nil
	case ')':
		if p.inBlock > 0 {
			return nil
		}
	}
	return errSyntax
}

// simpleCommand reads a command up to an operator (or the end of its
// block), removing carets and redirections and keeping quotes.
func (p *parser) simpleCommand() error {
	var text []rune
	var redirs []redir
	quoted := false
	// atStart: the next character starts a token in the line as written;
	// handle: the last character is a digit that started one, which names
	// a handle when < or > follows.
	atStart, handle := true, false
	add := func(r rune) {
		handle = atStart && r >= '0' && r <= '9'
		atStart = isDelim(r)
		text = append(text, r)
	}
	for p.i < len(p.s) {
		r := p.s[p.i]
		if quoted {
			add(r)
			atStart, handle = false, false
			if r == '"' {
				quoted = false
			}
			p.i++
			continue
		}
		switch {
		case r == '"':
			quoted = true
			add(r)
			p.i++
			continue
		case r == '^':
			p.i++
			if p.i < len(p.s) {
				add(p.s[p.i])
				handle = false
				p.i++
			}
			continue
		case r == '&' || r == '|' || (r == ')' && p.inBlock > 0):
			p.out = append(p.out, &simple{text: strings.TrimLeft(string(text), " \t,;=\v\f\u00a0"), redirs: redirs})
			return nil
		case r == '<' || r == '>':
			if handle {
				text = text[:len(text)-1]
			}
			rd, err := p.redirection(false)
			if err != nil {
				return err
			}
			redirs = append(redirs, rd)
			atStart, handle = false, false
			continue
		}
		add(r)
		p.i++
	}
	p.out = append(p.out, &simple{text: strings.TrimLeft(string(text), " \t,;=\v\f\u00a0"), redirs: redirs})
	return nil
}

// redirection parses < > >> and their &N forms at the cursor, after a
// handle digit when handle is set, and the target.
func (p *parser) redirection(handle bool) (redir, error) {
	if handle {
		p.i++
	}
	var rd redir
	switch {
	case p.peek() == '<':
		rd.op = "<"
		p.i++
	case p.i+1 < len(p.s) && p.s[p.i] == '>' && p.s[p.i+1] == '>':
		rd.op = ">>"
		p.i += 2
	default:
		rd.op = ">"
		p.i++
	}
	if p.peek() == '<' || p.peek() == '>' {
		return rd, errSyntax
	}
	if p.peek() == '&' {
		p.i++
		rd.op += "&"
		p.skipDelims()
		if r := p.peek(); r >= '0' && r <= '9' {
			rd.target = string(r)
			p.i++
			return rd, nil
		}
		return rd, errSyntax
	}
	p.skipDelims()
	t := p.readWord()
	if len(t) == 0 {
		return rd, errSyntax
	}
	rd.target = t
	return rd, nil
}

// word reads one word of IF's or FOR's syntax: up to a delimiter (= is
// one, so a==b ends at ==) outside quotes, quotes kept, carets removed.
func (p *parser) word() string {
	p.skipDelimsBlank()
	return p.readWord()
}

// readWord reads a word at the cursor, as a redirection's target and
// IF's and FOR's words are read: up to a delimiter or an operator outside
// quotes (or the end of the enclosing block), quotes kept, carets
// removed.
func (p *parser) readWord() string {
	var w []rune
	quoted := false
	for p.i < len(p.s) {
		r := p.s[p.i]
		if quoted {
			w = append(w, r)
			if r == '"' {
				quoted = false
			}
			p.i++
			continue
		}
		if isDelim(r) || strings.ContainsRune("&|<>", r) || (r == ')' && p.inBlock > 0) {
			break
		}
		if r == '"' {
			quoted = true
		}
		if r == '^' {
			p.i++
			if p.i >= len(p.s) {
				break
			}
			r = p.s[p.i]
		}
		w = append(w, r)
		p.i++
	}
	return string(w)
}

// skipDelimsBlank skips the blanks between the words of IF and FOR.
func (p *parser) skipDelimsBlank() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == ',' || p.s[p.i] == ';') {
		p.i++
	}
}

// ifCommand parses IF [/I] [NOT] condition command [ELSE command]. The
// condition only reads (a file's existence, a variable, ERRORLEVEL, a
// comparison); the commands are what count.
func (p *parser) ifCommand() error {
	p.i += 2 // if
	w := p.word()
	if strings.EqualFold(w, "/i") {
		w = p.word()
	}
	if strings.EqualFold(w, "not") {
		w = p.word()
	}
	switch strings.ToLower(w) {
	case "exist", "defined", "errorlevel", "cmdextversion":
		if p.word() == "" {
			return errSyntax
		}
	case "":
		return errSyntax
	default:
		p.skipDelimsBlank()
		if p.i+1 < len(p.s) && p.s[p.i] == '=' && p.s[p.i+1] == '=' {
			p.i += 2
		} else {
			switch strings.ToUpper(p.word()) {
			case "EQU", "NEQ", "LSS", "LEQ", "GTR", "GEQ":
			default:
				return errSyntax
			}
		}
		if p.word() == "" {
			return errSyntax
		}
	}
	p.skipDelims()
	if p.peek() != '(' {
		if p.peek() == 0 {
			return errSyntax
		}
		return p.commandPart()
	}
	if err := p.block(); err != nil {
		return err
	}
	p.skipDelims()
	if strings.EqualFold(p.firstWord(), "else") {
		p.i += 4
		return p.commandPart()
	}
	return p.endOfCommand()
}

// forCommand parses FOR [/D | /R [path] | /L | /F ["options"]] %v IN
// (set) DO command. FOR /F's set may be a command in single quotes (back
// quotes with usebackq), which cmd.exe runs as a line of its own.
func (p *parser) forCommand() error {
	p.i += 3 // for
	usebackq := false
	kind := ""
	var w string
	for {
		w = p.word()
		lw := strings.ToLower(w)
		if !strings.HasPrefix(lw, "/") {
			break
		}
		kind = lw
		switch lw {
		case "/d", "/l":
		case "/r":
			save := p.i
			if next := p.word(); next != "" && !strings.HasPrefix(next, "%") {
				continue
			}
			p.i = save
		case "/f":
			save := p.i
			if next := p.word(); strings.HasPrefix(next, `"`) {
				usebackq = strings.Contains(strings.ToLower(next), "usebackq")
				continue
			}
			p.i = save
		default:
			return errSyntax
		}
	}
	if !strings.HasPrefix(w, "%") || len(w) < 2 {
		return errSyntax
	}
	if !strings.EqualFold(p.word(), "in") {
		return errSyntax
	}
	p.skipDelims()
	if p.peek() != '(' {
		return errSyntax
	}
	p.i++
	var set []rune
	quoted := false
	for p.i < len(p.s) && (quoted || p.s[p.i] != ')') {
		if p.s[p.i] == '"' {
			quoted = !quoted
		}
		set = append(set, p.s[p.i])
		p.i++
	}
	if p.i >= len(p.s) {
		return errSyntax
	}
	p.i++ // )
	if kind == "/f" {
		s := strings.TrimSpace(string(set))
		q := "'"
		if usebackq {
			q = "`"
		}
		if strings.HasPrefix(s, q) {
			if len(s) < 2 || !strings.HasSuffix(s, q) {
				return errSyntax
			}
			p.out = append(p.out, &simple{text: s[1 : len(s)-1], nested: true})
		}
	}
	if !strings.EqualFold(p.word(), "do") {
		return errSyntax
	}
	p.skipDelims()
	if p.peek() == 0 {
		return errSyntax
	}
	return p.commandPart()
}
