package win

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/winplay/winplay/lab/wsman"
)

// statusControlCExit is the exit code of a process ended by Ctrl+C or a
// terminate signal (STATUS_CONTROL_C_EXIT).
const statusControlCExit = 0xC000013A

// maxNesting bounds cmd /c and powershell nesting inside one command.
const maxNesting = 16

// termSink buffers what a command writes to the shell's output, so it is
// written to the client only while the network's mutex is released.
type termSink struct {
	buf bytes.Buffer
	w   io.Writer
}

func (t *termSink) Write(b []byte) (int, error) { return t.buf.Write(b) }

func (t *termSink) flush() {
	if t.buf.Len() == 0 {
		return
	}
	if t.w != nil {
		t.w.Write(t.buf.Bytes())
	}
	t.buf.Reset()
}

// envVar keeps a variable's name in the case it was set with.
type envVar struct{ name, value string }

// session is one cmd.exe process (or PowerShell, or a direct program)
// running a line. Nested cmd /c and pipe sides get child sessions that
// share the output.
type session struct {
	ctx        context.Context
	m          *Machine
	user       string
	env        map[string]envVar
	cwd        winPath
	errorlevel int
	exited     bool
	out, errs  *termSink
	shell      string
	line       string
	depth      int
	// codepage is the console code page the client asked for
	// (WINRS_CODEPAGE), or the system's OEM code page.
	codepage int
	// netCreds is whether the session's logon can authenticate to other
	// hosts (see logon.go).
	netCreds bool
	// stdin is the command's WinRM input stream and pipedStdin whether the
	// client said it is a pipe (see stdin.go).
	stdin      io.Reader
	pipedStdin bool
}

func newSession(ctx context.Context, m *Machine, p *wsman.Process) *session {
	user := p.User
	if i := strings.LastIndexByte(user, '\\'); i >= 0 {
		user = user[i+1:]
	}
	if user == "" {
		user = m.login
	}
	s := &session{
		ctx: ctx, m: m, user: user, shell: "cmd", line: p.Line, netCreds: hasNetworkCredentials(p.Logon),
		out: &termSink{w: p.Stdout}, errs: &termSink{w: p.Stderr}, codepage: p.Codepage,
		stdin: p.Stdin, pipedStdin: p.Stdin != nil && !p.ConsoleStdin,
	}
	if s.codepage == 0 {
		s.codepage = m.lang.oemcp
	}
	s.env = m.defaultEnv(user)
	for k, v := range p.Env {
		s.env[key(k)] = envVar{k, v}
	}
	s.cwd = winPath{'C', m.profileDir(user)}
	if p.Dir != "" {
		if d, ok := resolvePath(s.cwd, p.Dir); ok && m.isDir(d) {
			s.cwd = d
		}
	}
	return s
}

// child returns a session for a nested cmd.exe: a copy of the environment
// and directory, its own errorlevel, the same output.
func (s *session) child() *session {
	c := *s
	c.env = make(map[string]envVar, len(s.env))
	for k, v := range s.env {
		c.env[k] = v
	}
	c.errorlevel = 0
	c.exited = false
	c.depth = s.depth + 1
	return &c
}

func (s *session) flush() {
	s.out.flush()
	s.errs.flush()
}

// sleep waits d with the mutex released, flushing output first. It fails
// when the context ends or the host goes down meanwhile.
func (s *session) sleep(d time.Duration) error {
	if d <= 0 {
		// No time passes, but pending states that are due still end,
		// or a caller polling for one would spin for ever.
		s.m.net.settle()
		return s.ctx.Err()
	}
	gen := s.m.gen
	s.m.net.mu.Unlock()
	s.flush()
	t := time.NewTimer(d)
	select {
	case <-t.C:
	case <-s.ctx.Done():
		t.Stop()
	}
	s.m.net.lock()
	if err := s.ctx.Err(); err != nil {
		return err
	}
	if s.m.gen != gen || s.m.power == powerOff {
		return errPowerCycle
	}
	return nil
}

