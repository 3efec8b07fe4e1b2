package win

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIISSyncCopiesTheMetabase(t *testing.T) {
	t.Parallel()
	_, ms := newHosts(t, ProfileNode, ProfileNode)
	node1, node2 := ms[0], ms[1]
	// NODE2's metabase lost its clustered site; IISSYNC brings it back.
	mustRun(t, node2, `net stop IISADMIN /y`)
	node2.net.mu.Lock()
	node2.putFile(metabasePath, freshMetabase("NODE2", true, true).bytes(), "", "")
	node2.net.mu.Unlock()
	mustRun(t, node2, `net start W3SVC`)
	pidBefore := mustRun(t, node2, `wmic service where "name='W3SVC'" get processid /value`).out
	require.NotContains(t, node2.Dump().Metabase.Keys, "/LM/W3SVC/2")

	r := mustRun(t, node1, `%windir%\system32\inetsrv\iissync.exe NODE2`)
	assert.Equal(t, "Synchronizing IIS configuration from NODE1 to NODE2...\r\nIISSYNC completed with status 0.\r\n", r.out)
	want, got := node1.Dump(), node2.Dump()
	assert.Equal(t, want.Metabase, got.Metabase)
	assert.Equal(t, want.Files[`C:\WINNT\system32\mts\catalog.mts`], got.Files[`C:\WINNT\system32\mts\catalog.mts`])
	assert.Equal(t, "running", got.Services["W3SVC"].State)
	assert.Equal(t, "stopped", got.Services["MSFTPSVC"].State, "only the running IIS services restart")
	assert.NotEqual(t, pidBefore, mustRun(t, node2, `wmic service where "name='W3SVC'" get processid /value`).out, "W3SVC restarted")
}

func TestIISSyncStatusCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		setup  func(t *testing.T, node1, node2 *Machine)
		target string
		code   int
	}{
		{"target unknown", nil, "NODE9", errRPCUnavailable},
		{"target is this node", nil, "node1", errInvalidParameter},
		{"target off the network", func(t *testing.T, _, node2 *Machine) { node2.SetOnline(false) }, "NODE2", errRPCUnavailable},
		{"target IISADMIN stopped", func(t *testing.T, _, node2 *Machine) { mustRun(t, node2, `net stop IISADMIN /y`) }, "NODE2", errNoEndpoints},
		{"target without IIS", func(t *testing.T, _, node2 *Machine) {
			mustRun(t, node2, `net stop ClusSvc`)
			writeLines(t, node2, `C:\WINNT\Temp\rm.txt`, "[Global]", "Action=RemoveAll")
			assert.Equal(t, errRebootRequired, run(node2, `D:\NTOPTPAK\EN\X86\SETUP.EXE /u:C:\WINNT\Temp\rm.txt`).code)
		}, "NODE2", errNoEndpoints},
		{"IISADMIN stopped here", func(t *testing.T, node1, _ *Machine) { mustRun(t, node1, `net stop IISADMIN /y`) }, "NODE2", errNoEndpoints},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, ms := newHosts(t, ProfileNode, ProfileNode)
			if tt.setup != nil {
				tt.setup(t, ms[0], ms[1])
			}
			before := ms[1].Dump().Metabase
			r := run(ms[0], `cd /d C:\WINNT\system32\inetsrv & iissync `+tt.target)
			assert.Equal(t, tt.code, r.code)
			assert.Equal(t, fmt.Sprintf("IISSYNC failed with status %d.\r\n", tt.code)+winMessage(tt.code)+"\r\n", r.err)
			assert.Equal(t, before, ms[1].Dump().Metabase, "nothing copied")
		})
	}
}

func TestIISSyncLivesInInetsrv(t *testing.T) {
	t.Parallel()
	_, ms := newHosts(t, ProfileNode, ProfileRebuilt)
	r := run(ms[0], `iissync NODE2`)
	assert.Equal(t, 9009, r.code, "inetsrv is not on PATH")
	r = run(ms[1], `C:\WINNT\system32\inetsrv\iissync.exe NODE1`)
	assert.Equal(t, 9009, r.code, "no IIS, no iissync.exe")
	r = run(ms[0], `C:\WINNT\system32\inetsrv\iissync.exe`)
	assert.Equal(t, errInvalidParameter, r.code)
	assert.Equal(t, "Usage: iissync <target computer>\r\n", r.out)
}

func TestIISSyncReturnsOnceTheTargetRuns(t *testing.T) {
	t.Parallel()
	slow := fastTiming
	slow.Pending = 20 * time.Millisecond
	_, ms := newTimedHosts(t, slow, ProfileNode, ProfileNode)
	mustRun(t, ms[0], `C:\WINNT\system32\inetsrv\iissync.exe NODE2`)
	st := ms[1].Dump()
	for _, s := range []string{"IISADMIN", "W3SVC", "MSFTPSVC"} {
		assert.Equal(t, "running", st.Services[s].State, s)
	}
}
