package modules

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf16"

	"github.com/winplay/winplay/modules/cmdline"
	"github.com/winplay/winplay/modules/win"
)

func init() {
	Register(Info{
		Name:    "user_right",
		Summary: "Add, remove or set the accounts that hold a user right such as SeInteractiveLogonRight (secedit.exe).",
		New:     func() Module { return &UserRight{} },
	})
}

// UserRight manages the holders of one user right, as Ansible's
// win_user_right does, with the built-in secedit.exe: the rights are
// exported to a scratch INF and read; a change writes an INF naming the
// right with its new holders and applies it with secedit /configure,
// which sets exactly the rights the INF names and leaves the others.
// Accounts are compared by SID.
type UserRight struct {
	// Name is the right's constant, e.g. SeInteractiveLogonRight ("Log on
	// locally") or SeNetworkLogonRight ("Access this computer from the
	// network").
	Name string `hcl:"name"`
	// Users are the accounts: CORP\IUSR_CLUSTER, BUILTIN\Administrators,
	// Everyone, a SID.
	Users []string `hcl:"users"`
	// Action is add (default, as the runbook adds accounts), remove, or
	// set (the right is held by exactly these accounts).
	Action string `hcl:"action,optional"`
}

// userRightNames are the rights and privileges Windows knows (NT 4.0's and
// later ones), in their canonical spelling.
var userRightNames = []string{
	"SeAssignPrimaryTokenPrivilege", "SeAuditPrivilege", "SeBackupPrivilege", "SeBatchLogonRight",
	"SeChangeNotifyPrivilege", "SeCreateGlobalPrivilege", "SeCreatePagefilePrivilege",
	"SeCreatePermanentPrivilege", "SeCreateSymbolicLinkPrivilege", "SeCreateTokenPrivilege",
	"SeDebugPrivilege", "SeDelegateSessionUserImpersonatePrivilege", "SeDenyBatchLogonRight",
	"SeDenyInteractiveLogonRight", "SeDenyNetworkLogonRight", "SeDenyRemoteInteractiveLogonRight",
	"SeDenyServiceLogonRight", "SeEnableDelegationPrivilege", "SeImpersonatePrivilege",
	"SeIncreaseBasePriorityPrivilege", "SeIncreaseQuotaPrivilege", "SeIncreaseWorkingSetPrivilege",
	"SeInteractiveLogonRight", "SeLoadDriverPrivilege", "SeLockMemoryPrivilege",
	"SeMachineAccountPrivilege", "SeManageVolumePrivilege", "SeNetworkLogonRight",
	"SeProfileSingleProcessPrivilege", "SeRelabelPrivilege", "SeRemoteInteractiveLogonRight",
	"SeRemoteShutdownPrivilege", "SeRestorePrivilege", "SeSecurityPrivilege", "SeServiceLogonRight",
	"SeShutdownPrivilege", "SeSyncAgentPrivilege", "SeSystemEnvironmentPrivilege",
	"SeSystemProfilePrivilege", "SeSystemtimePrivilege", "SeTakeOwnershipPrivilege", "SeTcbPrivilege",
	"SeTimeZonePrivilege", "SeTrustedCredManAccessPrivilege", "SeUndockPrivilege",
}

func canonicalUserRight(name string) (string, bool) {
	for _, r := range userRightNames {
		if strings.EqualFold(r, name) {
			return r, true
		}
	}
	return "", false
}

// Validate checks the arguments.
func (u *UserRight) Validate() []FieldError {
	var errs []FieldError
	if _, ok := canonicalUserRight(u.Name); !ok {
		msg := fmt.Sprintf("%q is not a user right constant such as SeInteractiveLogonRight or SeNetworkLogonRight", u.Name)
		if s := userRightSuggestion(u.Name); s != "" {
			msg += fmt.Sprintf("; did you mean %s?", s)
		}
		errs = append(errs, FieldError{"name", msg})
	}
	if len(u.Users) == 0 && u.Action != "set" {
		errs = append(errs, FieldError{"users", "must list at least one account (an empty list is allowed only with action = \"set\")"})
	}
	errs = append(errs, checkAccountList("users", u.Users)...)
	if u.Action != "" && !oneOf(u.Action, "add", "remove", "set") {
		errs = append(errs, FieldError{"action", fmt.Sprintf("must be add, remove or set, not %q", u.Action)})
	}
	return errs
}

// userRightSuggestion finds the shortest right whose name contains name's
// words, for "SeInteractiveLogon" or "InteractiveLogonRight".
func userRightSuggestion(name string) string {
	n := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(name, "Se"), "se"))
	n = strings.TrimSuffix(strings.TrimSuffix(n, "right"), "privilege")
	if len(n) < 4 {
		return ""
	}
	best := ""
	for _, r := range userRightNames {
		if strings.Contains(strings.ToLower(r), n) && (best == "" || len(r) < len(best)) {
			best = r
		}
	}
	return best
}

// Run reads the holders of the right, works out the new list and applies
// it with secedit.
func (u *UserRight) Run(ctx context.Context, t *Task) (*Result, error) {
	right, _ := canonicalUserRight(u.Name)
	action := u.Action
	if action == "" {
		action = "add"
	}
	acc := newAccounts(t)
	want := make([]string, 0, len(u.Users))
	for _, name := range u.Users {
		sid, err := acc.SID(ctx, name)
		if err != nil {
			return nil, err
		}
		if !userRightHas(want, sid) {
			want = append(want, sid)
		}
	}
	before, err := u.holders(ctx, t, acc, right)
	if err != nil {
		return nil, err
	}
	after := planHolders(before, want, action)
	added, removed := holderChanges(before, after)
	res := &Result{Changed: len(added)+len(removed) > 0}
	names := func(ids []string) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = acc.Name(ctx, id)
		}
		return out
	}
	res.Facts = map[string]any{"name": right, "users": names(after), "added": names(added), "removed": names(removed)}
	if t.Diff {
		res.Diff = &Diff{Before: holderLines(ctx, acc, before), After: holderLines(ctx, acc, after)}
	}
	if !res.Changed {
		res.Msg = fmt.Sprintf("%s is held by %s", right, userRightOrNone(strings.Join(names(before), ", ")))
		return res, nil
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "add "+strings.Join(names(added), ", "))
	}
	if len(removed) > 0 {
		parts = append(parts, "remove "+strings.Join(names(removed), ", "))
	}
	res.Msg = right + ": " + strings.Join(parts, "; ")
	if t.Check {
		return res, nil
	}
	if err := u.configure(ctx, t, acc, right, after); err != nil {
		return nil, err
	}
	return res, nil
}

func userRightOrNone(s string) string {
	if s == "" {
		return "no one"
	}
	return s
}

