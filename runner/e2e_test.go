package runner_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/runner"
	"github.com/winplay/winplay/runner/conn"
)

// recorder keeps every event of a run.
type recorder struct {
	mu     sync.Mutex
	events []runner.Event
}

func (r *recorder) Event(ev runner.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

// results returns the task results, by task name then host.
func (r *recorder) results() map[string]map[string]runner.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]map[string]runner.Event{}
	for _, ev := range r.events {
		if ev.Type != runner.EventTaskResult {
			continue
		}
		if out[ev.Task] == nil {
			out[ev.Task] = map[string]runner.Event{}
		}
		out[ev.Task][ev.Host] = ev
	}
	return out
}

// runOn loads a playbook, binds it to inv with limit and runs it.
func runOn(t *testing.T, path string, inv *inventory.Inventory, opts runner.Options, limit ...string) (*runner.Summary, *recorder) {
	t.Helper()
	plan, diags := runner.Load(path, runner.LoadOptions{})
	require.False(t, diags.HasErrors(), diags.Error())
	bd := plan.Bind(inv, limit)
	require.False(t, bd.HasErrors(), bd.Error())
	rec := &recorder{}
	opts.Connector = conn.Connector{}
	opts.Events = rec
	opts.Timing = labtest.Modules
	if opts.Forks == 0 {
		opts.Forks = 5
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sum, err := runner.Run(ctx, plan, inv, opts)
	require.NoError(t, err)
	return sum, rec
}

// changing returns the log entries that changed state, with their times.
func changing(h *lab.Host) []win.LogEntry {
	var out []win.LogEntry
	for _, e := range labtest.TaskLog(h) {
		if e.Changes {
			out = append(out, e)
		}
	}
	return out
}

func TestSerialRunsNodeByNode(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	sum, _ := runOn(t, "../playbooks/cluster-service-cycle.hcl", labtest.Inventory(t, l), runner.Options{})
	require.Equal(t, runner.ExitOK, sum.ExitCode())

	n1, n2 := changing(l.Host("node1")), changing(l.Host("node2"))
	require.Len(t, n1, 4, "sc config, sc stop, sc config, sc start on node1: %+v", n1)
	require.Len(t, n2, 4)
	assert.True(t, n1[len(n1)-1].Time.Before(n2[0].Time),
		"serial = 1: node2 started (%s) before node1 finished (%s)", n2[0].Time, n1[len(n1)-1].Time)
	for _, h := range []string{"node1", "node2"} {
		st := l.Host(h).Dump().Services["ClusSvc"]
		assert.Equal(t, "running", st.State, h)
		assert.Equal(t, "auto", st.StartType, h)
		assert.Equal(t, 2, sum.Stats[h].Changed, h)
	}
}

func TestTasksRunInLockstep(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	sum, _ := runOn(t, "../testdata/playbooks/e2e/lockstep.hcl", labtest.Inventory(t, l), runner.Options{})
	require.Equal(t, runner.ExitOK, sum.ExitCode())
	var lastStop, firstStart time.Time
	for _, h := range l.Hosts() {
		for _, e := range changing(h) {
			switch e.Argv[1] {
			case "stop":
				if e.Time.After(lastStop) {
					lastStop = e.Time
				}
			case "start":
				if firstStart.IsZero() || e.Time.Before(firstStart) {
					firstStart = e.Time
				}
			}
		}
	}
	require.False(t, lastStop.IsZero())
	require.False(t, firstStart.IsZero())
	assert.True(t, lastStop.Before(firstStart), "a host started the second task before every host finished the first")
}

func TestCheckModeChangesNothingAndPredicts(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := labtest.Inventory(t, l)
	before := map[string]win.State{}
	for _, h := range l.Hosts() {
		before[h.Name()] = h.Dump()
	}
	sum, rec := runOn(t, "../testdata/playbooks/e2e/rerun.hcl", inv, runner.Options{Check: true, Diff: true})
	require.Equal(t, runner.ExitOK, sum.ExitCode())
	for _, h := range l.Hosts() {
		assert.Empty(t, changing(h), "%s: check mode sent a changing command", h.Name())
		assert.NotEmpty(t, labtest.TaskLog(h), "%s: check mode read nothing", h.Name())
		assert.Equal(t, before[h.Name()].Services, h.Dump().Services, h.Name())
	}
	res := rec.results()
	for _, host := range []string{"node1", "node2"} {
		ev := res["the cluster service is manual and stopped"][host]
		assert.Equal(t, modules.StatusChanged, ev.Status, host)
		assert.True(t, ev.Check)
		require.NotNil(t, ev.Diff, "--diff gives the before and after")
		assert.Contains(t, ev.Diff.Before+ev.Diff.After, "manual")
		assert.Equal(t, modules.StatusChanged, res["the ftp service is disabled"][host].Status, host)
	}

	// What check mode predicted is what the real run then does.
	_, real := runOn(t, "../testdata/playbooks/e2e/rerun.hcl", inv, runner.Options{})
	predicted, done := res, real.results()
	for task, hosts := range done {
		for host, ev := range hosts {
			assert.Equal(t, ev.Status, predicted[task][host].Status, "%s on %s", task, host)
		}
	}
}

func TestSecondRunIsAllOK(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := labtest.Inventory(t, l)
	first, _ := runOn(t, "../testdata/playbooks/e2e/rerun.hcl", inv, runner.Options{})
	require.Equal(t, runner.ExitOK, first.ExitCode())
	assert.Equal(t, 3, first.Stats["node1"].Changed)
	for _, h := range l.Hosts() {
		h.Machine().ClearLog()
	}
	second, rec := runOn(t, "../testdata/playbooks/e2e/rerun.hcl", inv, runner.Options{})
	require.Equal(t, runner.ExitOK, second.ExitCode())
	for _, host := range []string{"node1", "node2"} {
		assert.Equal(t, runner.Stats{OK: 4}, *second.Stats[host], host)
		assert.Empty(t, changing(l.Host(host)), host)
	}
	for task, hosts := range rec.results() {
		for host, ev := range hosts {
			assert.Equal(t, modules.StatusOK, ev.Status, "%s on %s: %s", task, host, ev.Msg)
		}
	}
}

func TestLimitAndOnReachExactlyTheirHosts(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"}, lab.HostSpec{Name: "node2"}, lab.HostSpec{Name: "node3"})
	inv := labtest.Inventory(t, l)
	sum, rec := runOn(t, "../testdata/playbooks/e2e/targeting.hcl", inv, runner.Options{}, "cluster:!node1")
	require.Equal(t, runner.ExitOK, sum.ExitCode())
	assert.ElementsMatch(t, []string{"node2", "node3"}, sum.Hosts)

	// node1 is outside the limit: it only answered the delegated task.
	for _, e := range labtest.TaskLog(l.Host("node1")) {
		assert.Equal(t, "hostname", e.Tool, "node1 ran %q", e.Line)
	}
	hostnames := 0
	for _, e := range labtest.TaskLog(l.Host("node1")) {
		if e.Tool == "hostname" {
			hostnames++
		}
	}
	assert.Equal(t, 2, hostnames, "one delegated hostname per targeted host")
	assert.Equal(t, "running", l.Host("node1").Dump().Services["Spooler"].State)
	for _, name := range []string{"node2", "node3"} {
		assert.Equal(t, "stopped", l.Host(name).Dump().Services["Spooler"].State, name)
		for _, e := range labtest.TaskLog(l.Host(name)) {
			assert.NotEqual(t, "hostname", e.Tool, "%s ran the task meant for node1", name)
		}
		ev := rec.results()["ask node1 about this host"][name]
		assert.Equal(t, "node1", ev.Delegate)
		assert.Contains(t, ev.Stdout, "NODE1")
	}
}

func TestUnreachableHostLeavesThePlay(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	l.Host("node2").Disconnect()
	sum, rec := runOn(t, "../testdata/playbooks/e2e/lockstep.hcl", labtest.Inventory(t, l), runner.Options{})
	assert.Equal(t, runner.ExitUnreachable, sum.ExitCode())
	assert.Equal(t, runner.Stats{Unreachable: 1}, *sum.Stats["node2"])
	assert.Equal(t, runner.Stats{OK: 2, Changed: 2}, *sum.Stats["node1"])
	ev := rec.results()["stop the spooler"]["node2"]
	assert.Equal(t, modules.StatusUnreachable, ev.Status)
	assert.NotContains(t, ev.Error, lab.DefaultPassword)
	_, ran := rec.results()["start the spooler"]["node2"]
	assert.False(t, ran, "an unreachable host stays out of the rest of the play")
}

func TestAnyErrorsFatalStopsEveryHost(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	sum, rec := runOn(t, "../testdata/playbooks/e2e/fatal.hcl", labtest.Inventory(t, l), runner.Options{})
	assert.Equal(t, runner.ExitFailed, sum.ExitCode())
	assert.True(t, sum.Aborted)
	_, second := rec.results()["start the spooler"]
	assert.False(t, second, "the play went on after a fatal failure")
	assert.Equal(t, modules.StatusFailed, rec.results()["fail on node1"]["node1"].Status)
	assert.Equal(t, modules.StatusSkipped, rec.results()["fail on node1"]["node2"].Status)
}

func TestMetaArguments(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := labtest.Inventory(t, l)
	sum, rec := runOn(t, "../testdata/playbooks/e2e/meta.hcl", inv, runner.Options{})
	require.Equal(t, runner.ExitOK, sum.ExitCode(), "an ignored failure is not a failure")
	res := rec.results()
	for _, h := range []string{"node1", "node2"} {
		assert.Equal(t, modules.StatusChanged, res["only where the service runs"][h].Status, h)
		assert.True(t, res["a failure that is ignored"][h].Ignored, h)
		assert.Equal(t, modules.StatusOK, res["retried until the service is stopped"][h].Status, h)
		assert.Equal(t, 1, sum.Stats[h].Ignored, h)
	}
	whoami := 0
	for _, h := range l.Hosts() {
		for _, e := range labtest.TaskLog(h) {
			if e.Tool == "whoami" {
				whoami++
			}
		}
	}
	assert.Equal(t, 1, whoami, "run_once ran more than once")

	// Second run: the service is stopped, so `when` skips the change.
	_, rec = runOn(t, "../testdata/playbooks/e2e/meta.hcl", inv, runner.Options{})
	for _, h := range []string{"node1", "node2"} {
		assert.Equal(t, modules.StatusSkipped, rec.results()["only where the service runs"][h].Status, h)
	}
}

func TestCheckModeFalseRunsInADryRun(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	sum, rec := runOn(t, "../testdata/playbooks/e2e/meta.hcl", labtest.Inventory(t, l), runner.Options{Check: true, Tags: []string{"read"}})
	require.Equal(t, runner.ExitOK, sum.ExitCode())
	res := rec.results()
	assert.Len(t, res, 2, "--tags read selects two tasks: %v", res)
	for _, h := range l.Hosts() {
		var changes []string
		for _, e := range changing(h) {
			changes = append(changes, e.Line)
		}
		assert.Empty(t, changes, "%s: check_mode = false wrote only under Temp, which is not a change", h.Name())
		assert.Equal(t, "running", h.Dump().Services["Spooler"].State)
		found := false
		for _, e := range labtest.TaskLog(h) {
			found = found || strings.Contains(e.Line, "check.txt")
		}
		assert.True(t, found, "%s: the check_mode = false task did not run", h.Name())
	}
	var warned []string
	for _, ev := range rec.events {
		if ev.Type == runner.EventWarning {
			warned = append(warned, ev.Task)
		}
	}
	assert.Len(t, warned, 1, "the task that runs for real in a dry run is flagged once")
}

func TestStartAtTaskAndSkipTags(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	_, rec := runOn(t, "../testdata/playbooks/e2e/meta.hcl", labtest.Inventory(t, l),
		runner.Options{StartAt: "once for the whole play", SkipTags: []string{"read"}})
	res := rec.results()
	_, first := res["read the service"]
	_, skippedTag := res["runs even in check mode"]
	assert.False(t, first, "ran a task before --start-at-task")
	assert.False(t, skippedTag, "ran a task --skip-tags excludes")
	assert.Contains(t, res, "once for the whole play")
}

func TestStepAsksBeforeEachTask(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	var asked []string
	_, rec := runOn(t, "../testdata/playbooks/e2e/lockstep.hcl", labtest.Inventory(t, l), runner.Options{
		Step: func(task *runner.Task) runner.StepAnswer {
			asked = append(asked, task.Name)
			if task.Name == "stop the spooler" {
				return runner.StepNo
			}
			return runner.StepYes
		},
	})
	assert.Equal(t, []string{"stop the spooler", "start the spooler"}, asked)
	_, ran := rec.results()["stop the spooler"]
	assert.False(t, ran, "a task answered no ran")
	assert.Empty(t, changing(l.Host("node1")), "start the spooler found it running: no change")
}

func TestForEachRunsOneTaskPerElement(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	sum, rec := runOn(t, "../testdata/playbooks/e2e/for-each.hcl", labtest.Inventory(t, l), runner.Options{})
	require.Equal(t, runner.ExitOK, sum.ExitCode())
	res := rec.results()
	assert.Contains(t, res, "stop (Spooler)")
	assert.Contains(t, res, "stop (MSFTPSVC)")
	st := l.Host("node1").Dump().Services
	assert.Equal(t, "demand", st["Spooler"].StartType)
	assert.Equal(t, "disabled", st["MSFTPSVC"].StartType)
	assert.Equal(t, "stopped", st["MSFTPSVC"].State)
	assert.Empty(t, changing(l.Host("node2")))
}

func TestCopyFindsFilesBesideThePlaybook(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := labtest.Inventory(t, l)
	sum, rec := runOn(t, "../testdata/playbooks/e2e/copy.hcl", inv, runner.Options{})
	require.Equal(t, runner.ExitOK, sum.ExitCode(), "%+v", rec.results())
	f, ok := l.Host("node1").Dump().Files[`C:\unattend\optionpack.ini`]
	require.True(t, ok, "the file did not arrive")
	assert.Equal(t, int64(len("[Global]\r\nAction=Install\r\nInstallType=Custom\r\n")), int64(f.Size))
	_, rec = runOn(t, "../testdata/playbooks/e2e/copy.hcl", inv, runner.Options{})
	assert.Equal(t, modules.StatusOK, rec.results()["upload the answer file"]["node1"].Status, "same checksum: nothing to do")
}

func TestStartAtAnUnknownTaskIsAnError(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := labtest.Inventory(t, l)
	plan, diags := runner.Load("../testdata/playbooks/e2e/lockstep.hcl", runner.LoadOptions{})
	require.False(t, diags.HasErrors())
	require.False(t, plan.Bind(inv, nil).HasErrors())
	_, err := runner.Run(context.Background(), plan, inv, runner.Options{Connector: conn.Connector{}, StartAt: "stop the spooer"})
	require.ErrorIs(t, err, runner.ErrInvalidOptions)
	assert.Contains(t, err.Error(), `Did you mean "stop the spooler"?`)
	for _, h := range l.Hosts() {
		assert.Empty(t, h.Log(), "no host is contacted, not even for its facts")
	}
}

func TestInterruptIsNotAFailure(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := labtest.Inventory(t, l)
	plan, diags := runner.Load("../testdata/playbooks/e2e/wait.hcl", runner.LoadOptions{})
	require.False(t, diags.HasErrors())
	require.False(t, plan.Bind(inv, nil).HasErrors())
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	rec := &recorder{}
	sum, err := runner.Run(ctx, plan, inv, runner.Options{Connector: conn.Connector{}, Events: rec, Timing: labtest.Modules})
	require.NoError(t, err)
	assert.True(t, sum.Aborted)
	ev := rec.results()["wait for the spooler to stop"]["node1"]
	assert.False(t, ev.Ignored, "ignore_errors hid an interrupt")
	assert.Contains(t, ev.Error, "interrupted")
	assert.NotContains(t, rec.results(), "never reached")
	assert.Zero(t, sum.Stats["node1"].Ignored)
}

func TestAlwaysTasksRunAfterAFailure(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	sum, rec := runOn(t, "../testdata/playbooks/e2e/always.hcl", labtest.Inventory(t, l), runner.Options{})
	assert.Equal(t, runner.ExitFailed, sum.ExitCode())
	assert.True(t, sum.Aborted)
	res := rec.results()
	assert.NotContains(t, res, "never reached")
	for _, h := range []string{"node1", "node2"} {
		assert.Equal(t, modules.StatusChanged, res["start the spooler again"][h].Status, "%s: the always task did not run", h)
		assert.Equal(t, "running", l.Host(h).Dump().Services["Spooler"].State, h)
	}
}

func TestJournalMarksTheTaskThatWasRunning(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := labtest.Inventory(t, l)
	plan, diags := runner.Load("../testdata/playbooks/e2e/wait.hcl", runner.LoadOptions{})
	require.False(t, diags.HasErrors())
	require.False(t, plan.Bind(inv, nil).HasErrors())
	path := t.TempDir() + "/journal.jsonl"
	j, err := runner.OpenJournal(path)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	// Stop reading the journal's end as a crash would: look at it while
	// the task still runs.
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = runner.Run(ctx, plan, inv, runner.Options{Connector: conn.Connector{}, Events: j, Timing: labtest.Modules})
	}()
	var text string
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(path)
		text = string(b)
		return strings.Contains(text, `"task_start"`)
	}, 5*time.Second, 10*time.Millisecond)
	cancel()
	<-done
	require.NoError(t, j.Close())
	assert.Contains(t, text, `"event":"run_start"`)
	assert.Contains(t, text, "wait.hcl", "the journal does not say which playbook ran")
	assert.Contains(t, text, `"task":"wait for the spooler to stop"`)
	assert.NotContains(t, text, `"task_result"`, "the task had not finished")
}

