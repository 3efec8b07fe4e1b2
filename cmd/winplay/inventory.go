package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/runner"
)

func newInventoryCmd(stdio Stdio) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Work with inventories: convert an Ansible inventory to HCL",
		Long: `Commands for inventory files. -i reads winplay's HCL inventories and Ansible's
INI and YAML ones alike; "winplay inventory convert" writes the HCL that is
equivalent to an Ansible inventory, to keep in its place. "winplay doc
inventory" is the reference of both formats.`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q for %q%s", args[0], c.CommandPath(), commandSuggestion(c, args[0]))
			}
			return usagef("a command is required")
		},
		RunE: func(*cobra.Command, []string) error { return nil },
	}
	var out string
	convert := &cobra.Command{
		Use:   "convert INVENTORY [-o FILE]",
		Short: "Write an inventory (such as an Ansible INI or YAML one) as winplay HCL",
		Long: `Reads an inventory as -i does (an Ansible INI or YAML inventory, or winplay
HCL) and writes the equivalent winplay HCL inventory: the same hosts,
addresses, groups, children and variables, with the ansible_* connection
variables as connection settings. Passwords are never written: a password
in the file is refused as -i refuses it, and the written inventory takes
the password from $WINPLAY_PASSWORD (or the variable winplay_password_env
names), as the Ansible one did.`,
		Annotations: map[string]string{"args": "INVENTORY\tthe inventory file to convert"},
		Example: `  winplay inventory convert hosts.ini -o inventory.hcl
  ansible-inventory -i hosts --list --yaml > hosts.yml && winplay inventory convert hosts.yml`,
		Args: exactArgs("INVENTORY"),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return []cobra.Completion{"ini", "yml", "yaml", "json", "hcl"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(_ *cobra.Command, args []string) error {
			return exit(convertInventory(args[0], out, stdio))
		},
	}
	convert.Flags().StringVarP(&out, "output", "o", "", "write the HCL to this `FILE` instead of standard output")
	cmd.AddCommand(convert)
	return cmd
}

func convertInventory(path, out string, stdio Stdio) int {
	inv, code := loadInventory(path, stdio, nil, true)
	if inv == nil {
		return code
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Converted by winplay inventory convert from %s.\n", path)
	if err := inventory.Write(&b, inv); err != nil {
		fmt.Fprintf(stdio.Err, "winplay: %v\n", err)
		return runner.ExitError
	}
	if out == "" {
		_, _ = stdio.Out.Write(b.Bytes())
		return runner.ExitOK
	}
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		fmt.Fprintf(stdio.Err, "winplay: %v\n", err)
		return runner.ExitError
	}
	fmt.Fprintf(stdio.Err, "wrote %s\n", out)
	return runner.ExitOK
}
