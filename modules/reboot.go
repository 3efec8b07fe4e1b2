package modules

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/winplay/winplay/modules/cmdline"
	"github.com/winplay/winplay/modules/win"
)

func init() {
	Register(Info{
		Name:    "reboot",
		Summary: "Reboot the host and wait until it has really rebooted, is ready and stays up.",
		New:     func() Module { return &Reboot{} },
	})
}

// Reboot restarts a host and does not return before the host has gone
// down, come back with a new boot time, answered a readiness probe and
// stayed up for a stability window.
//
// The algorithm is ansible.windows' win_reboot, with what it lacks: the
// boot time is a fingerprint validated as a CIM datetime and read only
// from a command that exited 0 (so error text is never taken for a new
// boot time); every phase has its own budget and a timeout names its
// phase; and the stability window catches a second, unmanaged reboot
// right after the first (Ansible has this only as a TODO).
type Reboot struct {
	// Msg is shown to logged-on users; default "Reboot initiated by winplay".
	Msg string `hcl:"msg,optional"`
	// PreRebootDelay is shutdown's /t, in seconds; default 2.
	PreRebootDelay *int `hcl:"pre_reboot_delay,optional"`
	// DownTimeout bounds the wait for the boot time to change; default 10m
	// (the lab's scaled timing shortens it).
	DownTimeout string `hcl:"down_timeout,optional"`
	// ReadyTimeout bounds the readiness probe after that; default 10m.
	ReadyTimeout string `hcl:"ready_timeout,optional"`
	// StableFor is how long the host must stay up; default 30s.
	StableFor string `hcl:"stable_for,optional"`
	// ConnectTimeout bounds each probe while the host is away or coming
	// back (connecting, opening a shell and running one command); a probe
	// that takes longer counts as failed and is retried; default 5s.
	ConnectTimeout string `hcl:"connect_timeout,optional"`
	// WaitServices must be in these states (running, stopped) before the
	// host counts as ready, e.g. { ClusSvc = "stopped" }.
	WaitServices map[string]string `hcl:"wait_services,optional"`
}

// Validate checks the arguments.
func (r *Reboot) Validate() []FieldError {
	var errs []FieldError
	for _, f := range []struct{ name, v string }{
		{"down_timeout", r.DownTimeout}, {"ready_timeout", r.ReadyTimeout},
		{"stable_for", r.StableFor}, {"connect_timeout", r.ConnectTimeout},
	} {
		if _, err := durationOr(f.v, time.Second); err != nil {
			errs = append(errs, FieldError{f.name, err.Error()})
		}
	}
	if r.PreRebootDelay != nil && (*r.PreRebootDelay < 0 || *r.PreRebootDelay > 600) {
		errs = append(errs, FieldError{"pre_reboot_delay", "must be between 0 and 600 seconds"})
	}
	if err := cmdline.CheckData(r.Msg); err != nil {
		errs = append(errs, FieldError{"msg", err.Error()})
	}
	for name, state := range r.WaitServices {
		if err := cmdline.CheckData(name); err != nil {
			errs = append(errs, FieldError{"wait_services", err.Error()})
		}
		if state != "running" && state != "stopped" {
			errs = append(errs, FieldError{"wait_services", fmt.Sprintf("%s: state must be running or stopped, not %q", name, state)})
		}
	}
	return errs
}

type rebootPlan struct {
	down, ready, stable, probe time.Duration
	// overall bounds the whole wait, from the send to stable.
	overall time.Duration
	// poll is the first interval between probes, backoff their ceiling.
	poll, backoff time.Duration
}

// maxExtraReboots is how many unmanaged reboots and outages, together over
// the whole wait, the stability window sits through before it gives up.
const maxExtraReboots = 3

