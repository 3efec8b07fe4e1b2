package runner

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/winplay/winplay/modules"
)

// RecordSchema is the version of the Record form: run_start carries it, so
// that a reader of an old journal knows what to expect. It grows by one
// when a field changes meaning; new fields do not change it.
const RecordSchema = 1

// Record is the stable machine form of an Event: what `--output json`
// prints, one per line, what the journal keeps, and what `winplay report`
// reads back. Fields are omitted when empty; durations are in seconds;
// times are RFC 3339 in UTC. Secrets are masked before an event becomes a
// Record.
//
// The events, in the order they occur, and their fields besides event and
// time:
//
//   - run_start: msg (the playbook's path), check, schema, inputs.
//   - play_start: play, hosts (none: the play matched no host).
//   - task_start: play, task, module, hosts (those it runs on).
//   - command: play, task, host, delegate_to, line (as shown), changes
//     (false: read-only), rc or error, elapsed.
//   - phase: play, task, host, phase (its name, such as "down and back"),
//     msg (what the host is doing), budget (0: none of its own). A phase
//     lasts until the next phase or the task's result on that host.
//   - progress: play, task, host, msg: a line while a module waits.
//   - attempt: play, task, module, host, delegate_to, attempts (the
//     attempt's number), error (why it did not succeed), msg (what was
//     read again, and whether the task runs again).
//   - warning: msg, and hosts or task: a task that runs for real in a dry
//     run (check_mode = false), TLS not verified (insecure = true).
//   - task_result: play, task, module, host, delegate_to, status (ok,
//     changed, skipped, failed, unreachable), ignored, msg or error, diff,
//     rc, stdout, stderr, elapsed, attempts, rebooted, phases (name →
//     seconds).
//   - abort: msg, why the run stopped early.
//   - recap: recap (host → counts), hosts (sorted), elapsed.
type Record struct {
	Type     EventType          `json:"event"`
	Time     string             `json:"time"`
	Schema   int                `json:"schema,omitempty"`
	Check    bool               `json:"check,omitempty"`
	Play     string             `json:"play,omitempty"`
	Task     string             `json:"task,omitempty"`
	Module   string             `json:"module,omitempty"`
	Hosts    []string           `json:"hosts,omitempty"`
	Host     string             `json:"host,omitempty"`
	Delegate string             `json:"delegate_to,omitempty"`
	Status   modules.Status     `json:"status,omitempty"`
	Ignored  bool               `json:"ignored,omitempty"`
	Msg      string             `json:"msg,omitempty"`
	Error    string             `json:"error,omitempty"`
	Diff     *RecordDiff        `json:"diff,omitempty"`
	Elapsed  *float64           `json:"elapsed,omitempty"`
	Attempts int                `json:"attempts,omitempty"`
	Rebooted bool               `json:"rebooted,omitempty"`
	Phases   map[string]float64 `json:"phases,omitempty"`
	RC       *int               `json:"rc,omitempty"`
	Stdout   string             `json:"stdout,omitempty"`
	Stderr   string             `json:"stderr,omitempty"`
	Line     string             `json:"line,omitempty"`
	Changes  bool               `json:"changes,omitempty"`
	Phase    string             `json:"phase,omitempty"`
	Budget   *float64           `json:"budget,omitempty"`
	Recap    map[string]*Stats  `json:"recap,omitempty"`
	Inputs   *Inputs            `json:"inputs,omitempty"`
}

// RecordDiff is a change's before and after text.
type RecordDiff struct {
	Before string `json:"before"`
	After  string `json:"after"`
}

// Inputs are what a run was started with, as a change ticket records
// them: run_start carries them.
type Inputs struct {
	Playbook string `json:"playbook"`
	// Inventory is the inventory file, or "lab" for --lab.
	Inventory string `json:"inventory,omitempty"`
	// Vars are every variable's value as JSON, sensitive ones masked.
	Vars     map[string]string `json:"vars,omitempty"`
	Limit    string            `json:"limit,omitempty"`
	Tags     []string          `json:"tags,omitempty"`
	SkipTags []string          `json:"skip_tags,omitempty"`
	StartAt  string            `json:"start_at_task,omitempty"`
	Check    bool              `json:"check,omitempty"`
	Diff     bool              `json:"diff,omitempty"`
	Forks    int               `json:"forks,omitempty"`
	// Winplay is the version and commit that ran.
	Winplay string `json:"winplay,omitempty"`
	// User is who ran it, as the operating system says.
	User string `json:"user,omitempty"`
}

