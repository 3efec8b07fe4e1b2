package modules

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/winplay/winplay/modules/cmdline"
	"github.com/winplay/winplay/modules/readonly"
)

func init() {
	Register(Info{
		Name:    "command",
		Summary: "Run a program with arguments (argv) or a literal command line; skipped in check mode.",
		New:     func() Module { return &RunCommand{} },
	})
}

// RunCommand runs one command line. It cannot know what the command
// changes, so it always reports changed (unless read_only) and is skipped
// in check mode, as Ansible's win_command is, unless the task sets
// check_mode = false.
type RunCommand struct {
	// Argv is the program and its arguments, each quoted for cmd.exe. Use
	// it whenever a part of the command comes from a variable.
	Argv []string `hcl:"argv,optional"`
	// Line is a literal command line, sent as written; it may use cmd.exe
	// syntax (&&, redirection) and must not interpolate values.
	Line string `hcl:"line,optional"`
	// Creates skips the command when this path exists on the host.
	Creates string `hcl:"creates,optional"`
	// Removes skips the command when this path does not exist.
	Removes string `hcl:"removes,optional"`
	// SuccessCodes are the exit codes that mean success; default [0].
	SuccessCodes []int `hcl:"success_codes,optional"`
	// ReadOnly declares that the command changes nothing: it then runs in
	// check mode too and reports ok. Validation refuses it for a line that
	// winplay cannot prove read-only.
	ReadOnly bool `hcl:"read_only,optional"`
}

// LiteralFields names the arguments that must be written as literals: a
// command line built by interpolation could let a value start a second
// command, so values go through argv instead.
func (c *RunCommand) LiteralFields() []string { return []string{"line"} }

// Validate checks the arguments.
func (c *RunCommand) Validate() []FieldError {
	var errs []FieldError
	switch {
	case len(c.Argv) == 0 && c.Line == "":
		errs = append(errs, FieldError{"", "one of argv or line is required"})
	case len(c.Argv) > 0 && c.Line != "":
		errs = append(errs, FieldError{"line", "argv and line are mutually exclusive"})
	case len(c.Argv) > 0:
		if _, err := c.build(); err != nil {
			errs = append(errs, FieldError{"argv", err.Error()})
		}
	case len(c.Line) > cmdline.MaxLine:
		errs = append(errs, FieldError{"line", fmt.Sprintf("is %d characters, over cmd.exe's limit of %d", len(c.Line), cmdline.MaxLine)})
	}
	if c.ReadOnly && (len(c.Argv) > 0 || c.Line != "") {
		line, _ := c.build()
		// One classifier decides: the guard would refuse in --check what
		// it cannot prove read-only, whatever read_only says.
		if v := readonly.Classify(line, nil); line != "" && !v.ReadOnly {
			errs = append(errs, FieldError{"read_only", readOnlyRefusal(v)})
		}
	}
	for _, f := range []struct{ name, v string }{{"creates", c.Creates}, {"removes", c.Removes}} {
		if f.v == "" {
			continue
		}
		if err := cmdline.CheckData(f.v); err != nil {
			errs = append(errs, FieldError{f.name, err.Error()})
		}
	}
	return errs
}

// readOnlyRefusal says why read_only cannot hold for a line.
func readOnlyRefusal(v readonly.Verdict) string {
	if v.Known {
		return v.Reason() + ", so read_only = true is not true; remove read_only"
	}
	return v.Reason() + ", so winplay cannot prove read_only = true and --check would refuse the command; " +
		"remove read_only, or set check_mode = false on the task to run it for real in --check (the dry run then flags it)"
}

func (c *RunCommand) build() (string, error) {
	if c.Line != "" {
		return c.Line, nil
	}
	return cmdline.New(c.Argv[0]).Arg(c.Argv[1:]...).Line()
}

// Run runs the command unless creates/removes say it has nothing to do.
func (c *RunCommand) Run(ctx context.Context, t *Task) (*Result, error) {
	line, err := c.build()
	if err != nil {
		return nil, err
	}
	if c.Creates != "" {
		exists, err := PathExists(ctx, t, c.Creates)
		if err != nil {
			return nil, err
		}
		if exists {
			// Nothing to do is ok, as Ansible reports it: a second run of
			// a playbook is all ok.
			return &Result{Msg: c.Creates + " exists"}, nil
		}
	}
	if c.Removes != "" {
		exists, err := PathExists(ctx, t, c.Removes)
		if err != nil {
			return nil, err
		}
		if !exists {
			return &Result{Msg: c.Removes + " does not exist"}, nil
		}
	}
	if t.Check && !c.ReadOnly {
		if c.Creates != "" || c.Removes != "" {
			// creates/removes said the command has work to do.
			return &Result{Changed: true, Msg: "would run " + line}, nil
		}
		return &Result{Skipped: true, Msg: "command does not support check mode"}, nil
	}
	cmd := Command{Line: line, Changes: !c.ReadOnly}
	out, err := t.Run(ctx, cmd)
	if err != nil {
		return nil, err
	}
	codes := c.SuccessCodes
	if len(codes) == 0 {
		codes = []int{0}
	}
	if !slices.Contains(codes, out.ExitCode) {
		return nil, Failed(t.Host.Name(), cmd, out, "not one of the success codes "+joinInts(codes))
	}
	return &Result{Changed: !c.ReadOnly, Output: &out, Msg: "rc=" + strconv.Itoa(out.ExitCode)}, nil
}

// PathExists reports whether a file or directory exists on the host.
func PathExists(ctx context.Context, t *Task, path string) (bool, error) {
	cmd := Read(cmdline.NewRaw("if exist").Arg(path).Raw("echo present"))
	out, err := t.Run(ctx, cmd)
	if err != nil {
		return false, err
	}
	if out.ExitCode != 0 {
		return false, Failed(t.Host.Name(), cmd, out, "")
	}
	return strings.Contains(out.Stdout, "present"), nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return "[" + strings.Join(s, ", ") + "]"
}
