package win

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reboot restarts m with shutdown /r /t 0 and waits until it is back.
func reboot(t *testing.T, m *Machine) {
	t.Helper()
	before := m.LastBoot()
	mustRun(t, m, `shutdown /r /t 0 /c "winplay" /f`)
	require.Eventually(t, func() bool { return m.LastBoot().After(before) && m.PoweredOn() },
		5*time.Second, time.Millisecond, "%s did not come back", m.Name())
}

// writeLines writes a text file with echo, one command per line.
func writeLines(t *testing.T, m *Machine, path string, lines ...string) {
	t.Helper()
	mustRun(t, m, "type nul > "+path)
	for _, l := range lines {
		mustRun(t, m, "echo "+l+">> "+path)
	}
}

// grantDCOM adds allow ACEs for sids to a DCOM default descriptor, as a
// module does: reg query, decode, append, reg add.
func grantDCOM(t *testing.T, m *Machine, value string, sids ...string) {
	t.Helper()
	out := mustRun(t, m, `reg query HKLM\SOFTWARE\Microsoft\Ole /v `+value).out
	fields := strings.Fields(strings.Split(strings.TrimSpace(out), "\r\n")[1])
	require.Equal(t, "REG_BINARY", fields[1])
	b, err := hex.DecodeString(fields[2])
	require.NoError(t, err)
	sd, err := parseSD(b)
	require.NoError(t, err)
	for _, sid := range sids {
		sd.dacl = append(sd.dacl, ace{typ: aceAccessAllowed, mask: comRightsExecute, sid: sid})
	}
	b, err = sd.bytes()
	require.NoError(t, err)
	mustRun(t, m, fmt.Sprintf(`reg add HKLM\SOFTWARE\Microsoft\Ole /v %s /t REG_BINARY /d %X /f`, value, b))
}

