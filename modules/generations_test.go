package modules_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/modules"
)

// Every module against every lab generation where it applies, in English
// and German: one test body per module, run on a two-node cluster of each
// Windows in each language. Where a module does not apply, the test
// proves the refusal.

var generations = []string{"nt4", "2003r2", "2012r2", "2022", "2025"}

func forEachWindows(t *testing.T, body func(t *testing.T, l *lab.Lab, os, lang string)) {
	for _, os := range generations {
		for _, lang := range []string{"en-US", "de-DE"} {
			t.Run(os+"/"+lang, func(t *testing.T) {
				t.Parallel()
				l := labtest.StartConfig(t, lab.Config{OS: os, Language: lang})
				body(t, l, os, lang)
			})
		}
	}
}

func TestServiceOnEveryWindows(t *testing.T) {
	t.Parallel()
	forEachWindows(t, func(t *testing.T, l *lab.Lab, _, _ string) {
		svc := &modules.Service{Name: "Spooler", State: "stopped", StartMode: "manual"}
		res, err := labtest.Run(t, l, "node1", svc, false)
		require.NoError(t, err)
		assert.True(t, res.Changed, res.Msg)
		assert.Equal(t, "stopped", l.Host("node1").Dump().Services["Spooler"].State)
		res, err = labtest.Run(t, l, "node1", svc, false)
		require.NoError(t, err)
		assert.False(t, res.Changed, "a second run is ok: %s", res.Msg)

		wait := &modules.WaitFor{Service: "Spooler", State: "stopped", Timeout: "5s"}
		_, err = labtest.Run(t, l, "node1", wait, false)
		require.NoError(t, err)
		_, err = labtest.Run(t, l, "node1", &modules.Assert{Service: "Spooler", State: "stopped", StartMode: "manual"}, false)
		require.NoError(t, err)
		_, err = labtest.Run(t, l, "node1", &modules.Assert{Service: "NoSuchService", State: "running"}, false)
		require.ErrorIs(t, err, modules.ErrNoService, "a missing service is known by sc's exit code in every language")
	})
}

func TestRegistryOnEveryWindows(t *testing.T) {
	t.Parallel()
	forEachWindows(t, func(t *testing.T, l *lab.Lab, _, _ string) {
		r := &modules.Registry{Key: `HKLM\SOFTWARE\Winplay`, Name: "Probe", Type: "REG_DWORD", Data: "7"}
		res, err := labtest.Run(t, l, "node1", r, false)
		require.NoError(t, err, "a missing value is absent whatever language reg.exe's error is in")
		assert.True(t, res.Changed)
		res, err = labtest.Run(t, l, "node1", r, false)
		require.NoError(t, err)
		assert.False(t, res.Changed, "REG.EXE 3.0's tabs and Vista's blanks read alike: %s", res.Msg)
	})
}

func TestGroupMemberFindsBuiltinGroupsBySID(t *testing.T) {
	t.Parallel()
	forEachWindows(t, func(t *testing.T, l *lab.Lab, _, lang string) {
		gm := &modules.GroupMember{Name: "Guests", Members: []string{`CORP\ClusterSvc`}}
		res, err := labtest.Run(t, l, "node1", gm, false)
		require.NoError(t, err)
		assert.True(t, res.Changed, res.Msg)
		group := map[string]string{"en-US": "Guests", "de-DE": "Gäste"}[lang]
		assert.Contains(t, l.Host("node1").Dump().Groups[group], `CORP\ClusterSvc`, "Guests is %s on this host", group)
		res, err = labtest.Run(t, l, "node1", gm, false)
		require.NoError(t, err)
		assert.False(t, res.Changed, "net localgroup's last line is no member, in any language: %s", res.Msg)
	})
}

