package win

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// The cmd.exe built-ins. They receive the rest of the command as cmd.exe
// passes it (c.params) and split it themselves.

func runEcho(c *call) int {
	p := c.params
	if p == "" {
		c.printf("ECHO is on.\r\n")
		return 0
	}
	// The character that ended the word "echo" is not printed.
	first, rest := p[0], p[1:]
	if isSpace(rune(first)) || strings.ContainsRune(",;=", rune(first)) {
		switch strings.ToLower(strings.Trim(rest, " \t")) {
		case "":
			c.printf("ECHO is on.\r\n")
			return 0
		case "on", "off":
			return 0
		}
	}
	c.printf("%s\r\n", rest)
	return 0
}

// decodeText turns a file's bytes into the text type prints: UTF-16LE
// with a byte order mark is decoded, anything else printed as is.
func decodeText(b []byte) []byte {
	if len(b) < 2 || b[0] != 0xFF || b[1] != 0xFE {
		return b
	}
	b = b[2:]
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return []byte(string(utf16.Decode(u)))
}

func runType(c *call) int {
	names := nonSwitches(splitCmdArgs(c.params))
	if len(names) == 0 {
		c.errorf("The syntax of the command is incorrect.\r\n")
		return 1
	}
	code := 0
	for _, n := range names {
		p, ok := c.path(n)
		if ok && p.device() == "NUL" {
			continue
		}
		f := c.m.fileAt(p)
		switch {
		case !ok || f == nil:
			c.errorf("The system cannot find the file specified.\r\n")
			if len(names) > 1 {
				c.errorf("Error occurred while processing: %s.\r\n", n)
			}
			code = 1
			continue
		case f.dir:
			c.errorf("Access is denied.\r\n")
			code = 1
			continue
		}
		if len(names) > 1 {
			c.errorf("\r\n%s\r\n\r\n\r\n", n)
		}
		c.stdout.Write(decodeText(f.data))
	}
	return code
}

