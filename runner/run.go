package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/modules/win"
)

// Connector opens connections to inventory hosts; runner/conn provides the
// WinRM one. Connect does no I/O: the first command connects.
type Connector interface {
	Connect(h *inventory.Host) (Connection, error)
}

// Connection is a host connection the runner can close.
type Connection interface {
	modules.Host
	Close() error
}

// StepAnswer is the answer to --step's question before a task.
type StepAnswer int

// The answers --step accepts, as Ansible's: yes, no, continue without asking.
const (
	StepYes StepAnswer = iota
	StepNo
	StepContinue
)

// Options steer a run.
type Options struct {
	Check bool
	Diff  bool
	// Forks bounds how many hosts run a task at once; default 5.
	Forks    int
	Tags     []string
	SkipTags []string
	// StartAt skips tasks before the first one with this name.
	StartAt string
	// TaskTimeout bounds each task, per host, that sets no timeout of its
	// own (winplay run --timeout); zero means none.
	TaskTimeout time.Duration
	// Step, when set, is asked before each task.
	Step      func(*Task) StepAnswer
	Connector Connector
	Events    Sink
	Timing    modules.Timing
	// Inputs, when set, are recorded in the run_start event, completed
	// with the playbook, its variables and these options.
	Inputs *Inputs
	// Redactor masks secrets in every event; nil means
	// NewRedactor(Secrets(plan, inv)). The CLI passes the one it prints
	// diagnostics and errors with.
	Redactor *Redactor
	// BecomeFallback is the password of a become user nothing else gave
	// one for: the lab's, in a rehearsal.
	BecomeFallback string
}

// Stats counts task results per host, as Ansible's recap does: OK includes
// Changed, and an ignored failure counts as OK and Ignored.
type Stats struct {
	OK          int `json:"ok"`
	Changed     int `json:"changed"`
	Unreachable int `json:"unreachable"`
	Failed      int `json:"failed"`
	Skipped     int `json:"skipped"`
	Ignored     int `json:"ignored"`
}

// Summary is the outcome of a run.
type Summary struct {
	Hosts []string // sorted by name, as Ansible's recap lists them
	Stats map[string]*Stats
	// Aborted is set when any_errors_fatal or max_fail_percentage stopped
	// the run, or the user interrupted it.
	Aborted bool
}

// Exit codes, as documented in the README (Ansible's numbering).
const (
	ExitOK          = 0
	ExitError       = 1
	ExitFailed      = 2
	ExitUnreachable = 3
	ExitInvalid     = 4
	ExitInterrupted = 99
)

// ExitCode is the process exit code for this outcome.
func (s *Summary) ExitCode() int {
	failed, unreachable := false, false
	for _, st := range s.Stats {
		failed = failed || st.Failed > 0
		unreachable = unreachable || st.Unreachable > 0
	}
	switch {
	case failed:
		return ExitFailed
	case unreachable:
		return ExitUnreachable
	case s.Aborted:
		return ExitFailed
	}
	return ExitOK
}

type hostState struct {
	failed, unreachable bool
}

type engine struct {
	plan  *Plan
	inv   *inventory.Inventory
	opts  Options
	scope *scope
	sink  Sink

	mu      sync.Mutex
	conns   map[string]Connection
	hosts   map[string]*hostState
	summary *Summary

	// predicted maps the objects a dry run would change to the task
	// that would change them (see carryPrediction).
	predicted map[string]string

	// skip holds the tasks --start-at-task skips: those of the plays
	// before the one with the start task, and those before it in that
	// play, in every batch.
	skip     map[*Task]bool
	stepping bool

	factsOf factsCache
	// recordErr is why the journal could not be written (see ErrJournal).
	recordErr error
	redact    *Redactor
}

// ErrInvalidOptions is returned by Run for options that do not fit the
// plan; the run has not started and no host was contacted.
var ErrInvalidOptions = errors.New("invalid options")

func (p *Plan) hasTask(name string) bool {
	for _, play := range p.Plays {
		for _, t := range play.Tasks {
			if t.Name == name {
				return true
			}
		}
	}
	return false
}

func (p *Plan) taskNames() []string {
	var names []string
	for _, play := range p.Plays {
		for _, t := range play.Tasks {
			names = append(names, t.Name)
		}
	}
	return names
}

