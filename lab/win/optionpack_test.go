package win

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winplay/winplay/lab/wsman"
)

const (
	setupExe  = `D:\NTOPTPAK\EN\X86\SETUP.EXE`
	updateExe = `D:\SP6\UPDATE.EXE`
)

// customAnswer is the answer file of the cluster's original install.
var customAnswer = []string{"[Global]", "Action=Install ; as on NODE1", "InstallType=Custom", "[Components]",
	"iis_common=on", "iis_www=on", "iis_ftp=on", "mts_core=on", "msmq=off", "smtp=off", "indexsrv=off"}

func TestOptionPackInstall(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileRebuilt)
	writeLines(t, m, `C:\WINNT\Temp\op.txt`, customAnswer...)

	r := run(m, setupExe+` /u:C:\WINNT\Temp\op.txt`)
	assert.Equal(t, errInstallFailure, r.code, "ClusSvc runs")
	assert.Equal(t, "Setup cannot continue while the Cluster Server service is running.\r\n", r.err)
	assert.False(t, m.Dump().IIS.Installed)

	mustRun(t, m, `net stop ClusSvc`)
	mustRun(t, m, `sc config ClusSvc start= demand`)
	r = run(m, setupExe+` /u:C:\WINNT\Temp\op.txt`)
	require.Equal(t, errRebootRequired, r.code, r.err)
	assert.Contains(t, r.out, "Installing Custom: iis_common iis_www iis_ftp mts_core\r\n")
	st := m.Dump()
	assert.Equal(t, IISState{Installed: true, MajorVersion: 4, InstallType: "Custom"}, st.IIS)
	assert.Equal(t, map[string]bool{"iis_common": true, "iis_www": true, "iis_ftp": true, "mts_core": true,
		"msmq": false, "smtp": false, "indexsrv": false}, st.Components)
	assert.True(t, st.PendingReboot)
	assert.Equal(t, ServiceState{DisplayName: "World Wide Web Publishing Service", StartType: "auto", State: "stopped",
		DependsOn: []string{"IISADMIN"}}, st.Services["W3SVC"], "IIS starts at the next boot")
	assert.Equal(t, MSDTCState{Installed: true}, st.MSDTC, "MSDTC standalone, as the runbook warns")
	assert.Equal(t, []string{}, st.Groups["MTS Trusted Impersonators"])
	assert.Contains(t, st.Accounts, "IUSR_NODE1")
	assert.Equal(t, iisVersionOP, st.Files[`C:\WINNT\system32\inetsrv\w3svc.dll`].Version)
	assert.Equal(t, []string{"/LM/MSFTPSVC", "/LM/MSFTPSVC/1", "/LM/W3SVC", "/LM/W3SVC/1"}, sortedKeys(st.Metabase.Keys))
	assert.Contains(t, mustRun(t, m, `reg query HKLM\SOFTWARE\Microsoft\InetStp /v MajorVersion`).out, "REG_DWORD    0x4")

	reboot(t, m)
	st = m.Dump()
	assert.Equal(t, "running", st.Services["W3SVC"].State)
	assert.Equal(t, "running", st.Services["MSDTC"].State)
	assert.Equal(t, "stopped", st.Services["ClusSvc"].State, "manual, as the runbook set it")
	assert.False(t, st.PendingReboot)

	// The same install again changes nothing; another one is refused.
	r = mustRun(t, m, setupExe+` /u:C:\WINNT\Temp\op.txt`)
	assert.Contains(t, r.out, "already installed (Custom)")
	writeLines(t, m, `C:\WINNT\Temp\typical.txt`, "[Global]", "InstallType=Typical")
	r = run(m, setupExe+` /u:C:\WINNT\Temp\typical.txt`)
	assert.Equal(t, errInstallFailure, r.code)
	assert.Contains(t, r.err, "remove it first (Action=RemoveAll)")
}

