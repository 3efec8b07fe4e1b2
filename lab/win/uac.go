package win

import (
	"strings"

	"github.com/winplay/winplay/lab/wsman"
)

// UAC's remote restrictions, as Microsoft describes them ("Description of
// User Account Control and remote restrictions", KB951016; the "Apply UAC
// restrictions to local accounts on network logons" policy of the security
// baseline): on Vista/Server 2008 and later a member of the local
// Administrators group that logs on over the network with a local (SAM)
// account gets a filtered token, "Membership in powerful group such as
// Administrators is disabled", unless
// HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System
// LocalAccountTokenFilterPolicy is 1. A domain account in the
// Administrators group "will run with a full administrator access token",
// and the built-in Administrator (RID 500) is not filtered by default.
// With UAC off (EnableLUA 0) nothing is filtered.
//
// WinRM's listener grants access to BUILTIN\Administrators only (the
// default RootSDDL O:NSG:BAD:P(A;;GA;;;BA)..., quoted in pywinrm issues
// #158 and #258), so a filtered token, like any token without
// Administrators, is refused before a shell exists: HTTP 401 at the first
// request, the one that carries the logon (wsman.Authorizer says which
// sources show that). `winrm quickconfig` sets the value to 1 ("Configure
// LocalAccountTokenFilterPolicy to grant administrative rights remotely to
// local users", as quoted in MicrosoftDocs/azure-docs#10202); Server 2012
// and later have WinRM on out of the box, without it (test-kitchen/kitchen-ec2
// #348: not set on 2016). The lab's hosts are prepared as quickconfig
// prepares them unless Config.UACRemoteRestrictions says otherwise.

// policiesSystemKey holds UAC's settings.
const policiesSystemKey = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System`

// setUACPolicy writes the UAC values of a generation that has UAC: on,
// and the token filter off unless the host keeps the remote restrictions.
func (m *Machine) setUACPolicy() {
	if !m.os.UAC {
		return
	}
	m.reg.setDWORD(policiesSystemKey, "EnableLUA", 1)
	if !m.uacRestricted {
		m.reg.setDWORD(policiesSystemKey, "LocalAccountTokenFilterPolicy", 1)
	}
}

// loginAccount is the account WinRM logs in as: the built-in
// Administrator when the lab's login is its name, otherwise a local user
// of its own (a local administrator other than the built-in one).
func (m *Machine) loginAccount(admin *account) *account {
	if strings.EqualFold(m.login, admin.name) {
		return admin
	}
	return m.addLocalUser(m.login, 0)
}

// AuthorizeWinRM implements wsman.Authorizer: the logon's token must hold
// Administrators, unfiltered. It reads the policy at each logon, as
// Windows builds the token then: a changed value applies to the next one.
func (m *Machine) AuthorizeWinRM(user string, l wsman.Logon) bool {
	m.net.mu.Lock()
	defer m.net.mu.Unlock()
	if !m.localLogon(l) {
		// The realm's user of this name stands for a domain account in
		// Domain Admins, which every host's Administrators holds.
		return true
	}
	a := m.localUser(user)
	if a == nil {
		return false
	}
	return m.groupBySID(sidAdministrators).has(a.sid) && !m.filtersToken(a)
}

// localLogon reports whether a WinRM logon is of one of the host's own
// accounts: Basic and certificates map to local accounts, NTLM does
// unless it names the lab's domain, Kerberos never does.
func (m *Machine) localLogon(l wsman.Logon) bool {
	switch l.Method {
	case "kerberos":
		return false
	case "ntlm", "basic":
		d := strings.ToUpper(l.Domain)
		return d != "CORP" && !strings.HasPrefix(d, "CORP.")
	}
	return true
}

// filtersToken reports whether UAC gives a's network logon a filtered
// token.
func (m *Machine) filtersToken(a *account) bool {
	if !m.os.UAC || strings.HasSuffix(a.sid, "-500") {
		return false
	}
	if lua, ok := m.reg.dword(policiesSystemKey, "EnableLUA"); ok && lua == 0 {
		return false
	}
	v, _ := m.reg.dword(policiesSystemKey, "LocalAccountTokenFilterPolicy")
	return v != 1
}
