package runner

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/winplay/winplay/internal/input"
	"github.com/winplay/winplay/modules"
)

// LoadOptions carries the variable values given on the command line.
type LoadOptions struct {
	// Vars are -e name=value pairs, in order; later ones win.
	Vars []string
	// VarFiles are --var-file paths, applied before Vars.
	VarFiles []string
	// Getenv looks up WINPLAY_VAR_name, which sets var.name below the var
	// files and -e, so that a secret need not be on a command line. Nil
	// means no variable comes from the environment.
	Getenv func(string) string
	// AllowUnset gives a variable that has no value a placeholder of its
	// type ("var.NAME" for a string, a list of one for a list) instead of
	// reporting it, for a syntax-only check (winplay validate without an
	// inventory); its validation blocks are not checked.
	AllowUnset bool
	// Prompt, when set, is asked for the value of each sensitive variable
	// that has none, after the var files and -e: the CLI asks on a
	// terminal, without echo. It gets the variable's name and description.
	Prompt func(name, description string) (string, error)
}

// VarEnvPrefix starts the names of the environment variables that set
// playbook variables: WINPLAY_VAR_rebuilt=node2.
const VarEnvPrefix = "WINPLAY_VAR_"

var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "play", LabelNames: []string{"name"}},
	},
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "description"}, {Name: "default"}, {Name: "type"}, {Name: "sensitive"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "condition", Required: true}, {Name: "error_message", Required: true}},
}

var playSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "hosts", Required: true}, {Name: "serial"}, {Name: "order"},
		{Name: "any_errors_fatal"}, {Name: "max_fail_percentage"}, {Name: "tags"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "task", LabelNames: []string{"name"}}, {Type: "always"}},
}

// alwaysSchema is a play's always block: tasks that run at the end of the
// play even when a failure stopped it, like Ansible's always section.
var alwaysSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{{Type: "task", LabelNames: []string{"name"}}},
}

// taskMeta lists the meta-arguments every task accepts next to its module.
var taskMeta = []hcl.AttributeSchema{
	{Name: "when"}, {Name: "register"}, {Name: "retries"}, {Name: "delay"}, {Name: "until"},
	{Name: "timeout"}, {Name: "on"}, {Name: "run_once"}, {Name: "ignore_errors"},
	{Name: "check_mode"}, {Name: "tags"}, {Name: "reboot"}, {Name: "changed_when"},
	{Name: "failed_when"}, {Name: "for_each"},
}

func taskSchema() *hcl.BodySchema {
	s := &hcl.BodySchema{Attributes: taskMeta, Blocks: []hcl.BlockHeaderSchema{{Type: "become"}}}
	for _, name := range modules.Names() {
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: name})
	}
	return s
}

var playOrders = []string{"inventory", "reverse_inventory", "sorted", "reverse_sorted", "shuffle"}

// reservedNames are the roots of expressions; a registered result cannot
// take one of them, nor a field of the host objects it is listed in.
var reservedNames = []string{"var", "host", "hosts", "self", "run", "each", "path", "name", "address", "port", "groups", "vars", "facts"}

// Load parses and decodes a playbook file and resolves its variables. The
// result still has to be bound to an inventory (Bind) before it can run.
func Load(filename string, opts LoadOptions) (*Plan, hcl.Diagnostics) {
	parser := hclparse.NewParser()
	file, diags := input.ParseHCLFile(parser, filename)
	plan := &Plan{Files: parser.Files()}
	if abs, err := filepath.Abs(filename); err == nil {
		plan.Source, plan.Dir = abs, filepath.Dir(abs)
	}
	if diags.HasErrors() {
		return plan, diags
	}
	content, d := file.Body.Content(fileSchema)
	diags = append(diags, d...)

	seenVars := map[string]*Variable{}
	seenPlays := map[string]hcl.Range{}
	for _, block := range content.Blocks {
		switch block.Type {
		case "variable":
			v, d := decodeVariable(block, file.Bytes)
			diags = append(diags, d...)
			if v == nil {
				continue
			}
			if prev, dup := seenVars[v.Name]; dup {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Duplicate variable",
					Detail:  fmt.Sprintf("A variable named %q was already declared at %s.", v.Name, prev.DeclRange),
					Subject: &block.LabelRanges[0],
				})
				continue
			}
			seenVars[v.Name] = v
			plan.Variables = append(plan.Variables, v)
		}
	}
	diags = append(diags, plan.resolveVariables(parser, opts)...)
	if diags.HasErrors() {
		return plan, diags
	}
	for _, block := range content.Blocks {
		if block.Type != "play" {
			continue
		}
		name := block.Labels[0]
		if d := checkName("play", block); d != nil {
			diags = append(diags, d)
		}
		if prev, dup := seenPlays[name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Duplicate play name",
				Detail:  fmt.Sprintf("A play named %q was already declared at %s; names identify plays in output and --start-at-task.", name, prev),
				Subject: &block.LabelRanges[0],
			})
		}
		seenPlays[name] = block.DefRange
		play, d := plan.decodePlay(block)
		diags = append(diags, d...)
		if play != nil {
			plan.Plays = append(plan.Plays, play)
		}
	}
	if len(plan.Plays) == 0 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "No plays",
			Detail:  "A playbook needs at least one play block.",
			Subject: file.Body.MissingItemRange().Ptr(),
		})
	}
	diags = append(diags, plan.checkRegisters()...)
	return plan, diags
}

