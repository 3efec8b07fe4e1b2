// Package playbooks_test runs the shipped playbooks end to end against lab
// clusters over real WinRM.
package playbooks_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/runner"
	"github.com/winplay/winplay/runner/conn"
)

const runbook = "iis-cluster-node-rebuild.hcl"

type recorder struct {
	mu     sync.Mutex
	events []runner.Event
}

func (r *recorder) Event(ev runner.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

// result is one task's outcome on one host, in run order.
type result struct {
	Task, Host string
	Status     modules.Status
	Msg, Error string
}

func (r *recorder) results() []result {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []result
	for _, ev := range r.events {
		if ev.Type == runner.EventTaskResult {
			out = append(out, result{ev.Task, ev.Host, ev.Status, ev.Msg, ev.Error})
		}
	}
	return out
}

func (r *recorder) text(types ...runner.EventType) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, ev := range r.events {
		for _, t := range types {
			if ev.Type == t {
				b.WriteString(ev.Task + " [" + ev.Host + "] " + string(ev.Status) + ": " + ev.Msg + " " + ev.Error + "\n")
			}
		}
	}
	return b.String()
}

// runRunbook runs the runbook with node2 as the rebuilt node.
func runRunbook(t *testing.T, l *lab.Lab, check bool, vars ...string) (*runner.Summary, *recorder) {
	t.Helper()
	return runRunbookTimed(t, l, check, labtest.Modules, vars...)
}

func runRunbookTimed(t *testing.T, l *lab.Lab, check bool, timing modules.Timing, vars ...string) (*runner.Summary, *recorder) {
	t.Helper()
	plan, diags := runner.Load(runbook, runner.LoadOptions{Vars: append([]string{"rebuilt=node2", "healthy=node1"}, vars...)})
	require.False(t, diags.HasErrors(), diags.Error())
	inv := labtest.Inventory(t, l)
	bd := plan.Bind(inv, nil)
	require.False(t, bd.HasErrors(), bd.Error())
	rec := &recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sum, err := runner.Run(ctx, plan, inv, runner.Options{
		Check: check, Diff: true, Forks: 5, Connector: conn.Connector{}, Events: rec, Timing: timing,
	})
	require.NoError(t, err)
	return sum, rec
}

func startCluster(t *testing.T, node2 string) *lab.Lab {
	return labtest.Start(t, lab.HostSpec{Name: "node1", Profile: win.ProfileNode}, lab.HostSpec{Name: "node2", Profile: node2})
}

// requireSameNode compares what the runbook must make equal on the two
// nodes.
func requireSameNode(t *testing.T, want, got win.State) {
	t.Helper()
	for name, svc := range want.Services {
		g, ok := got.Services[name]
		if assert.True(t, ok, "service %s missing", name) {
			assert.Equal(t, svc.StartType, g.StartType, "service %s start type", name)
			assert.Equal(t, svc.State, g.State, "service %s state", name)
		}
	}
	assert.Equal(t, want.ServicePack, got.ServicePack, "service pack")
	assert.Equal(t, want.IIS, got.IIS, "IIS (InetStp)")
	assert.Equal(t, want.Components, got.Components, "Option Pack components")
	assert.Equal(t, want.MSDTC, got.MSDTC, "MSDTC")
	assert.Equal(t, want.Metabase, got.Metabase, "IIS metabase")
	assert.Equal(t, want.Rights, got.Rights, "user rights")
	assert.Equal(t, want.Groups, got.Groups, "local groups")
	assert.Equal(t, want.DCOM, got.DCOM, "DCOM default permissions")
	assert.Equal(t, want.Cluster, got.Cluster, "the cluster as each node sees it")
	assert.False(t, got.PendingReboot, "a reboot is still pending")
}

