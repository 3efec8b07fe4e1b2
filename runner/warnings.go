package runner

import (
	"fmt"
	"strings"
)

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

// warnInsecure says once per run which hosts' TLS certificates are not
// verified (insecure = true): anyone on the path can pose as them and read
// the password.
func (e *engine) warnInsecure() {
	var hosts []string
	for _, h := range e.inv.Hosts() {
		if h.Conn.HTTPS && h.Conn.Insecure {
			hosts = append(hosts, h.Name)
		}
	}
	if len(hosts) == 0 {
		return
	}
	e.emit(Event{Type: EventWarning, Hosts: hosts, Msg: fmt.Sprintf(
		"insecure = true: the TLS certificates of %s are not verified, so anyone on the network path can pose as them and read the password and every command",
		strings.Join(hosts, ", "))})
}
