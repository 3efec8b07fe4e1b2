// Package cmdline builds cmd.exe command lines. It is the only place in
// winplay that turns values into command-line text.
//
// WinRM runs each command as `cmd.exe /c <line>`, so a line is read twice:
// first by cmd.exe, which expands %VARIABLES% (even inside quotes), splits
// commands on & && || and |, and performs < > redirections outside quotes;
// then by the program, which splits its arguments with the rules of
// CommandLineToArgvW (quotes group, backslashes escape a quote only when
// they precede one).
//
// An argument is therefore written bare when it holds only characters that
// mean nothing to either reader, and inside double quotes otherwise, with
// the backslashes that precede the closing quote doubled. Inside quotes
// cmd.exe treats & | < > ^ ( ) as text. Two things cannot be made safe this
// way: a double quote inside a value (it would end the quoting for cmd.exe)
// and a percent sign (cmd.exe expands %NAME% inside quotes, and the command
// line has no escape for it). Values holding them, control characters, or
// text that no XML envelope can carry (invalid UTF-8, U+FFFE, U+FFFF) are
// rejected: Check reports it so that a playbook fails validation before any
// host is contacted.
package cmdline

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxLine is cmd.exe's limit on the length of a command line.
const MaxLine = 8191

// ErrUnsafe is wrapped by every error about a value that cannot be passed
// safely on a cmd.exe command line.
var ErrUnsafe = errors.New("cannot be passed safely to cmd.exe")

// Check reports whether value can be passed as one argument.
func Check(value string) error {
	for i, r := range value {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(value[i:], "\uFFFD"):
			// WinRM carries the line in XML, which cannot hold stray bytes.
			return fmt.Errorf("%w: it is not valid UTF-8 (at byte %d)", ErrUnsafe, i)
		case r == 0xFFFE || r == 0xFFFF:
			return fmt.Errorf("%w: it contains %U (at byte %d), which XML cannot carry", ErrUnsafe, r, i)
		case r == '"':
			return fmt.Errorf("%w: it contains a double quote (at byte %d)", ErrUnsafe, i)
		case r == '%':
			return fmt.Errorf("%w: it contains %% (at byte %d), which cmd.exe expands even inside quotes", ErrUnsafe, i)
		case r < 0x20 || r == 0x7f:
			return fmt.Errorf("%w: it contains the control character %U (at byte %d)", ErrUnsafe, r, i)
		}
	}
	return nil
}

// CheckData reports whether value can be passed as one argument that the
// program receiving it reads as data, never as a switch: Windows' tools
// take switches written with / or - and have no -- to end them, so a
// value that starts with either cannot be passed safely.
func CheckData(value string) error {
	if err := Check(value); err != nil {
		return err
	}
	if strings.HasPrefix(value, "/") || strings.HasPrefix(value, "-") {
		return fmt.Errorf("%w: it starts with %q, so the program would read it as a switch", ErrUnsafe, value[:1])
	}
	return nil
}

// special holds the characters that make an argument need quotes: the ones
// cmd.exe acts on outside quotes, and the ones CommandLineToArgvW splits on.
const special = " \t&|<>^()@,;=!`'+[]{}~"

