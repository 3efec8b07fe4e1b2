package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/winplay/winplay/modules"
)

// EventType names what happened.
type EventType string

// The events of a run, in the order they occur.
const (
	EventRunStart  EventType = "run_start"
	EventPlayStart EventType = "play_start"
	EventFacts     EventType = "facts"
	EventTaskStart EventType = "task_start"
	EventCommand   EventType = "command"
	EventPhase     EventType = "phase"
	EventProgress  EventType = "progress"
	// EventAttempt is an attempt of a task that is retried, or that a
	// lost reply ended: Attempts is its number, Error why it did not
	// succeed, Msg what was read and decided.
	EventAttempt EventType = "attempt"
	// EventWarning is something the run does that its user must know:
	// a task that runs for real in a dry run, TLS not verified.
	EventWarning    EventType = "warning"
	EventTaskResult EventType = "task_result"
	EventAbort      EventType = "abort"
	EventRecap      EventType = "recap"
)

// Event is one thing that happened in a run. Human output, JSON output and
// the journal are all rendered from events.
type Event struct {
	Type     EventType
	Time     time.Time
	Check    bool
	Play     string
	Task     string
	Module   string
	Hosts    []string
	Host     string
	Delegate string // the host a task ran on, when `on` sent it elsewhere
	Status   modules.Status
	Ignored  bool
	Msg      string
	Error    string
	Diff     *modules.Diff
	Elapsed  time.Duration
	Attempts int
	Rebooted bool
	Phases   []modules.Phase
	RC       *int
	Stdout   string
	Stderr   string
	// Line and Changes describe a command (EventCommand).
	Line    string
	Changes bool
	// Phase and Budget describe a phase of waiting (EventPhase), with Msg
	// saying what the host is doing.
	Phase  string
	Budget time.Duration
	Recap  map[string]*Stats
	// Inputs are what the run was started with (EventRunStart).
	Inputs *Inputs
	// Facts are what the run learnt of a host's Windows (EventFacts), as
	// host.facts shows them.
	Facts map[string]any
}

// Sink receives events. Sinks are called from several goroutines.
type Sink interface{ Event(Event) }

type discard struct{}

func (discard) Event(Event) {}

// Discard drops every event.
var Discard Sink = discard{}

// Multi sends each event to every sink.
func Multi(sinks ...Sink) Sink { return multi(sinks) }

type multi []Sink

func (m multi) Event(ev Event) {
	for _, s := range m {
		s.Event(ev)
	}
}

