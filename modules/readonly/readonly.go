// Package readonly decides whether a cmd.exe command line is proven to
// change nothing on a host. It is the one classifier of winplay: the
// check-mode guard lets a line through in a dry run only when Classify
// proves it read-only, whatever the module or the playbook declared;
// validation refuses `read_only = true` on a line it cannot prove; and the
// -vv log marks each command with its verdict.
//
// The line is read the way cmd.exe reads it (the phases of the model in
// "How does the Windows Command Interpreter (CMD.EXE) parse scripts?",
// stackoverflow.com/questions/4094699, and Microsoft's cmd, if, for, call
// and start references): percent expansion first, then quotes, ^ escapes,
// the operators & && || |, parentheses, @, redirections, IF, FOR, REM;
// each simple command is then handed to its program, which splits its
// arguments with the C runtime's rules ("Parsing C command-line
// arguments"), or, for cmd.exe's built-ins, as cmd does. Nested cmd /c,
// call, start, for /f's command and powershell -Command/-EncodedCommand
// are read again as what they run.
//
// Anything it does not understand is not proven: an unknown program, a
// %VARIABLE% whose value could be anything, a switch it does not know, a
// redirection to a file outside the scratch directories. Proof is
// conservative by design, and a differential test holds it to the lab's
// own marking of what changed.
package readonly

import (
	"strings"
)

// DefaultScratch are the directories whose files a dry run may write and
// delete when Options gives none: Windows' temporary directories, as an
// NT 4.0 or 2000 host (C:\WINNT) and later ones (C:\Windows) name them, and
// as the environment names them (cmd.exe expands these inside quotes
// only; see Classify).
var DefaultScratch = []string{
	`C:\WINNT\Temp`, `C:\Windows\Temp`,
	`%TEMP%`, `%TMP%`, `%SystemRoot%\Temp`, `%windir%\Temp`,
}

// Options steer a classification.
type Options struct {
	// Scratch lists the directories whose files do not count as a change
	// (the host's temporary directories); nil means DefaultScratch.
	Scratch []string
}

// Verdict is what Classify proved about a line.
type Verdict struct {
	// ReadOnly is true when every command the line can run is proven to
	// change nothing outside the scratch directories.
	ReadOnly bool
	// Part is the piece of the line that decided a line is not read-only:
	// a simple command or a redirection, as cmd.exe will see it.
	Part string
	// Why says in a sentence why Part changes the host or cannot be proven
	// not to.
	Why string
	// Known is true when Part is known to change the host, false when it
	// only cannot be proven read-only.
	Known bool
}

// String is the verdict as logs show it: "read", or "change: why".
func (v Verdict) String() string {
	if v.ReadOnly {
		return "read"
	}
	if v.Known {
		return "change: " + v.Reason()
	}
	return "unproven: " + v.Reason()
}

// Reason says which part decided and why, for messages.
func (v Verdict) Reason() string {
	if v.ReadOnly {
		return ""
	}
	if v.Part == "" {
		return v.Why
	}
	return "`" + clip(v.Part) + "`: " + v.Why
}

// maxDepth bounds how deeply nested interpreters (cmd /c, powershell,
// call, start, for /f) are followed; deeper lines are not proven.
const maxDepth = 8

// Classify reads line as `cmd.exe /c line` will, which is how WinRM runs
// a command, and reports whether it is proven read-only. opts may be nil.
func Classify(line string, opts *Options) Verdict {
	c := classifier{scratch: DefaultScratch}
	if opts != nil && opts.Scratch != nil {
		c.scratch = opts.Scratch
	}
	if v := c.slashC(line, false, 0); v != nil {
		return *v
	}
	return Verdict{ReadOnly: true}
}

// classifier holds what one classification knows.
type classifier struct {
	scratch []string
}

// changes is the verdict of a part known to change the host.
func changes(part, why string) *Verdict {
	return &Verdict{Part: part, Why: why, Known: true}
}

// unproven is the verdict of a part that cannot be proven read-only.
func unproven(part, why string) *Verdict {
	return &Verdict{Part: part, Why: why}
}

// line classifies one command line as cmd.exe /c runs it: percent
// expansion, then the parse, then each command.
func (c *classifier) line(line string, depth int) *Verdict {
	if depth > maxDepth {
		return unproven(line, "it nests interpreters more than 8 levels deep")
	}
	if strings.ContainsAny(line, "\x00\n\x1a") {
		return unproven(line, "it holds a line break or a NUL, after which cmd.exe reads the rest differently")
	}
	if v := checkPercents(line); v != nil {
		return v
	}
	cmds, err := parse(line)
	if err != nil {
		return unproven(line, "cmd.exe cannot parse it: "+err.Error())
	}
	for _, cmd := range cmds {
		if v := c.command(cmd, depth); v != nil {
			return v
		}
	}
	return nil
}

// command classifies one simple command with its redirections.
func (c *classifier) command(cmd *simple, depth int) *Verdict {
	for _, r := range cmd.redirs {
		if v := c.redirection(cmd, r); v != nil {
			return v
		}
	}
	if cmd.piped && strings.ContainsAny(cmd.text, "^%!") {
		// Each side of a pipe runs in a new cmd.exe, which expands and
		// unescapes the text once more.
		return unproven(cmd.text, "a piped command is read again by a second cmd.exe, so its ^, % and ! are processed twice")
	}
	return c.program(cmd, depth)
}

// redirection classifies where a redirection writes: nul, another handle
// and reading a file change nothing; a file outside the scratch
// directories is written.
func (c *classifier) redirection(cmd *simple, r redir) *Verdict {
	if r.op == "<" || strings.HasSuffix(r.op, "&") {
		return nil
	}
	target := unquote(r.target)
	switch strings.ToLower(target) {
	case "nul", "nul:":
		return nil
	}
	if c.isScratch(target) {
		return nil
	}
	part := r.op + r.target
	if cmd.text != "" {
		part = cmd.text + " " + part
	}
	return changes(part, "the redirection writes "+target+", which is not in a scratch directory")
}

// clip shortens long text for messages.
func clip(s string) string {
	const max = 160
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// unquote removes the double quotes of a word as cmd.exe's built-ins and
// file names take it.
func unquote(s string) string { return strings.ReplaceAll(s, `"`, "") }
