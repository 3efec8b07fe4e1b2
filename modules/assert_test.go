package modules_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/modules"
)

// stopService stops a service on a lab host directly and waits until it
// has stopped.
func stopService(t *testing.T, h *lab.Host, name string) {
	t.Helper()
	labtest.Exec(t, h, "sc stop "+name)
	require.Eventually(t, func() bool { return h.Dump().Services[name].State == "stopped" }, 10*time.Second, 5*time.Millisecond)
	h.Machine().ClearLog()
}

// predicting returns a Predicted function that knows of one earlier task
// predicted to change key.
func predicting(key, task string) func(string) string {
	return func(k string) string {
		if k == key {
			return task
		}
		return ""
	}
}

func runTask(t *testing.T, m modules.Module, task *modules.Task) (*modules.Result, error) {
	t.Helper()
	require.Empty(t, m.Validate())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return m.Run(ctx, task)
}

func TestAssertService(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	stopService(t, l.Host("node1"), "W3SVC")
	running := &modules.Assert{Service: "W3SVC", State: "running"}

	_, err := labtest.Run(t, l, "node1", running, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node1: assertion failed: W3SVC is STOPPED, not RUNNING")

	res, err := labtest.Run(t, l, "node2", running, false)
	require.NoError(t, err)
	assert.Equal(t, "all assertions passed", res.Msg)
	assert.False(t, res.Changed)

	res, err = labtest.Run(t, l, "node1", &modules.Assert{Service: "W3SVC", StartMode: "auto", State: "stopped"}, false)
	require.NoError(t, err, "both hold")
	assert.NotNil(t, res)

	_, err = labtest.Run(t, l, "node1", &modules.Assert{That: []bool{true, false}, FailMsg: "not yet"}, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not yet (that[1] is false)")
	assert.Empty(t, labtest.Changes(l, "node1"), "assert changed something")
}

// TestAssertInCheckMode: a dry run softens a failing assertion only when
// an earlier task of the run would change that very property.
func TestAssertInCheckMode(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	stopService(t, l.Host("node1"), "W3SVC")
	running := &modules.Assert{Service: "W3SVC", State: "running"}

	// Nothing would start it: the real run will fail, so does the dry run.
	_, err := runTask(t, running, labtest.Task(t, l, "node1", true))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "W3SVC is STOPPED, not RUNNING")

	// A task that changes its start mode does not make its state hold.
	task := labtest.Task(t, l, "node1", true)
	task.Predicted = predicting(modules.ServiceKey("W3SVC", "start_mode"), "set it to auto")
	_, err = runTask(t, running, task)
	require.Error(t, err)

	// An earlier task would start it (keys are case-insensitive, as
	// service names are).
	task = labtest.Task(t, l, "node1", true)
	task.Predicted = predicting(modules.ServiceKey("w3svc", "state"), "start the web service")
	res, err := runTask(t, running, task)
	require.NoError(t, err)
	assert.Contains(t, res.Msg, `cannot hold yet in a dry run: W3SVC is STOPPED, not RUNNING now; task "start the web service" would change it first`)

	// A failing expression is never softened.
	task = labtest.Task(t, l, "node1", true)
	task.Predicted = predicting(modules.ServiceKey("W3SVC", "state"), "start the web service")
	_, err = runTask(t, &modules.Assert{That: []bool{false}, Service: "W3SVC", State: "running"}, task)
	require.Error(t, err)
	assert.Empty(t, labtest.Changes(l, "node1"))
}

// TestServiceKeyMatchesServiceKeys: assert and wait_for find the service
// module's predictions only if both spell the keys alike.
func TestServiceKeyMatchesServiceKeys(t *testing.T) {
	keys := (&modules.Service{Name: "ClusSvc", State: "stopped", StartMode: "manual"}).Keys()
	assert.ElementsMatch(t, []string{modules.ServiceKey("CLUSSVC", "state"), modules.ServiceKey("clussvc", "start_mode")}, keys)
}
