package modules

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/winplay/winplay/modules/cmdline"
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
	if err := cmdline.Check(r.Msg); err != nil {
		errs = append(errs, FieldError{"msg", err.Error()})
	}
	for name, state := range r.WaitServices {
		if err := cmdline.Check(name); err != nil {
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
	// poll is the first interval between probes, backoff their ceiling.
	poll, backoff time.Duration
}

// maxExtraReboots is how many unmanaged reboots (or outages) the stability
// window sits through before it gives up on the host.
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
	before, err := BootFingerprint(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("reading the boot time before the reboot: %w", err)
	}
	inProgress, err := r.send(ctx, t)
	if err != nil {
		return nil, err
	}
	sent := time.Since(start)
	if inProgress {
		t.Progressf("a shutdown was already in progress; waiting for it")
	}
	res, err := r.await(ctx, t, p, before, start)
	if err != nil {
		return nil, err
	}
	res.Phases = append([]Phase{{"send reboot", sent}}, res.Phases...)
	return res, nil
}

// AwaitReboot waits for a reboot that something else started (an
// installer that exited 1641), given the boot time read before it.
func AwaitReboot(ctx context.Context, t *Task, before string) (*Result, error) {
	r := &Reboot{}
	return r.await(ctx, t, r.plan(t), before, time.Now())
}

// send asks for the reboot. It reports inProgress when Windows says a
// shutdown is already under way (1115): then there is nothing to send.
func (r *Reboot) send(ctx context.Context, t *Task) (inProgress bool, err error) {
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
			return false, nil
		case err != nil:
			return false, err
		case out.ExitCode == 0:
			return false, nil
		case out.ExitCode == 1115:
			return true, nil
		case out.ExitCode == 1190 && attempt == 0:
			// Someone else's shutdown is scheduled; replace it with ours,
			// whose timing we know.
			t.Progressf("a shutdown was already scheduled; aborting it and sending ours")
			abort := Change(cmdline.New("shutdown.exe").Arg("/a"))
			if out, err := t.Run(ctx, abort); err != nil {
				return false, err
			} else if out.ExitCode != 0 && out.ExitCode != 1116 {
				return false, Failed(t.Host.Name(), abort, out, Win32Message(out.ExitCode))
			}
		default:
			return false, Failed(t.Host.Name(), cmd, out, Win32Message(out.ExitCode))
		}
	}
}