// runRunbook takes node2 from the rebuilt profile through Q241573 with
// node1 as the working node, using only the tools' documented forms.
func runRunbook(t *testing.T, node1, node2 *Machine) {
	// Reinstall IIS 4.0 onto the single node, the cluster service stopped.
	mustRun(t, node2, `sc stop ClusSvc`)
	mustRun(t, node2, `sc config ClusSvc start= demand`)
	writeLines(t, node2, `C:\WINNT\Temp\op.txt`, "[Global]", "Action=Install", "InstallType=Custom", "[Components]",
		"iis_common=on", "iis_www=on", "iis_ftp=on", "mts_core=on", "msmq=off", "smtp=off", "indexsrv=off")
	r := run(node2, `D:\NTOPTPAK\EN\X86\SETUP.EXE /u:C:\WINNT\Temp\op.txt`)
	require.Equal(t, 3010, r.code, r.out+r.err)
	reboot(t, node2)
	r = run(node2, `D:\SP6\UPDATE.EXE -u -z`)
	require.Equal(t, 3010, r.code, r.out+r.err)
	reboot(t, node2)
	mustRun(t, node2, `sc start ClusSvc`)
	mustRun(t, node2, `sc config ClusSvc start= auto`)

	// Recluster MSDTC by the manual method.
	for _, res := range []string{"MSDTC", "Web Server", "FTP Server"} {
		mustRun(t, node1, fmt.Sprintf(`cluster resource "%s" /prop RestartAction=1`, res))
	}
	mustRun(t, node1, `cluster resource "MSDTC" /offline`)
	mustRun(t, node1, `cluster resource "MSDTC" /delete`)
	mustRun(t, node1, `msdtc -remove`)
	mustRun(t, node2, `msdtc -remove`)
	mustRun(t, node1, `msdtc -install -d %windir%\system32 -l S:\MSDTCLog -v WEBVS`)
	mustRun(t, node2, `msdtc -join`)
	mustRun(t, node1, `cluster resource "MSDTC" /prop RestartAction=1`)
	mustRun(t, node1, `cluster resource "MSDTC" /online`)
	out := mustRun(t, node1, `cluster group "Web Group" /move:NODE2`).out
	assert.Contains(t, out, "Web Group            NODE2           Partially Online")
	assert.Contains(t, mustRun(t, node1, `cluster resource MSDTC`).out, "MSDTC                Web Group            NODE2           Online")
	mustRun(t, node1, `cluster group "Web Group" /move:NODE1`)

	// Configure IIS: IISSYNC from the working node, then the accounts.
	r = run(node1, `cd /d C:\WINNT\system32\inetsrv && iissync NODE2`)
	require.Equal(t, 0, r.code, r.out+r.err)
	mustRun(t, node2, `secedit /export /cfg C:\WINNT\Temp\rights.inf /areas USER_RIGHTS`)
	writeLines(t, node2, `C:\WINNT\Temp\add.inf`, "[Unicode]", "Unicode=yes", "[Privilege Rights]",
		"SeInteractiveLogonRight = *S-1-5-32-544,*S-1-5-32-551,*S-1-5-32-547,*S-1-5-32-545,*S-1-5-32-546,CORP\\IUSR_CLUSTER,CORP\\IWAM_CLUSTER",
		"SeNetworkLogonRight = *S-1-1-0,*S-1-5-32-544,*S-1-5-32-547,CORP\\IUSR_CLUSTER,CORP\\IWAM_CLUSTER",
		"[Version]", `signature="$CHICAGO$"`, "Revision=1")
	mustRun(t, node2, `secedit /configure /db C:\WINNT\Temp\r.sdb /cfg C:\WINNT\Temp\add.inf /areas USER_RIGHTS /quiet`)
	mustRun(t, node2, `net localgroup Guests CORP\IUSR_CLUSTER /add`)
	mustRun(t, node2, `net localgroup Guests CORP\IWAM_CLUSTER /add`)
	mustRun(t, node2, `net localgroup "MTS Trusted Impersonators" CORP\IWAM_CLUSTER /add`)
	grantDCOM(t, node2, "DefaultAccessPermission", sidIUSRCluster, sidIWAMCluster)
	grantDCOM(t, node2, "DefaultLaunchPermission", sidIUSRCluster, sidIWAMCluster)

	// Test the failover, move back, and tick "Affect the group" again.
	out = mustRun(t, node1, `cluster group "Web Group" /move:NODE2`).out
	assert.Contains(t, out, "Web Group            NODE2           Online")
	mustRun(t, node1, `cluster group "Web Group" /move:NODE1`)
	for _, res := range []string{"MSDTC", "Web Server", "FTP Server"} {
		mustRun(t, node1, fmt.Sprintf(`cluster resource "%s" /prop RestartAction=2`, res))
	}
}

// requireSameIIS compares what the runbook makes equal on both nodes.
func requireSameIIS(t *testing.T, node1, node2 *Machine) {
	t.Helper()
	want, got := node1.Dump(), node2.Dump()
	assert.Equal(t, want.Services, got.Services)
	assert.Equal(t, want.ServicePack, got.ServicePack)
	assert.Equal(t, want.IIS, got.IIS)
	assert.Equal(t, want.Components, got.Components)
	assert.Equal(t, want.MSDTC, got.MSDTC)
	assert.Equal(t, want.Metabase, got.Metabase)
	assert.Equal(t, want.Rights, got.Rights)
	assert.Equal(t, want.Groups, got.Groups)
	assert.Equal(t, want.DCOM, got.DCOM)
	assert.Equal(t, want.Cluster, got.Cluster)
	for _, f := range []string{`C:\WINNT\system32\inetsrv\w3svc.dll`, `C:\WINNT\system32\inetsrv\asp.dll`, `C:\WINNT\system32\inetsrv\infocomm.dll`} {
		assert.Equal(t, iisVersionSP6, got.Files[f].Version, f)
		assert.Equal(t, want.Files[f], got.Files[f], f)
	}
	assert.False(t, got.PendingReboot)
	assert.Equal(t, "NODE1", got.Cluster.Groups["Web Group"].Owner)
	assert.Equal(t, statusOnline, got.Cluster.Groups["Web Group"].Status)
}

func TestRunbookRebuiltNodeMatchesHealthyNode(t *testing.T) {
	t.Parallel()
	_, ms := newHosts(t, ProfileNode, ProfileRebuilt)
	node1, node2 := ms[0], ms[1]
	before := node2.Dump()
	require.False(t, before.IIS.Installed)
	require.NotEqual(t, node1.Dump().Rights, before.Rights)

	runRunbook(t, node1, node2)
	requireSameIIS(t, node1, node2)
}

