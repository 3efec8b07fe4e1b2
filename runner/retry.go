package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/modules"
)

// lostReplies records the changing commands of one task run whose reply
// was lost: their outcome is unknown, so the task may be retried only
// after the state read again shows they did not take effect.
type lostReplies struct {
	mu    sync.Mutex
	lines []string
}

func (l *lostReplies) add(line string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
}

// take returns the lines recorded since the last take and forgets them.
func (l *lostReplies) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.lines
	l.lines = nil
	return out
}

// attemptRun is one task on one host, as its attempts need it.
type attemptRun struct {
	task    *Task
	host    *inventory.Host
	module  modules.Module
	mt      *modules.Task
	evalCtx *hcl.EvalContext
	start   time.Time
}

// attempts runs the module with the task's retries and until. A retry is
// never a blind resend: after an attempt whose changing command's reply
// was lost, the state is read again (settle) and the task runs again only
// when it proves the change did not take effect. Each retried attempt is
// an EventAttempt, which the journal records with why and what was read.
func (e *engine) attempts(ctx context.Context, a attemptRun) (*modules.Result, int, error) {
	task, mt := a.task, a.mt
	lost := mt.Host.(guard).lost
	for attempt := 1; ; attempt++ {
		res, err := a.module.Run(ctx, mt)
		lostLines := lost.take()
		if errors.Is(err, modules.ErrUnreachable) {
			return res, attempt, err
		}
		done := err == nil
		if task.Until != nil && err == nil {
			if done, err = e.until(a, res, attempt); err != nil {
				return res, attempt, err
			}
		}
		if done {
			return res, attempt, nil
		}
		if err == nil {
			err = errors.New("until condition still false")
		}
		if task.Retries < 0 || attempt > task.Retries {
			return res, attempt, err
		}
		ev := Event{Type: EventAttempt, Attempts: attempt, Error: err.Error()}
		if errors.Is(err, modules.ErrOutcomeUnknown) || len(lostLines) > 0 {
			s := e.settle(ctx, a, err, lostLines)
			ev.Msg = s.decision
			e.emitAttempt(a, ev)
			if !s.retry {
				return s.res, attempt, s.err
			}
		} else {
			ev.Msg = fmt.Sprintf("retrying in %s (attempt %d of %d)", task.Delay, attempt+1, task.Retries+1)
			e.emitAttempt(a, ev)
		}
		select {
		case <-ctx.Done():
			return res, attempt, fmt.Errorf("waiting to retry: %w", ctx.Err())
		case <-time.After(task.Delay):
		}
	}
}

// until evaluates the task's until condition on an attempt's result.
func (e *engine) until(a attemptRun, res *modules.Result, attempt int) (bool, error) {
	self := resultValue(statusOf(res), res, nil, attempt, time.Since(a.start))
	val, diags := a.task.Until.Value(e.untilContext(a.host, a.task, self))
	if diags.HasErrors() {
		return false, fmt.Errorf("until: %s", diags.Error())
	}
	done, err := toBool(val)
	if err != nil {
		return false, fmt.Errorf("until: %w", err)
	}
	return done, nil
}

func (e *engine) emitAttempt(a attemptRun, ev Event) {
	ev.Play, ev.Task, ev.Module, ev.Host = a.task.Play.Name, a.task.Name, a.task.Module.Name, a.host.Name
	if name := a.mt.Host.Name(); name != a.host.Name {
		ev.Delegate = name
	}
	e.emit(ev)
}

// settlement is what reading the state again decided after a lost reply.
type settlement struct {
	// retry: the state proves the change did not take effect.
	retry bool
	// res and err end the task when there is no retry: the change in
	// place (a changed result), or why nothing can be sent again.
	res *modules.Result
	err error
	// decision says what was read and what follows, for the journal.
	decision string
}

// settle reads the state after an attempt whose changing command's
// outcome is unknown, through the module's own dry run (see
// modules.Settler), watched as modules.Watch watches a lost reply.
func (e *engine) settle(ctx context.Context, a attemptRun, err error, lines []string) settlement {
	what := "a changing command"
	if len(lines) > 0 {
		what = "`" + lines[len(lines)-1] + "`"
	}
	name := a.task.Module.Name
	if s, ok := a.module.(modules.Settler); !ok || !s.Settles() {
		why := fmt.Sprintf("the reply to %s was lost, and the %s module cannot read back whether it took effect, so it is not sent again", what, name)
		return settlement{decision: "not retried: " + why, err: fmt.Errorf("%w (%s; check the host before running the task again)", err, why)}
	}
	g := a.mt.Host.(guard)
	g.check, g.lost = true, nil
	dry := *a.mt
	dry.Host, dry.Check, dry.Diff, dry.Predicted = g, true, false, nil
	dry.Peer = e.peer(a.task, a.host.Name, true, nil)
	var read *modules.Result
	inPlace, werr := modules.Watch(ctx, &dry, func(ctx context.Context) (bool, error) {
		m, _, diags := decodeModule(a.task, a.evalCtx, e.redact.Add)
		if diags.HasErrors() {
			return false, errors.New(diags.Error())
		}
		res, err := m.Run(ctx, &dry)
		if err != nil {
			return false, err
		}
		read = res
		if res.Skipped {
			return false, fmt.Errorf("the dry run was skipped: %s", res.Msg)
		}
		return !res.Changed, nil
	})
	switch {
	case werr != nil:
		why := fmt.Sprintf("the reply to %s was lost and reading the state again failed (%v), so it is not sent again", what, werr)
		return settlement{decision: "not retried: " + why, err: fmt.Errorf("%w (%s)", err, why)}
	case inPlace:
		msg := fmt.Sprintf("the reply to %s was lost, but the state read again shows the change in place: %s", what, read.Msg)
		return settlement{decision: "not retried: " + msg, res: &modules.Result{Changed: true, Msg: msg}}
	}
	return settlement{retry: true, decision: fmt.Sprintf(
		"the reply to %s was lost; the state read again shows the change not in place (%s), so the task runs again in %s",
		what, read.Msg, a.task.Delay)}
}
