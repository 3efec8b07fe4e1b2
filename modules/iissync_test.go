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
	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/modules"
	mwin "github.com/winplay/winplay/modules/win"
)

const iisSyncTestMetabase = `C:\WINNT\system32\inetsrv\MetaBase.bin`

// iisSyncTestRun runs m on the host `on` for the inventory host target, as
// a task delegated with `on` and become {} does: over WinRM alone, IISSYNC
// cannot reach the other node (see TestIISSyncNeedsBecome).
func iisSyncTestRun(t *testing.T, l *lab.Lab, on, target string, m modules.Module, check bool) (*modules.Result, error) {
	t.Helper()
	require.Empty(t, m.Validate())
	task := labtest.Become(labtest.Task(t, l, on, check))
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
	// Besides IISSYNC, run in a scheduled task, only the scheduler changed.
	changed := iisSyncTestChanges(l, "node1")
	require.Len(t, changed, 1)
	assert.Equal(t, `%windir%\system32\inetsrv\iissync.exe NODE2`, changed[0].Line)

	res, err = iisSyncTestRun(t, l, "node1", "node2", sync, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)
	assert.Len(t, iisSyncTestChanges(l, "node1"), 1)
}

// iisSyncTestChanges is what changed on node but the scheduled tasks that
// become creates and deletes.
func iisSyncTestChanges(l *lab.Lab, node string) []win.LogEntry {
	var out []win.LogEntry
	for _, e := range labtest.Changes(l, node) {
		if e.Tool != "schtasks" && e.Tool != "cmd" && e.Tool != "batch" {
			out = append(out, e)
		}
	}
	return out
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
	assert.Empty(t, labtest.TaskLog(l.Host("node1")), "a refused sync reached node1")
	assert.Empty(t, labtest.Changes(l, "node2"))

	// Forced, it runs (here: nothing to do, the metabases match).
	iisSyncTestSpoil(t, l, "node1")
	reverse.Force = true
	res, err := iisSyncTestRun(t, l, "node2", "node2", reverse, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, l.Host("node2").Dump().Metabase, l.Host("node1").Dump().Metabase)
}

// iisSyncTestFreshIIS gives the rebuilt node a fresh Option Pack install,
// as the runbook's steps leave it before IISSYNC: installed with the
// cluster service stopped, restarted, back in the cluster. Its metabase
// has the default sites only.
func iisSyncTestFreshIIS(t *testing.T, l *lab.Lab, node string) {
	t.Helper()
	installerStopCluster(t, l, node)
	_, err := labtest.Run(t, l, node, optionPackAsNode1(), false)
	require.NoError(t, err)
	booted := l.Host(node).Booted()
	l.Host(node).Crash()
	select {
	case <-booted:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not come back", node)
	}
	_, err = labtest.Run(t, l, node, &modules.Service{Name: "ClusSvc", State: "started", StartMode: "auto"}, false)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return l.Host(node).Dump().Cluster.Nodes[strings.ToUpper(node)] == "Up" }, 5*time.Second, 10*time.Millisecond)
	dump := l.Host(node).Dump()
	require.Equal(t, "running", dump.Services["IISADMIN"].State)
	require.Contains(t, dump.Metabase.Keys, "/LM/W3SVC/1")
	require.NotContains(t, dump.Metabase.Keys, "/LM/W3SVC/2")
}

func TestIISSyncRefusesAFreshInstallAsTheSource(t *testing.T) {
	t.Parallel()
	l := startRebuiltPair(t)
	iisSyncTestFreshIIS(t, l, "node2")
	working := l.Host("node1").Dump()
	node2Changes := len(labtest.Changes(l, "node2"))

	// The playbook's variables swapped: the task runs on the rebuilt node,
	// aimed at the working one, and rebuilt defaults to the target.
	swapped := &modules.IISSync{Target: "node1"}
	for _, check := range []bool{true, false} {
		_, err := iisSyncTestRun(t, l, "node2", "node2", swapped, check)
		require.Error(t, err, "check %v", check)
		assert.ErrorIs(t, err, modules.ErrIISSyncDirection)
		msg := err.Error()
		assert.Contains(t, msg, "node2: IISSYNC refused: NODE1 serves the cluster's IIS sites (Web Server W3SVC/2, FTP Server MSFTPSVC/2 Online in Web Group) and NODE2 serves none of them")
		assert.Contains(t, msg, "IISSYNC would overwrite the configuration of NODE1, the working node, with NODE2's")
		assert.Contains(t, msg, "force = true")
	}
	assert.Empty(t, labtest.Changes(l, "node1"), "the refused sync changed node1")
	assert.Len(t, labtest.Changes(l, "node2"), node2Changes)
	assert.Zero(t, runbookRan(l, "node2", "iissync.exe"))
	n1 := l.Host("node1").Dump()
	assert.Equal(t, working.Metabase, n1.Metabase)
	assert.Equal(t, working.Files[iisSyncTestMetabase], n1.Files[iisSyncTestMetabase])

	// The runbook's direction still works, and then there is nothing to do.
	sync := &modules.IISSync{Target: "node2"}
	res, err := iisSyncTestRun(t, l, "node1", "node1", sync, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, "IISSYNC NODE1 → NODE2", res.Msg)
	res, err = iisSyncTestRun(t, l, "node1", "node1", sync, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, 0, res.Facts["status"])
	assert.Equal(t, working.Metabase, l.Host("node2").Dump().Metabase)
	res, err = iisSyncTestRun(t, l, "node1", "node1", sync, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)
}

