package runner

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
	"github.com/zclconf/go-cty/cty/gocty"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/modules/win"
)

// functions are the functions expressions may call; a small, documented
// subset of Terraform's.
var functions = map[string]function.Function{
	"coalesce":    stdlib.CoalesceFunc,
	"concat":      stdlib.ConcatFunc,
	"contains":    stdlib.ContainsFunc,
	"format":      stdlib.FormatFunc,
	"join":        stdlib.JoinFunc,
	"keys":        stdlib.KeysFunc,
	"length":      stdlib.LengthFunc,
	"lookup":      stdlib.LookupFunc,
	"lower":       stdlib.LowerFunc,
	"regex":       stdlib.RegexFunc,
	"replace":     stdlib.ReplaceFunc,
	"split":       stdlib.SplitFunc,
	"startswith":  stringTest(strings.HasPrefix),
	"endswith":    stringTest(strings.HasSuffix),
	"strcontains": stringTest(strings.Contains),
	"trimspace":   stdlib.TrimSpaceFunc,
	"upper":       stdlib.UpperFunc,
}

// stringTest is a Terraform-style string predicate such as strcontains.
func stringTest(f func(s, sub string) bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "str", Type: cty.String}, {Name: "substr", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(f(args[0].AsString(), args[1].AsString())), nil
		},
	})
}

// FunctionNames lists the functions expressions may call, for `winplay doc`.
func FunctionNames() []string {
	names := make([]string, 0, len(functions))
	for n := range functions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// staticContext evaluates what is known before any host is chosen: the
// play's and tasks' static meta-arguments see only var.*.
func (p *Plan) staticContext() *hcl.EvalContext {
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(p.vars), "path": p.pathObject()},
		Functions: functions,
	}
}

// pathObject is path.*: path.playbook is the directory of the playbook
// file, as Terraform's path.module, so that copy's src can name a file
// that ships beside the playbook wherever winplay runs from.
func (p *Plan) pathObject() cty.Value {
	return cty.ObjectVal(map[string]cty.Value{"playbook": cty.StringVal(p.Dir)})
}

// scope builds every evaluation context of a run in one place. The
// per-host objects are rebuilt only when a result is registered.
type scope struct {
	plan  *Plan
	inv   *inventory.Inventory
	run   cty.Value
	hosts cty.Value // hosts.<name>: fixed fields plus registered results
	// registered holds each host's registered results by name.
	registered map[string]map[string]cty.Value
	// facts are host.facts of the hosts whose facts the run learnt.
	facts map[string]cty.Value
	dirty bool
	// alone makes hosts.* unknown, for a check without an inventory.
	alone bool
}

func newScope(plan *Plan, inv *inventory.Inventory, check, diff bool) *scope {
	s := &scope{
		plan: plan, inv: inv,
		run:        cty.ObjectVal(map[string]cty.Value{"check_mode": cty.BoolVal(check), "diff": cty.BoolVal(diff)}),
		registered: map[string]map[string]cty.Value{},
		facts:      map[string]cty.Value{},
		dirty:      true,
	}
	return s
}

// setFacts makes f host.facts of host. The runner calls it between
// tasks, never while hosts evaluate expressions.
func (s *scope) setFacts(host string, f *win.Facts) {
	s.facts[host] = factsValue(f)
	s.dirty = true
}

// register stores a host's result under name.
func (s *scope) register(host, name string, val cty.Value) {
	if s.registered[host] == nil {
		s.registered[host] = map[string]cty.Value{}
	}
	s.registered[host][name] = val
	s.dirty = true
}

func (s *scope) hostsObject() cty.Value {
	if s.alone {
		return cty.DynamicVal
	}
	if !s.dirty {
		return s.hosts
	}
	all := map[string]cty.Value{}
	for _, h := range s.inv.Hosts() {
		attrs := s.hostAttrs(h)
		for k, v := range s.registered[h.Name] {
			attrs[k] = v
		}
		all[h.Name] = cty.ObjectVal(attrs)
	}
	s.hosts = cty.ObjectVal(all)
	s.dirty = false
	return s.hosts
}

