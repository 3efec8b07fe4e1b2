package modules

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Apply runs a changing command and, if its reply was lost, reads the
// state again instead of resending it: verify reports whether the change
// is in place. A command whose reply was lost may have started and not
// yet taken effect (sc stop still on its way to the service), so the
// state is watched (Watch) before the command is taken never to have run
// and is sent once more, now knowingly. When the change shows, the lost
// reply is forgotten.
func Apply(ctx context.Context, t *Task, cmd Command, verify func(context.Context) (bool, error)) (Output, error) {
	cmd.Changes = true
	out, err := t.Run(ctx, cmd)
	if err == nil || !errors.Is(err, ErrOutcomeUnknown) {
		return out, err
	}
	t.Progressf("reply to `%s` was lost; reading the state again", cmd.Shown())
	done, werr := Watch(ctx, t, verify)
	switch {
	case werr != nil:
		return out, fmt.Errorf("%w; then %w", err, werr)
	case done:
		return Output{}, nil
	}
	return t.Run(ctx, cmd)
}

// Watch is how winplay decides about a changing command whose reply was
// lost: it reads the state with verify for twenty poll intervals (5s on
// real hosts), since the command may have started and not yet taken
// effect, and reports whether the change showed. Only a change that never
// shows in that time is taken never to have happened. A failed read ends
// the watch with its error: nothing is proven then.
func Watch(ctx context.Context, t *Task, verify func(context.Context) (bool, error)) (bool, error) {
	interval := pollInterval(t)
	deadline := time.Now().Add(20 * interval)
	for {
		done, err := verify(ctx)
		if err != nil {
			return false, fmt.Errorf("reading the state again also failed: %w", err)
		}
		if done {
			return true, nil
		}
		if time.Now().Add(interval).After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// pollInterval is the first interval between polls: Timing.Poll, or 250ms.
func pollInterval(t *Task) time.Duration {
	if t.Timing.Poll > 0 {
		return t.Timing.Poll
	}
	return 250 * time.Millisecond
}

// Poll calls check until it reports done, the timeout passes or ctx ends,
// waiting between calls with a backoff that starts at t.Timing.Poll and is
// capped at t.Timing.MaxBackoff. what names the awaited state in the
// timeout error.
func Poll(ctx context.Context, t *Task, timeout time.Duration, what string, check func(context.Context) (bool, error)) error {
	interval := pollInterval(t)
	maxWait := t.Timing.MaxBackoff
	if maxWait <= 0 {
		maxWait = 5 * time.Second
	}
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		done, err := check(ctx)
		if err != nil && !retryable(err) {
			return err
		}
		if done {
			return nil
		}
		lastErr = err
		if time.Now().Add(interval).After(deadline) {
			if lastErr != nil {
				return fmt.Errorf("timed out after %s waiting for %s: %w", timeout, what, lastErr)
			}
			return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(interval):
		}
		interval = min(interval*2, maxWait)
	}
}

// retryable reports whether a poll may go on after err: a host that is
// briefly unreachable may answer the next poll.
func retryable(err error) bool {
	return errors.Is(err, ErrUnreachable) || errors.Is(err, ErrOutcomeUnknown)
}
