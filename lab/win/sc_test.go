package win

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSC(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)

	r := mustRun(t, m, `sc query Spooler`)
	// The real layout (testdata/windows/sc, German captures): a blank
	// after the name, two after the type, one after the state.
	assert.Equal(t, "\r\nSERVICE_NAME: Spooler \r\n"+
		"        TYPE               : 10  WIN32_OWN_PROCESS  \r\n"+
		"        STATE              : 4  RUNNING \r\n"+
		"                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)\r\n"+
		"        WIN32_EXIT_CODE    : 0  (0x0)\r\n"+
		"        SERVICE_EXIT_CODE  : 0  (0x0)\r\n"+
		"        CHECKPOINT         : 0x0\r\n"+
		"        WAIT_HINT          : 0x0\r\n", r.out)

	r = mustRun(t, m, `sc qc Spooler`)
	assert.Contains(t, r.out, "[SC] QueryServiceConfig SUCCESS\r\n")
	assert.Contains(t, r.out, "        START_TYPE         : 2   AUTO_START\r\n")
	assert.Contains(t, r.out, "        DEPENDENCIES       : RpcSs\r\n")

	assert.Equal(t, "[SC] ChangeServiceConfig SUCCESS\r\n", mustRun(t, m, `sc config Spooler start= demand`).out)
	assert.Contains(t, mustRun(t, m, `sc qc Spooler`).out, "START_TYPE         : 3   DEMAND_START")
	mustRun(t, m, `sc config Spooler start= delayed-auto`)
	assert.Contains(t, mustRun(t, m, `sc qc Spooler`).out, "START_TYPE         : 2   AUTO_START  (DELAYED)")
	assert.Equal(t, errInvalidParameter, run(m, `sc config Spooler start= sometimes`).code)
	assert.Equal(t, errInvalidParameter, run(m, `sc config Spooler start=auto`).code, "sc needs the blank after start=")

	r = mustRun(t, m, `sc stop Spooler`)
	assert.Contains(t, r.out, "STATE              : 3  STOP_PENDING")
	assert.Contains(t, mustRun(t, m, `sc query Spooler`).out, "STATE              : 1  STOPPED")
	r = run(m, `sc stop Spooler`)
	assert.Equal(t, errServiceNotActive, r.code)
	assert.Equal(t, "[SC] ControlService FAILED 1062:\r\n\r\nThe service has not been started.\r\n\r\n", r.out)

	r = mustRun(t, m, `sc start Spooler`)
	assert.Contains(t, r.out, "STATE              : 2  START_PENDING")
	assert.Contains(t, r.out, "PID                : ")
	assert.Contains(t, mustRun(t, m, `sc query Spooler`).out, "STATE              : 4  RUNNING")
	assert.Equal(t, errServiceRunning, run(m, `sc start Spooler`).code)

	r = run(m, `sc query NoSuchService`)
	assert.Equal(t, errNoSuchService, r.code)
	assert.Equal(t, "[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n", r.out)
	for _, verb := range []string{"qc", "config", "start", "stop"} {
		assert.Equal(t, errNoSuchService, run(m, "sc "+verb+" NoSuchService start= auto").code, verb)
	}

	assert.Equal(t, errDependentServices, run(m, `sc stop RpcSs`).code, "Spooler and others depend on RpcSs")

	mustRun(t, m, `sc stop Spooler`)
	mustRun(t, m, `sc config Spooler start= disabled`)
	assert.Equal(t, errServiceDisabled, run(m, `sc start Spooler`).code)
}

func TestSCStartStartsDependenciesFirst(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	mustRun(t, m, `net stop IISADMIN /y`)
	require.Contains(t, mustRun(t, m, `sc query W3SVC`).out, "1  STOPPED")
	mustRun(t, m, `sc start W3SVC`)
	st := m.Dump()
	assert.Equal(t, "running", st.Services["IISADMIN"].State)
	assert.Equal(t, "running", st.Services["W3SVC"].State)
	assert.Equal(t, "stopped", st.Services["MSFTPSVC"].State, "only what W3SVC needs")
}

func TestCorruptedMetabaseStopsIIS(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileCorrupted)
	st := m.Dump()
	assert.Equal(t, "stopped", st.Services["IISADMIN"].State)
	assert.Equal(t, errProcessAborted, st.Services["IISADMIN"].ExitCode)
	assert.True(t, st.Metabase.Corrupt)
	r := run(m, `sc start IISADMIN`)
	assert.Equal(t, errProcessAborted, r.code)
	r = run(m, `net start W3SVC`)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.err, "System error 1068 has occurred.")
}