// Run runs a bound plan. It returns an error only when the run could not
// proceed at all, or could not go on (ErrJournal, with the Summary of what
// ran); task failures are in the Summary.
func Run(ctx context.Context, plan *Plan, inv *inventory.Inventory, opts Options) (*Summary, error) {
	if opts.Connector == nil {
		return nil, errors.New("runner: no connector")
	}
	if opts.Forks <= 0 {
		opts.Forks = 5
	}
	if opts.StartAt != "" && !plan.hasTask(opts.StartAt) {
		// Ansible refuses too: running nothing and exiting 0 would look
		// like success.
		return nil, fmt.Errorf("%w: no task is named %q.%s", ErrInvalidOptions, opts.StartAt, suggest(opts.StartAt, plan.taskNames()))
	}
	if err := plan.CheckTags(opts.Tags, opts.SkipTags); err != nil {
		return nil, err
	}
	sink := opts.Events
	if sink == nil {
		sink = Discard
	}
	// The CLI's Redactor learns what Bind computed from sensitive values,
	// and what the run computes, so its own messages mask them too.
	redact := opts.Redactor
	if redact == nil {
		redact = NewRedactor(nil)
	}
	redact.Add(Secrets(plan, inv)...)
	e := &engine{
		plan: plan, inv: inv, opts: opts,
		scope:     newScope(plan, inv, opts.Check, opts.Diff),
		sink:      redact.Sink(sink),
		redact:    redact,
		conns:     map[string]Connection{},
		predicted: map[string]string{},
		hosts:     map[string]*hostState{},
		summary:   &Summary{Stats: map[string]*Stats{}},
		skip:      plan.tasksBefore(opts.StartAt),
		stepping:  opts.Step != nil,
		factsOf:   factsCache{hosts: map[string]*hostFacts{}},
	}
	defer e.closeAll()
	e.emit(Event{Type: EventRunStart, Check: opts.Check, Msg: plan.Source, Inputs: plan.inputs(opts)})
	e.warnInsecure()
	start := time.Now()
	for _, play := range plan.Plays {
		err := e.stopUnrecorded(fmt.Sprintf("play %q", play.Name))
		if err == nil {
			err = e.runPlay(ctx, play)
		}
		if err != nil {
			e.summary.Aborted = true
			e.emit(Event{Type: EventAbort, Msg: err.Error()})
			break
		}
	}
	sort.Strings(e.summary.Hosts)
	e.emit(Event{Type: EventRecap, Recap: e.summary.Stats, Hosts: e.summary.Hosts, Elapsed: time.Since(start)})
	if err := e.unrecorded(); err != nil {
		return e.summary, fmt.Errorf("%w: %v", ErrJournal, err)
	}
	return e.summary, nil
}

func (e *engine) state(name string) *hostState {
	st, ok := e.hosts[name]
	if !ok {
		st = &hostState{}
		e.hosts[name] = st
		e.summary.Hosts = append(e.summary.Hosts, name)
		e.summary.Stats[name] = &Stats{}
	}
	return st
}

func (e *engine) active(hosts []*inventory.Host) []*inventory.Host {
	var out []*inventory.Host
	for _, h := range hosts {
		st := e.state(h.Name)
		if !st.failed && !st.unreachable {
			out = append(out, h)
		}
	}
	return out
}

// errAbort carries why a play stopped the whole run.
type errAbort struct{ reason string }

func (e errAbort) Error() string { return e.reason }

func (e *engine) runPlay(ctx context.Context, play *Play) error {
	hosts := orderHosts(e.active(play.hosts), play.Order)
	e.emit(Event{Type: EventPlayStart, Play: play.Name, Hosts: hostNames(hosts)})
	if len(hosts) == 0 {
		return nil
	}
	for _, batch := range makeBatches(hosts, play.Serial) {
		if err := e.runBatch(ctx, play, batch); err != nil {
			return err
		}
	}
	return nil
}

