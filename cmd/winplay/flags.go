package main

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/winplay/winplay/runner"
)

// parseFlags parses args into fs and reports whether the command goes on.
// pflag's ContinueOnError returns a parse error without printing it, so
// every subcommand comes here: a mistyped flag is printed with the
// command's usage (exit 4), never swallowed; --help prints the usage to
// stdout (exit 0).
func parseFlags(fs *pflag.FlagSet, args []string, stdio Stdio, usage string) (int, bool) {
	fs.SetOutput(stdio.Err)
	fs.Usage = func() { fmt.Fprint(stdio.Err, usageText(fs, usage)) }
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, pflag.ErrHelp):
		fmt.Fprint(stdio.Out, usageText(fs, usage))
		return runner.ExitOK, false
	}
	fmt.Fprintf(stdio.Err, "%s: %v\n\n%s", fs.Name(), err, usageText(fs, usage))
	return runner.ExitInvalid, false
}

// usageText is a command's usage line and description, then its flags.
func usageText(fs *pflag.FlagSet, usage string) string {
	return fmt.Sprintf("Usage: %s\nFlags:\n%s", usage, fs.FlagUsages())
}