func TestRunbookRebuildsNode2(t *testing.T) {
	t.Parallel()
	l := startCluster(t, win.ProfileRebuilt)
	n1, n2 := l.Host("node1"), l.Host("node2")
	before1 := n1.Dump()
	boot2 := n2.Machine().LastBoot()

	sum, rec := runRunbook(t, l, false)
	require.Equal(t, runner.ExitOK, sum.ExitCode(), rec.text(runner.EventTaskResult))

	requireSameNode(t, n1.Dump(), n2.Dump())
	after1 := n1.Dump()
	assert.Equal(t, before1.Cluster.Groups["Web Group"].Owner, after1.Cluster.Groups["Web Group"].Owner, "the web group ends where it started")
	for name, r := range after1.Cluster.Groups["Web Group"].Resources {
		assert.Equal(t, 2, r.RestartAction, "Affect the group not restored on %s", name)
		assert.Equal(t, "Online", r.Status, name)
	}

	// The reboots really happened and were waited for: node2 booted once
	// after the Option Pack and once after the service pack; node1 never.
	assert.Equal(t, 2, n2.Boots())
	assert.True(t, n2.Machine().LastBoot().After(boot2))
	assert.Zero(t, n1.Boots())
	reboots := 0
	for _, ev := range rec.events {
		if ev.Type == runner.EventTaskResult && ev.Rebooted {
			reboots++
			assert.NotEmpty(t, ev.Phases, "a reboot reports its phases")
		}
	}
	assert.Equal(t, 2, reboots)

	// IISSYNC ran on node1 only, aimed at node2.
	for _, e := range labtest.TaskLog(n2) {
		assert.NotContains(t, strings.ToLower(e.Line), "iissync", "IISSYNC ran on the rebuilt node")
	}
	synced := false
	for _, e := range labtest.TaskLog(n1) {
		synced = synced || strings.Contains(strings.ToLower(e.Line), "iissync") && strings.Contains(e.Line, "NODE2")
	}
	assert.True(t, synced, "IISSYNC never ran on node1 against NODE2")

	// ClusSvc on node2 was stopped and verified before anything else changed.
	var first []string
	for _, e := range labtest.TaskLog(n2) {
		if e.Changes {
			first = append(first, e.Line)
		}
	}
	require.GreaterOrEqual(t, len(first), 2)
	assert.Contains(t, strings.Join(first[:2], " | "), "ClusSvc")

	// A second run changes nothing and reboots nothing.
	n1.Machine().ClearLog()
	n2.Machine().ClearLog()
	sum, rec = runRunbook(t, l, false)
	require.Equal(t, runner.ExitOK, sum.ExitCode(), rec.text(runner.EventTaskResult))
	for _, r := range rec.results() {
		assert.Contains(t, []modules.Status{modules.StatusOK, modules.StatusSkipped}, r.Status, "second run: %s on %s: %s", r.Task, r.Host, r.Msg)
	}
	assert.Equal(t, 2, n2.Boots(), "the second run rebooted")
	assert.Empty(t, labtest.ChangesOf(n1), "second run changed node1")
	assert.Empty(t, labtest.ChangesOf(n2), "second run changed node2")
}

func TestRunbookCheckModePredictsTheRun(t *testing.T) {
	t.Parallel()
	l := startCluster(t, win.ProfileRebuilt)
	before := map[string]win.State{"node1": l.Host("node1").Dump(), "node2": l.Host("node2").Dump()}
	sum, check := runRunbook(t, l, true)
	require.Equal(t, runner.ExitOK, sum.ExitCode(), check.text(runner.EventTaskResult))
	for _, h := range l.Hosts() {
		assert.Empty(t, labtest.ChangesOf(h), "check mode changed %s", h.Name())
		assert.Equal(t, before[h.Name()], h.Dump(), "check mode changed %s's state", h.Name())
		assert.Zero(t, h.Boots())
	}

	sum, real := runRunbook(t, l, false)
	require.Equal(t, runner.ExitOK, sum.ExitCode(), real.text(runner.EventTaskResult))
	predicted := check.results()
	done := real.results()
	require.Equal(t, len(done), len(predicted), "check mode ran other tasks than the real run")
	for i := range done {
		assert.Equal(t, done[i].Task+" @ "+done[i].Host, predicted[i].Task+" @ "+predicted[i].Host)
		assert.Equal(t, done[i].Status, predicted[i].Status, "%s on %s: check said %q, the run did %q",
			done[i].Task, done[i].Host, predicted[i].Msg, done[i].Msg)
	}
}

func TestRunbookCorruptedPath(t *testing.T) {
	t.Parallel()
	l := startCluster(t, win.ProfileCorrupted)
	sum, rec := runRunbook(t, l, false, "path=corrupted")
	require.Equal(t, runner.ExitOK, sum.ExitCode(), rec.text(runner.EventTaskResult))
	requireSameNode(t, l.Host("node1").Dump(), l.Host("node2").Dump())
	assert.False(t, l.Host("node2").Dump().Metabase.Corrupt)
	assert.GreaterOrEqual(t, l.Host("node2").Boots(), 3, "remove, reapply, install, reapply: each needs its restart")
}

