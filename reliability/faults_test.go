package reliability_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/runner"
)

const faultArea = "fault matrix"

// changingTask is a task that changes one thing, with retries, and how
// to see it in the lab: the substring of its changing command, and the
// tool that logs it.
type changingTask struct {
	name, body, substr, tool string
}

var changingTasks = []changingTask{
	{"command", `command { argv = ["cluster", "group", "Web Group", "/move:NODE2"] }`, "cluster group", "cluster"},
	{"registry", `registry {
      key  = "HKLM\\SOFTWARE\\winplay"
      name = "x"
      data = "1"
    }`, "reg.exe add", "reg"},
	{"service", `service {
      name  = "Spooler"
      state = "stopped"
    }`, "stop Spooler", "sc"},
	{"group_member", `group_member {
      name    = "Guests"
      members = ["CORP\\IUSR_CLUSTER"]
    }`, "/add", "net"},
	{"cluster", `cluster {
      group = "Web Group"
      owner = "NODE2"
    }`, "/move:", "cluster"},
}

// networkFault gives the first Command whose line holds substr a fault,
// or the Receive right after it.
type networkFault struct {
	name    string
	inject  func(*faultState, wsman.Request) wsman.Injection
	timeout string // the task's timeout, for a reply slower than it
}

type faultState struct {
	mu     sync.Mutex
	substr string
	sends  int
	armed  bool
}

var networkFaults = []networkFault{
	{"drop before reply", func(f *faultState, r wsman.Request) wsman.Injection {
		if f.first(r) {
			return wsman.Injection{Kind: wsman.Drop}
		}
		return wsman.Injection{}
	}, ""},
	{"reply lost after execution", func(f *faultState, r wsman.Request) wsman.Injection {
		if f.first(r) {
			return wsman.Injection{Kind: wsman.LoseReply}
		}
		return wsman.Injection{}
	}, ""},
	{"500", func(f *faultState, r wsman.Request) wsman.Injection {
		if f.afterFirst(r) {
			return wsman.Injection{Kind: wsman.Fault500}
		}
		return wsman.Injection{}
	}, ""},
	{"401", func(f *faultState, r wsman.Request) wsman.Injection {
		if f.first(r) {
			return wsman.Injection{Kind: wsman.Unauthorized}
		}
		return wsman.Injection{}
	}, ""},
	{"slow reply past deadline", func(f *faultState, r wsman.Request) wsman.Injection {
		if f.afterFirst(r) {
			return wsman.Injection{Delay: 3 * time.Second}
		}
		return wsman.Injection{}
	}, "1500ms"},
}

// first reports whether r is the first Command of the changing line.
func (f *faultState) first(r wsman.Request) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Action != "Command" || !strings.Contains(r.CommandLine, f.substr) {
		return false
	}
	f.sends++
	return f.sends == 1
}

// afterFirst reports whether r is the Receive right after the first
// Command of the changing line.
func (f *faultState) afterFirst(r wsman.Request) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Action == "Command" && strings.Contains(r.CommandLine, f.substr):
		f.sends++
		f.armed = f.sends == 1
	case r.Action == "Receive" && f.armed:
		f.armed = false
		return true
	}
	return false
}

// honest checks a result against what the lab ran: a change that ran is
// reported changed, or failed saying its outcome is unknown; one that did
// not run is not reported changed; no result is a panic.
func honest(ev runner.Event, ran int) string {
	switch {
	case strings.Contains(ev.Error, "internal error"):
		return "panicked: " + ev.Error
	case ran > 1:
		return fmt.Sprintf("the change ran %d times", ran)
	case ran == 1 && ev.Status == modules.StatusOK:
		return "it ran, and the result says ok"
	case ran == 0 && ev.Status == modules.StatusChanged:
		return "it did not run, and the result says changed"
	}
	return ""
}

// The fault matrix: every changing task with retries, under every fault
// of the network and the host.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	for _, task := range changingTasks {
		for _, fault := range networkFaults {
			t.Run(task.name+"/"+fault.name, func(t *testing.T) {
				t.Parallel()
				l := labtest.Start(t)
				h := l.Host("node1")
				f := &faultState{substr: task.substr}
				h.Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection { return fault.inject(f, r) }))
				timeoutLine := ""
				if fault.timeout != "" {
					timeoutLine = fmt.Sprintf("timeout = %q\n    ", fault.timeout)
				}
				r := runPlaybook(t, timeout(t), labtest.Inventory(t, l), fmt.Sprintf(`play "p" {
  hosts = ["node1"]
  task "change" {
    retries = 2
    delay   = "0s"
    %s%s
  }
}`, timeoutLine, task.body), runner.Options{})
				ev, ok := r.rec.result("change", "node1")
				why := ""
				switch {
				case !ok:
					why = "no result"
				default:
					why = honest(ev, labtest.Ran(h, task.tool))
				}
				if why == "" && openShells(l) != 0 {
					why = fmt.Sprintf("%d shells left open", openShells(l))
				}
				try(t, faultArea, why == "", "%s under %q: %s (%s: %s)", task.name, fault.name, why, ev.Status, ev.Error)
			})
		}
	}
}

