package win

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/lab/wsman"
)

// overWinRM runs a line as a WinRM session of the given logon does.
func overWinRM(m *Machine, logon wsman.Logon, line string) result {
	return execProc(m, &wsman.Process{Line: line, User: "lab", Logon: logon})
}

var ntlmLogon = wsman.Logon{Method: "ntlm"}

// putLines writes a text file as is, without going through echo.
func putLines(m *Machine, path string, lines ...string) {
	m.net.mu.Lock()
	defer m.net.mu.Unlock()
	m.putFile(strings.TrimPrefix(path, "C:"), []byte(strings.Join(lines, "\r\n")+"\r\n"), "", "")
}

// TestTheDoubleHop: a WinRM session of an NTLM logon (or Kerberos without
// delegation) is refused by the other node, so IISSYNC fails with status 5
// and a copy from its administrative share with access denied; a
// Kerberos logon with a delegated ticket reaches it.
func TestTheDoubleHop(t *testing.T) {
	t.Parallel()
	_, ms := newHosts(t, ProfileNode, ProfileNode)
	node1, node2 := ms[0], ms[1]
	putLines(node2, `C:\share\app.config`, "<config/>")

	r := overWinRM(node1, ntlmLogon, `%windir%\system32\inetsrv\iissync.exe NODE2`)
	assert.Equal(t, errAccessDenied, r.code)
	assert.Equal(t, "IISSYNC failed with status 5.\r\nAccess is denied.\r\n", r.err)

	r = overWinRM(node1, wsman.Logon{Method: "kerberos"}, `copy \\node2\C$\share\app.config C:\app.config`)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "Access is denied.\r\n", r.err)
	assert.Equal(t, "        0 file(s) copied.\r\n", r.out)

	delegated := wsman.Logon{Method: "kerberos", NetworkCredentials: true}
	r = overWinRM(node1, delegated, `copy \\node2\C$\share\app.config C:\app.config`)
	require.Equal(t, 0, r.code, r.err)
	assert.Equal(t, "        1 file(s) copied.\r\n", r.out)
	assert.Contains(t, mustRun(t, node1, `type C:\app.config`).out, "<config/>")
	r = overWinRM(node1, delegated, `%windir%\system32\inetsrv\iissync.exe NODE2`)
	assert.Equal(t, 0, r.code, r.err)

	// A host that is not there is not an access problem.
	r = overWinRM(node1, ntlmLogon, `copy \\node9\C$\x C:\x`)
	assert.Equal(t, errBadNetPath, r.code)
	assert.Equal(t, "The network path was not found.\r\n", r.err)
}

// TestScheduledTaskRunsWithTheUsersCredentials: a task that logs on with
// the user's password (schtasks /ru /rp) runs a batch file whose IISSYNC
// reaches the other node, where the WinRM session's own was refused.
func TestScheduledTaskRunsWithTheUsersCredentials(t *testing.T) {
	t.Parallel()
	n := NewNetwork()
	node1, err := n.NewMachine(Config{Name: "node1", Timing: fastTiming, LoginPassword: "Lab-Pass1"})
	require.NoError(t, err)
	_, err = n.NewMachine(Config{Name: "node2", Timing: fastTiming, LoginPassword: "Lab-Pass1"})
	require.NoError(t, err)
	putLines(node1, `C:\WINNT\Temp\run.cmd`, `%windir%\system32\inetsrv\iissync.exe NODE2`)
	putLines(node1, `C:\WINNT\Temp\wrap.cmd`, "@echo off",
		`cmd /d /c C:\WINNT\Temp\run.cmd > C:\WINNT\Temp\out.txt 2> C:\WINNT\Temp\err.txt`,
		`>C:\WINNT\Temp\rc.txt echo %ERRORLEVEL%`)

	r := overWinRM(node1, ntlmLogon, `schtasks /create /tn wp1 /tr "cmd.exe /d /c C:\WINNT\Temp\wrap.cmd" /sc once /st 00:00 /ru lab /rp Wrong-Pass /rl highest /f`)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "ERROR: The user name or password is incorrect.\r\n", r.err)

	r = overWinRM(node1, ntlmLogon, `schtasks /create /tn wp1 /tr "cmd.exe /d /c C:\WINNT\Temp\wrap.cmd" /sc once /st 00:00 /ru CORP\lab /rp Lab-Pass1 /rl highest /f`)
	require.Equal(t, 0, r.code, r.err)
	assert.Equal(t, "SUCCESS: The scheduled task \"wp1\" has successfully been created.\r\n", r.out)
	r = overWinRM(node1, ntlmLogon, `schtasks /run /tn wp1`)
	require.Equal(t, 0, r.code, r.err)
	assert.Equal(t, "SUCCESS: Attempted to run the scheduled task \"wp1\".\r\n", r.out)

	require.Eventually(t, func() bool { return run(node1, `type C:\WINNT\Temp\rc.txt`).code == 0 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, "0", strings.TrimSpace(run(node1, `type C:\WINNT\Temp\rc.txt`).out))
	assert.Contains(t, run(node1, `type C:\WINNT\Temp\out.txt`).out, "IISSYNC completed with status 0.")

	r = overWinRM(node1, ntlmLogon, `schtasks /delete /tn wp1 /f`)
	assert.Equal(t, "SUCCESS: The scheduled task \"wp1\" was successfully deleted.\r\n", r.out)
	r = overWinRM(node1, ntlmLogon, `schtasks /run /tn wp1`)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "ERROR: The system cannot find the file specified.\r\n", r.err)
}

func TestBatchFileLinesAndExitCodes(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	putLines(m, `C:\t\a.cmd`, "@echo off", "rem a comment", ":label", "echo one", "set X=two", "echo %X%", "exit /b 7", "echo never")
	r := run(m, `C:\t\a.cmd`)
	assert.Equal(t, 7, r.code)
	assert.Equal(t, "one\r\ntwo\r\n", r.out)
	r = run(m, `cmd /d /c C:\t\a.cmd & echo after %ERRORLEVEL%`)
	assert.Contains(t, r.out, "one\r\ntwo\r\n")
}

// TestSchtasksPrintsWhatWindowsPrints holds the lab's schtasks to the
// verbatim samples in testdata (see testdata/SOURCES).
func TestSchtasksPrintsWhatWindowsPrints(t *testing.T) {
	t.Parallel()
	sample := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(t, err)
		return string(b)
	}
	m := newHost(t, ProfileNode)
	lines := strings.SplitAfter(sample("schtasks-create-run-delete.txt"), "\r\n")
	assert.Equal(t, lines[0], mustRun(t, m, `schtasks /create /tn spotify /tr "cmd /c echo" /sc once /st 23:59 /f`).out)
	assert.Equal(t, lines[1], mustRun(t, m, `schtasks /run /tn spotify`).out)
	assert.Equal(t, lines[2], mustRun(t, m, `schtasks /delete /tn spotify /f`).out)

	r := run(m, `schtasks /run /tn spotify`)
	assert.Equal(t, sample("schtasks-run-unknown-task.txt"), r.err)
	r = run(m, `schtasks /create /tn x /tr "cmd /c echo" /sc once /st 00:00 /ru lab /rp wrong /f`)
	assert.Equal(t, sample("schtasks-create-wrong-password.txt"), r.err)
	warning, _, _ := strings.Cut(sample("schtasks-create-st-earlier-access-denied.txt"), "\r\n")
	if time.Now().Hour()*60+time.Now().Minute() > 0 {
		r = run(m, `schtasks /create /tn y /tr "cmd /c echo" /sc once /st 00:00 /f`)
		assert.Equal(t, warning+"\r\n", r.err)
	}
}