func decodeVariable(block *hcl.Block, src []byte) (*Variable, hcl.Diagnostics) {
	content, diags := block.Body.Content(variableSchema)
	v := &Variable{
		Name: block.Labels[0], Type: cty.DynamicPseudoType, Default: cty.NilVal,
		DeclRange: block.DefRange,
	}
	if !hclsyntax.ValidIdentifier(v.Name) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid variable name",
			Detail:  "A variable name must start with a letter and contain only letters, digits, underscores and dashes.",
			Subject: &block.LabelRanges[0],
		})
		return nil, diags
	}
	if attr, ok := content.Attributes["description"]; ok {
		diags = append(diags, decodeStatic(attr, &v.Description)...)
	}
	if attr, ok := content.Attributes["sensitive"]; ok {
		diags = append(diags, decodeStatic(attr, &v.Sensitive)...)
	}
	if attr, ok := content.Attributes["type"]; ok {
		ty, d := typeexpr.TypeConstraint(attr.Expr)
		diags = append(diags, d...)
		if !d.HasErrors() {
			v.Type = ty
		}
	}
	for _, vb := range content.Blocks {
		vc, d := vb.Body.Content(validationSchema)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		rule := Validation{Condition: vc.Attributes["condition"].Expr}
		diags = append(diags, decodeStatic(vc.Attributes["error_message"], &rule.ErrorMessage)...)
		v.Validations = append(v.Validations, rule)
	}
	if attr, ok := content.Attributes["default"]; ok {
		if v.Sensitive {
			v.given = append(v.given, sourceText(attr.Expr, src)...)
		}
		val, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		if !d.HasErrors() {
			conv, err := convert.Convert(val, v.Type)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Invalid default value for variable",
					Detail:  fmt.Sprintf("This default value is not compatible with the variable's type constraint: %s.", err),
					Subject: attr.Expr.Range().Ptr(),
				})
			} else {
				v.Default = conv
			}
		}
	}
	return v, diags
}

// resolveVariables sets each variable's value from its default, the var
// files and -e, in that order.
func (p *Plan) resolveVariables(parser *hclparse.Parser, opts LoadOptions) hcl.Diagnostics {
	var diags hcl.Diagnostics
	byName := map[string]*Variable{}
	for _, v := range p.Variables {
		v.Value = v.Default
		byName[v.Name] = v
	}
	var warnings hcl.Diagnostics // after the errors, which come first
	diags = append(diags, p.varsFromEnv(byName, opts.Getenv)...)
	for _, path := range opts.VarFiles {
		diags = append(diags, p.applyVarFile(parser, path, byName)...)
	}
	for i, kv := range opts.Vars {
		// As ansible-playbook's -e: @FILE reads a file of variables, and a
		// JSON object sets several at once.
		if file, ok := strings.CutPrefix(kv, "@"); ok {
			diags = append(diags, p.applyVarFile(parser, file, byName)...)
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(kv), "{") {
			name := fmt.Sprintf("-e #%d", i+1)
			f, d := parser.ParseJSON([]byte(kv), name)
			p.Files = parser.Files()
			diags = append(diags, p.applyVarBody(f, d, name, byName)...)
			continue
		}
		name, raw, ok := strings.Cut(kv, "=")
		if !ok {
			// Not quoted: a value given without its name may be a secret.
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid -e option",
				Detail: fmt.Sprintf("-e option %d has no \"=\": it must be name=value, such as -e rebuilt=node2.", i+1),
			})
			continue
		}
		v, known := byName[name]
		if !known {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Undeclared variable",
				Detail: fmt.Sprintf("-e %s: the playbook declares no variable named %q.%s", name, name, suggest(name, variableNames(p.Variables))),
			})
			continue
		}
		if v.Sensitive {
			v.given = append(v.given, raw)
			warnings = append(warnings, cliSecretWarning(name))
		}
		val, err := parseCLIValue(raw, v.Type, v.Sensitive)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid value for variable",
				Detail: fmt.Sprintf("-e %s: %s", name, err),
			})
			continue
		}
		v.Value = val
	}
	p.vars = map[string]cty.Value{}
	for _, v := range p.Variables {
		if v.Value == cty.NilVal && v.Sensitive && opts.Prompt != nil {
			diags = append(diags, v.prompt(opts.Prompt)...)
		}
		if v.Value == cty.NilVal && opts.AllowUnset {
			v.Value, v.placeholder = placeholder(v.Type, "var."+v.Name), true
		}
		if v.Value == cty.NilVal {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "No value for required variable",
				Detail:  fmt.Sprintf("Variable %q has no default; pass -e %s=VALUE, set %s%s or set it in a --var-file.", v.Name, v.Name, VarEnvPrefix, v.Name),
				Subject: v.DeclRange.Ptr(),
			})
			p.vars[v.Name] = cty.DynamicVal
			continue
		}
		p.vars[v.Name] = v.Value
		if v.Sensitive {
			// Marked, as Terraform marks them, so that HCL leaves the
			// value out of the diagnostics it writes; every value derived
			// from it carries the mark too.
			p.vars[v.Name] = v.Value.Mark(sensitive)
		}
	}
	if !diags.HasErrors() {
		diags = append(diags, p.validateVariables()...)
	}
	return append(diags, warnings...)
}

