package win

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// powershell.exe with -EncodedCommand (or -Command): a small subset run
// statement by statement, enough for Ansible's raw module and its
// wrappers: native commands and cmd-style built-ins, Write-Output,
// Write-Host, echo, Write-Error, Remove-Item, exit, $LASTEXITCODE, $?,
// assignments (ignored), Set-StrictMode, and if (…) { … } else { … } on
// $?, $LASTEXITCODE and Get-Variable LASTEXITCODE. winrmcp's restore
// script is recognised whole (see restoreUpload).

// psExit carries an exit statement out of nested blocks.
type psExit struct{ code int }

// psRunner is the state of one PowerShell process.
type psRunner struct {
	c            *call
	ok           bool // $?
	lastExitCode int
	hasExitCode  bool // $LASTEXITCODE is defined
	exit         *psExit
}

func runPowerShell(c *call) int {
	script, msg := powerShellScript(c.argv[1:])
	if msg != "" {
		c.errorf("%s\r\n", msg)
		return 1
	}
	if c.s.depth >= maxNesting {
		c.errorf("The lab's PowerShell nests at most %d levels.\r\n", maxNesting)
		return 1
	}
	ps := &psRunner{c: c, ok: true}
	if name, args, ok := fixedScript(script); ok {
		return ps.psFixed(name, args)
	}
	if m := winrmcpRestore.FindStringSubmatch(script); m != nil {
		return ps.restoreUpload(m[1], m[2])
	}
	if m := winrmcpCleanup.FindStringSubmatch(script); m != nil {
		return ps.cleanupUpload(m[1])
	}
	ps.runBlock(script)
	if ps.exit != nil {
		return ps.exit.code
	}
	if !ps.ok {
		return 1
	}
	return 0
}

// powerShellScript finds the script in powershell.exe's arguments; it
// returns an error message for what the lab does not support.
func powerShellScript(args []string) (string, string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "/") {
			return strings.Join(args[i:], " "), ""
		}
		name := strings.ToLower(a[1:])
		value := func() (string, bool) {
			if i+1 >= len(args) {
				return "", false
			}
			i++
			return args[i], true
		}
		switch {
		case name == "e" || name == "ec" || (len(name) >= 2 && strings.HasPrefix("encodedcommand", name)):
			v, ok := value()
			if !ok {
				return "", "Missing argument for parameter EncodedCommand."
			}
			script, err := decodePowerShell(v)
			if err != nil {
				return "", "Cannot process the command because the value specified with -EncodedCommand is not properly encoded. The value must be Base64 encoded."
			}
			return script, ""
		case name == "c" || (len(name) >= 2 && strings.HasPrefix("command", name)):
			return strings.Join(args[i+1:], " "), ""
		case name == "ep" || (len(name) >= 2 && strings.HasPrefix("executionpolicy", name)),
			name == "w" || (len(name) >= 2 && strings.HasPrefix("windowstyle", name)),
			name == "if" || (len(name) >= 2 && strings.HasPrefix("inputformat", name)),
			name == "of" || (len(name) >= 2 && strings.HasPrefix("outputformat", name)),
			name == "v" || (len(name) >= 2 && strings.HasPrefix("version", name)):
			if _, ok := value(); !ok {
				return "", "Missing argument for parameter " + a + "."
			}
		case strings.HasPrefix("noprofile", name), strings.HasPrefix("noninteractive", name) && len(name) > 3,
			strings.HasPrefix("nologo", name) && len(name) > 3, name == "sta", name == "mta", name == "noexit":
		default:
			return "", "The lab's PowerShell does not support the parameter " + a + "."
		}
	}
	return "", ""
}

func decodePowerShell(b64 string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", err
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	return string(utf16.Decode(u)), nil
}