func TestRunbookCorruptedNodeMatchesHealthyNode(t *testing.T) {
	t.Parallel()
	_, ms := newHosts(t, ProfileNode, ProfileCorrupted)
	node1, node2 := ms[0], ms[1]
	require.True(t, node2.Dump().Metabase.Corrupt)

	// Remove IIS, the cluster service stopped and manual; restart; the
	// service pack has nothing to re-apply on a node without IIS.
	mustRun(t, node2, `net stop ClusSvc`)
	mustRun(t, node2, `sc config ClusSvc start= demand`)
	writeLines(t, node2, `C:\WINNT\Temp\rm.txt`, "[Global]", "Action=RemoveAll")
	r := run(node2, `D:\NTOPTPAK\EN\X86\SETUP.EXE /u:C:\WINNT\Temp\rm.txt`)
	require.Equal(t, 3010, r.code, r.out+r.err)
	assert.Contains(t, r.out, "the error was ignored")
	reboot(t, node2)
	assert.Equal(t, 0, run(node2, `D:\SP6\UPDATE.EXE -u -z`).code)

	// Reinstall as the original, re-apply the service pack, recluster.
	writeLines(t, node2, `C:\WINNT\Temp\op.txt`, customAnswer...)
	require.Equal(t, 3010, run(node2, `D:\NTOPTPAK\EN\X86\SETUP.EXE /u:C:\WINNT\Temp\op.txt`).code)
	reboot(t, node2)
	require.Equal(t, 3010, run(node2, `D:\SP6\UPDATE.EXE -u -z`).code)
	reboot(t, node2)
	mustRun(t, node2, `net start ClusSvc`)
	mustRun(t, node2, `sc config ClusSvc start= auto`)

	// Remove All kept the clustered MSDTC: it comes online on NODE2.
	for _, res := range []string{"MSDTC", "Web Server", "FTP Server"} {
		mustRun(t, node1, fmt.Sprintf(`cluster resource "%s" /prop RestartAction=1`, res))
	}
	mustRun(t, node1, `cluster group "Web Group" /move:NODE2`)
	assert.Contains(t, mustRun(t, node1, `cluster resource MSDTC`).out, "NODE2           Online\r\n")
	mustRun(t, node1, `cluster group "Web Group" /move:NODE1`)

	mustRun(t, node1, `C:\WINNT\system32\inetsrv\iissync.exe node2`)
	mustRun(t, node2, `net localgroup "MTS Trusted Impersonators" CORP\IWAM_CLUSTER /add`)
	assert.Contains(t, mustRun(t, node1, `cluster group "Web Group" /move:NODE2`).out, "Web Group            NODE2           Online\r\n")
	mustRun(t, node1, `cluster group "Web Group" /move:NODE1`)
	for _, res := range []string{"MSDTC", "Web Server", "FTP Server"} {
		mustRun(t, node1, fmt.Sprintf(`cluster resource "%s" /prop RestartAction=2`, res))
	}
	requireSameIIS(t, node1, node2)
}

func TestDumpOfAStandaloneHost(t *testing.T) {
	t.Parallel()
	n := NewNetwork()
	m, err := n.NewMachine(Config{Name: "web3", Timing: fastTiming})
	require.NoError(t, err)
	mustRun(t, m, `echo scratch> C:\WINNT\Temp\x.txt`)
	mustRun(t, m, `echo kept> C:\kept.txt`)
	st := m.Dump()
	assert.Nil(t, st.Cluster)
	assert.NotContains(t, st.Services, "ClusSvc")
	assert.NotContains(t, st.Files, `C:\WINNT\Temp\x.txt`)
	assert.Equal(t, 6, st.Files[`C:\kept.txt`].Size)
	assert.Equal(t, errNoEndpoints, run(m, `cluster group`).code)
	assert.Equal(t, "WEB3", st.NetBIOSName)
	assert.Contains(t, st.Registry, `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\InetStp`)
}
