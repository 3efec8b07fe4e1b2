package runner

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/winplay/winplay/modules"
)

// validate checks a decoded module's arguments: its own Validate, the
// length of the command lines they make (modules.CheckLengths), and that
// no element of a switch list that comes from a value can be read as a
// switch. A Validate that panics is a bug in winplay; it is reported as
// an error of the task's arguments instead of ending the process.
func validate(t *Task, m modules.Module, content *hcl.BodyContent, vals map[string]cty.Value) []modules.FieldError {
	errs := safeValidate(t.Module.Name, m)
	errs = append(errs, modules.CheckLengths(t.Module.Name, m)...)
	if sf, ok := m.(modules.SwitchFields); ok {
		for _, name := range sf.SwitchFields() {
			if attr, ok := content.Attributes[name]; ok {
				errs = append(errs, dataElements(name, attr.Expr, vals[name])...)
			}
		}
	}
	return errs
}

func safeValidate(module string, m modules.Module) (errs []modules.FieldError) {
	defer func() {
		if p := recover(); p != nil {
			errs = []modules.FieldError{{Msg: fmt.Sprintf("internal error: the %s module's validation panicked (%v); this is a bug in winplay, please report it with this trace:\n%s",
				module, p, firstFrames(debug.Stack()))}}
		}
	}()
	return m.Validate()
}

// dataElements refuses the elements of a switch list that come from a
// value and start with / or -. An element is written literally when it is
// a string literal or a template that starts with literal text
// ("/D=${var.dir}"); when the list itself is an expression (var.args,
// concat(...)), every element comes from a value.
func dataElements(name string, expr hcl.Expression, val cty.Value) []modules.FieldError {
	if val.IsNull() || !val.IsKnown() || !val.CanIterateElements() {
		return nil
	}
	literal := map[int]bool{}
	if tuple, ok := expr.(*hclsyntax.TupleConsExpr); ok {
		for i, el := range tuple.Exprs {
			literal[i] = literalStart(el)
		}
	}
	var errs []modules.FieldError
	i := 0
	for it := val.ElementIterator(); it.Next(); i++ {
		_, el := it.Element()
		if literal[i] || el.IsNull() || !el.IsKnown() || el.Type() != cty.String {
			continue
		}
		if s := el.AsString(); strings.HasPrefix(s, "/") || strings.HasPrefix(s, "-") {
			errs = append(errs, modules.FieldError{Field: name, Msg: fmt.Sprintf(
				"element %d comes from a value and starts with %q, so the program would read it as a switch; "+
					"a value is data: write switches literally in the list, as in [\"net\", \"localgroup\", var.group, \"/add\"]",
				i+1, s[:1])})
		}
	}
	return errs
}

// literalStart reports whether an expression's text starts with literal
// text written in the playbook.
func literalStart(e hclsyntax.Expression) bool {
	switch x := e.(type) {
	case *hclsyntax.LiteralValueExpr:
		return true
	case *hclsyntax.TemplateExpr:
		if len(x.Parts) == 0 {
			return true
		}
		lit, ok := x.Parts[0].(*hclsyntax.LiteralValueExpr)
		return ok && lit.Val.Type() == cty.String && lit.Val.AsString() != ""
	}
	return false
}

// firstFrames keeps the top of a stack trace, enough to find a bug.
func firstFrames(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	return strings.Join(lines[:min(len(lines), 16)], "\n")
}
