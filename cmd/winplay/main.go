// Command winplay runs HCL playbooks against Windows hosts over WinRM.
//
//	winplay run PLAYBOOK -i INVENTORY [flags]   run a playbook
//	winplay run PLAYBOOK --lab [flags]          rehearse it against an in-process lab
//	winplay validate PLAYBOOK -i INVENTORY      load and check everything, contact nobody
//	winplay hosts -i INVENTORY [PATTERN]        list the hosts a pattern selects
//	winplay doc [MODULE]                        list modules and their arguments
//	winplay fmt [--check] FILE...               rewrite HCL files in canonical form
//	winplay lab [flags]                         serve simulated Windows hosts
//
// Exit codes: 0 all ok; 1 internal error; 2 a task failed on some host; 3
// some host was unreachable (and none failed); 4 invalid input (playbook,
// inventory, variables or flags); 99 interrupted.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/winplay/winplay/runner"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}

// Stdio is where a command reads and writes; tests pass buffers.
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// Getenv replaces os.Getenv when set.
	Getenv func(string) string
}

func (s Stdio) getenv(name string) string {
	if s.Getenv != nil {
		return s.Getenv(name)
	}
	return os.Getenv(name)
}

const usage = `winplay runs HCL playbooks against Windows hosts over WinRM.

Usage:
  winplay run PLAYBOOK -i INVENTORY [flags]   run a playbook
  winplay run PLAYBOOK --lab [flags]          rehearse it against simulated hosts
  winplay validate PLAYBOOK -i INVENTORY      check everything, contact no host
  winplay hosts -i INVENTORY [PATTERN]        list the hosts a pattern selects
  winplay doc [MODULE]                        list modules and their arguments
  winplay fmt [--check] FILE...               rewrite HCL files in canonical form
  winplay lab [flags]                         serve simulated Windows hosts

Run "winplay COMMAND --help" for a command's flags.
`

// Main runs the command line args and returns the exit code.
func Main(ctx context.Context, args []string, stdio Stdio) int {
	if len(args) == 0 {
		fmt.Fprint(stdio.Err, usage)
		return runner.ExitInvalid
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return runCmd(ctx, rest, stdio)
	case "validate":
		return validateCmd(rest, stdio)
	case "hosts":
		return hostsCmd(rest, stdio)
	case "doc":
		return docCmd(rest, stdio)
	case "fmt":
		return fmtCmd(rest, stdio)
	case "lab":
		return labCmd(ctx, rest, stdio)
	case "help", "-h", "--help":
		if len(rest) == 1 && cmd == "help" && rest[0] != "help" {
			return Main(ctx, []string{rest[0], "--help"}, stdio)
		}
		fmt.Fprint(stdio.Out, usage)
		return runner.ExitOK
	}
	fmt.Fprintf(stdio.Err, "winplay: unknown command %q\n\n%s", cmd, usage)
	return runner.ExitInvalid
}