// prompt asks for a sensitive variable's value; on failure the variable
// stays without one, and is reported as such.
func (v *Variable) prompt(ask func(name, description string) (string, error)) hcl.Diagnostics {
	raw, err := ask(v.Name, v.Description)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read variable",
			Detail: fmt.Sprintf("Reading the value of var.%s failed: %v.", v.Name, err), Subject: v.DeclRange.Ptr()}}
	}
	if raw == "" {
		return nil
	}
	v.given = append(v.given, raw)
	val, err := parseCLIValue(raw, v.Type, true)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid value for variable",
			Detail: fmt.Sprintf("var.%s: %s", v.Name, err), Subject: v.DeclRange.Ptr()}}
	}
	v.Value = val
	return nil
}

// placeholder is a value of type ty for a variable a syntax-only check
// has no value for.
func placeholder(ty cty.Type, name string) cty.Value {
	switch {
	case ty == cty.Number:
		return cty.Zero
	case ty == cty.Bool:
		return cty.False
	case ty.IsListType():
		return cty.ListVal([]cty.Value{placeholder(ty.ElementType(), name)})
	case ty.IsSetType():
		return cty.SetVal([]cty.Value{placeholder(ty.ElementType(), name)})
	case ty.IsMapType():
		return cty.MapVal(map[string]cty.Value{"key": placeholder(ty.ElementType(), name)})
	case ty.IsObjectType():
		attrs := map[string]cty.Value{}
		for k, at := range ty.AttributeTypes() {
			attrs[k] = placeholder(at, name+"."+k)
		}
		return cty.ObjectVal(attrs)
	case ty.IsTupleType():
		var elems []cty.Value
		for i, et := range ty.TupleElementTypes() {
			elems = append(elems, placeholder(et, fmt.Sprintf("%s[%d]", name, i)))
		}
		return cty.TupleVal(elems)
	}
	return cty.StringVal(name)
}

// applyVarFile sets variables from a file: JSON for *.json (as
// Terraform's .tfvars.json), HCL otherwise.
func (p *Plan) applyVarFile(parser *hclparse.Parser, path string, byName map[string]*Variable) hcl.Diagnostics {
	src, err := input.ReadFile(path, input.MaxHCL)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read variable file", Detail: fmt.Sprintf("%v.", err)}}
	}
	if d := input.CheckShape(src, path); d != nil {
		return hcl.Diagnostics{d}
	}
	var f *hcl.File
	var d hcl.Diagnostics
	if strings.EqualFold(filepath.Ext(path), ".json") {
		f, d = parser.ParseJSON(src, path)
	} else {
		f, d = parser.ParseHCL(src, path)
	}
	p.Files = parser.Files()
	return p.applyVarBody(f, input.Limit(d), path, byName)
}

// applyVarBody sets the variables a parsed var file (or JSON -e) gives.
func (p *Plan) applyVarBody(f *hcl.File, parseDiags hcl.Diagnostics, path string, byName map[string]*Variable) hcl.Diagnostics {
	diags := parseDiags
	if parseDiags.HasErrors() {
		if f != nil && setsSensitive(f.Bytes, byName) {
			hideSnippets(diags, path)
		}
		return diags
	}
	attrs, d := f.Body.JustAttributes()
	diags = append(diags, d...)
	for name, attr := range attrs {
		v, ok := byName[name]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Undeclared variable",
				Detail:  fmt.Sprintf("The playbook declares no variable named %q.%s", name, suggest(name, variableNames(p.Variables))),
				Subject: attr.NameRange.Ptr(),
			})
			continue
		}
		if v.Sensitive {
			v.given = append(v.given, sourceText(attr.Expr, f.Bytes)...)
		}
		val, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		if v.Sensitive {
			v.given = append(v.given, leafTexts(val)...)
		}
		conv, err := convert.Convert(val, v.Type)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid value for variable",
				Detail:  fmt.Sprintf("Variable %q: %s.", name, err),
				Subject: attr.Expr.Range().Ptr(),
			})
			continue
		}
		v.Value = conv
	}
	return diags
}