// NewRecord returns the machine form of ev.
func NewRecord(ev Event) Record {
	r := Record{
		Type: ev.Type, Time: ev.Time.UTC().Format(time.RFC3339Nano), Check: ev.Check,
		Play: ev.Play, Task: ev.Task, Module: ev.Module, Hosts: ev.Hosts, Host: ev.Host,
		Delegate: ev.Delegate, Status: ev.Status, Ignored: ev.Ignored, Msg: ev.Msg, Error: ev.Error,
		Attempts: ev.Attempts, Rebooted: ev.Rebooted, RC: ev.RC, Stdout: ev.Stdout, Stderr: ev.Stderr,
		Line: ev.Line, Changes: ev.Changes, Recap: ev.Recap, Phase: ev.Phase, Inputs: ev.Inputs,
	}
	if ev.Type == EventRunStart {
		r.Schema = RecordSchema
	}
	if ev.Diff != nil {
		r.Diff = &RecordDiff{Before: ev.Diff.Before, After: ev.Diff.After}
	}
	if ev.Type == EventTaskResult || ev.Type == EventRecap || ev.Type == EventCommand {
		s := ev.Elapsed.Seconds()
		r.Elapsed = &s
	}
	if ev.Type == EventPhase {
		b := ev.Budget.Seconds()
		r.Budget = &b
	}
	if len(ev.Phases) > 0 {
		r.Phases = map[string]float64{}
		for _, p := range ev.Phases {
			r.Phases[p.Name] = p.Elapsed.Seconds()
		}
	}
	return r
}

// ReadRecords reads JSON lines of Records, as a journal or --output json
// holds them. A last line cut short (winplay killed while writing it) is
// left out; any other line that is not a Record is an error naming it.
func ReadRecords(r io.Reader) ([]Record, error) {
	var out []Record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	var pending error
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if pending != nil {
			return nil, pending
		}
		var rec Record
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Type == "" {
			if err == nil {
				err = fmt.Errorf("no \"event\" field")
			}
			pending = fmt.Errorf("line %d is not a winplay event: %v", n, err)
			continue
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 && pending != nil {
		return nil, pending
	}
	return out, nil
}

// HumanDuration writes a duration as people read a wait: "21 s", "10 m",
// "1 m 30 s", "2 h 5 m".
func HumanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0 && m > 0:
		return fmt.Sprintf("%d h %d m", h, m)
	case h > 0:
		return fmt.Sprintf("%d h", h)
	case m > 0 && s > 0:
		return fmt.Sprintf("%d m %d s", m, s)
	case m > 0:
		return fmt.Sprintf("%d m", m)
	}
	return fmt.Sprintf("%d s", s)
}

// inputs completes what the caller knows of the run's inputs (the
// inventory, the version) with the playbook, every variable's value
// (sensitive ones masked) and the options.
func (p *Plan) inputs(opts Options) *Inputs {
	in := &Inputs{}
	if opts.Inputs != nil {
		*in = *opts.Inputs
	}
	in.Playbook = p.Source
	in.Tags, in.SkipTags, in.StartAt = opts.Tags, opts.SkipTags, opts.StartAt
	in.Check, in.Diff, in.Forks = opts.Check, opts.Diff, opts.Forks
	in.Vars = map[string]string{}
	for _, v := range p.Variables {
		switch {
		case v.Sensitive:
			in.Vars[v.Name] = Mask
		case v.Value == cty.NilVal || !v.Value.IsWhollyKnown():
			in.Vars[v.Name] = "(unknown)"
		default:
			in.Vars[v.Name] = strings.TrimSpace(string(ctyJSON(v.Value)))
		}
	}
	return in
}
