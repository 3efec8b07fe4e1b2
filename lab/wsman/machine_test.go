package wsman

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// testMachine is the small machine of these tests: a handful of commands that
// exercise every path of the server. The lab's real machine lives in lab/win.
//
//	echo X          X and CRLF on stdout
//	echoerr X       X and CRLF on stderr
//	exit N          exit code N (also "exit /b N")
//	sleep MS        wait MS milliseconds or until cancelled (exit 1 then)
//	tick N MS       N numbered lines, MS milliseconds apart
//	bigout N        N bytes of a known pattern on stdout
//	more            copy stdin to stdout
//	stdinsum        read stdin to EOF, print its length and SHA-256
//	line            print the command line as received
//	env NAME        print NAME's value from the shell environment
//	pwd, whoami     print Dir and User
//	unicode         print "café ✓" (for code pages)
//	powershell ... -EncodedCommand B64   run echo/Write-Output/exit lines of the script
//
// A line wrapped in double quotes is unwrapped, as cmd /c does.
type testMachine struct {
	mu     sync.Mutex
	lines  []string
	causes map[string]error // why a cancelled command stopped, by line
}

func newTestMachine() *testMachine {
	return &testMachine{causes: map[string]error{}}
}

// ran returns the lines executed so far.
func (m *testMachine) ran() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.lines...)
}

// cause returns the context cause recorded when line was cancelled.
func (m *testMachine) cause(line string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.causes[line]
}

func (m *testMachine) Exec(ctx context.Context, p *Process) int {
	m.mu.Lock()
	m.lines = append(m.lines, p.Line)
	m.mu.Unlock()
	line := strings.TrimSpace(p.Line)
	if len(line) >= 2 && line[0] == '"' {
		if i := strings.LastIndexByte(line, '"'); i > 0 {
			line = line[1:i] + line[i+1:]
		}
	}
	name, arg, _ := strings.Cut(line, " ")
	switch strings.ToLower(name) {
	case "echo":
		fmt.Fprintf(p.Stdout, "%s\r\n", arg)
	case "echoerr":
		fmt.Fprintf(p.Stderr, "%s\r\n", arg)
	case "exit":
		n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(arg, "/b ")))
		return n
	case "sleep":
		ms, _ := strconv.Atoi(strings.Fields(arg + " 0")[0])
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-ctx.Done():
			m.mu.Lock()
			m.causes[p.Line] = context.Cause(ctx)
			m.mu.Unlock()
			return 1
		}
	case "tick":
		var n, ms int
		fmt.Sscan(arg, &n, &ms)
		for i := 1; i <= n; i++ {
			fmt.Fprintf(p.Stdout, "tick %d\r\n", i)
			select {
			case <-time.After(time.Duration(ms) * time.Millisecond):
			case <-ctx.Done():
				return 1
			}
		}
	case "bigout":
		n, _ := strconv.Atoi(arg)
		for off := 0; off < n; off += 4096 {
			if _, err := p.Stdout.Write(pattern(off, min(4096, n-off))); err != nil {
				return 1
			}
		}
	case "more":
		if _, err := io.Copy(p.Stdout, p.Stdin); err != nil {
			return 1
		}
	case "stdinsum":
		h := sha256.New()
		n, _ := io.Copy(h, p.Stdin)
		fmt.Fprintf(p.Stdout, "%d %x\r\n", n, h.Sum(nil))
	case "line":
		fmt.Fprintf(p.Stdout, "%s\r\n", p.Line)
	case "env":
		fmt.Fprintf(p.Stdout, "%s\r\n", p.Env[arg])
	case "pwd":
		fmt.Fprintf(p.Stdout, "%s\r\n", p.Dir)
	case "whoami":
		fmt.Fprintf(p.Stdout, "%s\r\n", p.User)
	case "unicode":
		fmt.Fprint(p.Stdout, "café ✓\r\n")
	case "codepage":
		fmt.Fprintf(p.Stdout, "%d\r\n", p.Codepage)
	case "powershell", "powershell.exe":
		return runEncodedScript(p, arg)
	default:
		fmt.Fprintf(p.Stderr, "'%s' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", name)
		return 9009
	}
	return 0
}

// pattern is the content bigout writes at offset off.
func pattern(off, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = "0123456789abcdefghijklmnopqrstuvwxyz\r\n"[(off+i)%38]
	}
	return b
}

var encodedCommand = regexp.MustCompile(`(?i)-(?:EncodedCommand|enc|e)\s+([A-Za-z0-9+/=]+)`)

// runEncodedScript decodes -EncodedCommand (base64 of UTF-16LE) the way
// Ansible's raw and masterzen's Powershell send scripts, and runs its echo,
// Write-Output and exit lines.
func runEncodedScript(p *Process, args string) int {
	m := encodedCommand.FindStringSubmatch(args)
	if m == nil {
		fmt.Fprint(p.Stderr, "powershell: no -EncodedCommand\r\n")
		return 1
	}
	raw, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil || len(raw)%2 != 0 {
		fmt.Fprint(p.Stderr, "powershell: bad -EncodedCommand\r\n")
		return 1
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	script := string(utf16.Decode(u))
	for _, stmt := range strings.FieldsFunc(script, func(r rune) bool { return r == '\n' || r == '\r' || r == ';' }) {
		stmt = strings.TrimSpace(stmt)
		verb, rest, _ := strings.Cut(stmt, " ")
		switch strings.ToLower(verb) {
		case "echo", "write-output", "write-host":
			fmt.Fprintf(p.Stdout, "%s\r\n", strings.Trim(strings.TrimSpace(rest), `'"`))
		case "exit":
			n, err := strconv.Atoi(strings.TrimSpace(rest))
			if err == nil {
				return n
			}
		}
	}
	return 0
}