// await runs the waiting phases: boot time changed, ready, stable. A
// second reboot caught in the stability window sends it back to waiting
// for ready and stable again.
func (r *Reboot) await(ctx context.Context, t *Task, p rebootPlan, before string, start time.Time) (*Result, error) {
	var phases []Phase
	var caught []string
	phaseStart := time.Now()
	after, err := r.waitBoot(ctx, t, p, "down and back", func(fp string) error {
		if fp == before {
			return notYet("the boot time is still " + fp + ", from before the reboot")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for round := 0; ; round++ {
		phases = append(phases, Phase{roundName("down and back", round), time.Since(phaseStart)})
		phaseStart = time.Now()
		if err := r.waitReady(ctx, t, p, roundName("ready", round)); err != nil {
			return nil, err
		}
		phases = append(phases, Phase{roundName("ready", round), time.Since(phaseStart)})
		phaseStart = time.Now()
		again, downAt, err := r.waitStable(ctx, t, p, round, after)
		if err != nil {
			return nil, err
		}
		if again == "" {
			phases = append(phases, Phase{roundName("stable", round), time.Since(phaseStart)})
			res := &Result{
				Changed: true, Rebooted: true, Phases: phases,
				Msg: fmt.Sprintf("rebooted in %s", time.Since(start).Round(100*time.Millisecond)),
				Facts: map[string]any{
					"boot_time": after, "elapsed": time.Since(start).Seconds(), "extra_reboots": len(caught),
				},
			}
			if len(caught) > 0 {
				res.Msg += fmt.Sprintf("; caught %d further, unmanaged reboot(s) in the stability window", len(caught))
			}
			return res, nil
		}
		phases = append(phases, Phase{roundName("stable", round), downAt.Sub(phaseStart)})
		caught = append(caught, again)
		if len(caught) > maxExtraReboots {
			return nil, fmt.Errorf("%s: stability window: the host rebooted %d more times on its own; giving up", t.Host.Name(), len(caught))
		}
		t.Progressf("rebooted again within the stability window (boot time %s, was %s): a second, unmanaged reboot; waiting until it is ready and stable", again, after)
		after, phaseStart = again, downAt
	}
}

func roundName(name string, round int) string {
	if round == 0 {
		return name
	}
	return fmt.Sprintf("%s (reboot %d)", name, round+1)
}

// waitBoot polls the boot time until it can be read and accept takes it.
func (r *Reboot) waitBoot(ctx context.Context, t *Task, p rebootPlan, phase string, accept func(fp string) error) (string, error) {
	var fp string
	err := r.poll(ctx, t, p, p.down, phase, func(ctx context.Context) error {
		var err error
		if fp, err = BootFingerprint(ctx, t); err != nil {
			return err
		}
		return accept(fp)
	})
	return fp, err
}

// waitReady polls the readiness probe: a sentinel echo (a shell that
// starts and runs a command, not just a port that answers) and the
// services the task waits for.
func (r *Reboot) waitReady(ctx context.Context, t *Task, p rebootPlan, phase string) error {
	sentinel := "winplay-ready-" + randomHex(8)
	names := make([]string, 0, len(r.WaitServices))
	for n := range r.WaitServices {
		names = append(names, n)
	}
	sort.Strings(names)
	reported := ""
	return r.poll(ctx, t, p, p.ready, phase, func(ctx context.Context) error {
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
				why := fmt.Sprintf("%s is %s, waiting for %s", n, stateNames[st], stateNames[want])
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
// the new boot time when the host rebooted again, and when it went down.
//
// Only a validated boot time other than fp counts as a second reboot. A
// probe that fails (a 500 fault, a reset connection) cannot tell, so the
// watch goes on, past the window if need be, until the boot time can be
// read. A host unreachable for longer than a glitch (two probe timeouts)
// went down: it is waited for, with the phase budget for coming back, and
// its boot time then says whether it rebooted or was only away.
func (r *Reboot) waitStable(ctx context.Context, t *Task, p rebootPlan, round int, fp string) (again string, downAt time.Time, err error) {
	host := t.Host.Name()
	phase := roundName("stable", round)
	interval := max(p.stable/6, 10*time.Millisecond)
	grace := 2 * p.probe
	windowEnd := time.Now().Add(p.stable)
	t.Progressf("back and ready; watching %s for a second reboot before going on", p.stable)
	var failingSince time.Time // first probe of the current run of failures
	var lastErr error
	fails, outages := 0, 0
	for {
		wait := min(interval, time.Until(windowEnd))
		if fails > 0 {
			wait = min(interval, Backoff(p.poll, p.backoff, fails))
		}
		if err := sleep(ctx, wait); err != nil {
			return "", time.Time{}, fmt.Errorf("%s: phase %q: %w", host, phase, err)
		}
		probeStart := time.Now()
		pctx, cancel := context.WithTimeout(ctx, p.probe)
		now, err := BootFingerprint(pctx, t)
		cancel()
		if ctx.Err() != nil {
			return "", time.Time{}, fmt.Errorf("%s: phase %q: %w", host, phase, ctx.Err())
		}
		if err == nil {
			if now != fp {
				if failingSince.IsZero() {
					failingSince = probeStart
				}
				return now, failingSince, nil
			}
			if fails > 0 {
				t.Progressf("read the boot time again after %d failed probe(s): unchanged, so no reboot", fails)
			}
			failingSince, fails, lastErr = time.Time{}, 0, nil
			if !time.Now().Before(windowEnd) {
				return "", time.Time{}, nil
			}
			continue
		}
		t.Host.Reset()
		if fails == 0 {
			failingSince = probeStart
			t.Progressf("could not read the boot time (%v); a failed probe is not a reboot, probing again", err)
		}
		fails++
		lastErr = err
		if hostAway(err) && time.Since(failingSince) >= grace {
			t.Progressf("unreachable for %s within the stability window; waiting for it to come back", time.Since(failingSince).Round(100*time.Millisecond))
			back, err := r.waitBoot(ctx, t, p, roundName("down and back", round+1), func(string) error { return nil })
			if err != nil {
				return "", time.Time{}, err
			}
			if back != fp {
				return back, failingSince, nil
			}
			if outages++; outages > maxExtraReboots {
				return "", time.Time{}, fmt.Errorf("%s: stability window: the host went away %d times without rebooting; giving up", host, outages)
			}
			t.Progressf("back with the same boot time: it was unreachable for %s, not rebooted; watching %s again",
				time.Since(failingSince).Round(100*time.Millisecond), p.stable)
			windowEnd = time.Now().Add(p.stable)
			failingSince, fails, lastErr = time.Time{}, 0, nil
			continue
		}
		if time.Now().After(windowEnd.Add(p.ready)) {
			return "", time.Time{}, fmt.Errorf("%s: timed out in phase %q: the boot time could not be read for %s after the %s window (last error: %v)",
				host, phase, p.ready, p.stable, lastErr)
		}
	}
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
// reports progress while it waits. The timeout names the phase and why
// the last probe was not good enough.
func (r *Reboot) poll(ctx context.Context, t *Task, p rebootPlan, budget time.Duration, phase string, check func(context.Context) error) error {
	start := time.Now()
	deadline := start.Add(budget)
	lastReport := start
	var last error
	for fails := 0; ; {
		pctx, cancel := context.WithTimeout(ctx, p.probe)
		err := check(pctx)
		cancel()
		if err == nil {
			return nil
		}
		last = err
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
			msg := fmt.Sprintf("%s: timed out in phase %q after %s", t.Host.Name(), phase, budget)
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

var cimDatetime = regexp.MustCompile(`LastBootUpTime=(\d{14}\.\d{6}[+-]\d{3})`)

// BootFingerprint reads the host's last boot time as a CIM datetime. It
// accepts only a well-formed value from a command that exited 0.
func BootFingerprint(ctx context.Context, t *Task) (string, error) {
	cmd := Read(cmdline.New("wmic").Arg("os", "get", "lastbootuptime", "/value"))
	out, err := t.Run(ctx, cmd)
	if err != nil {
		return "", err
	}
	if out.ExitCode != 0 {
		return "", Failed(t.Host.Name(), cmd, out, "")
	}
	m := cimDatetime.FindStringSubmatch(out.Stdout)
	if m == nil {
		return "", fmt.Errorf("%s: `%s` printed no LastBootUpTime: %q", t.Host.Name(), cmd.Line, clip(out.Stdout))
	}
	if _, err := time.Parse("20060102150405.000000", m[1][:21]); err != nil {
		return "", fmt.Errorf("%s: `%s` printed a LastBootUpTime that is no date: %q", t.Host.Name(), cmd.Line, m[1])
	}
	return m[1], nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = cryptorand.Read(b)
	return hex.EncodeToString(b)
}
