package win

import (
	"strings"
)

// batchFile returns the tool that runs a batch file (.cmd or .bat) name
// names, or nil: enough of cmd.exe's batch mode for the scripts winplay
// and Packer-style runners write (a command a line, @ and echo off, rem,
// labels skipped, exit /b), not goto, call :label, for or %0-%9.
func (s *session) batchFile(name string) *tool {
	lower := strings.ToLower(strings.Trim(name, `"`))
	if !strings.HasSuffix(lower, ".cmd") && !strings.HasSuffix(lower, ".bat") {
		return nil
	}
	p, ok := resolvePath(s.cwd, strings.Trim(name, `"`))
	if !ok {
		return nil
	}
	if f := s.m.fileAt(p); f == nil || f.dir {
		return nil
	}
	return &tool{name: "batch", run: runBatch}
}

// runBatch runs a batch file's lines in a child of the session, each
// expanded when it is reached, as cmd.exe reads them.
func runBatch(c *call) int {
	p, _ := resolvePath(c.s.cwd, strings.Trim(programToken(c.cmdline), `"`))
	f := c.m.fileAt(p)
	if f == nil {
		c.errorf("The system cannot find the path specified.\r\n")
		return errPathNotFound
	}
	b := c.s.child()
	b.out, b.errs = &termSink{w: c.stdout}, &termSink{w: c.stderr}
	code := 0
	for _, line := range strings.Split(strings.ReplaceAll(string(f.data), "\r\n", "\n"), "\n") {
		line = strings.TrimLeft(line, " \t@")
		lower := strings.ToLower(strings.TrimSpace(line))
		switch {
		case lower == "", lower == "echo off", strings.HasPrefix(lower, ":"), lower == "rem", strings.HasPrefix(lower, "rem "):
			continue
		}
		b.line = line
		code = b.runCmdLine(line, false)
		if b.exited || b.ctx.Err() != nil {
			break
		}
	}
	b.flush()
	return code
}
