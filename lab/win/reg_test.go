package win

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRegQuery(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	r := mustRun(t, m, `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v CSDVersion`)
	assert.Equal(t, "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n    CSDVersion    REG_SZ    Service Pack 6\r\n\r\n", r.out)

	r = mustRun(t, m, `reg query HKLM\SOFTWARE\Microsoft\InetStp`)
	assert.Contains(t, r.out, "    MajorVersion    REG_DWORD    0x4\r\n")

	r = mustRun(t, m, `reg query HKLM\SOFTWARE\Microsoft /s /v Clustered`)
	assert.Contains(t, r.out, "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSDTC\r\n    Clustered    REG_DWORD    0x1\r\n")
	assert.Contains(t, r.out, "End of search: 1 match(es) found.")

	for _, line := range []string{
		`reg query HKLM\SOFTWARE\NoSuch`,
		`reg query HKLM\SOFTWARE\Microsoft\InetStp /v NoSuch`,
	} {
		r = run(m, line)
		assert.Equal(t, 1, r.code, line)
		assert.Equal(t, "ERROR: The system was unable to find the specified registry key or value.\r\n", r.err, line)
	}
	r = run(m, `reg query HKXX\Software`)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, "ERROR: Invalid key name.")
}

func TestRegAddTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, typ, data string
		want            string
	}{
		{"sz", "REG_SZ", `"a value"`, "REG_SZ    a value"},
		// On the command line only a caret keeps cmd.exe from expanding.
		{"expand", "REG_EXPAND_SZ", `^%SystemRoot^%\x`, `REG_EXPAND_SZ    %SystemRoot%\x`},
		{"dword_hex", "REG_DWORD", "0x10", "REG_DWORD    0x10"},
		{"dword_decimal", "REG_DWORD", "16", "REG_DWORD    0x10"},
		{"binary", "REG_BINARY", "01000480ff", "REG_BINARY    01000480FF"},
		{"multi", "REG_MULTI_SZ", `one\0two`, `REG_MULTI_SZ    one\0two`},
	}
	m := newHost(t, ProfileNode)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, "The operation completed successfully.\r\n",
				mustRun(t, m, `reg add HKLM\SOFTWARE\Lab /v `+tt.name+` /t `+tt.typ+` /d `+tt.data+` /f`).out)
			r := mustRun(t, m, `reg query HKLM\SOFTWARE\Lab /v `+tt.name)
			assert.Contains(t, r.out, "    "+tt.name+"    "+tt.want+"\r\n")
		})
	}
	r := run(m, `reg add HKLM\SOFTWARE\Lab /v bad /t REG_DWORD /d nonsense /f`)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, "ERROR: Invalid syntax.")
	r = run(m, `reg add HKLM\SOFTWARE\Lab /v bad /t REG_BINARY /d xyz /f`)
	assert.Equal(t, 1, r.code)
}

func TestRegOverwriteAndDelete(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	mustRun(t, m, `reg add HKLM\SOFTWARE\Lab\Sub /v v /d first`)
	r := run(m, `reg add HKLM\SOFTWARE\Lab\Sub /v v /d second`)
	assert.Equal(t, 1, r.code, "without /f nobody confirms the overwrite")
	assert.Contains(t, mustRun(t, m, `reg query HKLM\SOFTWARE\Lab\Sub /v v`).out, "REG_SZ    first")

	r = run(m, `reg delete HKLM\SOFTWARE\Lab\Sub /v v`)
	assert.Equal(t, 1, r.code)
	mustRun(t, m, `reg delete HKLM\SOFTWARE\Lab\Sub /v v /f`)
	assert.Equal(t, 1, run(m, `reg query HKLM\SOFTWARE\Lab\Sub /v v`).code)
	assert.Equal(t, 1, run(m, `reg delete HKLM\SOFTWARE\Lab\Sub /v v /f`).code)

	assert.Equal(t, "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Lab\\Sub\r\n", mustRun(t, m, `reg query HKLM\SOFTWARE\Lab`).out)
	mustRun(t, m, `reg delete HKLM\SOFTWARE\Lab /f`)
	assert.Equal(t, 1, run(m, `reg query HKLM\SOFTWARE\Lab\Sub`).code)
	assert.NotContains(t, m.Dump().Registry, `HKEY_LOCAL_MACHINE\SOFTWARE\Lab`)
}

func TestDCOMDefaultDescriptors(t *testing.T) {
	t.Parallel()
	_, ms := newHosts(t, ProfileNode, ProfileRebuilt)
	healthy, rebuilt := ms[0].Dump().DCOM, ms[1].Dump().DCOM
	for _, name := range []string{"DefaultAccessPermission", "DefaultLaunchPermission"} {
		want := []ACEState{
			{Type: "allow", Account: `BUILTIN\Administrators`, SID: sidAdministrators, Mask: comRightsExecute},
			{Type: "allow", Account: `NT AUTHORITY\SYSTEM`, SID: sidSystem, Mask: comRightsExecute},
			{Type: "allow", Account: `NT AUTHORITY\INTERACTIVE`, SID: sidInteractive, Mask: comRightsExecute},
		}
		assert.Equal(t, DCOMState{Owner: `BUILTIN\Administrators`, Group: `NT AUTHORITY\SYSTEM`, ACEs: want}, rebuilt[name], name)
		want = append(want,
			ACEState{Type: "allow", Account: `CORP\IUSR_CLUSTER`, SID: sidIUSRCluster, Mask: comRightsExecute},
			ACEState{Type: "allow", Account: `CORP\IWAM_CLUSTER`, SID: sidIWAMCluster, Mask: comRightsExecute})
		assert.Equal(t, want, healthy[name].ACEs, name)
	}

	// The value is a self-relative descriptor that reg.exe reads and
	// writes as hex; a deny ACE written back decodes as one.
	grantDCOM(t, ms[1], "DefaultAccessPermission", sidGuests)
	m := ms[1]
	m.net.mu.Lock()
	v := m.reg.get(oleKey, "DefaultAccessPermission")
	sd, err := parseSD(v.bin)
	m.net.mu.Unlock()
	assert.NoError(t, err)
	sd.dacl[len(sd.dacl)-1].typ = aceAccessDenied
	b, err := sd.bytes()
	assert.NoError(t, err)
	mustRun(t, m, `reg add HKLM\SOFTWARE\Microsoft\Ole /v DefaultAccessPermission /t REG_BINARY /d `+hexUpper(b)+` /f`)
	aces := m.Dump().DCOM["DefaultAccessPermission"].ACEs
	assert.Equal(t, ACEState{Type: "deny", Account: `BUILTIN\Guests`, SID: sidGuests, Mask: comRightsExecute}, aces[len(aces)-1])

	mustRun(t, m, `reg add HKLM\SOFTWARE\Microsoft\Ole /v DefaultLaunchPermission /t REG_BINARY /d 0100 /f`)
	assert.Equal(t, "security descriptor shorter than its header", m.Dump().DCOM["DefaultLaunchPermission"].Error)
}

func hexUpper(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }
