package readonly

import (
	"encoding/base64"
	"strings"
	"unicode"
	"unicode/utf16"
)

// powershell.exe's parameters (about_PowerShell_exe): each full name, and
// whether it takes a value. A parameter may be given by its documented
// alias or any prefix of its name that names no other one.
var psParams = map[string]bool{
	"command": true, "encodedcommand": true, "file": true, "executionpolicy": true, "inputformat": true,
	"outputformat": true, "windowstyle": true, "version": true, "psconsolefile": true,
	"configurationname": true, "encodedarguments": true,
	"noprofile": false, "noninteractive": false, "nologo": false, "noexit": false, "sta": false, "mta": false,
	"help": false,
}

var psAliases = map[string]string{
	"c": "command", "e": "encodedcommand", "ec": "encodedcommand", "ex": "executionpolicy", "ep": "executionpolicy",
	"f": "file", "inp": "inputformat", "if": "inputformat", "noe": "noexit", "nol": "nologo", "noni": "noninteractive",
	"nop": "noprofile", "o": "outputformat", "of": "outputformat", "w": "windowstyle", "v": "version",
	"config": "configurationname", "?": "help",
}

// psParam resolves a parameter as powershell.exe does.
func psParam(name string) string {
	if full, ok := psAliases[name]; ok {
		return full
	}
	found := ""
	for full := range psParams {
		if strings.HasPrefix(full, name) {
			if found != "" {
				return "" // ambiguous
			}
			found = full
		}
	}
	return found
}

// powershellRule: powershell [parameters] -Command text | -EncodedCommand
// base64 runs a script, which psCheck must prove read-only; -File runs a
// script file winplay cannot see.
func powershellRule(_ *classifier, k *call) *Verdict {
	if strings.Contains(k.text, "!") {
		return k.unproven("powershell's arguments may have been changed by delayed expansion")
	}
	args := k.args
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "/") {
			return psVerdict(k, strings.Join(args[i:], " "))
		}
		name := psParam(strings.ToLower(a[1:]))
		switch name {
		case "":
			return k.unproven("powershell " + a + " is not a parameter winplay knows")
		case "command":
			script := strings.Join(args[i+1:], " ")
			if strings.TrimSpace(script) == "-" {
				return k.unproven("powershell -Command - reads its script from the input")
			}
			return psVerdict(k, script)
		case "encodedcommand":
			if i+1 >= len(args) {
				return k.unproven("-EncodedCommand without a script")
			}
			script, ok := decodePSCommand(args[i+1])
			if !ok {
				return k.unproven("-EncodedCommand is not UTF-16LE in base64")
			}
			for _, extra := range args[i+2:] {
				if p := psParam(strings.ToLower(strings.TrimLeft(extra, "-/"))); p == "" || psParams[p] || p == "command" {
					return k.unproven("powershell " + extra + " after -EncodedCommand")
				}
			}
			return psVerdict(k, script)
		case "file", "encodedarguments", "psconsolefile", "configurationname":
			return k.unproven("powershell -" + name + " runs what winplay cannot see")
		case "help":
			return nil
		}
		if psParams[name] {
			i++ // its value
		}
	}
	return k.unproven("powershell without a command reads commands from its input")
}

func psVerdict(k *call, script string) *Verdict {
	if why := psCheck(script, 0); why != "" {
		return k.unproven("the PowerShell script is not proven read-only: " + why)
	}
	return nil
}

// decodePSCommand decodes -EncodedCommand: base64 of UTF-16LE.
func decodePSCommand(b64 string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b)%2 != 0 {
		return "", false
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u)), true
}

// psCommands are the cmdlets (and their aliases) that only read or
// format. Anything else at a command position is not proven.
var psCommands = map[string]bool{}

func init() {
	for _, c := range strings.Fields(`
		get-ciminstance get-wmiobject get-itemproperty get-itempropertyvalue get-item get-childitem
		get-service get-process get-content get-date get-command get-variable get-culture get-uiculture
		get-winsystemlocale get-host get-acl get-localgroup get-localgroupmember get-localuser get-hotfix
		get-filehash get-windowsfeature get-cluster get-clustergroup get-clusternode get-clusterresource
		get-clusterparameter get-netadapter get-netipaddress get-disk get-volume get-partition get-psdrive
		get-computerinfo get-location get-member get-unique get-timezone get-executionpolicy get-psprovider
		get-help get-eventlog get-winevent get-counter
		select-object where-object foreach-object sort-object group-object measure-object compare-object
		select-string convertto-json convertfrom-json convertto-csv convertfrom-csv convertto-xml
		out-string out-null write-output write-host write-verbose write-warning write-error write-debug
		write-information format-list format-table format-wide format-custom join-path split-path
		test-path resolve-path set-strictmode
		select where ? foreach % sort group measure gci gi gp gpv gwmi gcim ls dir cat type echo write
		fl ft fw gsv gps ps gv gc gcm gm gl pwd
	`) {
		psCommands[c] = true
	}
}

// psKeywords are PowerShell's keywords that structure a script without
// running anything themselves.
var psKeywords = map[string]bool{
	"if": true, "elseif": true, "else": true, "foreach": true, "for": true, "while": true, "do": true,
	"until": true, "switch": true, "try": true, "catch": true, "finally": true, "return": true,
	"throw": true, "break": true, "continue": true, "exit": true, "param": true, "in": true,
	"begin": true, "process": true, "end": true,
}

// psMethods are the instance methods that only compute or read.
var psMethods = map[string]bool{}

// psStatics are the static methods ([type]::method) that only compute or
// read, type names without "System.".
var psStatics = map[string]bool{}

func init() {
	for _, m := range strings.Fields(`tostring trim trimstart trimend tolower toupper tolowerinvariant
		toupperinvariant split replace contains startswith endswith substring indexof lastindexof padleft
		padright equals compareto gettype touniversaltime tolocaltime getvalue getvaluenames getsubkeynames
		getvaluekind opensubkey getstring getbytes getenumerator containskey containsvalue normalize
		close dispose tobase64string toint32 toint64 todatetime adddays addhours addminutes addseconds
		tofiletime tofiletimeutc translate`) {
		psMethods[m] = true
	}
	for _, s := range strings.Fields(`convert::tobase64string convert::frombase64string convert::toint32
		convert::toint64 convert::tostring convert::tobyte environment::getenvironmentvariable
		environment::getfolderpath environment::expandenvironmentvariables string::join string::isnullorempty
		string::isnullorwhitespace string::format string::concat string::compare datetime::parse
		datetime::parseexact int::parse int32::parse int64::parse regex::escape regex::match regex::matches
		regex::replace regex::split io.path::combine io.path::getfilename io.path::getdirectoryname
		io.path::getextension io.path::gettemppath io.file::exists io.directory::exists io.file::readalltext
		io.file::readallbytes io.file::readalllines management.managementdatetimeconverter::todatetime
		version::parse bitconverter::tostring net.dns::gethostname timespan::fromseconds
		timespan::fromminutes math::round math::floor math::ceiling math::max math::min math::abs
		text.encoding::getencoding diagnostics.fileversioninfo::getversioninfo`) {
		psStatics[s] = true
	}
}

// psScanner walks a PowerShell script token by token and proves that
// nothing in it can change the host: every command is a reading cmdlet,
// every method one that computes, no member is assigned, no output goes to
// a file, and nothing runs code it cannot see (& . Invoke-Expression,
// script files, functions).
type psScanner struct {
	s     []rune
	i     int
	depth int
	// cmdPos: the next word is a command name.
	cmdPos bool
	// command is the command whose arguments are being read, "" in an
	// expression.
	command string
	// hash counts @{ } the scanner is inside; hashKey: a key comes next.
	hashKey bool
	stack   []rune
}

// psCheck returns why script is not proven read-only, or "".
func psCheck(script string, depth int) string {
	if depth > maxDepth {
		return "subexpressions nest too deeply"
	}
	p := &psScanner{s: []rune(script), cmdPos: true, depth: depth}
	return p.run()
}

func (p *psScanner) peek(k int) rune {
	if p.i+k < len(p.s) {
		return p.s[p.i+k]
	}
	return 0
}

func isPSWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(`-_.\:*?%`, r)
}

func (p *psScanner) statementEnd() {
	p.cmdPos, p.command = true, ""
	if len(p.stack) > 0 && p.stack[len(p.stack)-1] == 'h' {
		p.hashKey = true
	}
}

func (p *psScanner) run() string {
	for p.i < len(p.s) {
		r := p.s[p.i]
		switch {
		case r == '\n' || r == ';' || r == '\r':
			p.i++
			p.statementEnd()
		case r == ' ' || r == '\t':
			p.i++
		case r == '`':
			p.i += 2 // escape or line continuation
		case r == '#':
			for p.i < len(p.s) && p.s[p.i] != '\n' {
				p.i++
			}
		case r == '<' && p.peek(1) == '#':
			end := strings.Index(string(p.s[p.i:]), "#>")
			if end < 0 {
				return "a comment is not closed"
			}
			p.i += len([]rune(string(p.s[p.i:])[:end+2]))
		case r == '|':
			p.i++
			if p.peek(0) == '|' {
				p.i++
			}
			p.cmdPos, p.command = true, ""
		case r == '&':
			if p.peek(1) == '&' {
				p.i += 2
				p.cmdPos, p.command = true, ""
				continue
			}
			return "the call operator & runs a command winplay cannot see"
		case r == '{':
			p.stack = append(p.stack, '{')
			p.i++
			p.cmdPos, p.command = true, ""
		case r == '@' && p.peek(1) == '{':
			p.stack = append(p.stack, 'h')
			p.i += 2
			p.cmdPos, p.command, p.hashKey = false, "", true
		case r == '(' || (r == '$' || r == '@') && p.peek(1) == '(':
			if r != '(' {
				p.i++
			}
			p.stack = append(p.stack, '(')
			p.i++
			p.cmdPos, p.command = true, ""
		case r == ')' || r == '}' || r == ']':
			if len(p.stack) == 0 {
				return "unbalanced " + string(r)
			}
			p.stack = p.stack[:len(p.stack)-1]
			p.i++
			p.cmdPos, p.hashKey = r == '}', false
			if r == '}' {
				p.command = ""
			}
			if why := p.afterValue(); why != "" {
				return why
			}
		case r == '[':
			if why := p.typeOrIndex(); why != "" {
				return why
			}
		case r == '\'' || r == '"' || (r == '@' && (p.peek(1) == '\'' || p.peek(1) == '"')):
			if why := p.str(); why != "" {
				return why
			}
			if p.hashKey {
				continue
			}
			if why := p.afterValue(); why != "" {
				return why
			}
		case r == '$':
			p.variable()
			if why := p.afterValue(); why != "" {
				return why
			}
		case r == '>' || (r >= '0' && r <= '9' || r == '*') && p.peek(1) == '>':
			if why := p.redirect(); why != "" {
				return why
			}
		case r == '.' && p.cmdPos && (p.peek(1) == ' ' || p.peek(1) == '\t' || p.peek(1) == '$' || p.peek(1) == '"' || p.peek(1) == '\''):
			return "dot-sourcing runs a script winplay cannot see"
		case r == '=' || strings.ContainsRune("+-*/%", r) && p.peek(1) == '=':
			if r != '=' {
				p.i++
			}
			p.i++
			if p.peek(0) == '=' {
				return "== is not PowerShell"
			}
			p.cmdPos, p.command = true, ""
			p.hashKey = false
		case r == '-' && p.command == "" && !p.cmdPos && unicode.IsLetter(p.peek(1)):
			p.word() // an operator: -eq, -replace, -f
		case isPSWordRune(r) || r == '?' || r == '%':
			if why := p.bareword(); why != "" {
				return why
			}
		default:
			p.i++ // operators and punctuation: + , ! .. ::
		}
	}
	return ""
}