// validateVariables checks each variable's validation blocks, as
// Terraform's: the condition sees var.* and must be true.
func (p *Plan) validateVariables() hcl.Diagnostics {
	var diags hcl.Diagnostics
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(p.vars)}, Functions: functions}
	for _, v := range p.Variables {
		if v.placeholder {
			continue
		}
		for _, rule := range v.Validations {
			val, d := rule.Condition.Value(ctx)
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			ok, err := toBool(val)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Invalid validation condition",
					Detail: err.Error(), Subject: rule.Condition.Range().Ptr(),
				})
				continue
			}
			if !ok {
				shown := "(sensitive)"
				if !v.Sensitive {
					shown = strings.TrimSpace(string(ctyJSON(v.Value)))
				}
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Invalid value for variable",
					Detail:  fmt.Sprintf("var.%s = %s: %s", v.Name, shown, rule.ErrorMessage),
					Subject: rule.Condition.Range().Ptr(),
				})
			}
		}
	}
	return diags
}

// ctyJSON renders a value for a message.
func ctyJSON(v cty.Value) []byte {
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return []byte(v.GoString())
	}
	return b
}

// varFileName is the name at the start of a var file's name = value line.
var varFileName = regexp.MustCompile(`(?m)(?:^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=|"([A-Za-z_][A-Za-z0-9_-]*)"\s*:)`)

// setsSensitive reports whether a var file gives a value to a sensitive
// variable. In a file HCL cannot parse, where that value ends is unknown
// (an unclosed string or bracket runs on), and taking its line's text for
// the secret masked every "[" of the output: its lines are not shown.
func setsSensitive(src []byte, vars map[string]*Variable) bool {
	for _, m := range varFileName.FindAllSubmatch(src, -1) {
		name := string(m[1]) + string(m[2])
		if v, ok := vars[name]; ok && v.Sensitive {
			return true
		}
	}
	return false
}

// hideSnippets takes the source snippet away from the diagnostics about
// file, saying where they are in their text instead.
func hideSnippets(diags hcl.Diagnostics, file string) {
	for _, d := range diags {
		at := d.Subject
		if at == nil {
			at = d.Context
		}
		if at == nil || at.Filename != file {
			continue
		}
		d.Detail = strings.TrimSpace(fmt.Sprintf("%s (At %s:%d:%d; the line is not shown, as it may hold a sensitive value.)",
			d.Detail, at.Filename, at.Start.Line, at.Start.Column))
		d.Subject, d.Context = nil, nil
	}
}

// sourceText is a sensitive value as written in a file, with and without
// its quotes: a diagnostic about a value HCL cannot read or convert shows
// its source line.
func sourceText(expr hcl.Expression, src []byte) []string {
	text := strings.TrimSpace(string(expr.Range().SliceBytes(src)))
	return []string{text, strings.Trim(text, `"`)}
}

// sensitive marks the values of sensitive variables.
const sensitive = "sensitive"

// parseCLIValue reads a -e value: verbatim for strings, as an HCL literal
// for other types (numbers, bools, lists). The error of a sensitive one
// neither quotes the value nor passes on the parser's words about it.
func parseCLIValue(raw string, ty cty.Type, secret bool) (cty.Value, error) {
	if ty == cty.String || ty == cty.DynamicPseudoType {
		return cty.StringVal(raw), nil
	}
	invalid := func(why string) error {
		if secret {
			return fmt.Errorf("the value given is not a valid %s value (it is sensitive, so it is not shown)", ty.FriendlyName())
		}
		return fmt.Errorf("%q is not a valid %s value: %s", raw, ty.FriendlyName(), why)
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), "-e", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, invalid(diags[0].Detail)
	}
	val, diags := expr.Value(nil)
	if diags.HasErrors() {
		return cty.NilVal, invalid(diags[0].Detail)
	}
	conv, err := convert.Convert(val, ty)
	if err != nil {
		return cty.NilVal, invalid(err.Error())
	}
	return conv, nil
}