func (e *engine) runBatch(ctx context.Context, play *Play, batch []*inventory.Host) error {
	failedInBatch := map[string]bool{}
	// abort is set when a failure stops the play; the play's always tasks
	// still run, on every host still reachable, failed ones included.
	var abort error
	e.learnFacts(ctx, e.active(batch))
	e.refuse(ctx, play, e.active(batch))
	for _, task := range play.Tasks {
		if err := ctx.Err(); err != nil {
			return errAbort{"interrupted: " + err.Error()}
		}
		if abort != nil && !task.Always || !e.selected(task) {
			continue
		}
		active := e.active(batch)
		if task.Always {
			active = e.reachable(batch)
		}
		if len(active) == 0 {
			continue
		}
		if e.stepping {
			switch e.opts.Step(task) {
			case StepNo:
				continue
			case StepContinue:
				e.stepping = false
			}
		}
		e.emit(Event{Type: EventTaskStart, Play: play.Name, Task: task.Name, Module: task.Module.Name, Hosts: hostNames(active)})
		e.warnRealRun(task)
		if err := e.stopUnrecorded(fmt.Sprintf("task %q", task.Name)); err != nil {
			return err
		}
		results := e.runTask(ctx, task, active)

		fatal := false
		for _, r := range results {
			if r.status == modules.StatusFailed && !r.ignored || r.status == modules.StatusUnreachable {
				failedInBatch[r.host.Name] = true
				fatal = true
			}
		}
		if ctx.Err() != nil {
			return errAbort{fmt.Sprintf("interrupted during task %q; stopping the run", task.Name)}
		}
		if abort != nil {
			continue
		}
		if fatal && play.AnyErrorsFatal {
			abort = errAbort{fmt.Sprintf("any_errors_fatal: task %q failed on %s; stopping the run", task.Name, strings.Join(failedNames(results), ", "))}
		}
		if play.MaxFailPercentage >= 0 && abort == nil {
			pct := 100 * float64(len(failedInBatch)) / float64(len(batch))
			if pct > play.MaxFailPercentage {
				abort = errAbort{fmt.Sprintf("max_fail_percentage: %.0f%% of the batch failed (more than %.0f%%); stopping the run", pct, play.MaxFailPercentage)}
			}
		}
	}
	if abort == nil && len(failedInBatch) == len(batch) {
		// As Ansible does: when a whole batch fails, no later batch or play
		// runs. With serial = 1 this is what keeps node2 serving when
		// node1 failed its health gate.
		abort = errAbort{fmt.Sprintf("every host of the batch failed or is unreachable (%s); stopping the run", strings.Join(hostNames(batch), ", "))}
	}
	return abort
}

// reachable returns the hosts that have not been found unreachable; a
// play's always tasks run on hosts that failed, too.
func (e *engine) reachable(hosts []*inventory.Host) []*inventory.Host {
	var out []*inventory.Host
	for _, h := range hosts {
		if !e.state(h.Name).unreachable {
			out = append(out, h)
		}
	}
	return out
}

func failedNames(results []hostResult) []string {
	var names []string
	for _, r := range results {
		if r.status == modules.StatusFailed && !r.ignored || r.status == modules.StatusUnreachable {
			names = append(names, r.host.Name)
		}
	}
	return names
}

// tasksBefore returns the tasks before the first one named start: every
// task of the plays before its play, and the tasks before it in its play.
func (p *Plan) tasksBefore(start string) map[*Task]bool {
	skip := map[*Task]bool{}
	if start == "" {
		return skip
	}
	for _, play := range p.Plays {
		for _, t := range play.Tasks {
			if t.Name == start {
				return skip
			}
			skip[t] = true
		}
	}
	return skip
}

// selected applies --start-at-task, --tags and --skip-tags. The start
// point holds for every batch of its play: the admin said "start here"
// for this run, and a later batch starting from the top would redo what
// the first batch skipped. Tags follow Ansible: "always" runs unless
// skipped by name, "never" runs only when asked for by name, "all"
// selects everything else.
func (e *engine) selected(t *Task) bool {
	if e.skip[t] {
		return false
	}
	for _, s := range e.opts.SkipTags {
		if slices.Contains(t.Tags, s) {
			return false
		}
	}
	if len(e.opts.Tags) == 0 {
		return !slices.Contains(t.Tags, "never")
	}
	if slices.Contains(t.Tags, "always") {
		return true
	}
	for _, want := range e.opts.Tags {
		if slices.Contains(t.Tags, want) || want == "all" && !slices.Contains(t.Tags, "never") {
			return true
		}
	}
	return false
}

