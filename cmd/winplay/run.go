package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/runner"
	"github.com/winplay/winplay/runner/conn"
	"github.com/winplay/winplay/runner/report"
)

type runFlags struct {
	inventory      string
	vars           []string
	varFiles       []string
	limit          string
	check          bool
	diff           bool
	forks          int
	tags           []string
	skipTags       []string
	startAt        string
	step           bool
	output         string
	journal        string
	report         string
	verbose        int
	listTasks      bool
	listHosts      bool
	listTags       bool
	timeout        time.Duration
	connectTimeout time.Duration
	labMode        bool
	lab            labFlags
}

func (f *runFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&f.inventory, "inventory", "i", "", "the `INVENTORY` file: winplay HCL, or Ansible INI or YAML (see winplay doc inventory)")
	fs.StringArrayVarP(&f.vars, "extra-vars", "e", nil, "`VARS` to set: name=value, a JSON object, or @FILE (HCL or JSON); repeatable, later ones win")
	fs.StringArrayVar(&f.varFiles, "var-file", nil, "read playbook variables from an HCL or JSON `FILE` (repeatable)")
	fs.StringVarP(&f.limit, "limit", "l", "", "further limit the hosts: a `PATTERN` such as node1, 'all:!node2', 'cluster:&web'")
	fs.BoolVarP(&f.check, "check", "C", false, "dry run: read state, report what would change, change nothing")
	fs.BoolVarP(&f.diff, "diff", "D", false, "show before/after of what changes")
	fs.IntVarP(&f.forks, "forks", "f", 5, "how many hosts run a task at once")
	fs.StringSliceVarP(&f.tags, "tags", "t", nil, "run only tasks with these `TAGS` (comma-separated); a tag no task has is an error")
	fs.StringSliceVar(&f.skipTags, "skip-tags", nil, "skip tasks with these `TAGS` (comma-separated)")
	fs.StringVar(&f.startAt, "start-at-task", "", "start at the first task with this `NAME`")
	fs.BoolVar(&f.step, "step", false, "confirm each task before it runs")
	fs.BoolVar(&f.listTasks, "list-tasks", false, "list the tasks each play would run, with their tags, and run nothing")
	fs.BoolVar(&f.listHosts, "list-hosts", false, "list the hosts each play would run on, and run nothing")
	fs.BoolVar(&f.listTags, "list-tags", false, "list the tags of each play's tasks, and run nothing")
	fs.StringVar(&f.output, "output", "text", "output `FORMAT`: text, or json (one event per line)")
	fs.StringVar(&f.journal, "journal", "", "append every event of the run to this `FILE` as it happens (JSON lines, fsynced)")
	fs.StringVar(&f.report, "report", "", "write the run's HTML report to this `FILE` when it ends")
	fs.CountVarP(&f.verbose, "verbose", "v", "-v shows command output, -vv every command sent")
	fs.DurationVar(&f.connectTimeout, "connect-timeout", 0, "give up on a host that does not answer within this `DURATION`, such as 5s (default: the inventory's connect_timeout, 10s)")
	fs.DurationVar(&f.timeout, "timeout", 0, "bound every task that sets no timeout of its own to this `DURATION` per host, such as 30m (default: none)")
	f.lab.registerRun(fs, &f.labMode)
}

func newRunCmd(stdio Stdio) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run PLAYBOOK (-i INVENTORY | --lab) [flags]",
		Short: "Run a playbook against the hosts of an inventory",
		Long: `Runs a playbook against the hosts of an inventory, or rehearses it against
simulated Windows hosts started in this process with --lab. The whole
playbook is loaded and checked against the inventory before any host is
contacted: a playbook that fails validation runs nothing anywhere.

The inventory is winplay's HCL or an Ansible INI or YAML inventory (see
"winplay doc inventory"). Exit codes: 0 every task ok or changed; 1 internal
error; 2 a task failed on some host; 3 some host was unreachable, none
failed; 4 invalid input, nothing ran; 99 interrupted.`,
		Annotations: map[string]string{"args": "PLAYBOOK\tthe playbook file (HCL)"},
		Example: `  # rehearse the runbook against a simulated two-node cluster
  winplay run playbooks/iis-cluster-node-rebuild.hcl --lab --lab-profile node2=rebuilt -e rebuilt=node2 -e healthy=node1

  # dry run against real hosts, showing what would change
  winplay run site.hcl -i hosts.yml --check --diff

  # one node only, variables from a file, a report for the change ticket
  winplay run site.hcl -i inventory.hcl --limit node2 -e @vars.json --report run.html`,
		Args: exactArgs("PLAYBOOK"),
		RunE: func(c *cobra.Command, args []string) error {
			return exit(runPlaybook(c.Context(), args[0], f, stdio))
		},
	}
	f.register(cmd.Flags())
	completePlaybookFlags(cmd)
	return cmd
}

