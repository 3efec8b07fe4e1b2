package runner

import "fmt"

// warnRealRun flags, in a dry run, a task that runs for real because it
// sets check_mode = false: the one way past the check-mode guard, so it
// must never go unnoticed.
func (e *engine) warnRealRun(task *Task) {
	if !e.opts.Check || task.CheckMode == nil || *task.CheckMode {
		return
	}
	e.emit(Event{Type: EventWarning, Play: task.Play.Name, Task: task.Name, Module: task.Module.Name,
		Msg: fmt.Sprintf("task %q sets check_mode = false: it runs for real in this dry run and may change hosts", task.Name)})
}
