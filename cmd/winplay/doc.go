package main

import (
	"fmt"
	"go/doc/comment"
	"reflect"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/runner"
)

func newDocCmd(stdio Stdio) *cobra.Command {
	return &cobra.Command{
		Use:   "doc [MODULE | inventory]",
		Short: "List the modules, or show a module's arguments or the inventory reference",
		Long: `Without an argument, lists the modules and the functions expressions may
call. With a module's name, shows what the module does and each of its
arguments: type, whether it is required, and what it means. "winplay doc
inventory" shows the inventory reference: winplay's HCL inventory, and the
Ansible INI and YAML inventories -i also reads.`,
		Annotations: map[string]string{"args": "MODULE\ta module's name, such as service or reboot; or inventory"},
		Example: `  winplay doc
  winplay doc service
  winplay doc inventory`,
		Args: maxArgs("MODULE"),
		ValidArgsFunction: func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, name := range modules.Names() {
				if strings.HasPrefix(name, toComplete) {
					info, _ := modules.Lookup(name)
					out = append(out, cobra.CompletionWithDesc(name, info.Summary))
				}
			}
			if strings.HasPrefix("inventory", toComplete) {
				out = append(out, cobra.CompletionWithDesc("inventory", "the inventory reference"))
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				listModules(stdio)
				return nil
			}
			if args[0] == "inventory" {
				fmt.Fprint(stdio.Out, inventory.Reference)
				return nil
			}
			return exit(moduleDoc(args[0], stdio))
		},
	}
}

// listModules lists the modules, from the modules' own declarations and
// doc comments, so the text cannot drift from the code.
func listModules(stdio Stdio) {
	fmt.Fprintln(stdio.Out, "Modules (winplay doc MODULE shows its arguments):")
	for _, name := range modules.Names() {
		info, _ := modules.Lookup(name)
		fmt.Fprintf(stdio.Out, "  %-16s %s\n", name, info.Summary)
	}
	fmt.Fprintf(stdio.Out, "\nFunctions in expressions: %s\n", strings.Join(runner.FunctionNames(), ", "))
	fmt.Fprintln(stdio.Out, "\nThe inventory reference: winplay doc inventory")
}

func moduleDoc(name string, stdio Stdio) int {
	info, ok := modules.Lookup(name)
	if !ok {
		fmt.Fprintf(stdio.Err, "winplay: no module named %q%s; modules: %s\n", name, didYouMean(name, modules.Names()), strings.Join(modules.Names(), ", "))
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

// didYouMean suggests the nearest of names, in the words the rest of
// winplay uses, or "".
func didYouMean(typed string, names []string) string {
	best, dist := "", 3
	for _, n := range names {
		if d := levenshteinFold(typed, n); d < dist {
			best, dist = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
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