// splitStatements splits a script on newlines and semicolons outside
// quotes and braces.
func splitStatements(script string) []string {
	var out []string
	var cur strings.Builder
	depth := 0
	var quote rune
	for _, r := range script {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '{':
			depth++
		case r == '}':
			depth--
		case (r == '\n' || r == ';') && depth <= 0:
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	return append(out, cur.String())
}

func (ps *psRunner) runBlock(script string) {
	for _, stmt := range splitStatements(script) {
		if ps.exit != nil {
			return
		}
		stmt = strings.TrimSpace(stmt)
		if stmt == "" || strings.HasPrefix(stmt, "#") {
			continue
		}
		ps.statement(stmt)
	}
}

func (ps *psRunner) statement(stmt string) {
	lower := strings.ToLower(stmt)
	switch {
	case strings.HasPrefix(lower, "if ") || strings.HasPrefix(lower, "if("):
		ps.ifStatement(stmt)
		return
	case strings.HasPrefix(stmt, "$"):
		// An assignment: only $LASTEXITCODE matters to the subset.
		if name, value, ok := strings.Cut(stmt, "="); ok && strings.EqualFold(strings.TrimSpace(name), "$LASTEXITCODE") {
			if n, err := strconv.Atoi(strings.TrimSpace(value)); err == nil {
				ps.lastExitCode, ps.hasExitCode = n, true
			}
		}
		ps.ok = true
		return
	}
	words, ok := ps.words(stmt)
	if !ok {
		ps.fail(stmt, "The lab's PowerShell does not support pipelines or redirection in: "+stmt)
		return
	}
	if len(words) == 0 {
		return
	}
	name := words[0]
	if name == "&" && len(words) > 1 {
		words = words[1:]
		name = words[0]
	}
	switch strings.ToLower(name) {
	case "exit":
		code := 0
		if len(words) > 1 {
			code = leadingInt(words[1])
		}
		ps.exit = &psExit{code}
		return
	case "set-strictmode":
		ps.ok = true
		return
	case "write-output", "echo", "write":
		for _, w := range words[1:] {
			ps.c.printf("%s\r\n", w)
		}
		ps.ok = true
		return
	case "write-host":
		var parts []string
		for _, w := range words[1:] {
			if !strings.HasPrefix(w, "-") {
				parts = append(parts, w)
			}
		}
		ps.c.printf("%s\r\n", strings.Join(parts, " "))
		ps.ok = true
		return
	case "write-error":
		ps.c.errorf("%s\r\n", strings.Join(words[1:], " "))
		ps.ok = false
		return
	case "remove-item":
		ps.removeItem(stmt, words[1:])
		return
	}
	ps.command(stmt, words)
}

// command runs a native program or a cmd-style built-in.
func (ps *psRunner) command(stmt string, words []string) {
	s := ps.c.s
	name := words[0]
	c := &call{s: s, m: s.m, stdout: ps.c.stdout, stderr: ps.c.stderr}
	if t := builtins[strings.ToLower(name)]; t != nil && !strings.ContainsAny(name, `\/.`) {
		c.tool = t
		c.params = " " + strings.Join(quoteAll(words[1:]), " ")
		c.argv = builtinArgv(t.name, c.params)
		c.cmdline = name + c.params
	} else {
		c.cmdline = strings.Join(quoteAll(words), " ")
		c.argv = commandLineToArgv(c.cmdline)
		c.tool = s.findProgram(name)
		if c.tool == nil {
			ps.fail(stmt, name+" : The term '"+name+"' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.")
			return
		}
	}
	entry := s.newEntry(c, c.cmdline)
	entry.Line, entry.Shell = stmt, "powershell"
	prev := s.depth
	s.depth++
	code := s.runLogged(c, entry)
	s.depth = prev
	ps.lastExitCode, ps.hasExitCode = code, true
	ps.ok = code == 0
}

func quoteAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = quoteArg(w)
	}
	return out
}

// fail reports a PowerShell error record on stderr and clears $?.
func (ps *psRunner) fail(stmt, msg string) {
	ps.c.errorf("%s\r\nAt line:1 char:1\r\n+ %s\r\n", msg, stmt)
	ps.ok = false
}

// ifStatement runs if (cond) { body } [elseif (cond) { body }] [else { body }].
func (ps *psRunner) ifStatement(stmt string) {
	rest := strings.TrimSpace(stmt[2:])
	for {
		cond, after, ok := cutBalanced(rest, '(', ')')
		if !ok {
			ps.fail(stmt, "The lab's PowerShell cannot parse this if statement.")
			return
		}
		body, after2, ok := cutBalanced(strings.TrimSpace(after), '{', '}')
		if !ok {
			ps.fail(stmt, "The lab's PowerShell cannot parse this if statement.")
			return
		}
		truth, known := ps.condition(cond)
		if !known {
			ps.fail(stmt, "The lab's PowerShell does not support the condition ("+cond+").")
			return
		}
		if truth {
			ps.runBlock(body)
			return
		}
		after2 = strings.TrimSpace(after2)
		lower := strings.ToLower(after2)
		switch {
		case strings.HasPrefix(lower, "elseif"):
			rest = strings.TrimSpace(after2[len("elseif"):])
		case strings.HasPrefix(lower, "else"):
			body, _, ok := cutBalanced(strings.TrimSpace(after2[len("else"):]), '{', '}')
			if !ok {
				ps.fail(stmt, "The lab's PowerShell cannot parse this if statement.")
				return
			}
			ps.runBlock(body)
			return
		default:
			return
		}
	}
}

// cutBalanced returns the text inside the open…close pair that s starts
// with, and the text after it.
func cutBalanced(s string, open, close byte) (string, string, bool) {
	if s == "" || s[0] != open {
		return "", "", false
	}
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == open:
			depth++
		case ch == close:
			depth--
			if depth == 0 {
				return s[1:i], s[i+1:], true
			}
		}
	}
	return "", "", false
}

