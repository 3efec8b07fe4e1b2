package modules

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/winplay/winplay/modules/cmdline"
)

func init() {
	Register(Info{
		Name:    "assert",
		Summary: "Fail unless conditions hold: expressions (that) and/or a service's state and start mode.",
		New:     func() Module { return &Assert{} },
	})
}

// Assert stops a host's run unless every condition holds. It reads only,
// so it runs in check mode as well.
type Assert struct {
	// That lists boolean expressions, evaluated for the host; all must hold.
	That []bool `hcl:"that,optional"`
	// Service, with State and/or StartMode, asserts what sc.exe reports.
	Service string `hcl:"service,optional"`
	// State is the state that Service must be in: running, stopped, paused,
	// start_pending or stop_pending.
	State string `hcl:"state,optional"`
	// StartMode is the start mode that Service must have: auto, manual,
	// disabled or delayed.
	StartMode string `hcl:"start_mode,optional"`
	// FailMsg replaces the default failure message.
	FailMsg string `hcl:"fail_msg,optional"`
}

// Validate checks the arguments.
func (a *Assert) Validate() []FieldError {
	var errs []FieldError
	if a.That == nil && a.Service == "" {
		errs = append(errs, FieldError{"", "nothing to assert: set that, or service with state or start_mode"})
	}
	if a.Service != "" {
		if err := cmdline.CheckData(a.Service); err != nil {
			errs = append(errs, FieldError{"service", err.Error()})
		}
		if a.State == "" && a.StartMode == "" {
			errs = append(errs, FieldError{"service", "needs state or start_mode to assert"})
		}
	} else if a.State != "" || a.StartMode != "" {
		errs = append(errs, FieldError{"state", "state and start_mode need service"})
	}
	if _, ok := stateByWord[a.State]; a.State != "" && !ok {
		errs = append(errs, FieldError{"state", fmt.Sprintf("must be one of running, stopped, paused, start_pending, stop_pending, not %q", a.State)})
	}
	if _, ok := startModes[a.StartMode]; a.StartMode != "" && !ok {
		errs = append(errs, FieldError{"start_mode", fmt.Sprintf("must be one of auto, manual, disabled, delayed, not %q", a.StartMode)})
	}
	return errs
}

// Run checks each condition.
func (a *Assert) Run(ctx context.Context, t *Task) (*Result, error) {
	var failed []string
	for i, ok := range a.That {
		if !ok {
			failed = append(failed, fmt.Sprintf("that[%d] is false", i))
		}
	}
	var service, by []string
	if a.Service != "" {
		st, err := QueryService(ctx, t, a.Service)
		if err != nil {
			return nil, err
		}
		if a.State != "" && st.State != stateByWord[a.State] {
			service = append(service, fmt.Sprintf("%s is %s, not %s", a.Service, st.StateName(), strings.ToUpper(a.State)))
			by = append(by, t.PredictedBy(ServiceKey(a.Service, "state")))
		}
		if a.StartMode != "" && st.StartMode != a.StartMode {
			service = append(service, fmt.Sprintf("%s start mode is %s, not %s", a.Service, st.StartMode, a.StartMode))
			by = append(by, t.PredictedBy(ServiceKey(a.Service, "start_mode")))
		}
	}
	if t.Check && len(failed) == 0 && len(service) > 0 && !slices.Contains(by, "") {
		// Earlier tasks of this dry run only predicted that they would
		// change the service, so it is still as it was: say so rather
		// than fail the rehearsal. A service nothing would change fails
		// here as it will in the real run.
		return &Result{Msg: fmt.Sprintf("cannot hold yet in a dry run: %s now; task %q would change it first",
			strings.Join(service, "; "), by[0])}, nil
	}
	failed = append(failed, service...)
	if len(failed) > 0 {
		msg := strings.Join(failed, "; ")
		if a.FailMsg != "" {
			msg = a.FailMsg + " (" + msg + ")"
		}
		return nil, fmt.Errorf("%s: assertion failed: %s", t.Host.Name(), msg)
	}
	return &Result{Msg: "all assertions passed"}, nil
}
