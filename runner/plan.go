// Package runner decides: it loads a playbook into a fully validated Plan,
// binds it to an inventory, and runs it over host connections, plays in
// order, hosts in batches, tasks in lockstep, emitting events as it goes.
//
// Nothing is sent to any host before the whole plan, every module's
// arguments included, has been decoded and validated for every host it
// will run on: a plan with an error runs nothing anywhere.
package runner

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/modules"
)

// Plan is a loaded playbook.
type Plan struct {
	// Files holds the parsed sources, for printing diagnostics.
	Files map[string]*hcl.File
	// Source is the playbook file's absolute path.
	Source string
	// Dir is the absolute directory of the playbook file (path.playbook).
	Dir       string
	Variables []*Variable
	Plays     []*Play

	vars map[string]cty.Value
	// derived holds the texts Bind computed from sensitive values.
	derived []string
}

// addDerived records texts computed from sensitive values.
func (p *Plan) addDerived(texts ...string) { p.derived = append(p.derived, texts...) }

// Variable is a declared input of the playbook.
type Variable struct {
	Name        string
	Description string
	Type        cty.Type
	Default     cty.Value
	// Sensitive values are redacted from every output.
	Sensitive bool
	// Value is the value after defaults, --var-file and -e.
	Value cty.Value
	// Validations must hold for the value, or the playbook is invalid.
	Validations []Validation
	DeclRange   hcl.Range

	// given holds the text of each value given for a sensitive variable
	// (-e, --var-file), kept even when it was rejected, so that no
	// message can show it.
	given []string
	// placeholder is set when Value stands in for a value a syntax-only
	// check does not have (LoadOptions.AllowUnset).
	placeholder bool
}

// Validation is a variable's validation block.
type Validation struct {
	Condition    hcl.Expression
	ErrorMessage string
}

// Play is one play: a list of tasks run on a set of hosts.
type Play struct {
	Name       string
	Hosts      []string // inventory patterns
	HostsRange hcl.Range
	// Serial is the batch sizes; the last one repeats. Empty means one
	// batch of every host.
	Serial         []Batch
	Order          string
	AnyErrorsFatal bool
	// MaxFailPercentage aborts the run when more than this share of a
	// batch fails; negative when unset.
	MaxFailPercentage float64
	Tags              []string
	Tasks             []*Task
	DeclRange         hcl.Range

	hosts []*inventory.Host // bound by Bind
}

// Batch is one serial step: a count of hosts or a percentage of the play's.
type Batch struct {
	Count   int
	Percent float64
}

// Task is one module call with its meta-arguments.
type Task struct {
	Name   string
	Play   *Play
	Module modules.Info
	// Body is the module block's body, decoded per host at run time (and
	// once per host at bind time, to validate it).
	Body        hcl.Body
	ModuleRange hcl.Range

	When, Until, ChangedWhen, FailedWhen, On hcl.Expression

	Register     string
	Retries      int // -1 when unset
	Delay        time.Duration
	Timeout      time.Duration
	RunOnce      bool
	IgnoreErrors bool
	// CheckMode forces a dry run (true) or a real run (false) of this task
	// whatever --check says; nil follows --check.
	CheckMode *bool
	Tags      []string
	// Reboot is "", "if_required" or "always".
	Reboot string
	// Become runs the task's commands as another user; nil runs them in
	// the WinRM session.
	Become *Become
	// Always tasks come from the play's always block: they run at the end
	// of the play even when a failure stopped it.
	Always bool
	// Each is {key, value} for a task expanded from for_each, else NilVal.
	Each      cty.Value
	DeclRange hcl.Range
}

// withEach adds each.key and each.value to ctx for a for_each task.
func (t *Task) withEach(ctx *hcl.EvalContext) *hcl.EvalContext {
	if t.Each != cty.NilVal {
		ctx.Variables["each"] = t.Each
	}
	return ctx
}

// Hosts returns the hosts the play was bound to, in play order.
func (p *Play) BoundHosts() []*inventory.Host { return p.hosts }