func (m *Machine) defaultEnv(user string) map[string]envVar {
	env := map[string]envVar{}
	root, temp := m.sysC(""), "C:"+m.tempDir(user)
	path := root + `\system32;` + root
	if m.os.WMIC {
		path += ";" + root + `\system32\wbem`
	}
	if m.hasTool("powershell") {
		path += ";" + root + `\system32\WindowsPowerShell\v1.0`
	}
	for _, kv := range [][2]string{
		{"ComSpec", root + `\system32\cmd.exe`},
		{"COMPUTERNAME", m.netbios},
		{"HOMEDRIVE", "C:"},
		{"HOMEPATH", m.profileDir(user)},
		{"NUMBER_OF_PROCESSORS", "2"},
		{"OS", "Windows_NT"},
		{"Path", path},
		{"PATHEXT", ".COM;.EXE;.BAT;.CMD"},
		{"PROCESSOR_ARCHITECTURE", "x86"},
		{"ProgramFiles", `C:\Program Files`},
		{"PROMPT", "$P$G"},
		{"SystemDrive", "C:"},
		{"SystemRoot", root},
		{"TEMP", temp},
		{"TMP", temp},
		{"USERDOMAIN", m.netbios},
		{"USERNAME", user},
		{"USERPROFILE", "C:" + m.profileDir(user)},
		{"windir", root},
	} {
		env[key(kv[0])] = envVar{kv[0], kv[1]}
	}
	return env
}

// getenv looks a variable up, with cmd.exe's dynamic ones as fallback.
func (s *session) getenv(name string) (string, bool) {
	if v, ok := s.env[key(name)]; ok {
		return v.value, true
	}
	switch key(name) {
	case "CD":
		return s.cwd.String(), true
	case "ERRORLEVEL":
		return strconv.Itoa(s.errorlevel), true
	case "CMDEXTVERSION":
		return "2", true
	}
	return "", false
}

// execProcess runs a Process's line through cmd.exe, or directly when the
// client skipped the shell.
func (s *session) execProcess(p *wsman.Process) int {
	if s.m.power == powerOff {
		fmt.Fprintf(s.errs, "The lab host %s is powered off.\r\n", s.m.netbios)
		return 1
	}
	if p.SkipCmdShell {
		s.shell = "direct"
		return s.runDirect(p.Line)
	}
	return s.runCmdLine(p.Line, false)
}

// runCmdLine is cmd.exe /c: the quote rule, the length limit, percent
// expansion, parsing, execution. The result is the errorlevel at the end.
func (s *session) runCmdLine(line string, slashS bool) int {
	line = stripSlashC(line, slashS, s.isExecutable)
	if utf16Len(line) > maxLine {
		io.WriteString(s.errs, "The command line is too long.\r\n")
		return 1
	}
	line = expandPercent(line, s.getenv)
	if utf16Len(line) > maxLine {
		io.WriteString(s.errs, "The command line is too long.\r\n")
		return 1
	}
	tree, err := parseLine(line)
	if err != nil {
		fmt.Fprintf(s.errs, "%s\r\n", err)
		return 255
	}
	if tree == nil {
		return 0
	}
	s.run(tree, streams{stdout: s.out, stderr: s.errs, shellIn: true})
	if s.ctx.Err() != nil {
		return statusControlCExit
	}
	return s.errorlevel
}

// streams are the standard handles of a command.
type streams struct {
	stdin          []byte
	stdout, stderr io.Writer
	// shellIn is true while stdin is the process's own input, neither
	// redirected nor the far side of a pipe.
	shellIn bool
}

func (s *session) stopped() bool {
	return s.exited || s.ctx.Err() != nil
}

