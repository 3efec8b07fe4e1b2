package conn

import (
	"fmt"
	"strings"
)

// tokenFilterKey holds LocalAccountTokenFilterPolicy.
const tokenFilterKey = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System`

// uacHint explains the 401 that a right password also gets. On Windows
// Vista/Server 2008 and later, UAC gives a local administrator other than
// the built-in Administrator a filtered token on a network logon unless
// LocalAccountTokenFilterPolicy is 1 (Microsoft KB951016), and WinRM's
// listener, which admits only Administrators, answers that logon 401 as
// it answers a wrong password (diyan/pywinrm#188; Ansible's Windows guide,
// "Credentials are rejected"). Nothing on the wire tells the two apart,
// so the hint is given for every local account that is not the built-in
// Administrator, and says so. It is "" for domain accounts (not filtered)
// and for transports that never log on a local account (Kerberos).
func uacHint(cfg Config) string {
	switch cfg.Transport {
	case "", "basic", "ntlm", "certificate":
	default:
		return ""
	}
	who := "the local account the client certificate maps to"
	if cfg.Transport != "certificate" {
		user, ok := localAccount(cfg.User, cfg.Name, cfg.Address)
		if !ok || strings.EqualFold(user, "Administrator") {
			return ""
		}
		who = user + ", a local account,"
	}
	return fmt.Sprintf("if the password is right, %s may be a local administrator other than the built-in Administrator: "+
		"Windows Vista/Server 2008 and later give such an account a UAC-filtered token over the network (UAC remote restrictions), "+
		"and WinRM refuses it with this same 401. On %s, set %s\\LocalAccountTokenFilterPolicy to 1 "+
		"(reg add %s /v LocalAccountTokenFilterPolicy /t REG_DWORD /d 1 /f, as winrm quickconfig does), "+
		"or log on with a domain account in %s's Administrators group, or with the built-in Administrator",
		who, cfg.Name, tokenFilterKey, tokenFilterKey, cfg.Name)
}

// localAccount returns the account name of user when it names one of the
// host's own accounts: a bare name, .\name, or HOST\name with the host's
// inventory name or the first label of its address. user@domain and any
// other DOMAIN\name are domain accounts.
func localAccount(user, host, address string) (string, bool) {
	if strings.Contains(user, "@") {
		return "", false
	}
	domain, name, qualified := strings.Cut(user, `\`)
	if !qualified {
		return user, user != ""
	}
	label, _, _ := strings.Cut(address, ".")
	local := domain == "." || strings.EqualFold(domain, host) || strings.EqualFold(domain, label)
	return name, local && name != ""
}
