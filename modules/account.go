package modules

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/winplay/winplay/modules/cmdline"
	"github.com/winplay/winplay/modules/win"
)

// Account names in playbooks take the forms Windows accepts: DOMAIN\name,
// .\name (a local account), name@DOMAIN, a bare name (local first, then
// the domain, as LookupAccountName searches), or a SID, with or without
// the * that secedit INF files put before it.

// wellKnownSIDs are the accounts whose SIDs are the same on every Windows
// host; they are resolved without asking the host. Keys are lower case;
// a BUILTIN\ or NT AUTHORITY\ prefix is optional.
var wellKnownSIDs = map[string]string{
	"everyone":            "S-1-1-0",
	"creator owner":       "S-1-3-0",
	"network":             "S-1-5-2",
	"batch":               "S-1-5-3",
	"interactive":         "S-1-5-4",
	"service":             "S-1-5-6",
	"anonymous logon":     "S-1-5-7",
	"authenticated users": "S-1-5-11",
	"system":              "S-1-5-18",
	"local service":       "S-1-5-19",
	"network service":     "S-1-5-20",
	"administrators":      "S-1-5-32-544",
	"users":               "S-1-5-32-545",
	"guests":              "S-1-5-32-546",
	"power users":         "S-1-5-32-547",
	"account operators":   "S-1-5-32-548",
	"server operators":    "S-1-5-32-549",
	"print operators":     "S-1-5-32-550",
	"backup operators":    "S-1-5-32-551",
	"replicator":          "S-1-5-32-552",
}

// wellKnownNames are the names the diff shows for well-known SIDs.
var wellKnownNames = map[string]string{
	"S-1-1-0": "Everyone", "S-1-3-0": "CREATOR OWNER", "S-1-5-2": `NT AUTHORITY\NETWORK`,
	"S-1-5-3": `NT AUTHORITY\BATCH`, "S-1-5-4": `NT AUTHORITY\INTERACTIVE`, "S-1-5-6": `NT AUTHORITY\SERVICE`,
	"S-1-5-7": `NT AUTHORITY\ANONYMOUS LOGON`, "S-1-5-11": `NT AUTHORITY\Authenticated Users`,
	"S-1-5-18": `NT AUTHORITY\SYSTEM`, "S-1-5-19": `NT AUTHORITY\LOCAL SERVICE`, "S-1-5-20": `NT AUTHORITY\NETWORK SERVICE`,
	"S-1-5-32-544": `BUILTIN\Administrators`, "S-1-5-32-545": `BUILTIN\Users`, "S-1-5-32-546": `BUILTIN\Guests`,
	"S-1-5-32-547": `BUILTIN\Power Users`, "S-1-5-32-548": `BUILTIN\Account Operators`,
	"S-1-5-32-549": `BUILTIN\Server Operators`, "S-1-5-32-550": `BUILTIN\Print Operators`,
	"S-1-5-32-551": `BUILTIN\Backup Operators`, "S-1-5-32-552": `BUILTIN\Replicator`,
}

// ErrNoAccount is wrapped when a name resolves to no account on the host.
var ErrNoAccount = errors.New(win.Win32Text(1332))

