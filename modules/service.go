package modules

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/winplay/winplay/modules/cmdline"
	"github.com/winplay/winplay/modules/win"
)

func init() {
	Register(Info{
		Name:    "service",
		Summary: "Start, stop or restart a Windows service and set its start mode (sc.exe).",
		New:     func() Module { return &Service{} },
	})
}

// Service brings a Windows service to a state and a start mode, reading
// both from sc.exe first so that a second run changes nothing.
type Service struct {
	// Name is the service's name as sc.exe knows it (the key name, e.g.
	// W3SVC or ClusSvc), not its display name.
	Name string `hcl:"name"`
	// State is started, stopped or restarted; empty leaves it alone.
	State string `hcl:"state,optional"`
	// StartMode is auto, manual, disabled or delayed; empty leaves it alone.
	StartMode string `hcl:"start_mode,optional"`
	// ForceDependents stops the services that depend on this one first
	// (net stop /y); without it, stopping a service others need fails.
	ForceDependents bool `hcl:"force_dependents,optional"`
	// Timeout bounds the wait for a pending start or stop; default 2m.
	Timeout string `hcl:"timeout,optional"`
}

var serviceStates = []string{"started", "stopped", "restarted"}

// startModes maps start_mode values to sc.exe's `start=` words.
var startModes = map[string]string{
	"auto":     "auto",
	"manual":   "demand",
	"disabled": "disabled",
	"delayed":  "delayed-auto",
}

// Validate checks the arguments.
func (s *Service) Validate() []FieldError {
	var errs []FieldError
	if s.Name == "" {
		errs = append(errs, FieldError{"name", "must not be empty"})
	} else if err := cmdline.CheckData(s.Name); err != nil {
		errs = append(errs, FieldError{"name", err.Error()})
	}
	if s.State != "" && !oneOf(s.State, serviceStates...) {
		errs = append(errs, FieldError{"state", fmt.Sprintf("must be one of %s, not %q", strings.Join(serviceStates, ", "), s.State)})
	}
	if _, ok := startModes[s.StartMode]; s.StartMode != "" && !ok {
		errs = append(errs, FieldError{"start_mode", fmt.Sprintf("must be one of auto, manual, disabled, delayed, not %q", s.StartMode)})
	}
	if s.State == "started" && s.StartMode == "disabled" {
		errs = append(errs, FieldError{"start_mode", "a disabled service cannot be started"})
	}
	if _, err := durationOr(s.Timeout, 0); err != nil {
		errs = append(errs, FieldError{"timeout", err.Error()})
	}
	return errs
}

