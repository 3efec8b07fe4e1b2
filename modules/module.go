// Package modules knows Windows: each module reads a host's state with
// read-only commands, works out the change it would make, and makes it
// only outside check mode.
//
// A module never talks to WinRM itself. It runs marked command lines through
// the Host it is given, and the Host enforces check mode: a command marked
// as changing is refused while the run is a dry run, so a module cannot leak
// a change even if it forgets to look at Task.Check.
package modules

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/winplay/winplay/modules/cmdline"
	"github.com/winplay/winplay/modules/win"
)

// Command is one cmd.exe command line to run on a host. Lines are built with
// the cmdline package, never by concatenating user strings.
type Command struct {
	Line string
	// Changes marks a command that changes the host. The host refuses it in
	// check mode and never resends it blindly after a lost reply.
	Changes bool
	// Display, when set, is what logs and errors show instead of Line: an
	// upload's chunk carries the file's bytes in base64, which may be a
	// secret no redactor can recognise, and is 6,000 characters of noise.
	Display string
	// err is why the line could not be built; Task.Run returns it instead
	// of sending anything.
	err error
}

// Shown is the command as logs and errors show it: Display, or Line.
func (c Command) Shown() string {
	if c.Display != "" {
		return c.Display
	}
	return c.Line
}

// Read is a read-only command built by b.
func Read(b *cmdline.Builder) Command {
	line, err := b.Line()
	return Command{Line: line, err: err}
}

// Change is a changing command built by b.
func Change(b *cmdline.Builder) Command {
	line, err := b.Line()
	return Command{Line: line, Changes: true, err: err}
}

// Output is what a finished command printed and its exit code.
type Output struct {
	Stdout   string
	Stderr   string
	ExitCode int
}

// Combined returns stdout and stderr together, for error messages.
func (o Output) Combined() string {
	s := strings.TrimSpace(o.Stdout)
	if e := strings.TrimSpace(o.Stderr); e != "" {
		if s != "" {
			s += "\n"
		}
		s += e
	}
	return s
}

// Host is what a module needs from a connection to one Windows host.
type Host interface {
	// Name is the host's inventory name.
	Name() string
	// Run runs one command to completion. A non-zero exit code is not an
	// error; errors are the transport's (see the Err values below).
	Run(ctx context.Context, cmd Command) (Output, error)
	// Reset drops the host's shell and pooled connections, so that the next
	// Run connects afresh. Reboot handling calls it while a host is away.
	Reset()
}

// Errors a Host returns. Each one implies a different decision.
var (
	// ErrCheckMode: a changing command was sent during a dry run. The host
	// refused it, so nothing changed; the module has a bug.
	ErrCheckMode = errors.New("refused a changing command in check mode")
	// ErrUnreachable: the host could not be reached (connection refused,
	// timed out, credentials rejected) and the command was never delivered.
	// Safe to retry; the runner takes the host out of the play.
	ErrUnreachable = errors.New("host unreachable")
	// ErrOutcomeUnknown: a changing command was delivered, or may have been,
	// but its reply was lost. It must not be resent: read the state again
	// and decide.
	ErrOutcomeUnknown = errors.New("command sent but its reply was lost")
)

// Task is everything a module run gets besides its own arguments.
type Task struct {
	// Host is the connection the task runs on: the target host, or the host
	// named by the task's `on` meta-argument.
	Host Host
	// Target is the inventory name of the host the task is for (host.name).
	// It differs from Host.Name() when the task is delegated with `on`.
	Target string
	// Check is true in a dry run: read, report, change nothing.
	Check bool
	// Diff asks for before/after text in the result.
	Diff bool
	// Peer returns the connection to another inventory host, for read-only
	// checks aimed at it (IISSYNC compares source and target). It enforces
	// check mode as Host does.
	Peer func(name string) (Host, error)
	// Progress reports a line while a module waits (reboots, installs).
	Progress func(format string, args ...any)
	// Phase, when set, is told when a module starts a phase of waiting
	// (a reboot's "down and back", "ready" and "stable", an installer
	// running): its name, what the host is doing in words ("waiting for it
	// to come back"), and how long it may take (0: no budget of its own).
	// Live progress shows it as "node2: waiting for it to come back, 21 s
	// of 10 m".
	Phase func(name, doing string, budget time.Duration)
	// Timing scales the waits of modules that wait; zero values mean the
	// defaults of each module.
	Timing Timing
	// Predicted, in a dry run, returns the name of an earlier task of the
	// run that would change the property key (as Keyer names them, see
	// ServiceKey) on this task's host, or "". A check that fails now may
	// then hold in the real run; one no earlier task touches will not.
	Predicted func(key string) string

	// facts caches, by host name, facts read for hosts that do not keep
	// them (see Facts).
	facts map[string]*win.Facts
}

// PredictedBy is Predicted, or "" outside a dry run.
func (t *Task) PredictedBy(key string) string {
	if t.Predicted == nil {
		return ""
	}
	return t.Predicted(key)
}

// ServiceKey names a property (state, start_mode) of a service, for
// Service.Keys and for the modules that check what a service task changes.
func ServiceKey(service, property string) string {
	return "service:" + strings.ToLower(service) + ":" + property
}