// Err returns the first error of a sink that can fail (the journal).
func (m multi) Err() error {
	for _, s := range m {
		if f, ok := s.(failingSink); ok {
			if err := f.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// TextOptions shape human output.
type TextOptions struct {
	Color bool
	// Verbose 1 shows command output of results; 2 also every command sent.
	Verbose int
	Diff    bool
}

// Text renders events for people, in Ansible's shape: a banner per play
// and task, a line per host result, and a PLAY RECAP.
func Text(w io.Writer, opts TextOptions) Sink { return &text{w: w, opts: opts} }

type text struct {
	mu   sync.Mutex
	w    io.Writer
	opts TextOptions
}

const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

func (t *text) paint(color, s string) string {
	if !t.opts.Color {
		return s
	}
	return color + s + ansiReset
}

func banner(title string) string {
	const width = 80
	if pad := width - len(title) - 1; pad > 3 {
		return title + " " + strings.Repeat("*", pad)
	}
	return title + " ***"
}

func (t *text) Event(ev Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.w
	switch ev.Type {
	case EventRunStart:
		if ev.Check {
			fmt.Fprintln(w, t.paint(ansiCyan, "CHECK MODE: commands that change a host are refused; \"changed\" means \"would change\"."))
		}
	case EventPlayStart:
		fmt.Fprintf(w, "\n%s\n", banner("PLAY ["+ev.Play+"]"))
		if len(ev.Hosts) == 0 {
			fmt.Fprintln(w, t.paint(ansiCyan, "skipped: no hosts matched"))
		}
	case EventTaskStart:
		fmt.Fprintf(w, "\n%s\n", banner("TASK ["+ev.Task+"]"))
	case EventCommand:
		if t.opts.Verbose >= 2 {
			mark := "read"
			if ev.Changes {
				mark = "change"
			}
			line := fmt.Sprintf("  [%s] %s: %s", hostLabel(ev), mark, ev.Line)
			if ev.RC != nil {
				line += fmt.Sprintf(" → rc=%d", *ev.RC)
			}
			if ev.Error != "" {
				line += " → " + ev.Error
			}
			fmt.Fprintln(w, t.paint(ansiDim, line))
		}
	case EventFacts:
		if t.opts.Verbose >= 1 {
			fmt.Fprintln(w, t.paint(ansiDim, fmt.Sprintf("  [%s] facts: %s", ev.Host, ev.Msg)))
		}
	case EventProgress:
		fmt.Fprintln(w, t.paint(ansiDim, fmt.Sprintf("  [%s] %s", hostLabel(ev), ev.Msg)))
	case EventAttempt:
		fmt.Fprintln(w, t.paint(ansiYellow, fmt.Sprintf("  [%s] attempt %d failed: %s; %s", hostLabel(ev), ev.Attempts, ev.Error, ev.Msg)))
	case EventWarning:
		fmt.Fprintln(w, t.paint(ansiRed, "WARNING: "+ev.Msg))
	case EventPhase:
		line := fmt.Sprintf("  [%s] %s", hostLabel(ev), ev.Msg)
		if ev.Budget > 0 {
			line += fmt.Sprintf(" (up to %s)", HumanDuration(ev.Budget))
		}
		fmt.Fprintln(w, t.paint(ansiDim, line))
	case EventTaskResult:
		t.result(ev)
	case EventAbort:
		fmt.Fprintf(w, "\n%s\n", t.paint(ansiRed, "ABORTED: "+ev.Msg))
	case EventRecap:
		fmt.Fprintf(w, "\n%s\n", banner("PLAY RECAP"))
		// The name padded to Ansible's 26 columns (or the longest name),
		// so that the colons line up; the counts in the form.
		width := 26
		for _, h := range ev.Hosts {
			width = max(width, len(h))
		}
		for _, h := range ev.Hosts {
			s := ev.Recap[h]
			line := fmt.Sprintf("%-*s : ok=%d changed=%d unreachable=%d failed=%d skipped=%d ignored=%d",
				width, h, s.OK, s.Changed, s.Unreachable, s.Failed, s.Skipped, s.Ignored)
			color := ansiGreen
			switch {
			case s.Failed > 0 || s.Unreachable > 0:
				color = ansiRed
			case s.Changed > 0:
				color = ansiYellow
			}
			fmt.Fprintln(w, t.paint(color, line))
		}
		fmt.Fprintf(w, "\nElapsed %s\n", ev.Elapsed.Round(time.Millisecond))
	}
}

func hostLabel(ev Event) string {
	if ev.Delegate != "" {
		return ev.Host + " -> " + ev.Delegate
	}
	return ev.Host
}

func (t *text) result(ev Event) {
	color := map[modules.Status]string{
		modules.StatusOK: ansiGreen, modules.StatusChanged: ansiYellow, modules.StatusSkipped: ansiCyan,
		modules.StatusFailed: ansiRed, modules.StatusUnreachable: ansiRed,
	}[ev.Status]
	msg := ev.Msg
	if ev.Error != "" {
		msg = ev.Error
	}
	line := fmt.Sprintf("%s: [%s]", ev.Status, hostLabel(ev))
	if msg != "" {
		line += " " + msg
	}
	line += fmt.Sprintf(" (%s)", ev.Elapsed.Round(time.Millisecond))
	if ev.Attempts > 1 {
		line += fmt.Sprintf(" after %d attempts", ev.Attempts)
	}
	fmt.Fprintln(t.w, t.paint(color, line))
	if ev.Ignored {
		fmt.Fprintln(t.w, t.paint(ansiCyan, "...ignoring"))
	}
	for _, p := range ev.Phases {
		fmt.Fprintf(t.w, "  %s: %s\n", p.Name, p.Elapsed.Round(time.Millisecond))
	}
	if t.opts.Diff && ev.Diff != nil {
		fmt.Fprint(t.w, t.diff(ev.Diff))
	}
	if t.opts.Verbose >= 1 || ev.Status == modules.StatusFailed {
		for _, s := range []struct{ name, v string }{{"stdout", ev.Stdout}, {"stderr", ev.Stderr}} {
			if v := strings.TrimRight(s.v, "\r\n"); v != "" && (t.opts.Verbose >= 1 || s.name == "stderr") {
				fmt.Fprintf(t.w, "  %s:\n", s.name)
				for _, l := range strings.Split(strings.ReplaceAll(v, "\r\n", "\n"), "\n") {
					fmt.Fprintf(t.w, "    %s\n", l)
				}
			}
		}
	}
}

// diff renders before/after as a line diff.
func (t *text) diff(d *modules.Diff) string {
	var b strings.Builder
	b.WriteString(t.paint(ansiRed, "--- before") + "\n" + t.paint(ansiGreen, "+++ after") + "\n")
	for _, l := range LineDiff(splitLines(d.Before), splitLines(d.After)) {
		switch l[0] {
		case '-':
			b.WriteString(t.paint(ansiRed, l) + "\n")
		case '+':
			b.WriteString(t.paint(ansiGreen, l) + "\n")
		default:
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func splitLines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// LineDiff is a longest-common-subsequence diff of two texts' lines: each
// line of the result is one of a's or b's, prefixed with " " (in both),
// "-" (only in a) or "+" (only in b). Before/after texts are a few dozen
// lines at most; fmt's files a few hundred.
func LineDiff(a, b []string) []string {
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			out = append(out, " "+a[i])
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, "-"+a[i])
			i++
		default:
			out = append(out, "+"+b[j])
			j++
		}
	}
	for ; i < len(a); i++ {
		out = append(out, "-"+a[i])
	}
	for ; j < len(b); j++ {
		out = append(out, "+"+b[j])
	}
	return out
}

// JSON writes one JSON object per event, one per line.
func JSON(w io.Writer) Sink { return &jsonSink{enc: json.NewEncoder(w)} }

type jsonSink struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (s *jsonSink) Event(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.enc.Encode(NewRecord(ev))
}

// Journal appends every event of a run to a file as it happens, as one
// Record per line, and syncs the file after each, so that after a crash or
// a power cut the journal says exactly which tasks had finished where, and
// which one was running; winplay report draws the run from it.
type Journal struct {
	mu  sync.Mutex
	f   *os.File
	err error
}

// OpenJournal opens (or creates) path for appending.
func OpenJournal(path string) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening journal: %w", err)
	}
	return &Journal{f: f}, nil
}

// Event records an event. A task_start without its task_result marks a
// task that was running when winplay stopped: its outcome must be checked.
func (j *Journal) Event(ev Event) {
	b, err := json.Marshal(NewRecord(ev))
	if err != nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return
	}
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		j.err = err
		return
	}
	j.err = j.f.Sync()
}

// Err returns the first error writing the journal, if any: the run stops
// before its next task when it is set (see ErrJournal).
func (j *Journal) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return fmt.Errorf("writing journal: %w", j.err)
	}
	return nil
}

// Close closes the file and reports the first write error, if any.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	cerr := j.f.Close()
	if j.err != nil {
		return fmt.Errorf("writing journal: %w", j.err)
	}
	return cerr
}
