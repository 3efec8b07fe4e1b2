package modules

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/winplay/winplay/modules/cmdline"
	"github.com/winplay/winplay/modules/win"
)

func init() {
	Register(Info{
		Name:    "group_member",
		Summary: "Add or remove members of a local group, or make them exactly a list (net localgroup).",
		New:     func() Module { return &GroupMember{} },
	})
}

// GroupMember manages the members of a local group, as Ansible's
// win_group_membership does, through net localgroup. Members are compared
// by name as net localgroup prints them and, where the names differ, by
// SID, so CORP\IUSR_CLUSTER given as a SID or as IUSR_CLUSTER@CORP is
// recognised as already there.
type GroupMember struct {
	// Name is the local group, e.g. "Guests" or "MTS Trusted Impersonators".
	Name string `hcl:"name"`
	// Members are accounts: CORP\IUSR_CLUSTER, .\Guest, a SID.
	Members []string `hcl:"members"`
	// State is present (default: add the members), absent (remove them) or
	// exact (the group holds the members and no one else).
	State string `hcl:"state,optional"`
}

var groupMemberStates = []string{"present", "absent", "exact"}

// Validate checks the arguments.
func (g *GroupMember) Validate() []FieldError {
	var errs []FieldError
	if strings.TrimSpace(g.Name) == "" {
		errs = append(errs, FieldError{"name", "must name a local group"})
	} else if err := cmdline.CheckData(g.Name); err != nil {
		errs = append(errs, FieldError{"name", err.Error()})
	}
	if len(g.Members) == 0 && g.State != "exact" {
		errs = append(errs, FieldError{"members", "must list at least one account (an empty list is allowed only with state = \"exact\")"})
	}
	errs = append(errs, checkAccountList("members", g.Members)...)
	if g.State != "" && !oneOf(g.State, groupMemberStates...) {
		errs = append(errs, FieldError{"state", fmt.Sprintf("must be one of %s, not %q", strings.Join(groupMemberStates, ", "), g.State)})
	}
	return errs
}

// Keys name the group's members, so that a dry run predicts this task
// after an earlier one that changes or recreates the group (Option Pack
// setup). The key is the whole group: with state = "absent" after a
// recreation that emptied it, a dry run says changed where the run is ok.
func (g *GroupMember) Keys() []string { return []string{groupKey(g.Name)} }

func groupKey(name string) string { return "group:" + strings.ToLower(strings.TrimSpace(name)) }

// errNoGroup is wrapped when the local group does not exist.
var errNoGroup = errors.New(win.Win32Text(1376))

