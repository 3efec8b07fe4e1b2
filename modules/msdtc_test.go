package modules_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/modules"
)

// msdtcStep runs m on host in check mode and for real, asserting that
// check mode predicts a change without making one and that a second run
// is ok.
func msdtcStep(t *testing.T, l *lab.Lab, host string, m *modules.MSDTC) *modules.Result {
	t.Helper()
	before := l.Host(host).Dump().MSDTC
	changes := len(labtest.Changes(l, host))
	res, err := labtest.Run(t, l, host, m, true)
	require.NoError(t, err)
	require.True(t, res.Changed, "check mode on %s predicts no change: %s", host, res.Msg)
	require.NotNil(t, res.Diff)
	assert.NotEqual(t, res.Diff.Before, res.Diff.After)
	assert.Len(t, labtest.Changes(l, host), changes, "check mode changed %s", host)
	assert.Equal(t, before, l.Host(host).Dump().MSDTC)

	res, err = labtest.Run(t, l, host, m, false)
	require.NoError(t, err)
	require.True(t, res.Changed, res.Msg)

	again, err := labtest.Run(t, l, host, m, false)
	require.NoError(t, err)
	assert.False(t, again.Changed, "second run on %s changed something: %s", host, again.Msg)
	return res
}

func TestMSDTCManualMethodAcrossBothNodes(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"}, lab.HostSpec{Name: "node2", Profile: "rebuilt"})
	original := l.Host("node1").Dump().MSDTC
	require.True(t, original.Clustered)

	// What a standalone IIS install leaves on the rebuilt node.
	msdtcStep(t, l, "node2", &modules.MSDTC{State: "installed"})
	st := l.Host("node2").Dump().MSDTC
	assert.True(t, st.Installed)
	assert.False(t, st.Clustered)

	// The runbook: remove on both nodes, install clustered on the working
	// node, join on the rebuilt one.
	msdtcStep(t, l, "node1", &modules.MSDTC{State: "removed"})
	msdtcStep(t, l, "node2", &modules.MSDTC{State: "removed"})
	assert.False(t, l.Host("node1").Dump().MSDTC.Installed)
	assert.False(t, l.Host("node2").Dump().MSDTC.Installed)
	assert.NotContains(t, l.Host("node1").Dump().Services, "MSDTC")

	res := msdtcStep(t, l, "node1", &modules.MSDTC{State: "installed", Clustered: true, LogDir: `S:\MSDTCLog2`, VirtualServer: "WEBVS"})
	assert.Equal(t, "Web Group", res.Facts["cluster_group"])
	st = l.Host("node1").Dump().MSDTC
	assert.True(t, st.Clustered)
	assert.Equal(t, `S:\MSDTCLog2`, st.LogPath, "the missing log directory was not created or not used")
	assert.Equal(t, "WEBVS", st.VirtualServerName)

	msdtcStep(t, l, "node2", &modules.MSDTC{State: "joined", VirtualServer: "WEBVS"})
	assert.Equal(t, l.Host("node1").Dump().MSDTC, l.Host("node2").Dump().MSDTC, "node2 did not join node1's MSDTC")
}