func TestSerialStopsWhenAWholeBatchFails(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	labtest.Exec(t, l.Host("node1"), "sc stop W3SVC")
	sum, rec := runOn(t, "../testdata/playbooks/e2e/serial-gate.hcl", labtest.Inventory(t, l), runner.Options{})
	assert.Equal(t, runner.ExitFailed, sum.ExitCode())
	assert.True(t, sum.Aborted)
	res := rec.results()
	assert.Equal(t, modules.StatusFailed, res["health gate: the web service runs"]["node1"].Status)
	assert.NotContains(t, res["take the spooler down"], "node2", "node2 was taken down after node1's batch failed")
	assert.NotContains(t, res, "never reached", "a later play ran")
	assert.Len(t, changing(l.Host("node1")), 1, "node1: sc stop Spooler only")
	assert.Empty(t, changing(l.Host("node2")), "node2 got a changing command")
	assert.Equal(t, "running", l.Host("node2").Dump().Services["Spooler"].State)
	var abort string
	for _, ev := range rec.events {
		if ev.Type == runner.EventAbort {
			abort = ev.Msg
		}
	}
	assert.Contains(t, abort, "every host of the batch failed or is unreachable (node1)")

	// The same playbook with a healthy node1 goes through node by node.
	l = labtest.Start(t)
	sum, _ = runOn(t, "../testdata/playbooks/e2e/serial-gate.hcl", labtest.Inventory(t, l), runner.Options{})
	assert.Equal(t, runner.ExitOK, sum.ExitCode())
	assert.Len(t, changing(l.Host("node2")), 2)
}

