package modules_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
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

func TestMSDTCFailuresNameHostAndCommand(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"}, lab.HostSpec{Name: "node2", Profile: "rebuilt"})

	// The shared disk belongs to node1's group: node2 cannot create the
	// log directory, and fails before touching anything.
	_, err := labtest.Run(t, l, "node2", &modules.MSDTC{State: "installed", Clustered: true, LogDir: `S:\MSDTCLog2`, VirtualServer: "WEBVS"}, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node2")
	assert.Contains(t, err.Error(), `mkdir S:\MSDTCLog2`)
	assert.Len(t, labtest.Changes(l, "node2"), 1, "more than the failed mkdir ran")

	_, err = labtest.Run(t, l, "node2", &modules.MSDTC{State: "installed", Clustered: true, LogDir: `C:\MSDTCLog`, VirtualServer: "NOPE"}, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node2: `msdtc -install -d %windir%\\system32 -l C:\\MSDTCLog -v NOPE` exited 5013")
	assert.Contains(t, err.Error(), "NOPE is not the Network Name of a cluster group")
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
