package runner

import (
	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/modules"
)

// scratchOf is the scratch function of h's guards: the host's temporary
// directories once its facts are known, which a dry run may write in
// (see modules.AdmitOn); nil before, when the defaults hold. It never
// waits for the facts: the facts command itself runs through a guard.
func (e *engine) scratchOf(h *inventory.Host) func() []string {
	return func() []string {
		e.factsOf.mu.Lock()
		hf := e.factsOf.hosts[h.Name]
		e.factsOf.mu.Unlock()
		if hf == nil || !hf.mu.TryLock() {
			return nil
		}
		defer hf.mu.Unlock()
		if hf.f == nil {
			return nil
		}
		return modules.ScratchDirs(hf.f)
	}
}
