package win

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newTimedHost creates node1 from a profile with the given timing.
func newTimedHost(t *testing.T, profile string, timing Timing) *Machine {
	t.Helper()
	_, ms := newTimedHosts(t, timing, profile)
	return ms[0]
}

var lastBootLine = regexp.MustCompile(`^\r\r\nLastBootUpTime=(\d{14}\.\d{6}\+000)\r\r\n\r\r\n$`)

func lastBootUpTime(t *testing.T, m *Machine) string {
	t.Helper()
	out := mustRun(t, m, `wmic os get lastbootuptime /value`).out
	match := lastBootLine.FindStringSubmatch(out)
	require.NotNil(t, match, "wmic output %q", out)
	return match[1]
}

func TestRebootStartsServicesByStartType(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	mustRun(t, m, `sc config Spooler start= demand`)
	mustRun(t, m, `net stop MSFTPSVC`)
	mustRun(t, m, `reg add "`+sessionManager+`" /v PendingFileRenameOperations /t REG_MULTI_SZ /d x /f`)
	bootBefore := lastBootUpTime(t, m)
	require.Equal(t, m.LastBoot().Format("20060102150405"), bootBefore[:14])

	reboot(t, m)

	assert.Greater(t, lastBootUpTime(t, m), bootBefore)
	st := m.Dump()
	assert.Equal(t, "stopped", st.Services["Spooler"].State, "a manual service stays stopped")
	assert.Equal(t, "running", st.Services["MSFTPSVC"].State, "an auto service starts")
	assert.Equal(t, "running", st.Services["ClusSvc"].State)
	assert.Equal(t, "", st.Shutdown)
	assert.False(t, st.PendingReboot, "a boot clears PendingFileRenameOperations")
	assert.Equal(t, "Up", st.Cluster.Nodes["NODE1"])
}

func TestShutdownScheduleAndAbort(t *testing.T) {
	t.Parallel()
	m := newTimedHost(t, ProfileNode, Timing{Second: time.Hour, Grace: time.Hour})
	tests := []struct {
		line string
		code int
		err  string
	}{
		{`shutdown /a`, errNoShutdown, "Unable to abort the system shutdown because no shutdown was in progress.(1116)\r\n"},
		{`shutdown /r /t 60 /c "patching" /f`, 0, ""},
		{`shutdown /r /t 0`, errShutdownScheduled, "A system shutdown has already been scheduled.(1190)\r\n"},
		{`shutdown /a`, 0, ""},
		{`shutdown -s -t 5`, 0, ""},
		{`shutdown /a`, 0, ""},
		{`shutdown /r /t soon`, errInvalidParameter, "The parameter is incorrect.(87)\r\n"},
		{`shutdown /r /s`, errInvalidParameter, "The parameter is incorrect.(87)\r\n"},
		{`shutdown /r /m \\OTHER`, errBadNetPath, "The network path was not found.(53)\r\n"},
	}
	for _, tt := range tests {
		r := run(m, tt.line)
		assert.Equal(t, tt.code, r.code, tt.line)
		assert.Equal(t, tt.err, r.err, tt.line)
	}
	assert.True(t, m.PoweredOn())
	assert.Equal(t, "", m.Dump().Shutdown)
}

func TestShutdownInProgress(t *testing.T) {
	t.Parallel()
	m := newTimedHost(t, ProfileNode, Timing{Second: time.Millisecond, Grace: time.Hour})
	mustRun(t, m, `shutdown /s /t 0`)
	require.Eventually(t, func() bool { return m.Dump().Shutdown == "in progress" }, 5*time.Second, time.Millisecond)
	for _, line := range []string{`shutdown /r /t 0`, `shutdown /a`} {
		r := run(m, line)
		assert.Equal(t, errShutdownInProgress, r.code, line)
		assert.Equal(t, "A system shutdown is in progress.(1115)\r\n", r.err, line)
	}
}

func TestShutdownPowersOff(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	mustRun(t, m, `shutdown /s /t 0`)
	require.Eventually(t, func() bool { return !m.PoweredOn() }, 5*time.Second, time.Millisecond)
	st := m.Dump()
	assert.False(t, st.Online)
	assert.Equal(t, "stopped", st.Services["RpcSs"].State)
	r := run(m, `hostname`)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, "powered off")
}

func TestOnPowerOffHandlerDecidesTheBoot(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	got := make(chan bool, 1)
	m.OnPowerOff(func(reboot bool) { got <- reboot })
	before := m.LastBoot()
	mustRun(t, m, `shutdown /r /t 0`)
	select {
	case reboot := <-got:
		assert.True(t, reboot)
	case <-time.After(5 * time.Second):
		t.Fatal("the power-off handler was not called")
	}
	assert.False(t, m.PoweredOn(), "the handler, not the machine, boots it")
	m.Boot()
	assert.True(t, m.LastBoot().After(before))
}

func TestWMIC(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	r := mustRun(t, m, `wmic useraccount where "domain='CORP' and name='IUSR_CLUSTER'" get sid /value`)
	assert.Equal(t, "\r\r\nSID="+sidIUSRCluster+"\r\r\n\r\r\n", r.out)
	r = mustRun(t, m, `wmic useraccount where "domain='CORP' and name='NOBODY'" get sid /value`)
	assert.Equal(t, "", r.out)
	assert.Equal(t, "No Instance(s) Available.\r\n", r.err)
	r = mustRun(t, m, `wmic datafile where "name='C:\\WINNT\\system32\\inetsrv\\w3svc.dll'" get version /value`)
	assert.Equal(t, "\r\r\nVersion="+iisVersionSP6+"\r\r\n\r\r\n", r.out)
}