func (r *Reboot) plan(t *Task) rebootPlan {
	p := rebootPlan{}
	phase := 10 * time.Minute
	if t.Timing.RebootPhase > 0 {
		phase = t.Timing.RebootPhase
	}
	p.down, _ = durationOr(r.DownTimeout, phase)
	p.ready, _ = durationOr(r.ReadyTimeout, phase)
	stable := 30 * time.Second
	if t.Timing.Stable > 0 {
		stable = t.Timing.Stable
	}
	p.stable, _ = durationOr(r.StableFor, stable)
	p.probe, _ = durationOr(r.ConnectTimeout, 5*time.Second)
	// Room for the reboot asked for and one more, unmanaged one, each
	// spending all of its phase budgets.
	p.overall = 2 * (p.down + p.ready + p.stable)
	p.poll = t.Timing.Poll
	if p.poll <= 0 {
		p.poll = time.Second
	}
	p.backoff = t.Timing.MaxBackoff
	if p.backoff <= 0 {
		p.backoff = 12 * time.Second
	}
	return p
}

// Run reboots the host and waits for it.
func (r *Reboot) Run(ctx context.Context, t *Task) (*Result, error) {
	if t.Check {
		return &Result{Changed: true, Msg: "would reboot " + t.Host.Name()}, nil
	}
	p := r.plan(t)
	start := time.Now()
	before, err := readBoot(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("reading the boot time before the reboot: %w", err)
	}
	inProgress, lost, err := r.send(ctx, t)
	if err != nil {
		return nil, err
	}
	sent := time.Since(start)
	if inProgress {
		t.Progressf("a shutdown was already in progress; waiting for it")
	}
	// A lost reply or a shutdown already under way may take the host down
	// before anything reads the old boot time again.
	w := newBootWatch(t, before, inProgress || lost)
	if !lost {
		w.upAt = time.Now() // the reply came from the old boot
	}
	res, err := r.await(ctx, t, p, w, start)
	if err != nil {
		return nil, err
	}
	res.Phases = append([]Phase{{"send reboot", sent}}, res.Phases...)
	return res, nil
}

// AwaitReboot waits for a reboot that something else started (an
// installer that exited 1641), given the boot time read before it. The
// host may have gone down, and come back, unseen; so a changed boot time
// is the reboot, unless a read shows the old boot first.
func AwaitReboot(ctx context.Context, t *Task, before string) (*Result, error) {
	if _, err := win.ParseCIMDatetime(before); err != nil {
		return nil, fmt.Errorf("%s: waiting for a reboot: %w", t.Host.Name(), err)
	}
	r := &Reboot{}
	now := time.Now()
	return r.await(ctx, t, r.plan(t), newBootWatch(t, bootReading{raw: before, at: now}, true), now)
}

// send asks for the reboot. It reports inProgress when Windows says a
// shutdown is already under way (1115): then there is nothing to send;
// and lost when the connection dropped while sending.
func (r *Reboot) send(ctx context.Context, t *Task) (inProgress, lost bool, err error) {
	delay := 2
	if r.PreRebootDelay != nil {
		delay = *r.PreRebootDelay
	}
	msg := r.Msg
	if msg == "" {
		msg = "Reboot initiated by winplay"
	}
	cmd := Change(cmdline.New("shutdown.exe").Arg("/r", "/t", strconv.Itoa(delay), "/c", msg, "/f"))
	for attempt := 0; ; attempt++ {
		out, err := t.Run(ctx, cmd)
		switch {
		case errors.Is(err, ErrOutcomeUnknown):
			// The connection dropped while the command was on its way: the
			// host is going down, which is what we asked for.
			return false, true, nil
		case err != nil:
			return false, false, err
		case out.ExitCode == 0:
			return false, false, nil
		case out.ExitCode == 1115:
			return true, false, nil
		case out.ExitCode == 1190 && attempt == 0:
			// Someone else's shutdown is scheduled; replace it with ours,
			// whose timing we know.
			t.Progressf("a shutdown was already scheduled; aborting it and sending ours")
			abort := Change(cmdline.New("shutdown.exe").Arg("/a"))
			if out, err := t.Run(ctx, abort); err != nil {
				return false, false, err
			} else if out.ExitCode != 0 && out.ExitCode != 1116 {
				return false, false, Failed(t.Host.Name(), abort, out, win.Win32Message(out.ExitCode))
			}
		default:
			return false, false, Failed(t.Host.Name(), cmd, out, win.Win32Message(out.ExitCode))
		}
	}
}