func TestMSDTCJoinReplacesAStandaloneInstall(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"}, lab.HostSpec{Name: "node2", Profile: "rebuilt"})
	_, err := labtest.Run(t, l, "node2", &modules.MSDTC{State: "installed"}, false)
	require.NoError(t, err)

	res := msdtcStep(t, l, "node2", &modules.MSDTC{State: "joined"})
	assert.Contains(t, res.Msg, "was installed standalone")
	node1, node2 := l.Host("node1").Dump(), l.Host("node2").Dump()
	assert.Equal(t, node1.MSDTC, node2.MSDTC)
	assert.Equal(t, "running", node2.Services["MSDTC"].State)

	// The working node's clustered MSDTC is what joined asks for.
	res, err = labtest.Run(t, l, "node1", &modules.MSDTC{State: "joined", VirtualServer: "WEBVS"}, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)
	res, err = labtest.Run(t, l, "node1", &modules.MSDTC{State: "installed", Clustered: true, LogDir: `S:\MSDTCLog\`, VirtualServer: "webvs"}, true)
	require.NoError(t, err)
	assert.False(t, res.Changed, "same settings in another spelling: %s", res.Msg)
}

func TestMSDTCLostReplyReadsTheStateAgain(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"}, lab.HostSpec{Name: "node2", Profile: "rebuilt"})
	installerLoseReply(l, "node2", "msdtc -join", 1)
	res, err := labtest.Run(t, l, "node2", &modules.MSDTC{State: "joined"}, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, l.Host("node1").Dump().MSDTC, l.Host("node2").Dump().MSDTC)
	assert.Equal(t, 1, installerRan(l, "node2", "msdtc -join"), "the join was sent again")
}

// msdtcUntouched asserts that host kept its MSDTC and its cluster
// resource, and that nothing on it changed since changes log entries.
func msdtcUntouched(t *testing.T, l *lab.Lab, host string, msdtc win.MSDTCState, changes int) {
	t.Helper()
	assert.Equal(t, msdtc, l.Host(host).Dump().MSDTC, "the MSDTC of %s changed", host)
	assert.Equal(t, "running", l.Host(host).Dump().Services["MSDTC"].State)
	assert.Len(t, labtest.Changes(l, host), changes, "a changing command ran on %s", host)
	assert.Equal(t, "Online", l.Host(host).Dump().Cluster.Groups["Web Group"].Resources["MSDTC"].Status)
}

func TestMSDTCWrongVirtualServerKeepsTheServingNodesMSDTC(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"}, lab.HostSpec{Name: "node2"})
	healthy := l.Host("node1").Dump().MSDTC
	require.True(t, healthy.Clustered)

	cases := []struct {
		name string
		m    *modules.MSDTC
		want []string
	}{
		{"no such network name", &modules.MSDTC{State: "installed", Clustered: true, LogDir: `S:\MSDTCLog`, VirtualServer: "NOSUCHVS"},
			[]string{`virtual_server "NOSUCHVS" is not the Network Name of any cluster group`, "CLUSTER1 (Cluster Group), WEBVS (Web Group)", "nothing was changed"}},
		{"no such network name, joined", &modules.MSDTC{State: "joined", VirtualServer: "NOSUCHVS"},
			[]string{`virtual_server "NOSUCHVS" is not the Network Name of any cluster group`, "CLUSTER1 (Cluster Group), WEBVS (Web Group)"}},
		// A network name, but not of the group the MSDTC resource is in.
		{"another group's name", &modules.MSDTC{State: "installed", Clustered: true, LogDir: `Q:\MSDTCLog`, VirtualServer: "cluster1"},
			[]string{`the cluster's MSDTC resource "MSDTC" is in Web Group (network name WEBVS), not in Cluster Group, the group of "cluster1"`}},
	}
	for _, tc := range cases {
		for _, check := range []bool{true, false} {
			changes := len(labtest.Changes(l, "node1"))
			_, err := labtest.Run(t, l, "node1", tc.m, check)
			require.Error(t, err, "%s, check %v", tc.name, check)
			assert.ErrorIs(t, err, modules.ErrMSDTCRefused)
			assert.True(t, strings.HasPrefix(err.Error(), "node1: "), err.Error())
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w, "%s, check %v", tc.name, check)
			}
			msdtcUntouched(t, l, "node1", healthy, changes)
			assert.Zero(t, installerRan(l, "node1", "msdtc"), "msdtc.exe ran on node1")
		}
	}
}