// condition evaluates the conditions the subset knows.
func (ps *psRunner) condition(cond string) (bool, bool) {
	c := strings.ToLower(strings.Join(strings.Fields(cond), " "))
	switch {
	case c == "$?":
		return ps.ok, true
	case c == "-not $?" || c == "!$?" || c == "! $?":
		return !ps.ok, true
	case strings.HasPrefix(c, "get-variable lastexitcode"):
		return ps.hasExitCode, true
	case strings.HasPrefix(c, "$lastexitcode -ne "):
		n, err := strconv.Atoi(strings.TrimPrefix(c, "$lastexitcode -ne "))
		return ps.lastExitCode != n, err == nil
	case strings.HasPrefix(c, "$lastexitcode -eq "):
		n, err := strconv.Atoi(strings.TrimPrefix(c, "$lastexitcode -eq "))
		return ps.lastExitCode == n, err == nil
	}
	return false, false
}

// words splits a command statement into arguments: 'literal', "expanded"
// (with backtick escapes) and bare words, expanding $env:NAME and
// $LASTEXITCODE. It reports false for pipelines and redirections.
func (ps *psRunner) words(stmt string) ([]string, bool) {
	var out []string
	r := []rune(stmt)
	i := 0
	for i < len(r) {
		for i < len(r) && (r[i] == ' ' || r[i] == '\t' || r[i] == '\r') {
			i++
		}
		if i >= len(r) {
			break
		}
		if r[i] == '|' || r[i] == '>' || r[i] == '<' {
			return nil, false
		}
		var b strings.Builder
		for i < len(r) && r[i] != ' ' && r[i] != '\t' && r[i] != '\r' {
			switch r[i] {
			case '\'':
				i++
				for i < len(r) {
					if r[i] == '\'' {
						if i+1 < len(r) && r[i+1] == '\'' {
							b.WriteRune('\'')
							i += 2
							continue
						}
						break
					}
					b.WriteRune(r[i])
					i++
				}
				i++
			case '"':
				i++
				var q strings.Builder
				for i < len(r) && r[i] != '"' {
					if r[i] == '`' && i+1 < len(r) {
						i++
						switch r[i] {
						case 'n':
							q.WriteRune('\n')
						case 't':
							q.WriteRune('\t')
						case 'r':
							q.WriteRune('\r')
						default:
							q.WriteRune(r[i])
						}
						i++
						continue
					}
					q.WriteRune(r[i])
					i++
				}
				i++
				b.WriteString(ps.expand(q.String()))
			case '|', '>', '<':
				return nil, false
			default:
				start := i
				for i < len(r) && !strings.ContainsRune(" \t\r'\"|<>", r[i]) {
					i++
				}
				b.WriteString(ps.expand(string(r[start:i])))
			}
		}
		out = append(out, b.String())
	}
	return out, true
}

// expand replaces $env:NAME and $LASTEXITCODE.
func (ps *psRunner) expand(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		lower := strings.ToLower(s)
		switch {
		case strings.HasPrefix(lower, "$env:"):
			end := 5
			for end < len(s) && (isWordByte(s[end])) {
				end++
			}
			v, _ := ps.c.s.getenv(s[5:end])
			b.WriteString(v)
			s = s[end:]
		case strings.HasPrefix(lower, "$lastexitcode"):
			b.WriteString(strconv.Itoa(ps.lastExitCode))
			s = s[len("$lastexitcode"):]
		default:
			b.WriteByte('$')
			s = s[1:]
		}
	}
}

func isWordByte(b byte) bool {
	return b == '_' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
}

// winrmcpRestore matches the script winrmcp (Debian's build) runs after it
// appended the file's base64 lines to a temp file with `echo … >> FILE`:
// it decodes them into the destination through .NET calls the subset
// does not interpret, so the lab recognises the script as a whole, as the
// protocol reference (§2.2) advises. The groups are the temp file and the
// destination as written in the script.
var winrmcpRestore = regexp.MustCompile(`(?s)\$tmp_file_path = \[System\.IO\.Path\]::GetFullPath\("([^"]*)"\)\s+` +
	`\$dest_file_path = \[System\.IO\.Path\]::GetFullPath\("([^"]*)"(?:\.Trim\("'"\))?\).*` +
	`\[System\.Convert\]::FromBase64String\(\$\w+\).*\$writer\.write\(`)

