package win_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/modules/win"
)

func TestFactsLineIsOneLineOfConstants(t *testing.T) {
	line := win.FactsLine()
	assert.NotContains(t, line, "\n")
	assert.Less(t, len(line), 8191)
	for _, part := range []string{"ver", "set", "chcp", `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion"`} {
		assert.Contains(t, line, " & "+part+" & ")
	}
}

func TestParseFacts(t *testing.T) {
	out := strings.Join([]string{
		"[winplay:ver]", "", "Microsoft Windows [Version 10.0.20348.2113]",
		"[winplay:set]", `ComSpec=C:\Windows\system32\cmd.exe`, `SystemRoot=C:\Windows`, `TEMP=C:\Users\lab\AppData\Local\Temp`,
		`ProgramFiles=C:\Program Files`, "COMPUTERNAME=NODE1",
		"[winplay:chcp]", "Aktive Codepage: 65001.",
		"[winplay:currentversion]", "", `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion`,
		"    ProductName    REG_SZ    Windows Server 2022 Datacenter", "    CurrentBuildNumber    REG_SZ    20348", "",
		"[winplay:language]", "", `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Nls\Language`, "    InstallLanguage    REG_SZ    0407", "",
		"[winplay:codepage]", "", `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Nls\CodePage`, "    OEMCP    REG_SZ    850", "",
		"[winplay:powershell]", "", `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\PowerShell\1\PowerShellEngine`, "    PowerShellVersion    REG_SZ    2.0", "",
		"", `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\PowerShell\3\PowerShellEngine`, "    PowerShellVersion    REG_SZ    5.1.20348.1", "",
		"[winplay:tools]", "wmic", "failoverclusters", "msdtc",
		"[winplay:end]", "",
	}, "\r\n")
	f, err := win.ParseFacts(out)
	require.NoError(t, err)
	assert.Equal(t, win.Facts{
		Version: "10.0.20348.2113", Product: "Windows Server 2022 Datacenter", Build: 20348,
		SystemRoot: `C:\Windows`, Temp: `C:\Users\lab\AppData\Local\Temp`, ProgramFiles: `C:\Program Files`, ComputerName: "NODE1",
		Language: "de-DE", LCID: 0x407, CodePage: 65001, OEMCodePage: 850, PowerShell: "5.1.20348.1",
		WMIC: true, FailoverClusters: true, MSDTC: true,
	}, f)

	_, err = win.ParseFacts("[winplay:ver]\r\nMicrosoft Windows [Version 10.0.20348.2113]\r\n")
	require.Error(t, err, "output cut before the end marker")
}

func TestVerKeepsOnlyTheNumber(t *testing.T) {
	for out, want := range map[string]string{
		"\r\nMicrosoft Windows [Version 10.0.20348.2113]\r\n": "10.0.20348.2113",
		"\r\nMicrosoft Windows [Версия 10.0.19045.3570]\r\n":  "10.0.19045.3570",
		"\r\nWindows NT Version 4.0\r\n\r\n":                  "4.0",
	} {
		got, err := win.Ver(out)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	code, err := win.Chcp("Active code page: 437\r\n")
	require.NoError(t, err)
	assert.Equal(t, 437, code)
}
