package wsman

import "strings"

// Authorizer is a Machine that decides whether a logon, once its
// credentials are proven, may use the WinRM service at all. Windows checks
// the logon's token against the listener's RootSDDL, which by default
// grants only BUILTIN\Administrators; a token that fails the check is
// answered 401, the same as a wrong password. That is what a local
// administrator other than the built-in one meets on Vista/Server 2008
// and later when UAC filters its network logon (LocalAccountTokenFilterPolicy
// unset): pywinrm raises "the specified credentials were rejected by the
// server" at open_shell (diyan/pywinrm#188, Server 2012 R2, NTLM), and
// Ansible's Windows guide lists "a local user and the
// LocalAccountTokenFilterPolicy is not set" among the reasons credentials
// are rejected. A Machine that does not implement it admits every logon.
type Authorizer interface {
	// AuthorizeWinRM reports whether user, logged on as l, gets a token
	// the WinRM service accepts.
	AuthorizeWinRM(user string, l Logon) bool
}

// admits asks the machine, if it decides, whether a fresh logon may in.
func (s *Server) admits(user string, l Logon) bool {
	a, ok := s.cfg.Machine.(Authorizer)
	return !ok || a.AuthorizeWinRM(user, l)
}

// domainOf is the domain part of a user name as a client writes it:
// DOMAIN\user or user@domain; "" for a bare name.
func domainOf(name string) string {
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		return name[:i]
	}
	if i := strings.IndexByte(name, '@'); i >= 0 {
		return name[i+1:]
	}
	return ""
}