// run executes a parsed node and returns the code of the last command it
// ran.
func (s *session) run(n *node, st streams) int {
	if s.stopped() {
		return s.errorlevel
	}
	switch n.kind {
	case nodeSimple:
		return s.runSimple(n, st)
	case nodeQuiet:
		return s.run(n.quietTarget, st)
	case nodeBlock:
		inner, _, err := s.redirect(n.redirs, st)
		if err != nil {
			fmt.Fprintf(st.stderr, "%s\r\n", err)
			s.errorlevel = 1
			return 1
		}
		code := 0
		for _, sub := range n.subs {
			code = s.run(sub, inner)
		}
		return code
	case nodeMulti:
		s.run(n.subs[0], st)
		return s.run(n.subs[1], st)
	case nodeAnd:
		code := s.run(n.subs[0], st)
		if code == 0 && !s.stopped() {
			code = s.run(n.subs[1], st)
		}
		return code
	case nodeOr:
		code := s.run(n.subs[0], st)
		if code != 0 && !s.stopped() {
			s.errorlevel = code
			code = s.run(n.subs[1], st)
		}
		return code
	case nodeIf:
		if s.ifTrue(n.cond) {
			return s.run(n.subs[0], st)
		}
		if len(n.subs) > 1 {
			return s.run(n.subs[1], st)
		}
		return s.errorlevel
	case nodePipe:
		// Each side of a pipe runs in its own cmd.exe.
		var buf bytes.Buffer
		left := s.child()
		left.run(n.subs[0], streams{stdin: st.stdin, stdout: &buf, stderr: st.stderr})
		right := s.child()
		code := right.run(n.subs[1], streams{stdin: buf.Bytes(), stdout: st.stdout, stderr: st.stderr})
		s.errorlevel = right.errorlevel
		return code
	}
	return s.errorlevel
}

// ifTrue evaluates an IF condition.
func (s *session) ifTrue(c *ifCond) bool {
	var ok bool
	switch c.kind {
	case "exist":
		ok = s.exists(strings.ReplaceAll(c.left, `"`, ""))
	case "defined":
		_, ok = s.getenv(c.left)
	case "errorlevel":
		n, valid := atoiSigned(c.left)
		ok = valid && s.errorlevel >= n
	default:
		ok = compareIf(c)
	}
	return ok != c.not
}

// exists is IF EXIST: a file or directory, or a wildcard that matches one.
func (s *session) exists(name string) bool {
	p, ok := resolvePath(s.cwd, name)
	if !ok {
		return false
	}
	base := baseName(p.path)
	if !strings.ContainsAny(base, "*?") {
		return s.m.fileAt(p) != nil
	}
	d := s.m.drive(p.drive)
	if d == nil {
		return false
	}
	for _, f := range d.children(parentOf(p.path)) {
		if matchWild(base, f.name()) {
			return true
		}
	}
	return false
}

// compareIf compares as cmd.exe does: == as strings, the three-letter
// operators as numbers when both sides are numbers, else as strings.
func compareIf(c *ifCond) bool {
	l, r := c.left, c.right
	if c.ignoreCase {
		l, r = strings.ToLower(l), strings.ToLower(r)
	}
	if c.op == "==" {
		return l == r
	}
	cmp := strings.Compare(l, r)
	if a, ok := atoiSigned(l); ok {
		if b, ok := atoiSigned(r); ok {
			cmp = a - b
		}
	}
	switch c.op {
	case "EQU":
		return cmp == 0
	case "NEQ":
		return cmp != 0
	case "LSS":
		return cmp < 0
	case "LEQ":
		return cmp <= 0
	case "GTR":
		return cmp > 0
	}
	return cmp >= 0
}

// redirect applies redirections in order to a copy of st. It reports
// whether a file outside the scratch directory is written.
func (s *session) redirect(rs []redir, st streams) (streams, bool, error) {
	changes := false
	for _, r := range rs {
		if r.op == "<&" {
			// Duplicating input handles is not modelled; stdin stays.
			continue
		}
		if r.op == ">&" {
			var w io.Writer
			switch r.target {
			case "1":
				w = st.stdout
			case "2":
				w = st.stderr
			}
			if w == nil {
				return st, changes, fmt.Errorf("The handle could not be duplicated\r\nduring redirection of handle %d.", r.handle)
			}
			switch r.handle {
			case 1:
				st.stdout = w
			case 2:
				st.stderr = w
			}
			continue
		}
		p, ok := resolvePath(s.cwd, strings.ReplaceAll(r.target, `"`, ""))
		if !ok {
			return st, changes, winError(errPathNotFound)
		}
		if r.op == "<" {
			if r.handle == 0 {
				st.shellIn = false
			}
			if p.device() != "" {
				st.stdin = nil
				continue
			}
			f := s.m.fileAt(p)
			if f == nil || f.dir {
				return st, changes, winError(errFileNotFound)
			}
			if r.handle == 0 {
				st.stdin = append([]byte(nil), f.data...)
			}
			continue
		}
		var w io.Writer
		switch p.device() {
		case "NUL":
			w = io.Discard
		case "CON":
			w = s.out
		default:
			if !p.isScratch() {
				changes = true
			}
			d := s.m.drive(p.drive)
			if d == nil {
				return st, changes, winError(errPathNotFound)
			}
			if _, err := d.write(p.path, nil, r.op == ">>", s.m.net.now()); err != nil {
				return st, changes, err
			}
			w = &fileSink{m: s.m, p: p}
		}
		switch r.handle {
		case 1:
			st.stdout = w
		case 2:
			st.stderr = w
		}
	}
	return st, changes, nil
}

// fileSink appends what a command writes to a file. Commands run with the
// network's mutex held, so it writes through to the file system.
type fileSink struct {
	m *Machine
	p winPath
}

func (f *fileSink) Write(b []byte) (int, error) {
	d := f.m.drive(f.p.drive)
	if d == nil {
		return 0, winError(errPathNotFound)
	}
	if _, err := d.write(f.p.path, b, true, f.m.net.now()); err != nil {
		return 0, err
	}
	return len(b), nil
}

// call is one simple command handed to a tool.
type call struct {
	s    *session
	m    *Machine
	tool *tool
	argv []string
	// params is the raw text after a built-in's name, as cmd.exe passes it.
	params string
	// cmdline is the command line a program gets.
	cmdline string
	stdin   []byte
	stdout  io.Writer
	stderr  io.Writer
	entry   *LogEntry
	// shellIn is streams.shellIn: stdin is the process's own input.
	shellIn bool
}

func (c *call) printf(format string, a ...any) { fmt.Fprintf(c.stdout, format, a...) }

func (c *call) errorf(format string, a ...any) { fmt.Fprintf(c.stderr, format, a...) }

// path resolves a file name argument against the current directory.
func (c *call) path(name string) (winPath, bool) { return resolvePath(c.s.cwd, name) }

// runSimple runs one simple command: it resolves the program, applies the
// redirections, runs the tool and logs the command.
func (s *session) runSimple(n *node, st streams) int {
	s.m.net.settle()
	c := s.resolve(n.head, n.tail)
	entry := s.newEntry(c, n.head+n.tail)
	for _, r := range n.redirs {
		entry.Redirects = append(entry.Redirects, Redirect{Handle: r.handle, Op: r.op, Target: strings.ReplaceAll(r.target, `"`, "")})
	}
	inner, redirChanges, err := s.redirect(n.redirs, st)
	entry.Changes = entry.Changes || redirChanges
	if err != nil {
		// The command does not run when a redirection fails.
		fmt.Fprintf(st.stderr, "%s\r\n", err)
		entry.ExitCode = 1
		s.m.log = append(s.m.log, entry)
		s.errorlevel = 1
		return 1
	}
	c.stdin, c.stdout, c.stderr, c.shellIn = inner.stdin, inner.stdout, inner.stderr, inner.shellIn
	code := s.runLogged(c, entry)
	if c.tool == nil || !c.tool.keepsErrorlevel || code != 0 {
		s.errorlevel = code
	}
	return code
}

// newEntry starts the log entry of a command and classifies it.
func (s *session) newEntry(c *call, command string) *LogEntry {
	entry := &LogEntry{Time: s.m.net.now(), Line: s.line, Command: command, Shell: s.shell, Argv: c.argv}
	if c.tool != nil {
		entry.Tool = c.tool.name
		if c.tool.changes != nil {
			entry.Changes = c.tool.changes(c)
		}
	}
	c.entry = entry
	return entry
}

// runLogged logs entry, runs the command and completes the entry. A
// command that runs others (cmd, powershell) changes what they change.
func (s *session) runLogged(c *call, entry *LogEntry) int {
	s.m.log = append(s.m.log, entry)
	before := len(s.m.log)
	var code int
	if c.tool == nil {
		code = s.notFound(c)
	} else {
		code = c.tool.run(c)
	}
	for _, e := range s.m.logSince(entry, before) {
		entry.Changes = entry.Changes || e.Changes
	}
	entry.ExitCode = code
	return code
}