func TestMSDTCClusteredInstallNeedsTheGroupsOwner(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"}, lab.HostSpec{Name: "node2"})
	joined := l.Host("node2").Dump().MSDTC
	install := &modules.MSDTC{State: "installed", Clustered: true, LogDir: `S:\MSDTCLog2`, VirtualServer: "WEBVS"}

	// A dry run reads the cluster as it is; an earlier task may move the
	// group in a real run, so it warns.
	res, err := labtest.Run(t, l, "node2", install, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Contains(t, res.Msg, "the clustered install runs on the node that owns Web Group, the group of WEBVS, and its shared disk: that is NODE1, not NODE2 now")
	msdtcUntouched(t, l, "node2", joined, 0)

	_, err = labtest.Run(t, l, "node2", install, false)
	require.Error(t, err)
	assert.ErrorIs(t, err, modules.ErrMSDTCRefused)
	assert.Contains(t, err.Error(), "node2: msdtc refused: the clustered install runs on the node that owns Web Group, the group of WEBVS, and its shared disk: that is NODE1, not NODE2")
	assert.Contains(t, err.Error(), "nothing was changed")
	msdtcUntouched(t, l, "node2", joined, 0)

	// The owner must see the log directory's drive.
	changes, owner := len(labtest.Changes(l, "node1")), l.Host("node1").Dump().MSDTC
	_, err = labtest.Run(t, l, "node1", &modules.MSDTC{State: "installed", Clustered: true, LogDir: `T:\MSDTCLog`, VirtualServer: "WEBVS"}, false)
	assert.ErrorIs(t, err, modules.ErrMSDTCRefused)
	assert.Contains(t, err.Error(), `drive T: of log_dir T:\MSDTCLog is not visible on NODE1`)
	msdtcUntouched(t, l, "node1", owner, changes)

	// Without the cluster service, msdtc cannot reach the cluster.
	installerStopCluster(t, l, "node2")
	changes = len(labtest.Changes(l, "node2"))
	joined = l.Host("node2").Dump().MSDTC
	rejoin := &modules.MSDTC{State: "joined", VirtualServer: "NOSUCHVS"}
	res, err = labtest.Run(t, l, "node2", rejoin, true)
	require.NoError(t, err)
	assert.Contains(t, res.Msg, "msdtc needs the cluster service (ClusSvc) running, and on node2 it is STOPPED now")
	_, err = labtest.Run(t, l, "node2", rejoin, false)
	assert.ErrorIs(t, err, modules.ErrMSDTCRefused)
	assert.Contains(t, err.Error(), "node2: msdtc refused: msdtc needs the cluster service (ClusSvc) running, and on node2 it is STOPPED; nothing was changed")
	assert.Equal(t, joined, l.Host("node2").Dump().MSDTC)
	assert.Len(t, labtest.Changes(l, "node2"), changes)
}

func TestMSDTCFailuresNameHostAndCommand(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"}, lab.HostSpec{Name: "node2", Profile: "rebuilt"})

	// The shared disk belongs to node1's group: node2 is refused before
	// touching anything.
	_, err := labtest.Run(t, l, "node2", &modules.MSDTC{State: "installed", Clustered: true, LogDir: `S:\MSDTCLog2`, VirtualServer: "WEBVS"}, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node2")
	assert.Contains(t, err.Error(), "that is NODE1, not NODE2")
	assert.Empty(t, labtest.Changes(l, "node2"))

	// What the checks cannot foresee still names host, command and cause:
	// here a file stands where the log directory's parent would be.
	l.Host("node1").Machine().ClearLog()
	_, err = labtest.Run(t, l, "node1", &modules.MSDTC{State: "installed", Clustered: true, LogDir: `S:\wwwroot\default.htm\MSDTCLog`, VirtualServer: "WEBVS"}, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node1: `mkdir S:\\wwwroot\\default.htm\\MSDTCLog` exited 1")
	assert.Len(t, labtest.Changes(l, "node1"), 1, "more than the failed mkdir ran")
}

func TestMSDTCValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		m     modules.MSDTC
		field string
	}{
		{"no state", modules.MSDTC{}, "state"},
		{"bad state", modules.MSDTC{State: "present"}, "state"},
		{"clustered without log", modules.MSDTC{State: "installed", Clustered: true, VirtualServer: "WEBVS"}, "log_dir"},
		{"clustered without name", modules.MSDTC{State: "installed", Clustered: true, LogDir: `S:\MSDTCLog`}, "virtual_server"},
		{"log dir standalone", modules.MSDTC{State: "installed", LogDir: `S:\MSDTCLog`}, "log_dir"},
		{"clustered join", modules.MSDTC{State: "joined", Clustered: true}, "clustered"},
		{"relative log dir", modules.MSDTC{State: "installed", Clustered: true, LogDir: `MSDTCLog`, VirtualServer: "WEBVS"}, "log_dir"},
		{"long name", modules.MSDTC{State: "installed", Clustered: true, LogDir: `S:\MSDTCLog`, VirtualServer: "A-VERY-LONG-VIRTUAL-NAME"}, "virtual_server"},
		{"name on removed", modules.MSDTC{State: "removed", VirtualServer: "WEBVS"}, "virtual_server"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.m.Validate()
			require.NotEmpty(t, errs)
			assert.Equal(t, tc.field, errs[0].Field, "%v", errs)
		})
	}
	assert.Empty(t, (&modules.MSDTC{State: "installed", Clustered: true, LogDir: `S:\MSDTCLog`, VirtualServer: "WEBVS"}).Validate())
	assert.Empty(t, (&modules.MSDTC{State: "joined", VirtualServer: "WEBVS"}).Validate())
}
