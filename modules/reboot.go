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
	// ConnectTimeout bounds each probe; default 5s.
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
}

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
	connect, _ := durationOr(r.ConnectTimeout, 5*time.Second)
	p.probe = 2 * connect
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
// second reboot caught in the stability window sends it back to waiting.
func (r *Reboot) await(ctx context.Context, t *Task, p rebootPlan, before string, start time.Time) (*Result, error) {
	var phases []Phase
	var caught []string
	current := before
	for round := 0; ; round++ {
		phaseStart := time.Now()
		after, err := r.waitBootChange(ctx, t, p, current)
		if err != nil {
			return nil, err
		}
		phases = append(phases, Phase{roundName("down and back", round), time.Since(phaseStart)})
		phaseStart = time.Now()
		if err := r.waitReady(ctx, t, p); err != nil {
			return nil, err
		}
		phases = append(phases, Phase{roundName("ready", round), time.Since(phaseStart)})
		phaseStart = time.Now()
		again, err := r.waitStable(ctx, t, p, after)
		if err != nil {
			return nil, err
		}
		phases = append(phases, Phase{roundName("stable", round), time.Since(phaseStart)})
		if !again {
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
		if round >= 3 {
			return nil, fmt.Errorf("%s: stability window: the host rebooted %d more times on its own; giving up", t.Host.Name(), round+1)
		}
		caught = append(caught, after)
		current = after
		t.Progressf("went down again within the stability window: a second, unmanaged reboot; waiting for it")
	}
}

func roundName(name string, round int) string {
	if round == 0 {
		return name
	}
	return fmt.Sprintf("%s (reboot %d)", name, round+1)
}

// waitBootChange polls the boot time until it differs from before.
func (r *Reboot) waitBootChange(ctx context.Context, t *Task, p rebootPlan, before string) (string, error) {
	var after string
	err := r.poll(ctx, t, p, p.down, "down and back", func(ctx context.Context) (bool, error) {
		fp, err := BootFingerprint(ctx, t)
		if err != nil {
			return false, err
		}
		after = fp
		return fp != before, nil
	})
	return after, err
}

// waitReady polls the readiness probe: a sentinel echo (a shell that
// starts and runs a command, not just a port that answers) and the
// services the task waits for.
func (r *Reboot) waitReady(ctx context.Context, t *Task, p rebootPlan) error {
	sentinel := "winplay-ready-" + randomHex(8)
	names := make([]string, 0, len(r.WaitServices))
	for n := range r.WaitServices {
		names = append(names, n)
	}
	sort.Strings(names)
	return r.poll(ctx, t, p, p.ready, "ready", func(ctx context.Context) (bool, error) {
		out, err := t.Run(ctx, Read(cmdline.NewRaw("echo").Raw(sentinel)))
		if err != nil {
			return false, err
		}
		if out.ExitCode != 0 || !strings.Contains(out.Stdout, sentinel) {
			return false, nil
		}
		for _, n := range names {
			st, err := queryState(ctx, t, n)
			if err != nil {
				return false, err
			}
			want := StateRunning
			if r.WaitServices[n] == "stopped" {
				want = StateStopped
			}
			if st != want {
				t.Progressf("waiting for %s to be %s (it is %s)", n, stateNames[want], stateNames[st])
				return false, nil
			}
		}
		return true, nil
	})
}

// waitStable watches the boot time for the stability window. It reports
// again when the host went away or came back with another boot time.
func (r *Reboot) waitStable(ctx context.Context, t *Task, p rebootPlan, fp string) (again bool, err error) {
	interval := max(p.stable/6, 10*time.Millisecond)
	deadline := time.Now().Add(p.stable)
	t.Progressf("back and ready; watching %s for a second reboot before going on", p.stable)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("%s: stability window: %w", t.Host.Name(), ctx.Err())
		case <-time.After(min(interval, time.Until(deadline))):
		}
		pctx, cancel := context.WithTimeout(ctx, p.probe)
		now, err := BootFingerprint(pctx, t)
		cancel()
		if err != nil || now != fp {
			t.Host.Reset()
			return true, nil
		}
	}
	return false, nil
}

// poll retries check with a short probe deadline and capped exponential
// backoff with jitter, resetting the connection after each failure, and
// reports progress while it waits.
func (r *Reboot) poll(ctx context.Context, t *Task, p rebootPlan, budget time.Duration, phase string, check func(context.Context) (bool, error)) error {
	start := time.Now()
	deadline := start.Add(budget)
	base := t.Timing.Poll
	if base <= 0 {
		base = time.Second
	}
	maxWait := t.Timing.MaxBackoff
	if maxWait <= 0 {
		maxWait = 12 * time.Second
	}
	lastReport := start
	var lastErr error
	for fails := 0; ; {
		pctx, cancel := context.WithTimeout(ctx, p.probe)
		done, err := check(pctx)
		cancel()
		if done {
			return nil
		}
		if err != nil {
			// While a host reboots every error is expected: drop the dead
			// connection and try again until the phase's budget is spent.
			lastErr = err
			fails++
			t.Host.Reset()
		}
		if time.Since(lastReport) >= 5*base {
			lastReport = time.Now()
			t.Progressf("%s: still waiting after %s", phase, time.Since(start).Round(100*time.Millisecond))
		}
		wait := min(base<<min(fails, 10), maxWait)
		wait += time.Duration(rand.Int64N(int64(wait)/4 + 1))
		if time.Now().Add(wait).After(deadline) {
			msg := fmt.Sprintf("%s: timed out in phase %q after %s", t.Host.Name(), phase, budget)
			if lastErr != nil {
				return fmt.Errorf("%s (last error: %v)", msg, lastErr)
			}
			return errors.New(msg)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: phase %q: %w", t.Host.Name(), phase, ctx.Err())
		case <-time.After(wait):
		}
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
	return m[1], nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = cryptorand.Read(b)
	return hex.EncodeToString(b)
}
