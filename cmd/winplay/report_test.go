package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/runner"
)

// reportPlaybook changes a service (with a diff), reboots node2 and fails
// a command on node1 with output, so that a report has every part.
const reportPlaybook = `
variable "secret" { sensitive = true }
play "stop the spooler" {
  hosts = "cluster"
  task "stop the spooler" {
    service {
      name  = "Spooler"
      state = "stopped"
    }
  }
}
play "reboot node2" {
  hosts = "node2"
  task "reboot node2" {
    reboot {}
  }
}
play "query on node1" {
  hosts = "node1"
  task "query a service that is not there" {
    command { argv = ["sc", "query", "NoSuchService", var.secret] }
  }
}
`

// browser opens a headless Chromium (Debian's, as .ci/run installs it)
// and returns a context to drive it with.
func browser(t *testing.T) context.Context {
	t.Helper()
	chromium := requireProgram(t, "chromium", "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // as root, as CI runs
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(cancelCtx)
	// The first call starts the browser, which lives as long as its
	// context: no timeout there, one on what follows.
	require.NoError(t, chromedp.Do(ctx), "starting chromium")
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancelTimeout)
	return ctx
}

// eval evaluates a JavaScript expression in the page into a T.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	require.NoError(t, err, js)
	return v
}

// TestReportInABrowser runs a playbook with --journal and --report, makes
// the report again from the journal, and reads the page as Chromium
// renders it: a timeline row per task per node, the reboot's phases, the
// change's diff, the failed task's output, nothing fetched, no secret.
func TestReportInABrowser(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pb := writePlaybook(t, reportPlaybook)
	journal, html, again := filepath.Join(dir, "run.jsonl"), filepath.Join(dir, "run.html"), filepath.Join(dir, "again.html")
	const secret = "Hunter2Secret"
	r := winplay(t, nil, "run", pb, "--lab", "--diff", "-e", "secret="+secret, "--journal", journal, "--report", html)
	require.Equal(t, runner.ExitFailed, r.code, r.out+r.err)
	assert.Contains(t, r.err, "report written to "+html)
	r = winplay(t, nil, "report", journal, "-o", again)
	require.Equal(t, runner.ExitOK, r.code, r.err)
	a, err := os.ReadFile(html)
	require.NoError(t, err)
	b, err := os.ReadFile(again)
	require.NoError(t, err)
	assert.Equal(t, string(a), string(b), "run --report and winplay report JOURNAL draw the same page")
	assert.NotContains(t, string(a), secret)
	assert.NotContains(t, string(a), lab.DefaultPassword)

	f, err := os.Open(journal)
	require.NoError(t, err)
	records, err := runner.ReadRecords(f)
	f.Close()
	require.NoError(t, err)
	results := map[string]int{}
	for _, rec := range records {
		if rec.Type == runner.EventTaskResult {
			results[rec.Host]++
		}
	}
	require.Equal(t, map[string]int{"node1": 2, "node2": 2}, results)

	ctx := browser(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("file://"+html), chromedp.WaitVisible("#recap")))
	rows := eval[map[string]int](t, ctx, `(() => { const o = {}; for (const s of document.querySelectorAll("section.node"))
		o[s.dataset.host] = s.querySelectorAll("tr.task").length; return o })()`)
	phases := eval[[]string](t, ctx, `[...document.querySelectorAll('section.node[data-host="node2"] tr.phase')].map(r => r.dataset.phase)`)
	failedOutput := eval[string](t, ctx, `document.querySelector('.failure[data-host="node1"] pre.output').innerText`)
	outputHeight := eval[float64](t, ctx, `document.querySelector('.failure[data-host="node1"] pre.output').getBoundingClientRect().height`)
	diffText := eval[string](t, ctx, `document.querySelector('.change[data-host="node2"] .diff').innerText`)
	recapFailed := eval[string](t, ctx, `document.querySelector('#recap tr[data-host="node1"]').innerText`)
	fetched := eval[int](t, ctx, `performance.getEntriesByType("resource").length`)
	barsDrawn := eval[bool](t, ctx, `[...document.querySelectorAll("tr.task .track span")].every(s => s.getBoundingClientRect().width > 0)`)
	inputsText := eval[string](t, ctx, `document.querySelector("#inputs").innerText`)
	assert.Equal(t, results, rows, "one timeline row per task result per node")
	assert.Equal(t, []string{"down and back", "ready", "stable"}, phases, "the reboot's phases, in order")
	assert.Contains(t, failedOutput, "1060", "the failed command's output is on the page")
	assert.Greater(t, outputHeight, 0.0, "and rendered")
	assert.Contains(t, diffText, "-state: RUNNING")
	assert.Contains(t, diffText, "+state: STOPPED")
	assert.Equal(t, []string{"node1", "1", "1", "0", "1", "0", "0"}, strings.Fields(recapFailed))
	assert.Zero(t, fetched, "the report is self-contained")
	assert.True(t, barsDrawn, "every task's bar is drawn")
	assert.Contains(t, inputsText, "var.secret\t"+runner.Mask)
	assert.Contains(t, inputsText, "--diff")
}

// A journal cut short (winplay killed) still makes a report, which says so.
func TestReportOfAnInterruptedJournal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	journal := filepath.Join(dir, "run.jsonl")
	r := winplay(t, nil, "run", cycle, "--lab", "--journal", journal)
	require.Equal(t, runner.ExitOK, r.code, r.err)
	full, err := os.ReadFile(journal)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(full), "\n")
	// Up to the third task_start, then half a line.
	var cut strings.Builder
	starts := 0
	for _, l := range lines {
		if strings.Contains(l, `"event":"task_start"`) {
			starts++
		}
		cut.WriteString(l)
		if starts == 3 {
			break
		}
	}
	cut.WriteString(`{"event":"task_res`)
	require.NoError(t, os.WriteFile(journal, []byte(cut.String()), 0o600))
	out := filepath.Join(dir, "run.html")
	r = winplay(t, nil, "report", journal, "-o", out)
	require.Equal(t, runner.ExitOK, r.code, r.err)
	page, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(page), `id="incomplete"`)
	assert.Contains(t, string(page), `data-status="running"`)

	require.NoError(t, os.WriteFile(journal, []byte("not json\n{}\n"), 0o600))
	r = winplay(t, nil, "report", journal, "-o", out)
	assert.Equal(t, runner.ExitInvalid, r.code)
	assert.Contains(t, r.err, "line 1 is not a winplay event")
	r = winplay(t, nil, "report", journal)
	assert.Equal(t, runner.ExitInvalid, r.code)
	assert.Contains(t, r.err, "-o FILE is required")
}