// waiter runs the waiting phases of one reboot. Its limits hold for the
// whole wait, not per round: an overall deadline, and one count of the
// reboots and outages caught after the first boot.
type waiter struct {
	t        *Task
	p        rebootPlan
	deadline time.Time
	reboots  int // further reboots caught in the stability window
	outages  int // times the host went away in the window without rebooting
}

// await runs the waiting phases: a new boot (by bootWatch's rule, which
// takes no drift of the boot time for a reboot), ready, stable. A second
// reboot caught in the stability window sends it back to waiting for
// ready and stable again. The whole wait takes at most p.overall, twice
// the sum of the phase budgets, and sits through maxExtraReboots further
// reboots and outages in all.
func (r *Reboot) await(ctx context.Context, t *Task, p rebootPlan, w *bootWatch, start time.Time) (*Result, error) {
	wt := &waiter{t: t, p: p, deadline: start.Add(p.overall)}
	var phases []Phase
	phaseStart := time.Now()
	after, err := wt.waitBoot(ctx, "down and back", w, false)
	if err != nil {
		return nil, err
	}
	for round := 0; ; round++ {
		phases = append(phases, Phase{roundName("down and back", round), time.Since(phaseStart)})
		phaseStart = time.Now()
		if err := r.waitReady(ctx, wt, roundName("ready", round)); err != nil {
			return nil, err
		}
		phases = append(phases, Phase{roundName("ready", round), time.Since(phaseStart)})
		phaseStart = time.Now()
		w = newBootWatch(t, after, false)
		again, downAt, err := wt.waitStable(ctx, round, w)
		if err != nil {
			return nil, err
		}
		if again == nil {
			phases = append(phases, Phase{roundName("stable", round), time.Since(phaseStart)})
			res := &Result{
				Changed: true, Rebooted: true, Phases: phases,
				Msg: fmt.Sprintf("rebooted in %s", time.Since(start).Round(100*time.Millisecond)),
				Facts: map[string]any{
					"boot_time": after.raw, "elapsed": time.Since(start).Seconds(), "extra_reboots": wt.reboots,
				},
			}
			if wt.reboots > 0 {
				res.Msg += fmt.Sprintf("; caught %d further, unmanaged reboot(s) in the stability window", wt.reboots)
			}
			return res, nil
		}
		phases = append(phases, Phase{roundName("stable", round), downAt.Sub(phaseStart)})
		wt.reboots++
		if err := wt.giveUp(roundName("stable", round)); err != nil {
			return nil, err
		}
		t.Progressf("rebooted again within the stability window (boot time %s, was %s): a second, unmanaged reboot; waiting until it is ready and stable", again.raw, after.raw)
		after, phaseStart = *again, downAt
	}
}

// giveUp fails the wait once the stability window has sat through more
// reboots and outages, together, than maxExtraReboots.
func (wt *waiter) giveUp(phase string) error {
	if wt.reboots+wt.outages <= maxExtraReboots {
		return nil
	}
	return fmt.Errorf("%s: giving up in phase %q: after the reboot the host rebooted %d more time(s) on its own and went away %d time(s) without rebooting; it does not stay up",
		wt.t.Host.Name(), phase, wt.reboots, wt.outages)
}

// budget is what a phase with its own budget may spend from now: that,
// or less when the overall deadline comes first (then overall is true).
func (wt *waiter) budget(own time.Duration) (d time.Duration, overall bool) {
	left := max(time.Until(wt.deadline), 0)
	if left < own {
		return left, true
	}
	return own, false
}

