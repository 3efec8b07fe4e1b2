package readonly

import (
	"strings"
)

// builtinRule classifies a built-in from its parameters: the text after
// its name, as cmd.exe hands it over.
type builtinRule func(c *classifier, part, params string, depth int) *Verdict

// builtins are cmd.exe's internal commands (cmd /? and `help` list them).
var builtins map[string]builtinRule

func init() {
	read := func(*classifier, string, string, int) *Verdict { return nil }
	builtins = map[string]builtinRule{
		// Output, and state of this cmd.exe process only.
		"echo": read, "type": read, "dir": read, "ver": read, "vol": read, "cls": read, "title": read,
		"pause": read, "exit": read, "setlocal": read, "endlocal": read, "break": read, "color": read,
		"prompt": read, "path": read, "set": read, "cd": read, "chdir": read, "popd": read, "verify": read,
		"date": clockRule, "time": clockRule,
		"assoc": assocRule, "ftype": assocRule,
		"del": names(removeRule), "erase": names(removeRule), "rd": names(removeRule), "rmdir": names(removeRule),
		"md": names(makeRule), "mkdir": names(makeRule),
		"copy":   names(copyRule),
		"move":   names(moveRule),
		"ren":    names(renameRule),
		"rename": names(renameRule),
		"mklink": func(_ *classifier, part, _ string, _ int) *Verdict {
			return changes(part, "mklink creates a link")
		},
		"pushd": pushdRule,
		"start": startRule,
		"call":  callRule,
		"goto": func(_ *classifier, part, _ string, _ int) *Verdict {
			return unproven(part, "goto jumps to a label, which a command line has none of")
		},
		"shift": read,
	}
}