func (p *Plan) decodePlay(block *hcl.Block) (*Play, hcl.Diagnostics) {
	content, diags := block.Body.Content(playSchema)
	play := &Play{Name: block.Labels[0], Order: "inventory", MaxFailPercentage: -1, DeclRange: block.DefRange}
	ctx := p.staticContext()

	if attr, ok := content.Attributes["hosts"]; ok {
		play.HostsRange = attr.Expr.Range()
		val, d := evalStatic(attr.Expr, ctx)
		diags = append(diags, d...)
		if !d.HasErrors() {
			hosts, err := stringList(val)
			if err != nil || len(hosts) == 0 {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Invalid hosts",
					Detail:  "hosts must be a host pattern or a non-empty list of them, such as \"cluster\" or [var.rebuilt].",
					Subject: attr.Expr.Range().Ptr(),
				})
			}
			play.Hosts = hosts
		}
	}
	if attr, ok := content.Attributes["serial"]; ok {
		batches, d := decodeSerial(attr.Expr, ctx)
		diags = append(diags, d...)
		play.Serial = batches
	}
	if attr, ok := content.Attributes["order"]; ok {
		diags = append(diags, decodeStaticWith(attr, ctx, &play.Order)...)
		if !contains(playOrders, play.Order) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid order",
				Detail:  fmt.Sprintf("order must be one of %s.%s", strings.Join(playOrders, ", "), suggest(play.Order, playOrders)),
				Subject: attr.Expr.Range().Ptr(),
			})
		}
	}
	if attr, ok := content.Attributes["any_errors_fatal"]; ok {
		diags = append(diags, decodeStaticWith(attr, ctx, &play.AnyErrorsFatal)...)
	}
	if attr, ok := content.Attributes["max_fail_percentage"]; ok {
		d := decodeStaticWith(attr, ctx, &play.MaxFailPercentage)
		diags = append(diags, d...)
		if !d.HasErrors() && (play.MaxFailPercentage < 0 || play.MaxFailPercentage > 100) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid max_fail_percentage",
				Detail:  "max_fail_percentage must be between 0 and 100.",
				Subject: attr.Expr.Range().Ptr(),
			})
		}
	}
	if attr, ok := content.Attributes["tags"]; ok {
		diags = append(diags, decodeStaticWith(attr, ctx, &play.Tags)...)
	}

	names := map[string]hcl.Range{}
	var taskBlocks []*hcl.Block
	always := map[*hcl.Block]bool{}
	var alwaysSeen *hcl.Block
	for _, b := range content.Blocks {
		if b.Type == "task" {
			taskBlocks = append(taskBlocks, b)
		}
	}
	for _, b := range content.Blocks {
		if b.Type != "always" {
			continue
		}
		if alwaysSeen != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Duplicate always block",
				Detail:  fmt.Sprintf("Play %q already has an always block at %s.", play.Name, alwaysSeen.DefRange),
				Subject: &b.DefRange,
			})
			continue
		}
		alwaysSeen = b
		ac, d := b.Body.Content(alwaysSchema)
		diags = append(diags, d...)
		for _, tb := range ac.Blocks {
			taskBlocks = append(taskBlocks, tb)
			always[tb] = true
		}
	}
	for _, tb := range taskBlocks {
		name := tb.Labels[0]
		if d := checkName("task", tb); d != nil {
			diags = append(diags, d)
		}
		if prev, dup := names[name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Duplicate task name",
				Detail:  fmt.Sprintf("Play %q already has a task named %q (at %s); task names identify results in output, the journal and --start-at-task.", play.Name, name, prev),
				Subject: &tb.LabelRanges[0],
			})
		}
		names[name] = tb.DefRange
		items, d := p.forEach(tb, ctx)
		diags = append(diags, d...)
		for _, each := range items {
			task, d := p.decodeTask(play, tb, each)
			diags = append(diags, d...)
			if task != nil {
				task.Always = always[tb]
				play.Tasks = append(play.Tasks, task)
			}
		}
	}
	if len(play.Tasks) == 0 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Empty play",
			Detail:  fmt.Sprintf("Play %q has no tasks.", play.Name),
			Subject: &block.DefRange,
		})
	}
	return play, diags
}

func decodeSerial(expr hcl.Expression, ctx *hcl.EvalContext) ([]Batch, hcl.Diagnostics) {
	val, diags := evalStatic(expr, ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	bad := func(detail string) hcl.Diagnostics {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid serial",
			Detail:  "serial must be a number of hosts, a percentage such as \"50%\", or a list of them: " + detail,
			Subject: expr.Range().Ptr(),
		})
	}
	val, _ = val.UnmarkDeep()
	var items []cty.Value
	if val.Type().IsListType() || val.Type().IsTupleType() {
		items = val.AsValueSlice()
		if len(items) == 0 {
			return nil, bad("the list is empty.")
		}
	} else {
		items = []cty.Value{val}
	}
	var batches []Batch
	for _, it := range items {
		if it.IsNull() {
			return nil, bad("null.")
		}
		switch it.Type() {
		case cty.Number:
			f, _ := it.AsBigFloat().Float64()
			if f < 1 || f != float64(int(f)) {
				return nil, bad(fmt.Sprintf("%v is not a whole number of at least 1.", f))
			}
			batches = append(batches, Batch{Count: int(f)})
		case cty.String:
			s := strings.TrimSpace(it.AsString())
			pct, ok := strings.CutSuffix(s, "%")
			f, err := strconv.ParseFloat(pct, 64)
			if ok && err == nil && f > 0 && f <= 100 {
				batches = append(batches, Batch{Percent: f})
				continue
			}
			if n, err := strconv.Atoi(s); err == nil && n >= 1 {
				batches = append(batches, Batch{Count: n})
				continue
			}
			return nil, bad(fmt.Sprintf("%q is neither.", s))
		default:
			return nil, bad(fmt.Sprintf("a %s is neither.", it.Type().FriendlyName()))
		}
	}
	return batches, diags
}