// phaseDoing says in words what the host does in a phase of the wait,
// for live progress.
func phaseDoing(phase string) string {
	switch {
	case strings.HasPrefix(phase, "down and back"):
		return "waiting for it to go down and come back"
	case strings.HasPrefix(phase, "ready"):
		return "waiting until it is ready"
	case strings.HasPrefix(phase, "stable"):
		return "watching it stay up (stability window)"
	}
	return phase
}

// timedOut starts the message of a phase that ran out of time, saying
// which budget ran out.
func (wt *waiter) timedOut(phase string, spent time.Duration, overall bool) string {
	msg := fmt.Sprintf("%s: timed out in phase %q after %s", wt.t.Host.Name(), phase, spent.Round(time.Millisecond))
	if overall {
		msg += fmt.Sprintf(", at the end of the reboot's overall budget of %s (twice down_timeout + ready_timeout + stable_for)", wt.p.overall)
	}
	return msg
}

func roundName(name string, round int) string {
	if round == 0 {
		return name
	}
	return fmt.Sprintf("%s (reboot %d)", name, round+1)
}

// waitBoot polls the boot time until it is a new boot by w's rule, or
// with anyBoot until the host answers at all.
func (wt *waiter) waitBoot(ctx context.Context, phase string, w *bootWatch, anyBoot bool) (bootReading, error) {
	var got bootReading
	err := wt.poll(ctx, wt.p.down, phase, func(ctx context.Context) error {
		b, err := readBoot(ctx, wt.t)
		if err != nil {
			w.failed = true
			return err
		}
		got = b
		if anyBoot {
			return nil
		}
		return w.next(b)
	})
	return got, err
}

// waitReady polls the readiness probe: a sentinel echo (a shell that
// starts and runs a command, not just a port that answers) and the
// services the task waits for.
func (r *Reboot) waitReady(ctx context.Context, wt *waiter, phase string) error {
	t := wt.t
	sentinel := "winplay-ready-" + randomHex(8)
	names := make([]string, 0, len(r.WaitServices))
	for n := range r.WaitServices {
		names = append(names, n)
	}
	sort.Strings(names)
	reported := ""
	return wt.poll(ctx, wt.p.ready, phase, func(ctx context.Context) error {
		out, err := t.Run(ctx, Read(cmdline.NewRaw("echo").Raw(sentinel)))
		if err != nil {
			return err
		}
		if out.ExitCode != 0 || !strings.Contains(out.Stdout, sentinel) {
			return notYet("the shell did not echo the readiness sentinel")
		}
		for _, n := range names {
			st, err := queryState(ctx, t, n)
			if err != nil {
				return err
			}
			want := StateRunning
			if r.WaitServices[n] == "stopped" {
				want = StateStopped
			}
			if st != want {
				why := fmt.Sprintf("%s is %s, waiting for %s", n, win.StateName(st), win.StateName(want))
				if why != reported {
					reported = why
					t.Progressf("%s", why)
				}
				return notYet(why)
			}
		}
		return nil
	})
}