// exactArgs requires one positional argument per name.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) == len(names) {
			return nil
		}
		if len(args) < len(names) {
			return usagef("missing %s", strings.Join(names[len(args):], " and "))
		}
		return usagef("too many arguments: %s takes %s, got %q", c.Name(), strings.Join(names, " and "), args)
	}
}

// maxArgs allows up to len(names) positional arguments.
func maxArgs(names ...string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) <= len(names) {
			return nil
		}
		if len(names) == 0 {
			return usagef("%s takes no arguments, got %q", c.Name(), args)
		}
		return usagef("too many arguments: %s takes at most %s, got %q", c.Name(), strings.Join(names, " and "), args)
	}
}

// runPlaybook is winplay run.
func runPlaybook(ctx context.Context, path string, f runFlags, stdio Stdio) int {
	if f.output != "text" && f.output != "json" {
		fmt.Fprintf(stdio.Err, "winplay: --output must be text or json, not %q\n", f.output)
		return runner.ExitInvalid
	}
	if f.labMode == (f.inventory != "") {
		fmt.Fprintln(stdio.Err, "winplay: give either -i INVENTORY or --lab")
		return runner.ExitInvalid
	}
	if f.forks < 1 {
		fmt.Fprintln(stdio.Err, "winplay: --forks must be at least 1")
		return runner.ExitInvalid
	}
	if f.timeout < 0 || f.connectTimeout < 0 {
		fmt.Fprintln(stdio.Err, "winplay: --timeout and --connect-timeout must not be negative")
		return runner.ExitInvalid
	}
	listing := f.listTasks || f.listHosts || f.listTags

	plan, diags := runner.Load(path, runner.LoadOptions{Vars: f.vars, VarFiles: f.varFiles, Getenv: stdio.getenv, Prompt: variablePrompt(stdio)})
	redact := runner.NewRedactor(plan.Secrets())
	if diags.HasErrors() {
		printDiags(stdio, redact, plan.Files, diags)
		return runner.ExitInvalid
	}

	var inv *inventory.Inventory
	timing := defaultTiming
	inputs := &runner.Inputs{Inventory: f.inventory, Limit: f.limit, Winplay: versionString(), User: currentUser()}
	becomeFallback := ""
	if f.labMode {
		// The lab's accounts share its password, so a rehearsal needs no
		// become password.
		becomeFallback = lab.DefaultPassword
		l, labInv, t, err := startLab(f.lab, stdio)
		if err != nil {
			fmt.Fprintf(stdio.Err, "winplay: %s\n", redact.String(err.Error()))
			return runner.ExitInvalid
		}
		defer l.Close()
		inv, timing = labInv, t
		inputs.Inventory = "lab (" + strings.Join(f.lab.hosts, ", ") + ")"
	} else {
		var code int
		inv, code = loadInventory(f.inventory, stdio, redact, listing)
		if inv == nil {
			return code
		}
	}
	redact = runner.NewRedactor(runner.Secrets(plan, inv))
	bindDiags := plan.Bind(inv, limitPatterns(f.limit))
	if !bindDiags.HasErrors() && !listing {
		bindDiags = append(bindDiags, plan.ResolveBecome(stdio.getenv, passwordPrompt(stdio), becomeFallback)...)
		redact = runner.NewRedactor(runner.Secrets(plan, inv))
	}
	printDiags(stdio, redact, plan.Files, append(diags, bindDiags...))
	if bindDiags.HasErrors() {
		return runner.ExitInvalid
	}
	opts := runner.Options{
		Check: f.check, Diff: f.diff, Forks: f.forks, Tags: f.tags, SkipTags: f.skipTags,
		StartAt: f.startAt, Connector: conn.Connector{ConnectTimeout: f.connectTimeout},
		TaskTimeout: f.timeout, Timing: timing, Redactor: redact, Inputs: inputs,
		BecomeFallback: becomeFallback,
	}
	if listing {
		if err := plan.CheckTags(f.tags, f.skipTags); err != nil {
			fmt.Fprintf(stdio.Err, "winplay: %s\n", redact.String(err.Error()))
			return runner.ExitInvalid
		}
		listPlan(stdio.Out, path, plan, f, opts)
		return runner.ExitOK
	}

	var sinks []runner.Sink
	var live *liveProgress
	switch {
	case f.output == "json":
		sinks = append(sinks, runner.JSON(stdio.Out))
	default:
		text := runner.Text(stdio.Out, runner.TextOptions{Color: useColor(stdio), Verbose: f.verbose, Diff: f.diff})
		if live = newLiveProgress(stdio); live != nil {
			// Lines scroll above the live ones; progress and phase events
			// redraw them instead of adding lines.
			text = runner.Text(live, runner.TextOptions{Color: useColor(stdio), Verbose: f.verbose, Diff: f.diff})
			sinks = append(sinks, live.sink(text))
		} else {
			sinks = append(sinks, text)
		}
	}
	if f.journal != "" {
		j, err := runner.OpenJournal(f.journal)
		if err != nil {
			fmt.Fprintf(stdio.Err, "winplay: %s\n", redact.String(err.Error()))
			return runner.ExitInvalid
		}
		defer func() {
			if err := j.Close(); err != nil {
				fmt.Fprintf(stdio.Err, "winplay: %s\n", redact.String(err.Error()))
			}
		}()
		sinks = append(sinks, j)
	}
	var rep *report.Sink
	if f.report != "" {
		rep = &report.Sink{}
		sinks = append(sinks, rep)
	}
	opts.Events = runner.Multi(sinks...)
	if f.step {
		opts.Step = stepPrompt(stdio, redact)
	}
	summary, err := runner.Run(ctx, plan, inv, opts)
	if live != nil {
		live.stop()
	}
	if err != nil {
		fmt.Fprintf(stdio.Err, "winplay: %s\n", redact.String(err.Error()))
		if errors.Is(err, runner.ErrInvalidOptions) {
			return runner.ExitInvalid
		}
		return runner.ExitError
	}
	if rep != nil {
		if code := saveReport(rep, f.report, stdio); code != runner.ExitOK {
			return code
		}
	}
	if ctx.Err() != nil {
		return runner.ExitInterrupted
	}
	return summary.ExitCode()
}

// saveReport writes the run's HTML report (--report).
func saveReport(rep *report.Sink, path string, stdio Stdio) int {
	html, err := rep.HTML()
	if err == nil {
		err = os.WriteFile(path, html, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stdio.Err, "winplay: writing the report: %v\n", err)
		return runner.ExitError
	}
	fmt.Fprintf(stdio.Err, "report written to %s\n", path)
	return runner.ExitOK
}

// currentUser is who runs winplay, for the report's inputs.
func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// listPlan prints --list-tasks, --list-hosts and --list-tags as
// ansible-playbook prints them.
func listPlan(w io.Writer, path string, plan *runner.Plan, f runFlags, opts runner.Options) {
	fmt.Fprintf(w, "\nplaybook: %s\n", path)
	for i, play := range plan.Plays {
		msg := fmt.Sprintf("\n  play #%d (%s): %s\tTAGS: [%s]", i+1, strings.Join(play.Hosts, ","), play.Name, strings.Join(play.Tags, ","))
		if f.listHosts {
			quoted := make([]string, len(play.Hosts))
			for j, h := range play.Hosts {
				quoted[j] = "'" + h + "'"
			}
			hosts := play.BoundHosts()
			msg += fmt.Sprintf("\n    pattern: [%s]\n    hosts (%d):", strings.Join(quoted, ", "), len(hosts))
			for _, h := range hosts {
				msg += "\n      " + h.Name
			}
		}
		fmt.Fprintln(w, msg)
		if !f.listTasks && !f.listTags {
			continue
		}
		var b strings.Builder
		if f.listTasks {
			b.WriteString("    tasks:\n")
		}
		all := append([]string(nil), play.Tags...)
		for _, t := range play.Tasks {
			if !plan.Selected(t, opts) {
				continue
			}
			tags := sortedUnique(append(append([]string(nil), play.Tags...), t.Tags...))
			all = append(all, t.Tags...)
			if f.listTasks {
				fmt.Fprintf(&b, "      %s\tTAGS: [%s]\n", t.Name, strings.Join(tags, ", "))
			}
		}
		if f.listTags {
			fmt.Fprintf(&b, "      TASK TAGS: [%s]\n", strings.Join(sortedUnique(all), ", "))
		}
		fmt.Fprintln(w, b.String())
	}
}

