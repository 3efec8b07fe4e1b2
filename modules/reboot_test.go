package modules_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/modules"
)

// rebootProgress collects a task's progress lines.
type rebootProgress struct {
	mu    sync.Mutex
	lines []string
}

func (p *rebootProgress) add(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, fmt.Sprintf(format, args...))
}

func (p *rebootProgress) text() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// rebootRun runs r on lab host name over real WinRM, recording progress.
func rebootRun(t *testing.T, l *lab.Lab, name string, r *modules.Reboot) (*modules.Result, *rebootProgress, error) {
	t.Helper()
	require.Empty(t, r.Validate())
	task := labtest.Task(t, l, name, false)
	p := &rebootProgress{}
	task.Progress = func(format string, args ...any) {
		p.add(format, args...)
		t.Logf("progress: "+format, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := r.Run(ctx, task)
	return res, p, err
}

// rebootBootTime reads the boot time as the module does.
func rebootBootTime(t *testing.T, l *lab.Lab, name string) string {
	t.Helper()
	fp, err := modules.BootFingerprint(context.Background(), labtest.Task(t, l, name, true))
	require.NoError(t, err)
	return fp
}

func rebootPhaseNames(res *modules.Result) []string {
	var names []string
	for _, p := range res.Phases {
		names = append(names, p.Name)
	}
	return names
}

// rebootSent lists the shutdown commands the host ran.
func rebootSent(h *lab.Host) []string {
	var out []string
	for _, e := range h.Log() {
		if strings.HasPrefix(strings.ToLower(e.Line), "shutdown") {
			out = append(out, e.Line)
		}
	}
	return out
}

func TestRebootWaitsThroughEveryPhase(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	h := l.Host("node1")
	before := rebootBootTime(t, l, "node1")

	res, progress, err := rebootRun(t, l, "node1", &modules.Reboot{})
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.True(t, res.Rebooted)
	assert.Equal(t, 1, h.Boots())
	after := rebootBootTime(t, l, "node1")
	assert.NotEqual(t, before, after)
	assert.Equal(t, after, res.Facts["boot_time"], "the result's boot time is the new one")
	assert.Equal(t, 0, res.Facts["extra_reboots"])
	assert.Greater(t, res.Facts["elapsed"], 0.0)
	assert.Equal(t, []string{`shutdown.exe /r /t 2 /c "Reboot initiated by winplay" /f`}, rebootSent(h))

	assert.Equal(t, []string{"send reboot", "down and back", "ready", "stable"}, rebootPhaseNames(res))
	for _, p := range res.Phases {
		assert.Positive(t, p.Elapsed, p.Name)
	}
	// The host was off the network for labtest.Offline, and the window
	// lasted labtest.Modules.Stable: both were really waited for.
	assert.GreaterOrEqual(t, res.Phases[1].Elapsed, labtest.Offline)
	assert.GreaterOrEqual(t, res.Phases[3].Elapsed, labtest.Modules.Stable)
	assert.Contains(t, progress.text(), "watching 400ms for a second reboot")

	// Check mode sends nothing.
	task := labtest.Task(t, l, "node1", true)
	res, err = (&modules.Reboot{}).Run(context.Background(), task)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.False(t, res.Rebooted)
	assert.Contains(t, res.Msg, "would reboot node1")
	assert.Empty(t, task.Host.(*labtest.Guard).Sent)
	assert.Equal(t, 1, h.Boots())
}

// A boot time that is not a validated CIM datetime from a command that
// exited 0 stops the reboot before anything is sent. A wmic.exe in the
// shell's directory is found before the real one, as on Windows.
func TestRebootRequiresAValidBootTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, impostor, want string
	}{
		{"malformed output", "hostname.exe", "printed no LastBootUpTime: \"NODE1"},
		{"non-zero exit code", "reg.exe", "exited 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := labtest.Start(t, lab.HostSpec{Name: "node1"})
			installerRun(t, l, "node1", `copy C:\WINNT\system32\`+tc.impostor+` wmic.exe`)
			_, _, err := rebootRun(t, l, "node1", &modules.Reboot{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "reading the boot time before the reboot")
			assert.Contains(t, err.Error(), "node1: `wmic os get lastbootuptime /value`")
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, rebootSent(l.Host("node1")), "a reboot was sent without a boot time to compare")
			assert.Zero(t, l.Host("node1").Boots())
		})
	}
}

func TestRebootAbortsAScheduledShutdownAndResends(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	h := l.Host("node1")
	installerRun(t, l, "node1", `shutdown /r /t 600 /c "maintenance tonight"`)
	require.Equal(t, "scheduled", h.Dump().Shutdown)

	res, progress, err := rebootRun(t, l, "node1", &modules.Reboot{})
	require.NoError(t, err)
	assert.True(t, res.Rebooted)
	assert.Equal(t, 1, h.Boots())
	assert.Equal(t, []string{
		`shutdown /r /t 600 /c "maintenance tonight"`,
		`shutdown.exe /r /t 2 /c "Reboot initiated by winplay" /f`, // 1190
		`shutdown.exe /a`,
		`shutdown.exe /r /t 2 /c "Reboot initiated by winplay" /f`,
	}, rebootSent(h))
	assert.Contains(t, progress.text(), "already scheduled; aborting it")
	assert.Empty(t, h.Dump().Shutdown, "the aborted shutdown is still pending")
}

func TestRebootWaitsForAShutdownAlreadyInProgress(t *testing.T) {
	t.Parallel()
	timing := labtest.Machine
	timing.Grace = time.Second // long enough to send ours while it is in progress
	l := labtest.StartConfig(t, lab.Config{Hosts: []lab.HostSpec{{Name: "node1"}}, Timing: timing})
	h := l.Host("node1")
	installerRun(t, l, "node1", `shutdown /r /t 0`)
	require.Eventually(t, func() bool { return h.Dump().Shutdown == "in progress" }, 5*time.Second, 5*time.Millisecond)

	res, progress, err := rebootRun(t, l, "node1", &modules.Reboot{})
	require.NoError(t, err)
	assert.True(t, res.Rebooted)
	assert.Equal(t, 1, h.Boots(), "1115: the shutdown in progress is the reboot")
	assert.Contains(t, progress.text(), "already in progress; waiting for it")
	sent := rebootSent(h)
	require.Len(t, sent, 2)
	assert.NotContains(t, sent[1], "/a", "a shutdown in progress cannot be aborted")
}

func TestRebootLostReplyWhileSendingCountsAsGoingDown(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	h := l.Host("node1")
	var lost atomic.Int32
	h.Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
		if r.Action == "Command" && strings.HasPrefix(r.CommandLine, "shutdown.exe /r") && lost.Add(1) == 1 {
			return wsman.Injection{Kind: wsman.LoseReply}
		}
		return wsman.Injection{}
	}))
	res, _, err := rebootRun(t, l, "node1", &modules.Reboot{})
	require.NoError(t, err)
	assert.True(t, res.Rebooted)
	assert.EqualValues(t, 1, lost.Load(), "the reply was not lost")
	assert.Len(t, rebootSent(h), 1, "the reboot was resent after its reply was lost")
	assert.Equal(t, 1, h.Boots())
}

func TestBackoffIsCappedExponentialWithJitter(t *testing.T) {
	t.Parallel()
	base, ceiling := 100*time.Millisecond, 2*time.Second
	for fails := 0; fails <= 70; fails++ {
		want := ceiling
		if fails < 5 {
			want = base << fails // 100ms … 1.6s
		}
		got := modules.Backoff(base, ceiling, fails)
		assert.LessOrEqual(t, got, want, "fails=%d", fails)
		assert.GreaterOrEqual(t, got, want*3/4, "fails=%d", fails)
	}
	// Jitter spreads hosts polled together over a quarter of the wait.
	seen := map[time.Duration]bool{}
	lo, hi := ceiling, time.Duration(0)
	for range 2000 {
		d := modules.Backoff(base, ceiling, 3)
		seen[d] = true
		lo, hi = min(lo, d), max(hi, d)
	}
	assert.Greater(t, len(seen), 1000, "no jitter")
	assert.Less(t, lo, 650*time.Millisecond)
	assert.Greater(t, hi, 780*time.Millisecond)
	// Degenerate inputs neither panic nor exceed what was asked.
	assert.Zero(t, modules.Backoff(0, ceiling, 3))
	assert.LessOrEqual(t, modules.Backoff(base, 0, 3), base)
}

func TestRebootReadinessWaitsForServiceStates(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	require.Equal(t, "auto", l.Host("node1").Dump().Services["ClusSvc"].StartType)

	res, _, err := rebootRun(t, l, "node1", &modules.Reboot{WaitServices: map[string]string{"ClusSvc": "running", "W3SVC": "running"}})
	require.NoError(t, err)
	assert.True(t, res.Rebooted)
	assert.Equal(t, "running", l.Host("node1").Dump().Services["ClusSvc"].State)

	// ClusSvc starts at boot: waiting for it to be stopped times out in
	// phase "ready", after the ready budget and not the default one.
	_, progress, err := rebootRun(t, l, "node1", &modules.Reboot{ReadyTimeout: "1s", WaitServices: map[string]string{"ClusSvc": "stopped"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `node1: timed out in phase "ready" after 1s`)
	assert.Contains(t, err.Error(), "ClusSvc is RUNNING, waiting for STOPPED")
	assert.Contains(t, progress.text(), "ClusSvc is RUNNING, waiting for STOPPED")
	assert.Equal(t, 2, l.Host("node1").Boots())
}

func TestRebootStabilityWindowCatchesASecondReboot(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	h := l.Host("node1")
	// Short probes see the host back within 300ms or so, well before it
	// restarts by itself, 800ms after its boot and inside the window.
	h.RebootAgainAfter(800 * time.Millisecond)

	res, progress, err := rebootRun(t, l, "node1", &modules.Reboot{ConnectTimeout: "300ms", StableFor: "1500ms"})
	require.NoError(t, err)
	assert.True(t, res.Rebooted)
	assert.Equal(t, 2, h.Boots(), "one managed reboot and one by itself")
	assert.Equal(t, 1, res.Facts["extra_reboots"])
	assert.Equal(t, rebootBootTime(t, l, "node1"), res.Facts["boot_time"], "the result names the last boot")
	assert.Contains(t, res.Msg, "caught 1 further, unmanaged reboot")
	assert.Contains(t, progress.text(), "rebooted again within the stability window")
	assert.Equal(t, []string{"send reboot", "down and back", "ready", "stable",
		"down and back (reboot 2)", "ready (reboot 2)", "stable (reboot 2)"}, rebootPhaseNames(res))
	assert.Positive(t, res.Phases[4].Elapsed, "the second time away is its own phase")
	assert.Len(t, rebootSent(h), 1)
}

// A probe that fails once the host is back is not a second reboot: the
// window goes on and the reboot succeeds.
func TestRebootStabilityWindowSurvivesAGlitch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		kind  wsman.InjectKind
		count int32
	}{
		{"one 500 fault", wsman.Fault500, 1},
		{"dropped requests", wsman.Drop, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := labtest.Start(t, lab.HostSpec{Name: "node1"})
			h := l.Host("node1")
			var backAt atomic.Int64
			var injected atomic.Int32
			h.Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
				if h.Boots() == 0 {
					return wsman.Injection{}
				}
				backAt.CompareAndSwap(0, time.Now().UnixNano())
				if time.Since(time.Unix(0, backAt.Load())) < 500*time.Millisecond {
					return wsman.Injection{}
				}
				// From the boot-time read on, 500ms after the host came back.
				if injected.Load() == 0 && !(r.Action == "Command" && strings.Contains(r.CommandLine, "lastbootuptime")) {
					return wsman.Injection{}
				}
				if injected.Add(1) <= tc.count {
					return wsman.Injection{Kind: tc.kind}
				}
				return wsman.Injection{}
			}))
			res, progress, err := rebootRun(t, l, "node1", &modules.Reboot{StableFor: "1s"})
			require.NoError(t, err, progress.text())
			assert.GreaterOrEqual(t, injected.Load(), tc.count, "the fault was never injected")
			assert.True(t, res.Rebooted)
			assert.Equal(t, 0, res.Facts["extra_reboots"])
			assert.Equal(t, 1, h.Boots())
			assert.Equal(t, []string{"send reboot", "down and back", "ready", "stable"}, rebootPhaseNames(res))
			assert.Contains(t, progress.text(), "a failed probe is not a reboot")
		})
	}
}

// A host off the network for longer than a glitch, but with the same
// boot time when it answers again, was not rebooted: the window starts
// over and the reboot succeeds.
func TestRebootStabilityWindowTellsAnOutageFromAReboot(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	h := l.Host("node1")
	var outageFrom, outageTo atomic.Int64
	h.Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
		if h.Boots() == 0 {
			return wsman.Injection{}
		}
		now := time.Now().UnixNano()
		if outageFrom.CompareAndSwap(0, now+int64(150*time.Millisecond)) {
			outageTo.Store(now + int64(1500*time.Millisecond))
		}
		if now >= outageFrom.Load() && now < outageTo.Load() {
			return wsman.Injection{Kind: wsman.Drop}
		}
		return wsman.Injection{}
	}))
	res, progress, err := rebootRun(t, l, "node1", &modules.Reboot{ConnectTimeout: "250ms"})
	require.NoError(t, err, progress.text())
	assert.Equal(t, 1, h.Boots())
	assert.Equal(t, 0, res.Facts["extra_reboots"])
	assert.Contains(t, progress.text(), "within the stability window; waiting for it to come back")
	assert.Contains(t, progress.text(), "back with the same boot time")
	assert.Regexp(t, `^stable$`, res.Phases[len(res.Phases)-1].Name)
}

func TestRebootHostThatNeverComesBack(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	h := l.Host("node1")
	h.NeverReturn(true)
	_, progress, err := rebootRun(t, l, "node1", &modules.Reboot{DownTimeout: "1s"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `node1: timed out in phase "down and back" after 1s`)
	assert.Contains(t, err.Error(), "unreachable", "the last error says why")
	assert.Contains(t, progress.text(), "down and back: still waiting")
	assert.Zero(t, h.Boots())
	assert.False(t, h.Up())
}

// Each phase has its own budget: down_timeout bounds coming back, not
// the readiness probe after it.
func TestRebootBudgetsArePerPhase(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	// Down for labtest.Offline, about 300ms: within a 2s down budget,
	// while the readiness probe fails on its own 500ms budget.
	res, _, err := rebootRun(t, l, "node1", &modules.Reboot{DownTimeout: "2s", ReadyTimeout: "500ms", WaitServices: map[string]string{"NoSuchService": "running"}})
	require.Error(t, err, "%v", res)
	assert.Contains(t, err.Error(), `timed out in phase "ready" after 500ms`)
	assert.Contains(t, err.Error(), "NoSuchService")
	assert.Equal(t, 1, l.Host("node1").Boots(), "the down phase did not wait for the host")
}

func TestRebootValidation(t *testing.T) {
	t.Parallel()
	neg := -1
	for _, tc := range []struct {
		r     modules.Reboot
		field string
	}{
		{modules.Reboot{DownTimeout: "soon"}, "down_timeout"},
		{modules.Reboot{StableFor: "-5s"}, "stable_for"},
		{modules.Reboot{ConnectTimeout: "5"}, "connect_timeout"},
		{modules.Reboot{PreRebootDelay: &neg}, "pre_reboot_delay"},
		{modules.Reboot{WaitServices: map[string]string{"ClusSvc": "started"}}, "wait_services"},
	} {
		errs := tc.r.Validate()
		require.NotEmpty(t, errs, "%+v", tc.r)
		assert.Equal(t, tc.field, errs[0].Field)
	}
	assert.Empty(t, (&modules.Reboot{StableFor: "30s", WaitServices: map[string]string{"ClusSvc": "stopped"}}).Validate())
}
