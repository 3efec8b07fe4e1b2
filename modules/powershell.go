package modules

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/winplay/winplay/modules/win"
)

// errNoTool is wrapped when a host has neither the legacy tool a read
// needs nor PowerShell 3 or later to do it instead.
var errNoTool = errors.New("no tool on this host can do it")

// scriptCommand is the command line that runs a fixed PowerShell script
// (modules/win/ps) with args; logs show the script's name and arguments,
// not 2 KB of base64.
func scriptCommand(name string, changes bool, args ...win.Arg) Command {
	line, err := win.LoadScript(name).Line(args...)
	shown := make([]string, len(args))
	for i, a := range args {
		shown[i] = a.Name + "=" + a.Value
	}
	sort.Strings(shown)
	display := "powershell.exe -EncodedCommand <" + name + ".ps1"
	if len(shown) > 0 {
		display += " " + strings.Join(shown, " ")
	}
	return Command{Line: line, Changes: changes, Display: display + ">", err: err}
}

// runScript runs a fixed script that only reads and decodes its JSON
// result into v. A script that fails has its CLIXML error decoded into
// the error.
func runScript(ctx context.Context, t *Task, name string, v any, args ...win.Arg) error {
	cmd := scriptCommand(name, false, args...)
	out, err := t.Run(ctx, cmd)
	if err != nil {
		return err
	}
	return scriptResult(t, cmd, out, v)
}

// scriptResult reads what a script printed, or the error it wrote.
func scriptResult(t *Task, cmd Command, out Output, v any) error {
	if out.ExitCode != 0 {
		msg := win.CLIXML(out.Stderr)
		out.Stderr = msg
		return Failed(t.Host.Name(), cmd, out, "PowerShell failed")
	}
	if err := win.ScriptResult(out.Stdout, v); err != nil {
		return fmt.Errorf("%s: `%s`: %w", t.Host.Name(), cmd.Shown(), err)
	}
	return nil
}

// legacyOrScript says which way a read goes on t's host: true for the
// legacy tool (present), false for PowerShell; an error when neither is
// there, naming the host's Windows.
func legacyOrScript(ctx context.Context, t *Task, tool string, present func(*win.Facts) bool) (bool, error) {
	f, err := t.Facts(ctx)
	if err != nil {
		return false, err
	}
	if present(f) {
		return true, nil
	}
	if f.HasPowerShell() {
		return false, nil
	}
	return false, fmt.Errorf("%s: %w: %s has no %s and no PowerShell 3 or later (%s)", t.Host.Name(), errNoTool, f.Name(), tool, psVersionText(f))
}

func psVersionText(f *win.Facts) string {
	if f.PowerShell == "" {
		return "no PowerShell"
	}
	return "PowerShell " + f.PowerShell
}

func hasWMIC(f *win.Facts) bool { return f.WMIC }
