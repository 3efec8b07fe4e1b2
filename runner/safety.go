package runner

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/modules/win"
)

// runOnSafely is runOn behind a recover: a panic while a task runs on a
// host (a bug in winplay, never an input) becomes that task's failure,
// naming the host, the task and the module, so that the other hosts'
// results, the recap and the journal are still written and the exit code
// says a task failed.
func (e *engine) runOnSafely(ctx context.Context, task *Task, h *inventory.Host) (r hostResult) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			r = hostResult{host: h, status: modules.StatusFailed, elapsed: time.Since(start), err: fmt.Errorf(
				"internal error: the %s module panicked on %s in task %q: %v. This is a bug in winplay; please report it with this trace. "+
					"The host may be partly changed: check it before running the task again.\n%s",
				task.Module.Name, h.Name, task.Name, p, firstFrames(debug.Stack()))}
		}
	}()
	return e.runOn(ctx, task, h)
}

// readFactsSafely is modules.ReadFacts behind a recover: facts are learnt
// before a batch's first task, outside any task's boundary, and a panic
// there (a bug) must fail the host's tasks, not end the run.
func readFactsSafely(ctx context.Context, host string, g guard) (f *win.Facts, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("internal error: learning the facts of %s panicked: %v. This is a bug in winplay; please report it with this trace.\n%s",
				host, p, firstFrames(debug.Stack()))
		}
	}()
	return modules.ReadFacts(ctx, g)
}
