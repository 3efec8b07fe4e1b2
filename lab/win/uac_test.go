package win

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/lab/wsman"
)

// TestUACFiltersLocalAdministratorsOverWinRM: on the generations with UAC,
// a host that keeps the remote restrictions refuses the lab's login (a
// local administrator other than the built-in one) over NTLM, Basic and
// certificates, admits it as a domain account (NTLM with the domain,
// Kerberos) and as the built-in Administrator, and admits it once
// LocalAccountTokenFilterPolicy is 1, read at the next logon. Hosts
// without UAC, and hosts prepared as winrm quickconfig prepares them,
// admit it.
func TestUACFiltersLocalAdministratorsOverWinRM(t *testing.T) {
	t.Parallel()
	local := []wsman.Logon{{Method: "ntlm"}, {Method: "ntlm", Domain: "NODE1"}, {Method: "ntlm", Domain: "."},
		{Method: "basic"}, {Method: "certificate"}}
	domain := []wsman.Logon{{Method: "ntlm", Domain: "CORP"}, {Method: "basic", Domain: "corp.test"},
		{Method: "kerberos", Domain: "CORP.TEST"}}
	for _, gen := range GenerationNames() {
		t.Run(gen, func(t *testing.T) {
			t.Parallel()
			restricted, err := NewNetwork().NewMachine(Config{Name: "node1", OS: gen, Timing: fastTiming, UACRemoteRestrictions: true})
			require.NoError(t, err)
			uac := Generations[gen].UAC
			assert.Equal(t, gen != "nt4" && gen != "2003r2", uac, "UAC came with Vista/Server 2008")
			for _, l := range local {
				assert.Equal(t, !uac, restricted.AuthorizeWinRM("lab", l), "%s logon %+v", gen, l)
			}
			for _, l := range domain {
				assert.True(t, restricted.AuthorizeWinRM("lab", l), "domain accounts are not filtered: %+v", l)
			}

			mustRun(t, restricted, `reg add HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System /v LocalAccountTokenFilterPolicy /t REG_DWORD /d 1 /f`)
			for _, l := range local {
				assert.True(t, restricted.AuthorizeWinRM("lab", l), "the policy set to 1 admits the next logon: %+v", l)
			}

			prepared, err := NewNetwork().NewMachine(Config{Name: "node1", OS: gen, Timing: fastTiming})
			require.NoError(t, err)
			assert.True(t, prepared.AuthorizeWinRM("lab", wsman.Logon{Method: "ntlm"}))
			if uac {
				r := mustRun(t, prepared, `reg query HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System /v LocalAccountTokenFilterPolicy`)
				assert.Contains(t, r.out, "LocalAccountTokenFilterPolicy    REG_DWORD    0x1")
			}
		})
	}
}

// TestUACLeavesTheBuiltinAdministratorAndNonAdministrators: the built-in
// Administrator (RID 500) is not filtered; a local account outside
// Administrators is refused everywhere, as the listener grants only
// Administrators; UAC turned off (EnableLUA 0) filters nothing.
func TestUACLeavesTheBuiltinAdministratorAndNonAdministrators(t *testing.T) {
	t.Parallel()
	ntlm := wsman.Logon{Method: "ntlm"}
	admin, err := NewNetwork().NewMachine(Config{Name: "node1", OS: "2022", LoginUser: "Administrator", Timing: fastTiming, UACRemoteRestrictions: true})
	require.NoError(t, err)
	assert.True(t, admin.AuthorizeWinRM("Administrator", ntlm))
	assert.NotContains(t, mustRun(t, admin, `net localgroup Administrators`).out, "lab", "no second account was made")

	m, err := NewNetwork().NewMachine(Config{Name: "node1", OS: "2022", Timing: fastTiming, UACRemoteRestrictions: true})
	require.NoError(t, err)
	m.net.mu.Lock()
	m.addLocalUser("helper", 0)
	m.net.mu.Unlock()
	assert.False(t, m.AuthorizeWinRM("helper", ntlm), "not an administrator")
	assert.False(t, m.AuthorizeWinRM("nobody", ntlm), "no such account")

	mustRun(t, m, `reg add HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System /v EnableLUA /t REG_DWORD /d 0 /f`)
	assert.True(t, m.AuthorizeWinRM("lab", ntlm), "UAC off filters nothing")
	assert.False(t, m.AuthorizeWinRM("helper", ntlm), "still not an administrator")
}
