package win

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMSDTCStandalone(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileRebuilt)
	require.Equal(t, errNoSuchService, run(m, `sc query MSDTC`).code)

	assert.Equal(t, "MSDTC service installed.\r\n", mustRun(t, m, `msdtc -install`).out)
	assert.Contains(t, mustRun(t, m, `sc query MSDTC`).out, "4  RUNNING")
	assert.Contains(t, mustRun(t, m, `sc qc MSDTC`).out, "2   AUTO_START")
	assert.Contains(t, mustRun(t, m, `reg query HKLM\SOFTWARE\Microsoft\MSDTC`).out, "    Clustered    REG_DWORD    0x0\r\n")
	assert.Equal(t, MSDTCState{Installed: true}, m.Dump().MSDTC)

	r := run(m, `msdtc -install`)
	assert.Equal(t, errServiceExists, r.code)
	assert.Equal(t, "System error 1073 has occurred (0x00000431).\r\nThe specified service already exists.\r\n", r.err)

	assert.Equal(t, "MSDTC service removed.\r\n", mustRun(t, m, `msdtc -remove`).out)
	assert.Equal(t, errNoSuchService, run(m, `sc query MSDTC`).code)
	assert.Equal(t, 1, run(m, `reg query HKLM\SOFTWARE\Microsoft\MSDTC`).code)
	assert.Equal(t, "MSDTC service removed.\r\n", mustRun(t, m, `msdtc -remove`).out, "removing nothing succeeds")
	assert.Equal(t, errNoSuchService, run(m, `msdtc -resetlog`).code)

	for _, line := range []string{`msdtc`, `msdtc -bogus`, `msdtc install`, `msdtc -remove -install`, `msdtc -join -l S:\x`, `msdtc -install -d C:\WINNT`} {
		r := run(m, line)
		assert.Equal(t, errInvalidParameter, r.code, line)
		assert.Contains(t, r.out, "Usage: msdtc", line)
	}
}

func TestMSDTCClustered(t *testing.T) {
	t.Parallel()
	_, ms := newHosts(t, ProfileNode, ProfileNode)
	node1, node2 := ms[0], ms[1]
	mustRun(t, node1, `cluster resource "MSDTC" /offline`)
	mustRun(t, node1, `cluster resource "MSDTC" /delete`)
	mustRun(t, node1, `msdtc -remove`)
	mustRun(t, node2, `msdtc -remove`)

	assert.Equal(t, errNoSuchService, run(node2, `msdtc -join`).code, "no clustered MSDTC yet")
	tests := []struct {
		host *Machine
		line string
		code int
	}{
		{node1, `msdtc -install -d %windir%\system32 -l S:\NoSuchLog -v WEBVS`, errPathNotFound},
		{node1, `msdtc -install -d C:\NoSuchDir -l S:\MSDTCLog -v WEBVS`, errPathNotFound},
		{node1, `msdtc -install -d %windir%\system32 -l S:\MSDTCLog -v NOSUCHVS`, errGroupNotFound},
		{node2, `msdtc -install -d %windir%\system32 -l S:\MSDTCLog -v WEBVS`, errPathNotFound},
	}
	for _, tt := range tests {
		r := run(tt.host, tt.line)
		assert.Equal(t, tt.code, r.code, tt.line)
		assert.Contains(t, r.err, "System error ", tt.line)
	}

	r := mustRun(t, node1, `msdtc -install -d %windir%\system32 -l s:\msdtclog\ -v webvs`)
	assert.Equal(t, "MSDTC service installed.\r\n", r.out)
	want := MSDTCState{Installed: true, Clustered: true, LogPath: `S:\MSDTCLog`, VirtualServerName: "WEBVS", ClusterGroup: "Web Group"}
	assert.Equal(t, want, node1.Dump().MSDTC)
	assert.Contains(t, mustRun(t, node1, `dir /b S:\MSDTCLog`).out, "MSDTC.LOG")
	assert.Contains(t, mustRun(t, node1, `cluster resource "MSDTC"`).out, "MSDTC                Web Group            NODE1           Offline\r\n",
		"the new resource waits for /online")
	assert.Equal(t, errServiceExists, run(node1, `msdtc -install -d %windir%\system32 -l S:\MSDTCLog -v WEBVS`).code)

	assert.Equal(t, "MSDTC service joined to the cluster.\r\n", mustRun(t, node2, `msdtc -join`).out)
	assert.Equal(t, want, node2.Dump().MSDTC)
	assert.Equal(t, errServiceExists, run(node2, `msdtc -join`).code)
	assert.Equal(t, "MSDTC log reset.\r\n", mustRun(t, node1, `msdtc -resetlog`).out)

	mustRun(t, node1, `cluster resource "MSDTC" /online`)
	mustRun(t, node1, `cluster group "Web Group" /move:NODE2`)
	assert.Contains(t, mustRun(t, node1, `cluster resource "MSDTC"`).out, "NODE2           Online\r\n")
	assert.Equal(t, errPathNotFound, run(node1, `msdtc -resetlog`).code, "the log is on NODE2's disk now")

	// Both need the cluster service.
	mustRun(t, node2, `msdtc -remove`)
	mustRun(t, node2, `net stop ClusSvc`)
	assert.Equal(t, errNoEndpoints, run(node2, `msdtc -join`).code)
	assert.Equal(t, errNoEndpoints, run(node2, `msdtc -install -d %windir%\system32 -l S:\MSDTCLog -v WEBVS`).code)
}

func TestMSDTCReturnsOnceTheServiceRuns(t *testing.T) {
	t.Parallel()
	slow := fastTiming
	slow.Pending = 20 * time.Millisecond
	_, ms := newTimedHosts(t, slow, ProfileNode, ProfileRebuilt)
	mustRun(t, ms[1], `msdtc -install`)
	assert.Equal(t, "running", ms[1].Dump().Services["MSDTC"].State)
	mustRun(t, ms[1], `msdtc -remove`)
	mustRun(t, ms[1], `msdtc -join`)
	assert.Equal(t, "running", ms[1].Dump().Services["MSDTC"].State)
}