type hostResult struct {
	host     *inventory.Host
	delegate string
	status   modules.Status
	ignored  bool
	res      *modules.Result
	err      error
	attempts int
	elapsed  time.Duration
}

func (e *engine) runTask(ctx context.Context, task *Task, hosts []*inventory.Host) []hostResult {
	run := hosts
	if task.RunOnce {
		run = hosts[:1]
	}
	e.scope.hostsObject() // build once before the hosts read it concurrently
	results := make([]hostResult, len(run))
	sem := make(chan struct{}, e.opts.Forks)
	var wg sync.WaitGroup
	for i, h := range run {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := e.runOnSafely(ctx, task, h)
			results[i] = r
			e.report(task, r)
		}()
	}
	wg.Wait()

	for _, r := range results {
		e.record(r)
	}
	if task.Register != "" {
		for _, r := range results {
			val := resultValue(r.status, r.res, r.err, r.attempts, r.elapsed)
			if task.RunOnce {
				for _, h := range hosts {
					e.scope.register(h.Name, task.Register, val)
				}
			} else {
				e.scope.register(r.host.Name, task.Register, val)
			}
		}
	}
	return results
}

func (e *engine) record(r hostResult) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.state(r.host.Name)
	stats := e.summary.Stats[r.host.Name]
	switch r.status {
	case modules.StatusOK:
		stats.OK++
	case modules.StatusChanged:
		stats.OK++
		stats.Changed++
	case modules.StatusSkipped:
		stats.Skipped++
	case modules.StatusUnreachable:
		stats.Unreachable++
		st.unreachable = true
	case modules.StatusFailed:
		if r.ignored {
			stats.OK++
			stats.Ignored++
		} else {
			stats.Failed++
			st.failed = true
		}
	}
}

func (e *engine) report(task *Task, r hostResult) {
	ev := Event{
		Type: EventTaskResult, Play: task.Play.Name, Task: task.Name, Module: task.Module.Name,
		Host: r.host.Name, Delegate: r.delegate, Status: r.status, Ignored: r.ignored,
		Elapsed: r.elapsed, Attempts: r.attempts, Check: e.opts.Check,
	}
	if r.err != nil {
		ev.Error = r.err.Error()
		// A command that ran and failed keeps its exit code and output,
		// for -v and the report, as a result's would.
		var ce *modules.CommandError
		if errors.As(r.err, &ce) && ce.Out != nil {
			rc := ce.Out.ExitCode
			ev.RC = &rc
			ev.Stdout, ev.Stderr = ce.Out.Stdout, ce.Out.Stderr
		}
	}
	if r.res != nil {
		ev.Msg = r.res.Msg
		ev.Diff = r.res.Diff
		ev.Rebooted = r.res.Rebooted
		ev.Phases = r.res.Phases
		if r.res.Output != nil {
			rc := r.res.Output.ExitCode
			ev.RC = &rc
			ev.Stdout, ev.Stderr = r.res.Output.Stdout, r.res.Output.Stderr
		}
	}
	e.emit(ev)
}

func (e *engine) emit(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	e.sink.Event(ev)
}