// commas formats n with thousands separators, as dir prints sizes.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func runDir(c *call) int {
	args := splitCmdArgs(c.params)
	bare := hasSwitch(args, "/b")
	targets := nonSwitches(args)
	if len(targets) == 0 {
		targets = []string{"."}
	}
	code := 0
	for _, t := range targets {
		p, ok := c.path(t)
		d := c.m.drive(p.drive)
		if !ok || d == nil {
			c.errorf("The system cannot find the path specified.\r\n")
			code = 1
			continue
		}
		dir, pattern := p, "*"
		if f := d.get(p.path); f == nil || !f.dir {
			dir, pattern = winPath{p.drive, parentOf(p.path)}, baseName(p.path)
		}
		parent := d.get(dir.path)
		if parent == nil || !parent.dir {
			c.errorf("The system cannot find the path specified.\r\n")
			code = 1
			continue
		}
		var entries []*file
		for _, f := range d.children(dir.path) {
			if matchWild(pattern, f.name()) {
				entries = append(entries, f)
			}
		}
		if bare {
			if len(entries) == 0 {
				c.errorf("File Not Found\r\n")
				code = 1
			}
			for _, f := range entries {
				c.printf("%s\r\n", f.name())
			}
			continue
		}
		if d.label == "" {
			c.printf(" Volume in drive %c has no label.\r\n", d.letter)
		} else {
			c.printf(" Volume in drive %c is %s\r\n", d.letter, d.label)
		}
		c.printf(" Volume Serial Number is %s\r\n\r\n Directory of %c:%s\r\n\r\n", d.serial, d.letter, parent.path)
		if len(entries) == 0 {
			c.errorf("File Not Found\r\n")
			code = 1
			continue
		}
		var files, dirs int
		var size int64
		line := func(f *file, name string) {
			stamp := f.mod.Format("01/02/2006  03:04 PM")
			if f.dir {
				dirs++
				c.printf("%s    %-14s %s\r\n", stamp, "<DIR>", name)
				return
			}
			files++
			size += int64(len(f.data))
			c.printf("%s %17s %s\r\n", stamp, commas(int64(len(f.data))), name)
		}
		if parent.path != `\` && pattern == "*" {
			line(parent, ".")
			line(parent, "..")
		}
		for _, f := range entries {
			line(f, f.name())
		}
		c.printf("%16d File(s) %14s bytes\r\n%16d Dir(s) %15s bytes free\r\n", files, commas(size), dirs, commas(freeBytes(d)))
	}
	return code
}

func freeBytes(d *drive) int64 {
	if d.readOnly {
		return 0
	}
	return 3_221_225_472
}

func runMkdir(c *call) int {
	names := splitCmdArgs(c.params)
	if len(names) == 0 {
		c.errorf("The syntax of the command is incorrect.\r\n")
		return 1
	}
	code := 0
	for _, n := range names {
		p, ok := c.path(n)
		d := c.m.drive(p.drive)
		switch {
		case !ok:
			c.errorf("The filename, directory name, or volume label syntax is incorrect.\r\n")
			code = 1
		case d == nil:
			c.errorf("The system cannot find the path specified.\r\n")
			code = 1
		case d.get(p.path) != nil:
			c.errorf("A subdirectory or file %s already exists.\r\n", n)
			code = 1
		default:
			if err := d.mkdirAll(p.path, c.m.net.now()); err != nil {
				c.errorf("%s\r\n", err)
				code = 1
			}
		}
	}
	return code
}

func changesMkdir(c *call) bool { return changesPaths(c, splitCmdArgs(c.params)) }

func runDel(c *call) int {
	args := splitCmdArgs(c.params)
	quiet := hasSwitch(args, "/q")
	names := nonSwitches(args)
	if len(names) == 0 {
		c.errorf("The syntax of the command is incorrect.\r\n")
		return 1
	}
	for _, n := range names {
		p, ok := c.path(n)
		d := c.m.drive(p.drive)
		if !ok || d == nil {
			c.errorf("The system cannot find the path specified.\r\n")
			continue
		}
		var targets []*file
		base := baseName(p.path)
		if strings.ContainsAny(base, "*?") {
			parent := d.get(parentOf(p.path))
			if parent == nil || !parent.dir {
				c.errorf("The system cannot find the path specified.\r\n")
				continue
			}
			for _, f := range d.children(parent.path) {
				if !f.dir && matchWild(base, f.name()) {
					targets = append(targets, f)
				}
			}
		} else {
			f := d.get(p.path)
			switch {
			case f == nil:
			case f.dir && !quiet:
				// del asks before emptying a directory; nobody answers.
				c.printf("%s\\*, Are you sure (Y/N)? \r\n", p)
				continue
			case f.dir:
				for _, ch := range d.children(f.path) {
					if !ch.dir {
						targets = append(targets, ch)
					}
				}
			default:
				targets = []*file{f}
			}
		}
		if len(targets) == 0 {
			c.errorf("Could Not Find %s\r\n", p)
			continue
		}
		if d.readOnly {
			c.errorf("%c:%s\r\nAccess is denied.\r\n", d.letter, targets[0].path)
			continue
		}
		for _, f := range targets {
			d.remove(f.path)
		}
	}
	return 0
}

func changesDel(c *call) bool {
	return changesPaths(c, nonSwitches(splitCmdArgs(c.params)))
}

func runRmdir(c *call) int {
	args := splitCmdArgs(c.params)
	tree, quiet := hasSwitch(args, "/s"), hasSwitch(args, "/q")
	names := nonSwitches(args)
	if len(names) == 0 {
		c.errorf("The syntax of the command is incorrect.\r\n")
		return 1
	}
	code := 0
	for _, n := range names {
		p, ok := c.path(n)
		var f *file
		if ok {
			f = c.m.fileAt(p)
		}
		switch {
		case f == nil:
			c.errorf("The system cannot find the file specified.\r\n")
			code = 2
		case !f.dir:
			c.errorf("The directory name is invalid.\r\n")
			code = 267
		case p.path == `\`:
			c.errorf("Access is denied.\r\n")
			code = errAccessDenied
		case tree && !quiet:
			c.printf("%s, Are you sure (Y/N)? \r\n", n)
		default:
			if err := c.m.removeFile(p, tree); err != nil {
				c.errorf("%s\r\n", winMessageOr(err))
				code = errorCode(err)
			}
		}
	}
	return code
}

// winMessageOr is the text of a file system error; ERROR_DIR_NOT_EMPTY has
// no entry in the shared table.
func winMessageOr(err error) string {
	if errorCode(err) == 145 {
		return "The directory is not empty."
	}
	return err.Error()
}

func copyTarget(c *call, names []string) (winPath, winPath, bool) {
	src, ok := c.path(names[0])
	if !ok {
		return src, winPath{}, false
	}
	dstName := "."
	if len(names) > 1 {
		dstName = names[1]
	}
	dst, ok := c.path(dstName)
	if !ok {
		return src, dst, false
	}
	if c.m.isDir(dst) {
		dst = winPath{dst.drive, joinPath(dst.path, baseName(src.path))}
	}
	return src, dst, true
}

func runCopy(c *call) int {
	args := splitCmdArgs(c.params)
	names := nonSwitches(args)
	if len(names) == 0 {
		c.errorf("The syntax of the command is incorrect.\r\n")
		return 1
	}
	const none = "        0 file(s) copied.\r\n"
	if code, ok := c.copyFromShare(names, hasSwitch(args, "/y")); ok {
		return code
	}
	src, dst, ok := copyTarget(c, names)
	sf := c.m.fileAt(src)
	if !ok || sf == nil || sf.dir {
		c.errorf("The system cannot find the file specified.\r\n")
		c.printf(none)
		return 1
	}
	if key(src.String()) == key(dst.String()) {
		c.errorf("The file cannot be copied onto itself.\r\n")
		c.printf(none)
		return 1
	}
	d := c.m.drive(dst.drive)
	if d == nil {
		c.errorf("The system cannot find the path specified.\r\n")
		c.printf(none)
		return 1
	}
	if d.get(dst.path) != nil && !hasSwitch(args, "/y") {
		// copy asks before overwriting; nobody answers, which means no.
		c.printf("Overwrite %s? (Yes/No/All): \r\n", dst)
		c.printf(none)
		return 0
	}
	nf, err := d.write(dst.path, sf.data, false, c.m.net.now())
	if err != nil {
		c.errorf("%s\r\n", err)
		c.printf(none)
		return 1
	}
	nf.version, nf.program = sf.version, sf.program
	c.printf("        1 file(s) copied.\r\n")
	return 0
}

func changesCopy(c *call) bool {
	names := nonSwitches(splitCmdArgs(c.params))
	if len(names) == 0 {
		return false
	}
	_, dst, ok := copyTarget(c, names)
	return !ok || !dst.isScratch()
}

func runExit(c *call) int {
	args := splitCmdArgs(c.params)
	if len(args) > 0 && strings.EqualFold(args[0], "/b") {
		args = args[1:]
	}
	code := c.s.errorlevel
	if len(args) > 0 {
		code = leadingInt(args[0])
	}
	c.s.exited = true
	return code
}

// leadingInt parses the number at the start of s as cmd.exe's exit does:
// an optional sign and digits, 0 when there are none.
func leadingInt(s string) int {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	j := i
	for j < len(s) && j-i < 10 && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	n, err := strconv.Atoi(s[:j])
	if err != nil {
		return 0
	}
	return n
}

// runVer prints the version line of the host's Windows: NT 4.0's own
// form, or `Microsoft Windows [Version N]` (the docs' capture), the word
// in the host's language.
func runVer(c *call) int {
	if c.m.os.Runbook {
		c.printf("\r\nWindows NT Version 4.0\r\n\r\n")
		return 0
	}
	c.printf("\r\nMicrosoft Windows [%s %s]\r\n", c.m.lang.verWord, c.m.os.Version)
	return 0
}

// runChcp prints the console's code page (chcp NNN to change it is not
// simulated).
func runChcp(c *call) int {
	if strings.TrimSpace(c.params) != "" {
		c.errorf("The lab's chcp does not change the code page.\r\n")
		return 1
	}
	c.printf("%s\r\n", c.m.lang.chcp(c.s.codepage))
	return 0
}

func runSet(c *call) int {
	p := strings.TrimLeft(c.params, " \t")
	if p == "" {
		for _, v := range c.s.sortedEnv() {
			c.printf("%s=%s\r\n", v.name, v.value)
		}
		return 0
	}
	if len(p) >= 2 && p[0] == '/' {
		c.errorf("The lab's cmd.exe does not support SET %s.\r\n", strings.ToUpper(p[:2]))
		return 1
	}
	if strings.HasPrefix(p, `"`) {
		if end := strings.LastIndexByte(p, '"'); end > 0 {
			p = p[1:end]
		} else {
			p = p[1:]
		}
	}
	name, value, assign := strings.Cut(p, "=")
	if !assign {
		name = strings.TrimRight(name, " \t")
		found := false
		for _, v := range c.s.sortedEnv() {
			if strings.HasPrefix(key(v.name), key(name)) {
				c.printf("%s=%s\r\n", v.name, v.value)
				found = true
			}
		}
		if !found {
			c.errorf("Environment variable %s not defined\r\n", name)
			return 1
		}
		return 0
	}
	if name == "" {
		c.errorf("The syntax of the command is incorrect.\r\n")
		return 1
	}
	if value == "" {
		delete(c.s.env, key(name))
		return 0
	}
	c.s.env[key(name)] = envVar{name, value}
	return 0
}

