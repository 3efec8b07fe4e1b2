package main

import (
	"fmt"
	"go/doc/comment"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/pflag"

	"github.com/winplay/winplay/internal/input"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/runner"
)

// validateCmd loads a playbook and an inventory and binds them, exactly as
// run does before contacting any host, and stops there.
func validateCmd(args []string, stdio Stdio) int {
	fs := pflag.NewFlagSet("winplay validate", pflag.ContinueOnError)
	var f runFlags
	fs.StringVarP(&f.inventory, "inventory", "i", "", "inventory file (HCL)")
	fs.StringArrayVarP(&f.vars, "extra-vars", "e", nil, "set a playbook variable: -e name=value")
	fs.StringArrayVar(&f.varFiles, "var-file", nil, "read playbook variables from an HCL file")
	fs.StringVarP(&f.limit, "limit", "l", "", "further limit the hosts")
	if code, ok := parseFlags(fs, args, stdio, "winplay validate PLAYBOOK -i INVENTORY [flags]\n\nLoads and checks the playbook and inventory as run does, and contacts no host.\n"); !ok {
		return code
	}
	if fs.NArg() != 1 || f.inventory == "" {
		fmt.Fprintf(stdio.Err, "Usage: winplay validate PLAYBOOK -i INVENTORY [-e name=value]...\n")
		return runner.ExitInvalid
	}
	plan, diags := runner.Load(fs.Arg(0), runner.LoadOptions{Vars: f.vars, VarFiles: f.varFiles, Getenv: stdio.getenv})
	redact := runner.NewRedactor(plan.Secrets())
	if diags.HasErrors() {
		printDiags(stdio, redact, plan.Files, diags)
		return runner.ExitInvalid
	}
	inv, code := loadInventory(f.inventory, stdio, redact, true)
	if inv == nil {
		return code
	}
	var limit []string
	if f.limit != "" {
		limit = []string{f.limit}
	}
	diags = append(diags, plan.Bind(inv, limit)...)
	printDiags(stdio, redact, plan.Files, diags)
	if diags.HasErrors() {
		return runner.ExitInvalid
	}
	tasks := 0
	for _, p := range plan.Plays {
		tasks += len(p.Tasks)
	}
	fmt.Fprintf(stdio.Out, "%s: %d plays, %d tasks: valid\n", fs.Arg(0), len(plan.Plays), tasks)
	return runner.ExitOK
}

func hostsCmd(args []string, stdio Stdio) int {
	fs := pflag.NewFlagSet("winplay hosts", pflag.ContinueOnError)
	path := fs.StringP("inventory", "i", "", "inventory file (HCL)")
	if code, ok := parseFlags(fs, args, stdio, "winplay hosts -i INVENTORY [PATTERN]\n\nLists the hosts a pattern selects.\n"); !ok {
		return code
	}
	if *path == "" || fs.NArg() > 1 {
		fmt.Fprintln(stdio.Err, "Usage: winplay hosts -i INVENTORY [PATTERN]")
		return runner.ExitInvalid
	}
	inv, code := loadInventory(*path, stdio, nil, true)
	if inv == nil {
		return code
	}
	pattern := "all"
	if fs.NArg() == 1 {
		pattern = fs.Arg(0)
	}
	hosts, err := inv.Select(pattern)
	if err != nil {
		fmt.Fprintf(stdio.Err, "winplay: %v\n", err)
		return runner.ExitInvalid
	}
	for _, h := range hosts {
		fmt.Fprintf(stdio.Out, "%-15s %s  groups: %s\n", h.Name, h.Endpoint(), strings.Join(h.Groups, ", "))
	}
	return runner.ExitOK
}