// context is the evaluation context for expressions about host: var.*,
// host.*, hosts.*, run.*, the host's registered results as top-level
// names, and self when a task's own result is being judged.
func (s *scope) context(host *inventory.Host, self cty.Value) *hcl.EvalContext {
	vars := map[string]cty.Value{
		"var":   cty.ObjectVal(s.plan.vars),
		"host":  cty.ObjectVal(s.hostAttrs(host)),
		"hosts": s.hostsObject(),
		"run":   s.run,
		"path":  s.plan.pathObject(),
	}
	for k, v := range s.registered[host.Name] {
		vars[k] = v
	}
	if self != cty.NilVal {
		vars["self"] = self
	}
	return &hcl.EvalContext{Variables: vars, Functions: functions}
}

// hostAttrs are host.* of h: its inventory fields and its facts, unknown
// until the run learns them.
func (s *scope) hostAttrs(h *inventory.Host) map[string]cty.Value {
	attrs := inventoryAttrs(h)
	attrs["facts"] = factsValue(nil)
	if f, ok := s.facts[h.Name]; ok {
		attrs["facts"] = f
	}
	return attrs
}

func inventoryAttrs(h *inventory.Host) map[string]cty.Value {
	groups := make([]cty.Value, len(h.Groups))
	for i, g := range h.Groups {
		groups[i] = cty.StringVal(g)
	}
	groupList := cty.ListValEmpty(cty.String)
	if len(groups) > 0 {
		groupList = cty.ListVal(groups)
	}
	vars := cty.EmptyObjectVal
	if len(h.Vars) > 0 {
		vars = cty.ObjectVal(h.Vars)
	}
	return map[string]cty.Value{
		"name":    cty.StringVal(h.Name),
		"address": cty.StringVal(h.Address),
		"port":    cty.NumberIntVal(int64(h.Conn.Port)),
		"groups":  groupList,
		"vars":    vars,
	}
}

// checkRefs reports references that cannot resolve, with a suggestion:
// undeclared var.x, unknown hosts.x, and names that no earlier task
// registers. HCL alone would say only "Unsupported attribute".
func (p *Plan) checkRefs(expr hcl.Expression, inv *inventory.Inventory, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, tr := range expr.Variables() {
		root := tr.RootName()
		switch root {
		case "var", "hosts":
			if len(tr) < 2 {
				continue
			}
			step, ok := tr[1].(hcl.TraverseAttr)
			if !ok {
				continue
			}
			if root == "var" {
				if _, ok := p.vars[step.Name]; !ok {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError, Summary: "Undefined variable",
						Detail:  fmt.Sprintf("No variable named %q is declared in this playbook.%s", step.Name, suggest(step.Name, variableNames(p.Variables))),
						Subject: tr.SourceRange().Ptr(),
					})
				}
				continue
			}
			if _, ok := inv.Host(step.Name); !ok {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Unknown host",
					Detail:  fmt.Sprintf("The inventory has no host named %q.%s", step.Name, suggest(step.Name, hostNames(inv.Hosts()))),
					Subject: tr.SourceRange().Ptr(),
				})
			}
		default:
			if _, ok := ctx.Variables[root]; ok {
				continue
			}
			detail := fmt.Sprintf("There is no variable or registered result named %q here. Expressions see var.*, host.*, hosts.*, run.*, and results registered by earlier tasks.", root)
			registers := p.registers()
			if t, ok := registers[root]; ok {
				detail = fmt.Sprintf("%q is registered only by a later task (%q), or not for this host.", root, t.Name)
			}
			known := make([]string, 0, len(ctx.Variables)+len(registers))
			for k := range ctx.Variables {
				known = append(known, k)
			}
			for k := range registers {
				known = append(known, k)
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Unknown name",
				Detail:  detail + suggest(root, known),
				Subject: tr.SourceRange().Ptr(),
			})
		}
	}
	return diags
}

// registers maps each register name to the first task that registers it.
func (p *Plan) registers() map[string]*Task {
	out := map[string]*Task{}
	for _, play := range p.Plays {
		for _, t := range play.Tasks {
			if _, seen := out[t.Register]; t.Register != "" && !seen {
				out[t.Register] = t
			}
		}
	}
	return out
}

// literalFielder is implemented by modules some of whose arguments must be
// literals (command's line: an interpolated command line is an injection).
type literalFielder interface{ LiteralFields() []string }