func TestRunbookNodeThatNeverComesBack(t *testing.T) {
	t.Parallel()
	l := startCluster(t, win.ProfileRebuilt)
	l.Host("node2").NeverReturn(true)
	sum, rec := runRunbook(t, l, false)
	assert.Equal(t, runner.ExitFailed, sum.ExitCode())
	assert.True(t, sum.Aborted)
	var failure string
	for _, r := range rec.results() {
		if r.Status == modules.StatusFailed || r.Status == modules.StatusUnreachable {
			failure = r.Task + ": " + r.Error
		}
	}
	assert.Contains(t, failure, "install the option pack", "the run failed elsewhere: %s", failure)
	assert.Regexp(t, `(?i)phase|come back|did not return|never`, failure)
	assert.Empty(t, labtest.ChangesOf(l.Host("node1")), "node1 was touched after node2 was lost")
}

func TestRunbookCatchesASecondReboot(t *testing.T) {
	t.Parallel()
	l := startCluster(t, win.ProfileRebuilt)
	// A second after the first reboot comes back, node2 restarts by
	// itself: after winplay has seen it back, inside a 3s stability window.
	l.Host("node2").RebootAgainAfter(time.Second)
	timing := labtest.Modules
	timing.Stable = 3 * time.Second
	sum, rec := runRunbookTimed(t, l, false, timing)
	require.Equal(t, runner.ExitOK, sum.ExitCode(), rec.text(runner.EventTaskResult))
	assert.Equal(t, 3, l.Host("node2").Boots(), "two managed reboots and one by itself")
	caught := 0
	for _, r := range rec.results() {
		if strings.Contains(r.Msg, "caught 1 further, unmanaged reboot") {
			caught++
			assert.Equal(t, "install the option pack as it was originally installed", r.Task, "the second reboot was seen after another task")
		}
	}
	assert.Equal(t, 1, caught, "the second reboot went unnoticed:\n%s", rec.text(runner.EventProgress, runner.EventTaskResult))
	requireSameNode(t, l.Host("node1").Dump(), l.Host("node2").Dump())
}

// runPlaybook runs a small playbook against l.
func runPlaybook(t *testing.T, l *lab.Lab, path string) (*runner.Summary, *recorder) {
	t.Helper()
	plan, diags := runner.Load(path, runner.LoadOptions{})
	require.False(t, diags.HasErrors(), diags.Error())
	inv := labtest.Inventory(t, l)
	bd := plan.Bind(inv, nil)
	require.False(t, bd.HasErrors(), bd.Error())
	rec := &recorder{}
	sum, err := runner.Run(context.Background(), plan, inv, runner.Options{
		Forks: 5, Connector: conn.Connector{}, Events: rec, Timing: labtest.Modules,
	})
	require.NoError(t, err)
	return sum, rec
}

func TestIISSyncToAStoppedNodeExplainsTheStatus(t *testing.T) {
	t.Parallel()
	// node2's metabase is corrupt: its IIS Admin service is stopped.
	l := startCluster(t, win.ProfileCorrupted)
	require.Equal(t, "stopped", l.Host("node2").Dump().Services["IISADMIN"].State)
	sum, rec := runPlaybook(t, l, "../testdata/playbooks/e2e/iissync.hcl")
	assert.Equal(t, runner.ExitFailed, sum.ExitCode())
	res := rec.results()
	require.NotEmpty(t, res)
	assert.Equal(t, modules.StatusFailed, res[0].Status)
	assert.Contains(t, res[0].Error, "1753")
	assert.Regexp(t, `(?i)IIS Admin|IISADMIN|not running|endpoint`, res[0].Error, "the status is not explained")
}

func TestIISSyncFromTheRebuiltNodeIsRefused(t *testing.T) {
	t.Parallel()
	l := startCluster(t, win.ProfileNode)
	sum, rec := runPlaybook(t, l, "../testdata/playbooks/e2e/iissync-reverse.hcl")
	assert.Equal(t, runner.ExitFailed, sum.ExitCode())
	res := rec.results()
	require.NotEmpty(t, res)
	assert.Equal(t, modules.StatusFailed, res[0].Status)
	assert.Regexp(t, `(?i)rebuilt|working node|force`, res[0].Error)
	for _, h := range l.Hosts() {
		for _, e := range labtest.TaskLog(h) {
			assert.NotContains(t, strings.ToLower(e.Line), "iissync.exe", "%s ran IISSYNC", h.Name())
		}
	}
}

func TestIISSyncToANodeOffTheNetwork(t *testing.T) {
	t.Parallel()
	l := startCluster(t, win.ProfileRebuilt)
	l.Host("node2").Disconnect()
	sum, rec := runPlaybook(t, l, "../testdata/playbooks/e2e/iissync.hcl")
	assert.NotEqual(t, runner.ExitOK, sum.ExitCode())
	res := rec.results()
	require.NotEmpty(t, res)
	assert.Contains(t, []modules.Status{modules.StatusFailed, modules.StatusUnreachable}, res[0].Status)
	assert.Contains(t, res[0].Error, "1722")
	assert.Contains(t, res[0].Error, "KB Q224801", "the status is not explained")
	assert.Contains(t, res[0].Error, "NODE2 is down, not on the network")
}

