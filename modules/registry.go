package modules

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/winplay/winplay/modules/cmdline"
)

func init() {
	Register(Info{
		Name:    "registry",
		Summary: "Set or remove one registry value (reg.exe), as Ansible's win_regedit does.",
		New:     func() Module { return &Registry{} },
	})
}

// Registry makes one registry value hold the given data, or removes it,
// through reg.exe query, add and delete. It compares the value as reg
// query prints it, so a second run is ok: REG_DWORD numerically,
// REG_BINARY as hex in either case, REG_MULTI_SZ item by item.
type Registry struct {
	// Key is the value's key, from its root: HKLM\SOFTWARE\Microsoft\...
	Key string `hcl:"key"`
	// Name is the value's name.
	Name string `hcl:"name"`
	// Type is REG_SZ (default), REG_EXPAND_SZ, REG_DWORD, REG_BINARY or
	// REG_MULTI_SZ.
	Type string `hcl:"type,optional"`
	// Data is the value: text, a REG_DWORD number (decimal or 0x hex) or
	// REG_BINARY hex digits.
	Data string `hcl:"data,optional"`
	// DataList is a REG_MULTI_SZ value's strings.
	DataList []string `hcl:"data_list,optional"`
	// State is present (default) or absent.
	State string `hcl:"state,optional"`
}

var (
	registryTypes = []string{"REG_SZ", "REG_EXPAND_SZ", "REG_DWORD", "REG_BINARY", "REG_MULTI_SZ"}
	registryRoots = []string{"HKLM", "HKCU", "HKCR", "HKU", "HKCC",
		"HKEY_LOCAL_MACHINE", "HKEY_CURRENT_USER", "HKEY_CLASSES_ROOT", "HKEY_USERS", "HKEY_CURRENT_CONFIG"}
)

// multiSep is how reg.exe writes and prints the strings of a
// REG_MULTI_SZ: its default /s separator, two characters.
const multiSep = `\0`

