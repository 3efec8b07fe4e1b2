// Package report draws a run as one self-contained HTML page, for the
// change ticket: the run's inputs, the recap, a timeline per node (tasks,
// the commands they sent, the phases of reboots and waits), what changed
// with its diff, and what failed with its output.
//
// It reads the events of a run as runner.Record, from a journal (winplay
// report JOURNAL) or as they happen (winplay run --report), so secrets are
// already masked as everywhere else. The page needs nothing beyond itself:
// styles are inline, there are no scripts, fonts or images to fetch.
package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/runner"
)

//go:embed report.html.tmpl
var files embed.FS

var page = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"duration": func(d time.Duration) string { return runner.HumanDuration(d) },
	"seconds":  func(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) },
	"clock":    func(t time.Time) string { return t.UTC().Format("15:04:05") },
	"offset": func(d time.Duration) string {
		d = d.Round(time.Second)
		return fmt.Sprintf("+%02d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
	},
	"pct":   func(f float64) template.CSS { return template.CSS(fmt.Sprintf("%.3f%%", f*100)) },
	"deref": func(p *int) int { return *p },
}).ParseFS(files, "report.html.tmpl"))

// Run is a run as the report shows it.
type Run struct {
	Playbook string
	Check    bool
	Start    time.Time
	End      time.Time
	Inputs   *runner.Inputs
	Aborted  string
	// Finished is false when the events stop before the recap: winplay
	// was killed, or the journal is of a run still going.
	Finished bool
	Hosts    []*Host
	Recap    []RecapRow
	Changes  []*Row
	Failures []*Row
}

// Elapsed is the run's length.
func (r *Run) Elapsed() time.Duration { return r.End.Sub(r.Start) }

// Outcome says in a few words how the run ended, as its exit code does.
func (r *Run) Outcome() string {
	failed, unreachable := false, false
	for _, rr := range r.Recap {
		failed = failed || rr.Failed > 0
		unreachable = unreachable || rr.Unreachable > 0
	}
	switch {
	case !r.Finished:
		return "incomplete: the events end before the recap"
	case failed:
		return "failed on some host"
	case unreachable:
		return "some host unreachable"
	case r.Aborted != "":
		return "aborted"
	}
	return "ok"
}

// Host is one node's timeline.
type Host struct {
	Name string
	Rows []*Row
}

// RecapRow is a host's line of the recap.
type RecapRow struct {
	Host string
	runner.Stats
}

// Row is one task on one host.
type Row struct {
	Host, Play, Task, Module, Delegate string
	Status                             modules.Status
	Ignored                            bool
	Msg, Error                         string
	Start, End                         time.Time
	// Done is false for a task that has no result: it was running when
	// the events stop.
	Done           bool
	RC             *int
	Stdout, Stderr string
	Diff           *runner.RecordDiff
	DiffLines      []DiffLine
	Attempts       int
	Commands       []Command
	Phases         []*Phase
	Progress       []Note
	// Left and Width place the row's bar on the run's time axis, as
	// fractions of the run.
	Left, Width float64
}

// Elapsed is how long the task took on the host.
func (r *Row) Elapsed() time.Duration { return r.End.Sub(r.Start) }

// StatusText is the status as the recap counts it.
func (r *Row) StatusText() string {
	switch {
	case !r.Done:
		return "running"
	case r.Ignored:
		return string(r.Status) + " (ignored)"
	}
	return string(r.Status)
}

// Command is a command a task sent.
type Command struct {
	Time    time.Time
	Line    string
	Changes bool
	RC      *int
	Error   string
	Elapsed time.Duration
}

// Phase is a phase of waiting within a task: a reboot's down and back,
// ready and stable, an installer running.
type Phase struct {
	Name, Doing string
	Budget      time.Duration
	Start, End  time.Time
	Left, Width float64
}

// Elapsed is how long the phase lasted.
func (p *Phase) Elapsed() time.Duration { return p.End.Sub(p.Start) }

// Note is a progress line.
type Note struct {
	Time time.Time
	Msg  string
}

// DiffLine is one line of a change's diff.
type DiffLine struct {
	Kind string // "add", "del" or "same"
	Text string
}

