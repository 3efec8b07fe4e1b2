package modules_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/modules"
)

const (
	optionPackSetup   = `D:\NTOPTPAK\EN\X86\SETUP.EXE`
	optionPackSubKey  = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Setup\OC Manager\Subcomponents`
	optionPackStpKey  = `HKLM\SOFTWARE\Microsoft\InetStp`
	optionPackService = "W3SVC"
)

// optionPackAsNode1 is the original installation of the lab's cluster:
// Custom, with SMTP, Index Server and MSMQ unticked.
func optionPackAsNode1() *modules.OptionPack {
	return &modules.OptionPack{Setup: optionPackSetup, InstallType: "custom", Exclude: []string{"smtp", "indexsrv", "msmq"}}
}

func TestOptionPackReinstallsAsTheOriginalOnARebuiltNode(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"}, lab.HostSpec{Name: "node2", Profile: "rebuilt"})
	installerStopCluster(t, l, "node2")
	op := optionPackAsNode1()
	changesBefore := len(labtest.Changes(l, "node2"))

	res, err := labtest.Run(t, l, "node2", op, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.True(t, res.RebootRequired, "check mode must predict setup's 3010, so that a dry run shows the reboot")
	require.NotNil(t, res.Diff)
	assert.Contains(t, res.Diff.Before, "installed: false")
	assert.Contains(t, res.Diff.After, "install_type: Custom")
	assert.Contains(t, res.Diff.After, "component smtp: off")
	assert.Contains(t, res.Diff.After, "component iis_ftp: on")
	assert.Len(t, labtest.Changes(l, "node2"), changesBefore, "check mode changed the host")
	assert.False(t, l.Host("node2").Dump().IIS.Installed)

	res, err = labtest.Run(t, l, "node2", op, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.True(t, res.RebootRequired, "setup exits 3010")
	node1, node2 := l.Host("node1").Dump(), l.Host("node2").Dump()
	assert.Equal(t, node1.IIS, node2.IIS, "InetStp differs from the original installation")
	assert.Equal(t, node1.Components, node2.Components, "components differ from the original installation")
	assert.Equal(t, node1.Registry[optionPackStpKey]["InstallType"], node2.Registry[optionPackStpKey]["InstallType"])
	assert.Equal(t, node1.Registry[optionPackSubKey], node2.Registry[optionPackSubKey])
	assert.Contains(t, node2.Services, optionPackService)
	for name := range node2.Files {
		assert.NotContains(t, strings.ToLower(name), "winplay-", "answer file left outside the scratch directory")
	}

	res, err = labtest.Run(t, l, "node2", op, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, "second run changed something: %s", res.Msg)
	res, err = labtest.Run(t, l, "node1", op, true)
	require.NoError(t, err)
	assert.False(t, res.Changed, "node1 has this installation: %s", res.Msg)
	assert.False(t, res.RebootRequired, "nothing to install, no reboot to predict")

	// Listing the components is the same request.
	listed := &modules.OptionPack{Setup: optionPackSetup, InstallType: "custom", Components: []string{"iis_common", "iis_www", "iis_ftp", "mts_core"}}
	res, err = labtest.Run(t, l, "node2", listed, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)
}

func TestOptionPackRefusesWhileTheClusterServiceRuns(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node2", Profile: "rebuilt"})
	op := optionPackAsNode1()

	res, err := labtest.Run(t, l, "node2", op, true)
	require.NoError(t, err, "check mode cannot know an earlier task stops ClusSvc")
	assert.True(t, res.Changed)
	assert.Contains(t, res.Msg, "ClusSvc")

	_, err = labtest.Run(t, l, "node2", op, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node2")
	assert.Contains(t, err.Error(), "ClusSvc")
	assert.Empty(t, labtest.Changes(l, "node2"), "setup ran although the cluster service runs")
}

func TestOptionPackRemoveAllOnACorruptedNodeThenReinstall(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1", Profile: "corrupted"})
	installerStopCluster(t, l, "node1")
	remove := &modules.OptionPack{Setup: optionPackSetup, State: "absent"}

	res, err := labtest.Run(t, l, "node1", remove, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.True(t, res.RebootRequired, "Remove All exits 3010 too")
	assert.True(t, l.Host("node1").Dump().IIS.Installed)
	require.Contains(t, l.Host("node1").Dump().Groups, "MTS Trusted Impersonators")

	res, err = labtest.Run(t, l, "node1", remove, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.True(t, res.RebootRequired)
	st := l.Host("node1").Dump()
	assert.False(t, st.IIS.Installed)
	assert.True(t, st.MSDTC.Installed, "Remove All keeps MSDTC")
	assert.NotContains(t, st.Groups, "MTS Trusted Impersonators", "Remove All deletes the group, as the Keys say")

	res, err = labtest.Run(t, l, "node1", remove, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)

	res, err = labtest.Run(t, l, "node1", optionPackAsNode1(), false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, "Custom", l.Host("node1").Dump().IIS.InstallType)
}

func TestOptionPackOtherComponentsAreRemovedFirst(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	installerStopCluster(t, l, "node1")
	typical := &modules.OptionPack{Setup: optionPackSetup, InstallType: "typical"}
	res, err := labtest.Run(t, l, "node1", typical, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.True(t, res.RebootRequired)
	st := l.Host("node1").Dump()
	assert.Equal(t, "Typical", st.IIS.InstallType)
	assert.True(t, st.Components["smtp"])
	assert.False(t, st.Components["indexsrv"])

	res, err = labtest.Run(t, l, "node1", typical, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)
}

func TestOptionPackValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		op    modules.OptionPack
		field string
		msg   string
	}{
		{"no setup", modules.OptionPack{InstallType: "typical"}, "setup", ""},
		{"no install type", modules.OptionPack{Setup: optionPackSetup}, "install_type", ""},
		{"bad install type", modules.OptionPack{Setup: optionPackSetup, InstallType: "full"}, "install_type", ""},
		{"custom without components", modules.OptionPack{Setup: optionPackSetup, InstallType: "custom"}, "components", ""},
		{"unknown component", modules.OptionPack{Setup: optionPackSetup, InstallType: "custom", Exclude: []string{"index_server"}}, "exclude", `did you mean "indexsrv"`},
		{"both lists", modules.OptionPack{Setup: optionPackSetup, InstallType: "custom", Components: []string{"iis_www"}, Exclude: []string{"smtp"}}, "exclude", ""},
		{"components on typical", modules.OptionPack{Setup: optionPackSetup, InstallType: "typical", Components: []string{"iis_www"}}, "install_type", ""},
		{"bad state", modules.OptionPack{Setup: optionPackSetup, State: "removed"}, "state", ""},
		{"absent with a type", modules.OptionPack{Setup: optionPackSetup, State: "absent", InstallType: "typical"}, "state", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.op.Validate()
			require.NotEmpty(t, errs)
			assert.Equal(t, tc.field, errs[0].Field, "%v", errs)
			assert.Contains(t, errs[0].Msg, tc.msg)
		})
	}
	assert.Empty(t, optionPackAsNode1().Validate())
	assert.Empty(t, (&modules.OptionPack{Setup: optionPackSetup, State: "absent"}).Validate())
}

func TestOptionPackAnswerFile(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "[Global]\r\nAction=Install\r\nInstallType=Custom\r\n[Components]\r\n"+
		"iis_common=on\r\niis_www=on\r\niis_ftp=on\r\nmts_core=on\r\nmsmq=off\r\nsmtp=off\r\nindexsrv=off\r\n",
		optionPackAsNode1().AnswerFile())
	assert.Equal(t, "[Global]\r\nAction=RemoveAll\r\n", (&modules.OptionPack{Setup: optionPackSetup, State: "absent"}).AnswerFile())
}

func TestOptionPackModulesNameWhatTheyChange(t *testing.T) {
	t.Parallel()
	for _, m := range []modules.Module{optionPackAsNode1(), &modules.MSDTC{State: "joined"},
		&modules.ServicePack{Path: servicePackPath, Level: servicePackLevel}, &modules.Copy{Dest: `C:\A.ini`},
		&modules.Installer{Path: `D:\Setup.exe`}} {
		k, ok := m.(modules.Keyer)
		require.True(t, ok, "%T is no Keyer: a dry run cannot carry its predicted change", m)
		assert.NotEmpty(t, k.Keys())
	}
	assert.Equal(t, []string{`file:c:\a.ini`}, (&modules.Copy{Dest: `C:\A.ini`}).Keys())

	// Setup resets the MTS group a later group_member task fills, so a
	// dry run carries the Option Pack's change to it.
	member := &modules.GroupMember{Name: "MTS Trusted Impersonators ", Members: []string{`CORP\IWAM_CLUSTER`}}
	for _, op := range []*modules.OptionPack{optionPackAsNode1(), {Setup: optionPackSetup, State: "absent"}} {
		assert.Subset(t, op.Keys(), member.Keys(), "state %q", op.State)
	}
	assert.NotContains(t, optionPackAsNode1().Keys(), (&modules.GroupMember{Name: "Guests"}).Keys()[0])

	// Setup programs whose every change reboots say so, for a dry run
	// that carries a change to them.
	for _, m := range []modules.Module{optionPackAsNode1(), &modules.ServicePack{Path: servicePackPath, Level: servicePackLevel},
		&modules.Installer{Path: `D:\Setup.exe`, ExpectReboot: true}} {
		r, ok := m.(modules.Rebooter)
		require.True(t, ok, "%T", m)
		assert.True(t, r.RebootsWhenChanged(), "%T", m)
	}
	assert.False(t, (&modules.Installer{Path: `D:\Setup.exe`}).RebootsWhenChanged(), "an installer reboots only when the task says so")
}
