package runner_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/runner"
	"github.com/winplay/winplay/runner/conn"
)

// boundPlan loads src and binds it to inv, failing the test on any error.
func boundPlan(t *testing.T, inv *inventory.Inventory, src string) *runner.Plan {
	t.Helper()
	plan, diags := runner.Load(writePlaybook(t, src), runner.LoadOptions{})
	require.False(t, diags.HasErrors(), diags.Error())
	require.False(t, plan.Bind(inv, nil).HasErrors())
	return plan
}

// buggyConnector's connection to node1 panics as a bug would (a nil map).
type buggyConnector struct{}

func (buggyConnector) Connect(h *inventory.Host) (runner.Connection, error) {
	c, err := conn.Connector{}.Connect(h)
	if err != nil || h.Name != "node1" {
		return c, err
	}
	return buggy{c}, nil
}

type buggy struct{ runner.Connection }

func (buggy) Run(context.Context, modules.Command) (modules.Output, error) {
	var m map[string]int
	m["boom"]++
	return modules.Output{}, nil
}

// A panic while a task runs fails that task on that host, naming both and
// the module; the run goes on elsewhere, the journal is complete, and the
// exit code is a failed task's, not an internal error's.
func TestAPanicFailsTheTaskNotTheRun(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := labtest.Inventory(t, l)
	plan := boundPlan(t, inv, `play "p" {
  hosts = ["cluster"]
  task "read" {
    command {
      argv      = ["hostname"]
      read_only = true
    }
  }
}`)
	journal := t.TempDir() + "/journal.jsonl"
	j, err := runner.OpenJournal(journal)
	require.NoError(t, err)
	rec := &recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sum, err := runner.Run(ctx, plan, inv, runner.Options{Connector: buggyConnector{}, Events: runner.Multi(rec, j), Timing: labtest.Modules})
	require.NoError(t, err)
	require.NoError(t, j.Close())
	res := rec.results()["read"]
	assert.Equal(t, modules.StatusFailed, res["node1"].Status)
	assert.Contains(t, res["node1"].Error, `internal error: the command module panicked on node1 in task "read"`)
	assert.Contains(t, res["node1"].Error, "assignment to entry in nil map")
	assert.Equal(t, modules.StatusOK, res["node2"].Status)
	assert.Equal(t, runner.ExitFailed, sum.ExitCode())
	b, err := os.ReadFile(journal)
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(b), `"event":"task_result"`))
	assert.Contains(t, string(b), `"event":"recap"`)
}

// A run that cannot write its journal stops before its next task, and
// says so; before, --journal /dev/full went on changing hosts and exited
// 0.
func TestAJournalThatCannotBeWrittenStopsTheRun(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := labtest.Inventory(t, l)
	plan := boundPlan(t, inv, `play "p" {
  hosts = ["node1"]
  task "stop the spooler" {
    service {
      name  = "Spooler"
      state = "stopped"
    }
  }
}`)
	j, err := runner.OpenJournal("/dev/full")
	require.NoError(t, err)
	rec := &recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sum, err := runner.Run(ctx, plan, inv, runner.Options{Connector: conn.Connector{}, Events: runner.Multi(rec, j), Timing: labtest.Modules})
	require.ErrorIs(t, err, runner.ErrJournal)
	assert.Contains(t, err.Error(), "no space left on device")
	assert.True(t, sum.Aborted)
	assert.Empty(t, rec.results(), "a task ran")
	assert.Empty(t, labtest.Changes(l, "node1"))
	assert.Equal(t, "running", l.Host("node1").Dump().Services["Spooler"].State)
	assert.Error(t, j.Close())
}

// failAfter is a journal that cannot write after its first task result.
type failAfter struct {
	mu     sync.Mutex
	failed bool
}

func (f *failAfter) Event(ev runner.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ev.Type == runner.EventTaskResult {
		f.failed = true
	}
}

func (f *failAfter) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failed {
		return errors.New("writing journal: disk full")
	}
	return nil
}

func TestAJournalThatFailsMidRunStopsBeforeTheNextTask(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := labtest.Inventory(t, l)
	plan := boundPlan(t, inv, `play "p" {
  hosts = ["node1"]
  task "first" {
    command {
      argv      = ["hostname"]
      read_only = true
    }
  }
  task "second" {
    service {
      name  = "Spooler"
      state = "stopped"
    }
  }
}`)
	rec := &recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := runner.Run(ctx, plan, inv, runner.Options{Connector: conn.Connector{}, Events: runner.Multi(rec, &failAfter{}), Timing: labtest.Modules})
	require.ErrorIs(t, err, runner.ErrJournal)
	assert.Contains(t, rec.results(), "first")
	assert.NotContains(t, rec.results(), "second")
	assert.Equal(t, "running", l.Host("node1").Dump().Services["Spooler"].State)
}

// insecure = true is warned about once per run, naming the hosts whose
// certificates are not verified.
func TestInsecureTLSIsWarnedOncePerRun(t *testing.T) {
	t.Parallel()
	l := labtest.StartConfig(t, lab.Config{HTTPS: true})
	spec := l.InventorySpec(true)
	for _, h := range spec.Hosts {
		h.Conn.Insecure, h.Conn.CAPEM = true, nil
	}
	inv, err := inventory.New(spec)
	require.NoError(t, err)
	path := writePlaybook(t, `play "p" {
  hosts = ["cluster"]
  task "one" {
    command {
      argv      = ["hostname"]
      read_only = true
    }
  }
  task "two" {
    command {
      argv      = ["hostname"]
      read_only = true
    }
  }
}`)
	sum, rec := runOn(t, path, inv, runner.Options{})
	require.Equal(t, runner.ExitOK, sum.ExitCode())
	var warnings []runner.Event
	for _, ev := range rec.events {
		if ev.Type == runner.EventWarning {
			warnings = append(warnings, ev)
		}
	}
	require.Len(t, warnings, 1)
	assert.Equal(t, []string{"node1", "node2"}, warnings[0].Hosts)
	assert.Contains(t, warnings[0].Msg, "insecure = true: the TLS certificates of node1, node2 are not verified")
}
