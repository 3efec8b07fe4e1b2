package modules_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/modules"
)

const iisSyncTestMetabase = `C:\WINNT\system32\inetsrv\MetaBase.bin`

// iisSyncTestRun runs m on the host `on` for the inventory host target, as
// a task delegated with `on` does.
func iisSyncTestRun(t *testing.T, l *lab.Lab, on, target string, m modules.Module, check bool) (*modules.Result, error) {
	t.Helper()
	require.Empty(t, m.Validate())
	task := labtest.Task(t, l, on, check)
	task.Target = target
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return m.Run(ctx, task)
}

// iisSyncTestSpoil changes node's metabase behind IIS's back, so that it
// differs from the healthy node's.
func iisSyncTestSpoil(t *testing.T, l *lab.Lab, node string) {
	t.Helper()
	c := labtest.Connect(t, l, node)
	out, err := c.Run(context.Background(), modules.Command{Line: `echo stale>>` + iisSyncTestMetabase, Changes: true})
	require.NoError(t, err)
	require.Equal(t, 0, out.ExitCode, out.Combined())
}

func TestIISSyncCopiesTheHealthyNodesMetabase(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1", Profile: "node"}, lab.HostSpec{Name: "node2", Profile: "node"})
	sync := &modules.IISSync{Target: "node2"}

	// Both nodes start from the same cluster metabase: nothing to do.
	res, err := labtest.Run(t, l, "node1", sync, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)
	assert.Equal(t, "the metabase and MTS catalog of NODE2 already match NODE1's", res.Msg)

	iisSyncTestSpoil(t, l, "node2")
	spoiled := l.Host("node2").Dump().Files[iisSyncTestMetabase]
	l.Host("node2").Machine().ClearLog()

	res, err = iisSyncTestRun(t, l, "node1", "node2", sync, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, "IISSYNC NODE1 → NODE2", res.Msg)
	require.NotNil(t, res.Diff)
	assert.Contains(t, res.Diff.Before, "NODE2 MetaBase.bin sha256: "+spoiled.SHA256+"\n")
	assert.Contains(t, res.Diff.After, "NODE2 MetaBase.bin sha256: "+l.Host("node1").Dump().Files[iisSyncTestMetabase].SHA256+" (NODE1's)\n")
	assert.Empty(t, labtest.Changes(l, "node1"))
	assert.Empty(t, labtest.Changes(l, "node2"))
	assert.Equal(t, spoiled, l.Host("node2").Dump().Files[iisSyncTestMetabase])

	res, err = iisSyncTestRun(t, l, "node1", "node2", sync, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, 0, res.Facts["status"])
	n1, n2 := l.Host("node1").Dump(), l.Host("node2").Dump()
	assert.Equal(t, n1.Files[iisSyncTestMetabase].SHA256, n2.Files[iisSyncTestMetabase].SHA256)
	assert.Equal(t, n1.Metabase, n2.Metabase)
	assert.Contains(t, []string{"running", "start_pending"}, n2.Services["W3SVC"].State, "IISSYNC restarts the target's IIS")
	require.Len(t, labtest.Changes(l, "node1"), 1)
	assert.Equal(t, `%windir%\system32\inetsrv\iissync.exe NODE2`, labtest.Changes(l, "node1")[0].Line)

	res, err = iisSyncTestRun(t, l, "node1", "node2", sync, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)
	assert.Len(t, labtest.Changes(l, "node1"), 1)
}

func TestIISSyncRefusesTheWrongDirection(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1", Profile: "node"}, lab.HostSpec{Name: "node2", Profile: "node"})

	// Aimed at the healthy node from the rebuilt one: the runbook's capitals.
	reverse := &modules.IISSync{Target: "node1", Rebuilt: "node2"}
	for _, check := range []bool{true, false} {
		_, err := iisSyncTestRun(t, l, "node2", "node2", reverse, check)
		require.Error(t, err)
		assert.ErrorIs(t, err, modules.ErrIISSyncDirection)
		assert.Contains(t, err.Error(), "DO NOT RUN IISSYNC FROM THE NEW INSTALLATION OF IIS")
		assert.Contains(t, err.Error(), "force = true")
	}
	// Onto the node it runs on, whatever force says.
	_, err := iisSyncTestRun(t, l, "node2", "node2", &modules.IISSync{Target: "node2", Force: true}, false)
	assert.ErrorIs(t, err, modules.ErrIISSyncDirection)
	assert.Empty(t, l.Host("node1").Log(), "a refused sync reached node1")
	assert.Empty(t, labtest.Changes(l, "node2"))

	// Forced, it runs (here: nothing to do, the metabases match).
	iisSyncTestSpoil(t, l, "node1")
	reverse.Force = true
	res, err := iisSyncTestRun(t, l, "node2", "node2", reverse, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, l.Host("node2").Dump().Metabase, l.Host("node1").Dump().Metabase)
}