// A host that reboots and never comes back, and one that reboots a second
// time by itself: the reboot is sent once, the result says what happened,
// and no shell stays open.
func TestFaultMatrixReboots(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(*lab.Host)
		want  modules.Status
		msg   string
	}{
		{"host never returns", func(h *lab.Host) { h.NeverReturn(true) }, modules.StatusFailed, "timed out"},
		// The second reboot comes in the stability window (see crashWhenWatching).
		{"host reboots twice", nil, modules.StatusChanged, "further, unmanaged reboot"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := labtest.Start(t)
			h := l.Host("node1")
			opts := runner.Options{}
			if tc.setup != nil {
				tc.setup(h)
			} else {
				opts.Events = &crashWhenWatching{h: h}
			}
			r := runPlaybook(t, timeout(t), labtest.Inventory(t, l), `play "p" {
  hosts = ["node1"]
  task "reboot" {
    reboot {
      down_timeout = "3s"
      stable_for   = "1s"
    }
  }
}`, opts)
			ev, ok := r.rec.result("reboot", "node1")
			why := ""
			switch {
			case !ok:
				why = "no result"
			case labtest.Ran(h, "shutdown") != 1:
				why = fmt.Sprintf("shutdown ran %d times", labtest.Ran(h, "shutdown"))
			case ev.Status != tc.want || !contains(ev.Msg+ev.Error, tc.msg):
				why = fmt.Sprintf("%s: %s%s, want %s with %q", ev.Status, ev.Msg, ev.Error, tc.want, tc.msg)
			case openShells(l) != 0:
				why = fmt.Sprintf("%d shells left open", openShells(l))
			}
			try(t, faultArea, why == "", "%s: %s", tc.name, why)
		})
	}
}

// crashWhenWatching reboots the host, once, when the reboot module opens
// its stability window: the unmanaged second reboot it must catch.
type crashWhenWatching struct {
	h    *lab.Host
	once sync.Once
}

func (c *crashWhenWatching) Event(ev runner.Event) {
	if ev.Type == runner.EventProgress && strings.HasPrefix(ev.Msg, "back and ready; watching ") {
		c.once.Do(func() { go c.h.Crash() })
	}
}

// At a small shell quota, a run whose readiness probe fails keeps within
// it: every shell given up is deleted.
func TestFaultMatrixShellQuota(t *testing.T) {
	t.Parallel()
	l := labtest.StartConfig(t, lab.Config{Hosts: []lab.HostSpec{{Name: "node1"}}, Quotas: wsman.Quotas{MaxShellsPerUser: 2}})
	r := runPlaybook(t, timeout(t), labtest.Inventory(t, l), `play "p" {
  hosts = ["node1"]
  task "reboot and wait for a service that is not there" {
    ignore_errors = true
    reboot {
      ready_timeout = "3s"
      wait_services = { ClusSv = "running" }
    }
  }
  task "then change something" {
    registry {
      key  = "HKLM\\SOFTWARE\\winplay"
      name = "x"
      data = "1"
    }
  }
}`, runner.Options{})
	ev, _ := r.rec.result("then change something", "node1")
	first, _ := r.rec.result("reboot and wait for a service that is not there", "node1")
	why := ""
	switch {
	case strings.Contains(r.output(), "2150859173") || contains(r.output(), "shell quota") || contains(first.Error, "too many"):
		why = "hit the shell quota"
	case !strings.Contains(first.Error, "ClusSv"):
		why = "the probe's failure does not name the service: " + first.Error
	case ev.Status != modules.StatusChanged:
		why = fmt.Sprintf("the next task: %s %s", ev.Status, ev.Error)
	case openShells(l) != 0:
		why = fmt.Sprintf("%d shells left open", openShells(l))
	}
	try(t, faultArea, why == "", "shell quota: %s", why)
}

// A run killed while a changing command runs, then run again: the change
// happens once, the journal marks the task that was running, and the
// second run finds the change in place (or makes it, when the kill came
// before the command started), never sending it a second time.
func TestFaultMatrixKilledAndRerun(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	h := l.Host("node1")
	const pb = `play "p" {
  hosts = ["node1"]
  task "stop the spooler" {
    service {
      name  = "Spooler"
      state = "stopped"
    }
  }
}`
	// The command runs; its reply is slow, and the run is killed while it
	// waits for it.
	waiting := make(chan struct{})
	var once sync.Once
	f := &faultState{substr: "stop Spooler"}
	h.Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
		if f.afterFirst(r) {
			once.Do(func() { close(waiting) })
			return wsman.Injection{Delay: 5 * time.Second}
		}
		return wsman.Injection{}
	}))
	ctx, kill := context.WithCancel(context.Background())
	go func() { <-waiting; kill() }()
	first := runPlaybook(t, ctx, labtest.Inventory(t, l), pb, runner.Options{})
	kill()
	h.Inject(nil)
	ranFirst := labtest.Ran(h, "sc")
	second := runPlaybook(t, timeout(t), labtest.Inventory(t, l), pb, runner.Options{})
	ev, _ := second.rec.result("stop the spooler", "node1")
	why := ""
	switch {
	case !strings.Contains(first.journal, `"task_start"`) || strings.Contains(first.journal, `"task_result"`) && !strings.Contains(first.journal, "interrupted"):
		why = "the journal does not mark the task that was running: " + first.journal
	case labtest.Ran(h, "sc") != 1:
		why = fmt.Sprintf("sc stop ran %d times in the killed run, %d in all", ranFirst, labtest.Ran(h, "sc"))
	case ranFirst == 1 && ev.Status != modules.StatusOK, ranFirst == 0 && ev.Status != modules.StatusChanged:
		// The kill may come before the command starts; then the second
		// run is the one that stops it.
		why = fmt.Sprintf("the second run, after %d stop(s) in the first: %s %s%s", ranFirst, ev.Status, ev.Msg, ev.Error)
	case openShells(l) != 0:
		why = fmt.Sprintf("%d shells left open", openShells(l))
	}
	try(t, faultArea, why == "", "killed and rerun: %s", why)
}