// restoreUpload does what winrmcp's restore script does: a destination
// that is a directory exits 1; an existing file is replaced; a missing
// directory is created; each line of the temp file is base64-decoded and
// appended (.NET ignores the blank echo leaves before CRLF); no temp file
// makes an empty destination.
func (ps *psRunner) restoreUpload(tmpName, destName string) int {
	c := ps.c
	tmp, okTmp := c.path(ps.expand(tmpName))
	dest, okDest := c.path(strings.Trim(ps.expand(destName), "'"))
	if !okTmp || !okDest {
		ps.fail(`$dest_file_path = [System.IO.Path]::GetFullPath("`+destName+`")`,
			`Exception calling "GetFullPath" with "1" argument(s): "The given path's format is not supported."`)
		return 1
	}
	if c.entry != nil && !dest.isScratch() {
		c.entry.Changes = true
	}
	d := c.m.drive(dest.drive)
	if d == nil {
		ps.fail("$writer = [System.IO.File]::OpenWrite($dest_file_path)",
			`Exception calling "OpenWrite" with "1" argument(s): "Could not find a part of the path '`+dest.String()+`'."`)
		return 1
	}
	now := c.m.net.now()
	if f := d.get(dest.path); f != nil {
		if f.dir {
			return 1
		}
		if err := d.remove(dest.path); err != nil {
			ps.fail("rm $dest_file_path", "rm : "+err.Error())
			return 1
		}
	} else {
		_ = d.mkdirAll(parentOf(dest.path), now) // New-Item -ErrorAction SilentlyContinue
	}
	var data []byte
	var bad error
	if src := c.m.fileAt(tmp); src != nil && !src.dir {
		for _, line := range strings.Split(string(src.data), "\n") {
			b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(line), ""))
			if err != nil {
				bad = err
				break
			}
			data = append(data, b...)
		}
	}
	if _, err := d.write(dest.path, data, false, now); err != nil {
		ps.fail("$writer = [System.IO.File]::OpenWrite($dest_file_path)",
			`Exception calling "OpenWrite" with "1" argument(s): "`+err.Error()+`"`)
		return 1
	}
	if bad != nil {
		ps.fail("$bytes = [System.Convert]::FromBase64String($base64_line)",
			`Exception calling "FromBase64String" with "1" argument(s): "The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters. "`)
		return 1
	}
	return 0
}

// winrmcpCleanup matches winrmcp's last script, which deletes the temp
// file if it is still there; the group is the temp file.
var winrmcpCleanup = regexp.MustCompile(`(?s)^\s*\$tmp_file_path = \[System\.IO\.Path\]::GetFullPath\("([^"]*)"\)\s+` +
	`if \(Test-Path \$tmp_file_path\) \{\s*Remove-Item \$tmp_file_path -ErrorAction SilentlyContinue\s*\}\s*$`)

// cleanupUpload runs winrmcp's cleanup script: Remove-Item of the temp
// file when it exists. It always exits 0, as the script does.
func (ps *psRunner) cleanupUpload(tmpName string) int {
	path := ps.expand(tmpName)
	if p, ok := ps.c.path(path); ok && ps.c.m.fileAt(p) != nil {
		ps.removeItem("Remove-Item $tmp_file_path -ErrorAction SilentlyContinue", []string{path, "-ErrorAction", "SilentlyContinue"})
	}
	return 0
}

// removeItem is Remove-Item [-Path|-LiteralPath] PATH… [-Force] [-Recurse]
// [-ErrorAction X]. A missing path is an
// error ($? false) that -ErrorAction SilentlyContinue keeps quiet.
func (ps *psRunner) removeItem(stmt string, args []string) {
	var paths []string
	recurse, quiet := false, false
	for i := 0; i < len(args); i++ {
		a := strings.ToLower(args[i])
		switch {
		case a == "-recurse" || a == "-r":
			recurse = true
		case a == "-force":
		case a == "-path" || a == "-literalpath":
		case a == "-erroraction" || a == "-ea":
			if i+1 < len(args) {
				i++
				quiet = strings.EqualFold(args[i], "SilentlyContinue") || strings.EqualFold(args[i], "Ignore")
			}
		case strings.HasPrefix(a, "-"):
			ps.fail(stmt, "Remove-Item : A parameter cannot be found that matches parameter name '"+args[i][1:]+"'.")
			return
		default:
			paths = append(paths, args[i])
		}
	}
	ps.ok = true
	for _, name := range paths {
		p, ok := ps.c.path(name)
		var f *file
		if ok {
			f = ps.c.m.fileAt(p)
		}
		var err error
		if f == nil {
			err = errors.New("Cannot find path '" + name + "' because it does not exist.")
		} else {
			err = ps.c.m.removeFile(p, f.dir && recurse)
		}
		if err == nil {
			if ps.c.entry != nil && !p.isScratch() {
				ps.c.entry.Changes = true
			}
			continue
		}
		ps.ok = false
		if !quiet {
			ps.c.errorf("Remove-Item : %s\r\nAt line:1 char:1\r\n+ %s\r\n", err.Error(), stmt)
		}
	}
}