func TestIISSyncToANodeWithoutIISExplainsTheStatus(t *testing.T) {
	t.Parallel()
	l := startRebuiltPair(t)
	sync := &modules.IISSync{Target: "node2", Rebuilt: "node2"}

	res, err := iisSyncTestRun(t, l, "node1", "node2", sync, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Contains(t, res.Msg, "IIS is not installed on NODE2 (no IISADMIN service) now: IISSYNC would fail with status 1753")

	_, err = iisSyncTestRun(t, l, "node1", "node2", sync, false)
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "node1: `%windir%\\system32\\inetsrv\\iissync.exe NODE2` exited 1753")
	assert.Contains(t, msg, "IISSYNC status 1753 (There are no more endpoints available from the endpoint mapper.) means IIS is not installed on NODE2 (no IISADMIN service)")
	assert.False(t, l.Host("node2").Dump().Metabase.Present)
}

func TestIISSyncToADownNode(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1", Profile: "node"}, lab.HostSpec{Name: "node2", Profile: "node"})
	l.Host("node2").Disconnect()
	sync := &modules.IISSync{Target: "node2"}

	res, err := iisSyncTestRun(t, l, "node1", "node2", sync, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Contains(t, res.Msg, "NODE2 is unreachable now: IISSYNC would fail with status 1722")

	_, err = iisSyncTestRun(t, l, "node1", "node2", sync, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exited 1722")
	assert.Contains(t, err.Error(), "IISSYNC status 1722 (The RPC server is unavailable.) means NODE2 is down or not on the network")
}

func TestIISSyncValidate(t *testing.T) {
	errs := (&modules.IISSync{Rebuilt: "%x%"}).Validate()
	var fields []string
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	assert.ElementsMatch(t, []string{"target", "rebuilt"}, fields)
}

// iisSyncFakeHost answers as a node whose running IIS holds its metabase
// open, so certutil cannot hash it (ERROR_SHARING_VIOLATION).
type iisSyncFakeHost struct {
	name string
	sent []string
}

func (h *iisSyncFakeHost) Name() string { return h.name }
func (h *iisSyncFakeHost) Reset()       {}
func (h *iisSyncFakeHost) Run(_ context.Context, cmd modules.Command) (modules.Output, error) {
	h.sent = append(h.sent, cmd.Line)
	switch {
	case cmd.Line == "hostname":
		return modules.Output{Stdout: strings.ToUpper(h.name) + "\r\n"}, nil
	case strings.HasPrefix(cmd.Line, "certutil -hashfile"):
		return modules.Output{
			Stdout:   "CertUtil: -hashfile command FAILED: 0x80070020 (WIN32: 32 ERROR_SHARING_VIOLATION)\r\n",
			ExitCode: -2147024864,
		}, nil
	case strings.Contains(cmd.Line, "iissync.exe"):
		return modules.Output{Stdout: "IISSYNC completed with status 0.\r\n"}, nil
	}
	return modules.Output{ExitCode: 1}, nil
}

func TestIISSyncRunsWhenTheMetabasesCannotBeCompared(t *testing.T) {
	source, target := &iisSyncFakeHost{name: "node1"}, &iisSyncFakeHost{name: "node2"}
	task := &modules.Task{Host: source, Target: "node1", Peer: func(string) (modules.Host, error) { return target, nil }}
	res, err := (&modules.IISSync{Target: "node2"}).Run(context.Background(), task)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Contains(t, res.Msg, "IISSYNC NODE1 → NODE2 (the metabases could not be compared: node1: `certutil -hashfile")
	assert.Contains(t, source.sent, `%windir%\system32\inetsrv\iissync.exe NODE2`)
}

func TestIISSyncLostReply(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1", Profile: "node"}, lab.HostSpec{Name: "node2", Profile: "node"})
	iisSyncTestSpoil(t, l, "node2")
	runbookLoseReply(l, "node1", "iissync.exe")
	res, err := iisSyncTestRun(t, l, "node1", "node2", &modules.IISSync{Target: "node2"}, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, l.Host("node1").Dump().Metabase, l.Host("node2").Dump().Metabase)
	assert.Equal(t, 1, runbookRan(l, "node1", "iissync.exe"), "IISSYNC was run again")
}
