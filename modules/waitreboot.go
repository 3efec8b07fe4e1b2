package modules

import (
	"context"
	"errors"
	"fmt"
)

// ErrRebooted is wrapped by a wait that found the host rebooted under it:
// services then start by their start type, so what it waited for may
// never come, and waiting out the timeout would only hide why.
var ErrRebooted = errors.New("the host rebooted during the wait")

// rebootNotice watches the boot time while a wait polls something else.
// The boot time is read when the wait starts, after any failed poll, and
// every fifth poll that is not yet done; bootWatch's rule tells a reboot
// from drift. A host whose boot time cannot be read is waited for as
// before, unwatched.
type rebootNotice struct {
	t     *Task
	watch *bootWatch
	polls int
}

func noticeReboots(ctx context.Context, t *Task) *rebootNotice {
	b, err := readBoot(ctx, t)
	if err != nil {
		return &rebootNotice{t: t}
	}
	return &rebootNotice{t: t, watch: newBootWatch(t, b, false)}
}

// failed records a poll that failed: the host may be going down.
func (n *rebootNotice) failed() {
	if n.watch != nil {
		n.watch.failed = true
	}
	n.polls = 4 // read the boot time at the next poll that answers
}

// check is called after a poll that answered "not yet"; it returns an
// error wrapping ErrRebooted when the host booted since the wait began.
func (n *rebootNotice) check(ctx context.Context) error {
	if n.watch == nil {
		return nil
	}
	if n.polls++; n.polls%5 != 0 {
		return nil
	}
	before := n.watch.ref.raw
	b, err := readBoot(ctx, n.t)
	if err != nil {
		n.failed()
		return nil
	}
	if n.watch.next(b) != nil {
		return nil
	}
	return fmt.Errorf("%w (boot time %s, now %s)", ErrRebooted, before, b.raw)
}