func TestNetStartStop(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)

	r := run(m, `net stop IISADMIN`)
	assert.Equal(t, 2, r.code, "without /y nobody confirms stopping the dependents")
	assert.Contains(t, r.out, "The following services are dependent on the IIS Admin Service service.\r\n")
	assert.Contains(t, r.out, "   World Wide Web Publishing Service\r\n")
	assert.Contains(t, r.out, "   FTP Publishing Service\r\n")
	assert.Equal(t, "running", m.Dump().Services["W3SVC"].State)

	r = mustRun(t, m, `net stop IISADMIN /y`)
	assert.Contains(t, r.out, "The IIS Admin Service service was stopped successfully.")
	st := m.Dump()
	for _, s := range []string{"IISADMIN", "W3SVC", "MSFTPSVC"} {
		assert.Equal(t, "stopped", st.Services[s].State, s)
	}

	r = mustRun(t, m, `net start W3SVC`)
	assert.Contains(t, r.out, "The World Wide Web Publishing Service service was started successfully.")
	assert.Equal(t, "running", m.Dump().Services["IISADMIN"].State)

	r = run(m, `net start W3SVC`)
	assert.Equal(t, 2, r.code)
	assert.Equal(t, "The requested service has already been started.\r\n\r\nMore help is available by typing NET HELPMSG 2182.\r\n\r\n", r.err)

	mustRun(t, m, `net stop "Spooler"`)
	r = run(m, `net stop Spooler`)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.err, "The Spooler service is not started.")

	r = run(m, `net start NoSuch`)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.err, "The service name is invalid.")
	assert.Contains(t, r.err, "NET HELPMSG 2185")

	assert.Equal(t, "\r\nThe RPC server is unavailable.\r\n\r\n", mustRun(t, m, `net helpmsg 1722`).out)
}

func TestNetLocalgroup(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)

	r := mustRun(t, m, `net localgroup`)
	assert.Contains(t, r.out, "\r\nAliases for \\\\NODE1\r\n\r\n")
	assert.Contains(t, r.out, "*Guests\r\n*MTS Trusted Impersonators\r\n")

	r = mustRun(t, m, `net localgroup Guests`)
	assert.Equal(t, "Alias name     Guests\r\n"+
		"Comment        Users granted guest access to the computer/domain\r\n\r\n"+
		"Members\r\n\r\n"+netDashes+"\r\n"+
		"Guest\r\nCORP\\IUSR_CLUSTER\r\nCORP\\IWAM_CLUSTER\r\n"+
		"The command completed successfully.\r\n\r\n", r.out)

	tests := []struct {
		line string
		code int
		err  string
	}{
		{`net localgroup Guests CORP\IUSR_CLUSTER /add`, 2, "System error 1378 has occurred.\r\n\r\nThe specified account name is already a member of the group.\r\n\r\n"},
		{`net localgroup Guests CORP\IUSR_CLUSTER /delete`, 0, ""},
		{`net localgroup Guests CORP\IUSR_CLUSTER /delete`, 2, "System error 1377 has occurred.\r\n\r\nThe specified account name is not a member of the group.\r\n\r\n"},
		{`net localgroup Guests CORP\IUSR_CLUSTER /add`, 0, ""},
		{`net localgroup NoSuch`, 2, "System error 1376 has occurred.\r\n\r\nThe specified local group does not exist.\r\n\r\n"},
		{`net localgroup Guests CORP\Nobody /add`, 2, "System error 1332 has occurred.\r\n\r\nNo mapping between account names and security IDs was done.\r\n\r\n"},
		{`net localgroup Staff /add`, 0, ""},
		{`net localgroup Staff /add`, 2, "System error 1379 has occurred.\r\n\r\nThe specified local group already exists.\r\n\r\n"},
		{`net localgroup Staff Guest /add`, 0, ""},
		{`net localgroup Staff /delete`, 0, ""},
		{`net localgroup Guests /delete`, 2, "System error 5 has occurred.\r\n\r\nAccess is denied.\r\n\r\n"},
	}
	for _, tt := range tests {
		r := run(m, tt.line)
		assert.Equal(t, tt.code, r.code, tt.line)
		assert.Equal(t, tt.err, r.err, tt.line)
	}
	st := m.Dump()
	assert.Equal(t, []string{`CORP\IUSR_CLUSTER`, `CORP\IWAM_CLUSTER`, "Guest"}, st.Groups["Guests"])
	assert.NotContains(t, st.Groups, "Staff")
}

// TestSCControlWhilePending sends a second control while the first is
// still pending: Windows refuses it with 1061 and its own message.
func TestSCControlWhilePending(t *testing.T) {
	t.Parallel()
	_, ms := newTimedHosts(t, Timing{Second: time.Millisecond, Grace: time.Millisecond, Install: time.Millisecond, Pending: time.Hour}, ProfileNode)
	m := ms[0]
	r := run(m, `sc stop W3SVC & sc stop W3SVC`)
	assert.Equal(t, errCannotAcceptCtrl, r.code)
	assert.Contains(t, r.out, "STATE              : 3  STOP_PENDING")
	assert.Contains(t, r.out, "[SC] ControlService FAILED 1061:\r\n\r\nThe service cannot accept control messages at this time.\r\n\r\n")
	r = run(m, `sc start W3SVC`)
	assert.Equal(t, errCannotAcceptCtrl, r.code)
	assert.Equal(t, "[SC] StartService FAILED 1061:\r\n\r\nThe service cannot accept control messages at this time.\r\n\r\n", r.out)
	assert.Equal(t, "\r\nThe service cannot accept control messages at this time.\r\n\r\n", mustRun(t, m, `net helpmsg 1061`).out)
}