// decodeModule decodes a task's module block for one host. When an
// argument depends on a result not known yet (at bind time), the module is
// returned with deferred set, unvalidated; the run decodes it again. The
// text of every argument computed from a sensitive value goes to secret
// (see markedTexts).
func decodeModule(t *Task, ctx *hcl.EvalContext, secret func(...string)) (m modules.Module, deferred bool, diags hcl.Diagnostics) {
	m = t.Module.New()
	schema, _ := gohcl.ImpliedBodySchema(m)
	content, diags := t.Body.Content(schema)
	if diags.HasErrors() {
		return nil, false, diags
	}
	if lf, ok := m.(literalFielder); ok {
		for _, name := range lf.LiteralFields() {
			attr, ok := content.Attributes[name]
			if !ok {
				continue
			}
			if _, d := attr.Expr.Value(nil); d.HasErrors() || len(attr.Expr.Variables()) > 0 {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Interpolated command line",
					Detail:  fmt.Sprintf("%s must be a literal: a command line built from values could let a value start a second command. Pass values as separate elements of argv, which quotes each one.", name),
					Subject: attr.Expr.Range().Ptr(),
				})
			}
		}
	}
	vals := make(map[string]cty.Value, len(content.Attributes))
	for name, attr := range content.Attributes {
		val, d := attr.Expr.Value(ctx)
		if d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		if !val.IsWhollyKnown() {
			deferred = true
		}
		if secret != nil && val.ContainsMarked() {
			secret(markedTexts(val)...)
		}
		vals[name], _ = val.UnmarkDeep()
	}
	if diags.HasErrors() {
		return nil, false, diags
	}
	if deferred {
		return m, true, nil
	}
	diags = append(diags, gohcl.DecodeBody(evaluatedBody{t.Body, vals}, nil, m)...)
	if diags.HasErrors() {
		return nil, false, diags
	}
	for _, fe := range validate(t, m, content, vals) {
		subject := t.ModuleRange
		if attr, ok := content.Attributes[fe.Field]; ok {
			subject = attr.Expr.Range()
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: fmt.Sprintf("Invalid %s arguments", t.Module.Name),
			Detail:  fe.Error() + ".",
			Subject: subject.Ptr(),
		})
	}
	if diags.HasErrors() {
		return nil, false, diags
	}
	return m, false, nil
}

// evaluatedBody is a module block's body whose attributes were evaluated
// already, in the marked context. gohcl decodes their unmarked values:
// gocty cannot decode marked ones, and HCL's own diagnostics about an
// expression then came from the marked evaluation, which hides secrets.
type evaluatedBody struct {
	hcl.Body
	vals map[string]cty.Value
}

func (b evaluatedBody) Content(schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	content, diags := b.Body.Content(schema)
	if content == nil {
		return content, diags
	}
	out := *content
	out.Attributes = make(hcl.Attributes, len(content.Attributes))
	for name, attr := range content.Attributes {
		a := *attr
		if val, ok := b.vals[name]; ok {
			a.Expr = hcl.StaticExpr(val, attr.Expr.Range())
		}
		out.Attributes[name] = &a
	}
	return &out, diags
}

func evalStatic(expr hcl.Expression, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	if ctx == nil {
		ctx = &hcl.EvalContext{Functions: functions}
	}
	val, diags := expr.Value(ctx)
	if !diags.HasErrors() && !val.IsWhollyKnown() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Value not known before the run",
			Detail:  "This argument must be known when the playbook is loaded; it may use var.* but not hosts or results.",
			Subject: expr.Range().Ptr(),
		})
	}
	return val, diags
}

func decodeStaticWith(attr *hcl.Attribute, ctx *hcl.EvalContext, target any) hcl.Diagnostics {
	val, diags := evalStatic(attr.Expr, ctx)
	if diags.HasErrors() {
		return diags
	}
	if err := decodeValue(val, target); err != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Incorrect attribute value type",
			Detail:  fmt.Sprintf("Inappropriate value for attribute %q: %s.", attr.Name, err),
			Subject: attr.Expr.Range().Ptr(),
		})
	}
	return diags
}

// decodeValue decodes val into target. It drops val's marks: gocty
// cannot decode marked values, and the Go value is never printed as such
// (output is redacted by text).
func decodeValue(val cty.Value, target any) error {
	val, _ = val.UnmarkDeep()
	if val.IsNull() {
		return fmt.Errorf("a value is required, not null")
	}
	ty, err := gocty.ImpliedType(target)
	if err != nil {
		return err
	}
	conv, err := convert.Convert(val, ty)
	if err != nil {
		return err
	}
	return gocty.FromCtyValue(conv, target)
}

