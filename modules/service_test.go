package modules_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/modules"
)

func TestServiceStopsDependentsFirstAndIsIdempotent(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	svc := &modules.Service{Name: "IISADMIN", State: "stopped", StartMode: "manual", ForceDependents: true}

	// Check mode predicts the change and sends nothing that changes.
	res, err := labtest.Run(t, l, "node1", svc, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Empty(t, labtest.Changes(l, "node1"))
	assert.Equal(t, "running", l.Host("node1").Dump().Services["IISADMIN"].State)

	res, err = labtest.Run(t, l, "node1", svc, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	st := l.Host("node1").Dump().Services
	assert.Equal(t, "stopped", st["IISADMIN"].State)
	assert.Equal(t, "stopped", st["W3SVC"].State, "a dependent of IISADMIN keeps running")
	assert.Equal(t, "demand", st["IISADMIN"].StartType)
	assert.Empty(t, labtest.Changes(l, "node2"), "node2 was touched")

	res, err = labtest.Run(t, l, "node1", svc, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, "second run changed something: %s", res.Msg)
}

func TestServiceStartModes(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	for _, tt := range []struct {
		mode, sc string
	}{
		{"delayed", "auto"}, {"disabled", "disabled"}, {"manual", "demand"}, {"auto", "auto"},
	} {
		svc := &modules.Service{Name: "Spooler", StartMode: tt.mode}
		res, err := labtest.Run(t, l, "node1", svc, false)
		require.NoError(t, err, tt.mode)
		assert.True(t, res.Changed, "%s: %s", tt.mode, res.Msg)
		st := l.Host("node1").Dump().Services["Spooler"]
		assert.Equal(t, tt.sc, st.StartType, tt.mode)
		assert.Equal(t, "running", st.State, "%s: a start mode alone does not stop or start", tt.mode)
		read, err := modules.QueryService(context.Background(), labtest.Task(t, l, "node1", true), "Spooler")
		require.NoError(t, err)
		assert.Equal(t, tt.mode, read.StartMode, "sc qc reads back what was set")

		res, err = labtest.Run(t, l, "node1", svc, false)
		require.NoError(t, err)
		assert.False(t, res.Changed, "%s twice: %s", tt.mode, res.Msg)
	}
	// The last change was back to auto, sent as sc config start= auto.
	changes := labtest.Changes(l, "node1")
	require.NotEmpty(t, changes)
	assert.Equal(t, "sc.exe config Spooler start= delayed-auto", changes[0].Line)
}

func TestServiceDisabledCannotBeStarted(t *testing.T) {
	svc := &modules.Service{Name: "Spooler", State: "started", StartMode: "disabled"}
	errs := svc.Validate()
	require.Len(t, errs, 1)
	assert.Equal(t, "start_mode", errs[0].Field)
}

func TestServiceRestartedAlwaysChanges(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	svc := &modules.Service{Name: "Spooler", State: "restarted"}
	for i := 0; i < 2; i++ {
		res, err := labtest.Run(t, l, "node1", svc, false)
		require.NoError(t, err)
		assert.True(t, res.Changed, "a restart is a change every time")
		assert.Equal(t, "running", l.Host("node1").Dump().Services["Spooler"].State)
	}
	var lines []string
	for _, e := range labtest.Changes(l, "node1") {
		lines = append(lines, e.Line)
	}
	assert.Equal(t, []string{"sc.exe stop Spooler", "sc.exe start Spooler", "sc.exe stop Spooler", "sc.exe start Spooler"}, lines)

	// A stopped service is only started.
	stopService(t, l.Host("node1"), "Spooler")
	_, err := labtest.Run(t, l, "node1", svc, false)
	require.NoError(t, err)
	lines = nil
	for _, e := range labtest.Changes(l, "node1") {
		lines = append(lines, e.Line)
	}
	assert.Equal(t, []string{"sc.exe start Spooler"}, lines)
}

// TestServiceLostReplyReadsStateAgain: when the reply to sc stop is lost,
// the module reads the service again instead of resending the command;
// it sends it again only when the state shows it never ran.
func TestServiceLostReplyReadsStateAgain(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		fault wsman.InjectKind
		sends int
	}{
		{wsman.LoseReply, 1}, // it ran: not sent again
		{wsman.Drop, 2},      // it never arrived: sent again, knowingly
	} {
		l := labtest.Start(t)
		var mu sync.Mutex
		var wire []string // command lines as they reached the host, in order
		stops := 0
		l.Host("node1").Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
			if r.Action != "Command" {
				return wsman.Injection{}
			}
			mu.Lock()
			defer mu.Unlock()
			wire = append(wire, r.CommandLine)
			if strings.Contains(r.CommandLine, "sc.exe stop Spooler") {
				if stops++; stops == 1 {
					return wsman.Injection{Kind: tt.fault}
				}
			}
			return wsman.Injection{}
		}))
		res, err := labtest.Run(t, l, "node1", &modules.Service{Name: "Spooler", State: "stopped"}, false)
		require.NoError(t, err, "fault %d", tt.fault)
		assert.True(t, res.Changed)
		assert.Equal(t, "stopped", l.Host("node1").Dump().Services["Spooler"].State)

		mu.Lock()
		var sent []int
		for i, line := range wire {
			if strings.Contains(line, "sc.exe stop Spooler") {
				sent = append(sent, i)
			}
		}
		require.Len(t, sent, tt.sends, "fault %d: %q", tt.fault, wire)
		require.Greater(t, len(wire), sent[0]+1)
		assert.Contains(t, wire[sent[0]+1], "sc.exe query Spooler", "after the lost reply it did not read the state first: %q", wire)
		mu.Unlock()
		ran := 0
		for _, e := range labtest.Changes(l, "node1") {
			if e.Line == "sc.exe stop Spooler" {
				ran++
			}
		}
		assert.Equal(t, 1, ran, "fault %d: the service was stopped more than once", tt.fault)
	}
}