// Build turns a run's records into the report's model.
func Build(records []runner.Record) (*Run, error) {
	if len(records) == 0 {
		return nil, fmt.Errorf("no events: the journal is empty")
	}
	// A journal is appended to: when it holds several runs, the report is
	// of the last.
	for i := len(records) - 1; i > 0; i-- {
		if records[i].Type == runner.EventRunStart {
			records = records[i:]
			break
		}
	}
	run := &Run{}
	hosts := map[string]*Host{}
	host := func(name string) *Host {
		h, ok := hosts[name]
		if !ok {
			h = &Host{Name: name}
			hosts[name] = h
		}
		return h
	}
	type key struct{ host, play, task string }
	open := map[key]*Row{}
	var order []string
	for _, rec := range records {
		t, err := time.Parse(time.RFC3339Nano, rec.Time)
		if err != nil {
			return nil, fmt.Errorf("event %s has no valid time: %v", rec.Type, err)
		}
		if run.Start.IsZero() || t.Before(run.Start) {
			run.Start = t
		}
		if t.After(run.End) {
			run.End = t
		}
		k := key{rec.Host, rec.Play, rec.Task}
		switch rec.Type {
		case runner.EventRunStart:
			run.Playbook, run.Check, run.Inputs, run.Start = rec.Msg, rec.Check, rec.Inputs, t
		case runner.EventTaskStart:
			for _, h := range rec.Hosts {
				if _, seen := hosts[h]; !seen {
					order = append(order, h)
				}
				row := &Row{Host: h, Play: rec.Play, Task: rec.Task, Module: rec.Module, Start: t, End: t}
				host(h).Rows = append(host(h).Rows, row)
				open[key{h, rec.Play, rec.Task}] = row
			}
		case runner.EventCommand:
			if row := open[k]; row != nil {
				c := Command{Time: t, Line: rec.Line, Changes: rec.Changes, RC: rec.RC, Error: rec.Error}
				if rec.Elapsed != nil {
					c.Elapsed = time.Duration(*rec.Elapsed * float64(time.Second))
				}
				row.Commands = append(row.Commands, c)
			}
		case runner.EventPhase:
			if row := open[k]; row != nil {
				p := &Phase{Name: rec.Phase, Doing: rec.Msg, Start: t, End: t}
				if rec.Budget != nil {
					p.Budget = time.Duration(*rec.Budget * float64(time.Second))
				}
				if n := len(row.Phases); n > 0 {
					row.Phases[n-1].End = t
				}
				row.Phases = append(row.Phases, p)
			}
		case runner.EventProgress:
			if row := open[k]; row != nil {
				row.Progress = append(row.Progress, Note{t, rec.Msg})
			}
		case runner.EventAttempt:
			if row := open[k]; row != nil {
				row.Progress = append(row.Progress, Note{t, fmt.Sprintf("attempt %d failed: %s; %s", rec.Attempts, rec.Error, rec.Msg)})
			}
		case runner.EventTaskResult:
			row := open[k]
			if row == nil {
				// A result without its start (a journal cut at its head).
				row = &Row{Host: rec.Host, Play: rec.Play, Task: rec.Task, Module: rec.Module, Start: t}
				if rec.Elapsed != nil {
					row.Start = t.Add(-time.Duration(*rec.Elapsed * float64(time.Second)))
				}
				host(rec.Host).Rows = append(host(rec.Host).Rows, row)
			}
			delete(open, k)
			row.Done, row.End = true, t
			row.Status, row.Ignored, row.Delegate = rec.Status, rec.Ignored, rec.Delegate
			row.Msg, row.Error, row.RC, row.Stdout, row.Stderr = rec.Msg, rec.Error, rec.RC, rec.Stdout, rec.Stderr
			row.Diff, row.Attempts = rec.Diff, rec.Attempts
			if n := len(row.Phases); n > 0 {
				row.Phases[n-1].End = t
			}
			if rec.Diff != nil {
				row.DiffLines = diffLines(rec.Diff)
			}
			if rec.Status == modules.StatusChanged {
				run.Changes = append(run.Changes, row)
			}
			if rec.Status == modules.StatusFailed || rec.Status == modules.StatusUnreachable {
				run.Failures = append(run.Failures, row)
			}
		case runner.EventAbort:
			run.Aborted = rec.Msg
		case runner.EventRecap:
			run.Finished = true
			for _, h := range rec.Hosts {
				if st := rec.Recap[h]; st != nil {
					run.Recap = append(run.Recap, RecapRow{Host: h, Stats: *st})
				}
				if _, seen := hosts[h]; !seen {
					order = append(order, h)
					host(h)
				}
			}
		}
	}
	for _, row := range open {
		row.End = run.End
		if n := len(row.Phases); n > 0 {
			row.Phases[n-1].End = run.End
		}
	}
	if run.Finished {
		// The recap lists hosts as Ansible sorts them.
		order = order[:0]
		for _, rr := range run.Recap {
			order = append(order, rr.Host)
		}
		for name := range hosts {
			if !slices.Contains(order, name) {
				order = append(order, name)
			}
		}
	}
	total := max(run.End.Sub(run.Start).Seconds(), 0.001)
	place := func(start, end time.Time) (float64, float64) {
		left := start.Sub(run.Start).Seconds() / total
		return left, min(max(end.Sub(start).Seconds()/total, 0.002), 1-left)
	}
	for _, name := range order {
		h := hosts[name]
		sort.SliceStable(h.Rows, func(i, j int) bool { return h.Rows[i].Start.Before(h.Rows[j].Start) })
		for _, row := range h.Rows {
			row.Left, row.Width = place(row.Start, row.End)
			for _, p := range row.Phases {
				p.Left, p.Width = place(p.Start, p.End)
			}
		}
		run.Hosts = append(run.Hosts, h)
	}
	return run, nil
}

func diffLines(d *runner.RecordDiff) []DiffLine {
	split := func(s string) []string {
		s = strings.TrimRight(s, "\n")
		if s == "" {
			return nil
		}
		return strings.Split(s, "\n")
	}
	var out []DiffLine
	for _, l := range runner.LineDiff(split(d.Before), split(d.After)) {
		kind := map[byte]string{'+': "add", '-': "del", ' ': "same"}[l[0]]
		out = append(out, DiffLine{kind, l})
	}
	return out
}

// Write renders the run as one HTML page.
func Write(w io.Writer, run *Run) error {
	return page.Execute(w, run)
}

// Sink collects a run's events as they happen, for winplay run --report,
// and writes the report when asked.
type Sink struct {
	mu      sync.Mutex
	records []runner.Record
}

// Event keeps the event.
func (s *Sink) Event(ev runner.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, runner.NewRecord(ev))
}

// HTML renders what the sink holds.
func (s *Sink) HTML() ([]byte, error) {
	s.mu.Lock()
	records := slices.Clone(s.records)
	s.mu.Unlock()
	run, err := Build(records)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := Write(&b, run); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