func TestOptionPackTypicalAndRemoveAll(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileRebuilt)
	mustRun(t, m, `net stop ClusSvc`)
	mustRun(t, m, `sc config ClusSvc start= demand`)
	writeLines(t, m, `C:\WINNT\Temp\typical.txt`, "[Global]", "InstallType=typical", "[Components]", "smtp=off")
	require.Equal(t, errRebootRequired, run(m, setupExe+` /u:C:\WINNT\Temp\typical.txt`).code)
	st := m.Dump()
	assert.Equal(t, "Typical", st.IIS.InstallType)
	assert.True(t, st.Components["smtp"], "Typical installs its fixed set")
	assert.Contains(t, st.Services, "SMTPSVC")
	assert.NotContains(t, st.Services, "cisvc")
	reboot(t, m)

	writeLines(t, m, `C:\WINNT\Temp\rm.txt`, "[Global]", "Action=RemoveAll")
	r := run(m, setupExe+` /u:C:\WINNT\Temp\rm.txt`)
	require.Equal(t, errRebootRequired, r.code, r.err)
	assert.NotContains(t, r.out, "metabase")
	st = m.Dump()
	assert.False(t, st.IIS.Installed)
	assert.Empty(t, st.Components)
	for _, s := range []string{"IISADMIN", "W3SVC", "MSFTPSVC", "SMTPSVC"} {
		assert.NotContains(t, st.Services, s)
	}
	assert.Equal(t, "running", st.Services["MSDTC"].State, "Remove All keeps MSDTC")
	assert.False(t, st.Metabase.Present)
	assert.NotContains(t, st.Groups, "MTS Trusted Impersonators")
	assert.NotContains(t, st.Accounts, "IUSR_NODE1")
	assert.NotContains(t, st.Files, `C:\WINNT\system32\inetsrv\iissync.exe`)
	assert.True(t, st.PendingReboot)

	r = mustRun(t, m, setupExe+` /u:C:\WINNT\Temp\rm.txt`)
	assert.Contains(t, r.out, "nothing to remove")
}

func TestOptionPackRemoveAllIgnoresACorruptMetabase(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileCorrupted)
	writeLines(t, m, `C:\WINNT\Temp\rm.txt`, "[Global]", "Action=RemoveAll")
	assert.Equal(t, errInstallFailure, run(m, setupExe+` /u:C:\WINNT\Temp\rm.txt`).code, "ClusSvc runs")
	mustRun(t, m, `net stop ClusSvc`)
	r := run(m, setupExe+` /u:C:\WINNT\Temp\rm.txt`)
	assert.Equal(t, errRebootRequired, r.code)
	assert.Contains(t, r.out, "Setup could not read the IIS metabase C:\\WINNT\\system32\\inetsrv\\MetaBase.bin; the error was ignored.\r\n")
	assert.False(t, m.Dump().IIS.Installed)
}

func TestOptionPackBadInvocations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer []string // nil: no file
		args   string
		code   int
	}{
		{"no answer file switch", nil, "", errInvalidParameter},
		{"unknown switch", nil, "/q", errInvalidParameter},
		{"missing answer file", nil, `/u:C:\WINNT\Temp\none.txt`, errFileNotFound},
		{"no Global", []string{"[Components]", "iis_www=on"}, `/u:C:\WINNT\Temp\a.txt`, errInvalidParameter},
		{"bad action", []string{"[Global]", "Action=Repair", "InstallType=Custom"}, `/u:C:\WINNT\Temp\a.txt`, errInvalidParameter},
		{"no install type", []string{"[Global]", "Action=Install"}, `/u:C:\WINNT\Temp\a.txt`, errInvalidParameter},
		{"bad install type", []string{"[Global]", "InstallType=Huge"}, `/u:C:\WINNT\Temp\a.txt`, errInvalidParameter},
		{"unknown component", []string{"[Global]", "InstallType=Custom", "[Components]", "iis_gopher=on"}, `/u:C:\WINNT\Temp\a.txt`, errInvalidParameter},
		{"bad value", []string{"[Global]", "InstallType=Custom", "[Components]", "iis_www=yes"}, `/u:C:\WINNT\Temp\a.txt`, errInvalidParameter},
		{"not an INI", []string{"InstallType=Custom"}, `/u:C:\WINNT\Temp\a.txt`, errInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := newHost(t, ProfileRebuilt)
			mustRun(t, m, `net stop ClusSvc`)
			if tt.answer != nil {
				writeLines(t, m, `C:\WINNT\Temp\a.txt`, tt.answer...)
			}
			r := run(m, setupExe+" "+tt.args)
			assert.Equal(t, tt.code, r.code)
			assert.NotEmpty(t, r.err)
			assert.False(t, m.Dump().IIS.Installed)
		})
	}
	m := newHost(t, ProfileRebuilt)
	assert.Equal(t, 9009, run(m, `D:\NTOPTPAK\EN\X86\INSTALL.EXE /u:x`).code, "only the media's setup.exe runs")
	assert.Equal(t, errPathNotFound, run(m, `D:\OTHER\SETUP.EXE /u:x`).code)
	assert.Equal(t, errFileNotFound, execProc(m, &wsman.Process{Line: `D:\OTHER\SETUP.EXE /u:x`, SkipCmdShell: true}).code)
}