func userRightHas(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// planHolders returns the holders after the action: the current ones in
// their order, with new ones at the end.
func planHolders(before, want []string, action string) []string {
	var after []string
	switch action {
	case "add":
		after = append(after, before...)
		for _, w := range want {
			if !userRightHas(after, w) {
				after = append(after, w)
			}
		}
	case "remove":
		for _, b := range before {
			if !userRightHas(want, b) {
				after = append(after, b)
			}
		}
	case "set":
		after = append(after, want...)
	}
	return after
}

func holderChanges(before, after []string) (added, removed []string) {
	for _, a := range after {
		if !userRightHas(before, a) {
			added = append(added, a)
		}
	}
	for _, b := range before {
		if !userRightHas(after, b) {
			removed = append(removed, b)
		}
	}
	return added, removed
}

func holderLines(ctx context.Context, acc *accounts, ids []string) string {
	if len(ids) == 0 {
		return "(no one)\n"
	}
	lines := make([]string, len(ids))
	for i, id := range ids {
		lines[i] = acc.label(ctx, id)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// holders exports the user rights and returns the holders of right as
// SIDs; a holder the export names (not *SID) is resolved, or kept as the
// name when it resolves to nothing.
func (u *UserRight) holders(ctx context.Context, t *Task, acc *accounts, right string) ([]string, error) {
	f, err := t.Facts(ctx)
	if err != nil {
		return nil, err
	}
	inf := f.Temp + `\winplay-rights-` + randomHex(6) + ".inf"
	// The export writes only scratch under the host's %TEMP%, so it is a read
	// and runs in check mode too; so does removing the scratch file.
	export := Read(cmdline.New("secedit.exe").Arg("/export", "/cfg", inf, "/areas", "USER_RIGHTS"))
	defer func() {
		_, _ = t.Run(ctx, Read(cmdline.NewRaw("del").Arg("/q", inf)))
	}()
	out, err := t.Run(ctx, export)
	if err != nil {
		return nil, err
	}
	if out.ExitCode != 0 {
		return nil, Failed(t.Host.Name(), export, out, win.Win32Message(out.ExitCode))
	}
	typ := Read(cmdline.NewRaw("type").Arg(inf))
	text, err := t.Run(ctx, typ)
	if err != nil {
		return nil, err
	}
	if text.ExitCode != 0 {
		return nil, Failed(t.Host.Name(), typ, text, "cannot read the exported rights")
	}
	rights, err := win.PrivilegeRights(text.Stdout, func(r string) string {
		if c, ok := canonicalUserRight(r); ok {
			return c
		}
		return r
	})
	if err != nil {
		return nil, fmt.Errorf("%s: `%s`: %w", t.Host.Name(), typ.Line, err)
	}
	var ids []string
	for _, h := range rights[right] {
		id := h
		if sid, ok := sidLiteral(h); ok {
			id = sid
		} else if sid, err := acc.SID(ctx, h); err == nil {
			id = sid
		} else if !errors.Is(err, ErrNoAccount) {
			return nil, err
		}
		if !userRightHas(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// userRightINF is the template that sets right to holders: SIDs as *SID,
// names (holders that resolved to nothing) as they were read.
func userRightINF(right string, holders []string) string {
	entries := make([]string, len(holders))
	for i, h := range holders {
		if IsSID(h) {
			entries[i] = "*" + h
		} else {
			entries[i] = h
		}
	}
	return "[Unicode]\r\nUnicode=yes\r\n" +
		"[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n" +
		"[Privilege Rights]\r\n" + right + " = " + strings.Join(entries, ",") + "\r\n"
}

// userRightUTF16 encodes text as UTF-16LE with a byte order mark, as secedit
// writes its templates.
func userRightUTF16(text string) []byte {
	units := utf16.Encode([]rune(text))
	b := make([]byte, 2, 2+2*len(units))
	b[0], b[1] = 0xff, 0xfe
	for _, u := range units {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// configure uploads the template and applies it. secedit /configure sets
// the right to the listed holders whatever they were, so running it again
// after a lost reply is harmless; the export afterwards confirms it.
func (u *UserRight) configure(ctx context.Context, t *Task, acc *accounts, right string, holders []string) error {
	f, err := t.Facts(ctx)
	if err != nil {
		return err
	}
	base := f.Temp + `\winplay-rights-` + randomHex(6)
	inf, sdb := base+".inf", base+".sdb"
	defer func() {
		_, _ = t.Run(ctx, Read(cmdline.NewRaw("del").Arg("/q", inf, sdb)))
	}()
	if err := Upload(ctx, t, userRightUTF16(userRightINF(right, holders)), inf, f.Temp); err != nil {
		return err
	}
	cmd := Change(cmdline.New("secedit.exe").Arg("/configure", "/db", sdb, "/cfg", inf, "/areas", "USER_RIGHTS", "/quiet"))
	out, err := Apply(ctx, t, cmd, func(ctx context.Context) (bool, error) {
		now, err := u.holders(ctx, t, acc, right)
		if err != nil {
			return false, err
		}
		added, removed := holderChanges(now, holders)
		return len(added)+len(removed) == 0, nil
	})
	if err != nil {
		return err
	}
	if out.ExitCode != 0 {
		return Failed(t.Host.Name(), cmd, out, win.Win32Message(out.ExitCode))
	}
	now, err := u.holders(ctx, t, acc, right)
	if err != nil {
		return err
	}
	if added, removed := holderChanges(now, holders); len(added)+len(removed) > 0 {
		return fmt.Errorf("%s: after `%s` %s is held by %s, not as configured", t.Host.Name(), cmd.Line, right, strings.Join(now, ", "))
	}
	return nil
}
