// Command winplay runs HCL playbooks against Windows hosts over WinRM.
//
//	winplay run PLAYBOOK -i INVENTORY [flags]   run a playbook
//	winplay run PLAYBOOK --lab [flags]          rehearse it against an in-process lab
//	winplay validate PLAYBOOK [-i INVENTORY]    load and check everything, contact nobody
//	winplay hosts -i INVENTORY [PATTERN]        list the hosts a pattern selects
//	winplay inventory convert INVENTORY         write an Ansible inventory as HCL
//	winplay doc [MODULE | inventory]            list modules and their arguments
//	winplay fmt [TARGET...]                     rewrite HCL files in canonical form
//	winplay lab [flags]                         serve simulated Windows hosts
//	winplay report JOURNAL -o FILE              write a run's journal as an HTML report
//	winplay completion SHELL                    a completion script for bash, zsh, fish, powershell
//
// "winplay help COMMAND" shows each command's description, arguments,
// examples and flags.
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
	enableVirtualTerminal()
	ctx, cancel := context.WithCancel(context.Background())
	interrupts := make(chan os.Signal, 2)
	signal.Notify(interrupts, os.Interrupt, syscall.SIGTERM)
	go stopOnInterrupt(interrupts, cancel, os.Stderr, os.Exit)
	code := Main(ctx, os.Args[1:], Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	os.Exit(code)
}

// stopOnInterrupt cancels the run at the first Ctrl-C, which stops every
// wait within a second or two and prints the recap, and exits at once at
// the second, as Ansible does.
func stopOnInterrupt(interrupts <-chan os.Signal, cancel func(), stderr io.Writer, exit func(int)) {
	<-interrupts
	fmt.Fprintln(stderr, "\nwinplay: interrupted; stopping (press Ctrl-C again to quit at once)")
	cancel()
	<-interrupts
	fmt.Fprintln(stderr, "winplay: interrupted again; quitting without waiting")
	exit(runner.ExitInterrupted)
}

// Stdio is where a command reads and writes; tests pass buffers.
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// Getenv replaces os.Getenv when set.
	Getenv func(string) string
	// terminal makes Out a terminal for live progress, in tests.
	terminal bool
}

func (s Stdio) getenv(name string) string {
	if s.Getenv != nil {
		return s.Getenv(name)
	}
	return os.Getenv(name)
}
