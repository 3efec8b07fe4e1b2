package reliability_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/runner"
	"github.com/winplay/winplay/runner/conn"
)

// recorder keeps every event of a run.
type recorder struct {
	mu     sync.Mutex
	events []runner.Event
}

func (r *recorder) Event(ev runner.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

// result is the task result of task on host, and whether there is one.
func (r *recorder) result(task, host string) (runner.Event, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range r.events {
		if ev.Type == runner.EventTaskResult && ev.Task == task && ev.Host == host {
			return ev, true
		}
	}
	return runner.Event{}, false
}

func writePlaybook(t testing.TB, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "playbook.hcl")
	require.NoError(t, os.WriteFile(path, []byte(src), 0o600))
	return path
}

// run is one run of a playbook as the CLI makes it: the redactor made
// before Bind, text output with -vv and --diff, JSON output and a
// journal, all of which it returns.
type run struct {
	summary             *runner.Summary
	err                 error
	rec                 *recorder
	text, json, journal string
}

// output is everything the run wrote.
func (r run) output() string { return r.text + r.json + r.journal }

func runPlaybook(t testing.TB, ctx context.Context, inv *inventory.Inventory, src string, opts runner.Options) run {
	t.Helper()
	plan, diags := runner.Load(writePlaybook(t, src), runner.LoadOptions{})
	require.False(t, diags.HasErrors(), diags.Error())
	redact := runner.NewRedactor(runner.Secrets(plan, inv))
	bd := plan.Bind(inv, nil)
	require.False(t, bd.HasErrors(), bd.Error())
	journalPath := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := runner.OpenJournal(journalPath)
	require.NoError(t, err)
	var text, js bytes.Buffer
	r := run{rec: &recorder{}}
	opts.Connector = conn.Connector{}
	sinks := []runner.Sink{r.rec, runner.Text(&text, runner.TextOptions{Verbose: 2, Diff: true}), runner.JSON(&js), j}
	if opts.Events != nil {
		sinks = append(sinks, opts.Events) // a test's hook
	}
	opts.Events = runner.Multi(sinks...)
	opts.Redactor = redact
	opts.Diff = true
	if opts.Timing.Poll == 0 {
		opts.Timing = labtest.Modules
	}
	r.summary, r.err = runner.Run(ctx, plan, inv, opts)
	_ = j.Close()
	b, _ := os.ReadFile(journalPath)
	r.text, r.json, r.journal = text.String(), js.String(), string(b)
	return r
}

// openShells is the number of shells the lab's hosts hold open.
func openShells(l *lab.Lab) int {
	n := 0
	for _, h := range l.Hosts() {
		n += h.Server().Shells()
	}
	return n
}

// timeout is a context that ends a try that hangs.
func timeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// contains reports whether s holds sub in any letter case.
func contains(s, sub string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(sub)) }