func TestRunbookCorruptedPathAfterClusSvcWasStoppedByHand(t *testing.T) {
	t.Parallel()
	l := startCluster(t, win.ProfileCorrupted)
	// The admin followed the article's step 1 by hand before running.
	_, err := labtest.Connect(t, l, "node2").Run(context.Background(), modules.Command{
		Line: "sc config ClusSvc start= demand & net stop ClusSvc", Changes: true})
	require.NoError(t, err)
	sum, rec := runRunbook(t, l, false, "path=corrupted")
	require.Equal(t, runner.ExitOK, sum.ExitCode(), rec.text(runner.EventTaskResult))
	for _, r := range rec.results() {
		if r.Task == "remove the corrupted IIS (Remove All)" {
			assert.Equal(t, modules.StatusChanged, r.Status, "Remove All was skipped: %s", r.Msg)
		}
	}
	requireSameNode(t, l.Host("node1").Dump(), l.Host("node2").Dump())
}

func TestRunbookGuardsHoldUnderLimit(t *testing.T) {
	t.Parallel()
	l := startCluster(t, win.ProfileRebuilt)
	// The "healthy" node is not serving the web: nothing may happen.
	_, err := labtest.Connect(t, l, "node1").Run(context.Background(), modules.Command{Line: "net stop W3SVC", Changes: true})
	require.NoError(t, err)
	l.Host("node1").Machine().ClearLog()
	plan, diags := runner.Load(runbook, runner.LoadOptions{Vars: []string{"rebuilt=node2", "healthy=node1"}})
	require.False(t, diags.HasErrors(), diags.Error())
	inv := labtest.Inventory(t, l)
	require.False(t, plan.Bind(inv, []string{"node2"}).HasErrors())
	rec := &recorder{}
	sum, err := runner.Run(context.Background(), plan, inv, runner.Options{Connector: conn.Connector{}, Events: rec, Timing: labtest.Modules})
	require.NoError(t, err)
	assert.Equal(t, runner.ExitFailed, sum.ExitCode())
	assert.Contains(t, rec.text(runner.EventTaskResult), "W3SVC is STOPPED")
	for _, h := range l.Hosts() {
		assert.Empty(t, labtest.ChangesOf(h), "%s was changed although the healthy node does not serve", h.Name())
	}
}

func TestRunbookRejectsAMistypedPath(t *testing.T) {
	_, diags := runner.Load(runbook, runner.LoadOptions{Vars: []string{"rebuilt=node2", "healthy=node1", "path=corupted"}})
	require.True(t, diags.HasErrors())
	assert.Contains(t, diags.Error(), `path must be "rebuilt" or "corrupted"`)
	_, diags = runner.Load(runbook, runner.LoadOptions{Vars: []string{"rebuilt=node2", "healthy=node1", `components=["iis_common","iis_www"]`}})
	assert.False(t, diags.HasErrors(), "a list variable set with -e: %s", diags.Error())
}

func TestRunbookRestoresAffectTheGroupWhenAStepFails(t *testing.T) {
	t.Parallel()
	l := startCluster(t, win.ProfileRebuilt)
	// msdtc -join on node2 keeps failing, after Affect the group was
	// unticked.
	l.Host("node2").Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
		if r.Action == "Command" && strings.Contains(r.CommandLine, "-join") {
			return wsman.Injection{Kind: wsman.Fault500}
		}
		return wsman.Injection{}
	}))
	sum, rec := runRunbook(t, l, false)
	assert.Equal(t, runner.ExitFailed, sum.ExitCode())
	assert.True(t, sum.Aborted)
	text := rec.text(runner.EventTaskResult)
	assert.Contains(t, text, "untick Affect the group (MSDTC) [node1] changed")
	assert.Contains(t, text, "the rebuilt node joins the clustered MSDTC [node1] failed")
	assert.Contains(t, text, "restore Affect the group (MSDTC) [node1] changed")
	for name, r := range l.Host("node1").Dump().Cluster.Groups["Web Group"].Resources {
		assert.Equal(t, 2, r.RestartAction, "Affect the group left unticked on %s:\n%s", name, text)
	}
}