func TestCheckModeFailsAGateNoTaskWouldOpen(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := labtest.Inventory(t, l)
	labtest.Exec(t, l.Host("node1"), "sc stop W3SVC")
	require.Eventually(t, func() bool { return l.Host("node1").Dump().Services["W3SVC"].State == "stopped" }, 10*time.Second, 5*time.Millisecond)

	sum, rec := runOn(t, "../testdata/playbooks/e2e/check-gates.hcl", inv, runner.Options{Check: true})
	assert.Equal(t, runner.ExitFailed, sum.ExitCode(), "--check passed a gate the real run fails")
	res := rec.results()
	for _, h := range []string{"node1", "node2"} {
		assert.Equal(t, modules.StatusChanged, res["stop the spooler"][h].Status, h)
		ev := res["the spooler is stopped"][h]
		assert.Equal(t, modules.StatusOK, ev.Status, h)
		assert.Contains(t, ev.Msg, `task "stop the spooler" would change it first`, h)
		assert.Equal(t, modules.StatusOK, res["wait for the spooler to stop"][h].Status, h)
		assert.Empty(t, changing(l.Host(h)), h)
	}
	ev := res["the web service runs"]["node1"]
	assert.Equal(t, modules.StatusFailed, ev.Status)
	assert.Contains(t, ev.Error, "W3SVC is STOPPED, not RUNNING")
	assert.Equal(t, modules.StatusOK, res["the web service runs"]["node2"].Status)

	// The real run fails where the dry run said it would.
	real, rec := runOn(t, "../testdata/playbooks/e2e/check-gates.hcl", inv, runner.Options{})
	assert.Equal(t, runner.ExitFailed, real.ExitCode())
	assert.Equal(t, modules.StatusFailed, rec.results()["the web service runs"]["node1"].Status)
}