// Run reads the group, works out the members to add and remove, and
// changes them one by one.
func (g *GroupMember) Run(ctx context.Context, t *Task) (*Result, error) {
	state := g.State
	if state == "" {
		state = "present"
	}
	acc := newAccounts(t)
	group, err := localGroupName(ctx, t, g.Name)
	if err != nil {
		return nil, err
	}
	before, err := localGroupMembers(ctx, t, group)
	if errors.Is(err, errNoGroup) && t.Check {
		// In a dry run an earlier task (an installer) may be what creates
		// the group; say so rather than fail the whole check.
		res := &Result{Changed: true, Msg: fmt.Sprintf("group %s does not exist (yet); would %s %s", g.Name, groupVerb(state), strings.Join(g.Members, ", "))}
		if t.Diff {
			res.Diff = &Diff{Before: "(no group " + g.Name + ")\n", After: memberLines(g.Members)}
		}
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	add, remove, err := g.plan(ctx, acc, state, before)
	if err != nil {
		return nil, err
	}
	after := applyMembers(before, add, remove)
	res := &Result{Changed: len(add)+len(remove) > 0, Facts: map[string]any{"name": g.Name, "members": after}}
	if t.Diff {
		res.Diff = &Diff{Before: memberLines(before), After: memberLines(after)}
	}
	if !res.Changed {
		res.Msg = fmt.Sprintf("%s: members already as wanted (%s)", g.Name, strings.Join(before, ", "))
		return res, nil
	}
	res.Msg = g.Name + ": " + describeChanges(add, remove)
	if t.Check {
		return res, nil
	}
	for _, m := range add {
		if err := g.change(ctx, t, acc, group, m, true); err != nil {
			return nil, err
		}
	}
	for _, m := range remove {
		if err := g.change(ctx, t, acc, group, m, false); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// localGroupName is the name the host gives a group: a built-in group
// named as English Windows names it (Guests) or by its SID (S-1-5-32-546)
// has another name on a localized host (Gäste), found by its well-known
// SID; any other name is the host's already.
func localGroupName(ctx context.Context, t *Task, name string) (string, error) {
	sid, ok := sidLiteral(name)
	if !ok {
		_, user := splitAccount(name)
		sid, ok = wellKnownSIDs[strings.ToLower(user)]
	}
	if !ok || !strings.HasPrefix(sid, "S-1-5-32-") {
		return name, nil
	}
	wmic, err := legacyOrScript(ctx, t, "wmic", hasWMIC)
	if err != nil {
		return "", err
	}
	if !wmic {
		n, err := hostSIDName(ctx, t, sid)
		if err != nil || n == "" {
			return name, err
		}
		_, local := splitAccount(n)
		return local, nil
	}
	cmd := Read(cmdline.New("wmic").Arg("group", "where", fmt.Sprintf("sid='%s'", sid)).Raw("get Name /value").InputFromNul())
	out, err := t.Run(ctx, cmd)
	if err != nil {
		return "", err
	}
	if found := win.WMIValues(out.Stdout); out.ExitCode == 0 && len(found) == 1 && found[0]["Name"] != "" {
		return found[0]["Name"], nil
	}
	return name, nil
}

func groupVerb(state string) string {
	if state == "absent" {
		return "remove"
	}
	return "add"
}

// plan returns the members to add (as the playbook names them) and to
// remove (as the group lists them).
func (g *GroupMember) plan(ctx context.Context, acc *accounts, state string, current []string) (add, remove []string, err error) {
	matched := map[int]bool{} // indexes into current
	var unmatched []string    // wanted members not found by name
	host, err := acc.hostname(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, want := range g.Members {
		i := indexMember(current, want, host)
		if i < 0 {
			unmatched = append(unmatched, want)
			continue
		}
		matched[i] = true
	}
	// Names that differ may still be the same account: compare SIDs of
	// what is left, where both sides resolve.
	var still []string
	if len(unmatched) > 0 {
		curSIDs := map[string]int{}
		for i, c := range current {
			if matched[i] {
				continue
			}
			if sid, err := acc.SID(ctx, c); err == nil {
				curSIDs[sid] = i
			} else if !errors.Is(err, ErrNoAccount) {
				return nil, nil, err
			}
		}
		for _, want := range unmatched {
			sid, err := acc.SID(ctx, want)
			if err != nil && !errors.Is(err, ErrNoAccount) {
				return nil, nil, err
			}
			if i, ok := curSIDs[sid]; ok && sid != "" {
				matched[i] = true
				continue
			}
			still = append(still, want)
		}
	}
	switch state {
	case "present":
		add = still
	case "absent":
		for i, c := range current {
			if matched[i] {
				remove = append(remove, c)
			}
		}
	case "exact":
		add = still
		for i, c := range current {
			if !matched[i] {
				remove = append(remove, c)
			}
		}
	}
	return add, remove, nil
}

// canonicalMember is a member name for comparison: case folded, with the
// local computer's prefix dropped, as net localgroup prints local
// accounts bare.
func canonicalMember(name, host string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	if d, u, ok := strings.Cut(n, `\`); ok && (d == "." || d == strings.ToLower(host)) {
		return u
	}
	if u, d, ok := strings.Cut(n, "@"); ok {
		return d + `\` + u
	}
	return n
}

func indexMember(list []string, name, host string) int {
	want := canonicalMember(name, host)
	for i, m := range list {
		if canonicalMember(m, host) == want {
			return i
		}
	}
	return -1
}

func applyMembers(before, add, remove []string) []string {
	gone := map[string]bool{}
	for _, r := range remove {
		gone[r] = true
	}
	after := []string{}
	for _, m := range before {
		if !gone[m] {
			after = append(after, m)
		}
	}
	after = append(after, add...)
	sort.Slice(after, func(i, j int) bool { return strings.ToLower(after[i]) < strings.ToLower(after[j]) })
	return after
}

func memberLines(members []string) string {
	if len(members) == 0 {
		return "(no members)\n"
	}
	sorted := append([]string(nil), members...)
	sort.Slice(sorted, func(i, j int) bool { return strings.ToLower(sorted[i]) < strings.ToLower(sorted[j]) })
	return strings.Join(sorted, "\n") + "\n"
}

func describeChanges(add, remove []string) string {
	var parts []string
	if len(add) > 0 {
		parts = append(parts, "add "+strings.Join(add, ", "))
	}
	if len(remove) > 0 {
		parts = append(parts, "remove "+strings.Join(remove, ", "))
	}
	return strings.Join(parts, "; ")
}

// change adds or removes one member. A lost reply is settled by reading
// the group again; "already a member" (1378) and "not a member" (1377)
// mean someone got there first, which is the state we want.
func (g *GroupMember) change(ctx context.Context, t *Task, acc *accounts, group, member string, add bool) error {
	verb, tolerated := "/delete", 1377
	if add {
		verb, tolerated = "/add", 1378
	}
	cmd := Change(cmdline.New("net.exe").Arg("localgroup").Data(group, member).Arg(verb))
	out, err := Apply(ctx, t, cmd, func(ctx context.Context) (bool, error) {
		now, err := localGroupMembers(ctx, t, group)
		if err != nil {
			return false, err
		}
		host, err := acc.hostname(ctx)
		if err != nil {
			return false, err
		}
		return (indexMember(now, member, host) >= 0) == add, nil
	})
	if err != nil {
		return err
	}
	if out.ExitCode != 0 {
		code := netErrorCode(out)
		if code == tolerated {
			return nil
		}
		return Failed(t.Host.Name(), cmd, out, netMeaning(code, out))
	}
	return nil
}

// netErrorCode is the Win32 code net.exe names in its report (net itself
// exits 2), or 0 when it names none.
func netErrorCode(out Output) int { return win.SystemError(out.Stderr + out.Stdout) }

func netMeaning(code int, out Output) string {
	if code == 0 {
		return "net.exe exited " + strconv.Itoa(out.ExitCode)
	}
	return win.Win32Message(code)
}

// localGroupMembers lists a local group's members as `net localgroup G`
// prints them: domain accounts as DOMAIN\name, local ones bare.
func localGroupMembers(ctx context.Context, t *Task, group string) ([]string, error) {
	cmd := Read(cmdline.New("net.exe").Arg("localgroup").Data(group))
	out, err := t.Run(ctx, cmd)
	if err != nil {
		return nil, err
	}
	if out.ExitCode != 0 {
		code := netErrorCode(out)
		if code == 1376 {
			return nil, fmt.Errorf("%s: local group %q: %w", t.Host.Name(), group, errNoGroup)
		}
		return nil, Failed(t.Host.Name(), cmd, out, netMeaning(code, out))
	}
	members, err := win.LocalGroupMembers(out.Stdout)
	if err != nil {
		return nil, fmt.Errorf("%s: `%s`: %w", t.Host.Name(), cmd.Line, err)
	}
	return members, nil
}