// builtin classifies text when its first token names a built-in, alone or
// with its parameters glued on (dir/b, cd\, echo.), and reports whether
// it did.
func (c *classifier) builtin(text, token, rest string, depth int) (*Verdict, bool) {
	lower := strings.ToLower(token)
	for name, rule := range builtins {
		if !strings.HasPrefix(lower, name) {
			continue
		}
		glued := token[len(name):]
		switch {
		case glued == "":
		case strings.ContainsAny(glued, `\:`) && glued != `\`:
			// cd\..\x\prog.exe may be read as a path to a program.
			return unproven(text, token+" may be the built-in "+name+" or a path to a program"), true
		case strings.ContainsRune(`/\+[](`, rune(glued[0])):
		case glued[0] == '.' && (name == "echo" || name == "cd" || name == "chdir" || name == "dir"):
		case glued[0] == '.':
			// type.exe, del.com: cmd.exe's built-in or a program of that
			// name; neither is proven.
			return unproven(text, token+" may be the built-in "+name+" or a program of that name"), true
		default:
			continue // sort is not a built-in s...
		}
		return rule(c, text, glued+rest, depth), true
	}
	switch lower {
	case "if", "for", "rem":
		// Spelt so that the parser did not see the keyword (i^f): not proven.
		return unproven(text, token+" written in a form cmd.exe may or may not take as the keyword"), true
	}
	return nil, false
}

// names wraps the rule of a built-in that writes the files it names: = ,
// and ; outside quotes separate names for some built-ins and not for
// others, so a line with them is not proven.
func names(rule builtinRule) builtinRule {
	return func(c *classifier, part, params string, depth int) *Verdict {
		quoted := false
		for _, r := range params {
			if r == '"' {
				quoted = !quoted
			}
			if !quoted && (r == '=' || r == ',' || r == ';') {
				return unproven(part, "its names are separated by "+string(r)+", which not every built-in reads as a separator")
			}
		}
		return rule(c, part, params, depth)
	}
}

// clockRule: date and time show the clock with /t and set it otherwise.
func clockRule(_ *classifier, part, params string, _ int) *Verdict {
	if strings.EqualFold(strings.TrimSpace(params), "/t") {
		return nil
	}
	return unproven(part, "without /t it sets the clock or asks for a new time")
}

// assocRule: assoc and ftype show associations; with = they change them.
func assocRule(_ *classifier, part, params string, _ int) *Verdict {
	if strings.Contains(params, "=") {
		return changes(part, "it changes a file association")
	}
	return nil
}

// nonSwitches returns the arguments of a built-in that are not among its
// switches (known, with letters such as /a:h after a colon); an unknown
// /x is taken for a name.
func nonSwitches(params string, known string) []string {
	var out []string
	for _, a := range splitCmdArgs(params) {
		name, _, _ := strings.Cut(strings.ToLower(a), ":")
		if strings.HasPrefix(a, "/") && len(name) == 2 && strings.Contains(known, name[1:]) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// removeRule: del, erase, rd and rmdir remove what they name; only
// scratch files and directories are proven harmless.
func removeRule(c *classifier, part, params string, _ int) *Verdict {
	names := nonSwitches(params, "pfsqa")
	if len(names) == 0 {
		return unproven(part, "it names nothing to remove")
	}
	for _, n := range names {
		if tainted(n) || !c.isScratch(n) {
			return changes(part, "it removes "+unquote(n)+", which is not in a scratch directory")
		}
	}
	return nil
}

// makeRule: md and mkdir create directories.
func makeRule(c *classifier, part, params string, _ int) *Verdict {
	for _, n := range splitCmdArgs(params) {
		if tainted(n) || !c.isScratch(n) {
			return changes(part, "it creates "+unquote(n)+", which is not in a scratch directory")
		}
	}
	return nil
}

// copyRule: copy writes its last argument; with one argument it writes
// into the current directory, or into the first file of a+b.
func copyRule(c *classifier, part, params string, _ int) *Verdict {
	args := nonSwitches(params, "vnyabdlz")
	if len(args) < 2 {
		return changes(part, "copy with one argument writes into the current directory or its first file")
	}
	if len(args) > 2 {
		return unproven(part, "copy takes a source and a destination")
	}
	for _, arg := range args[:len(args)-1] {
		for _, src := range strings.Split(arg, "+") {
			if !plainPath(unquote(src)) {
				return unproven(part, "copy's source "+src+" is not a plain path")
			}
		}
	}
	dest := args[len(args)-1]
	if tainted(dest) || strings.Contains(dest, "+") || !c.isScratch(dest) {
		return changes(part, "it writes "+unquote(dest)+", which is not in a scratch directory")
	}
	return nil
}

// moveRule: move changes both the source and the destination.
func moveRule(c *classifier, part, params string, _ int) *Verdict {
	names := nonSwitches(params, "y")
	if len(names) < 2 {
		return changes(part, "move with one name moves into the current directory")
	}
	for _, n := range names {
		if tainted(n) || !c.isScratch(n) {
			return changes(part, "it moves "+unquote(n)+", which is not in a scratch directory")
		}
	}
	return nil
}

// renameRule: ren renames its first name within its directory.
func renameRule(c *classifier, part, params string, _ int) *Verdict {
	names := nonSwitches(params, "")
	if len(names) != 2 || tainted(names[0]) || !c.isScratch(names[0]) || strings.ContainsAny(names[1], `\/:%!`) {
		return changes(part, "it renames a file that is not in a scratch directory")
	}
	return nil
}

// pushdRule: pushd to a network path maps a drive letter.
func pushdRule(_ *classifier, part, params string, _ int) *Verdict {
	if p := strings.TrimSpace(unquote(params)); strings.HasPrefix(p, `\\`) || strings.HasPrefix(p, "//") || tainted(p) {
		return unproven(part, "pushd to a network path maps a drive letter")
	}
	return nil
}

// startSwitches are start's switches; the ones that take a value say so.
var startSwitches = map[string]bool{
	"/d": true, "/node": true, "/affinity": true,
	"/i": false, "/min": false, "/max": false, "/separate": false, "/shared": false, "/low": false,
	"/normal": false, "/high": false, "/realtime": false, "/abovenormal": false, "/belownormal": false,
	"/wait": false, "/b": false, "/machine": true,
}

// startRule: start ["title"] [switches] command runs command as a line of
// its own (a program, or cmd /k for a built-in); start alone opens a new
// console.
func startRule(c *classifier, part, params string, depth int) *Verdict {
	rest := strings.TrimLeft(params, " \t")
	if strings.HasPrefix(rest, `"`) {
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return unproven(part, "start's title is not closed")
		}
		rest = strings.TrimLeft(rest[end+2:], " \t")
	}
	for {
		word, after := firstToken(rest)
		takesValue, ok := startSwitches[strings.ToLower(word)]
		if !ok {
			if strings.HasPrefix(word, "/") {
				return unproven(part, "start "+word+" is not a switch winplay knows")
			}
			break
		}
		rest = strings.TrimLeft(after, " \t")
		if takesValue {
			_, rest = firstToken(rest)
			rest = strings.TrimLeft(rest, " \t")
		}
	}
	if strings.TrimLeft(rest, " \t,;=") == "" {
		return unproven(part, "start without a command opens a new console")
	}
	if strings.Contains(rest, "!") {
		return unproven(part, "start's command is read again, after delayed expansion may have changed it")
	}
	return c.line(rest, depth+1)
}

// callRule: call reads its command a second time: % is expanded again
// and carets are doubled, and call :label jumps.
func callRule(c *classifier, part, params string, depth int) *Verdict {
	rest := strings.TrimSpace(params)
	switch {
	case rest == "":
		return nil
	case strings.HasPrefix(rest, ":"):
		return unproven(part, "call :label runs a batch label")
	case strings.ContainsAny(rest, "%^!"):
		return unproven(part, "call expands % and doubles carets a second time")
	}
	return c.line(rest, depth+1)
}

// cmdSwitches are cmd.exe's switches before /c or /k.
var cmdSwitches = map[string]bool{"/a": true, "/u": true, "/q": true, "/d": true, "/s": true, "/x": true, "/y": true}

// cmdRule: cmd [switches] /c string runs string as a line of its own,
// after applying cmd /c's rule for a leading quote.
func cmdRule(c *classifier, k *call) *Verdict {
	_, rest := firstToken(k.text)
	slashS := false
	for {
		rest = strings.TrimLeft(rest, " \t")
		if !strings.HasPrefix(rest, "/") {
			return k.unproven("cmd without /c or /k reads commands from its input")
		}
		word, after := firstToken(rest)
		lw := strings.ToLower(word)
		if len(lw) >= 2 && (lw[1] == 'c' || lw[1] == 'k' || lw[1] == 'r') {
			// The string starts right after the switch's letter: cmd
			// /cecho hi runs echo hi.
			inner := rest[2:]
			if strings.Contains(inner, "!") {
				return k.unproven("the inner command is read again, after delayed expansion may have changed it")
			}
			return c.slashC(inner, slashS, k.depth)
		}
		name, _, _ := strings.Cut(lw, ":")
		switch {
		case cmdSwitches[name]:
			slashS = slashS || name == "/s"
		case name == "/e" || name == "/f" || name == "/v" || name == "/t":
		default:
			return k.unproven("cmd " + word + " is not a switch winplay knows")
		}
		rest = after
	}
}

// slashC classifies the string of cmd /c. When it starts with a quote,
// cmd.exe keeps the quotes if there are exactly two, nothing special
// between them, a blank between them and the quoted text names an
// executable file; otherwise it removes the first and the last quote.
// Whether a file exists is not known here, so when the first conditions
// hold and the quoted text looks like a program (a path, or a name ending
// in .exe, .com, .bat or .cmd) both readings must be read-only; a quoted
// command line such as "sc query W3SVC" is taken to name no file.
func (c *classifier) slashC(inner string, slashS bool, depth int) *Verdict {
	trimmed := strings.TrimLeft(inner, " \t")
	if !strings.HasPrefix(trimmed, `"`) {
		return c.line(inner, depth+1)
	}
	first := len(inner) - len(trimmed)
	last := strings.LastIndexByte(inner, '"')
	stripped := inner[:first] + inner[first+1:]
	if last > first {
		stripped = inner[:first] + inner[first+1:last] + inner[last+1:]
	}
	if !slashS && strings.Count(inner, `"`) == 2 {
		between := inner[first+1 : last]
		if !strings.ContainsAny(between, "&<>()@^|") && strings.ContainsAny(between, " \t") && looksLikeProgram(between) {
			if v := c.line(inner, depth+1); v != nil {
				return v
			}
		}
	}
	return c.line(stripped, depth+1)
}

// looksLikeProgram reports whether text could be the name of an
// executable file.
func looksLikeProgram(text string) bool {
	l := strings.ToLower(strings.TrimSpace(text))
	if strings.ContainsAny(l, `\/:`) {
		return true
	}
	for _, ext := range []string{".exe", ".com", ".bat", ".cmd"} {
		if strings.HasSuffix(l, ext) {
			return true
		}
	}
	return false
}

// plainPath reports whether p can name a file: a colon only after a drive
// letter.
func plainPath(p string) bool {
	i := strings.IndexByte(p, ':')
	if i < 0 {
		return true
	}
	c := p[0] | 0x20
	return i == 1 && c >= 'a' && c <= 'z' && !strings.Contains(p[2:], ":")
}
