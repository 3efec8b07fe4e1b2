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
		Name:    "wait_for",
		Summary: "Wait until a service reaches a state (\"do not proceed until the cluster service is stopped\").",
		New:     func() Module { return &WaitFor{} },
	})
}

// WaitFor polls a service until it reaches a state, and fails when the
// timeout passes first. It never changes anything, so it runs in check mode
// too: a dry run then shows whether the condition already holds.
type WaitFor struct {
	// Service is the service's name as sc.exe knows it, e.g. ClusSvc.
	Service string `hcl:"service"`
	// State is running or stopped (or paused, start_pending, stop_pending).
	State string `hcl:"state"`
	// Timeout bounds the wait for the state; default 5m.
	Timeout string `hcl:"timeout,optional"`
}

var stateByWord = map[string]int{
	"stopped": StateStopped, "start_pending": StateStartPending, "stop_pending": StateStopPending,
	"running": StateRunning, "paused": StatePaused,
}

// Validate checks the arguments.
func (w *WaitFor) Validate() []FieldError {
	var errs []FieldError
	if err := cmdline.CheckData(w.Service); err != nil || w.Service == "" {
		errs = append(errs, FieldError{"service", "must name a service" + errSuffix(err)})
	}
	if _, ok := stateByWord[w.State]; !ok {
		errs = append(errs, FieldError{"state", fmt.Sprintf("must be one of running, stopped, paused, start_pending, stop_pending, not %q", w.State)})
	}
	if _, err := durationOr(w.Timeout, 0); err != nil {
		errs = append(errs, FieldError{"timeout", err.Error()})
	}
	return errs
}

// Run waits for the state.
func (w *WaitFor) Run(ctx context.Context, t *Task) (*Result, error) {
	timeout, _ := durationOr(w.Timeout, 5*time.Minute)
	start := time.Now()
	if by := t.PredictedBy(ServiceKey(w.Service, "state")); by != "" {
		// An earlier task of this dry run only predicted that it would
		// change the state, so it may never come: read it once and say
		// what would happen. Otherwise wait as the real run would (it only
		// reads), and fail as it would.
		now, err := queryState(ctx, t, w.Service)
		if err != nil {
			return nil, err
		}
		if now != stateByWord[w.State] {
			return &Result{Msg: fmt.Sprintf("would wait up to %s for %s to be %s (it is %s now; task %q would change it first)",
				timeout, w.Service, strings.ToUpper(w.State), win.StateName(now), by)}, nil
		}
	}
	if err := WaitService(ctx, t, w.Service, stateByWord[w.State], timeout); err != nil {
		return nil, err
	}
	return &Result{
		Msg:   fmt.Sprintf("%s is %s", w.Service, strings.ToUpper(w.State)),
		Facts: map[string]any{"elapsed": time.Since(start).Seconds()},
	}, nil
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}
