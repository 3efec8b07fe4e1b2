package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/runner"
)

func at(s int) time.Time { return time.Date(2026, 12, 1, 10, 0, s, 0, time.UTC) }

func rec(ev runner.Event, s int) runner.Record {
	ev.Time = at(s)
	return runner.NewRecord(ev)
}

// A journal appended to by two runs is reported as its last run; a
// phase lasts until the next phase or the task's result.
func TestBuildTakesTheLastRunAndTimesPhases(t *testing.T) {
	first := []runner.Record{
		rec(runner.Event{Type: runner.EventRunStart, Msg: "old.hcl"}, 0),
		rec(runner.Event{Type: runner.EventTaskStart, Play: "p", Task: "old task", Hosts: []string{"node9"}}, 1),
	}
	second := []runner.Record{
		rec(runner.Event{Type: runner.EventRunStart, Msg: "site.hcl", Inputs: &runner.Inputs{Playbook: "site.hcl"}}, 10),
		rec(runner.Event{Type: runner.EventTaskStart, Play: "p", Task: "reboot", Module: "reboot", Hosts: []string{"node2"}}, 11),
		rec(runner.Event{Type: runner.EventPhase, Play: "p", Task: "reboot", Host: "node2", Phase: "down and back", Msg: "waiting", Budget: time.Minute}, 12),
		rec(runner.Event{Type: runner.EventPhase, Play: "p", Task: "reboot", Host: "node2", Phase: "ready", Msg: "waiting until ready"}, 20),
		rec(runner.Event{Type: runner.EventTaskResult, Play: "p", Task: "reboot", Host: "node2", Status: modules.StatusChanged, Msg: "rebooted"}, 21),
		rec(runner.Event{Type: runner.EventRecap, Hosts: []string{"node2"}, Recap: map[string]*runner.Stats{"node2": {OK: 1, Changed: 1}}}, 22),
	}
	run, err := Build(append(first, second...))
	require.NoError(t, err)
	assert.Equal(t, "site.hcl", run.Playbook)
	assert.True(t, run.Finished)
	assert.Equal(t, "ok", run.Outcome())
	require.Len(t, run.Hosts, 1)
	assert.Equal(t, "node2", run.Hosts[0].Name)
	row := run.Hosts[0].Rows[0]
	require.Len(t, row.Phases, 2)
	assert.Equal(t, 8*time.Second, row.Phases[0].Elapsed())
	assert.Equal(t, time.Second, row.Phases[1].Elapsed())
	assert.InDelta(t, 1.0/12, row.Left, 0.001, "the task starts 1 s into a 12 s run")
	assert.Len(t, run.Changes, 1)

	var b bytes.Buffer
	require.NoError(t, Write(&b, run))
	assert.Contains(t, b.String(), `data-phase="down and back"`)
	assert.Contains(t, b.String(), "(budget 1 m)")
	assert.NotContains(t, b.String(), "old task")

	// Text is escaped, never markup.
	run.Hosts[0].Rows[0].Msg = `<script>alert(1)</script>`
	b.Reset()
	require.NoError(t, Write(&b, run))
	assert.NotContains(t, b.String(), "<script>")
	assert.True(t, strings.Contains(b.String(), "&lt;script&gt;"))

	_, err = Build(nil)
	assert.Error(t, err)
}