// forEach expands a task's for_each, known when the playbook loads (it
// may use var.*): one task per element of a list or set of strings, or per
// key of a map, each seeing each.key and each.value. A task without
// for_each is one task, with no each.
func (p *Plan) forEach(block *hcl.Block, ctx *hcl.EvalContext) ([]cty.Value, hcl.Diagnostics) {
	content, _ := block.Body.Content(taskSchema())
	attr, ok := content.Attributes["for_each"]
	if !ok {
		return []cty.Value{cty.NilVal}, nil
	}
	invalid := func(detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid for_each",
			Detail: detail + " for_each takes a list or set of strings, or a map, known when the playbook loads: " +
				"for_each = var.resources, then each.key and each.value in the task.",
			Subject: attr.Expr.Range().Ptr(),
		}}
	}
	if _, ok := content.Attributes["register"]; ok {
		return nil, invalid("A task with for_each cannot register a result: every element would overwrite it.")
	}
	val, diags := evalStatic(attr.Expr, ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	if val.IsNull() || !val.IsWhollyKnown() {
		return nil, invalid("for_each is null.")
	}
	if val.IsMarked() {
		return nil, sensitiveForEach(attr)
	}
	ty := val.Type()
	var items []cty.Value
	seen := map[string]bool{}
	add := func(key, value cty.Value) hcl.Diagnostics {
		if key.ContainsMarked() {
			return sensitiveForEach(attr)
		}
		k, err := convert.Convert(key, cty.String)
		if err != nil || k.IsNull() {
			return invalid(fmt.Sprintf("Its elements must be strings, not %s.", key.Type().FriendlyName()))
		}
		if seen[k.AsString()] {
			return invalid(fmt.Sprintf("%q appears twice; every task name must be unique.", k.AsString()))
		}
		seen[k.AsString()] = true
		items = append(items, cty.ObjectVal(map[string]cty.Value{"key": k, "value": value}))
		return nil
	}
	switch {
	case ty.IsMapType() || ty.IsObjectType():
		for it := val.ElementIterator(); it.Next(); {
			k, v := it.Element()
			if d := add(k, v); d != nil {
				return nil, d
			}
		}
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		for it := val.ElementIterator(); it.Next(); {
			_, v := it.Element()
			if d := add(v, v); d != nil {
				return nil, d
			}
		}
	default:
		return nil, invalid(fmt.Sprintf("It is %s.", ty.FriendlyName()))
	}
	if len(items) == 0 {
		return nil, invalid("It is empty, so the task would silently run nowhere.")
	}
	return items, nil
}

// sensitiveForEach refuses a for_each whose keys are sensitive, as
// Terraform does: each key becomes part of a task name, which output, the
// journal and --start-at-task show.
func sensitiveForEach(attr *hcl.Attribute) hcl.Diagnostics {
	return hcl.Diagnostics{{
		Severity: hcl.DiagError, Summary: "Invalid for_each",
		Detail: "for_each cannot take its keys from a sensitive value: each key becomes part of a task name, " +
			"which output and the journal show. Key a map by names that are not secret, such as " +
			"for_each = { alice = var.alice_password }; each.value may be sensitive.",
		Subject: attr.Expr.Range().Ptr(),
	}}
}

// ansibleModules maps Ansible's Windows module names to winplay's, for
// the playbook written by someone who knows Ansible.
var ansibleModules = map[string]string{
	"win_service": "service", "win_command": "command", "win_shell": "command", "raw": "command",
	"win_reboot": "reboot", "win_copy": "copy", "win_group_membership": "group_member",
	"win_user_right": "user_right", "win_wait_for": "wait_for", "win_regedit": "registry",
}