// runOn runs a task for one host: when, on, decoding, the module with its
// retries, changed_when/failed_when, and a reboot if asked for.
func (e *engine) runOn(ctx context.Context, task *Task, h *inventory.Host) (r hostResult) {
	r = hostResult{host: h}
	start := time.Now()
	defer func() { r.elapsed = time.Since(start) }()
	evalCtx := task.withEach(e.scope.context(h, cty.NilVal))

	fail := func(err error) hostResult {
		r.err = err
		r.status = modules.StatusFailed
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// The user interrupted the run: not the task's failure, and
			// not one ignore_errors may hide. Say what it leaves behind.
			r.err = fmt.Errorf("interrupted while this task ran; its outcome on %s is unknown, check the host before running again (%v)", h.Name, err)
			return r
		}
		if errors.Is(err, modules.ErrUnreachable) {
			r.status = modules.StatusUnreachable
		} else {
			r.ignored = task.IgnoreErrors
		}
		return r
	}
	if task.When != nil {
		val, diags := task.When.Value(evalCtx)
		if diags.HasErrors() {
			return fail(fmt.Errorf("when: %s", diags.Error()))
		}
		ok, err := toBool(val)
		if err != nil {
			return fail(fmt.Errorf("when: %w", err))
		}
		if !ok {
			r.status = modules.StatusSkipped
			r.res = &modules.Result{Skipped: true, Msg: "when condition is false"}
			return r
		}
	}
	execHost := h
	if task.On != nil {
		val, diags := task.On.Value(evalCtx)
		if diags.HasErrors() {
			return fail(fmt.Errorf("on: %s", diags.Error()))
		}
		name, err := toHostName(val)
		if err != nil {
			return fail(fmt.Errorf("on: %w", err))
		}
		other, ok := e.inv.Host(name)
		if !ok {
			return fail(fmt.Errorf("on: the inventory has no host named %q", name))
		}
		execHost = other
		if other.Name != h.Name {
			r.delegate = other.Name
		}
	}
	check := e.opts.Check
	if task.CheckMode != nil {
		check = *task.CheckMode
	}
	conn, err := e.conn(execHost)
	if err != nil {
		return fail(err)
	}
	m, _, diags := decodeModule(task, evalCtx, e.redact.Add)
	if diags.HasErrors() {
		return fail(fmt.Errorf("%s arguments: %s", task.Module.Name, diags.Error()))
	}
	lost := &lostReplies{}
	mt := &modules.Task{
		Host:   guard{conn: e.becomeFor(task, execHost, conn, check), check: check, log: e.commandLogger(task, h.Name, r.delegate), facts: e.factsFor(execHost), scratch: e.scratchOf(execHost), lost: lost},
		Target: h.Name, Check: check, Diff: e.opts.Diff,
		Peer:   e.peer(task, h.Name, check, lost),
		Timing: e.opts.Timing,
		Progress: func(format string, args ...any) {
			e.emit(Event{Type: EventProgress, Play: task.Play.Name, Task: task.Name, Host: h.Name, Delegate: r.delegate, Msg: fmt.Sprintf(format, args...)})
		},
		Phase: func(name, doing string, budget time.Duration) {
			e.emit(Event{Type: EventPhase, Play: task.Play.Name, Task: task.Name, Host: h.Name, Delegate: r.delegate,
				Phase: name, Msg: doing, Budget: budget})
		},
	}
	if check {
		mt.Predicted = func(key string) string { return e.predictedBy(execHost.Name, key) }
	}
	runCtx := ctx
	if timeout := e.timeout(task); timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}

	res, attempts, err := e.attempts(runCtx, attemptRun{task: task, host: h, module: m, mt: mt, evalCtx: evalCtx, start: start})
	r.attempts = attempts
	if err != nil {
		r.res = res
		return fail(withTimeout(err, runCtx, e.timeout(task)))
	}
	r.res = res
	if check {
		e.carryPrediction(m, execHost.Name, task, res)
	}
	r.status = statusOf(res)

	if err := e.judge(task, h, &r); err != nil {
		return fail(err)
	}
	if r.status == modules.StatusFailed {
		return fail(fmt.Errorf("failed_when is true"))
	}
	if task.Reboot == "always" || task.Reboot == "if_required" && res.RebootRequired {
		if err := e.rebootAfter(runCtx, mt, res); err != nil {
			return fail(withTimeout(err, runCtx, e.timeout(task)))
		}
		r.status = statusOf(res)
	}
	return r
}

