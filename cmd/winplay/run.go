package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/runner"
	"github.com/winplay/winplay/runner/conn"
)

type runFlags struct {
	inventory  string
	vars       []string
	varFiles   []string
	limit      string
	check      bool
	diff       bool
	forks      int
	tags       []string
	skipTags   []string
	startAt    string
	step       bool
	output     string
	journal    string
	verbose    int
	labMode    bool
	labHosts   []string
	labProfile []string
	labSpeed   string
}

func (f *runFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&f.inventory, "inventory", "i", "", "inventory file (HCL)")
	fs.StringArrayVarP(&f.vars, "extra-vars", "e", nil, "set a playbook variable: -e name=value (repeatable)")
	fs.StringArrayVar(&f.varFiles, "var-file", nil, "read playbook variables from an HCL file (repeatable)")
	fs.StringVarP(&f.limit, "limit", "l", "", "further limit the hosts: pattern such as node1, 'all:!node2', 'cluster:&web'")
	fs.BoolVarP(&f.check, "check", "C", false, "dry run: read state, report what would change, change nothing")
	fs.BoolVarP(&f.diff, "diff", "D", false, "show before/after of what changes")
	fs.IntVarP(&f.forks, "forks", "f", 5, "how many hosts run a task at once")
	fs.StringSliceVarP(&f.tags, "tags", "t", nil, "run only tasks with these tags")
	fs.StringSliceVar(&f.skipTags, "skip-tags", nil, "skip tasks with these tags")
	fs.StringVar(&f.startAt, "start-at-task", "", "start at the first task with this name")
	fs.BoolVar(&f.step, "step", false, "confirm each task before it runs")
	fs.StringVar(&f.output, "output", "text", "output format: text or json (one event per line)")
	fs.StringVar(&f.journal, "journal", "", "append each task result per host to this file as it happens")
	fs.CountVarP(&f.verbose, "verbose", "v", "-v shows command output, -vv every command sent")
	fs.BoolVar(&f.labMode, "lab", false, "run against simulated hosts started in this process instead of an inventory")
	fs.StringSliceVar(&f.labHosts, "lab-hosts", []string{"node1", "node2"}, "with --lab: the hosts to simulate (group \"cluster\")")
	fs.StringArrayVar(&f.labProfile, "lab-profile", nil, "with --lab: start a host from a profile: node2=rebuilt (node, rebuilt, corrupted)")
	fs.StringVar(&f.labSpeed, "lab-speed", "fast", "with --lab: fast (reboots in about a second) or real (reboots and installs in real time)")
}

func runCmd(ctx context.Context, args []string, stdio Stdio) int {
	fs := pflag.NewFlagSet("winplay run", pflag.ContinueOnError)
	var f runFlags
	f.register(fs)
	if code, ok := parseFlags(fs, args, stdio, "winplay run PLAYBOOK (-i INVENTORY | --lab) [flags]\n\nRuns a playbook against the hosts of an inventory, or rehearses it against\nsimulated hosts with --lab.\n"); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return runner.ExitInvalid
	}
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

	plan, diags := runner.Load(fs.Arg(0), runner.LoadOptions{Vars: f.vars, VarFiles: f.varFiles})
	redact := runner.NewRedactor(plan.Secrets())
	if diags.HasErrors() {
		printDiags(stdio, redact, plan.Files, diags)
		return runner.ExitInvalid
	}

	var inv *inventory.Inventory
	timing := defaultTiming
	becomeFallback := ""
	if f.labMode {
		// The lab's accounts share its password, so a rehearsal needs no
		// become password.
		becomeFallback = lab.DefaultPassword
		l, labInv, t, err := startLab(f, stdio)
		if err != nil {
			fmt.Fprintf(stdio.Err, "winplay: %s\n", redact.String(err.Error()))
			return runner.ExitInvalid
		}
		defer l.Close()
		inv, timing = labInv, t
	} else {
		var code int
		inv, code = loadInventory(f.inventory, stdio, redact, false)
		if inv == nil {
			return code
		}
	}
	redact = runner.NewRedactor(runner.Secrets(plan, inv))
	var limit []string
	if f.limit != "" {
		limit = []string{f.limit}
	}
	bindDiags := plan.Bind(inv, limit)
	if !bindDiags.HasErrors() {
		bindDiags = append(bindDiags, plan.ResolveBecome(stdio.getenv, passwordPrompt(stdio), becomeFallback)...)
		redact = runner.NewRedactor(runner.Secrets(plan, inv))
	}
	printDiags(stdio, redact, plan.Files, append(diags, bindDiags...))
	if bindDiags.HasErrors() {
		return runner.ExitInvalid
	}

	var sinks []runner.Sink
	if f.output == "json" {
		sinks = append(sinks, runner.JSON(stdio.Out))
	} else {
		sinks = append(sinks, runner.Text(stdio.Out, runner.TextOptions{
			Color: useColor(stdio), Verbose: f.verbose, Diff: f.diff,
		}))
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
	opts := runner.Options{
		Check: f.check, Diff: f.diff, Forks: f.forks, Tags: f.tags, SkipTags: f.skipTags,
		StartAt: f.startAt, Connector: conn.Connector{}, Events: runner.Multi(sinks...),
		Timing: timing, Redactor: redact, BecomeFallback: becomeFallback,
	}
	if f.step {
		opts.Step = stepPrompt(stdio, redact)
	}
	summary, err := runner.Run(ctx, plan, inv, opts)
	if err != nil {
		fmt.Fprintf(stdio.Err, "winplay: %s\n", redact.String(err.Error()))
		if errors.Is(err, runner.ErrInvalidOptions) {
			return runner.ExitInvalid
		}
		return runner.ExitError
	}
	if ctx.Err() != nil {
		return runner.ExitInterrupted
	}
	return summary.ExitCode()
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

// passwordPrompt asks for a password without echo on a terminal; nil when
// stdin is none.
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
