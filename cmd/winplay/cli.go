package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/winplay/winplay/runner"
)

// The command line is built with cobra, as kubectl, gh and Hugo are: it
// brings help per command, "did you mean" for a mistyped command, and
// completion scripts for bash, zsh, fish and PowerShell, and it parses
// flags with pflag, whose syntax the README documents. Every command is
// built fresh per Main, so tests can run them side by side.

// exitError ends a command with an exit code. Whatever needed saying was
// printed by the command itself.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// exit turns an exit code into a command's result.
func exit(code int) error {
	if code == runner.ExitOK {
		return nil
	}
	return exitError{code}
}

// usageError is a mistake on the command line: Main prints it with the
// command's usage, and the exit code is 4.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// invalidf prints a message about invalid input (not the command line's
// shape, so without the usage) and returns exit 4.
func invalidf(stdio Stdio, format string, args ...any) error {
	fmt.Fprintf(stdio.Err, "winplay: "+format+"\n", args...)
	return exitError{runner.ExitInvalid}
}

// Main runs the command line args and returns the exit code.
func Main(ctx context.Context, args []string, stdio Stdio) int {
	if args == nil {
		args = []string{} // cobra reads os.Args for nil
	}
	root := newRoot(stdio)
	root.SetArgs(terraformFlags(root, args))
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return runner.ExitOK
	}
	var ex exitError
	if errors.As(err, &ex) {
		return ex.code
	}
	if cmd == nil {
		cmd = root
	}
	fmt.Fprintf(stdio.Err, "%s: %s\n\n", cmd.CommandPath(), strings.TrimRight(err.Error(), "\n"))
	fmt.Fprint(stdio.Err, usageText(cmd))
	return runner.ExitInvalid
}

// newRoot builds the winplay command and its subcommands.
func newRoot(stdio Stdio) *cobra.Command {
	root := &cobra.Command{
		Use:   "winplay",
		Short: "Run HCL playbooks against Windows hosts over WinRM",
		Long: `winplay runs playbooks written in HCL against Windows hosts over WinRM, from
your workstation: tasks in a defined order per node, reboots waited for
properly, a check mode that changes nothing and says what would change, and a
lab of simulated Windows hosts to rehearse against.`,
		Example: `  winplay run playbooks/cluster-service-cycle.hcl --lab
  winplay run site.hcl -i hosts.yml --check --diff
  winplay validate site.hcl
  winplay help run`,
		Version:           versionString(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
		RunE: func(cmd *cobra.Command, args []string) error {
			// legacyArgs has already refused an unknown command.
			return usagef("a command is required")
		},
	}
	root.Flags().Bool("version", false, "print winplay's version, the commit it was built from, and the Go version")
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{err.Error() + flagSuggestion(c, err)}
	})
	root.SetUsageFunc(func(c *cobra.Command) error {
		fmt.Fprint(c.OutOrStderr(), usageText(c))
		return nil
	})
	root.SetHelpFunc(func(c *cobra.Command, _ []string) {
		fmt.Fprint(c.OutOrStdout(), helpText(c))
	})
	root.AddCommand(
		newRunCmd(stdio),
		newValidateCmd(stdio),
		newHostsCmd(stdio),
		newInventoryCmd(stdio),
		newDocCmd(stdio),
		newFmtCmd(stdio),
		newLabCmd(stdio),
		newReportCmd(stdio),
	)
	root.SetHelpCommand(newHelpCmd())
	return root
}

// newHelpCmd replaces cobra's help command, which answers an unknown topic
// with the top-level usage and exit 0.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "Show the help of a command",
		Long:  "Shows a command's description, arguments, examples and flags.",
		Annotations: map[string]string{
			"args": "COMMAND\tthe command, such as run or inventory convert; none for winplay itself",
		},
		Example: "  winplay help run\n  winplay help inventory convert",
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			parent := c.Root()
			if len(args) > 0 {
				found, rest, err := parent.Find(args)
				if err != nil || len(rest) > 0 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				parent = found
			}
			var names []cobra.Completion
			for _, sub := range parent.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					names = append(names, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil {
				return usageError{strings.Replace(err.Error(), "unknown command", "unknown help topic", 1)}
			}
			if len(rest) > 0 {
				return usagef("unknown help topic %q for %q%s", rest[0], target.CommandPath(), commandSuggestion(target, rest[0]))
			}
			fmt.Fprint(c.OutOrStdout(), helpText(target))
			return nil
		},
	}
}

func commandSuggestion(c *cobra.Command, name string) string {
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2
	}
	if s := c.SuggestionsFor(name); len(s) > 0 {
		return "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	return ""
}

// helpText is what --help and winplay help show: the description, then the
// usage with arguments, examples and flags.
func helpText(c *cobra.Command) string {
	long := c.Long
	if long == "" {
		long = c.Short
	}
	return strings.TrimRight(long, "\n") + "\n\n" + usageText(c)
}