func TestUserRightOnEveryWindows(t *testing.T) {
	t.Parallel()
	forEachWindows(t, func(t *testing.T, l *lab.Lab, _, _ string) {
		ur := &modules.UserRight{Name: "SeBatchLogonRight", Users: []string{`CORP\IUSR_CLUSTER`, "Guests"}}
		res, err := labtest.Run(t, l, "node1", ur, true)
		require.NoError(t, err, "the export goes to the host's %%TEMP%%, read-only in check mode")
		assert.True(t, res.Changed)
		assert.Empty(t, labtest.Changes(l, "node1"))
		_, err = labtest.Run(t, l, "node1", ur, false)
		require.NoError(t, err)
		res, err = labtest.Run(t, l, "node1", ur, false)
		require.NoError(t, err)
		assert.False(t, res.Changed, res.Msg)
	})
}

func TestDCOMPermissionOnEveryWindows(t *testing.T) {
	t.Parallel()
	forEachWindows(t, func(t *testing.T, l *lab.Lab, _, _ string) {
		d := &modules.DCOMPermission{Permission: "both", Accounts: []string{`CORP\ClusterSvc`}}
		res, err := labtest.Run(t, l, "node1", d, false)
		require.NoError(t, err)
		assert.True(t, res.Changed)
		res, err = labtest.Run(t, l, "node1", d, false)
		require.NoError(t, err)
		assert.False(t, res.Changed, res.Msg)
	})
}

func TestCopyAndInstallerOnEveryWindows(t *testing.T) {
	t.Parallel()
	forEachWindows(t, func(t *testing.T, l *lab.Lab, os, _ string) {
		c := &modules.Copy{Content: "[Global]\r\nAction=Install\r\n", Dest: `C:\unattend\answer.ini`}
		_, err := labtest.Run(t, l, "node1", c, false)
		require.NoError(t, err, "chunks assembled in the host's %%TEMP%%")
		res, err := labtest.Run(t, l, "node1", c, false)
		require.NoError(t, err)
		assert.False(t, res.Changed)

		root := map[string]string{"nt4": `C:\WINNT`, "2003r2": `C:\WINDOWS`}[os]
		if root == "" {
			root = `C:\Windows`
		}
		kernel := root + `\system32\ntoskrnl.exe`
		in := &modules.Installer{Path: `C:\unattend\setup.exe`, DetectPath: kernel, DetectVersion: "4.0"}
		res, err = labtest.Run(t, l, "node1", in, true)
		require.NoError(t, err, "the file version comes from wmic or FileVersionInfo")
		assert.False(t, res.Changed, res.Msg)
		in.DetectVersion = "99.0"
		res, err = labtest.Run(t, l, "node1", in, true)
		require.NoError(t, err)
		assert.True(t, res.Changed, res.Msg)
	})
}

func TestRebootOnEveryWindows(t *testing.T) {
	t.Parallel()
	forEachWindows(t, func(t *testing.T, l *lab.Lab, os, _ string) {
		boots := l.Host("node1").Boots()
		res, err := labtest.Run(t, l, "node1", &modules.Reboot{PreRebootDelay: new(int)}, false)
		require.NoError(t, err, "the boot time comes from wmic, or Get-CimInstance where wmic is gone")
		assert.True(t, res.Rebooted)
		assert.Equal(t, boots+1, l.Host("node1").Boots())
		assert.Equal(t, os != "2025", ran(l, "node1", "wmic"), "wmic is used where it is, and only there")
		assert.Equal(t, os == "2025", ran(l, "node1", "powershell"), "PowerShell where wmic is gone")
	})
}

func TestClusterOnEveryWindows(t *testing.T) {
	t.Parallel()
	forEachWindows(t, func(t *testing.T, l *lab.Lab, os, _ string) {
		res, err := labtest.Run(t, l, "node1", &modules.Cluster{Resource: "Web IP Address", AffectTheGroup: clusterTestBool(false)}, false)
		require.NoError(t, err, "cluster.exe or the FailoverClusters cmdlets")
		assert.True(t, res.Changed, res.Msg)
		res, err = labtest.Run(t, l, "node1", &modules.Cluster{Group: "Web Group", Owner: "node2"}, false)
		require.NoError(t, err)
		assert.Equal(t, "NODE2", res.Facts["owner"])
		res, err = labtest.Run(t, l, "node1", &modules.Cluster{Node: "node2", Status: "up"}, false)
		require.NoError(t, err)
		assert.Equal(t, "Up", res.Facts["status"])
		res, err = labtest.Run(t, l, "node1", &modules.Cluster{Group: "Web Group", Owner: "node2"}, false)
		require.NoError(t, err)
		assert.False(t, res.Changed, "%s: %s", os, res.Msg)
		modern := os == "2022" || os == "2025"
		assert.Equal(t, !modern, ran(l, "node1", "cluster"), "cluster.exe where it is")
		assert.Equal(t, modern, ran(l, "node1", "powershell"), "the FailoverClusters cmdlets where cluster.exe is gone")
	})
}

