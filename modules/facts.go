package modules

import (
	"context"
	"fmt"

	"github.com/winplay/winplay/modules/cmdline"
	"github.com/winplay/winplay/modules/win"
)

// FactsHost is a Host that knows its host's facts, learnt once: the
// runner's hosts learn them before their first task.
type FactsHost interface {
	Host
	Facts(ctx context.Context) (*win.Facts, error)
}

// Facts returns what winplay knows of the Windows of the task's host: the
// host's own when it keeps them (the runner's), otherwise read once for
// this task.
func (t *Task) Facts(ctx context.Context) (*win.Facts, error) {
	if fh, ok := t.Host.(FactsHost); ok {
		return fh.Facts(ctx)
	}
	if f := t.facts[t.Host.Name()]; f != nil {
		return f, nil
	}
	f, err := ReadFacts(ctx, t.Host)
	if err != nil {
		return nil, err
	}
	if t.facts == nil {
		t.facts = map[string]*win.Facts{}
	}
	t.facts[t.Host.Name()] = f
	return f, nil
}

// HostFacts returns h's facts: from h when it keeps them, otherwise read
// now.
func HostFacts(ctx context.Context, h Host) (*win.Facts, error) {
	if fh, ok := h.(FactsHost); ok {
		return fh.Facts(ctx)
	}
	return ReadFacts(ctx, h)
}

// ReadFacts runs the facts command (win.FactsLine) on h and reads it.
func ReadFacts(ctx context.Context, h Host) (*win.Facts, error) {
	cmd := Read(cmdline.NewRaw(win.FactsLine()))
	cmd.Display = "(the facts command: ver, set, chcp, reg query, if exist)"
	out, err := h.Run(ctx, cmd)
	if err != nil {
		return nil, &CommandError{Host: h.Name(), Line: cmd.Shown(), Err: err}
	}
	f, err := win.ParseFacts(out.Stdout)
	if err != nil {
		return nil, fmt.Errorf("%s: learning the host's facts: %w", h.Name(), err)
	}
	return &f, nil
}
