package modules_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/modules"
)

func TestWaitForValidates(t *testing.T) {
	for _, tt := range []struct {
		w     modules.WaitFor
		field string
	}{
		{modules.WaitFor{Service: "", State: "stopped"}, "service"},
		{modules.WaitFor{Service: "a%b", State: "stopped"}, "service"},
		{modules.WaitFor{Service: "ClusSvc", State: "gone"}, "state"},
		{modules.WaitFor{Service: "ClusSvc", State: "stopped", Timeout: "soon"}, "timeout"},
		{modules.WaitFor{Service: "ClusSvc", State: "stopped", Timeout: "-1s"}, "timeout"},
	} {
		errs := tt.w.Validate()
		require.Len(t, errs, 1, "%+v", tt.w)
		assert.Equal(t, tt.field, errs[0].Field)
	}
	assert.Empty(t, (&modules.WaitFor{Service: "ClusSvc", State: "running", Timeout: "2m"}).Validate())
}

func TestWaitForWaitsUntilTheStateComes(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	// The service stops a little later, while wait_for polls.
	stopped := make(chan int)
	go func() {
		time.Sleep(100 * time.Millisecond)
		stopped <- l.Host("node1").Machine().Exec(context.Background(), &wsman.Process{
			Line: "sc stop Spooler", Stdout: io.Discard, Stderr: io.Discard, Stdin: strings.NewReader("")})
	}()
	start := time.Now()
	res, err := labtest.Run(t, l, "node1", &modules.WaitFor{Service: "Spooler", State: "stopped", Timeout: "10s"}, false)
	require.NoError(t, err)
	assert.Equal(t, "Spooler is STOPPED", res.Msg)
	assert.False(t, res.Changed)
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
	require.Zero(t, <-stopped)

	_, err = labtest.Run(t, l, "node1", &modules.WaitFor{Service: "Spooler", State: "running", Timeout: "200ms"}, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "timed out after 200ms waiting for Spooler to be RUNNING")
	assert.Contains(t, err.Error(), "(it is STOPPED)")

	_, err = labtest.Run(t, l, "node1", &modules.WaitFor{Service: "NoSuchSvc", State: "running"}, false)
	require.ErrorIs(t, err, modules.ErrNoService)
}

// TestWaitForInCheckMode: a dry run waits as the real run does, unless an
// earlier task of the run would bring the state about.
func TestWaitForInCheckMode(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	stopService(t, l.Host("node1"), "W3SVC")
	running := &modules.WaitFor{Service: "W3SVC", State: "running", Timeout: "200ms"}

	waiting := labtest.Task(t, l, "node1", true)
	_, err := runTask(t, running, waiting)
	require.Error(t, err, "nothing would start it, so the real run will time out")
	assert.Contains(t, err.Error(), "timed out after 200ms")
	assert.Greater(t, len(waiting.Host.(*labtest.Guard).Sent), 1, "a wait polls")

	task := labtest.Task(t, l, "node1", true)
	task.Predicted = predicting(modules.ServiceKey("W3SVC", "state"), "start the web service")
	res, err := runTask(t, running, task)
	require.NoError(t, err)
	// Counted, not timed: one query, where waiting would have polled.
	assert.Len(t, task.Host.(*labtest.Guard).Sent, 1, "it waited for what only a prediction would bring")
	assert.Contains(t, res.Msg, `would wait up to 200ms for W3SVC to be RUNNING (it is STOPPED now; task "start the web service" would change it first)`)

	// A state that holds already is reported as in a real run.
	res, err = runTask(t, &modules.WaitFor{Service: "W3SVC", State: "stopped"}, task)
	require.NoError(t, err)
	assert.Equal(t, "W3SVC is STOPPED", res.Msg)
	assert.Empty(t, labtest.Changes(l, "node1"))
}

// A wait notices that the host rebooted under it, and says so, instead of
// waiting out its whole timeout for a service that the boot started again.
func TestWaitForNoticesAReboot(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	h := l.Host("node1")
	task := labtest.Task(t, l, "node1", false)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := (&modules.WaitFor{Service: "Spooler", State: "stopped", Timeout: "40s"}).Run(ctx, task)
		done <- err
	}()
	// Reboot the host once the wait is polling.
	require.Eventually(t, func() bool {
		n := 0
		for _, e := range h.Log() {
			if strings.Contains(e.Line, "query Spooler") {
				n++
			}
		}
		return n >= 2
	}, 10*time.Second, 5*time.Millisecond)
	booted := h.Booted()
	h.Crash()
	<-booted
	select {
	case err := <-done:
		require.Error(t, err)
		assert.ErrorIs(t, err, modules.ErrRebooted)
		assert.Contains(t, err.Error(), "node1: the host rebooted during the wait (boot time ")
		t.Log(err)
		assert.Contains(t, err.Error(), "RUNNING")
		assert.Less(t, time.Since(start), 30*time.Second)
	case <-time.After(30 * time.Second):
		t.Fatal("the wait did not notice the reboot")
	}
}