// usageText is a command's usage: how to call it, its arguments, examples,
// subcommands and flags.
func usageText(c *cobra.Command) string {
	c.InitDefaultHelpFlag()
	var b strings.Builder
	b.WriteString("Usage:\n")
	if c.Runnable() && c.HasParent() && !c.HasAvailableSubCommands() {
		fmt.Fprintf(&b, "  %s\n", c.UseLine())
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(&b, "  %s COMMAND\n", c.CommandPath())
	}
	if args := c.Annotations["args"]; args != "" {
		b.WriteString("\nArguments:\n")
		b.WriteString(table(args))
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\nCommands:\n")
		var rows []string
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() || sub.Name() == "help" {
				rows = append(rows, sub.Name()+"\t"+sub.Short)
			}
		}
		b.WriteString(table(strings.Join(rows, "\n")))
	}
	if c.HasExample() {
		fmt.Fprintf(&b, "\nExamples:\n%s\n", strings.TrimRight(c.Example, "\n"))
	}
	if c.HasAvailableLocalFlags() {
		fmt.Fprintf(&b, "\nFlags:\n%s", flagUsages(c.LocalFlags()))
	}
	if c.HasAvailableInheritedFlags() {
		fmt.Fprintf(&b, "\nGlobal Flags:\n%s", flagUsages(c.InheritedFlags()))
	}
	if c.HasAvailableSubCommands() {
		path := strings.TrimPrefix(strings.TrimPrefix(c.CommandPath(), "winplay"), " ")
		if path != "" {
			path += " "
		}
		fmt.Fprintf(&b, "\nRun \"winplay help %sCOMMAND\" for a command's description, arguments, examples and flags.\n", path)
	}
	return b.String()
}

// usageWidth is the width flag descriptions wrap at.
const usageWidth = 80

// flagUsages lists flags as pflag does, in columns that fit 80 characters,
// without pflag's "[=true|false]" after every switch.
func flagUsages(fs *pflag.FlagSet) string {
	type row struct{ name, usage string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		name := "    --" + f.Name
		if f.Shorthand != "" {
			name = "-" + f.Shorthand + ", --" + f.Name
		}
		varname, usage := pflag.UnquoteUsage(f)
		switch f.Value.Type() {
		case "bool", "count":
		default:
			name += " " + strings.ToUpper(varname)
		}
		switch {
		case f.Value.Type() == "bool" || f.Value.Type() == "count" || f.DefValue == "" || f.DefValue == "[]" || f.DefValue == "0" || f.DefValue == "0s":
		case f.Value.Type() == "string":
			usage += fmt.Sprintf(" (default %q)", f.DefValue)
		default:
			usage += fmt.Sprintf(" (default %s)", strings.Trim(f.DefValue, "[]"))
		}
		rows = append(rows, row{name, usage})
		width = max(width, len(name))
	})
	var b strings.Builder
	for _, r := range rows {
		indent := strings.Repeat(" ", 2+width+3)
		lines := wrapWords(r.usage, max(usageWidth-len(indent), 30))
		fmt.Fprintf(&b, "  %-*s   %s\n", width, r.name, strings.Join(lines, "\n"+indent))
	}
	return b.String()
}

// wrapWords breaks text into lines of at most width columns.
func wrapWords(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// table aligns "name\tdescription" lines in two columns.
func table(rows string) string {
	lines := strings.Split(strings.TrimRight(rows, "\n"), "\n")
	width := 0
	for _, l := range lines {
		name, _, _ := strings.Cut(l, "\t")
		width = max(width, len(name))
	}
	var b strings.Builder
	for _, l := range lines {
		name, desc, _ := strings.Cut(l, "\t")
		fmt.Fprintf(&b, "  %-*s   %s\n", width, name, desc)
	}
	return b.String()
}

var (
	unknownLong  = regexp.MustCompile(`^unknown flag: --([^\s=]+)`)
	unknownShort = regexp.MustCompile(`^unknown shorthand flag: '.' in -([^\s=]+)`)
)

// flagSuggestion is the "did you mean" for a mistyped flag: the flags of
// the command within two edits, or starting with what was typed, or the
// long flag a single-dash word names (-check for --check).
func flagSuggestion(c *cobra.Command, err error) string {
	msg := err.Error()
	var typed string
	single := false
	if m := unknownLong.FindStringSubmatch(msg); m != nil {
		typed = m[1]
	} else if m := unknownShort.FindStringSubmatch(msg); m != nil {
		typed, single = m[1], true
	} else {
		return ""
	}
	var names []string
	seen := map[string]bool{}
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden || seen[f.Name] {
			return
		}
		seen[f.Name] = true
		switch {
		case single && f.Name == typed:
			names = append(names, f.Name)
		case levenshtein.Distance(strings.ToLower(typed), f.Name, nil) <= 2,
			len(typed) >= 3 && strings.HasPrefix(f.Name, typed):
			names = append(names, f.Name)
		}
	})
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	for i, n := range names {
		names[i] = "--" + n
	}
	return "\nDid you mean " + strings.Join(names, " or ") + "?"
}

// terraformFlags lets fmt take terraform fmt's single-dash flags
// (-check, -diff, -recursive, -write=false, -list=false), which pflag
// would read as runs of one-letter flags.
func terraformFlags(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd.Name() != "fmt" {
		return args
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && len(name) > 1 && cmd.Flags().Lookup(name) != nil {
			out[i] = "-" + a
		}
	}
	return out
}

func levenshteinFold(a, b string) int {
	return levenshtein.Distance(strings.ToLower(a), strings.ToLower(b), nil)
}