// Timing holds the budgets of waits that modules perform. The lab scales
// them down; the defaults suit real hosts.
type Timing struct {
	// Poll is the first interval between polls of a state (service state,
	// boot time); backoff grows from it.
	Poll time.Duration
	// MaxBackoff caps the backoff between polls.
	MaxBackoff time.Duration
	// Stable is how long a rebooted host must stay up before it counts as
	// back (the window that catches a second, unmanaged reboot).
	Stable time.Duration
	// RebootPhase is the default budget of each waiting phase of a reboot
	// (going down and coming back; ready) when the task sets none.
	RebootPhase time.Duration
}

// StartPhase reports the start of a phase of waiting, if the runner
// asked for it (see Task.Phase).
func (t *Task) StartPhase(name, doing string, budget time.Duration) {
	if t.Phase != nil {
		t.Phase(name, doing, budget)
	}
}

// Progressf reports progress if the runner asked for it.
func (t *Task) Progressf(format string, args ...any) {
	if t.Progress != nil {
		t.Progress(format, args...)
	}
}

// Run runs cmd on the task's host and wraps a transport error with the host
// and the command line, so that every failure names both.
func (t *Task) Run(ctx context.Context, cmd Command) (Output, error) {
	if cmd.err != nil {
		return Output{}, fmt.Errorf("%s: building a command line: %w", t.Host.Name(), cmd.err)
	}
	out, err := t.Host.Run(ctx, cmd)
	if err != nil {
		return out, &CommandError{Host: t.Host.Name(), Line: cmd.Shown(), Err: err}
	}
	return out, nil
}

// CommandError says which host and which command failed.
type CommandError struct {
	Host string
	Line string
	Err  error
	// Out is set when the command ran but its exit code means failure.
	Out *Output
}

func (e *CommandError) Error() string {
	if e.Out != nil {
		msg := fmt.Sprintf("%s: `%s` exited %d", e.Host, e.Line, e.Out.ExitCode)
		if c := e.Out.Combined(); c != "" {
			msg += ": " + c
		}
		if e.Err != nil {
			msg += " (" + e.Err.Error() + ")"
		}
		return msg
	}
	return fmt.Sprintf("%s: `%s`: %v", e.Host, e.Line, e.Err)
}

func (e *CommandError) Unwrap() error { return e.Err }

// Failed builds the error for a command that ran but exited with a code that
// means failure; meaning, if not empty, explains the code.
func Failed(host string, cmd Command, out Output, meaning string) error {
	var err error
	if meaning != "" {
		err = errors.New(meaning)
	}
	return &CommandError{Host: host, Line: cmd.Shown(), Out: &out, Err: err}
}

// Status is how a task ended on a host.
type Status string

// The statuses a task can end with, as Ansible names them.
const (
	StatusOK          Status = "ok"
	StatusChanged     Status = "changed"
	StatusSkipped     Status = "skipped"
	StatusFailed      Status = "failed"
	StatusUnreachable Status = "unreachable"
)

// Result is what a module reports. A module that fails returns an error
// instead; the runner turns it into a failed result.
type Result struct {
	// Changed is true when the module changed the host, or in check mode
	// would have.
	Changed bool
	// Skipped is true when the module did nothing on purpose; Msg says why.
	Skipped bool
	// Msg is one human sentence: what changed, or what would change.
	Msg string
	// Diff holds before/after when the module can describe them.
	Diff *Diff
	// RebootRequired asks for a reboot (installer exit 3010, a pending
	// rename). A task with `reboot = "if_required"` gets one.
	RebootRequired bool
	// Rebooted is true when the module rebooted the host and waited.
	Rebooted bool
	// Output of the main command, if the module ran one worth showing.
	Output *Output
	// Facts are module-specific values that `register` exposes to later
	// expressions, next to changed, failed, skipped, msg, rc, stdout, stderr.
	Facts map[string]any
	// Phases holds the elapsed time of each phase of a wait (reboots).
	Phases []Phase
}

// Phase is one timed step of a module run.
type Phase struct {
	Name    string
	Elapsed time.Duration
}

// Diff is the before and after state, one line per property.
type Diff struct {
	Before string
	After  string
}

// Lines renders key: value pairs in key order, for a Diff side.
func Lines(kv map[string]string) string {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, kv[k])
	}
	return b.String()
}

// Module is one kind of task. Its exported fields, tagged for gohcl, are its
// arguments; the loader decodes a task's module block into a fresh value.
type Module interface {
	// Validate checks decoded arguments before any host is contacted. Each
	// problem names the offending argument so the error can point at it.
	Validate() []FieldError
	// Run reads state, reports the change and applies it unless t.Check.
	Run(ctx context.Context, t *Task) (*Result, error)
}

// Supporter is a module that works only on some Windows. Supports says,
// from the host's facts, why it cannot work there, naming the host's
// Windows and what to use instead; the runner asks before a play changes
// anything on the host, in check mode too.
type Supporter interface {
	Module
	Supports(f *win.Facts) error
}

// FieldError is a problem with one argument of a module.
type FieldError struct {
	Field string // the argument's name in HCL, "" for the block as a whole
	Msg   string
}

func (e FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Info describes a module kind for the loader and for `winplay doc`.
type Info struct {
	Name string
	// Summary is one line for `winplay doc`.
	Summary string
	// New returns a fresh, zero-valued module to decode arguments into.
	New func() Module
}

var registry = map[string]Info{}

// Register adds a module kind. Each module file registers itself in init.
func Register(info Info) {
	if _, dup := registry[info.Name]; dup {
		panic("modules: duplicate module " + info.Name)
	}
	registry[info.Name] = info
}

// Lookup returns the module kind with this name.
func Lookup(name string) (Info, bool) {
	info, ok := registry[name]
	return info, ok
}

// Names lists every module kind, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
