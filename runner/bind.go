package runner

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/winplay/winplay/inventory"
)

// Bind chooses each play's hosts from the inventory (narrowed by limit,
// the --limit patterns) and validates every task for every host it will
// run on: references, the `on` host, `when`, and the module's arguments.
// Only a plan bound without errors may run.
func (p *Plan) Bind(inv *inventory.Inventory, limit []string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	var limited map[string]bool
	if len(limit) > 0 {
		hosts, err := inv.Select(limit...)
		if err != nil {
			return hcl.Diagnostics{{
				Severity: hcl.DiagError, Summary: "Invalid --limit",
				Detail: fmt.Sprintf("--limit %v: %s", limit, err),
			}}
		}
		limited = map[string]bool{}
		for _, h := range hosts {
			limited[h.Name] = true
		}
	}
	var empty hcl.Diagnostics
	// excluded lists, per play, the hosts --limit took out of it: the
	// results they would register are missing when a later play reads
	// them through hosts[...].
	excluded := map[*Play][]string{}
	for _, play := range p.Plays {
		hosts, err := inv.Select(play.Hosts...)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid hosts",
				Detail:  fmt.Sprintf("Play %q: %s.", play.Name, err),
				Subject: play.HostsRange.Ptr(),
			})
			continue
		}
		play.hosts = play.hosts[:0]
		for _, h := range hosts {
			if limited == nil || limited[h.Name] {
				play.hosts = append(play.hosts, h)
			} else {
				excluded[play] = append(excluded[play], h.Name)
			}
		}
		if len(play.hosts) == 0 {
			empty = append(empty, &hcl.Diagnostic{
				Severity: hcl.DiagWarning, Summary: "No hosts matched",
				Detail:  fmt.Sprintf("Play %q matches no host%s; it will be skipped.", play.Name, afterLimit(limit)),
				Subject: play.HostsRange.Ptr(),
			})
		}
	}
	if diags.HasErrors() {
		return diags
	}
	if limited != nil && len(empty) == len(p.Plays) {
		// As Ansible refuses: running nothing and exiting 0 would look
		// like success. One play skipped among others is fine.
		return hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "No hosts matched",
			Detail: fmt.Sprintf("The specified hosts and --limit %s do not match any host: every play would be skipped. "+
				"`winplay hosts -i INVENTORY PATTERN` lists what a pattern selects.", strings.Join(limit, ",")),
		}}
	}
	diags = append(diags, empty...)
	return append(diags, p.checkTasks(inv, excluded, false)...)
}

// checkTasks walks the tasks in order, as the run will, with results that
// are not known yet standing in for what earlier tasks will register, and
// checks each for each of its play's hosts.
func (p *Plan) checkTasks(inv *inventory.Inventory, excluded map[*Play][]string, alone bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	s := newScope(p, inv, false, false)
	s.alone = alone
	seen := map[string]bool{}
	// unregistered maps a register name to the tasks whose result --limit
	// keeps from being registered on some hosts.
	unregistered := map[string][]*Task{}
	add := func(ds hcl.Diagnostics) {
		for _, d := range ds {
			explainLimited(d, unregistered, excluded)
			key := fmt.Sprintf("%s|%s|%v", d.Summary, d.Detail, d.Subject)
			if !seen[key] {
				seen[key] = true
				diags = append(diags, d)
			}
		}
	}
	for _, play := range p.Plays {
		for _, t := range play.Tasks {
			for _, h := range play.hosts {
				add(p.bindTask(t, h, inv, s))
			}
			if t.Register != "" {
				for _, h := range play.hosts {
					s.register(h.Name, t.Register, cty.DynamicVal)
				}
				if len(excluded[play]) > 0 {
					unregistered[t.Register] = append(unregistered[t.Register], t)
				}
			}
		}
	}
	return diags
}

// explainLimited rewrites HCL's "Unsupported attribute" about a result
// that a task would register on hosts --limit excluded: the attribute is
// missing because of the limit, not because of a typo.
func explainLimited(d *hcl.Diagnostic, unregistered map[string][]*Task, excluded map[*Play][]string) {
	name := missingHostAttr(d)
	if name == "" || len(unregistered[name]) == 0 {
		return
	}
	var by []string
	for _, t := range unregistered[name] {
		by = append(by, fmt.Sprintf("task %q in play %q on %s", t.Name, t.Play.Name, hostList(excluded[t.Play])))
	}
	d.Summary = "Result not registered under --limit"
	d.Detail = fmt.Sprintf("%q is registered by %s, which --limit excluded, so this expression cannot read it. "+
		"Include the host that registers it in --limit, or run without --limit.", name, strings.Join(by, ", and by "))
	d.Expression, d.EvalContext = nil, nil
}