// logSince returns the entries logged after e, which sat at index
// before-1 unless the log was cleared meanwhile.
func (m *Machine) logSince(e *LogEntry, before int) []*LogEntry {
	if before-1 < len(m.log) && m.log[before-1] == e {
		return m.log[before:]
	}
	return nil
}

// notFound reports a program that does not exist, as cmd.exe does.
func (s *session) notFound(c *call) int {
	prog := programToken(c.cmdline)
	name := strings.ReplaceAll(prog, `"`, "")
	if strings.ContainsAny(name, `\/`) {
		if dir, ok := resolvePath(s.cwd, name+`\..`); ok && !s.m.isDir(dir) {
			c.errorf("The system cannot find the path specified.\r\n")
			return errPathNotFound
		}
	}
	c.errorf("%s\r\n", s.m.lang.notRecognized(prog))
	return 9009
}

// builtinEnds are the characters that end a built-in's name inside the
// first word (echo. dir/b cd\).
const builtinEnds = "\t +,/;=[]"

// resolve finds what a simple command runs, as cmd.exe's DoCommand does:
// a built-in when the first word starts with its name (unless the word
// names an existing file), else a program by path or on PATH.
func (s *session) resolve(head, tail string) *call {
	c := &call{s: s, m: s.m, cmdline: head + tail}
	cp := strings.IndexAny(head, builtinEnds)
	if cp < 0 {
		cp = len(head)
	}
	cl := cp
	internal := true
	if i := strings.IndexAny(head[:cp], `.:\`); i >= 0 {
		cl = i
		if f := s.m.fileAt(s.pathOf(head[:cp])); f != nil && !f.dir {
			internal = false
		}
	}
	if internal {
		if t := builtins[strings.ToLower(head[:cl])]; t != nil {
			c.tool = t
			c.params = c.cmdline[cl:]
			if t.name != "echo" {
				c.params = strings.TrimLeft(c.params, " \t\n\v\f\r")
			}
			c.argv = builtinArgv(t.name, c.params)
			return c
		}
	}
	c.argv = commandLineToArgv(c.cmdline)
	prog := strings.ReplaceAll(programToken(head), `"`, "")
	if len(prog) == 2 && prog[1] == ':' {
		c.tool = driveChange
		c.params = prog
		return c
	}
	c.tool = s.findProgram(prog)
	return c
}

func (s *session) pathOf(name string) winPath {
	p, _ := resolvePath(s.cwd, strings.ReplaceAll(name, `"`, ""))
	return p
}

// programToken is the program part of a command's first word: all of it
// when it starts with a slash or a drive, else up to the first blank or
// ,;=/ outside quotes.
func programToken(cmdline string) string {
	cmdline = strings.TrimLeft(cmdline, " \t,;=")
	if strings.HasPrefix(cmdline, "/") || (len(cmdline) > 1 && cmdline[1] == ':') {
		end := strings.IndexAny(cmdline, " \t")
		if end < 0 {
			return cmdline
		}
		return cmdline[:end]
	}
	in := false
	for i, r := range cmdline {
		if !in && (isSpace(r) || strings.ContainsRune(",;=/", r)) {
			return cmdline[:i]
		}
		if r == '"' {
			in = !in
		}
	}
	return cmdline
}

// builtinArgv is how the log shows a built-in's arguments: echo and set
// get their text whole; the others cmd's split of the rest, quotes removed.
func builtinArgv(name, params string) []string {
	switch name {
	case "echo":
		return []string{name, params}
	case "set":
		return []string{name, strings.TrimLeft(params, " \t")}
	}
	return append([]string{name}, splitCmdArgs(params)...)
}

// splitCmdArgs splits a built-in's parameters on blanks outside quotes
// and removes the quotes, as cmd.exe's built-ins read file names.
func splitCmdArgs(params string) []string {
	var out []string
	var cur strings.Builder
	in, have := false, false
	for _, r := range params {
		switch {
		case r == '"':
			in = !in
			have = true
		case !in && (isSpace(r) || r == ',' || r == ';'):
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

// findProgram resolves a program name: an existing executable file by
// path, or through the current directory and PATH with PATHEXT; a system
// tool this Windows has is found by its base name even where its file is
// missing.
func (s *session) findProgram(name string) *tool {
	if name == "" {
		return nil
	}
	if f := s.programFile(name); f != nil {
		return programs[f.program]
	}
	if t := s.batchFile(name); t != nil {
		return t
	}
	base := strings.ToLower(baseName(strings.ReplaceAll(name, "/", `\`)))
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".exe"), ".com")
	if t := programs[base]; t != nil && t.system && s.m.hasTool(base) {
		return t
	}
	return nil
}

// programFile finds the executable file a name runs, or nil.
func (s *session) programFile(name string) *file {
	var dirs []winPath
	if strings.ContainsAny(name, `\/:`) {
		dirs = []winPath{s.cwd}
	} else {
		dirs = append(dirs, s.cwd)
		if path, ok := s.getenv("PATH"); ok {
			for _, d := range strings.Split(path, ";") {
				if p, ok := resolvePath(s.cwd, strings.Trim(d, `" `)); ok && d != "" {
					dirs = append(dirs, p)
				}
			}
		}
	}
	exts := []string{""}
	if !strings.Contains(baseName(name), ".") {
		exts = []string{".com", ".exe"}
	}
	for _, d := range dirs {
		for _, ext := range exts {
			p, ok := resolvePath(d, name+ext)
			if !ok {
				continue
			}
			if f := s.m.fileAt(p); f != nil && !f.dir && f.program != "" && programs[f.program] != nil {
				return f
			}
		}
	}
	return nil
}

// isExecutable is cmd /c's test of whether a quoted string names an
// executable file.
func (s *session) isExecutable(name string) bool {
	return s.programFile(name) != nil
}

// runDirect runs a line without cmd.exe (WINRS_SKIP_CMD_SHELL): no
// built-ins, no redirection, no expansion.
func (s *session) runDirect(line string) int {
	argv := commandLineToArgv(line)
	c := &call{s: s, m: s.m, argv: argv, cmdline: line, stdout: s.out, stderr: s.errs}
	c.tool = s.findProgram(argv[0])
	entry := s.newEntry(c, line)
	if c.tool == nil {
		entry.ExitCode = errFileNotFound
		s.m.log = append(s.m.log, entry)
		fmt.Fprintf(s.errs, "%s\r\n", winMessage(errFileNotFound))
		return errFileNotFound
	}
	return s.runLogged(c, entry)
}

// tool is a built-in or a program of the simulated machine.
type tool struct {
	name string
	run  func(c *call) int
	// changes classifies a command before it runs; nil means read-only.
	changes func(c *call) bool
	// keepsErrorlevel marks built-ins that leave ERRORLEVEL alone (echo).
	keepsErrorlevel bool
	// system marks programs found by base name wherever they are asked
	// for (the tools in system32).
	system bool
}

var (
	builtins map[string]*tool
	programs map[string]*tool
)

// driveChange is the X: command that switches the current drive.
var driveChange = &tool{name: "cd", run: runDriveChange}

func runDriveChange(c *call) int {
	letter := c.params[0] &^ 0x20
	if c.m.drive(letter) == nil {
		c.errorf("The system cannot find the drive specified.\r\n")
		return 1
	}
	c.s.cwd = winPath{letter, `\`}
	return 0
}

// changesPaths classifies commands that write the files named by args:
// changing unless all of them are scratch.
func changesPaths(c *call, names []string) bool {
	for _, n := range names {
		p, ok := c.path(n)
		if !ok || !p.isScratch() {
			return true
		}
	}
	return false
}

// nonSwitches returns the arguments that are not /switches.
func nonSwitches(args []string) []string {
	var out []string
	for _, a := range args {
		if !strings.HasPrefix(a, "/") {
			out = append(out, a)
		}
	}
	return out
}

// hasSwitch reports whether args hold /x (case-insensitive).
func hasSwitch(args []string, sw string) bool {
	for _, a := range args {
		if strings.EqualFold(a, sw) {
			return true
		}
	}
	return false
}

// sortedEnv lists the environment sorted by name, case-insensitively, as
// set prints it.
func (s *session) sortedEnv() []envVar {
	var out []envVar
	for _, v := range s.env {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return key(out[i].name) < key(out[j].name) })
	return out
}
