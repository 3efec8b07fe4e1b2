package main

import (
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/runner"
)

// Shell completion: cobra's completion command writes the scripts for
// bash, zsh, fish and PowerShell; they call back into "winplay __complete",
// which runs the functions here. They read the files named on the command
// line so far (-i, the playbook) and never contact a host.

// completePlaybookFlags completes the arguments of run and validate: the
// playbook (*.hcl files), --limit from the inventory's hosts and groups,
// --tags and --start-at-task from the playbook.
func completePlaybookFlags(cmd *cobra.Command) {
	cmd.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return []cobra.Completion{"hcl"}, cobra.ShellCompDirectiveFilterFileExt
	}
	files := func(exts ...string) cobra.CompletionFunc {
		return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return exts, cobra.ShellCompDirectiveFilterFileExt
		}
	}
	_ = cmd.RegisterFlagCompletionFunc("inventory", files("hcl", "ini", "yml", "yaml", "json"))
	_ = cmd.RegisterFlagCompletionFunc("var-file", files("hcl", "json"))
	_ = cmd.RegisterFlagCompletionFunc("limit", func(c *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return completeHostPattern(c, toComplete)
	})
	tags := func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		plan := completionPlan(args)
		if plan == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, t := range listItems(toComplete, plan.AllTags()) {
			out = append(out, t)
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	_ = cmd.RegisterFlagCompletionFunc("tags", tags)
	_ = cmd.RegisterFlagCompletionFunc("skip-tags", tags)
	_ = cmd.RegisterFlagCompletionFunc("start-at-task", func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		plan := completionPlan(args)
		if plan == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, p := range plan.Plays {
			for _, t := range p.Tasks {
				if strings.HasPrefix(t.Name, toComplete) && !slices.Contains(out, t.Name) {
					out = append(out, t.Name)
				}
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("lab-profile", completeProfiles)
	_ = cmd.RegisterFlagCompletionFunc("lab-speed", cobra.FixedCompletions([]string{"fast", "real"}, cobra.ShellCompDirectiveNoFileComp))
	if cmd.Flags().Lookup("output") != nil {
		_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	}
}

// completionPlan loads the playbook named so far, with every variable left
// unknown, or nil.
func completionPlan(args []string) *runner.Plan {
	if len(args) == 0 {
		return nil
	}
	plan, diags := runner.Load(args[0], runner.LoadOptions{AllowUnset: true})
	if diags.HasErrors() {
		return nil
	}
	return plan
}

// listItems completes the last item of a comma-separated list.
func listItems(toComplete string, items []string) []string {
	done, last := "", toComplete
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		done, last = toComplete[:i+1], toComplete[i+1:]
	}
	var out []string
	for _, it := range items {
		if strings.HasPrefix(it, last) && !slices.Contains(strings.Split(done, ","), it) {
			out = append(out, done+it)
		}
	}
	return out
}

// completeHostPattern completes the last term of a host pattern with the
// host and group names of the inventory given with -i.
func completeHostPattern(c *cobra.Command, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	path, _ := c.Flags().GetString("inventory")
	if path == "" {
		return cobra.AppendActiveHelp(nil, "give -i INVENTORY first to complete host and group names"), cobra.ShellCompDirectiveNoFileComp
	}
	inv, code := loadInventory(path, Stdio{Err: io.Discard}, nil, true)
	if inv == nil || code != runner.ExitOK {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := []string{inventory.GroupAll}
	for _, g := range inv.Groups() {
		names = append(names, g.Name)
	}
	for _, h := range inv.Hosts() {
		names = append(names, h.Name)
	}
	done, term := "", toComplete
	if i := strings.LastIndexAny(toComplete, ":,!&"); i >= 0 {
		done, term = toComplete[:i+1], toComplete[i+1:]
	}
	var out []cobra.Completion
	for _, n := range names {
		if strings.HasPrefix(strings.ToLower(n), strings.ToLower(term)) {
			out = append(out, done+n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeProfiles completes HOST=PROFILE.
func completeProfiles(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	host, _, ok := strings.Cut(toComplete, "=")
	if !ok {
		return []cobra.Completion{"node1=", "node2="}, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	var out []cobra.Completion
	for _, p := range []string{win.ProfileNode, win.ProfileRebuilt, win.ProfileCorrupted} {
		if strings.HasPrefix(host+"="+p, toComplete) {
			out = append(out, host+"="+p)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