func runCd(c *call) int {
	p := strings.TrimSpace(c.params)
	slashD := false
	if len(p) >= 2 && strings.EqualFold(p[:2], "/d") {
		slashD = true
		p = strings.TrimSpace(p[2:])
	}
	p = strings.TrimRight(strings.ReplaceAll(p, `"`, ""), " ")
	if p == "" {
		c.printf("%s\r\n", c.s.cwd)
		return 0
	}
	t, ok := c.path(p)
	f := c.m.fileAt(t)
	if !ok || f == nil || !f.dir {
		c.errorf("The system cannot find the path specified.\r\n")
		return 1
	}
	if t.drive == c.s.cwd.drive || slashD {
		c.s.cwd = winPath{t.drive, f.path}
	}
	return 0
}

func runNothing(c *call) int { return 0 }

func runUnsupported(c *call) int {
	c.errorf("The lab's cmd.exe does not support %s.\r\n", strings.ToUpper(c.argv[0]))
	return 1
}

func changesAlways(c *call) bool { return true }

func init() {
	builtins = map[string]*tool{}
	add := func(t *tool, names ...string) {
		for _, n := range names {
			builtins[n] = t
		}
	}
	add(&tool{name: "echo", run: runEcho, keepsErrorlevel: true}, "echo")
	add(&tool{name: "type", run: runType}, "type")
	add(&tool{name: "dir", run: runDir}, "dir")
	add(&tool{name: "mkdir", run: runMkdir, changes: changesMkdir}, "mkdir", "md")
	add(&tool{name: "del", run: runDel, changes: changesDel}, "del", "erase")
	add(&tool{name: "rmdir", run: runRmdir, changes: changesDel}, "rmdir", "rd")
	add(&tool{name: "copy", run: runCopy, changes: changesCopy}, "copy")
	add(&tool{name: "exit", run: runExit}, "exit")
	add(&tool{name: "ver", run: runVer, keepsErrorlevel: true}, "ver")
	add(&tool{name: "set", run: runSet, keepsErrorlevel: true}, "set")
	add(&tool{name: "cd", run: runCd, keepsErrorlevel: true}, "cd", "chdir")
	add(&tool{name: "rem", run: runNothing, keepsErrorlevel: true}, "rem")
	add(&tool{name: "cls", run: runNothing, keepsErrorlevel: true}, "cls")
	add(&tool{name: "title", run: runNothing, keepsErrorlevel: true}, "title")
	for _, n := range []string{
		"assoc", "break", "call", "color", "date", "dpath", "endlocal", "for", "ftype", "goto",
		"mklink", "move", "path", "pause", "popd", "prompt", "pushd", "ren", "rename", "setlocal",
		"shift", "start", "time", "verify", "vol",
	} {
		// Unknown semantics count as changing, so check mode flags them.
		add(&tool{name: n, run: runUnsupported, changes: changesAlways}, n)
	}
	initPrograms()
}

// formatExit is a small helper for tools that print "command failed"
// lines with a Win32 code and its message.
func formatExit(prefix string, code int) string {
	return fmt.Sprintf("%s %d:\r\n\r\n%s\r\n\r\n", prefix, code, winMessage(code))
}