// Validate checks the arguments.
func (r *Registry) Validate() []FieldError {
	var errs []FieldError
	root, _, _ := strings.Cut(r.Key, `\`)
	if !oneOf(strings.ToUpper(root), registryRoots...) {
		errs = append(errs, FieldError{"key", fmt.Sprintf("%q must start with a root key such as HKLM\\", r.Key)})
	} else if err := cmdline.CheckData(r.Key); err != nil {
		errs = append(errs, FieldError{"key", err.Error()})
	}
	if strings.TrimSpace(r.Name) == "" {
		errs = append(errs, FieldError{"name", "must name the value"})
	} else if err := cmdline.CheckData(r.Name); err != nil {
		errs = append(errs, FieldError{"name", err.Error()})
	}
	if r.State != "" && !oneOf(r.State, "present", "absent") {
		errs = append(errs, FieldError{"state", fmt.Sprintf("must be present or absent, not %q", r.State)})
	}
	if r.Type != "" && !oneOf(r.Type, registryTypes...) {
		errs = append(errs, FieldError{"type", fmt.Sprintf("must be one of %s, not %q", strings.Join(registryTypes, ", "), r.Type)})
		return errs
	}
	if r.State == "absent" {
		if r.Type != "" || r.Data != "" || r.DataList != nil {
			errs = append(errs, FieldError{"", "state = \"absent\" takes no type, data or data_list"})
		}
		return errs
	}
	if r.typ() == "REG_MULTI_SZ" {
		if r.Data != "" {
			errs = append(errs, FieldError{"data", "a REG_MULTI_SZ takes its strings in data_list"})
		}
		for _, s := range r.DataList {
			if strings.Contains(s, multiSep) {
				errs = append(errs, FieldError{"data_list", fmt.Sprintf("%q holds \\0, reg.exe's separator", s)})
			} else if err := cmdline.CheckData(s); err != nil {
				errs = append(errs, FieldError{"data_list", err.Error()})
			}
		}
		return errs
	}
	if r.DataList != nil {
		errs = append(errs, FieldError{"data_list", "applies to type = \"REG_MULTI_SZ\" only"})
	}
	if strings.TrimRight(r.Data, " ") != r.Data {
		// reg query pads nothing, but its output cannot show them apart.
		errs = append(errs, FieldError{"data", "trailing spaces cannot be compared through reg query's output"})
	} else if _, err := r.canonical(r.Data); err != nil {
		errs = append(errs, FieldError{"data", err.Error()})
	} else if err := cmdline.CheckData(r.Data); err != nil {
		errs = append(errs, FieldError{"data", err.Error()})
	}
	return errs
}

func (r *Registry) typ() string {
	if r.Type == "" {
		return "REG_SZ"
	}
	return r.Type
}

// canonical is data as reg query prints a value of the task's type, so
// that the task's data and the host's compare equal when they mean the
// same.
func (r *Registry) canonical(data string) (string, error) {
	switch r.typ() {
	case "REG_DWORD":
		n, err := strconv.ParseUint(strings.TrimSpace(data), 0, 32)
		if err != nil {
			return "", fmt.Errorf("%q is not a REG_DWORD (0 to 4294967295, decimal or 0x hex)", data)
		}
		return fmt.Sprintf("0x%x", n), nil
	case "REG_BINARY":
		if _, err := hex.DecodeString(data); err != nil {
			return "", fmt.Errorf("%q is not REG_BINARY hex digits (pairs of 0-9, A-F)", data)
		}
		return strings.ToUpper(data), nil
	}
	return data, nil
}

func (r *Registry) wanted() string {
	if r.typ() == "REG_MULTI_SZ" {
		return strings.Join(r.DataList, multiSep)
	}
	d, _ := r.canonical(r.Data)
	return d
}

// registryValue is a value as reg query prints it.
type registryValue struct {
	exists    bool
	typ, data string
}

func (v registryValue) line() string {
	if !v.exists {
		return "(absent)"
	}
	return v.typ + " " + v.data
}

// Keys name the value the task sets.
func (r *Registry) Keys() []string {
	return []string{"registry:" + strings.ToLower(r.Key+`\`+r.Name)}
}

// Run reads the value and sets or removes it.
func (r *Registry) Run(ctx context.Context, t *Task) (*Result, error) {
	before, err := r.read(ctx, t)
	if err != nil {
		return nil, err
	}
	after := registryValue{}
	if r.State != "absent" {
		after = registryValue{exists: true, typ: r.typ(), data: r.wanted()}
	}
	path := r.Key + `\` + r.Name
	res := &Result{Facts: map[string]any{"exists": before.exists, "type": before.typ, "data": before.data}}
	if t.Diff {
		res.Diff = &Diff{Before: path + ": " + before.line() + "\n", After: path + ": " + after.line() + "\n"}
	}
	if before.exists == after.exists && (!after.exists || r.same(before, after)) {
		res.Msg = path + " is " + before.line()
		return res, nil
	}
	res.Changed = true
	res.Msg = fmt.Sprintf("%s: %s → %s", path, before.line(), after.line())
	if t.Check {
		return res, nil
	}
	var cmd Command
	if after.exists {
		cmd = Change(cmdline.New("reg.exe").Arg("add").Data(r.Key).Arg("/v").Data(r.Name).Arg("/t", after.typ, "/d").Data(after.data).Arg("/f"))
	} else {
		cmd = Change(cmdline.New("reg.exe").Arg("delete").Data(r.Key).Arg("/v").Data(r.Name).Arg("/f"))
	}
	out, err := Apply(ctx, t, cmd, func(ctx context.Context) (bool, error) {
		now, err := r.read(ctx, t)
		return err == nil && now.exists == after.exists && (!after.exists || r.same(now, after)), err
	})
	if err != nil {
		return nil, err
	}
	if out.ExitCode != 0 {
		return nil, Failed(t.Host.Name(), cmd, out, "reg.exe could not change "+path)
	}
	return res, nil
}

func (r *Registry) same(a, b registryValue) bool {
	if a.typ != b.typ {
		return false
	}
	if a.typ == "REG_BINARY" || a.typ == "REG_DWORD" {
		return strings.EqualFold(a.data, b.data)
	}
	return a.data == b.data
}

func (r *Registry) read(ctx context.Context, t *Task) (registryValue, error) {
	return queryRegValue(ctx, t, r.Key, r.Name)
}
