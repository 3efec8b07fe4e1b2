package runner_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/runner"
)

// writePlaybook writes src to a playbook file of its own.
func writePlaybook(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "playbook.hcl")
	require.NoError(t, os.WriteFile(path, []byte(src), 0o600))
	return path
}

// faultCommands gives the nth Command request (from 1) whose line holds
// substr the fault kinds[n-1]; on500 also answers the Receive right after
// such a Command with a 500 fault, once per listed Command. It counts
// those Commands.
type faultCommands struct {
	mu     sync.Mutex
	substr string
	kinds  []wsman.InjectKind
	on500  map[int]bool
	n      int
	armed  bool
}

func (f *faultCommands) Inject(r wsman.Request) wsman.Injection {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.Action {
	case "Command":
		if !strings.Contains(r.CommandLine, f.substr) {
			return wsman.Injection{}
		}
		f.n++
		f.armed = f.on500[f.n]
		if f.n <= len(f.kinds) {
			return wsman.Injection{Kind: f.kinds[f.n-1]}
		}
	case "Receive":
		if f.armed {
			f.armed = false
			return wsman.Injection{Kind: wsman.Fault500}
		}
	}
	return wsman.Injection{}
}

func (f *faultCommands) sends() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func attemptEvents(rec *recorder) []runner.Event {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []runner.Event
	for _, ev := range rec.events {
		if ev.Type == runner.EventAttempt {
			out = append(out, ev)
		}
	}
	return out
}

// The first finding: retries re-ran a command whose reply was
// lost. A command cannot read back whether it took effect, so it is never
// sent again, whatever the task's retries; the attempt says why.
func TestRetriesNeverResendACommandWhoseReplyWasLost(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]*faultCommands{
		"reply lost":     {substr: "cluster group", kinds: []wsman.InjectKind{wsman.LoseReply}},
		"500 on Receive": {substr: "cluster group", on500: map[int]bool{1: true}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l := labtest.Start(t)
			l.Host("node1").Inject(f)
			path := writePlaybook(t, `play "p" {
  hosts = ["node1"]
  task "move the web group" {
    retries = 3
    delay   = "0s"
    command {
      argv = ["cluster", "group", "Web Group", "/move:NODE2"]
    }
  }
}`)
			_, rec := runOn(t, path, labtest.Inventory(t, l), runner.Options{})
			res := rec.results()["move the web group"]["node1"]
			require.Equal(t, modules.StatusFailed, res.Status, res.Error)
			assert.Contains(t, res.Error, "not sent again")
			assert.Equal(t, 1, f.sends(), "the command was sent again: %s", res.Error)
			assert.Equal(t, 1, labtest.Ran(l.Host("node1"), "cluster"))
			assert.Equal(t, "NODE2", l.Host("node1").Dump().Cluster.Groups["Web Group"].Owner, "the group moved back")
			attempts := attemptEvents(rec)
			require.Len(t, attempts, 1)
			assert.Equal(t, 1, attempts[0].Attempts)
			assert.Contains(t, attempts[0].Msg, "not retried")
			assert.Contains(t, attempts[0].Error, modules.ErrOutcomeUnknown.Error())
		})
	}
}

// A module that reads its state back (a Settler) is retried after a lost
// reply only through a dry run of itself: when the change shows, the
// task is changed and nothing is sent again; when the state proves it
// did not take effect, the task runs again and sends it, once more.
func TestRetriesReadTheStateBeforeSendingAgain(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		kinds    []wsman.InjectKind
		sends    int
		attempts int
		decision string
	}{
		// Apply's own watch sends once more after a drop; the second reply
		// is lost after the command ran: in place.
		{"in place", []wsman.InjectKind{wsman.Drop, wsman.LoseReply}, 2, 1, "shows the change in place"},
		// Both sends were dropped: the state proves nothing ran, so the
		// task runs again, and the third send goes through.
		{"not in place", []wsman.InjectKind{wsman.Drop, wsman.Drop}, 3, 2, "not in place"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := labtest.Start(t)
			f := &faultCommands{substr: "reg.exe add", kinds: tt.kinds}
			l.Host("node1").Inject(f)
			path := writePlaybook(t, `play "p" {
  hosts = ["node1"]
  task "set the value" {
    retries = 2
    delay   = "0s"
    registry {
      key  = "HKLM\\SOFTWARE\\winplay"
      name = "x"
      data = "1"
    }
  }
}`)
			_, rec := runOn(t, path, labtest.Inventory(t, l), runner.Options{})
			res := rec.results()["set the value"]["node1"]
			require.Equal(t, modules.StatusChanged, res.Status, res.Error)
			assert.Equal(t, tt.sends, f.sends())
			assert.Equal(t, 1, labtest.Ran(l.Host("node1"), "reg"), "reg add ran more than once")
			assert.Equal(t, tt.attempts, res.Attempts)
			attempts := attemptEvents(rec)
			require.Len(t, attempts, 1)
			assert.Contains(t, attempts[0].Msg, tt.decision)
		})
	}
}