// carryPrediction keeps a dry run honest about tasks that undo earlier
// ones (stop then start a service, move a group away and back): the later
// task reads the object as it is, not as the earlier task would leave it,
// and would report ok. When an earlier task of this dry run would change
// the same object, the real run will find it changed, so the later task is
// predicted to change it too.
func (e *engine) carryPrediction(m modules.Module, host string, task *Task, res *modules.Result) {
	k, ok := m.(modules.Keyer)
	if !ok || res == nil || res.Skipped {
		return
	}
	keys := k.Keys()
	for i, key := range keys {
		keys[i] = predictionKey(host, key)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !res.Changed {
		for _, key := range keys {
			if earlier, seen := e.predicted[key]; seen {
				res.Changed = true
				res.Msg = fmt.Sprintf("would change back what %q would change (now: %s)", earlier, res.Msg)
				if r, ok := m.(modules.Rebooter); ok && r.RebootsWhenChanged() {
					res.RebootRequired = true
				}
				break
			}
		}
	}
	if res.Changed {
		for _, key := range keys {
			e.predicted[key] = task.Name
		}
	}
}

// predictionKey is a Keyer key as e.predicted holds it: per host, unless
// it names a property of the cluster every node shares.
func predictionKey(host, key string) string {
	if strings.HasPrefix(key, "cluster:") {
		return key
	}
	return host + "/" + key
}

// predictedBy returns the task of this dry run predicted to change key on
// host, or "".
func (e *engine) predictedBy(host, key string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.predicted[predictionKey(host, key)]
}

// timeout is the task's own timeout, or --timeout's.
func (e *engine) timeout(task *Task) time.Duration {
	if task.Timeout > 0 {
		return task.Timeout
	}
	return e.opts.TaskTimeout
}

func withTimeout(err error, ctx context.Context, timeout time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && timeout > 0 {
		return fmt.Errorf("task timeout of %s reached: %w", timeout, err)
	}
	return err
}

func statusOf(res *modules.Result) modules.Status {
	switch {
	case res == nil:
		return modules.StatusOK
	case res.Skipped:
		return modules.StatusSkipped
	case res.Changed:
		return modules.StatusChanged
	}
	return modules.StatusOK
}

func (e *engine) untilContext(h *inventory.Host, task *Task, self cty.Value) *hcl.EvalContext {
	ctx := task.withEach(e.scope.context(h, self))
	if task.Register != "" {
		ctx.Variables[task.Register] = self
	}
	return ctx
}

// judge applies changed_when and failed_when to a finished result.
func (e *engine) judge(task *Task, h *inventory.Host, r *hostResult) error {
	if task.ChangedWhen == nil && task.FailedWhen == nil {
		return nil
	}
	self := resultValue(r.status, r.res, nil, r.attempts, r.elapsed)
	ctx := e.untilContext(h, task, self)
	if task.ChangedWhen != nil {
		val, diags := task.ChangedWhen.Value(ctx)
		if diags.HasErrors() {
			return fmt.Errorf("changed_when: %s", diags.Error())
		}
		changed, err := toBool(val)
		if err != nil {
			return fmt.Errorf("changed_when: %w", err)
		}
		if r.status != modules.StatusSkipped {
			r.res.Changed = changed
			r.status = statusOf(r.res)
		}
	}
	if task.FailedWhen != nil {
		val, diags := task.FailedWhen.Value(ctx)
		if diags.HasErrors() {
			return fmt.Errorf("failed_when: %s", diags.Error())
		}
		failed, err := toBool(val)
		if err != nil {
			return fmt.Errorf("failed_when: %w", err)
		}
		if failed {
			r.status = modules.StatusFailed
		}
	}
	return nil
}

// rebootAfter reboots the host and waits, after a module asked for it.
func (e *engine) rebootAfter(ctx context.Context, mt *modules.Task, res *modules.Result) error {
	info, ok := modules.Lookup("reboot")
	if !ok {
		return errors.New("reboot requested but this build has no reboot module")
	}
	rr, err := info.New().Run(ctx, mt)
	if err != nil {
		return fmt.Errorf("rebooting after the task: %w", err)
	}
	res.Changed = true
	res.Rebooted = rr.Rebooted
	res.RebootRequired = false
	res.Phases = append(res.Phases, rr.Phases...)
	if rr.Msg != "" {
		res.Msg = strings.TrimSpace(res.Msg + "; " + rr.Msg)
	}
	return nil
}

func (e *engine) conn(h *inventory.Host) (Connection, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.conns[h.Name]; ok {
		return c, nil
	}
	c, err := e.opts.Connector.Connect(h)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", h.Name, err)
	}
	e.conns[h.Name] = c
	return c, nil
}