func (p *psScanner) word() string {
	start := p.i
	for p.i < len(p.s) && isPSWordRune(p.s[p.i]) {
		p.i++
	}
	return string(p.s[start:p.i])
}

// bareword handles a word: a command name at a command position, a
// keyword, a hashtable key, a parameter or an argument.
func (p *psScanner) bareword() string {
	w := p.word()
	if w == "" {
		w = string(p.s[p.i])
		p.i++
	}
	lw := strings.ToLower(w)
	switch {
	case p.hashKey:
		return ""
	case unicode.IsDigit([]rune(w)[0]):
		p.cmdPos = false // a number
		return p.afterValue()
	case psKeywords[lw]:
		p.cmdPos = true
		return ""
	case lw == "function" || lw == "filter" || lw == "class" || lw == "workflow" || lw == "trap" ||
		lw == "data" || lw == "dynamicparam" || lw == "using" || lw == "configuration":
		return lw + " defines code winplay cannot follow"
	case p.cmdPos && strings.HasPrefix(w, "-"):
		return "" // a unary operator: -not, -bnot, -split, -join
	case p.cmdPos && lw == "new-object":
		p.cmdPos, p.command = false, lw
		return p.newObject()
	case p.cmdPos:
		if !psCommands[lw] {
			return "the command " + w + " is not one winplay knows to only read"
		}
		p.cmdPos, p.command = false, lw
		return ""
	case p.command != "":
		if (p.command == "foreach-object" || p.command == "%" || p.command == "foreach") && !strings.HasPrefix(w, "-") {
			return "ForEach-Object " + w + " invokes the member " + w + " on each object"
		}
		return ""
	case strings.HasPrefix(w, "-"):
		return "" // an operator
	}
	return "the word " + w + " outside a command"
}

// psNewTypes are the .NET types New-Object may make in a read: values,
// and the security principals that translate names to SIDs and back.
var psNewTypes = map[string]bool{
	"system.security.principal.ntaccount": true, "security.principal.ntaccount": true,
	"system.security.principal.securityidentifier": true, "security.principal.securityidentifier": true,
	"psobject": true, "system.management.automation.psobject": true, "system.text.stringbuilder": true,
	"text.stringbuilder": true, "system.version": true, "version": true,
}

// newObject checks New-Object's type: [-TypeName] one of psNewTypes; a
// COM object (-ComObject) may do anything on creation.
func (p *psScanner) newObject() string {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
	w := p.word()
	if strings.EqualFold(w, "-TypeName") {
		for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
			p.i++
		}
		w = p.word()
	}
	if !psNewTypes[strings.ToLower(w)] {
		return "New-Object " + w + " is not a type winplay knows to be harmless to make"
	}
	return ""
}

// variable skips $name, ${name}, $env:name, $_ and the like.
func (p *psScanner) variable() {
	p.i++
	if p.peek(0) == '{' {
		for p.i < len(p.s) && p.s[p.i] != '}' {
			p.i++
		}
		p.i++
		return
	}
	for p.i < len(p.s) && (unicode.IsLetter(p.s[p.i]) || unicode.IsDigit(p.s[p.i]) || p.s[p.i] == '_' || p.s[p.i] == ':' || p.s[p.i] == '?' || p.s[p.i] == '^' || p.s[p.i] == '$') {
		p.i++
	}
	p.cmdPos, p.hashKey = false, false
}

// afterValue handles what may follow a value: member access (.name or
// ::name), a method call (checked against psMethods), an assignment to a
// member (refused).
func (p *psScanner) afterValue() string {
	return p.members("")
}