// TestCheckModeSendsNoChangingCommandFromAnyModule runs every registered
// module in a dry run, through every path a module reaches a host by,
// and proves from the lab's logs that nothing changed: the runner's guard
// is the one choke point, whatever a module does.
func TestCheckModeSendsNoChangingCommandFromAnyModule(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"}, lab.HostSpec{Name: "node2", Profile: "rebuilt"})
	inv := labtest.Inventory(t, l)
	const path = "../testdata/playbooks/e2e/check-every-module.hcl"
	plan, diags := runner.Load(path, runner.LoadOptions{})
	require.False(t, diags.HasErrors(), diags.Error())
	used := map[string]bool{}
	for _, task := range plan.Plays[0].Tasks {
		used[task.Module.Name] = true
	}
	for _, name := range modules.Names() {
		assert.True(t, used[name], "module %q has no task in %s", name, path)
	}

	before, boots := map[string]win.State{}, map[string]int{}
	for _, h := range l.Hosts() {
		before[h.Name()], boots[h.Name()] = h.Dump(), h.Boots()
	}
	sum, rec := runOn(t, path, inv, runner.Options{Check: true, Diff: true})
	for _, h := range l.Hosts() {
		assert.Empty(t, changing(h), "%s: a changing command reached the host in check mode", h.Name())
		assert.Equal(t, before[h.Name()], h.Dump(), h.Name())
		assert.Equal(t, boots[h.Name()], h.Boots(), "%s rebooted", h.Name())
	}
	res := rec.results()
	for _, task := range plan.Plays[0].Tasks {
		ev, ok := res[task.Name]["node1"]
		require.True(t, ok, "task %q did not run", task.Name)
		assert.NotEqual(t, modules.StatusFailed, ev.Status, "%s: %s", task.Name, ev.Error)
		assert.NotContains(t, ev.Error, modules.ErrCheckMode.Error(), "%s tried to change the host", task.Name)
	}
	for _, ev := range rec.events {
		if ev.Type == runner.EventCommand {
			assert.False(t, ev.Changes, "%s sent a changing command in check mode: %s", ev.Task, ev.Line)
		}
	}
	assert.Equal(t, runner.ExitOK, sum.ExitCode())
}