func sortedUnique(list []string) []string {
	slices.Sort(list)
	return slices.Compact(list)
}

// loadInventory loads an inventory file, asking for passwords on a
// terminal. It returns nil and an exit code on failure.
func loadInventory(path string, stdio Stdio, redact *runner.Redactor, skipPasswords bool) (*inventory.Inventory, int) {
	parser := hclparse.NewParser()
	opts := inventory.LoadOptions{Getenv: stdio.getenv, Parser: parser, SkipPasswords: skipPasswords, Prompt: passwordPrompt(stdio)}
	inv, diags := inventory.Load(path, opts)
	printDiags(stdio, redact, parser.Files(), diags)
	if diags.HasErrors() {
		return nil, runner.ExitInvalid
	}
	return inv, runner.ExitOK
}

// passwordPrompt asks for a password without echo when stdin is a
// terminal; nil otherwise.
func passwordPrompt(stdio Stdio) func(string) (string, error) {
	f, ok := stdio.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return func(prompt string) (string, error) {
		fmt.Fprint(stdio.Err, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdio.Err)
		return string(b), err
	}
}

// printDiags prints diagnostics with their source lines, secrets masked.
func printDiags(stdio Stdio, redact *runner.Redactor, files map[string]*hcl.File, diags hcl.Diagnostics) {
	_ = redact.WriteDiagnostics(stdio.Err, files, diags, 100, useColor(Stdio{Out: stdio.Err, Getenv: stdio.Getenv}))
}

// useColor is true on a terminal unless NO_COLOR is set or TERM=dumb.
func useColor(stdio Stdio) bool {
	if stdio.getenv("NO_COLOR") != "" || stdio.getenv("TERM") == "dumb" {
		return false
	}
	f, ok := stdio.Out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// stepPrompt asks before each task, as ansible-playbook --step does. The
// question goes to stderr, so that stdout stays the run's output alone
// (with --output json, one JSON event per line).
func stepPrompt(stdio Stdio, redact *runner.Redactor) func(*runner.Task) runner.StepAnswer {
	in := bufio.NewReader(stdio.In)
	return func(t *runner.Task) runner.StepAnswer {
		for {
			fmt.Fprintf(stdio.Err, "\nPerform task: TASK [%s] (N)o/(y)es/(c)ontinue: ", redact.String(t.Name))
			line, err := in.ReadString('\n')
			switch strings.ToLower(strings.TrimSpace(line)) {
			case "y", "yes":
				return runner.StepYes
			case "c", "continue":
				return runner.StepContinue
			case "n", "no", "":
				return runner.StepNo
			}
			if err == io.EOF {
				return runner.StepNo
			}
		}
	}
}

// variablePrompt asks for sensitive variables without a value when stdin
// is a terminal, without echoing what is typed; nil otherwise, and the
// missing value is an error.
func variablePrompt(stdio Stdio) func(name, description string) (string, error) {
	f, ok := stdio.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return func(name, description string) (string, error) {
		prompt := fmt.Sprintf("var.%s (sensitive, not echoed): ", name)
		if description != "" {
			prompt = fmt.Sprintf("var.%s, %s (sensitive, not echoed): ", name, description)
		}
		fmt.Fprint(stdio.Err, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdio.Err)
		return string(b), err
	}
}
