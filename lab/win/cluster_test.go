package win

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClusterListings(t *testing.T) {
	t.Parallel()
	_, ms := newHosts(t, ProfileNode, ProfileNode)
	tests := []struct{ line, out string }{
		{`cluster group`, "Listing status for all available resource groups:\r\n\r\n" +
			"Group                Node            Status\r\n" +
			"-------------------- --------------- ------\r\n" +
			"Cluster Group        NODE1           Online\r\n" +
			"Web Group            NODE1           Online\r\n"},
		{`cluster group "web group"`, "Listing status for resource group 'Web Group':\r\n\r\n" +
			"Group                Node            Status\r\n" +
			"-------------------- --------------- ------\r\n" +
			"Web Group            NODE1           Online\r\n"},
		{`cluster /cluster:CLUSTER1 res "MSDTC" /status`, "Listing status for resource 'MSDTC':\r\n\r\n" +
			"Resource             Group                Node            Status\r\n" +
			"-------------------- -------------------- --------------- ------\r\n" +
			"MSDTC                Web Group            NODE1           Online\r\n"},
		{`cluster node`, "Listing status for all available nodes:\r\n\r\n" +
			"Node           Node ID Status\r\n" +
			"-------------- ------- ---------------------\r\n" +
			"NODE1                1 Up\r\n" +
			"NODE2                2 Up\r\n"},
		{`cluster node node2 /status`, "Listing status for node 'NODE2':\r\n\r\n" +
			"Node           Node ID Status\r\n" +
			"-------------- ------- ---------------------\r\n" +
			"NODE2                2 Up\r\n"},
		{`cluster resource "MSDTC" /prop`, "Listing properties for 'MSDTC':\r\n\r\n" +
			"T  Resource             Name                           Value\r\n" +
			"-- -------------------- ------------------------------ -----------------------\r\n" +
			"SR MSDTC                Name                           MSDTC\r\n" +
			"S  MSDTC                Type                           Distributed Transaction Coordinator\r\n" +
			"S  MSDTC                Description\r\n" +
			"D  MSDTC                RestartAction                  2 (0x2)\r\n" +
			"D  MSDTC                RestartThreshold               3 (0x3)\r\n" +
			"D  MSDTC                PendingTimeout                 180000 (0x2bf20)\r\n"},
		{`cluster resource "Web Network Name" /priv`, "Listing private properties for 'Web Network Name':\r\n\r\n" +
			"T  Resource             Name                           Value\r\n" +
			"-- -------------------- ------------------------------ -----------------------\r\n" +
			"S  Web Network Name     Name                           WEBVS\r\n"},
	}
	for _, tt := range tests {
		r := mustRun(t, ms[1], tt.line)
		assert.Equal(t, tt.out, r.out, tt.line)
	}
	r := mustRun(t, ms[0], `cluster resource`)
	assert.Contains(t, r.out, "Web Server           Web Group            NODE1           Online\r\n")
	assert.Contains(t, r.out, "Disk Q:              Cluster Group        NODE1           Online\r\n")
}

func TestClusterErrors(t *testing.T) {
	t.Parallel()
	_, ms := newHosts(t, ProfileNode, ProfileNode)
	tests := []struct {
		line string
		code int
		msg  string
	}{
		{`cluster group "No Group"`, errGroupNotFound, "The cluster group could not be found."},
		{`cluster resource "No Resource" /online`, errResourceNotFound, "The cluster resource could not be found."},
		{`cluster group "Web Group" /move:NODE9`, errNodeNotFound, "The cluster node was not found."},
		{`cluster node NODE9`, errNodeNotFound, "The cluster node was not found."},
		{`cluster resource "MSDTC" /delete`, errResourceOnline, "The operation could not be completed because the cluster resource is online."},
		{`cluster resource "MSDTC" /prop RestartAction=3`, errInvalidParameter, "The parameter is incorrect."},
		{`cluster resource "MSDTC" /prop Type=Other`, errInvalidParameter, "The parameter is incorrect."},
		{`cluster resource "MSDTC" /prop PendingTimeout=soon`, errInvalidParameter, "The parameter is incorrect."},
		{`cluster group "Web Group" /shuffle`, errInvalidParameter, "The parameter is incorrect."},
		{`cluster`, errInvalidParameter, "The parameter is incorrect."},
	}
	for _, tt := range tests {
		r := run(ms[0], tt.line)
		assert.Equal(t, tt.code, r.code, tt.line)
		assert.Equal(t, "", r.out, tt.line)
		assert.Contains(t, r.err, "System error ", tt.line)
		assert.Contains(t, r.err, ").\r\n"+tt.msg+"\r\n", tt.line)
	}

	// Another node down.
	mustRun(t, ms[1], `net stop ClusSvc`)
	r := run(ms[0], `cluster group "Web Group" /move:NODE2`)
	assert.Equal(t, errNodeDown, r.code)
	r = run(ms[0], `cluster group "Web Group" /move`)
	assert.Equal(t, errNoNodeAvailable, r.code)
	assert.Contains(t, mustRun(t, ms[0], `cluster node NODE2`).out, "NODE2                2 Down\r\n")

	// This node's cluster service down: cluster.exe reaches nothing.
	r = run(ms[1], `cluster group`)
	assert.Equal(t, errNoEndpoints, r.code)
	assert.Equal(t, "System error 1753 has occurred (0x000006d9).\r\nThere are no more endpoints available from the endpoint mapper.\r\n", r.err)
	assert.Equal(t, "", r.out)
}