// CheckAccountName reports whether name can be resolved safely: it must
// pass the command-line check and hold no quote that would end a WQL
// string, and at most one domain separator.
func CheckAccountName(name string) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("an account name must not be empty")
	}
	if err := cmdline.CheckData(name); err != nil {
		return err
	}
	if strings.ContainsAny(name, `'`) {
		return fmt.Errorf("account name %q contains a single quote", name)
	}
	if strings.Count(name, `\`) > 1 || strings.Count(name, "@") > 1 {
		return fmt.Errorf("account name %q is not DOMAIN\\name, name@DOMAIN, name or a SID", name)
	}
	if sid, ok := sidLiteral(name); ok && !IsSID(sid) {
		return fmt.Errorf("%q is not a valid SID", name)
	}
	return nil
}

// checkAccountList validates a list argument of account names.
func checkAccountList(field string, names []string) []FieldError {
	var errs []FieldError
	for _, n := range names {
		if err := CheckAccountName(n); err != nil {
			errs = append(errs, FieldError{field, err.Error()})
		}
	}
	return errs
}

// sidLiteral returns the SID when name is written as one (S-1-… or *S-1-…).
func sidLiteral(name string) (string, bool) {
	s := strings.TrimPrefix(strings.TrimSpace(name), "*")
	if len(s) > 4 && strings.EqualFold(s[:4], "S-1-") {
		return strings.ToUpper(s[:1]) + s[1:], true
	}
	return "", false
}

// splitAccount splits DOMAIN\name and name@DOMAIN.
func splitAccount(name string) (domain, user string) {
	if d, u, ok := strings.Cut(name, `\`); ok {
		return d, u
	}
	if u, d, ok := strings.Cut(name, "@"); ok {
		return d, u
	}
	return "", name
}

// accounts resolves account names to SIDs on the task's host, reading each
// at most once. Domain accounts resolve to the same SID everywhere; local
// ones are the host's own.
type accounts struct {
	t       *Task
	netbios string
	sids    map[string]string // lower-case name → SID
	names   map[string]string // SID → qualified name
}

func newAccounts(t *Task) *accounts {
	return &accounts{t: t, sids: map[string]string{}, names: map[string]string{}}
}

// hostname reads the host's NetBIOS name once.
func (a *accounts) hostname(ctx context.Context) (string, error) {
	if a.netbios != "" {
		return a.netbios, nil
	}
	name, err := computerName(ctx, a.t.Host)
	if err != nil {
		return "", err
	}
	a.netbios = name
	return name, nil
}

// computerName is h's NetBIOS computer name, which cluster.exe and
// IISSYNC use: %COMPUTERNAME% from the host's facts. `hostname` prints the
// DNS host name, which may be longer (ansible#54550: hostname printed
// ip-172-34-55-231, %COMPUTERNAME% ip-172-34-55-23); it is read only where
// the facts hold no name.
func computerName(ctx context.Context, h Host) (string, error) {
	if f, err := HostFacts(ctx, h); err != nil {
		return "", err
	} else if f.ComputerName != "" {
		return f.ComputerName, nil
	}
	cmd := Read(cmdline.New("hostname"))
	out, err := h.Run(ctx, cmd)
	if err != nil {
		return "", &CommandError{Host: h.Name(), Line: cmd.Line, Err: err}
	}
	name := strings.TrimSpace(out.Stdout)
	if out.ExitCode != 0 || name == "" || strings.ContainsAny(name, " \t\r\n") {
		return "", Failed(h.Name(), cmd, out, "no computer name in the output")
	}
	return name, nil
}

// SID resolves name to a SID. A name that resolves to nothing returns an
// error wrapping ErrNoAccount.
func (a *accounts) SID(ctx context.Context, name string) (string, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	if sid, ok := a.sids[key]; ok {
		return sid, nil
	}
	sid, qualified, err := a.lookup(ctx, strings.TrimSpace(name))
	if err != nil {
		return "", err
	}
	a.sids[key] = sid
	if _, known := a.names[sid]; !known && qualified != "" {
		a.names[sid] = qualified
	}
	return sid, nil
}

func (a *accounts) lookup(ctx context.Context, name string) (sid, qualified string, err error) {
	if sid, ok := sidLiteral(name); ok {
		if !IsSID(sid) {
			return "", "", fmt.Errorf("%q is not a valid SID", name)
		}
		return sid, "", nil
	}
	domain, user := splitAccount(name)
	switch strings.ToUpper(domain) {
	case "", "BUILTIN", "NT AUTHORITY":
		if sid, ok := wellKnownSIDs[strings.ToLower(user)]; ok {
			return sid, wellKnownNames[sid], nil
		}
	}
	host, err := a.hostname(ctx)
	if err != nil {
		return "", "", err
	}
	if domain == "." {
		domain = host
	}
	wmic, err := legacyOrScript(ctx, a.t, "wmic", hasWMIC)
	if err != nil {
		return "", "", err
	}
	if !wmic {
		return a.lookupScript(ctx, name, domain, user)
	}
	where := fmt.Sprintf("name='%s'", user)
	if domain != "" {
		where = fmt.Sprintf("domain='%s' and name='%s'", domain, user)
	}
	cmd := Read(cmdline.New("wmic").Arg("useraccount", "where", where).Raw("get Domain,Name,SID /value").InputFromNul())
	out, err := a.t.Run(ctx, cmd)
	if err != nil {
		return "", "", err
	}
	if out.ExitCode != 0 {
		return "", "", Failed(a.t.Host.Name(), cmd, out, win.Win32Message(out.ExitCode))
	}
	found := win.WMIValues(out.Stdout)
	if len(found) == 0 {
		return "", "", fmt.Errorf("%s: account %q: %w (`%s` found no account)", a.t.Host.Name(), name, ErrNoAccount, cmd.Line)
	}
	pick := found[0]
	if len(found) > 1 {
		// A bare name means the local account first, as Windows looks
		// names up; two domain accounts of one name are ambiguous.
		pick = nil
		for _, f := range found {
			if strings.EqualFold(f["Domain"], host) {
				pick = f
			}
		}
		if pick == nil {
			return "", "", fmt.Errorf("%s: account %q is ambiguous: %d accounts match; write DOMAIN\\name", a.t.Host.Name(), name, len(found))
		}
	}
	if !IsSID(pick["SID"]) {
		return "", "", fmt.Errorf("%s: `%s` printed no valid SID: %q", a.t.Host.Name(), cmd.Line, win.Clip(out.Stdout))
	}
	return pick["SID"], pick["Domain"] + `\` + pick["Name"], nil
}

// lookupScript resolves a name with NTAccount.Translate, where wmic is
// gone: a domain account, a local account or group, as LookupAccountName
// searches (groups too, which wmic's Win32_UserAccount cannot find).
func (a *accounts) lookupScript(ctx context.Context, name, domain, user string) (sid, qualified string, err error) {
	full := user
	if domain != "" {
		full = domain + `\` + user
	}
	var res struct {
		Found bool
		SID   string
		Name  string
	}
	if err := runScript(ctx, a.t, "account-sid", &res, win.Arg{Name: "Name", Value: full}); err != nil {
		return "", "", err
	}
	if !res.Found {
		return "", "", fmt.Errorf("%s: account %q: %w (NTAccount.Translate found no account)", a.t.Host.Name(), name, ErrNoAccount)
	}
	if !IsSID(res.SID) {
		return "", "", fmt.Errorf("%s: the account-sid script returned no valid SID for %q: %q", a.t.Host.Name(), name, res.SID)
	}
	return res.SID, res.Name, nil
}

// Name returns a readable name for sid: the name it was resolved from, a
// well-known name, the account the host finds for it (wmic, or
// SecurityIdentifier.Translate), or the SID itself.
func (a *accounts) Name(ctx context.Context, sid string) string {
	if n, ok := a.names[sid]; ok {
		return n
	}
	if n, ok := wellKnownNames[sid]; ok {
		return n
	}
	name := sid
	if wmic, err := legacyOrScript(ctx, a.t, "wmic", hasWMIC); err == nil && !wmic && IsSID(sid) {
		if n, err := hostSIDName(ctx, a.t, sid); err == nil && n != "" {
			name = n
		}
		a.names[sid] = name
		return name
	}
	cmd := Read(cmdline.New("wmic").Arg("useraccount", "where", fmt.Sprintf("sid='%s'", sid)).Raw("get Domain,Name /value").InputFromNul())
	if IsSID(sid) {
		if out, err := a.t.Run(ctx, cmd); err == nil && out.ExitCode == 0 {
			if found := win.WMIValues(out.Stdout); len(found) == 1 && found[0]["Name"] != "" {
				name = found[0]["Domain"] + `\` + found[0]["Name"]
			}
		}
	}
	a.names[sid] = name
	return name
}

// hostSIDName is the host's name for sid, in its language, with
// SecurityIdentifier.Translate; "" when it knows none.
func hostSIDName(ctx context.Context, t *Task, sid string) (string, error) {
	var res struct {
		Found bool
		Name  string
	}
	if err := runScript(ctx, t, "sid-name", &res, win.Arg{Name: "Sid", Value: sid}); err != nil {
		return "", err
	}
	if !res.Found {
		return "", nil
	}
	return res.Name, nil
}

// label shows an account as name (SID), or just the SID when no name is
// known.
func (a *accounts) label(ctx context.Context, sid string) string {
	if n := a.Name(ctx, sid); n != sid {
		return n + " (" + sid + ")"
	}
	return sid
}