// The runbook's NT 4.0 tools refuse every other Windows, in check mode
// too, before anything runs, naming the host's Windows and what to use.
func TestNTOnlyModulesRefuseOtherWindows(t *testing.T) {
	t.Parallel()
	forEachWindows(t, func(t *testing.T, l *lab.Lab, os, _ string) {
		for _, m := range []modules.Module{
			&modules.OptionPack{Setup: `D:\NTOPTPAK\EN\X86\SETUP.EXE`, InstallType: "custom", Components: []string{"iis_common"}},
			&modules.ServicePack{Path: `D:\SP6\UPDATE.EXE`, Level: "Service Pack 6"},
			&modules.IISSync{Target: "node2"},
			&modules.MSDTC{State: "joined"},
		} {
			l.Host("node1").Machine().ClearLog()
			_, err := labtest.Run(t, l, "node1", m, true)
			if os == "nt4" {
				if err != nil {
					assert.NotContains(t, err.Error(), "this host runs", "%T", m)
				}
				continue
			}
			require.Error(t, err, "%T on %s", m, os)
			assert.Contains(t, err.Error(), "this host runs", "%T", m)
			assert.Contains(t, err.Error(), "Windows Server", "%T names the host's Windows", m)
			assert.Len(t, labtest.TaskLog(l.Host("node1")), 0, "%T refused before any command: %v", m, fmt.Sprint(labtest.TaskLog(l.Host("node1"))))
		}
	})
}

// ran reports whether the tasks ran tool on the lab host.
func ran(l *lab.Lab, host, tool string) bool {
	for _, e := range labtest.TaskLog(l.Host(host)) {
		if e.Tool == tool {
			return true
		}
	}
	return false
}

// A DCOM default that is not set is Windows' built-in default (the
// lab's 2003 R2 and later, as Microsoft documents): it is written with
// that default and the new account. A MachineAccessRestriction is noted.
func TestDCOMPermissionWritesAnUnsetDefault(t *testing.T) {
	t.Parallel()
	l := labtest.StartConfig(t, lab.Config{OS: "2022", Language: "de-DE"})
	_, ok := l.Host("node1").Dump().DCOM["DefaultAccessPermission"]
	require.False(t, ok, "the value is not set on a stock 2022")
	d := &modules.DCOMPermission{Permission: "access", Accounts: []string{`CORP\IWAM_CLUSTER`}}
	res, err := labtest.Run(t, l, "node1", d, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Contains(t, res.Msg, "is not set: Windows' built-in default applies")
	acl := fmt.Sprint(l.Host("node1").Dump().DCOM["DefaultAccessPermission"])
	for _, who := range []string{"S-1-5-10", "SYSTEM", "IWAM_CLUSTER"} {
		assert.Contains(t, acl, who, "the built-in default is kept beside the new account")
	}
	res, err = labtest.Run(t, l, "node1", d, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)

	labtest.Exec(t, l.Host("node1"), `reg add HKLM\SOFTWARE\Microsoft\Ole /v MachineAccessRestriction /t REG_BINARY /d 01000480 /f`)
	res, err = labtest.Run(t, l, "node1", &modules.DCOMPermission{Permission: "access", Accounts: []string{`CORP\ClusterSvc`}}, true)
	require.NoError(t, err)
	assert.Contains(t, res.Msg, "MachineAccessRestriction also limits what DefaultAccessPermission grants")
}
