package runner_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/runner"
	"github.com/winplay/winplay/runner/conn"
)

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
	plan, diags := runner.Load(writePlaybook(t, `play "p" {
  hosts = ["cluster"]
  task "read" {
    command {
      argv      = ["hostname"]
      read_only = true
    }
  }
}`), runner.LoadOptions{})
	require.False(t, diags.HasErrors())
	require.False(t, plan.Bind(inv, nil).HasErrors())
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