func TestRunbookMistypedVirtualServerChangesNothingOnTheHealthyNode(t *testing.T) {
	t.Parallel()
	l := startCluster(t, win.ProfileRebuilt)
	sum, rec := runRunbook(t, l, false, "dtc_virtual_server=NOSUCHVS")
	assert.Equal(t, runner.ExitFailed, sum.ExitCode())
	assert.True(t, sum.Aborted)
	text := rec.text(runner.EventTaskResult)
	assert.Contains(t, text, `"NOSUCHVS" is not the Network Name of any cluster group`)
	assert.Empty(t, labtest.ChangesOf(l.Host("node1")), "node1 was changed before the MSDTC step was known to fail:\n%s", text)
}

func TestRunbookResumedAfterALimitedRunFinishesTheRecluster(t *testing.T) {
	t.Parallel()
	l := startCluster(t, win.ProfileRebuilt)
	plan, diags := runner.Load(runbook, runner.LoadOptions{Vars: []string{"rebuilt=node2", "healthy=node1"}})
	require.False(t, diags.HasErrors(), diags.Error())
	inv := labtest.Inventory(t, l)
	// The admin rebuilds node2 only, as --limit node2 allows ...
	require.False(t, plan.Bind(inv, []string{"node2"}).HasErrors())
	rec := &recorder{}
	sum, err := runner.Run(context.Background(), plan, inv, runner.Options{Connector: conn.Connector{}, Events: rec, Timing: labtest.Modules})
	require.NoError(t, err)
	require.Equal(t, runner.ExitOK, sum.ExitCode(), rec.text(runner.EventTaskResult))
	require.Equal(t, 2, l.Host("node2").Boots())

	// ... then runs the whole runbook: the first play has nothing left to
	// do, yet MSDTC and IISSYNC are, so the groups are protected and the
	// failover test runs.
	sum, rec = runRunbook(t, l, false)
	require.Equal(t, runner.ExitOK, sum.ExitCode(), rec.text(runner.EventTaskResult))
	status := map[string]modules.Status{}
	for _, r := range rec.results() {
		status[r.Task] = r.Status
	}
	assert.Equal(t, modules.StatusSkipped, status["stop the cluster service and set it to manual"], "the first play had work left")
	for _, task := range []string{
		"untick Affect the group (MSDTC)", "the rebuilt node joins the clustered MSDTC",
		"IISSYNC from the working node to the rebuilt node", "move the web group to the rebuilt node",
		"move the web group back to the healthy node", "restore Affect the group (MSDTC)",
	} {
		assert.Equal(t, modules.StatusChanged, status[task], task)
	}
	requireSameNode(t, l.Host("node1").Dump(), l.Host("node2").Dump())
}

// TestIISSyncMeetsTheDoubleHop: the runbook's IISSYNC, run in the WinRM
// session (NTLM here), is refused by the rebuilt node with access denied,
// as on a real cluster, and says what to do; with become it runs as a
// scheduled task that holds the user's credentials, and node2 gets
// node1's metabase.
func TestIISSyncMeetsTheDoubleHop(t *testing.T) {
	t.Parallel()
	l := startCluster(t, win.ProfileNode)
	_, err := labtest.Connect(t, l, "node2").Run(context.Background(), modules.Command{
		Line: `echo stale>>C:\WINNT\system32\inetsrv\MetaBase.bin`, Changes: true})
	require.NoError(t, err)

	sum, rec := runPlaybook(t, l, "../testdata/playbooks/e2e/iissync-without-become.hcl")
	assert.Equal(t, runner.ExitFailed, sum.ExitCode())
	res := rec.results()
	require.NotEmpty(t, res)
	assert.Equal(t, modules.StatusFailed, res[0].Status)
	assert.Contains(t, res[0].Error, "IISSYNC failed with status 5.")
	assert.Contains(t, res[0].Error, "Access is denied.")
	assert.Contains(t, res[0].Error, "the double hop; run the task with become {}")
	assert.NotEqual(t, l.Host("node1").Dump().Files[`C:\WINNT\system32\inetsrv\MetaBase.bin`],
		l.Host("node2").Dump().Files[`C:\WINNT\system32\inetsrv\MetaBase.bin`])

	sum, rec = runPlaybook(t, l, "../testdata/playbooks/e2e/iissync.hcl")
	require.Equal(t, runner.ExitOK, sum.ExitCode(), rec.text(runner.EventTaskResult))
	assert.Equal(t, modules.StatusChanged, rec.results()[0].Status)
	assert.Equal(t, l.Host("node1").Dump().Files[`C:\WINNT\system32\inetsrv\MetaBase.bin`],
		l.Host("node2").Dump().Files[`C:\WINNT\system32\inetsrv\MetaBase.bin`])
	assert.NotContains(t, rec.text(runner.EventTaskResult, runner.EventCommand), lab.DefaultPassword)
}
