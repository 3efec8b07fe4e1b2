package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/runner"
)

type hostsFlags struct {
	inventory string
	graph     bool
	vars      bool
	output    string
}

func newHostsCmd(stdio Stdio) *cobra.Command {
	var f hostsFlags
	cmd := &cobra.Command{
		Use:   "hosts -i INVENTORY [PATTERN] [flags]",
		Short: "List the hosts a pattern selects, or draw the inventory's groups",
		Long: `Lists the hosts of an inventory that a pattern selects, with their WinRM
endpoint and groups, in inventory order. Patterns are Ansible's: names,
groups, globs (node*), exclusion (all:!node1) and intersection
(cluster:&web); a term that matches nothing is an error.

--graph draws the groups as a tree, as ansible-inventory --graph does, from
"all" or from the group given as PATTERN. --vars adds each host's variables
(and each group's, in the graph). --output json prints the selected hosts
with their groups, variables and connection settings (never a password).`,
		Annotations: map[string]string{"args": "PATTERN\thost pattern (default all); with --graph, a group"},
		Example: `  winplay hosts -i inventory.hcl
  winplay hosts -i hosts.ini 'cluster:!node1'
  winplay hosts -i hosts.yml --graph --vars
  winplay hosts -i inventory.hcl --output json`,
		Args: maxArgs("PATTERN"),
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return completeHostPattern(c, toComplete)
		},
		RunE: func(_ *cobra.Command, args []string) error {
			pattern := "all"
			if len(args) == 1 {
				pattern = args[0]
			}
			return exit(listHosts(f, pattern, stdio))
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&f.inventory, "inventory", "i", "", "the `INVENTORY` file: winplay HCL, or Ansible INI or YAML (required)")
	fs.BoolVar(&f.graph, "graph", false, "draw the groups and their hosts as a tree, as ansible-inventory --graph")
	fs.BoolVar(&f.vars, "vars", false, "show each host's variables (and, with --graph, each group's)")
	fs.StringVar(&f.output, "output", "text", "output `FORMAT`: text or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func listHosts(f hostsFlags, pattern string, stdio Stdio) int {
	if f.inventory == "" {
		fmt.Fprintln(stdio.Err, "winplay hosts: -i INVENTORY is required")
		return runner.ExitInvalid
	}
	if f.output != "text" && f.output != "json" {
		fmt.Fprintf(stdio.Err, "winplay: --output must be text or json, not %q\n", f.output)
		return runner.ExitInvalid
	}
	if f.graph && f.output == "json" {
		fmt.Fprintln(stdio.Err, "winplay: --graph draws text; leave out --output json (or --graph)")
		return runner.ExitInvalid
	}
	inv, code := loadInventory(f.inventory, stdio, nil, true)
	if inv == nil {
		return code
	}
	if f.graph {
		if pattern != "all" && !slices.ContainsFunc(inv.Groups(), func(g *inventory.Group) bool { return g.Name == pattern }) && pattern != inventory.GroupUngrouped {
			fmt.Fprintf(stdio.Err, "winplay: --graph draws a group, and the inventory has no group named %q%s\n", pattern, didYouMean(pattern, groupNames(inv)))
			return runner.ExitInvalid
		}
		drawGraph(stdio.Out, inv, pattern, f.vars)
		return runner.ExitOK
	}
	hosts, err := inv.Select(pattern)
	if err != nil {
		fmt.Fprintf(stdio.Err, "winplay: %v\n", err)
		return runner.ExitInvalid
	}
	if f.output == "json" {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Hosts []*inventory.Host `json:"hosts"`
		}{hosts}); err != nil {
			fmt.Fprintf(stdio.Err, "winplay: %v\n", err)
			return runner.ExitError
		}
		return runner.ExitOK
	}
	width := 15
	for _, h := range hosts {
		width = max(width, len(h.Name))
	}
	for _, h := range hosts {
		fmt.Fprintf(stdio.Out, "%-*s %s  groups: %s\n", width, h.Name, h.Endpoint(), strings.Join(h.Groups, ", "))
		if f.vars {
			for _, line := range varLines(h.Vars) {
				fmt.Fprintf(stdio.Out, "%*s %s\n", width, "", line)
			}
		}
	}
	return runner.ExitOK
}

// drawGraph draws a group's tree as ansible-inventory --graph does: child
// groups, then hosts, each sorted by name, then the group's variables.
func drawGraph(w io.Writer, inv *inventory.Inventory, group string, vars bool) {
	byName := map[string]*inventory.Group{}
	isChild := map[string]bool{}
	for _, g := range inv.Groups() {
		byName[g.Name] = g
		for _, c := range g.Children {
			isChild[c] = true
		}
	}
	var ungrouped []string
	for _, h := range inv.Hosts() {
		if slices.Contains(h.Groups, inventory.GroupUngrouped) {
			ungrouped = append(ungrouped, h.Name)
		}
	}
	var draw func(name, indent string)
	draw = func(name, indent string) {
		var kids, hosts []string
		var own map[string]cty.Value
		switch name {
		case inventory.GroupAll:
			kids = append(kids, inventory.GroupUngrouped)
			for _, g := range inv.Groups() {
				if !isChild[g.Name] {
					kids = append(kids, g.Name)
				}
			}
			own = inv.Vars()
		case inventory.GroupUngrouped:
			hosts = ungrouped
		default:
			g := byName[name]
			kids, hosts, own = slices.Clone(g.Children), slices.Clone(g.Hosts), g.Vars
		}
		sort.Strings(kids)
		sort.Strings(hosts)
		for _, k := range kids {
			fmt.Fprintf(w, "%s|--@%s:\n", indent, k)
			draw(k, indent+"|  ")
		}
		for _, hn := range hosts {
			fmt.Fprintf(w, "%s|--%s\n", indent, hn)
			if h, ok := inv.Host(hn); ok && vars {
				for _, line := range varLines(h.Vars) {
					fmt.Fprintf(w, "%s|  |--{%s}\n", indent, line)
				}
			}
		}
		if vars {
			for _, line := range varLines(own) {
				fmt.Fprintf(w, "%s|--{%s}\n", indent, line)
			}
		}
	}
	fmt.Fprintf(w, "@%s:\n", group)
	draw(group, "  ")
}

// varLines renders variables as "name = value" lines sorted by name,
// values in JSON.
func varLines(vars map[string]cty.Value) []string {
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)
	lines := make([]string, 0, len(names))
	for _, n := range names {
		v := vars[n]
		text := ""
		if v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
			text = v.AsString()
		} else if b, err := ctyjson.Marshal(v, v.Type()); err == nil {
			text = string(b)
		}
		lines = append(lines, n+" = "+text)
	}
	return lines
}

func groupNames(inv *inventory.Inventory) []string {
	var names []string
	for _, g := range inv.Groups() {
		names = append(names, g.Name)
	}
	return names
}
