package playbooks_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/runner"
)

// On the corrupted path a dry run must predict, task by task, what the
// real run then does: Remove All deletes what setup recreates (the MTS
// Trusted Impersonators group), update.exe runs twice, and the reinstall
// steps reboot.
func TestRunbookCheckModePredictsTheCorruptedPath(t *testing.T) {
	t.Parallel()
	l := startCluster(t, win.ProfileCorrupted)
	before := map[string]win.State{"node1": l.Host("node1").Dump(), "node2": l.Host("node2").Dump()}
	sum, check := runRunbook(t, l, true, "path=corrupted")
	require.Equal(t, runner.ExitOK, sum.ExitCode(), check.text(runner.EventTaskResult))
	for _, h := range l.Hosts() {
		assert.Empty(t, labtest.ChangesOf(h), "check mode logged a changing command on %s", h.Name())
		assert.Equal(t, before[h.Name()], h.Dump(), "check mode changed %s's state", h.Name())
		assert.Zero(t, h.Boots(), "check mode rebooted %s", h.Name())
	}

	sum, real := runRunbook(t, l, false, "path=corrupted")
	require.Equal(t, runner.ExitOK, sum.ExitCode(), real.text(runner.EventTaskResult))
	predicted, done := check.results(), real.results()
	require.Equal(t, len(done), len(predicted), "check mode ran other tasks than the real run:\ncheck:\n%s\nreal:\n%s",
		check.text(runner.EventTaskResult), real.text(runner.EventTaskResult))
	for i := range done {
		require.Equal(t, done[i].Task+" @ "+done[i].Host, predicted[i].Task+" @ "+predicted[i].Host, "task %d", i)
		assert.Equal(t, done[i].Status, predicted[i].Status, "%s on %s: check said %q, the run did %q",
			done[i].Task, done[i].Host, predicted[i].Msg, done[i].Msg)
	}

	// The dry run announces the reboots the run makes, also where the
	// runner carried the prediction from an earlier task ("would change
	// back what …") to a setup program that reboots (modules.Rebooter).
	rebooted := map[string]bool{}
	for _, ev := range real.events {
		if ev.Type == runner.EventTaskResult && ev.Rebooted {
			rebooted[ev.Task+" @ "+ev.Host] = true
		}
	}
	require.Len(t, rebooted, 3, "Remove All, the install and the reapply over the new files each reboot")
	for _, p := range predicted {
		announced := strings.Contains(p.Msg, "would reboot node2")
		if rebooted[p.Task+" @ "+p.Host] {
			assert.True(t, announced, "%s: the run rebooted, the dry run said %q", p.Task, p.Msg)
		}
		if announced {
			assert.True(t, rebooted[p.Task+" @ "+p.Host], "%s: the dry run said %q, the run did not reboot", p.Task, p.Msg)
		}
	}
}
