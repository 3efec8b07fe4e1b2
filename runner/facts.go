package runner

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/modules/win"
)

// factsCache holds what the run learnt about each host's Windows, once per
// host: the facts command runs before the host's first task, and again
// only if it could not reach the host then.
type factsCache struct {
	mu    sync.Mutex
	hosts map[string]*hostFacts
}

type hostFacts struct {
	mu sync.Mutex
	f  *win.Facts
}

// facts returns h's facts, learning them if the run has not yet.
func (e *engine) facts(ctx context.Context, h *inventory.Host) (*win.Facts, error) {
	e.factsOf.mu.Lock()
	hf, ok := e.factsOf.hosts[h.Name]
	if !ok {
		hf = &hostFacts{}
		e.factsOf.hosts[h.Name] = hf
	}
	e.factsOf.mu.Unlock()
	hf.mu.Lock()
	defer hf.mu.Unlock()
	if hf.f != nil {
		return hf.f, nil
	}
	c, err := e.conn(h)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	f, err := readFactsSafely(ctx, h.Name, guard{conn: c, check: true, log: e.factsLogger(h.Name)})
	if err != nil {
		return nil, err
	}
	hf.f = f
	e.emit(Event{Type: EventFacts, Host: h.Name, Msg: f.String(), Facts: f.Values(), Elapsed: time.Since(start)})
	return f, nil
}

// factsFor is the Facts method of h's guards.
func (e *engine) factsFor(h *inventory.Host) func(context.Context) (*win.Facts, error) {
	return func(ctx context.Context) (*win.Facts, error) { return e.facts(ctx, h) }
}

func (e *engine) factsLogger(host string) func(modules.Command, modules.Output, error, time.Duration) {
	return func(cmd modules.Command, out modules.Output, err error, elapsed time.Duration) {
		ev := Event{Type: EventCommand, Task: "learning the host's facts", Host: host, Line: cmd.Shown(), Elapsed: elapsed}
		if err != nil {
			ev.Error = err.Error()
		} else {
			rc := out.ExitCode
			ev.RC = &rc
		}
		e.emit(ev)
	}
}

// Facts of a guard are its host's, learnt once per run.
func (g guard) Facts(ctx context.Context) (*win.Facts, error) {
	if g.facts == nil {
		return modules.ReadFacts(ctx, g)
	}
	return g.facts(ctx)
}

// learnFacts learns the facts of a batch's hosts before its first task,
// as many at once as forks allow, and makes them host.facts for
// expressions. A host it cannot reach is left to its first task, which
// will find it unreachable.
func (e *engine) learnFacts(ctx context.Context, batch []*inventory.Host) {
	sem := make(chan struct{}, e.opts.Forks)
	var wg sync.WaitGroup
	learnt := make([]*win.Facts, len(batch))
	for i, h := range batch {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			learnt[i], _ = e.facts(ctx, h)
		}()
	}
	wg.Wait()
	for i, h := range batch {
		if learnt[i] != nil {
			e.scope.setFacts(h.Name, learnt[i])
		}
	}
}

// factsType is host.facts as expressions see it; before the facts are
// known (validation) every attribute is an unknown value of its type.
var factsType = func() cty.Type {
	attrs := map[string]cty.Type{}
	for k, v := range (win.Facts{}).Values() {
		attrs[k] = ctyTypeOf(v)
	}
	return cty.Object(attrs)
}()

func ctyTypeOf(v any) cty.Type {
	switch v.(type) {
	case bool:
		return cty.Bool
	case int:
		return cty.Number
	}
	return cty.String
}

// factsValue is f as host.facts.
func factsValue(f *win.Facts) cty.Value {
	if f == nil {
		return cty.UnknownVal(factsType)
	}
	attrs := map[string]cty.Value{}
	for k, v := range f.Values() {
		switch x := v.(type) {
		case bool:
			attrs[k] = cty.BoolVal(x)
		case int:
			attrs[k] = cty.NumberIntVal(int64(x))
		case string:
			attrs[k] = cty.StringVal(x)
		}
	}
	return cty.ObjectVal(attrs)
}

// refuse fails, before the play changes anything on them, the hosts of a
// batch on whose Windows a task of the play cannot work: the module says
// so from the host's facts, naming what to use there instead. It runs in
// check mode too. A task delegated with `on` is judged by the facts of the
// host it runs on.
func (e *engine) refuse(ctx context.Context, play *Play, batch []*inventory.Host) {
	type refusal struct {
		task *Task
		host *inventory.Host
		err  error
	}
	var refused []refusal
	for _, h := range batch {
		if e.state(h.Name).failed || e.state(h.Name).unreachable {
			continue
		}
		for _, task := range play.Tasks {
			if !e.selected(task) || task.Body == nil {
				continue
			}
			evalCtx := task.withEach(e.scope.context(h, cty.NilVal))
			m, deferred, diags := decodeModule(task, evalCtx, e.redact.Add)
			if diags.HasErrors() || deferred || m == nil {
				m = task.Module.New()
			}
			s, ok := m.(modules.Supporter)
			if !ok {
				continue
			}
			exec := h
			if task.On != nil {
				if val, diags := task.On.Value(evalCtx); !diags.HasErrors() && val.IsWhollyKnown() {
					if name, err := toHostName(val); err == nil {
						if other, ok := e.inv.Host(name); ok {
							exec = other
						}
					}
				}
			}
			f, err := e.facts(ctx, exec)
			if err != nil {
				continue // its task will say why
			}
			if err := s.Supports(f); err != nil {
				on := ""
				if exec != h {
					on = " (the task runs on " + exec.Name + ")"
				}
				refused = append(refused, refusal{task, h, fmt.Errorf("%s: task %q: %w%s; nothing was run on %s", exec.Name, task.Name, err, on, h.Name)})
				break
			}
		}
	}
	if len(refused) == 0 {
		return
	}
	var names []string
	for _, r := range refused {
		names = append(names, r.host.Name)
	}
	e.emit(Event{Type: EventTaskStart, Play: play.Name, Task: "refuse what this Windows cannot run", Hosts: names})
	for _, r := range refused {
		res := hostResult{host: r.host, status: modules.StatusFailed, err: r.err}
		e.report(r.task, res)
		e.record(res)
	}
}