func TestTaskTimeoutBoundsTheWholeTask(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	start := time.Now()
	sum, rec := runOn(t, "../testdata/playbooks/e2e/timeout.hcl", labtest.Inventory(t, l), runner.Options{})
	assert.Less(t, time.Since(start), 30*time.Second, "the module's 1m timeout ran instead")
	assert.Equal(t, runner.ExitOK, sum.ExitCode(), "ignored failures")
	res := rec.results()
	wait := res["wait longer than the task may take"]["node1"]
	assert.Equal(t, modules.StatusFailed, wait.Status)
	assert.Contains(t, wait.Error, "task timeout of 300ms reached")
	retry := res["retry longer than the task may take"]["node2"]
	assert.Equal(t, modules.StatusFailed, retry.Status)
	assert.Contains(t, retry.Error, "task timeout of 1s reached")
	assert.Greater(t, retry.Attempts, 1, "it retried until the task's time was up")
	assert.LessOrEqual(t, retry.Attempts, 21, "1s holds no more than 20 delays of 50ms")
}

func TestPlayOrder(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node2"}, lab.HostSpec{Name: "node3"}, lab.HostSpec{Name: "node1"})
	sum, _ := runOn(t, "../testdata/playbooks/e2e/order.hcl", labtest.Inventory(t, l), runner.Options{})
	require.Equal(t, runner.ExitOK, sum.ExitCode())
	var ran []time.Time
	for _, name := range []string{"node3", "node2", "node1"} {
		log := labtest.TaskLog(l.Host(name))
		require.Len(t, log, 1, name)
		ran = append(ran, log[0].Time)
	}
	assert.True(t, ran[0].Before(ran[1]) && ran[1].Before(ran[2]), "reverse_sorted ran node3, node2, node1 in another order: %v", ran)
}