// withModuleHints adds winplay's name for an Ansible module to HCL's
// "Unsupported block type" about a task's module block.
func withModuleHints(body hcl.Body, diags hcl.Diagnostics) hcl.Diagnostics {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return diags
	}
	for _, blk := range sb.Blocks {
		ours, ok := ansibleModules[blk.Type]
		if _, known := modules.Lookup(ours); !ok || !known {
			continue
		}
		for _, d := range diags {
			if d.Summary == "Unsupported block type" && d.Subject != nil && *d.Subject == blk.TypeRange {
				d.Summary = "Unknown module"
				d.Detail = fmt.Sprintf("There is no module %q: that is Ansible's name; winplay's module is %q. Modules: %s.",
					blk.Type, ours, strings.Join(modules.Names(), ", "))
			}
		}
	}
	return diags
}

// checkName refuses an empty (or blank) play or task name: names are
// what output, the journal and --start-at-task identify them by.
func checkName(kind string, block *hcl.Block) *hcl.Diagnostic {
	if strings.TrimSpace(block.Labels[0]) != "" {
		return nil
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: "Empty " + kind + " name",
		Detail:  fmt.Sprintf("A %s needs a name that says what it does, such as %s %q; output, the journal and --start-at-task identify it by its name.", kind, kind, map[string]string{"play": "isolate the rebuilt node", "task": "stop the cluster service"}[kind]),
		Subject: &block.LabelRanges[0],
	}
}

func unknownBlock(diags hcl.Diagnostics) bool {
	for _, d := range diags {
		if d.Summary == "Unsupported block type" || d.Summary == "Unknown module" {
			return true
		}
	}
	return false
}

func (p *Plan) decodeTask(play *Play, block *hcl.Block, each cty.Value) (*Task, hcl.Diagnostics) {
	content, diags := block.Body.Content(taskSchema())
	diags = withModuleHints(block.Body, diags)
	task := &Task{Name: block.Labels[0], Play: play, Retries: -1, DeclRange: block.DefRange, Each: each}
	ctx := task.withEach(p.staticContext())
	if each != cty.NilVal {
		task.Name += " (" + each.GetAttr("key").AsString() + ")"
	}
	var moduleBlocks []*hcl.Block
	for _, b := range content.Blocks {
		if b.Type != "become" {
			moduleBlocks = append(moduleBlocks, b)
			continue
		}
		if task.Become != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate become block",
				Detail: fmt.Sprintf("Task %q already has a become block at %s; a task runs as one user.", task.Name, task.Become.DeclRange), Subject: &b.DefRange})
			continue
		}
		var d hcl.Diagnostics
		task.Become, d = decodeBecome(b, ctx)
		diags = append(diags, d...)
	}
	content.Blocks = moduleBlocks

	switch len(content.Blocks) {
	case 0:
		if unknownBlock(diags) {
			break // the block HCL did not know is the module meant
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Missing module",
			Detail:  fmt.Sprintf("Task %q needs exactly one module block, such as service { ... }. Modules: %s.", task.Name, strings.Join(modules.Names(), ", ")),
			Subject: &block.DefRange,
		})
	case 1:
		mb := content.Blocks[0]
		task.Module, _ = modules.Lookup(mb.Type)
		task.Body = mb.Body
		task.ModuleRange = mb.DefRange
	default:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "More than one module",
			Detail:  fmt.Sprintf("Task %q has a %s block and a %s block; a task runs exactly one module.", task.Name, content.Blocks[0].Type, content.Blocks[1].Type),
			Subject: &content.Blocks[1].DefRange,
		})
	}

	attrs := content.Attributes
	for name, target := range map[string]*hcl.Expression{
		"when": &task.When, "until": &task.Until, "on": &task.On,
		"changed_when": &task.ChangedWhen, "failed_when": &task.FailedWhen,
	} {
		if attr, ok := attrs[name]; ok {
			*target = attr.Expr
		}
	}
	if attr, ok := attrs["register"]; ok {
		d := decodeStaticWith(attr, ctx, &task.Register)
		diags = append(diags, d...)
		if !d.HasErrors() && (!hclsyntax.ValidIdentifier(task.Register) || contains(reservedNames, task.Register)) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid register name",
				Detail:  fmt.Sprintf("%q cannot name a registered result: use an identifier other than %s.", task.Register, strings.Join(reservedNames, ", ")),
				Subject: attr.Expr.Range().Ptr(),
			})
		}
	}
	if attr, ok := attrs["retries"]; ok {
		d := decodeStaticWith(attr, ctx, &task.Retries)
		diags = append(diags, d...)
		if !d.HasErrors() && (task.Retries < 0 || task.Retries > 1000) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid retries",
				Detail: "retries must be between 0 and 1000.", Subject: attr.Expr.Range().Ptr(),
			})
		}
	}
	for name, target := range map[string]*time.Duration{"delay": &task.Delay, "timeout": &task.Timeout} {
		if attr, ok := attrs[name]; ok {
			diags = append(diags, decodeDuration(attr, ctx, target)...)
		}
	}
	for name, target := range map[string]*bool{"run_once": &task.RunOnce, "ignore_errors": &task.IgnoreErrors} {
		if attr, ok := attrs[name]; ok {
			diags = append(diags, decodeStaticWith(attr, ctx, target)...)
		}
	}
	if attr, ok := attrs["check_mode"]; ok {
		var b bool
		d := decodeStaticWith(attr, ctx, &b)
		diags = append(diags, d...)
		task.CheckMode = &b
	}
	task.Tags = append(task.Tags, play.Tags...)
	if attr, ok := attrs["tags"]; ok {
		var tags []string
		diags = append(diags, decodeStaticWith(attr, ctx, &tags)...)
		task.Tags = append(task.Tags, tags...)
	}
	if attr, ok := attrs["reboot"]; ok {
		d := decodeStaticWith(attr, ctx, &task.Reboot)
		diags = append(diags, d...)
		if !d.HasErrors() && !contains([]string{"if_required", "always", "never"}, task.Reboot) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid reboot",
				Detail:  fmt.Sprintf("reboot must be \"if_required\", \"always\" or \"never\".%s", suggest(task.Reboot, []string{"if_required", "always", "never"})),
				Subject: attr.Expr.Range().Ptr(),
			})
		}
		if task.Reboot == "never" {
			task.Reboot = ""
		}
		if task.Reboot != "" {
			if _, ok := modules.Lookup("reboot"); !ok {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Reboot not available",
					Detail: "This build of winplay has no reboot module.", Subject: attr.Expr.Range().Ptr(),
				})
			}
		}
	}
	if task.Until != nil && task.Retries < 0 {
		task.Retries = 3 // Ansible's default when until is given
	}
	if task.Until != nil && task.Delay == 0 {
		task.Delay = 5 * time.Second
	}
	return task, diags
}

