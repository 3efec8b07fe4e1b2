package modules_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/modules"
)

const (
	servicePackPath  = `D:\SP6\UPDATE.EXE`
	servicePackLevel = "Service Pack 6"
	servicePackW3SVC = `C:\WINNT\system32\inetsrv\w3svc.dll`
)

// servicePackRebuiltWithIIS is a rebuilt node2 that got the Option Pack
// again: CSDVersion still says SP6, but the IIS files are the Option
// Pack's, older than SP6's, which is why the runbook reapplies it.
func servicePackRebuiltWithIIS(t *testing.T) *lab.Lab {
	t.Helper()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"}, lab.HostSpec{Name: "node2", Profile: "rebuilt"})
	installerStopCluster(t, l, "node2")
	_, err := labtest.Run(t, l, "node2", optionPackAsNode1(), false)
	require.NoError(t, err)
	require.NotEqual(t, l.Host("node1").Dump().Files[servicePackW3SVC].Version, l.Host("node2").Dump().Files[servicePackW3SVC].Version)
	return l
}

func TestServicePackReappliesAfterAReinstallByFileVersions(t *testing.T) {
	t.Parallel()
	l := servicePackRebuiltWithIIS(t)
	sp := &modules.ServicePack{
		Path: servicePackPath, Level: servicePackLevel, Reapply: true,
		FileVersions: map[string]string{servicePackW3SVC: "4.2.739.1", `C:\WINNT\system32\inetsrv\smtpsvc.dll`: "4.2.739.1"},
	}
	changesBefore := len(labtest.Changes(l, "node2"))

	res, err := labtest.Run(t, l, "node2", sp, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.True(t, res.RebootRequired, "check mode must predict update.exe -z's 3010")
	require.NotNil(t, res.Diff)
	assert.Contains(t, res.Diff.Before, servicePackW3SVC+": 4.2.622.1")
	assert.Contains(t, res.Diff.After, servicePackW3SVC+": 4.2.739.1")
	assert.Contains(t, res.Diff.Before, "smtpsvc.dll: (absent)", "a file that is not installed is reported, not required")
	assert.Len(t, labtest.Changes(l, "node2"), changesBefore, "check mode changed the host")

	res, err = labtest.Run(t, l, "node2", sp, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.True(t, res.RebootRequired, "update.exe -z exits 3010")
	node1, node2 := l.Host("node1").Dump(), l.Host("node2").Dump()
	assert.Equal(t, node1.ServicePack, node2.ServicePack)
	for _, f := range []string{servicePackW3SVC, `C:\WINNT\system32\inetsrv\asp.dll`, `C:\WINNT\system32\inetsrv\infocomm.dll`} {
		assert.Equal(t, node1.Files[f].Version, node2.Files[f].Version, f)
	}

	res, err = labtest.Run(t, l, "node2", sp, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, "second run changed something: %s", res.Msg)
	res, err = labtest.Run(t, l, "node2", sp, true)
	require.NoError(t, err)
	assert.False(t, res.Changed, "check mode after the reapply: %s", res.Msg)
	assert.False(t, res.RebootRequired)
}

func TestServicePackReapplyWithoutFileListAlwaysRunsUpdate(t *testing.T) {
	t.Parallel()
	l := servicePackRebuiltWithIIS(t)
	sp := &modules.ServicePack{Path: servicePackPath, Level: servicePackLevel, Reapply: true}

	res, err := labtest.Run(t, l, "node2", sp, true)
	require.NoError(t, err)
	assert.True(t, res.Changed, "without file_versions check mode must predict the reapply")
	assert.False(t, res.RebootRequired, "only update.exe knows whether it will replace files")
	assert.Contains(t, res.Msg, "a reboot follows if it replaces files")

	res, err = labtest.Run(t, l, "node2", sp, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.True(t, res.RebootRequired)
	assert.Equal(t, "4.2.739.1", l.Host("node2").Dump().Files[servicePackW3SVC].Version)

	// A reboot later update.exe replaces nothing and exits 0. It ran, as
	// the task asked, so the task changed, as check mode said; no reboot.
	_, err = labtest.Run(t, l, "node2", &modules.Reboot{}, false)
	require.NoError(t, err)
	ran := installerRan(l, "node2", "UPDATE.EXE")
	res, err = labtest.Run(t, l, "node2", sp, false)
	require.NoError(t, err)
	assert.True(t, res.Changed, res.Msg)
	assert.Equal(t, ran+1, installerRan(l, "node2", "UPDATE.EXE"))
	assert.False(t, res.RebootRequired, res.Msg)
	assert.Contains(t, res.Msg, "exited 0: nothing needed replacing")

	// Exit 0 with file renames pending still asks for the reboot.
	installerRun(t, l, "node2", `reg add "HKLM\SYSTEM\CurrentControlSet\Control\Session Manager" /v PendingFileRenameOperations /t REG_MULTI_SZ /d "\??\C:\WINNT\system32\x.dll.new\0" /f`)
	res, err = labtest.Run(t, l, "node2", sp, false)
	require.NoError(t, err)
	assert.True(t, res.RebootRequired, res.Msg)
	assert.Contains(t, res.Msg, "file renames pending")

	// Check mode on a node without the files (IIS not installed yet, as in
	// a dry run of the runbook) predicts the reapply the real run makes.
	withFiles := &modules.ServicePack{Path: servicePackPath, Level: servicePackLevel, Reapply: true,
		FileVersions: map[string]string{servicePackW3SVC: "4.2.739.1"}}
	fresh := labtest.Start(t, lab.HostSpec{Name: "node2", Profile: "rebuilt"})
	res, err = labtest.Run(t, fresh, "node2", withFiles, true)
	require.NoError(t, err)
	assert.True(t, res.Changed, res.Msg)
	res, err = labtest.Run(t, fresh, "node2", withFiles, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, "no IIS files, nothing to reapply: %s", res.Msg)

	// Without reapply the level alone decides.
	res, err = labtest.Run(t, l, "node1", &modules.ServicePack{Path: servicePackPath, Level: servicePackLevel}, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)
	assert.Empty(t, labtest.Changes(l, "node1"))
}

func TestServicePackAppliesAMissingLevel(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	installerRun(t, l, "node1", `reg add "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v CSDVersion /t REG_SZ /d "Service Pack 5" /f`)
	sp := &modules.ServicePack{Path: servicePackPath, Level: servicePackLevel, Options: []string{"-n", "-o"}}
	changesBefore := len(labtest.Changes(l, "node1"))

	res, err := labtest.Run(t, l, "node1", sp, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Contains(t, res.Diff.Before, "CSDVersion: Service Pack 5")
	assert.Contains(t, res.Diff.After, "CSDVersion: Service Pack 6")
	assert.Len(t, labtest.Changes(l, "node1"), changesBefore)

	res, err = labtest.Run(t, l, "node1", sp, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, servicePackLevel, l.Host("node1").Dump().ServicePack.CSDVersion)
	last := labtest.Changes(l, "node1")
	assert.Equal(t, `D:\SP6\UPDATE.EXE -u -z -n -o`, last[len(last)-1].Line)

	res, err = labtest.Run(t, l, "node1", sp, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)
}

func TestServicePackFailureNamesHostAndCommand(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	_, err := labtest.Run(t, l, "node1", &modules.ServicePack{Path: `D:\SP5\UPDATE.EXE`, Level: servicePackLevel, Reapply: true}, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node1")
	assert.Contains(t, err.Error(), `D:\SP5\UPDATE.EXE -u -z`)
}

func TestServicePackValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		sp    modules.ServicePack
		field string
	}{
		{"no path", modules.ServicePack{Level: servicePackLevel}, "path"},
		{"no level", modules.ServicePack{Path: servicePackPath}, "level"},
		{"unknown option", modules.ServicePack{Path: servicePackPath, Level: servicePackLevel, Options: []string{"/norestart"}}, "options"},
		{"files without reapply", modules.ServicePack{Path: servicePackPath, Level: servicePackLevel, FileVersions: map[string]string{servicePackW3SVC: "4.2.739.1"}}, "file_versions"},
		{"bad file version", modules.ServicePack{Path: servicePackPath, Level: servicePackLevel, Reapply: true, FileVersions: map[string]string{servicePackW3SVC: "latest"}}, "file_versions"},
		{"relative file", modules.ServicePack{Path: servicePackPath, Level: servicePackLevel, Reapply: true, FileVersions: map[string]string{"w3svc.dll": "4.2.739.1"}}, "file_versions"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.sp.Validate()
			require.NotEmpty(t, errs)
			assert.Equal(t, tc.field, errs[0].Field, "%v", errs)
		})
	}
	assert.Empty(t, (&modules.ServicePack{Path: servicePackPath, Level: servicePackLevel, Reapply: true, Options: []string{"-F"}}).Validate())
}