// docCmd lists the modules, or one module's arguments, from the modules'
// own declarations and doc comments, so the text cannot drift from the code.
func docCmd(args []string, stdio Stdio) int {
	fs := pflag.NewFlagSet("winplay doc", pflag.ContinueOnError)
	if code, ok := parseFlags(fs, args, stdio, "winplay doc [MODULE]\n\nLists the modules, or shows one module's arguments.\n"); !ok {
		return code
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stdio.Err, "winplay doc: at most one module name, not %d\n\n%s", fs.NArg(), usageText(fs, "winplay doc [MODULE]\n"))
		return runner.ExitInvalid
	}
	args = fs.Args()
	if len(args) == 0 {
		fmt.Fprintln(stdio.Out, "Modules (winplay doc MODULE shows its arguments):")
		for _, name := range modules.Names() {
			info, _ := modules.Lookup(name)
			fmt.Fprintf(stdio.Out, "  %-16s %s\n", name, info.Summary)
		}
		fmt.Fprintf(stdio.Out, "\nFunctions in expressions: %s\n", strings.Join(runner.FunctionNames(), ", "))
		return runner.ExitOK
	}
	info, ok := modules.Lookup(args[0])
	if !ok {
		fmt.Fprintf(stdio.Err, "winplay: no module named %q; modules: %s\n", args[0], strings.Join(modules.Names(), ", "))
		return runner.ExitInvalid
	}
	doc, _ := modules.Doc(info.Name)
	fmt.Fprintf(stdio.Out, "%s: %s\n\n", info.Name, info.Summary)
	if doc.Doc != "" {
		fmt.Fprintf(stdio.Out, "%s\n\n", strings.Join(wrap(doc.Doc, docWidth), "\n"))
	}
	type arg struct{ name, typ, req string }
	var list []arg
	var nameW, typW int
	typ := reflect.TypeOf(info.New()).Elem()
	for i := 0; i < typ.NumField(); i++ {
		field := typ.Field(i)
		tag := field.Tag.Get("hcl")
		if tag == "" {
			continue
		}
		name, kind, _ := strings.Cut(tag, ",")
		a := arg{name, typeName(field.Type), "required"}
		if strings.Contains(kind, "optional") {
			a.req = "optional"
		}
		nameW, typW = max(nameW, len(a.name)), max(typW, len(a.typ))
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].name < list[j].name })
	fmt.Fprintln(stdio.Out, "Arguments:")
	for _, a := range list {
		head := fmt.Sprintf("  %-*s  %-*s  %-8s  ", nameW, a.name, typW, a.typ, a.req)
		indent := strings.Repeat(" ", len(head))
		// Long names leave little room: never wrap into a column too narrow to read.
		lines := wrap(doc.Args[a.name], max(docWidth-len(head), 24))
		fmt.Fprintln(stdio.Out, strings.TrimRight(head+strings.Join(lines, "\n"+indent), " "))
	}
	return runner.ExitOK
}

// docWidth is the width `winplay doc` wraps text at, as a terminal's 80
// columns less a margin.
const docWidth = 78

// wrap renders Go doc comment text (paragraphs, lists, indented code) as
// lines of at most width columns.
func wrap(text string, width int) []string {
	var p comment.Parser
	pr := comment.Printer{TextWidth: width, TextCodePrefix: "    "}
	return strings.Split(strings.TrimRight(string(pr.Text(p.Parse(text))), "\n"), "\n")
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.Slice:
		return "list(" + typeName(t.Elem()) + ")"
	case reflect.Map:
		return "map(" + typeName(t.Elem()) + ")"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "number"
	}
	return t.Kind().String()
}

// fmtCmd rewrites HCL files in canonical form, as terraform fmt does.
func fmtCmd(args []string, stdio Stdio) int {
	fs := pflag.NewFlagSet("winplay fmt", pflag.ContinueOnError)
	check := fs.Bool("check", false, "do not write; list the files that are not formatted and exit 4")
	if code, ok := parseFlags(fs, args, stdio, "winplay fmt [--check] FILE...\n\nRewrites HCL files in canonical form.\n"); !ok {
		return code
	}
	code := runner.ExitOK
	for _, path := range fs.Args() {
		src, err := input.ReadFile(path, input.MaxHCL)
		if err != nil {
			fmt.Fprintf(stdio.Err, "winplay: %v\n", err)
			code = runner.ExitInvalid
			continue
		}
		if d := input.CheckShape(src, path); d != nil {
			printDiags(stdio, nil, nil, hcl.Diagnostics{d})
			code = runner.ExitInvalid
			continue
		}
		_, diags := hclwrite.ParseConfig(src, path, hcl.InitialPos)
		if diags.HasErrors() {
			printDiags(stdio, nil, nil, diags)
			code = runner.ExitInvalid
			continue
		}
		out := hclwrite.Format(src)
		if string(out) == string(src) {
			continue
		}
		fmt.Fprintln(stdio.Out, path)
		if *check {
			code = runner.ExitInvalid
			continue
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			fmt.Fprintf(stdio.Err, "winplay: %v\n", err)
			code = runner.ExitInvalid
		}
	}
	return code
}