// missingHostAttr returns NAME when d is about hosts[...].NAME (or
// hosts.x.NAME) and that host's object has no attribute NAME; "" for
// anything else. It reads the diagnostic's expression and evaluation
// context, which HCL sets on a failed traversal, rather than its wording:
// the step that failed is the one d's subject points at.
func missingHostAttr(d *hcl.Diagnostic) string {
	if d.Subject == nil || d.EvalContext == nil {
		return ""
	}
	var host cty.Value
	var steps hcl.Traversal
	switch e := d.Expression.(type) {
	case *hclsyntax.ScopeTraversalExpr: // hosts.node2.NAME, hosts["node2"].NAME
		if len(e.Traversal) < 3 || e.Traversal.RootName() != "hosts" {
			return ""
		}
		val, diags := e.Traversal[:2].TraverseAbs(d.EvalContext)
		if diags.HasErrors() {
			return ""
		}
		host, steps = val, e.Traversal[2:]
	case *hclsyntax.RelativeTraversalExpr: // hosts[var.rebuilt].NAME
		idx, ok := e.Source.(*hclsyntax.IndexExpr)
		if !ok || !isHostsRoot(idx.Collection) {
			return ""
		}
		val, diags := idx.Value(d.EvalContext)
		if diags.HasErrors() {
			return ""
		}
		host, steps = val, e.Traversal
	default:
		return ""
	}
	attr, ok := steps[0].(hcl.TraverseAttr)
	if !ok || attr.SrcRange != *d.Subject || !host.Type().IsObjectType() || host.Type().HasAttribute(attr.Name) {
		return ""
	}
	return attr.Name
}

// isHostsRoot reports whether expr is the bare name hosts.
func isHostsRoot(expr hclsyntax.Expression) bool {
	tr, ok := expr.(*hclsyntax.ScopeTraversalExpr)
	return ok && len(tr.Traversal) == 1 && tr.Traversal.RootName() == "hosts"
}

// hostList names hosts in prose: host node2, hosts node2, node3.
func hostList(names []string) string {
	if len(names) == 1 {
		return "host " + names[0]
	}
	return "hosts " + strings.Join(names, ", ")
}

func (p *Plan) bindTask(t *Task, h *inventory.Host, inv *inventory.Inventory, s *scope) hcl.Diagnostics {
	var diags hcl.Diagnostics
	ctx := t.withEach(s.context(h, cty.NilVal))
	if t.When != nil {
		d := p.checkRefs(t.When, inv, ctx)
		diags = append(diags, d...)
		if !d.HasErrors() {
			diags = append(diags, checkBool(t.When, ctx, "when")...)
		}
	}
	if t.On != nil {
		d := p.checkRefs(t.On, inv, ctx)
		diags = append(diags, d...)
		if !d.HasErrors() {
			diags = append(diags, checkOn(t.On, ctx, inv)...)
		}
	}
	// until, changed_when and failed_when judge the task's own result.
	selfCtx := t.withEach(s.context(h, cty.DynamicVal))
	if t.Register != "" {
		selfCtx.Variables[t.Register] = cty.DynamicVal
	}
	for name, expr := range map[string]hcl.Expression{"until": t.Until, "changed_when": t.ChangedWhen, "failed_when": t.FailedWhen} {
		if expr == nil {
			continue
		}
		d := p.checkRefs(expr, inv, selfCtx)
		diags = append(diags, d...)
		if !d.HasErrors() {
			diags = append(diags, checkBool(expr, selfCtx, name)...)
		}
	}
	if t.Body != nil {
		_, _, d := decodeModule(t, ctx, p.addDerived)
		diags = append(diags, d...)
	}
	return diags
}

func checkBool(expr hcl.Expression, ctx *hcl.EvalContext, name string) hcl.Diagnostics {
	val, diags := expr.Value(ctx)
	if diags.HasErrors() || !val.IsKnown() {
		return diags
	}
	if _, err := toBool(val); err != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid " + name,
			Detail:  fmt.Sprintf("%s must be a boolean expression: %s.", name, err),
			Subject: expr.Range().Ptr(),
		})
	}
	return diags
}

func checkOn(expr hcl.Expression, ctx *hcl.EvalContext, inv *inventory.Inventory) hcl.Diagnostics {
	val, diags := expr.Value(ctx)
	if diags.HasErrors() || !val.IsKnown() {
		return diags
	}
	name, err := toHostName(val)
	if err == nil {
		if _, ok := inv.Host(name); !ok {
			err = fmt.Errorf("the inventory has no host named %q.%s", name, suggest(name, hostNames(inv.Hosts())))
		}
	}
	if err != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid on",
			Detail:  fmt.Sprintf("on must name one inventory host: %s", err),
			Subject: expr.Range().Ptr(),
		})
	}
	return diags
}

func toBool(val cty.Value) (bool, error) {
	var b bool
	if err := decodeValue(val, &b); err != nil {
		return false, err
	}
	return b, nil
}

func toHostName(val cty.Value) (string, error) {
	var s string
	if err := decodeValue(val, &s); err != nil {
		return "", err
	}
	return s, nil
}

func afterLimit(limit []string) string {
	if len(limit) == 0 {
		return ""
	}
	return " after --limit " + strings.Join(limit, ",")
}
