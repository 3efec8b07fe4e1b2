package modules

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/winplay/winplay/modules/cmdline"
)

func init() {
	Register(Info{
		Name:    "dcom_permission",
		Summary: "Grant or deny accounts DCOM default access or launch permission (HKLM\\SOFTWARE\\Microsoft\\Ole, reg.exe).",
		New:     func() Module { return &DCOMPermission{} },
	})
}

// DCOMPermission edits the DACL of DCOM's default access and launch
// security descriptors, what dcomcnfg's Default Security tab shows. No
// built-in tool edits them, so the module reads the REG_BINARY value with
// reg query, decodes the self-relative descriptor, changes the ACEs in Go
// and writes the value back with reg add; owner, group and unrelated ACEs
// are kept as they were.
type DCOMPermission struct {
	// Permission is access (DefaultAccessPermission), launch
	// (DefaultLaunchPermission) or both.
	Permission string `hcl:"permission"`
	// Accounts get (or lose) an ACE: CORP\IUSR_CLUSTER, Administrators, a SID.
	Accounts []string `hcl:"accounts"`
	// Type is allow (default) or deny.
	Type string `hcl:"type,optional"`
	// State is present (default: each account has an ACE of Type granting
	// Mask), absent (no ACE of Type) or exact (the ACEs of Type are
	// exactly the accounts; ACEs of the other type are kept).
	State string `hcl:"state,optional"`
	// Mask is the access mask of a new ACE; default 1 (COM_RIGHTS_EXECUTE).
	Mask *int `hcl:"mask,optional"`
}

const dcomOleKey = `HKLM\SOFTWARE\Microsoft\Ole`

// dcomValues maps permission words to registry values.
var dcomValues = map[string][]string{
	"access": {"DefaultAccessPermission"},
	"launch": {"DefaultLaunchPermission"},
	"both":   {"DefaultAccessPermission", "DefaultLaunchPermission"},
}

// Validate checks the arguments.
func (d *DCOMPermission) Validate() []FieldError {
	var errs []FieldError
	if _, ok := dcomValues[d.Permission]; !ok {
		errs = append(errs, FieldError{"permission", fmt.Sprintf("must be access, launch or both, not %q", d.Permission)})
	}
	if len(d.Accounts) == 0 && d.State != "exact" {
		errs = append(errs, FieldError{"accounts", "must list at least one account (an empty list is allowed only with state = \"exact\")"})
	}
	errs = append(errs, checkAccountList("accounts", d.Accounts)...)
	if d.Type != "" && !oneOf(d.Type, "allow", "deny") {
		errs = append(errs, FieldError{"type", fmt.Sprintf("must be allow or deny, not %q", d.Type)})
	}
	if d.State != "" && !oneOf(d.State, "present", "absent", "exact") {
		errs = append(errs, FieldError{"state", fmt.Sprintf("must be one of present, absent, exact, not %q", d.State)})
	}
	if d.Mask != nil && (*d.Mask <= 0 || int64(*d.Mask) > 0xffffffff) {
		errs = append(errs, FieldError{"mask", fmt.Sprintf("must be a positive 32-bit access mask, not %d", *d.Mask)})
	}
	return errs
}

func (d *DCOMPermission) aceType() ACEType {
	if d.Type == "deny" {
		return ACEDeny
	}
	return ACEAllow
}

func (d *DCOMPermission) mask() uint32 {
	if d.Mask == nil {
		return 1 // COM_RIGHTS_EXECUTE
	}
	return uint32(*d.Mask)
}