func TestClusterMoveFollowsRestartAction(t *testing.T) {
	t.Parallel()
	_, ms := newHosts(t, ProfileNode, ProfileRebuilt)
	node1 := ms[0]

	// NODE2 has no IIS and no clustered MSDTC: with "Affect the group"
	// the group fails back to NODE1.
	r := mustRun(t, node1, `cluster group "Web Group" /move:NODE2`)
	assert.Equal(t, "Moving resource group 'Web Group'...\r\n\r\n"+
		"Group                Node            Status\r\n"+
		"-------------------- --------------- ------\r\n"+
		"Web Group            NODE1           Online\r\n", r.out)

	// Without it, the group stays on NODE2 with those resources failed.
	for _, res := range []string{"MSDTC", "Web Server", "FTP Server"} {
		r = mustRun(t, node1, `cluster resource "`+res+`" /prop RestartAction=1`)
		assert.Equal(t, "", r.out)
	}
	assert.Contains(t, mustRun(t, node1, `cluster resource "Web Server" /prop`).out, "D  Web Server           RestartAction                  1 (0x1)\r\n")
	r = mustRun(t, node1, `cluster group "Web Group" /moveto:node2`)
	assert.Contains(t, r.out, "Web Group            NODE2           Partially Online\r\n")
	r = mustRun(t, node1, `cluster resource`)
	assert.Contains(t, r.out, "Web Network Name     Web Group            NODE2           Online\r\n")
	assert.Contains(t, r.out, "MSDTC                Web Group            NODE2           Failed\r\n")
	assert.Contains(t, r.out, "Web Server           Web Group            NODE2           Failed\r\n")
	st := node1.Dump().Cluster.Groups["Web Group"]
	assert.Equal(t, "NODE2", st.Owner)
	assert.Equal(t, 1, st.Resources["Web Server"].RestartAction)

	// The shared disk follows its group.
	r = run(node1, `dir /b S:\`)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "The system cannot find the path specified.\r\n", r.err)
	assert.Equal(t, "ftproot\r\nMSDTCLog\r\nwwwroot\r\n", mustRun(t, ms[1], `dir /b S:\`).out)

	// A move without a node goes to the other one.
	r = mustRun(t, node1, `cluster group "Web Group" /move`)
	assert.Contains(t, r.out, "Web Group            NODE1           Online\r\n")
}

func TestClusterOnlineOfflineDelete(t *testing.T) {
	t.Parallel()
	_, ms := newHosts(t, ProfileNode, ProfileNode)
	node1 := ms[0]
	r := mustRun(t, node1, `cluster resource "FTP Server" /offline`)
	assert.Equal(t, "Taking resource 'FTP Server' offline...\r\n\r\n"+
		"Resource             Group                Node            Status\r\n"+
		"-------------------- -------------------- --------------- ------\r\n"+
		"FTP Server           Web Group            NODE1           Offline\r\n", r.out)
	assert.Contains(t, mustRun(t, node1, `cluster group "Web Group"`).out, "Web Group            NODE1           Partially Online\r\n")

	// Offline is persistent across a move.
	mustRun(t, node1, `cluster group "Web Group" /move:NODE2`)
	assert.Contains(t, mustRun(t, node1, `cluster resource "FTP Server"`).out, "FTP Server           Web Group            NODE2           Offline\r\n")
	r = mustRun(t, node1, `cluster resource "FTP Server" /online`)
	assert.Contains(t, r.out, "Bringing resource 'FTP Server' online...\r\n\r\n")
	assert.Contains(t, r.out, "FTP Server           Web Group            NODE2           Online\r\n")

	r = mustRun(t, node1, `cluster group "Web Group" /offline`)
	assert.Contains(t, r.out, "Taking resource group 'Web Group' offline...\r\n\r\nGroup")
	assert.Contains(t, r.out, "Web Group            NODE2           Offline\r\n")
	assert.Equal(t, 1, run(ms[1], `dir S:\`).code, "an offline disk is nowhere")
	r = mustRun(t, node1, `cluster group "Web Group" /online`)
	assert.Contains(t, r.out, "Web Group            NODE2           Online\r\n")

	mustRun(t, node1, `cluster resource "MSDTC" /offline`)
	assert.Equal(t, "Deleting resource 'MSDTC'...\r\n", mustRun(t, node1, `cluster resource "MSDTC" /delete`).out)
	assert.Equal(t, errResourceNotFound, run(node1, `cluster resource "MSDTC"`).code)
	assert.NotContains(t, node1.Dump().Cluster.Groups["Web Group"].Resources, "MSDTC")

	mustRun(t, node1, `cluster resource "Web Server" /prop Description="IIS site" PendingTimeout=0x1000`)
	res := node1.Dump().Cluster.Groups["Web Group"].Resources["Web Server"]
	assert.Equal(t, "IIS site", res.Description)
	assert.Equal(t, 4096, res.PendingTimeout)
}

func TestClusterFailoverWhenANodeLeaves(t *testing.T) {
	t.Parallel()
	_, ms := newHosts(t, ProfileNode, ProfileNode)
	node1, node2 := ms[0], ms[1]

	mustRun(t, node1, `net stop ClusSvc`)
	st := node2.Dump().Cluster
	assert.Equal(t, "Down", st.Nodes["NODE1"])
	for _, g := range []string{"Cluster Group", "Web Group"} {
		assert.Equal(t, "NODE2", st.Groups[g].Owner, g)
		assert.Equal(t, statusOnline, st.Groups[g].Status, g)
	}
	mustRun(t, node1, `net start ClusSvc`)
	assert.Equal(t, "NODE2", node2.Dump().Cluster.Groups["Web Group"].Owner, "no failback")

	// NODE2 goes down: everything comes to NODE1; back up, it stays.
	mustRun(t, node2, `shutdown /s /t 0`)
	require.Eventually(t, func() bool { return !node2.PoweredOn() }, 5*time.Second, time.Millisecond)
	st = node1.Dump().Cluster
	assert.Equal(t, "Down", st.Nodes["NODE2"])
	assert.Equal(t, "NODE1", st.Groups["Web Group"].Owner)
	assert.Equal(t, statusOnline, st.Groups["Web Group"].Status)
	node2.Boot()
	assert.Equal(t, "Up", node1.Dump().Cluster.Nodes["NODE2"])
	assert.Equal(t, "NODE1", node1.Dump().Cluster.Groups["Web Group"].Owner)
}

func TestClusterResourceFailsWhenItsNodeCannotRunIt(t *testing.T) {
	t.Parallel()
	_, ms := newHosts(t, ProfileNode, ProfileNode)
	node1 := ms[0]

	// With "Affect the group" the failure moves the group to NODE2,
	// whose clustered MSDTC can run the resource.
	mustRun(t, node1, `msdtc -remove`)
	st := node1.Dump().Cluster.Groups["Web Group"]
	assert.Equal(t, "NODE2", st.Owner)
	assert.Equal(t, statusOnline, st.Status)

	// Without it, the resource just fails where it is.
	mustRun(t, node1, `cluster resource "Web Server" /prop RestartAction=0`)
	mustRun(t, node1, `cluster resource "FTP Server" /prop RestartAction=1`)
	mustRun(t, ms[1], `net stop IISADMIN /y`)
	mustRun(t, ms[1], `del /q C:\WINNT\system32\inetsrv\MetaBase.bin`)
	st = node1.Dump().Cluster.Groups["Web Group"]
	assert.Equal(t, "NODE2", st.Owner)
	assert.Equal(t, statusFailed, st.Resources["Web Server"].Status)
	assert.Equal(t, "Partially Online", st.Status)
}

// cluster.exe's rows as a real cluster prints them: a name longer than its
// column pushes the row right, the dash line keeps its width (the real
// listing quoted in real-windows.md).
func TestClusterTablePushesLongNames(t *testing.T) {
	got := clusterTable(resourceColumns, [][]string{
		{"RVT1DB1 Disk", "RVT1DB1", "RST1DB2", "Online"},
		{"SQL Network Name (RVT1DB1)", "RVT1DB1", "RST1DB2", "Online"},
	})
	assert.Equal(t, "Resource             Group                Node            Status\r\n"+
		"-------------------- -------------------- --------------- ------\r\n"+
		"RVT1DB1 Disk         RVT1DB1              RST1DB2         Online\r\n"+
		"SQL Network Name (RVT1DB1) RVT1DB1              RST1DB2         Online\r\n", got)
}