// checkRegisters rejects a register name used twice in a way that would
// hide the first result, and references to results no earlier task
// registers (the binding step checks the rest).
func (p *Plan) checkRegisters() hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]*Task{}
	for _, play := range p.Plays {
		for _, t := range play.Tasks {
			if t.Register == "" {
				continue
			}
			if prev, dup := seen[t.Register]; dup && prev.Play == play {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagWarning, Summary: "Register name reused",
					Detail:  fmt.Sprintf("Task %q registers %q again; it replaces the result of task %q.", t.Name, t.Register, prev.Name),
					Subject: t.DeclRange.Ptr(),
				})
			}
			seen[t.Register] = t
		}
	}
	return diags
}

func decodeStatic(attr *hcl.Attribute, target any) hcl.Diagnostics {
	return decodeStaticWith(attr, nil, target)
}

func decodeDuration(attr *hcl.Attribute, ctx *hcl.EvalContext, target *time.Duration) hcl.Diagnostics {
	var s string
	val, diags := evalStatic(attr.Expr, ctx)
	if diags.HasErrors() {
		return diags
	}
	val, _ = val.UnmarkDeep()
	invalid := func(why string) hcl.Diagnostics {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid duration",
			Detail:  fmt.Sprintf("%s must be a duration such as \"30s\" or \"10m\", or a number of seconds%s.", attr.Name, why),
			Subject: attr.Expr.Range().Ptr(),
		})
	}
	if val.Type() == cty.Number && !val.IsNull() {
		secs, _ := val.AsBigFloat().Float64()
		switch {
		case secs < 0:
			return invalid(", not a negative one")
		case secs > maxDuration.Seconds():
			return invalid(fmt.Sprintf(", at most %.0f (%s)", maxDuration.Seconds(), maxDuration))
		}
		*target = time.Duration(secs * float64(time.Second))
		return diags
	}
	if err := decodeValue(val, &s); err != nil {
		return invalid("")
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return invalid(fmt.Sprintf(", not %q", s))
	case d < 0:
		return invalid(fmt.Sprintf(", not a negative one (%q)", s))
	case d > maxDuration:
		return invalid(fmt.Sprintf(", at most %s", maxDuration))
	}
	*target = d
	return diags
}

// maxDuration bounds timeout and delay far beyond any sensible wait and
// well inside what a time.Duration holds (about 292 years): a larger
// number of seconds would overflow into a negative duration.
const maxDuration = 10 * 365 * 24 * time.Hour

func variableNames(vars []*Variable) []string {
	names := make([]string, len(vars))
	for i, v := range vars {
		names[i] = v.Name
	}
	return names
}

// suggest returns " Did you mean "x"?" for the closest name, or "". Case
// is ignored (NODE2 for node2 is the likeliest slip with Windows names),
// and name itself is never suggested.
func suggest(name string, names []string) string {
	best, bestDist := "", 3
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	for _, n := range sorted {
		if n == name {
			continue
		}
		if d := levenshtein.Distance(strings.ToLower(name), strings.ToLower(n), nil); d < bestDist {
			best, bestDist = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