// peer returns Task.Peer: guarded connections to other hosts, whose lost
// replies count for the task as its own host's do.
func (e *engine) peer(task *Task, target string, check bool, lost *lostReplies) func(string) (modules.Host, error) {
	return func(name string) (modules.Host, error) {
		h, ok := e.inv.Host(name)
		if !ok {
			return nil, fmt.Errorf("the inventory has no host named %q", name)
		}
		c, err := e.conn(h)
		if err != nil {
			return nil, err
		}
		return guard{conn: c, check: check, log: e.commandLogger(task, target, h.Name), facts: e.factsFor(h), scratch: e.scratchOf(h), lost: lost}, nil
	}
}

func (e *engine) closeAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.conns {
		_ = c.Close()
	}
}

// guard is the one place check mode is enforced: in a dry run a command
// runs only when the readonly classifier proves its line read-only
// (modules.Admit), whatever the module or the playbook declared. It is the
// only modules.Host a module ever gets: Task.Host, what Task.Peer returns
// (for `on` and peers such as iissync's), and what the reboot after a task
// runs on (rebootAfter reuses the task's). It holds the connection instead
// of embedding it, so that no other method of the connection can be
// reached through a type assertion. It also reports each command as an
// event, marked read or change by the classifier, so -vv shows what ran,
// and records the changing commands whose reply was lost (lost), which
// decide how a task may be retried.
type guard struct {
	conn  Connection
	check bool
	log   func(cmd modules.Command, out modules.Output, err error, elapsed time.Duration)
	// facts are the host's, learnt once per run (see engine.facts).
	facts func(context.Context) (*win.Facts, error)
	// scratch are the host's temporary directories, once its facts are
	// known: what a dry run may write (see modules.Admit).
	scratch func() []string
	// lost records the changing commands whose reply was lost.
	lost *lostReplies
}

func (g guard) Name() string { return g.conn.Name() }

// Reset drops the connection's shell; reboot handling needs it, and it
// changes nothing on the host.
func (g guard) Reset() { g.conn.Reset() }

func (g guard) Run(ctx context.Context, cmd modules.Command) (modules.Output, error) {
	var scratch []string
	if g.scratch != nil {
		scratch = g.scratch()
	}
	cmd, err := modules.AdmitOn(cmd, g.check, scratch)
	if err != nil {
		g.log(cmd, modules.Output{}, err, 0)
		return modules.Output{}, err
	}
	start := time.Now()
	out, err := g.conn.Run(ctx, cmd)
	g.log(cmd, out, err, time.Since(start))
	if cmd.Changes && errors.Is(err, modules.ErrOutcomeUnknown) {
		g.lost.add(cmd.Shown())
	}
	return out, err
}

// commandLogger returns the function guards use to report commands.
func (e *engine) commandLogger(task *Task, host, delegate string) func(modules.Command, modules.Output, error, time.Duration) {
	return func(cmd modules.Command, out modules.Output, err error, elapsed time.Duration) {
		ev := Event{Type: EventCommand, Play: task.Play.Name, Task: task.Name, Host: host, Delegate: delegate,
			Line: cmd.Shown(), Changes: cmd.Changes, Elapsed: elapsed}
		if err != nil {
			ev.Error = err.Error()
		} else {
			rc := out.ExitCode
			ev.RC = &rc
		}
		e.emit(ev)
	}
}

// orderHosts applies a play's order.
func orderHosts(hosts []*inventory.Host, order string) []*inventory.Host {
	out := append([]*inventory.Host(nil), hosts...)
	switch order {
	case "reverse_inventory":
		slices.Reverse(out)
	case "sorted":
		sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	case "reverse_sorted":
		sort.SliceStable(out, func(i, j int) bool { return out[i].Name > out[j].Name })
	case "shuffle":
		rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	return out
}

// makeBatches splits hosts per serial; the last step repeats, a
// percentage is of all the play's hosts, and a batch has at least one host.
func makeBatches(hosts []*inventory.Host, serial []Batch) [][]*inventory.Host {
	if len(serial) == 0 {
		return [][]*inventory.Host{hosts}
	}
	total := len(hosts)
	var batches [][]*inventory.Host
	for i := 0; len(hosts) > 0; i++ {
		step := serial[min(i, len(serial)-1)]
		n := step.Count
		if step.Percent > 0 {
			n = int(math.Floor(step.Percent / 100 * float64(total)))
		}
		n = max(1, min(n, len(hosts)))
		batches = append(batches, hosts[:n])
		hosts = hosts[n:]
	}
	return batches
}
