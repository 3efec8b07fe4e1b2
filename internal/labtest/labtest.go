// Package labtest starts lab hosts for tests and connects to them over
// real WinRM, at a pace that keeps reboots and installs in milliseconds.
package labtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/modules"
	mwin "github.com/winplay/winplay/modules/win"
	"github.com/winplay/winplay/runner/conn"
)

// Machine is the lab pace of tests: a simulated second is 20ms.
var Machine = win.Timing{Second: 20 * time.Millisecond, Grace: 50 * time.Millisecond, Pending: 10 * time.Millisecond, Install: 50 * time.Millisecond}

// Offline is how long a rebooting test host stays off the network.
const Offline = 300 * time.Millisecond

// Modules is the module timing that suits Machine.
var Modules = modules.Timing{Poll: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Stable: 400 * time.Millisecond, RebootPhase: 5 * time.Second}

// Start starts a lab of the given hosts (node1 and node2 of profile node
// when none are given) on OS-chosen loopback ports, closed at the end of
// the test.
func Start(t testing.TB, hosts ...lab.HostSpec) *lab.Lab {
	t.Helper()
	return StartConfig(t, lab.Config{Hosts: hosts})
}

// StartConfig starts a lab from cfg, filling in the hosts, Machine and
// Offline when they are zero.
func StartConfig(t testing.TB, cfg lab.Config) *lab.Lab {
	t.Helper()
	if len(cfg.Hosts) == 0 {
		cfg.Hosts = []lab.HostSpec{{Name: "node1"}, {Name: "node2"}}
	}
	if cfg.Timing.Second == 0 {
		cfg.Timing = Machine
	}
	if cfg.Offline == 0 {
		cfg.Offline = Offline
	}
	l, err := lab.Start(cfg)
	require.NoError(t, err)
	t.Cleanup(l.Close)
	return l
}

// Inventory returns the lab's inventory (group "cluster", password set).
func Inventory(t testing.TB, l *lab.Lab) *inventory.Inventory {
	t.Helper()
	inv, err := l.Inventory()
	require.NoError(t, err)
	return inv
}

// Connect opens a WinRM connection to the lab host name, closed at the end
// of the test.
func Connect(t testing.TB, l *lab.Lab, name string) *conn.Conn {
	t.Helper()
	h, ok := Inventory(t, l).Host(name)
	require.True(t, ok, "no lab host %q", name)
	c, err := conn.Connector{}.Connect(h)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c.(*conn.Conn)
}

// Guard refuses changing commands in check mode, as the runner's guard
// does, and records every command line it passes on. It learns the host's
// facts once, as the runner does before a host's first task.
type Guard struct {
	modules.Host
	Check bool
	Sent  []modules.Command
	facts *mwin.Facts
}

// Facts reads the host's facts the first time and keeps them.
func (g *Guard) Facts(ctx context.Context) (*mwin.Facts, error) {
	if g.facts == nil {
		f, err := modules.ReadFacts(ctx, g.Host)
		if err != nil {
			return nil, err
		}
		g.facts = f
	}
	return g.facts, nil
}

// Run refuses in check mode what modules.AdmitOn refuses, with the host's
// temporary directories as scratch once its facts are known, and
// otherwise runs the command as AdmitOn marks it.
func (g *Guard) Run(ctx context.Context, cmd modules.Command) (modules.Output, error) {
	var scratch []string
	if g.facts != nil {
		scratch = modules.ScratchDirs(g.facts)
	}
	cmd, err := modules.AdmitOn(cmd, g.Check, scratch)
	if err != nil {
		return modules.Output{}, err
	}
	g.Sent = append(g.Sent, cmd)
	return g.Host.Run(ctx, cmd)
}

// Task returns a module task on lab host name over real WinRM, with Peer
// connecting to the lab's other hosts under the same check mode.
func Task(t testing.TB, l *lab.Lab, name string, check bool) *modules.Task {
	t.Helper()
	return &modules.Task{
		Host:   &Guard{Host: Connect(t, l, name), Check: check},
		Target: name,
		Check:  check,
		Diff:   true,
		Peer: func(peer string) (modules.Host, error) {
			if l.Host(peer) == nil {
				return nil, fmt.Errorf("no lab host %q", peer)
			}
			return &Guard{Host: Connect(t, l, peer), Check: check}, nil
		},
		Progress: func(format string, args ...any) { t.Logf("progress: "+format, args...) },
		Timing:   Modules,
	}
}

// Become makes the task's commands run as the lab user in a scheduled
// task, as the runner runs a task with become {}: in a dry run they run
// in the WinRM session. IISSYNC needs it, since a WinRM session's logon
// cannot reach the other node (the double hop).
func Become(task *modules.Task) *modules.Task {
	if g, ok := task.Host.(*Guard); ok && !task.Check {
		g.Host = modules.BecomeHost(g.Host, modules.Become{User: lab.DefaultUser, Password: lab.DefaultPassword}, Modules.Poll)
	}
	return task
}

// Run validates m and runs it on lab host name, as the runner would. A
// validation error fails the test.
func Run(t testing.TB, l *lab.Lab, name string, m modules.Module, check bool) (*modules.Result, error) {
	t.Helper()
	if errs := m.Validate(); len(errs) > 0 {
		require.Empty(t, errs, "module arguments do not validate")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return m.Run(ctx, Task(t, l, name, check))
}

// Exec runs a command line on lab host h directly, to set up a test, and
// clears the host's command log, so that the test sees only what it sends.
func Exec(t testing.TB, h *lab.Host, line string) {
	t.Helper()
	var out, errs strings.Builder
	code := h.Machine().Exec(context.Background(), &wsman.Process{Line: line, Stdout: &out, Stderr: &errs, Stdin: strings.NewReader("")})
	require.Zero(t, code, "%s: %s%s", line, out.String(), errs.String())
	h.Machine().ClearLog()
}

// TaskLog is h's command log without the facts command the runner sends
// before a host's first task, so that a test sees what the tasks sent.
func TaskLog(h *lab.Host) []win.LogEntry {
	var out []win.LogEntry
	facts := mwin.FactsLine()
	for _, e := range h.Log() {
		if e.Line != facts {
			out = append(out, e)
		}
	}
	return out
}

// Changes returns the log entries of lab host name that changed state.
func Changes(l *lab.Lab, name string) []win.LogEntry { return ChangesOf(l.Host(name)) }

// Ran counts the changing commands of tool (sc, reg, cluster…) h ran.
func Ran(h *lab.Host, tool string) int {
	n := 0
	for _, e := range ChangesOf(h) {
		if e.Tool == tool {
			n++
		}
	}
	return n
}

// ChangesOf returns the log entries of h that changed state.
func ChangesOf(h *lab.Host) []win.LogEntry {
	var out []win.LogEntry
	for _, e := range h.Log() {
		if e.Changes {
			out = append(out, e)
		}
	}
	return out
}