// stringList accepts a string or a list of strings.
func stringList(val cty.Value) ([]string, error) {
	val, _ = val.UnmarkDeep()
	if val.Type() == cty.String && !val.IsNull() {
		return []string{val.AsString()}, nil
	}
	var out []string
	err := decodeValue(val, &out)
	return out, err
}

// resultValue is a task result as later expressions see it.
func resultValue(status modules.Status, res *modules.Result, err error, attempts int, elapsed time.Duration) cty.Value {
	attrs := map[string]cty.Value{
		"status":          cty.StringVal(string(status)),
		"ok":              cty.BoolVal(status == modules.StatusOK || status == modules.StatusChanged),
		"changed":         cty.BoolVal(status == modules.StatusChanged),
		"failed":          cty.BoolVal(status == modules.StatusFailed || status == modules.StatusUnreachable),
		"skipped":         cty.BoolVal(status == modules.StatusSkipped),
		"attempts":        cty.NumberIntVal(int64(attempts)),
		"elapsed":         cty.NumberFloatVal(elapsed.Seconds()),
		"msg":             cty.StringVal(""),
		"rc":              cty.NullVal(cty.Number),
		"stdout":          cty.StringVal(""),
		"stderr":          cty.StringVal(""),
		"rebooted":        cty.False,
		"reboot_required": cty.False,
	}
	if err != nil {
		attrs["msg"] = cty.StringVal(err.Error())
	}
	if res != nil {
		attrs["msg"] = cty.StringVal(res.Msg)
		attrs["rebooted"] = cty.BoolVal(res.Rebooted)
		attrs["reboot_required"] = cty.BoolVal(res.RebootRequired)
		if res.Output != nil {
			attrs["rc"] = cty.NumberIntVal(int64(res.Output.ExitCode))
			attrs["stdout"] = cty.StringVal(res.Output.Stdout)
			attrs["stderr"] = cty.StringVal(res.Output.Stderr)
		}
		for k, v := range res.Facts {
			if _, fixed := attrs[k]; !fixed {
				attrs[k] = toCty(v)
			}
		}
	}
	return cty.ObjectVal(attrs)
}

// toCty converts the plain Go values modules put in Facts.
func toCty(v any) cty.Value {
	switch x := v.(type) {
	case nil:
		return cty.NullVal(cty.DynamicPseudoType)
	case cty.Value:
		return x
	case string:
		return cty.StringVal(x)
	case bool:
		return cty.BoolVal(x)
	case int:
		return cty.NumberIntVal(int64(x))
	case int64:
		return cty.NumberIntVal(x)
	case float64:
		return cty.NumberFloatVal(x)
	case time.Duration:
		return cty.NumberFloatVal(x.Seconds())
	case []string:
		vals := make([]cty.Value, len(x))
		for i, s := range x {
			vals[i] = cty.StringVal(s)
		}
		return cty.TupleVal(vals)
	case []any:
		vals := make([]cty.Value, len(x))
		for i, s := range x {
			vals[i] = toCty(s)
		}
		return cty.TupleVal(vals)
	case map[string]string:
		m := map[string]cty.Value{}
		for k, s := range x {
			m[k] = cty.StringVal(s)
		}
		return cty.ObjectVal(m)
	case map[string]any:
		m := map[string]cty.Value{}
		for k, s := range x {
			m[k] = toCty(s)
		}
		return cty.ObjectVal(m)
	}
	return cty.StringVal(fmt.Sprint(v))
}

func hostNames(hosts []*inventory.Host) []string {
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.Name
	}
	return names
}

// markedTexts returns the text of every part of v marked sensitive: a
// value computed from a sensitive one (upper(var.pw), format("%s!",
// var.pw), a sensitive map's element) is as secret as it, in the spelling
// modules will show.
func markedTexts(v cty.Value) []string {
	var out []string
	_ = cty.Walk(v, func(_ cty.Path, sub cty.Value) (bool, error) {
		if sub.IsMarked() {
			out = append(out, leafTexts(sub)...)
			return false, nil
		}
		return true, nil
	})
	return out
}
