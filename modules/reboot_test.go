package modules_test

import (
	"context"
	"fmt"
	"regexp"
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
	mwin "github.com/winplay/winplay/modules/win"
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
	return rebootRunWith(t, l, name, r, rebootHooks{})
}

// rebootHooks let a test act on what the module does rather than on the
// clock, so that it holds on a loaded machine.
type rebootHooks struct {
	// progress sees each progress line, before the module goes on.
	progress func(line string)
	// wrap wraps the task's connection.
	wrap func(modules.Host) modules.Host
}

func rebootRunWith(t *testing.T, l *lab.Lab, name string, r *modules.Reboot, hooks rebootHooks) (*modules.Result, *rebootProgress, error) {
	t.Helper()
	require.Empty(t, r.Validate())
	task := labtest.Task(t, l, name, false)
	if hooks.wrap != nil {
		task.Host = hooks.wrap(task.Host)
	}
	p := &rebootProgress{}
	task.Progress = func(format string, args ...any) {
		p.add(format, args...)
		t.Logf("progress: "+format, args...)
		if hooks.progress != nil {
			hooks.progress(fmt.Sprintf(format, args...))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := r.Run(ctx, task)
	return res, p, err
}

// watching is the progress line that opens a stability window.
func watching(line string) bool {
	return strings.HasPrefix(line, "back and ready; watching ")
}

// driftHost reports the lab's boot time moved by shift(real): the jitter
// and clock adjustments that move LastBootUpTime on Windows without a
// reboot, which the lab does not simulate.
type driftHost struct {
	modules.Host
	shift func(real string) time.Duration
}

var bootTimeRE = regexp.MustCompile(`LastBootUpTime=(\S+)`)

func (d *driftHost) Run(ctx context.Context, cmd modules.Command) (modules.Output, error) {
	out, err := d.Host.Run(ctx, cmd)
	if err != nil || !strings.Contains(cmd.Line, "lastbootuptime") {
		return out, err
	}
	out.Stdout = bootTimeRE.ReplaceAllStringFunc(out.Stdout, func(m string) string {
		real := strings.TrimPrefix(m, "LastBootUpTime=")
		bt, err := mwin.ParseCIMDatetime(real)
		if err != nil {
			return m
		}
		return "LastBootUpTime=" + mwin.CIMDatetime(bt.Add(d.shift(real)))
	})
	return out, nil
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
	for _, e := range labtest.TaskLog(h) {
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
		{"malformed output", "hostname.exe", "no LastBootUpTime in wmic output \"NODE1"},
		{"non-zero exit code", "reg.exe", "exited 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := labtest.Start(t, lab.HostSpec{Name: "node1"})
			installerRun(t, l, "node1", `copy C:\WINNT\system32\`+tc.impostor+` wmic.exe`)
			_, _, err := rebootRun(t, l, "node1", &modules.Reboot{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "reading the boot time before the reboot")
			assert.Contains(t, err.Error(), "node1: `wmic os get lastbootuptime /value < nul`")
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
	// The host restarts by itself as the stability window opens.
	var crashed atomic.Bool
	res, progress, err := rebootRunWith(t, l, "node1", &modules.Reboot{}, rebootHooks{progress: func(line string) {
		if watching(line) && crashed.CompareAndSwap(false, true) {
			h.Crash()
		}
	}})
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
			var inWindow atomic.Bool
			var injected atomic.Int32
			h.Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
				// From the first boot-time read of the stability window on.
				if !inWindow.Load() || injected.Load() == 0 && !(r.Action == "Command" && strings.Contains(r.CommandLine, "lastbootuptime")) {
					return wsman.Injection{}
				}
				if injected.Add(1) <= tc.count {
					return wsman.Injection{Kind: tc.kind}
				}
				return wsman.Injection{}
			}))
			res, progress, err := rebootRunWith(t, l, "node1", &modules.Reboot{StableFor: "1s"}, rebootHooks{progress: func(line string) {
				if watching(line) {
					inWindow.Store(true)
				}
			}})
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
	// Every request is dropped for 1350ms from the opening of the window:
	// longer than a glitch (two 250ms probe timeouts).
	var outageTo atomic.Int64
	h.Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
		if time.Now().UnixNano() < outageTo.Load() {
			return wsman.Injection{Kind: wsman.Drop}
		}
		return wsman.Injection{}
	}))
	res, progress, err := rebootRunWith(t, l, "node1", &modules.Reboot{ConnectTimeout: "250ms"}, rebootHooks{progress: func(line string) {
		if watching(line) {
			outageTo.CompareAndSwap(0, time.Now().Add(1350*time.Millisecond).UnixNano())
		}
	}})
	require.NoError(t, err, progress.text())
	assert.Equal(t, 1, h.Boots())
	assert.Equal(t, 0, res.Facts["extra_reboots"])
	assert.Contains(t, progress.text(), "within the stability window; waiting for it to come back")
	assert.Contains(t, progress.text(), "back with the same boot time")
	assert.Regexp(t, `^stable$`, res.Phases[len(res.Phases)-1].Name)
}

// LastBootUpTime moves without a reboot (time sync, whole-second jitter).
// While a long pre_reboot_delay runs, such a move is not the reboot: the
// module waits for the host to go down and come back.
func TestRebootTellsBootTimeDriftFromTheReboot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// shift is how far the first boot's reported time moves once the
		// shutdown is pending.
		shift time.Duration
		lose  bool
		want  string
	}{
		// Later than the old boot time by far more than any jitter, but
		// while the host kept answering: the clock was set forward.
		{"a clock step while the host answers", 5 * time.Second, false, "a clock adjustment, not a reboot"},
		// After a lost reply a changed boot time alone may be the reboot;
		// not one within the jitter.
		{"jitter after a lost reply", 5 * time.Millisecond, true, "it drifts: the same boot"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := labtest.Start(t, lab.HostSpec{Name: "node1"})
			h := l.Host("node1")
			first := rebootBootTime(t, l, "node1")
			if tc.lose {
				var lost atomic.Bool
				h.Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
					if r.Action == "Command" && strings.HasPrefix(r.CommandLine, "shutdown.exe /r") && lost.CompareAndSwap(false, true) {
						return wsman.Injection{Kind: wsman.LoseReply}
					}
					return wsman.Injection{}
				}))
			}
			drift := &driftHost{shift: func(real string) time.Duration {
				if real != first {
					return 0
				}
				// The first boot was an hour before the lab started: no
				// move of its boot time reaches the time of the reboot.
				d := -time.Hour
				if len(rebootSent(h)) > 0 {
					d += tc.shift
				}
				return d
			}}
			// 50 lab seconds is 1s: longer than the 400ms stability window,
			// so a module fooled by the move returns before the host goes down.
			delay := 50
			res, progress, err := rebootRunWith(t, l, "node1", &modules.Reboot{PreRebootDelay: &delay}, rebootHooks{wrap: func(h modules.Host) modules.Host {
				drift.Host = h
				return drift
			}})
			require.NoError(t, err, progress.text())
			assert.Equal(t, 1, h.Boots(), "returned before the host rebooted")
			assert.Contains(t, progress.text(), tc.want)
			assert.Equal(t, rebootBootTime(t, l, "node1"), res.Facts["boot_time"])
			assert.Equal(t, 0, res.Facts["extra_reboots"])
			assert.Equal(t, []string{"send reboot", "down and back", "ready", "stable"}, rebootPhaseNames(res))
		})
	}
}

// A boot time that jitters within the stability window is not a second
// reboot, even right after a failed probe.
func TestRebootStabilityWindowIgnoresBootTimeJitter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault bool
	}{{"jitter", false}, {"jitter after a failed probe", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := labtest.Start(t, lab.HostSpec{Name: "node1"})
			h := l.Host("node1")
			first := rebootBootTime(t, l, "node1")
			var inWindow, faulted atomic.Bool
			if tc.fault {
				h.Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
					if inWindow.Load() && r.Action == "Command" && strings.Contains(r.CommandLine, "lastbootuptime") && faulted.CompareAndSwap(false, true) {
						return wsman.Injection{Kind: wsman.Fault500}
					}
					return wsman.Injection{}
				}))
			}
			drift := &driftHost{shift: func(real string) time.Duration {
				if real != first && inWindow.Load() {
					return 5 * time.Millisecond
				}
				return 0
			}}
			res, progress, err := rebootRunWith(t, l, "node1", &modules.Reboot{}, rebootHooks{
				wrap: func(h modules.Host) modules.Host {
					drift.Host = h
					return drift
				},
				progress: func(line string) {
					if watching(line) {
						inWindow.Store(true)
					}
				},
			})
			require.NoError(t, err, progress.text())
			assert.Equal(t, tc.fault, faulted.Load(), "the fault was not injected")
			assert.Equal(t, 1, h.Boots())
			assert.Equal(t, 0, res.Facts["extra_reboots"], progress.text())
			assert.Contains(t, progress.text(), "it drifts: the same boot")
			assert.Equal(t, []string{"send reboot", "down and back", "ready", "stable"}, rebootPhaseNames(res))
		})
	}
}

// A host that keeps rebooting fails the task: after maxExtraReboots (3)
// further reboots in all, or at the overall budget, twice the phase
// budgets, whichever comes first.
func TestRebootGivesUpOnAHostThatKeepsRebooting(t *testing.T) {
	t.Parallel()
	t.Run("too many reboots", func(t *testing.T) {
		t.Parallel()
		l := labtest.Start(t, lab.HostSpec{Name: "node1"})
		h := l.Host("node1")
		// The host restarts as each stability window opens.
		start := time.Now()
		_, progress, err := rebootRunWith(t, l, "node1", &modules.Reboot{}, rebootHooks{progress: func(line string) {
			if watching(line) {
				h.Crash()
			}
		}})
		require.Error(t, err)
		assert.Contains(t, err.Error(), `node1: giving up in phase "stable (reboot 4)"`)
		assert.Contains(t, err.Error(), "rebooted 4 more time(s) on its own")
		assert.Equal(t, 5, h.Boots())
		assert.Equal(t, 3, strings.Count(progress.text(), "rebooted again within the stability window"))
		// 2 x (5s + 5s + 400ms), labtest's phase budgets.
		assert.Less(t, time.Since(start), 2*(2*labtest.Modules.RebootPhase+labtest.Modules.Stable))
	})
	t.Run("out of time", func(t *testing.T) {
		t.Parallel()
		l := labtest.Start(t, lab.HostSpec{Name: "node1"})
		h := l.Host("node1")
		// The host restarts at the 5th boot-time read of each 2.4s window
		// (one every 400ms), so a round takes 2.3s or more, and the 8.8s
		// budget ends before a 4th reboot. The read that sees the crash
		// fails, so a late read cannot close the window first.
		var armed atomic.Bool
		var reads atomic.Int32
		h.Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
			if armed.Load() && r.Action == "Command" && strings.Contains(r.CommandLine, "lastbootuptime") && reads.Add(1) == 5 {
				armed.Store(false)
				go h.Crash()
				return wsman.Injection{Kind: wsman.Drop}
			}
			return wsman.Injection{}
		}))
		start := time.Now()
		_, progress, err := rebootRunWith(t, l, "node1", &modules.Reboot{DownTimeout: "1s", ReadyTimeout: "1s", StableFor: "2400ms"},
			rebootHooks{progress: func(line string) {
				if watching(line) {
					reads.Store(0)
					armed.Store(true)
				}
			}})
		elapsed := time.Since(start)
		require.Error(t, err, progress.text())
		assert.Regexp(t, `^node1: timed out in phase "[^"]+ \(reboot \d\)" after .*, at the end of the reboot's overall budget of 8.8s \(twice down_timeout \+ ready_timeout \+ stable_for\)`, err.Error())
		// It may stop a probe interval short of the budget, rather than
		// sleep past it.
		assert.GreaterOrEqual(t, elapsed, 8*time.Second)
		assert.Less(t, elapsed, 9800*time.Millisecond, "the overall budget was overrun")
		assert.GreaterOrEqual(t, h.Boots(), 3)
	})
}

func TestBootAdvanceComparesCIMDatetimes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		before, now string
		want        time.Duration
	}{
		{"20261201192203.500000+000", "20261201192203.500000+000", 0},
		// The jitter Windows shows without a reboot, both ways.
		{"20261201192203.500000+000", "20261201192204.500000+000", time.Second},
		{"20261201192203.500000+000", "20261201192202.500000+000", -time.Second},
		{"20261201192203.500000+000", "20261201192203.500001+000", time.Microsecond},
		// The same instant in another time zone is the same boot.
		{"20261201192203.500000+000", "20261201202203.500000+060", 0},
		{"20261201192203.500000+000", "20261201142203.500000-300", 0},
		// Across midnight, month and year.
		{"20261231235959.000000+000", "20270101000001.000000+000", 2 * time.Second},
	} {
		got, err := modules.BootAdvance(tc.before, tc.now)
		require.NoError(t, err, "%s -> %s", tc.before, tc.now)
		assert.Equal(t, tc.want, got, "%s -> %s", tc.before, tc.now)
	}
	for _, bad := range []string{"", "20261201192203.500000", "20261301192203.500000+000", "20261201192203.500000*000", "20261201192203.500000+0x0", "20261201192203.500000+-12", "20261201192203.500000+0000"} {
		_, err := modules.BootAdvance("20261201192203.500000+000", bad)
		assert.Error(t, err, "%q", bad)
		_, err = mwin.ParseCIMDatetime(bad)
		assert.Error(t, err, "%q", bad)
	}
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
	// while the readiness probe fails on its own 500ms budget (ClusSvc
	// starts at boot).
	res, _, err := rebootRun(t, l, "node1", &modules.Reboot{DownTimeout: "2s", ReadyTimeout: "500ms", WaitServices: map[string]string{"ClusSvc": "stopped"}})
	require.Error(t, err, "%v", res)
	assert.Contains(t, err.Error(), `timed out in phase "ready" after 500ms`)
	assert.Contains(t, err.Error(), "ClusSvc")
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

// The probe leak: with a misspelt name in wait_services each
// failed probe forgot its shell without deleting it, 30 were left open,
// and the error blamed the shell quota. A service the host does not have
// fails the wait at once, naming it, and no shell is left behind.
func TestRebootWithAMisspeltServiceFailsAtOnceAndLeaksNoShell(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	task := labtest.Task(t, l, "node1", false)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	_, err := (&modules.Reboot{ReadyTimeout: "30s", WaitServices: map[string]string{"ClusSv": "running"}}).Run(ctx, task)
	require.Error(t, err)
	assert.ErrorIs(t, err, modules.ErrNoService)
	assert.Contains(t, err.Error(), "ClusSv")
	assert.Less(t, time.Since(start), 20*time.Second, "it waited out the ready budget")
	assert.LessOrEqual(t, l.Host("node1").Server().Shells(), 1, "shells left open while it ran")
	require.NoError(t, task.Host.(*labtest.Guard).Host.(interface{ Close() error }).Close())
	assert.Zero(t, l.Host("node1").Server().Shells(), "a shell was left open")
}
