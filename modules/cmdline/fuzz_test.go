package cmdline_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/modules/cmdline"
)

// spacedTool is a copy of hostname.exe under a directory with a blank in
// its name, so that lines also start with a quoted program (and get
// cmd /c's extra pair of quotes).
const spacedTool = `C:\Program Files\lab tools\hostname.exe`

// programs are the programs the fuzz test runs, chosen by a byte of its
// input: hostname is read-only and ignores its arguments, and the lab logs
// argv as CommandLineToArgvW splits a program's command line.
var programs = []struct{ name, argv0 string }{
	{"hostname", "hostname"},
	{`C:\WINNT\system32\hostname.exe`, `C:\WINNT\system32\hostname.exe`},
	{spacedTool, spacedTool},
}

// fuzzSeeds are values that mean something to cmd.exe, to
// CommandLineToArgvW or to the WinRM envelope around a line.
var fuzzSeeds = []string{
	"", "ClusSvc", "Web Group", `CORP\IUSR_CLUSTER`, "start=", "/u:x", "-", "/?",
	`C:\Program Files\`, `C:\a b\\`, `\`, `\\`, `\\server\share\`, `a\b\\c\\\`, ` \ `,
	"a&b", "a & calc", "a&&calc", "a||calc", "a|more", "|", "&", "&&",
	"x>y", "x>>y", ">x", "1>x", "2>&1", ">&2", "<x", "a<b>c", "<<",
	"a^b", "^", "^^", "^&calc", "^\"", "(x)", ")", "(", ") & calc & (",
	"@echo off", ":label", "a,b;c=d", ",", ";", "=", "!PATH!", "!", "'single'", "`tick`",
	"+", "[x]", "{y}", "~1", "\ttab", "  lead", "trail  ", "a  b",
	"héllo wörld", "中文 テスト", "😀", "\u00a0nbsp", "\u3000ideographic space", "\ufffd",
	"]]>&quot;&amp;calc&amp;&quot;<![CDATA[", "&quot; & calc", "<x/>",
	// Check refuses these.
	`a"b`, `"`, `\"`, "%PATH%", "50%", "%", "a\nb", "a\rb", "\x00", "\x1b[31m", "\x7f", "a\xffb", "\xc3", "\uffff",
}

// newMachine returns a lab node with spacedTool in place.
func newMachine(tb testing.TB) *win.Machine {
	tb.Helper()
	m, err := win.NewNetwork().NewMachine(win.Config{Name: "node1", Profile: win.ProfileNode,
		Timing: win.Timing{Second: time.Millisecond, Grace: time.Millisecond}})
	require.NoError(tb, err)
	for _, line := range []string{
		`mkdir "C:\Program Files\lab tools"`,
		`copy C:\WINNT\system32\hostname.exe "` + spacedTool + `"`,
	} {
		var out, errs strings.Builder
		code := m.Exec(context.Background(), &wsman.Process{Line: line, Stdout: &out, Stderr: &errs, Stdin: strings.NewReader("")})
		require.Zero(tb, code, "%s: %s%s", line, out.String(), errs.String())
	}
	m.ClearLog()
	return m
}

// FuzzLineRunsOneCommand proves the package's promise against the lab's
// cmd.exe: for any values Check accepts, the line runs exactly one simple
// command, with no redirection, whose argv is the program and exactly
// those values; any other value fails Line, so nothing runs.
func FuzzLineRunsOneCommand(f *testing.F) {
	for i, v := range fuzzSeeds {
		f.Add(uint8(i), v, fuzzSeeds[(i+1)%len(fuzzSeeds)], v)
		f.Add(uint8(i+1), "x", v, "y")
	}
	m := newMachine(f)
	f.Fuzz(func(t *testing.T, program uint8, a, b, flag string) {
		prog := programs[int(program)%len(programs)]
		line, err := cmdline.New(prog.name).Arg(a, b).Flag("/v:", flag).Line()
		for _, v := range []string{a, b, flag} {
			if cmdline.Check(v) != nil {
				require.ErrorIs(t, err, cmdline.ErrUnsafe, "a value Check refuses was accepted: %q", line)
				return
			}
		}
		if err != nil && strings.Contains(err.Error(), "limit") {
			t.Skip("over cmd.exe's line limit")
		}
		require.NoError(t, err)

		m.ClearLog()
		var stdout, stderr strings.Builder
		code := m.Exec(context.Background(), &wsman.Process{Line: line, Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader("")})
		log := m.Log()
		require.Len(t, log, 1, "line %q ran more or fewer than one command: %+v", line, log)
		e := log[0]
		assert.Equal(t, "hostname", e.Tool, "line %q", line)
		assert.Empty(t, e.Redirects, "line %q redirected", line)
		assert.Equal(t, []string{prog.argv0, a, b, "/v:" + flag}, e.Argv, "line %q", line)
		assert.Zero(t, code, "line %q: %s", line, stderr.String())
		assert.Equal(t, "NODE1\r\n", stdout.String(), "line %q", line)
		assert.Empty(t, stderr.String(), "line %q", line)
	})
}

// FuzzRedirectAndIfExistRunOneCommand extends the promise to the two
// other places a value lands in a line: a redirection target (AppendTo,
// WriteTo, as copy writes files) and the path of `if exist` (PathExists).
// For any value Check accepts, the line runs at most one command, echo,
// with exactly the redirection asked for and no other; any other value
// fails Line.
func FuzzRedirectAndIfExistRunOneCommand(f *testing.F) {
	for i, v := range fuzzSeeds {
		f.Add(uint8(i), v)
	}
	m := newMachine(f)
	f.Fuzz(func(t *testing.T, form uint8, v string) {
		target := `C:\WINNT\Temp\` + v
		var b *cmdline.Builder
		var op string
		switch form % 3 {
		case 0:
			b, op = cmdline.NewRaw("echo QUJD").AppendTo(target), ">>"
		case 1:
			b, op = cmdline.NewRaw("echo QUJD").WriteTo(target), ">"
		default:
			b = cmdline.NewRaw("if exist").Arg(target).Raw("echo present")
		}
		line, err := b.Line()
		if cmdline.Check(v) != nil {
			require.ErrorIs(t, err, cmdline.ErrUnsafe, "a value Check refuses was accepted: %q", line)
			return
		}
		if err != nil && strings.Contains(err.Error(), "limit") {
			t.Skip("over cmd.exe's line limit")
		}
		require.NoError(t, err)

		m.ClearLog()
		var stdout, stderr strings.Builder
		m.Exec(context.Background(), &wsman.Process{Line: line, Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader("")})
		log := m.Log()
		require.LessOrEqual(t, len(log), 1, "line %q ran more than one command: %+v", line, log)
		if len(log) == 0 {
			// The target could not be opened (a name Windows refuses, a
			// missing directory), or the path does not exist: nothing ran.
			return
		}
		e := log[0]
		assert.Equal(t, "echo", e.Tool, "line %q", line)
		if op == "" {
			assert.Empty(t, e.Redirects, "line %q redirected", line)
			assert.Equal(t, "present\r\n", stdout.String(), "line %q", line)
			return
		}
		assert.Equal(t, []win.Redirect{{Handle: 1, Op: op, Target: target}}, e.Redirects, "line %q", line)
		assert.Empty(t, stdout.String(), "line %q: the output was not redirected", line)
	})
}
