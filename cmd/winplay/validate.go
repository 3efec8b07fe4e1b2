package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/runner"
)

type validateFlags struct {
	inventory string
	vars      []string
	varFiles  []string
	limit     string
	labMode   bool
	lab       labFlags
}

func newValidateCmd(stdio Stdio) *cobra.Command {
	var f validateFlags
	cmd := &cobra.Command{
		Use:   "validate PLAYBOOK [-i INVENTORY | --lab] [flags]",
		Short: "Check a playbook (and its inventory) without contacting any host",
		Long: `Loads and checks a playbook as run does, and contacts no host.

With -i INVENTORY (or --lab, the simulated hosts run --lab would start), it
also checks the inventory and binds the playbook to it: host patterns,
--limit, the "on" hosts and every module's arguments for every host. With
neither, it checks the playbook alone: its syntax, blocks, arguments and
expressions, with variables that have no value left unknown.

A valid playbook prints one line and exits 0; every problem is reported with
file:line:column and the playbook exits 4.`,
		Annotations: map[string]string{"args": "PLAYBOOK\tthe playbook file (HCL)"},
		Example: `  winplay validate site.hcl
  winplay validate site.hcl -i hosts.ini -e rebuilt=node2
  winplay validate playbooks/iis-cluster-node-rebuild.hcl --lab -e rebuilt=node2 -e healthy=node1`,
		Args: exactArgs("PLAYBOOK"),
		RunE: func(c *cobra.Command, args []string) error {
			return exit(validate(args[0], f, stdio))
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&f.inventory, "inventory", "i", "", "the `INVENTORY` file: winplay HCL, or Ansible INI or YAML")
	fs.StringArrayVarP(&f.vars, "extra-vars", "e", nil, "`VARS` to set: name=value, a JSON object, or @FILE (HCL or JSON); repeatable, later ones win")
	fs.StringArrayVar(&f.varFiles, "var-file", nil, "read playbook variables from an HCL or JSON `FILE` (repeatable)")
	fs.StringVarP(&f.limit, "limit", "l", "", "further limit the hosts: a `PATTERN` such as node1, 'all:!node2'")
	f.lab.registerRun(fs, &f.labMode)
	completePlaybookFlags(cmd)
	return cmd
}

func validate(path string, f validateFlags, stdio Stdio) int {
	if f.labMode && f.inventory != "" {
		fmt.Fprintln(stdio.Err, "winplay: give -i INVENTORY or --lab, not both")
		return runner.ExitInvalid
	}
	syntaxOnly := !f.labMode && f.inventory == ""
	if syntaxOnly && f.limit != "" {
		fmt.Fprintln(stdio.Err, "winplay: --limit needs an inventory: give -i INVENTORY or --lab")
		return runner.ExitInvalid
	}
	plan, diags := runner.Load(path, runner.LoadOptions{Vars: f.vars, VarFiles: f.varFiles, Getenv: stdio.getenv, AllowUnset: syntaxOnly})
	redact := runner.NewRedactor(plan.Secrets())
	if syntaxOnly && !diags.HasErrors() {
		diags = append(diags, plan.CheckAlone()...)
	}
	if diags.HasErrors() || syntaxOnly {
		printDiags(stdio, redact, plan.Files, diags)
		if diags.HasErrors() {
			return runner.ExitInvalid
		}
		fmt.Fprintf(stdio.Out, "%s: %d plays, %d tasks: valid (syntax only; give -i INVENTORY or --lab to check it against hosts)\n",
			path, len(plan.Plays), taskCount(plan))
		return runner.ExitOK
	}
	var inv *inventory.Inventory
	if f.labMode {
		l, labInv, _, err := startLab(f.lab, Stdio{Out: stdio.Out, Err: io.Discard})
		if err != nil {
			fmt.Fprintf(stdio.Err, "winplay: %s\n", redact.String(err.Error()))
			return runner.ExitInvalid
		}
		l.Close()
		inv = labInv
	} else {
		var code int
		inv, code = loadInventory(f.inventory, stdio, redact, true)
		if inv == nil {
			return code
		}
	}
	diags = append(diags, plan.Bind(inv, limitPatterns(f.limit))...)
	printDiags(stdio, redact, plan.Files, diags)
	if diags.HasErrors() {
		return runner.ExitInvalid
	}
	fmt.Fprintf(stdio.Out, "%s: %d plays, %d tasks: valid\n", path, len(plan.Plays), taskCount(plan))
	return runner.ExitOK
}

func taskCount(plan *runner.Plan) int {
	n := 0
	for _, p := range plan.Plays {
		n += len(p.Tasks)
	}
	return n
}

// limitPatterns is --limit as Bind takes it.
func limitPatterns(limit string) []string {
	if limit == "" {
		return nil
	}
	return []string{limit}
}