// Run reads each descriptor, edits its DACL and writes back the ones that
// changed.
func (d *DCOMPermission) Run(ctx context.Context, t *Task) (*Result, error) {
	acc := newAccounts(t)
	sids := make([]string, 0, len(d.Accounts))
	for _, a := range d.Accounts {
		sid, err := acc.SID(ctx, a)
		if err != nil {
			return nil, err
		}
		sids = append(sids, sid)
	}
	res := &Result{Facts: map[string]any{}}
	var msgs []string
	var before, after strings.Builder
	type write struct {
		value string
		sd    *SecurityDescriptor
	}
	var writes []write
	for _, value := range dcomValues[d.Permission] {
		sd, absent, err := readDCOMDescriptor(ctx, t, value)
		if err != nil {
			return nil, err
		}
		if absent {
			msgs = append(msgs, value+" is not set: Windows' built-in default applies ("+dcomDefaultText[value]+")")
		}
		if !sd.HasDACL {
			return nil, fmt.Errorf("%s: %s\\%s has no DACL (everyone is allowed); refusing to replace it with a list", t.Host.Name(), dcomOleKey, value)
		}
		edited := d.edit(sd.DACL, sids)
		res.Facts[value] = aceFacts(ctx, acc, edited)
		if t.Diff {
			fmt.Fprintf(&before, "%s:\n%s", value, aceLines(ctx, acc, sd.DACL))
			fmt.Fprintf(&after, "%s:\n%s", value, aceLines(ctx, acc, edited))
		}
		if sameACEs(sd.DACL, edited) {
			msgs = append(msgs, value+" unchanged")
			continue
		}
		msgs = append(msgs, fmt.Sprintf("%s: %s", value, describeACEChange(ctx, acc, sd.DACL, edited)))
		next := *sd
		next.DACL = edited
		writes = append(writes, write{value, &next})
	}
	res.Changed = len(writes) > 0
	for _, value := range dcomValues[d.Permission] {
		// XP SP2 and 2003 SP1 added a computer-wide cap: a principal it
		// does not allow cannot obtain the default's rights.
		restriction := dcomRestrictions[value]
		if v, err := queryRegValue(ctx, t, dcomOleKey, restriction); err != nil {
			return nil, err
		} else if v.exists && d.aceType() == ACEAllow && d.State != "absent" {
			msgs = append(msgs, restriction+" also limits what "+value+" grants on this host")
			res.Facts[restriction] = true
		}
	}
	res.Msg = strings.Join(msgs, "; ")
	if t.Diff {
		res.Diff = &Diff{Before: before.String(), After: after.String()}
	}
	if t.Check {
		return res, nil
	}
	for _, w := range writes {
		if err := writeDCOMDescriptor(ctx, t, w.value, w.sd); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// edit returns the DACL with the module's change applied. New deny ACEs go
// after the existing deny ACEs and new allow ACEs at the end, keeping
// Windows' canonical order (deny before allow).
func (d *DCOMPermission) edit(dacl []ACE, sids []string) []ACE {
	typ, mask := d.aceType(), d.mask()
	want := map[string]bool{}
	for _, s := range sids {
		want[s] = true
	}
	out := make([]ACE, 0, len(dacl)+len(sids))
	has := map[string]bool{}
	state := d.State
	if state == "" {
		state = "present"
	}
	for _, a := range dacl {
		if a.Type == typ {
			switch {
			case state == "absent" && want[a.SID]:
				continue
			case state == "exact" && !want[a.SID]:
				continue
			case state != "absent" && want[a.SID]:
				if has[a.SID] {
					// One ACE per account is enough; a duplicate is dropped
					// only when exact asks for a clean list.
					if state == "exact" {
						continue
					}
				} else if a.Mask&mask != mask {
					a.Mask |= mask
				}
				has[a.SID] = true
			}
		}
		out = append(out, a)
	}
	if state == "absent" {
		return out
	}
	for _, s := range sids {
		if has[s] {
			continue
		}
		has[s] = true
		n := ACE{Type: typ, Mask: mask, SID: s}
		if typ == ACEDeny {
			i := 0
			for i < len(out) && out[i].Type == ACEDeny {
				i++
			}
			out = append(out[:i], append([]ACE{n}, out[i:]...)...)
		} else {
			out = append(out, n)
		}
	}
	return out
}

func sameACEs(a, b []ACE) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func aceLines(ctx context.Context, acc *accounts, dacl []ACE) string {
	if len(dacl) == 0 {
		return "  (empty DACL: no one)\n"
	}
	var b strings.Builder
	for _, a := range dacl {
		fmt.Fprintf(&b, "  %-5s 0x%x  %s\n", a.Type, a.Mask, acc.label(ctx, a.SID))
	}
	return b.String()
}

func aceFacts(ctx context.Context, acc *accounts, dacl []ACE) []map[string]any {
	out := []map[string]any{}
	for _, a := range dacl {
		out = append(out, map[string]any{"type": a.Type.String(), "mask": int(a.Mask), "sid": a.SID, "account": acc.Name(ctx, a.SID)})
	}
	return out
}

func describeACEChange(ctx context.Context, acc *accounts, before, after []ACE) string {
	key := func(a ACE) string { return fmt.Sprintf("%s 0x%x %s", a.Type, a.Mask, a.SID) }
	old := map[string]bool{}
	for _, a := range before {
		old[key(a)] = true
	}
	now := map[string]bool{}
	for _, a := range after {
		now[key(a)] = true
	}
	var parts []string
	for _, a := range after {
		if !old[key(a)] {
			parts = append(parts, fmt.Sprintf("+%s 0x%x %s", a.Type, a.Mask, acc.Name(ctx, a.SID)))
		}
	}
	for _, a := range before {
		if !now[key(a)] {
			parts = append(parts, fmt.Sprintf("-%s 0x%x %s", a.Type, a.Mask, acc.Name(ctx, a.SID)))
		}
	}
	if len(parts) == 0 {
		return "ACEs reordered"
	}
	return strings.Join(parts, ", ")
}

// writeDCOMDescriptor writes sd back with reg add; a lost reply is settled by
// reading the value again.
func writeDCOMDescriptor(ctx context.Context, t *Task, value string, sd *SecurityDescriptor) error {
	b, err := sd.Bytes()
	if err != nil {
		return fmt.Errorf("%s: encoding %s: %w", t.Host.Name(), value, err)
	}
	data := strings.ToUpper(hex.EncodeToString(b))
	cmd := Change(cmdline.New("reg.exe").Arg("add", dcomOleKey, "/v", value, "/t", "REG_BINARY", "/d", data, "/f"))
	out, err := Apply(ctx, t, cmd, func(ctx context.Context) (bool, error) {
		now, err := readRegBinary(ctx, t, dcomOleKey, value)
		return err == nil && strings.EqualFold(hex.EncodeToString(now), data), err
	})
	if err != nil {
		return err
	}
	if out.ExitCode != 0 {
		return Failed(t.Host.Name(), cmd, out, "reg.exe could not write the value")
	}
	return nil
}

// dcomRestrictions are the computer-wide caps of each default (Microsoft's
// MachineAccessRestriction and MachineLaunchRestriction pages).
var dcomRestrictions = map[string]string{
	"DefaultAccessPermission": "MachineAccessRestriction",
	"DefaultLaunchPermission": "MachineLaunchRestriction",
}

// dcomDefaults are what Windows applies while a value is not set, as
// Microsoft's pages for the values say: access for the server principal
// (SELF) and SYSTEM; launch for Administrators, SYSTEM and INTERACTIVE.
var dcomDefaults = map[string][]ACE{
	"DefaultAccessPermission": {{Type: ACEAllow, Mask: 1, SID: "S-1-5-10"}, {Type: ACEAllow, Mask: 1, SID: "S-1-5-18"}},
	"DefaultLaunchPermission": {{Type: ACEAllow, Mask: 1, SID: "S-1-5-32-544"}, {Type: ACEAllow, Mask: 1, SID: "S-1-5-18"}, {Type: ACEAllow, Mask: 1, SID: "S-1-5-4"}},
}

var dcomDefaultText = map[string]string{
	"DefaultAccessPermission": "the server principal and SYSTEM may call",
	"DefaultLaunchPermission": "Administrators, SYSTEM and INTERACTIVE may launch",
}

// readDCOMDescriptor reads a default's descriptor. A value that is not set
// is normal (Windows applies its built-in default), so it reads as that
// default, owned by Administrators, with absent set: a change writes it.
func readDCOMDescriptor(ctx context.Context, t *Task, value string) (sd *SecurityDescriptor, absent bool, err error) {
	v, err := queryRegValue(ctx, t, dcomOleKey, value)
	if err != nil {
		return nil, false, err
	}
	if !v.exists {
		return &SecurityDescriptor{Owner: "S-1-5-32-544", Group: "S-1-5-18", HasDACL: true, DACLRev: 2,
			DACL: append([]ACE(nil), dcomDefaults[value]...)}, true, nil
	}
	raw, err := regBinary(t, dcomPath(dcomOleKey, value), v)
	if err != nil {
		return nil, false, err
	}
	sd, err = ParseSecurityDescriptor(raw)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %s does not decode as a security descriptor: %w", t.Host.Name(), dcomPath(dcomOleKey, value), err)
	}
	return sd, false, nil
}

func dcomPath(k, value string) string { return k + `\` + value }

// regBinary decodes a REG_BINARY value as reg query prints it.
func regBinary(t *Task, path string, v registryValue) ([]byte, error) {
	if v.typ != "REG_BINARY" {
		return nil, fmt.Errorf("%s: %s is %s, not REG_BINARY", t.Host.Name(), path, v.typ)
	}
	b, err := hex.DecodeString(strings.TrimSpace(v.data))
	if err != nil {
		return nil, fmt.Errorf("%s: %s: the data is not hex: %w", t.Host.Name(), path, err)
	}
	return b, nil
}

// readRegBinary reads a REG_BINARY value with reg query.
func readRegBinary(ctx context.Context, t *Task, key, value string) ([]byte, error) {
	v, err := queryRegValue(ctx, t, key, value)
	if err != nil {
		return nil, err
	}
	if !v.exists {
		return nil, fmt.Errorf("%s: cannot read %s: the value does not exist", t.Host.Name(), dcomPath(key, value))
	}
	return regBinary(t, dcomPath(key, value), v)
}