func TestInstallersRunOneAtATime(t *testing.T) {
	t.Parallel()
	m := newTimedHost(t, ProfileRebuilt, Timing{Second: time.Millisecond, Grace: time.Millisecond, Install: 300 * time.Millisecond})
	mustRun(t, m, `net stop ClusSvc`)
	writeLines(t, m, `C:\WINNT\Temp\op.txt`, customAnswer...)
	var wg sync.WaitGroup
	var first result
	wg.Add(1)
	go func() {
		defer wg.Done()
		first = run(m, setupExe+` /u:C:\WINNT\Temp\op.txt`)
	}()
	require.Eventually(t, func() bool {
		m.net.mu.Lock()
		defer m.net.mu.Unlock()
		return m.installing
	}, 5*time.Second, time.Millisecond)
	r := run(m, updateExe+` -u -z`)
	assert.Equal(t, errInstallInProgress, r.code)
	assert.Contains(t, r.err, "System error 1618 has occurred")
	wg.Wait()
	assert.Equal(t, errRebootRequired, first.code)

	// A client that goes away ends the installer without its changes.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	writeLines(t, m, `C:\WINNT\Temp\rm.txt`, "[Global]", "Action=RemoveAll")
	r = execProcCtx(ctx, m, &wsman.Process{Line: setupExe + ` /u:C:\WINNT\Temp\rm.txt`})
	assert.NotEqual(t, errRebootRequired, r.code)
	assert.True(t, m.Dump().IIS.Installed)
}

func TestServicePack(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileRebuilt)
	r := mustRun(t, m, updateExe+` -u -z`)
	assert.Contains(t, r.out, "no files needed replacing", "SP6 is intact on a rebuilt node")
	assert.False(t, m.Dump().PendingReboot)

	mustRun(t, m, `net stop ClusSvc`)
	writeLines(t, m, `C:\WINNT\Temp\op.txt`, customAnswer...)
	require.Equal(t, errRebootRequired, run(m, setupExe+` /u:C:\WINNT\Temp\op.txt`).code)
	reboot(t, m)
	const w3svc = `wmic datafile where "name='C:\\WINNT\\system32\\inetsrv\\w3svc.dll'" get version /value`
	assert.Equal(t, "\r\r\nVersion="+iisVersionOP+"\r\r\n\r\r\n", mustRun(t, m, w3svc).out, "the Option Pack overwrote SP6's files")

	for _, line := range []string{updateExe, updateExe + ` -z`, updateExe + ` -u -x`, updateExe + ` -u /quiet`} {
		assert.Equal(t, errInvalidParameter, run(m, line).code, line)
	}
	r = run(m, updateExe+` -u -z -q`)
	assert.Equal(t, errRebootRequired, r.code)
	assert.Equal(t, "", r.out)
	st := m.Dump()
	assert.Equal(t, ServicePack{"Service Pack 6", "1381"}, st.ServicePack)
	assert.Equal(t, iisVersionSP6, st.Files[`C:\WINNT\system32\inetsrv\w3svc.dll`].Version)
	assert.Equal(t, iisVersionSP6, st.Files[`C:\WINNT\system32\inetsrv\iissync.exe`].Version)
	assert.True(t, st.PendingReboot)
	assert.Equal(t, "\r\r\nVersion="+iisVersionSP6+"\r\r\n\r\r\n", mustRun(t, m, w3svc).out)
}

func TestServicePackRestartsWithoutZ(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	mustRun(t, m, `reg add "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v CSDVersion /d "Service Pack 5" /f`)
	before := m.LastBoot()
	r := run(m, updateExe+` -u -f -n -o`)
	assert.Equal(t, errRebootInitiated, r.code)
	require.Eventually(t, func() bool { return m.LastBoot().After(before) && m.PoweredOn() }, 5*time.Second, time.Millisecond)
	assert.Equal(t, "Service Pack 6", m.Dump().ServicePack.CSDVersion)
}
