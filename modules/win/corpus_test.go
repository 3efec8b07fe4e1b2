package win_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/modules/win"
)

// The corpus' issue pastes and documentation examples, each read by the
// reader of its tool. Pastes lost their CRs; the readers do not need them.

func TestSCPastesInSeveralLanguages(t *testing.T) {
	// The code after [SC] …: the exit code sc returns, in every language.
	for file, code := range map[string]int{
		"sc/create-marked-for-deletion-1072-en-US.issue.txt":  1072,
		"sc/query-missing-1060-fr-CA.issue.txt":               1060,
		"sc/start-already-running-1056-zh-CN-win7.issue.txt":  1056,
		"sc/create-start-sequence-ru-RU-win10-ltsc.issue.txt": 1060,
		"sc/create-start-sequence-zh-CN-win7.issue.txt":       1060,
		"sc/create-start-sequence-en-US-win11-23H2.issue.txt": 1060,
	} {
		assert.Equal(t, code, win.SystemError(sample(t, file)), file)
	}
	// The state block after the failures, in English, Russian and
	// Chinese hosts' sc: the labels differ (Состояние), the number and the
	// constant do not.
	for file, state := range map[string]int{
		"sc/create-start-sequence-en-US-win11-23H2.issue.txt": win.StateRunning,
		"sc/create-start-sequence-ru-RU-win10-ltsc.issue.txt": win.StateRunning,
		"sc/create-start-sequence-zh-CN-win7.issue.txt":       win.StateStartPending,
	} {
		got, err := win.ServiceState(sample(t, file))
		require.NoError(t, err, file)
		assert.Equal(t, state, got, file)
	}
	for file, mode := range map[string]string{
		"sc/qc-auto-networkservice-en-US.issue.txt":         "auto",
		"sc/qc-demand-share-process-hvhost-de-DE.cp850.txt": "manual",
	} {
		got, err := win.StartType(sample(t, file))
		require.NoError(t, err, file)
		assert.Equal(t, mode, got, file)
	}
}

func TestNetPastes(t *testing.T) {
	assert.Equal(t, 2185, win.SystemError(sample(t, "net/stop-invalid-service-name-2185-en-US.issue.txt")))
	assert.Equal(t, 2221, win.SystemError(sample(t, "net/user-guest-not-found-2221-en-US.issue.txt")))
	// Its author replaced the member by <guest name>; the layout is real.
	members, err := win.LocalGroupMembers(sample(t, "net/localgroup-guests-member-placeholder-en-US.issue-edited.txt"))
	require.NoError(t, err)
	assert.Equal(t, []string{"<guest name>"}, members)
}

func TestRegPastes(t *testing.T) {
	out := sample(t, "reg/query-missing-key-en-US.issue.txt")
	assert.Empty(t, win.RegQuery(out), "the error names no key")
	k := win.RegKeyOf(sample(t, "reg/query-v-devicepath-reg-exe-3.0-xp-2003.psdocs.txt"), `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion`)
	assert.Equal(t, []win.RegValue{{"DevicePath", "REG_EXPAND_SZ", `%SystemRoot%\inf`}}, k.Values, "REG.EXE 3.0, as the docs page shows it")
}

func TestChcpAndVerPastes(t *testing.T) {
	for file, cp := range map[string]int{
		"chcp/chcp-de-DE-850.issue.txt":    850,
		"chcp/chcp-850-en-ja-XP.issue.txt": 850,
	} {
		got, err := win.Chcp(sample(t, file))
		require.NoError(t, err, file)
		assert.Equal(t, cp, got, file)
	}
	// chcp's refusal repeats the number it was given: not a code page the
	// facts take, because the facts command gives chcp no argument.
	bad := sample(t, "chcp/chcp-850-dot-invalid-parameter-de-DE.issue.txt")
	assert.True(t, strings.HasPrefix(bad, "Parameterformat falsch"))

	v, err := win.Ver(sample(t, "cmd/ver-win10-1511-10586-remote.psdocs.txt"))
	require.NoError(t, err)
	assert.Equal(t, "10.0.10586", v)
}

func TestWMICPastes(t *testing.T) {
	// "No Instance(s) Available." and an invalid query print no
	// Name=Value line.
	assert.Empty(t, win.WMIValues(sample(t, "wmic/invalid-query-and-no-instances-en-US.issue.txt")))
	// wmic missing (Windows 11 24H2, run from pwsh): no value either; the
	// facts say wmic is absent before anything asks it.
	assert.Empty(t, win.WMIValues(sample(t, "wmic/absent-win11-24H2-pwsh-not-recognized.issue.txt")))
}

// wmic's table output is nothing a module asks for; the raw captures are
// the evidence for its CR CR LF line ends, which the lab prints too.
func TestWMICLineEnds(t *testing.T) {
	xp := sample(t, "wmic/qfe-table-first-run-xp-rtm-en-US.ansi-crcrlf.wesng.txt")
	assert.Equal(t, 4, strings.Count(xp, "\r\r\n"), "every table row ends in CR CR LF")
	ru := sample(t, "wmic/qfe-table-2012R2-ru-RU.utf8-converted.wesng.txt")
	assert.Contains(t, ru, "Администратор")
	w10 := sample(t, "wmic/qfe-table-win10-1809-en-US.utf16le-redirect.wesng.txt")
	assert.True(t, strings.HasPrefix(w10, "\xff\xfe"), "redirected to a file, wmic writes UTF-16LE with a BOM")
	assert.Empty(t, win.WMIValues(xp))
}

func TestHashfileOnRealSample(t *testing.T) {
	// A guide reflowed the Windows 7 form (bytes a space apart) into one
	// paragraph; the 32 bytes are still read.
	h, err := win.Hashfile(sample(t, "certutil/hashfile-sha256-win7-spaced-bytes.reflowed-guide.txt"))
	require.NoError(t, err)
	assert.Len(t, h, 64)
	assert.True(t, strings.HasPrefix(h, "4b9f31686eca"), h)
}

func TestShutdownPaste(t *testing.T) {
	// shutdown's message ends in the code in parentheses, as Ansible's
	// win_reboot reads "(1190)"; the exit code (1115) decides.
	out := sample(t, "shutdown/r-f-t-60-c-in-progress-1115-stderr-en-US.packer-winrm.txt")
	assert.Equal(t, 1115, win.SystemError(out))
}

func TestSeceditExportOnRealSample(t *testing.T) {
	inf := sample(t, "secedit/export-full-win10-2016-era-en-US.utf8-converted.securitypolicydsc.txt")
	rights, err := win.PrivilegeRights(inf, nil)
	require.NoError(t, err)
	require.NotEmpty(t, rights)
	var names, sids int
	for _, holders := range rights {
		for _, h := range holders {
			if strings.HasPrefix(h, "*S-1-") {
				sids++
			} else {
				names++
			}
		}
	}
	assert.Positive(t, sids)
	assert.Positive(t, names, "a real export mixes *SIDs and account names")
}