// Run reads the service, reports the difference and applies it.
func (s *Service) Run(ctx context.Context, t *Task) (*Result, error) {
	timeout, _ := durationOr(s.Timeout, 2*time.Minute)
	before, err := QueryService(ctx, t, s.Name)
	if err != nil {
		return nil, err
	}
	after := before
	var changes []string

	if want := s.StartMode; want != "" && before.StartMode != want {
		after.StartMode = want
		changes = append(changes, fmt.Sprintf("start mode %s → %s", before.StartMode, want))
	}
	switch s.State {
	case "started":
		if !before.Running() {
			after.State = StateRunning
			changes = append(changes, fmt.Sprintf("%s → RUNNING", before.StateName()))
		}
	case "stopped":
		// A service already stopping (an earlier run's sc stop, or
		// someone else's) gets no second stop: Windows would refuse it
		// (1061); the run waits for it instead.
		if before.State != StateStopped && before.State != StateStopPending {
			after.State = StateStopped
			changes = append(changes, fmt.Sprintf("%s → STOPPED", before.StateName()))
		}
	case "restarted":
		after.State = StateRunning
		changes = append(changes, "restarted")
	}

	res := &Result{Changed: len(changes) > 0, Facts: map[string]any{
		"name": s.Name, "state": strings.ToLower(after.StateName()), "start_mode": after.StartMode,
	}}
	if t.Diff {
		res.Diff = &Diff{Before: before.lines(), After: after.lines()}
	}
	if !res.Changed {
		res.Msg = fmt.Sprintf("%s is %s, start mode %s", s.Name, before.StateName(), before.StartMode)
		if s.State == "stopped" && before.State == StateStopPending && !t.Check {
			if err := WaitService(ctx, t, s.Name, StateStopped, timeout); err != nil {
				return nil, err
			}
			res.Msg = fmt.Sprintf("%s was stopping already; it is STOPPED, start mode %s", s.Name, before.StartMode)
		}
		return res, nil
	}
	res.Msg = s.Name + ": " + strings.Join(changes, ", ")
	if t.Check {
		return res, nil
	}

	// A disabled service cannot start, so the start mode goes first when
	// starting; when stopping it goes last, as the runbook orders it.
	if s.State != "stopped" {
		if err := s.setStartMode(ctx, t, before); err != nil {
			return nil, err
		}
	}
	switch s.State {
	case "started":
		if !before.Running() {
			err = s.start(ctx, t, timeout)
		}
	case "stopped":
		if before.State != StateStopped {
			err = s.stop(ctx, t, timeout)
		}
	case "restarted":
		if before.State != StateStopped {
			err = s.stop(ctx, t, timeout)
		}
		if err == nil {
			err = s.start(ctx, t, timeout)
		}
	}
	if err != nil {
		return nil, err
	}
	if s.State == "stopped" {
		if err := s.setStartMode(ctx, t, before); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (s *Service) setStartMode(ctx context.Context, t *Task, before ServiceStatus) error {
	if s.StartMode == "" || before.StartMode == s.StartMode {
		return nil
	}
	cmd := Change(cmdline.New("sc.exe").Arg("config").Data(s.Name).Raw("start=").Arg(startModes[s.StartMode]))
	out, err := Apply(ctx, t, cmd, func(ctx context.Context) (bool, error) {
		now, err := QueryService(ctx, t, s.Name)
		return now.StartMode == s.StartMode, err
	})
	if err != nil {
		return err
	}
	if out.ExitCode != 0 {
		return Failed(t.Host.Name(), cmd, out, win.Win32Message(out.ExitCode))
	}
	return nil
}

func (s *Service) start(ctx context.Context, t *Task, timeout time.Duration) error {
	cmd := Change(cmdline.New("sc.exe").Arg("start").Data(s.Name))
	out, err := Apply(ctx, t, cmd, func(ctx context.Context) (bool, error) {
		now, err := QueryService(ctx, t, s.Name)
		return now.State != StateStopped, err
	})
	if err != nil {
		return err
	}
	// 1056: it is already running (someone else started it meanwhile).
	if out.ExitCode != 0 && out.ExitCode != 1056 {
		return Failed(t.Host.Name(), cmd, out, win.Win32Message(out.ExitCode))
	}
	return WaitService(ctx, t, s.Name, StateRunning, timeout)
}

func (s *Service) stop(ctx context.Context, t *Task, timeout time.Duration) error {
	var cmd Command
	if s.ForceDependents {
		cmd = Change(cmdline.New("net.exe").Arg("stop").Data(s.Name).Arg("/y"))
	} else {
		cmd = Change(cmdline.New("sc.exe").Arg("stop").Data(s.Name))
	}
	out, err := Apply(ctx, t, cmd, func(ctx context.Context) (bool, error) {
		now, err := QueryService(ctx, t, s.Name)
		return now.State == StateStopped || now.State == StateStopPending, err
	})
	if err != nil {
		return err
	}
	switch {
	case out.ExitCode == 0, out.ExitCode == 1062: // 1062: it had stopped meanwhile
	case out.ExitCode == 1051:
		return Failed(t.Host.Name(), cmd, out, win.Win32Message(1051)+"; set force_dependents = true to stop them too")
	default:
		return Failed(t.Host.Name(), cmd, out, win.Win32Message(out.ExitCode))
	}
	return WaitService(ctx, t, s.Name, StateStopped, timeout)
}

// Service states as sc.exe numbers them.
const (
	StateStopped      = win.StateStopped
	StateStartPending = win.StateStartPending
	StateStopPending  = win.StateStopPending
	StateRunning      = win.StateRunning
	StateContinuing   = win.StateContinuePending
	StatePausing      = win.StatePausePending
	StatePaused       = win.StatePaused
)

// ServiceStatus is what sc query and sc qc say about a service.
type ServiceStatus struct {
	State     int
	StartMode string // auto, manual, disabled, delayed
}

// Running reports whether the service runs or is starting.
func (s ServiceStatus) Running() bool {
	return s.State == StateRunning || s.State == StateStartPending || s.State == StateContinuing
}

// StateName is sc.exe's name of the state.
func (s ServiceStatus) StateName() string { return win.StateName(s.State) }

func (s ServiceStatus) lines() string {
	return Lines(map[string]string{"state": s.StateName(), "start_mode": s.StartMode})
}

// ErrNoService is returned (wrapped) when a service does not exist.
var ErrNoService = fmt.Errorf("%s", win.Win32Message(1060))

// QueryService reads a service's state and start mode with sc.exe.
func QueryService(ctx context.Context, t *Task, name string) (ServiceStatus, error) {
	state, err := queryState(ctx, t, name)
	if err != nil {
		return ServiceStatus{}, err
	}
	cmd := Read(cmdline.New("sc.exe").Arg("qc").Data(name))
	out, err := t.Run(ctx, cmd)
	if err != nil {
		return ServiceStatus{}, err
	}
	if out.ExitCode != 0 {
		return ServiceStatus{}, serviceError(t, name, cmd, out)
	}
	mode, err := win.StartType(out.Stdout)
	if err != nil {
		return ServiceStatus{}, fmt.Errorf("%s: `%s`: %w", t.Host.Name(), cmd.Line, err)
	}
	return ServiceStatus{State: state, StartMode: mode}, nil
}

func queryState(ctx context.Context, t *Task, name string) (int, error) {
	cmd := Read(cmdline.New("sc.exe").Arg("query").Data(name))
	out, err := t.Run(ctx, cmd)
	if err != nil {
		return 0, err
	}
	if out.ExitCode != 0 {
		return 0, serviceError(t, name, cmd, out)
	}
	state, err := win.ServiceState(out.Stdout)
	if err != nil {
		return 0, fmt.Errorf("%s: `%s`: %w", t.Host.Name(), cmd.Line, err)
	}
	return state, nil
}

func serviceError(t *Task, name string, cmd Command, out Output) error {
	if out.ExitCode == 1060 {
		return fmt.Errorf("%s: service %s: %w", t.Host.Name(), name, ErrNoService)
	}
	return Failed(t.Host.Name(), cmd, out, win.Win32Message(out.ExitCode))
}

// WaitService polls sc query until the service reaches state. It fails
// early, wrapping ErrRebooted, when the host reboots under it.
func WaitService(ctx context.Context, t *Task, name string, state int, timeout time.Duration) error {
	last := 0
	notice := noticeReboots(ctx, t)
	err := Poll(ctx, t, timeout, fmt.Sprintf("%s to be %s", name, win.StateName(state)), func(ctx context.Context) (bool, error) {
		now, err := queryState(ctx, t, name)
		if err != nil {
			notice.failed()
			return false, err
		}
		last = now
		if now == state {
			return true, nil
		}
		return false, notice.check(ctx)
	})
	if err != nil && last != 0 {
		return fmt.Errorf("%s: %w (it is %s)", t.Host.Name(), err, win.StateName(last))
	}
	return err
}
