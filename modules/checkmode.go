package modules

import (
	"fmt"

	"github.com/winplay/winplay/modules/readonly"
	"github.com/winplay/winplay/modules/win"
)

// Admit is the check-mode decision for one command, the one the runner's
// guard makes for every command a module sends. In a dry run a command
// runs only when the readonly classifier proves its line read-only: a
// command a module marks as changing is refused, and so is one it marks
// as a read when the classifier cannot prove it; the error wraps
// ErrCheckMode and says which part of the line and how to run it anyway.
// Outside a dry run every command runs, and one the classifier cannot
// prove read-only comes back marked Changes, so that no connection ever
// resends it after a lost reply.
func Admit(cmd Command, check bool) (Command, error) { return AdmitOn(cmd, check, nil) }

// AdmitOn is Admit on a host whose temporary directories are scratch,
// beside readonly.DefaultScratch (see ScratchDirs).
func AdmitOn(cmd Command, check bool, scratch []string) (Command, error) {
	if cmd.Changes {
		if check {
			return cmd, fmt.Errorf("%w: `%s`: the module marks it as changing", ErrCheckMode, cmd.Shown())
		}
		return cmd, nil
	}
	var opts *readonly.Options
	if len(scratch) > 0 {
		opts = &readonly.Options{Scratch: append(append([]string(nil), readonly.DefaultScratch...), scratch...)}
	}
	v := readonly.Classify(cmd.Line, opts)
	if v.ReadOnly {
		return cmd, nil
	}
	cmd.Changes = true
	if !check {
		return cmd, nil
	}
	reason := v.Reason()
	if cmd.Display != "" {
		reason = v.Why // the line's parts may hold what Display hides
	}
	return cmd, fmt.Errorf("%w: `%s`: %s; to run this task in --check anyway, set check_mode = false on it (the dry run then flags it as running for real)",
		ErrCheckMode, cmd.Shown(), reason)
}

// ScratchDirs are a host's temporary directories, by its facts: the
// session's %TEMP% and the system's Temp under %SystemRoot%.
func ScratchDirs(f *win.Facts) []string {
	var dirs []string
	if f.Temp != "" {
		dirs = append(dirs, f.Temp)
	}
	if f.SystemRoot != "" {
		dirs = append(dirs, f.SystemRoot+`\Temp`)
	}
	return dirs
}
