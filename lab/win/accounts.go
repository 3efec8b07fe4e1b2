package win

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
)

// corpSID is the domain SID of CORP, shared by every host of a lab.
const corpSID = "S-1-5-21-1004336348-1177238915-682003330"

// account is a user, group or alias that has a SID.
type account struct {
	domain string // CORP, the host's NetBIOS name, BUILTIN, NT AUTHORITY, or "" (Everyone)
	name   string
	sid    string
}

// qualified returns DOMAIN\name, or the bare name of a well-known group
// without a domain.
func (a *account) qualified() string {
	if a.domain == "" {
		return a.name
	}
	return a.domain + `\` + a.name
}

var wellKnown = []*account{
	{"", "Everyone", "S-1-1-0"},
	{"", "CREATOR OWNER", "S-1-3-0"},
	{"NT AUTHORITY", "NETWORK", "S-1-5-2"},
	{"NT AUTHORITY", "INTERACTIVE", "S-1-5-4"},
	{"NT AUTHORITY", "SERVICE", "S-1-5-6"},
	{"NT AUTHORITY", "Authenticated Users", "S-1-5-11"},
	{"NT AUTHORITY", "SYSTEM", "S-1-5-18"},
	{"NT AUTHORITY", "LOCAL SERVICE", "S-1-5-19"},
	{"NT AUTHORITY", "NETWORK SERVICE", "S-1-5-20"},
}

// builtinAliases are the local groups every host has, with their NT 4.0
// comments.
var builtinAliases = []struct{ name, comment string }{
	{"Administrators", "Members can fully administer the computer/domain"},
	{"Users", "Ordinary users"},
	{"Guests", "Users granted guest access to the computer/domain"},
	{"Power Users", "Members can share directories and printers"},
	{"Backup Operators", "Members can bypass file security to back up files"},
	{"Replicator", "Supports file replication in a domain"},
}

var builtinRIDs = map[string]int{
	"Administrators": 544, "Users": 545, "Guests": 546, "Power Users": 547,
	"Backup Operators": 551, "Replicator": 552,
}

// domainAccounts are the accounts of CORP.
func domainAccounts() []*account {
	var out []*account
	for _, a := range []struct {
		name string
		rid  int
	}{
		{"Administrator", 500}, {"Domain Admins", 512}, {"Domain Users", 513}, {"Domain Guests", 514},
		{"IUSR_CLUSTER", 1105}, {"IWAM_CLUSTER", 1106}, {"ClusterSvc", 1107},
	} {
		out = append(out, &account{"CORP", a.name, fmt.Sprintf("%s-%d", corpSID, a.rid)})
	}
	return out
}

// machineSID derives a stable machine SID from the host name, so dumps are
// deterministic across runs.
func machineSID(netbios string) string {
	h := fnv.New64a()
	h.Write([]byte(netbios))
	v := h.Sum64()
	return fmt.Sprintf("S-1-5-21-%d-%d-%d", 1000000000+v%1000000000, 1000000000+(v>>21)%1000000000, 1000000000+(v>>42)%1000000000)
}

// localGroup is a local group (an alias); members are SIDs in the order
// they were added.
type localGroup struct {
	name    string
	comment string
	sid     string
	members []string
}

func (g *localGroup) has(sid string) bool {
	for _, m := range g.members {
		if m == sid {
			return true
		}
	}
	return false
}

func (g *localGroup) remove(sid string) {
	for i, m := range g.members {
		if m == sid {
			g.members = append(g.members[:i], g.members[i+1:]...)
			return
		}
	}
}

func (m *Machine) group(name string) *localGroup {
	for _, g := range m.groups {
		if strings.EqualFold(g.name, name) {
			return g
		}
	}
	return nil
}

// groupBySID finds a built-in group by its well-known SID, whatever its
// name in the host's language.
func (m *Machine) groupBySID(sid string) *localGroup {
	for _, g := range m.groups {
		if g.sid == sid {
			return g
		}
	}
	return nil
}

// localName is a built-in account's name in the host's language: the
// Administrator (RID 500) is Администратор on a Russian host.
func (m *Machine) localName(rid int, english string) string {
	if n := m.lang.accountName(fmt.Sprintf("%s-%d", m.sid, rid)); n != "" {
		return n
	}
	return english
}

// addLocalUser creates a local account with the next free RID.
func (m *Machine) addLocalUser(name string, rid int) *account {
	if a := m.localUser(name); a != nil {
		return a
	}
	if rid == 0 {
		m.nextRID++
		rid = m.nextRID
	}
	a := &account{m.netbios, name, fmt.Sprintf("%s-%d", m.sid, rid)}
	m.users = append(m.users, a)
	return a
}

func (m *Machine) localUser(name string) *account {
	for _, a := range m.users {
		if strings.EqualFold(a.name, name) {
			return a
		}
	}
	return nil
}

func (m *Machine) removeLocalUser(name string) {
	for i, a := range m.users {
		if strings.EqualFold(a.name, name) {
			m.users = append(m.users[:i], m.users[i+1:]...)
			return
		}
	}
}

// addLocalGroup creates a non-builtin local group under the machine SID.
func (m *Machine) addLocalGroup(name, comment string) *localGroup {
	if g := m.group(name); g != nil {
		return g
	}
	m.nextRID++
	g := &localGroup{name: name, comment: comment, sid: fmt.Sprintf("%s-%d", m.sid, m.nextRID)}
	m.groups = append(m.groups, g)
	return g
}

// removeLocalGroup deletes a local group, if it exists.
func (m *Machine) removeLocalGroup(name string) {
	for i, g := range m.groups {
		if strings.EqualFold(g.name, name) {
			m.groups = append(m.groups[:i], m.groups[i+1:]...)
			return
		}
	}
}

// allAccounts lists every name this host can resolve, most local first, as
// LookupAccountName searches.
func (m *Machine) allAccounts() []*account {
	var out []*account
	out = append(out, m.users...)
	for _, g := range m.groups {
		domain := m.netbios
		if strings.HasPrefix(g.sid, "S-1-5-32-") {
			domain = m.lang.builtin()
		}
		out = append(out, &account{domain, g.name, g.sid})
	}
	for _, a := range wellKnown {
		// Well-known accounts have their names in the host's language
		// (NT-AUTORITÄT\Authentifizierte Benutzer).
		if n := m.lang.accountName(a.sid); n != "" {
			local := *a
			if d, u, ok := strings.Cut(n, `\`); ok {
				local.domain, local.name = d, u
			} else {
				local.name = n
			}
			out = append(out, &local)
			continue
		}
		out = append(out, a)
	}
	out = append(out, m.net.domain...)
	return out
}

// lookupName resolves DOMAIN\name or name to an account.
func (m *Machine) lookupName(name string) *account {
	domain, user := "", name
	if i := strings.IndexByte(name, '\\'); i >= 0 {
		domain, user = name[:i], name[i+1:]
	}
	if strings.EqualFold(domain, ".") {
		domain = m.netbios
	}
	for _, a := range m.allAccounts() {
		if !strings.EqualFold(a.name, user) {
			continue
		}
		if domain == "" || strings.EqualFold(a.domain, domain) {
			return a
		}
	}
	return nil
}

// lookupSID finds the account of a SID, or nil.
func (m *Machine) lookupSID(sid string) *account {
	for _, a := range m.allAccounts() {
		if strings.EqualFold(a.sid, sid) {
			return a
		}
	}
	return nil
}

// memberName is how net localgroup prints a member: domain accounts as
// DOMAIN\name, local accounts and Everyone bare, unknown SIDs as SIDs.
func (m *Machine) memberName(sid string) string {
	a := m.lookupSID(sid)
	switch {
	case a == nil:
		return sid
	case a.domain == m.netbios || a.domain == "":
		return a.name
	default:
		return a.qualified()
	}
}

// accountName is the fully qualified name of a SID, for the state dump.
func (m *Machine) accountName(sid string) string {
	if a := m.lookupSID(sid); a != nil {
		return a.qualified()
	}
	return sid
}

// resolveAccount takes `*S-1-…` or a name, as secedit INF files hold them.
func (m *Machine) resolveAccount(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "*") {
		sid := s[1:]
		return sid, validSID(sid)
	}
	if a := m.lookupName(s); a != nil {
		return a.sid, true
	}
	return "", false
}

// validSID checks the S-1-N-… form.
func validSID(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || !strings.EqualFold(parts[0], "S") || parts[1] != "1" {
		return false
	}
	for _, p := range parts[2:] {
		if p == "" || strings.Trim(p, "0123456789") != "" || len(p) > 10 {
			return false
		}
	}
	return true
}

// userRights are the NT 4.0 privileges and logon rights secedit knows.
var userRights = []string{
	"SeAssignPrimaryTokenPrivilege", "SeAuditPrivilege", "SeBackupPrivilege", "SeBatchLogonRight",
	"SeChangeNotifyPrivilege", "SeCreatePagefilePrivilege", "SeCreatePermanentPrivilege",
	"SeCreateTokenPrivilege", "SeDebugPrivilege", "SeIncreaseBasePriorityPrivilege",
	"SeIncreaseQuotaPrivilege", "SeInteractiveLogonRight", "SeLoadDriverPrivilege",
	"SeLockMemoryPrivilege", "SeMachineAccountPrivilege", "SeNetworkLogonRight",
	"SeProfileSingleProcessPrivilege", "SeRemoteShutdownPrivilege", "SeRestorePrivilege",
	"SeSecurityPrivilege", "SeServiceLogonRight", "SeShutdownPrivilege",
	"SeSystemEnvironmentPrivilege", "SeSystemProfilePrivilege", "SeSystemtimePrivilege",
	"SeTakeOwnershipPrivilege", "SeTcbPrivilege",
}

func canonicalRight(name string) (string, bool) {
	for _, r := range userRights {
		if strings.EqualFold(r, name) {
			return r, true
		}
	}
	return "", false
}

// grant adds holders to a right, keeping the order and skipping duplicates.
func (m *Machine) grant(right string, sids ...string) {
	for _, sid := range sids {
		found := false
		for _, h := range m.rights[right] {
			if h == sid {
				found = true
			}
		}
		if !found {
			m.rights[right] = append(m.rights[right], sid)
		}
	}
}

func sortedKeys[V any](mp map[string]V) []string {
	out := make([]string, 0, len(mp))
	for k := range mp {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
