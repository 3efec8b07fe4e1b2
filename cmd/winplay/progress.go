package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/winplay/winplay/runner"
)

// liveProgress keeps one line per busy host at the bottom of a terminal
// and redraws it in place: the task, or the phase of a wait with its
// budget ("node2: waiting for it to go down and come back, 21 s of 10 m").
// The run's other lines scroll above it. It uses mpb, a maintained
// terminal progress library, rather than escape codes of our own; on a
// pipe, or with --output json, there is none and progress comes as plain
// lines.
type liveProgress struct {
	p *mpb.Progress

	mu    sync.Mutex
	hosts map[string]*busyHost
}

type busyHost struct {
	bar   *mpb.Bar
	task  string
	since time.Time
	// The phase of a wait, if one began.
	phase       string
	budget      time.Duration
	phaseSince  time.Time
	lastMessage string
}

// newLiveProgress returns nil unless stdout is a terminal that can redraw.
func newLiveProgress(stdio Stdio) *liveProgress {
	if stdio.getenv("TERM") == "dumb" {
		return nil
	}
	opts := []mpb.ContainerOption{mpb.WithOutput(stdio.Out), mpb.WithRefreshRate(250 * time.Millisecond)}
	if stdio.terminal {
		opts = append(opts, mpb.ForceTTY(), mpb.WithAutoRefresh(), mpb.WithWidth(100))
	} else if f, ok := stdio.Out.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	} else if _, rows, err := term.GetSize(int(f.Fd())); err != nil || rows == 0 {
		return nil // a terminal of no size (some CI ptys) would show nothing
	}
	return &liveProgress{p: mpb.New(opts...), hosts: map[string]*busyHost{}}
}

// Write prints lines above the live ones.
func (l *liveProgress) Write(b []byte) (int, error) { return l.p.Write(b) }

// stop removes the live lines and waits until the last is drawn.
func (l *liveProgress) stop() {
	l.mu.Lock()
	for name, h := range l.hosts {
		h.bar.Abort(true)
		delete(l.hosts, name)
	}
	l.mu.Unlock()
	l.p.Wait()
}

// sink shows progress and phases on the live lines and passes every other
// event to text, which writes through l.
func (l *liveProgress) sink(text runner.Sink) runner.Sink {
	return sinkFunc(func(ev runner.Event) {
		switch ev.Type {
		case runner.EventTaskStart:
			for _, h := range ev.Hosts {
				l.busy(h, ev.Task, ev.Time)
			}
		case runner.EventPhase:
			l.update(ev.Host, func(h *busyHost) {
				h.phase, h.budget, h.phaseSince = ev.Msg, ev.Budget, ev.Time
			})
			return
		case runner.EventProgress:
			l.update(ev.Host, func(h *busyHost) { h.lastMessage = ev.Msg })
			return
		case runner.EventTaskResult:
			l.done(ev.Host)
		}
		text.Event(ev)
	})
}

type sinkFunc func(runner.Event)

func (f sinkFunc) Event(ev runner.Event) { f(ev) }

func (l *liveProgress) busy(host, task string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if old, ok := l.hosts[host]; ok {
		old.bar.Abort(true)
	}
	h := &busyHost{task: task, since: at}
	h.bar = l.p.New(0, mpb.NopStyle(), mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
		l.mu.Lock()
		defer l.mu.Unlock()
		return h.line(host)
	})))
	l.hosts[host] = h
}

func (l *liveProgress) update(host string, fn func(*busyHost)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h, ok := l.hosts[host]; ok {
		fn(h)
	}
}

func (l *liveProgress) done(host string) {
	l.mu.Lock()
	h, ok := l.hosts[host]
	delete(l.hosts, host)
	l.mu.Unlock()
	if ok {
		h.bar.Abort(true)
	}
}

// line is a host's live line.
func (h *busyHost) line(host string) string {
	if h.phase == "" {
		line := fmt.Sprintf("  %s: %s, %s", host, h.task, runner.HumanDuration(time.Since(h.since)))
		if h.lastMessage != "" {
			line += " (" + h.lastMessage + ")"
		}
		return line
	}
	line := fmt.Sprintf("  %s: %s, %s", host, h.phase, runner.HumanDuration(time.Since(h.phaseSince)))
	if h.budget > 0 {
		line += " of " + runner.HumanDuration(h.budget)
	}
	return line
}