func TestMaxFailPercentage(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"}, lab.HostSpec{Name: "node2"}, lab.HostSpec{Name: "node3"}, lab.HostSpec{Name: "node4"})
	sum, rec := runOn(t, "../testdata/playbooks/e2e/max-fail.hcl", labtest.Inventory(t, l), runner.Options{})
	assert.Equal(t, runner.ExitFailed, sum.ExitCode())
	assert.True(t, sum.Aborted)
	res := rec.results()
	assert.Len(t, res["still runs"], 3, "one failure in four (25%) is within 30%")
	assert.NotContains(t, res, "never reached", "two in four (50%) stopped the run")
	var abort string
	for _, ev := range rec.events {
		if ev.Type == runner.EventAbort {
			abort = ev.Msg
		}
	}
	assert.Contains(t, abort, "max_fail_percentage: 50% of the batch failed (more than 30%)")
}

// TestForksBoundsConcurrency holds each host's command in the lab and
// counts how many are in flight at once.
func TestForksBoundsConcurrency(t *testing.T) {
	t.Parallel()
	var hosts []lab.HostSpec
	for i := 1; i <= 6; i++ {
		hosts = append(hosts, lab.HostSpec{Name: fmt.Sprintf("node%d", i)})
	}
	l := labtest.Start(t, hosts...)
	var inFlight, peak atomic.Int32
	for _, h := range l.Hosts() {
		h.Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
			if r.Action == "Command" && strings.Contains(r.CommandLine, "hostname") {
				n := inFlight.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(50 * time.Millisecond)
				inFlight.Add(-1)
			}
			return wsman.Injection{}
		}))
	}
	inv := labtest.Inventory(t, l)
	for _, forks := range []int{2, 6} {
		peak.Store(0)
		sum, _ := runOn(t, "../testdata/playbooks/e2e/forks.hcl", inv, runner.Options{Forks: forks})
		require.Equal(t, runner.ExitOK, sum.ExitCode())
		if forks == 2 {
			assert.Equal(t, int32(2), peak.Load(), "--forks 2")
		} else {
			assert.Greater(t, peak.Load(), int32(2), "with --forks 6 the hosts overlap, so the count above can see a bound")
		}
	}
}