// waitStable watches the boot time for the stability window. It returns
// the reading of a new boot when the host rebooted again (by w's rule),
// and when it went down.
//
// A probe that fails (a 500 fault, a reset connection) cannot tell, so the
// watch goes on, past the window if need be, until the boot time can be
// read. A host unreachable for longer than a glitch (two probe timeouts)
// went down: it is waited for, with the phase budget for coming back, and
// its boot time then says whether it rebooted or was only away.
func (wt *waiter) waitStable(ctx context.Context, round int, w *bootWatch) (again *bootReading, downAt time.Time, err error) {
	t, p := wt.t, wt.p
	host := t.Host.Name()
	phase := roundName("stable", round)
	interval := max(p.stable/6, 10*time.Millisecond)
	grace := 2 * p.probe
	phaseStart := time.Now()
	windowEnd := phaseStart.Add(p.stable)
	t.Progressf("back and ready; watching %s for a second reboot before going on", p.stable)
	t.StartPhase(phase, phaseDoing(phase), p.stable)
	var failingSince time.Time // first probe of the current run of failures
	var lastErr error
	fails := 0
	for {
		wait := min(interval, time.Until(windowEnd))
		if fails > 0 {
			wait = min(interval, Backoff(p.poll, p.backoff, fails))
		}
		if time.Now().Add(wait).After(wt.deadline) {
			msg := wt.timedOut(phase, time.Since(phaseStart), true)
			if lastErr != nil {
				msg += fmt.Sprintf(" (last error: %v)", lastErr)
			}
			return nil, time.Time{}, errors.New(msg)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, time.Time{}, fmt.Errorf("%s: phase %q: %w", host, phase, err)
		}
		probeStart := time.Now()
		pctx, cancel := context.WithDeadline(ctx, minTime(probeStart.Add(p.probe), wt.deadline))
		b, err := readBoot(pctx, t)
		cancel()
		if ctx.Err() != nil {
			return nil, time.Time{}, fmt.Errorf("%s: phase %q: %w", host, phase, ctx.Err())
		}
		if err == nil {
			if w.next(b) == nil {
				if failingSince.IsZero() {
					failingSince = probeStart
				}
				return &b, failingSince, nil
			}
			if fails > 0 {
				t.Progressf("read the boot time again after %d failed probe(s): the same boot, so no reboot", fails)
			}
			failingSince, fails, lastErr = time.Time{}, 0, nil
			if !time.Now().Before(windowEnd) {
				return nil, time.Time{}, nil
			}
			continue
		}
		w.failed = true
		t.Host.Reset()
		if fails == 0 {
			failingSince = probeStart
			t.Progressf("could not read the boot time (%v); a failed probe is not a reboot, probing again", err)
		}
		fails++
		lastErr = err
		if hostAway(err) && time.Since(failingSince) >= grace {
			t.Progressf("unreachable for %s within the stability window; waiting for it to come back", time.Since(failingSince).Round(100*time.Millisecond))
			back, err := wt.waitBoot(ctx, roundName("down and back", round+1), w, true)
			if err != nil {
				return nil, time.Time{}, err
			}
			if w.next(back) == nil {
				return &back, failingSince, nil
			}
			wt.outages++
			if err := wt.giveUp(phase); err != nil {
				return nil, time.Time{}, err
			}
			t.Progressf("back with the same boot time: it was unreachable for %s, not rebooted; watching %s again",
				time.Since(failingSince).Round(100*time.Millisecond), p.stable)
			windowEnd = time.Now().Add(p.stable)
			failingSince, fails, lastErr = time.Time{}, 0, nil
			continue
		}
		if time.Now().After(windowEnd.Add(p.ready)) {
			return nil, time.Time{}, fmt.Errorf("%s: timed out in phase %q: the boot time could not be read for %s after the %s window (last error: %v)",
				host, phase, p.ready, p.stable, lastErr)
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// hostAway reports whether a failed probe means the host is off the
// network (refused, not answering in time) rather than answering badly.
func hostAway(err error) bool {
	return errors.Is(err, ErrUnreachable) || errors.Is(err, context.DeadlineExceeded)
}

// notYet is a probe's answer that the host is not there yet: it answered,
// but not as wanted. It is not a failure and needs no new connection.
type notYet string

func (n notYet) Error() string { return string(n) }

// poll retries check with a short probe deadline and capped exponential
// backoff with jitter, resetting the connection after each failure, and
// reports progress while it waits. It spends at most the phase's own
// budget, and never goes past the overall deadline. The timeout names the
// phase, which budget ran out and why the last probe was not good enough.
func (wt *waiter) poll(ctx context.Context, own time.Duration, phase string, check func(context.Context) error) error {
	t, p := wt.t, wt.p
	budget, overall := wt.budget(own)
	if budget <= 0 {
		return errors.New(wt.timedOut(phase, 0, true))
	}
	t.StartPhase(phase, phaseDoing(phase), budget)
	start := time.Now()
	deadline := start.Add(budget)
	lastReport := start
	var last error
	for fails := 0; ; {
		pctx, cancel := context.WithDeadline(ctx, minTime(time.Now().Add(p.probe), wt.deadline))
		err := check(pctx)
		cancel()
		if err == nil {
			return nil
		}
		last = err
		if errors.Is(err, ErrNoService) {
			// The host answered that it has no such service: a misspelt
			// wait_services name, which no waiting will bring.
			return fmt.Errorf("%s: phase %q: %w (check wait_services)", t.Host.Name(), phase, err)
		}
		var ny notYet
		if !errors.As(err, &ny) {
			// While a host reboots every error is expected: drop the dead
			// connection and try again until the phase's budget is spent.
			fails++
			t.Host.Reset()
		}
		if time.Since(lastReport) >= 5*p.poll {
			lastReport = time.Now()
			t.Progressf("%s: still waiting after %s", phase, time.Since(start).Round(100*time.Millisecond))
		}
		wait := Backoff(p.poll, p.backoff, fails)
		if time.Now().Add(wait).After(deadline) {
			msg := wt.timedOut(phase, budget, overall)
			if errors.As(last, &ny) {
				return fmt.Errorf("%s (%s)", msg, ny)
			}
			// %v, not %w: the reboot failed in a phase; a wrapped
			// ErrUnreachable would have the runner call the host unreachable.
			return fmt.Errorf("%s (last error: %v)", msg, last)
		}
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: phase %q: %w", t.Host.Name(), phase, err)
		}
	}
}

// Backoff is the wait before the next probe after fails failures in a
// row: base doubled per failure up to ceiling, less up to a quarter at
// random, so that hosts rebooted together are not probed in step.
func Backoff(base, ceiling time.Duration, fails int) time.Duration {
	if base <= 0 {
		return 0
	}
	w := base
	for i := 0; i < fails && w < ceiling; i++ {
		w *= 2
	}
	w = min(w, max(ceiling, base))
	return w - time.Duration(rand.Int64N(int64(w)/4+1))
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// BootFingerprint reads the host's last boot time as a CIM datetime: with
// wmic where the host has it, otherwise with PowerShell's
// Get-CimInstance Win32_OperatingSystem, as ansible.windows' win_reboot
// does (wmic is gone from Server 2025). It accepts only a well-formed
// value from a command that exited 0.
func BootFingerprint(ctx context.Context, t *Task) (string, error) {
	wmic, err := legacyOrScript(ctx, t, "wmic", hasWMIC)
	if err != nil {
		return "", err
	}
	if !wmic {
		var res struct{ LastBootUpTime string }
		if err := runScript(ctx, t, "boot-time", &res); err != nil {
			return "", err
		}
		if _, err := win.ParseCIMDatetime(res.LastBootUpTime); err != nil {
			return "", fmt.Errorf("%s: the boot-time script: %w", t.Host.Name(), err)
		}
		return res.LastBootUpTime, nil
	}
	cmd := Read(cmdline.New("wmic").Arg("os", "get", "lastbootuptime", "/value").InputFromNul())
	out, err := t.Run(ctx, cmd)
	if err != nil {
		return "", err
	}
	if out.ExitCode != 0 {
		return "", Failed(t.Host.Name(), cmd, out, "")
	}
	boot, err := win.LastBootUpTime(out.Stdout)
	if err != nil {
		return "", fmt.Errorf("%s: `%s`: %w", t.Host.Name(), cmd.Line, err)
	}
	return boot, nil
}

// BootAdvance is how much later the boot time now is than before (both
// CIM datetimes; negative when earlier).
func BootAdvance(before, now string) (time.Duration, error) {
	b, err := win.ParseCIMDatetime(before)
	if err != nil {
		return 0, err
	}
	n, err := win.ParseCIMDatetime(now)
	if err != nil {
		return 0, err
	}
	return n.Sub(b), nil
}

// bootReading is a boot time read from the host, and when its answer came.
type bootReading struct {
	raw string
	at  time.Time
}

func readBoot(ctx context.Context, t *Task) (bootReading, error) {
	raw, err := BootFingerprint(ctx, t)
	if err != nil {
		return bootReading{}, err
	}
	return bootReading{raw: raw, at: time.Now()}, nil
}

// bootWatch tells a new boot from the boot being left. LastBootUpTime moves
// without a reboot: Windows derives it from the clock less the uptime, so
// it jitters by a second and follows every clock adjustment (known from
// elastic/beats#12591 and windows_exporter#74). So a reading is a new boot
// only when its boot time is later than the last reading of the old boot
// by more than tol, and the host showed it went away since that reading:
//   - a probe failed (on a real host a reboot takes far longer than a
//     probe with its retries, so one always fails), or
//   - the new boot time is after upAt, when the host last answered from
//     the old boot, on our clock (exact in the lab, whose clock is ours and
//     whose short reboots hide behind the connection's retries; on a real
//     host a drift passes it only from a clock ahead of ours by more than
//     the uptime), or
//   - lenient: the host may have gone down unseen (a lost reply, 1115, a
//     reboot someone else started), until a read shows the old boot.
//
// A boot time that moves otherwise is drift: the new reading becomes the
// reference, so that drift does not add up.
type bootWatch struct {
	ref     bootReading
	upAt    time.Time
	failed  bool
	lenient bool
	tol     time.Duration
	report  func(format string, args ...any)
}

func newBootWatch(t *Task, ref bootReading, lenient bool) *bootWatch {
	return &bootWatch{ref: ref, upAt: ref.at, lenient: lenient, tol: bootTolerance(t), report: t.Progressf}
}

// bootTolerance is how far a boot time may move without a reboot: 2s,
// twice the jitter, while a real reboot moves it by at least its own
// duration, tens of seconds. Under scaled-down timing (the lab, whose
// reboots take 100s of ms) it shrinks with the stability window.
func bootTolerance(t *Task) time.Duration {
	tol := 2 * time.Second
	if s := t.Timing.Stable; s > 0 {
		tol = min(tol, s/15)
	}
	return tol
}

// next returns nil when b is a new boot, and otherwise why it is not.
func (w *bootWatch) next(b bootReading) error {
	adv, err := BootAdvance(w.ref.raw, b.raw)
	if err != nil {
		return err
	}
	if adv > w.tol && (w.failed || w.lenient || w.bootAfterUp(b.raw)) {
		return nil
	}
	why := "the boot time is still " + b.raw
	switch {
	case adv > w.tol:
		why = fmt.Sprintf("the boot time moved from %s to %s (%s later), but the host never went away: a clock adjustment, not a reboot", w.ref.raw, b.raw, adv)
		w.report("%s", why)
	case adv != 0:
		why = fmt.Sprintf("the boot time moved from %s to %s by %s, within the %s it drifts: the same boot", w.ref.raw, b.raw, adv, w.tol)
		w.report("%s", why)
	}
	w.ref, w.upAt, w.failed, w.lenient = b, b.at, false, false
	return notYet(why)
}

// bootAfterUp reports whether boot is later than upAt, on our clock.
func (w *bootWatch) bootAfterUp(boot string) bool {
	bt, err := win.ParseCIMDatetime(boot)
	return err == nil && bt.After(w.upAt)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = cryptorand.Read(b)
	return hex.EncodeToString(b)
}
