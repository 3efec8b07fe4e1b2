package modules_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/modules"
)

func clusterTestBool(b bool) *bool { return &b }

func clusterTestGroup(l *lab.Lab, group string) (owner, status string) {
	g := l.Host("node1").Dump().Cluster.Groups[group]
	return g.Owner, g.Status
}

func TestClusterUntickAffectTheGroupThenMoveTheGroup(t *testing.T) {
	t.Parallel()
	l := startRebuiltPair(t)
	untick := func(r string) *modules.Cluster {
		return &modules.Cluster{Resource: r, AffectTheGroup: clusterTestBool(false)}
	}

	res, err := labtest.Run(t, l, "node1", untick("MSDTC"), true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, "resource MSDTC: RestartAction 2 → 1 (restart, do not affect the group)", res.Msg)
	require.NotNil(t, res.Diff)
	assert.Contains(t, res.Diff.Before, "restart_action: 2")
	assert.Contains(t, res.Diff.After, "restart_action: 1")
	assert.Empty(t, labtest.Changes(l, "node1"))
	assert.Equal(t, 2, l.Host("node1").Dump().Cluster.Groups["Web Group"].Resources["MSDTC"].RestartAction)

	for _, r := range []string{"MSDTC", "Web Server", "FTP Server"} {
		res, err = labtest.Run(t, l, "node1", untick(r), false)
		require.NoError(t, err)
		assert.True(t, res.Changed, r)
		assert.Equal(t, 1, l.Host("node1").Dump().Cluster.Groups["Web Group"].Resources[r].RestartAction, r)
		res, err = labtest.Run(t, l, "node1", untick(r), false)
		require.NoError(t, err)
		assert.False(t, res.Changed, "second run changed %s: %s", r, res.Msg)
	}

	// The runbook's test move: the group goes to the rebuilt node and
	// stays there, though its IIS instances and MSDTC cannot run there yet.
	move := &modules.Cluster{Group: "Web Group", Owner: "node2"}
	changes := len(labtest.Changes(l, "node1"))
	res, err = labtest.Run(t, l, "node1", move, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, "group Web Group: move NODE1 → NODE2", res.Msg)
	assert.Len(t, labtest.Changes(l, "node1"), changes)
	owner, _ := clusterTestGroup(l, "Web Group")
	assert.Equal(t, "NODE1", owner)

	res, err = labtest.Run(t, l, "node1", move, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Contains(t, res.Msg, "the group is Partially Online (FTP Server Failed, MSDTC Failed, Web Server Failed)")
	owner, status := clusterTestGroup(l, "Web Group")
	assert.Equal(t, "NODE2", owner)
	assert.Equal(t, "Partially Online", status)
	assert.Equal(t, "NODE2", res.Facts["owner"])

	res, err = labtest.Run(t, l, "node1", move, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)

	// Back to the healthy node, online.
	back := &modules.Cluster{Group: "Web Group", Owner: "NODE1", State: "online"}
	res, err = labtest.Run(t, l, "node1", back, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	owner, status = clusterTestGroup(l, "Web Group")
	assert.Equal(t, "NODE1", owner)
	assert.Equal(t, "Online", status)
	res, err = labtest.Run(t, l, "node1", back, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)
}

func TestClusterMoveFailsBackWhenAResourceAffectsTheGroup(t *testing.T) {
	t.Parallel()
	l := startRebuiltPair(t)
	_, err := labtest.Run(t, l, "node1", &modules.Cluster{Group: "Web Group", Owner: "node2"}, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `node1: `+"`"+`cluster.exe group "Web Group" /move:node2`+"`")
	assert.Contains(t, err.Error(), "is on NODE1, not NODE2")
	assert.Contains(t, err.Error(), "affect_the_group = false")
	owner, status := clusterTestGroup(l, "Web Group")
	assert.Equal(t, "NODE1", owner)
	assert.Equal(t, "Online", status)
}

func TestClusterResourceOfflineOnlineAndFailure(t *testing.T) {
	t.Parallel()
	l := startRebuiltPair(t)
	run := func(m modules.Module) (*modules.Result, error) {
		t.Helper()
		return labtest.Run(t, l, "node1", m, false)
	}
	off := &modules.Cluster{Resource: "FTP Server", State: "offline"}
	res, err := run(off)
	require.NoError(t, err)
	assert.Equal(t, "resource FTP Server: Online → Offline", res.Msg)
	assert.Equal(t, "Offline", l.Host("node1").Dump().Cluster.Groups["Web Group"].Resources["FTP Server"].Status)
	res, err = run(off)
	require.NoError(t, err)
	assert.False(t, res.Changed)

	res, err = run(&modules.Cluster{Resource: "FTP Server", State: "online"})
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, "Online", l.Host("node1").Dump().Cluster.Groups["Web Group"].Resources["FTP Server"].Status)

	// With the group on the rebuilt node and "Affect the group" off, MSDTC
	// cannot come online there: the error says so.
	_, err = run(&modules.Cluster{Resource: "MSDTC", RestartAction: new(int(1))})
	require.NoError(t, err)
	for _, r := range []string{"Web Server", "FTP Server"} {
		_, err = run(&modules.Cluster{Resource: r, AffectTheGroup: clusterTestBool(false)})
		require.NoError(t, err)
	}
	_, err = run(&modules.Cluster{Group: "Web Group", Owner: "node2"})
	require.NoError(t, err)
	_, err = run(&modules.Cluster{Resource: "MSDTC", State: "online"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "resource MSDTC is Failed on NODE2")
	assert.Contains(t, err.Error(), `cluster.exe resource MSDTC /online`)

	_, err = run(&modules.Cluster{Resource: "No Such Thing", State: "online"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "5007")
	assert.Contains(t, err.Error(), "The cluster resource could not be found.")
}

func TestClusterWaitsForNodeStatus(t *testing.T) {
	t.Parallel()
	l := startRebuiltPair(t)
	stop := &modules.Service{Name: "ClusSvc", State: "stopped"}
	_, err := labtest.Run(t, l, "node2", stop, false)
	require.NoError(t, err)

	// cluster.exe on a node without its cluster service explains itself.
	_, err = labtest.Run(t, l, "node2", &modules.Cluster{Node: "node1", Status: "up"}, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node2: `cluster.exe node node1 /status` exited 1753")
	assert.Contains(t, err.Error(), "the cluster service is not running on this node")

	res, err := labtest.Run(t, l, "node1", &modules.Cluster{Node: "node2", Status: "down"}, false)
	require.NoError(t, err)
	assert.False(t, res.Changed)
	assert.Equal(t, "node NODE2 is Down", res.Msg)

	// A dry run reports without waiting.
	up := &modules.Cluster{Node: "node2", Status: "up", Timeout: "5s"}
	res, err = labtest.Run(t, l, "node1", up, true)
	require.NoError(t, err)
	assert.Contains(t, res.Msg, "node NODE2 is Down; a real run waits up to 5s for Up")

	// The cluster service comes back only once the module is polling, so
	// the run must have waited for it.
	statusReads := func() int {
		n := 0
		for _, e := range labtest.TaskLog(l.Host("node1")) {
			if e.Line == "cluster.exe node node2 /status" {
				n++
			}
		}
		return n
	}
	before := statusReads()
	done := make(chan error, 1)
	go func() {
		for deadline := time.Now().Add(10 * time.Second); statusReads() < before+2 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := (&modules.Service{Name: "ClusSvc", State: "started"}).Run(ctx, labtest.Task(t, l, "node2", false))
		done <- err
	}()
	res, err = labtest.Run(t, l, "node1", up, false)
	require.NoError(t, err)
	assert.Equal(t, "node NODE2 is Up", res.Msg)
	assert.Contains(t, res.Facts, "elapsed")
	assert.Greater(t, statusReads(), before+2)
	require.NoError(t, <-done)

	_, err = labtest.Run(t, l, "node1", &modules.Cluster{Node: "node3", Status: "up"}, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "The cluster node could not be found.")
}

func TestClusterValidate(t *testing.T) {
	three := 3
	for _, tc := range []struct {
		m      *modules.Cluster
		fields []string
	}{
		{&modules.Cluster{}, []string{""}},
		{&modules.Cluster{Resource: "MSDTC", Group: "Web Group", State: "online"}, []string{""}},
		{&modules.Cluster{Resource: "MSDTC"}, []string{""}},
		{&modules.Cluster{Resource: "MSDTC", RestartAction: &three, AffectTheGroup: clusterTestBool(true), Owner: "NODE2"}, []string{"owner", "restart_action", "affect_the_group"}},
		{&modules.Cluster{Group: `Web "Group`, State: "up"}, []string{"group", "state"}},
		{&modules.Cluster{Node: "NODE2"}, []string{"status"}},
		{&modules.Cluster{Node: "NODE2", Status: "online", Timeout: "soon", State: "online"}, []string{"status", "timeout", "state"}},
	} {
		var got []string
		for _, e := range tc.m.Validate() {
			got = append(got, e.Field)
		}
		assert.ElementsMatch(t, tc.fields, got, "%+v: %v", tc.m, tc.m.Validate())
	}
	assert.Empty(t, (&modules.Cluster{Resource: "MSDTC", AffectTheGroup: clusterTestBool(false), State: "online"}).Validate())
	assert.Empty(t, (&modules.Cluster{Group: "Web Group", Owner: "node2"}).Validate())
	assert.Empty(t, (&modules.Cluster{Node: "node2", Status: "up", Timeout: "2m"}).Validate())
}

func TestClusterLostReplies(t *testing.T) {
	t.Parallel()
	l := startRebuiltPair(t)
	runbookLoseReply(l, "node1", "RestartAction=")
	res, err := labtest.Run(t, l, "node1", &modules.Cluster{Resource: "MSDTC", AffectTheGroup: clusterTestBool(false)}, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, 1, l.Host("node1").Dump().Cluster.Groups["Web Group"].Resources["MSDTC"].RestartAction)
	assert.Equal(t, 1, runbookRan(l, "node1", "RestartAction="))

	for _, r := range []string{"Web Server", "FTP Server"} {
		_, err = labtest.Run(t, l, "node1", &modules.Cluster{Resource: r, AffectTheGroup: clusterTestBool(false)}, false)
		require.NoError(t, err)
	}
	runbookLoseReply(l, "node1", "/move:")
	_, err = labtest.Run(t, l, "node1", &modules.Cluster{Group: "Web Group", Owner: "node2"}, false)
	require.NoError(t, err)
	owner, _ := clusterTestGroup(l, "Web Group")
	assert.Equal(t, "NODE2", owner)
	assert.Equal(t, 1, runbookRan(l, "node1", "/move:"))
}

// A resource name longer than cluster.exe's column pushes its row right
// on a real cluster. The cluster module finds it by its whole name, and
// msdtc's preflight, which reads every resource's /prop, reads it whole
// (the old reader asked for "SQL Network Name (RV" and failed with 5007).
func TestClusterReadsNamesLongerThanTheirColumn(t *testing.T) {
	t.Parallel()
	l := startRebuiltPair(t)
	const long = "SQL Network Name (RVT1DB1)"
	require.NoError(t, l.Network().AddClusterResource("Web Group", long, "Network Name"))
	res, err := labtest.Run(t, l, "node1", &modules.Cluster{Resource: long, AffectTheGroup: clusterTestBool(false)}, false)
	require.NoError(t, err)
	assert.True(t, res.Changed, res.Msg)
	assert.Equal(t, "Web Group", res.Facts["group"])
	assert.Equal(t, 1, l.Host("node1").Dump().Cluster.Groups["Web Group"].Resources[long].RestartAction)

	res, err = labtest.Run(t, l, "node2", &modules.MSDTC{State: "joined", VirtualServer: "WEBVS"}, true)
	require.NoError(t, err, "the preflight reads every resource")
	assert.True(t, res.Changed)
}