func TestRebootAlways(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	boots := l.Host("node1").Boots()
	sum, rec := runOn(t, "../testdata/playbooks/e2e/reboot-always.hcl", labtest.Inventory(t, l), runner.Options{})
	require.Equal(t, runner.ExitOK, sum.ExitCode(), "%+v", rec.results())
	ev := rec.results()["read the name, then reboot"]["node1"]
	assert.Equal(t, modules.StatusChanged, ev.Status, "a reboot is a change, even after a read-only command")
	assert.True(t, ev.Rebooted)
	assert.NotEmpty(t, ev.Phases)
	assert.Equal(t, boots+1, l.Host("node1").Boots())
	assert.Equal(t, modules.StatusOK, rec.results()["the host is back"]["node1"].Status)
	var shutdown int
	for _, e := range changing(l.Host("node1")) {
		if e.Tool == "shutdown" {
			shutdown++
		}
	}
	assert.Equal(t, 1, shutdown)
}

func TestStartAtTaskHoldsForEveryBatch(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	sum, rec := runOn(t, "../testdata/playbooks/e2e/start-at-serial.hcl", labtest.Inventory(t, l), runner.Options{StartAt: "second"})
	require.Equal(t, runner.ExitOK, sum.ExitCode())
	res := rec.results()
	assert.NotContains(t, res, "earlier play")
	assert.NotContains(t, res, "first", "a later batch started from the top again")
	assert.Len(t, res["second"], 2)
	assert.Len(t, res["later play"], 2)
	for _, h := range l.Hosts() {
		var tools []string
		for _, e := range labtest.TaskLog(h) {
			tools = append(tools, e.Tool)
		}
		assert.Equal(t, []string{"whoami", "hostname"}, tools, h.Name())
	}
}