func TestIISSyncSourceMustBeAWorkingIISNode(t *testing.T) {
	t.Parallel()
	l := startRebuiltPair(t)
	swapped := &modules.IISSync{Target: "node1"}

	// No IIS on the source at all.
	for _, check := range []bool{true, false} {
		_, err := iisSyncTestRun(t, l, "node2", "node2", swapped, check)
		require.Error(t, err)
		assert.ErrorIs(t, err, modules.ErrIISSyncDirection)
		assert.Contains(t, err.Error(), `node2: IISSYNC refused: IIS is not installed on NODE2 (no HKLM\SOFTWARE\Microsoft\InetStp)`)
		assert.Contains(t, err.Error(), "force = true")
	}
	assert.Empty(t, labtest.Changes(l, "node1"))
	assert.Empty(t, labtest.Changes(l, "node2"))

	// IIS Admin stopped on the source: IISSYNC could not read the
	// metabase. A dry run warns, a real run fails before IISSYNC.
	c := labtest.Connect(t, l, "node1")
	out, err := c.Run(context.Background(), modules.Command{Line: "net stop IISADMIN /y", Changes: true})
	require.NoError(t, err)
	require.Equal(t, 0, out.ExitCode, out.Combined())
	l.Host("node1").Machine().ClearLog()
	sync := &modules.IISSync{Target: "node2"}
	res, err := iisSyncTestRun(t, l, "node1", "node1", sync, true)
	require.NoError(t, err)
	assert.Contains(t, res.Msg, "IISADMIN is STOPPED on NODE1 now: IISSYNC would fail")
	_, err = iisSyncTestRun(t, l, "node1", "node1", sync, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node1: IISADMIN is STOPPED on NODE1, the source: IISSYNC needs IIS Admin running there to read the metabase; start it first")
	assert.Empty(t, labtest.Changes(l, "node1"))
}

func TestIISSyncReadsTheClusterWhereItAnswers(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1", Profile: "node"}, lab.HostSpec{Name: "node2", Profile: "node"})
	iisSyncTestSpoil(t, l, "node2")
	swapped := &modules.IISSync{Target: "node1"}

	// node2 is out of the cluster: its cluster.exe answers 1753, node1's
	// shows node1 serving.
	installerStopCluster(t, l, "node2")
	_, err := iisSyncTestRun(t, l, "node2", "node2", swapped, false)
	require.ErrorIs(t, err, modules.ErrIISSyncDirection)
	assert.Contains(t, err.Error(), "NODE1 serves the cluster's IIS sites")

	// A damaged metabase fails node1's sites, and with node2 down the
	// group stays: that node1 owns it is the evidence left.
	iisSyncTestSpoil(t, l, "node1")
	iisSyncTestSpoil(t, l, "node1")
	_, err = iisSyncTestRun(t, l, "node2", "node2", swapped, true)
	require.ErrorIs(t, err, modules.ErrIISSyncDirection)
	assert.Contains(t, err.Error(), "NODE1 owns Web Group, the group of the cluster's IIS sites (Web Server W3SVC/2, FTP Server MSFTPSVC/2, none Online), and NODE2 owns none of them")

	// With no cluster service anywhere nothing says which node serves.
	installerStopCluster(t, l, "node1")
	for _, check := range []bool{true, false} {
		_, err = iisSyncTestRun(t, l, "node2", "node2", swapped, check)
		require.ErrorIs(t, err, modules.ErrIISSyncDirection)
		assert.Contains(t, err.Error(), "node2: IISSYNC refused: cannot tell which node serves the cluster's IIS sites: cluster.exe fails with 1753 (the cluster service is not running) on NODE2, and on NODE1 too; IISSYNC would overwrite the configuration of NODE1 with NODE2's")
	}
	assert.Zero(t, runbookRan(l, "node2", "iissync.exe"))
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
	assert.Contains(t, msg, "IISSYNC status 1753 (There are no more endpoints available from the endpoint mapper.): IIS is not installed on NODE2 (no IISADMIN service)")
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
	assert.Contains(t, err.Error(), "IISSYNC status 1722: the RPC server is unavailable: invalid target server name or communications problem between nodes (KB Q224801); NODE2 is down")
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
// open, so certutil cannot hash it (ERROR_SHARING_VIOLATION). NODE1 serves
// the cluster's web site.
type iisSyncFakeHost struct {
	name string
	sent []string
}

// iisSyncFakeReads are the read-only answers of a working node.
var iisSyncFakeReads = map[string]string{
	`reg query HKLM\SOFTWARE\Microsoft\InetStp`: "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\InetStp\r\n" +
		"    MajorVersion    REG_DWORD    0x4\r\n    MinorVersion    REG_DWORD    0x0\r\n    InstallType    REG_SZ    Custom\r\n\r\n",
	"cluster.exe resource": "Listing status for all available resources:\r\n\r\n" +
		"Resource             Group                Node            Status\r\n" +
		"-------------------- -------------------- --------------- ------\r\n" +
		"Web Server           Web Group            NODE1           Online\r\n",
	`cluster.exe resource "Web Server" /prop`: "Listing properties for 'Web Server':\r\n\r\n" +
		"T  Resource             Name                           Value\r\n" +
		"-- -------------------- ------------------------------ -----------------------\r\n" +
		"SR Web Server           Name                           Web Server\r\n" +
		"S  Web Server           Type                           IIS Server Instance\r\n",
	`cluster.exe resource "Web Server" /priv`: "Listing private properties for 'Web Server':\r\n\r\n" +
		"T  Resource             Name                           Value\r\n" +
		"-- -------------------- ------------------------------ -----------------------\r\n" +
		"S  Web Server           ServiceName                    W3SVC\r\n" +
		"S  Web Server           InstanceId                     2\r\n",
	"sc.exe query IISADMIN": "\r\nSERVICE_NAME: IISADMIN\r\n        TYPE               : 20  WIN32_SHARE_PROCESS\r\n" +
		"        STATE              : 4  RUNNING\r\n",
	"sc.exe qc IISADMIN": "[SC] QueryServiceConfig SUCCESS\r\n\r\nSERVICE_NAME: IISADMIN\r\n" +
		"        START_TYPE         : 2   AUTO_START\r\n",
}

func (h *iisSyncFakeHost) Name() string { return h.name }
func (h *iisSyncFakeHost) Reset()       {}

// Facts are those of an NT 4.0 node.
func (h *iisSyncFakeHost) Facts(context.Context) (*mwin.Facts, error) {
	return &mwin.Facts{Version: "4.0", SystemRoot: `C:\WINNT`, Temp: `C:\WINNT\Temp`, WMIC: true, ClusterExe: true, IISSync: true}, nil
}
func (h *iisSyncFakeHost) Run(_ context.Context, cmd modules.Command) (modules.Output, error) {
	h.sent = append(h.sent, cmd.Line)
	if out, ok := iisSyncFakeReads[cmd.Line]; ok && !cmd.Changes {
		return modules.Output{Stdout: out}, nil
	}
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
	// Under become, IISSYNC starts with the schtasks that runs it.
	runbookLoseReply(l, "node1", "schtasks /run")
	res, err := iisSyncTestRun(t, l, "node1", "node2", &modules.IISSync{Target: "node2"}, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, l.Host("node1").Dump().Metabase, l.Host("node2").Dump().Metabase)
	assert.Equal(t, 1, runbookRan(l, "node1", "iissync.exe"), "IISSYNC was run again")
}

// TestIISSyncNeedsBecome: over WinRM alone the session cannot present
// credentials to the target, so IISSYNC fails with status 5 and says
// what to do; through become it succeeds (TestIISSyncCopiesTheHealthyNodesMetabase).
func TestIISSyncNeedsBecome(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1", Profile: "node"}, lab.HostSpec{Name: "node2", Profile: "node"})
	iisSyncTestSpoil(t, l, "node2")
	task := labtest.Task(t, l, "node1", false)
	task.Target = "node2"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := (&modules.IISSync{Target: "node2"}).Run(ctx, task)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "IISSYNC status 5 (Access is denied.)")
	assert.Contains(t, err.Error(), "the double hop; run the task with become {}")
	assert.NotEqual(t, l.Host("node1").Dump().Metabase, l.Host("node2").Dump().Files[iisSyncTestMetabase], "node2 keeps its metabase")
}