// Quote returns value as one argument, quoted if it needs to be.
func Quote(value string) (string, error) {
	if err := Check(value); err != nil {
		return "", err
	}
	if value != "" && !strings.ContainsAny(value, special) {
		return value, nil
	}
	// Backslashes are literal to CommandLineToArgvW unless they precede a
	// quote; the only quote inside is the closing one, so double the
	// backslashes that run up to it.
	trailing := len(value) - len(strings.TrimRight(value, `\`))
	return `"` + value + strings.Repeat(`\`, trailing) + `"`, nil
}

// Builder assembles one command line. The first error sticks and is
// returned by Line, so call sites can chain without checking each step.
type Builder struct {
	b   strings.Builder
	err error
}

// New starts a line that runs program, quoted as an argument.
func New(program string) *Builder {
	b := &Builder{}
	b.arg(program)
	return b
}

// NewRaw starts a line with trusted text that the caller wrote itself, such
// as `%windir%\system32\inetsrv\iissync.exe` or a cmd.exe built-in. It must
// never contain a user's value.
func NewRaw(trusted string) *Builder {
	b := &Builder{}
	b.b.WriteString(trusted)
	return b
}

func (b *Builder) arg(v string) {
	if b.err != nil {
		return
	}
	q, err := Quote(v)
	if err != nil {
		b.err = fmt.Errorf("argument %q %w", v, err)
		return
	}
	if b.b.Len() > 0 {
		b.b.WriteByte(' ')
	}
	b.b.WriteString(q)
}

// Arg appends each value as one argument.
func (b *Builder) Arg(values ...string) *Builder {
	for _, v := range values {
		b.arg(v)
	}
	return b
}

// Data appends each value as one argument that must be read as data, not
// a switch (CheckData): a service, group, account or value name.
func (b *Builder) Data(values ...string) *Builder {
	for _, v := range values {
		if b.err != nil {
			return b
		}
		if err := CheckData(v); err != nil {
			b.err = fmt.Errorf("argument %q %w", v, err)
			return b
		}
		b.arg(v)
	}
	return b
}

// Raw appends trusted text written by the caller, after a space.
func (b *Builder) Raw(trusted string) *Builder {
	if b.err == nil {
		if b.b.Len() > 0 {
			b.b.WriteByte(' ')
		}
		b.b.WriteString(trusted)
	}
	return b
}

// Flag appends a switch whose value is glued to it, as in /u:"C:\a b.txt"
// or /cfg:value; the value is quoted on its own.
func (b *Builder) Flag(flag, value string) *Builder {
	if b.err != nil {
		return b
	}
	q, err := Quote(value)
	if err != nil {
		b.err = fmt.Errorf("value %q of %s %w", value, flag, err)
		return b
	}
	if b.b.Len() > 0 {
		b.b.WriteByte(' ')
	}
	b.b.WriteString(flag + q)
	return b
}

// AppendTo redirects standard output to the end of path (>>"path"), with
// no space before it, so that echo writes no trailing blank.
func (b *Builder) AppendTo(path string) *Builder { return b.redirect(">>", path) }

// WriteTo redirects standard output to path, replacing it (>"path").
func (b *Builder) WriteTo(path string) *Builder { return b.redirect(">", path) }

// InputFromNul feeds standard input from nul (< nul), for a program that
// reads its input to the end before it answers when that input is a pipe,
// as wmic does (rundeck/rundeck#2511 through winrs; bmrf/tron#108 on XP).
func (b *Builder) InputFromNul() *Builder {
	if b.err == nil {
		b.b.WriteString(" < nul")
	}
	return b
}

func (b *Builder) redirect(op, path string) *Builder {
	if b.err != nil {
		return b
	}
	if err := Check(path); err != nil {
		b.err = fmt.Errorf("redirection target %q %w", path, err)
		return b
	}
	b.b.WriteString(op + `"` + path + `"`)
	return b
}

// Line returns the finished command line.
func (b *Builder) Line() (string, error) {
	if b.err != nil {
		return "", b.err
	}
	line := b.b.String()
	// cmd.exe /c removes the first and the last quote of a line that starts
	// with one (unless the line is exactly one quoted program name). Wrap
	// such a line in one more pair, which is what cmd.exe then removes.
	if strings.HasPrefix(line, `"`) {
		line = `"` + line + `"`
	}
	if len(line) > MaxLine {
		return "", fmt.Errorf("command line is %d characters, over cmd.exe's limit of %d", len(line), MaxLine)
	}
	return line, nil
}

// MustLine is Line for lines built only from constants; it panics on error,
// which would be a bug in the caller, never a user's input.
func (b *Builder) MustLine() string {
	line, err := b.Line()
	if err != nil {
		panic("cmdline: " + err.Error())
	}
	return line
}