func (p *psScanner) members(typeName string) string {
	for {
		static := false
		switch {
		case p.peek(0) == ':' && p.peek(1) == ':':
			static = true
			p.i += 2
		case p.peek(0) == '.' && p.peek(1) != '.':
			p.i++
		default:
			return ""
		}
		if p.peek(0) == '\'' || p.peek(0) == '"' || p.peek(0) == '$' || p.peek(0) == '(' {
			return "a member named by an expression"
		}
		start := p.i
		for p.i < len(p.s) && (unicode.IsLetter(p.s[p.i]) || unicode.IsDigit(p.s[p.i]) || p.s[p.i] == '_') {
			p.i++
		}
		name := strings.ToLower(string(p.s[start:p.i]))
		if p.peek(0) == '(' {
			if static {
				if !psStatics[typeName+"::"+name] {
					return "the method [" + typeName + "]::" + name + " is not one winplay knows to only compute"
				}
			} else if !psMethods[name] {
				return "the method ." + name + "() is not one winplay knows to only compute"
			}
			typeName = ""
			continue
		}
		// A property: assigning to it may change what it belongs to.
		j := p.i
		for j < len(p.s) && (p.s[j] == ' ' || p.s[j] == '\t') {
			j++
		}
		if j < len(p.s) && (p.s[j] == '=' && (j+1 >= len(p.s) || p.s[j+1] != '=') ||
			strings.ContainsRune("+-*/%", p.s[j]) && j+1 < len(p.s) && p.s[j+1] == '=') {
			return "assigning to the member ." + name + " may change what it belongs to"
		}
		typeName = ""
	}
}

// typeOrIndex handles [type], [type]::member and $x[index].
func (p *psScanner) typeOrIndex() string {
	end := p.i + 1
	depth := 1
	for end < len(p.s) && depth > 0 {
		switch p.s[end] {
		case '[':
			depth++
		case ']':
			depth--
		}
		end++
	}
	if depth != 0 {
		return "a [ is not closed"
	}
	inner := string(p.s[p.i+1 : end-1])
	isType := inner != "" && strings.Trim(strings.ToLower(inner), "abcdefghijklmnopqrstuvwxyz0123456789._[],` ") == ""
	if !isType || (p.i > 0 && !strings.ContainsRune(" \t(=,;|!{+-*/%\n", p.s[p.i-1])) {
		// An index: its contents are an expression.
		p.stack = append(p.stack, '[')
		p.i++
		p.cmdPos, p.command = false, ""
		return ""
	}
	p.i = end
	name := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(inner)), "system.")
	p.cmdPos = false
	if p.peek(0) == ':' && p.peek(1) == ':' {
		return p.members(name)
	}
	return ""
}

// str skips a string, checking the code of $( ) inside expandable ones.
func (p *psScanner) str() string {
	here := p.s[p.i] == '@'
	if here {
		p.i++
	}
	q := p.s[p.i]
	p.i++
	start := p.i
	for p.i < len(p.s) {
		r := p.s[p.i]
		if q == '"' && r == '`' {
			p.i += 2
			continue
		}
		if q == '"' && r == '$' && p.peek(1) == '(' {
			open := p.i + 1
			depth := 0
			for p.i = open; p.i < len(p.s); p.i++ {
				if p.s[p.i] == '(' {
					depth++
				} else if p.s[p.i] == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if p.i >= len(p.s) {
				return "a subexpression is not closed"
			}
			if why := psCheck(string(p.s[open+1:p.i]), p.depth+1); why != "" {
				return why
			}
			p.i++
			continue
		}
		if r == q {
			if here {
				if p.peek(1) == '@' && p.i > start && p.s[p.i-1] == '\n' {
					p.i += 2
					p.cmdPos = false
					return ""
				}
				p.i++
				continue
			}
			if p.peek(1) == q {
				p.i += 2 // '' or "" inside
				continue
			}
			p.i++
			p.cmdPos = false
			return ""
		}
		p.i++
	}
	return "a string is not closed"
}

// redirect allows output to $null and to another stream only.
func (p *psScanner) redirect() string {
	for p.i < len(p.s) && p.s[p.i] != '>' {
		p.i++
	}
	for p.i < len(p.s) && p.s[p.i] == '>' {
		p.i++
	}
	if p.peek(0) == '&' && p.peek(1) >= '1' && p.peek(1) <= '6' {
		p.i += 2
		return ""
	}
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
	if strings.HasPrefix(strings.ToLower(string(p.s[p.i:])), "$null") {
		p.i += 5
		return ""
	}
	return "a redirection writes a file"
}
