package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Names of the implicit groups every inventory has.
const (
	GroupAll       = "all"
	GroupUngrouped = "ungrouped"
)

// Inventory is a validated set of hosts and groups. It is read-only once
// built: Load and New return it, and its accessors return the hosts and
// groups it holds, which callers must not modify.
type Inventory struct {
	vars    map[string]cty.Value
	hosts   []*Host
	byName  map[string]*Host
	groups  []*Group
	members map[string][]*Host // every group, implicit ones included → hosts in inventory order
}

// Host is one Windows machine with its effective settings.
type Host struct {
	Name string
	// Address is the DNS name or IP address to connect to; the host's name
	// when the file gives none.
	Address string
	// Groups lists every group the host belongs to, directly or through
	// nested groups, in precedence order: "all" first, then by depth and
	// name; "ungrouped" when it is in no declared group.
	Groups []string
	// Vars are the host's variables after merging the file, its groups
	// and its own, as playbook expressions see them (host.vars.x).
	Vars map[string]cty.Value
	Conn Connection
}

// Endpoint returns the WinRM URL of the host, such as
// "https://10.1.0.11:5986/wsman".
func (h *Host) Endpoint() string {
	return h.Conn.Scheme() + "://" + net.JoinHostPort(h.Address, strconv.Itoa(h.Conn.Port)) + "/wsman"
}

// MarshalJSON encodes the host with its variables as plain JSON values and
// its connection without the password.
func (h *Host) MarshalJSON() ([]byte, error) {
	vars, err := varsJSON(h.Vars)
	if err != nil {
		return nil, fmt.Errorf("host %q: %w", h.Name, err)
	}
	return json.Marshal(struct {
		Name    string          `json:"name"`
		Address string          `json:"address"`
		Groups  []string        `json:"groups"`
		Vars    json.RawMessage `json:"vars"`
		Conn    Connection      `json:"connection"`
	}{h.Name, h.Address, h.Groups, vars, h.Conn})
}

// Group is a declared group of hosts. Its connection settings, if any, are
// already merged into its hosts' Conn.
type Group struct {
	Name     string
	Hosts    []string // direct members
	Children []string // nested groups, whose hosts are members too
	Vars     map[string]cty.Value
}

// MarshalJSON encodes the group with its variables as plain JSON values.
func (g *Group) MarshalJSON() ([]byte, error) {
	vars, err := varsJSON(g.Vars)
	if err != nil {
		return nil, fmt.Errorf("group %q: %w", g.Name, err)
	}
	return json.Marshal(struct {
		Name     string          `json:"name"`
		Hosts    []string        `json:"hosts"`
		Children []string        `json:"children"`
		Vars     json.RawMessage `json:"vars"`
	}{g.Name, nonNil(g.Hosts), nonNil(g.Children), vars})
}

// Hosts returns every host in inventory order: the order of the host
// blocks in the file, or of Spec.Hosts.
func (inv *Inventory) Hosts() []*Host {
	if inv == nil {
		return nil
	}
	return append([]*Host(nil), inv.hosts...)
}

// Host returns the host with the given name.
func (inv *Inventory) Host(name string) (*Host, bool) {
	if inv == nil {
		return nil, false
	}
	h, ok := inv.byName[name]
	return h, ok
}

// Groups returns the declared groups in declaration order. The implicit
// groups "all" and "ungrouped" are not among them: their members are
// available through Select and Host.Groups, and the variables of "all"
// through Vars.
func (inv *Inventory) Groups() []*Group {
	if inv == nil {
		return nil
	}
	return append([]*Group(nil), inv.groups...)
}

// Vars returns the file-level variables, which are those of the group "all".
func (inv *Inventory) Vars() map[string]cty.Value {
	if inv == nil {
		return nil
	}
	return inv.vars
}

// MarshalJSON encodes the inventory for machines (`winplay hosts --json`),
// without any password.
func (inv *Inventory) MarshalJSON() ([]byte, error) {
	if inv == nil {
		return []byte("null"), nil
	}
	vars, err := varsJSON(inv.vars)
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		Vars   json.RawMessage `json:"vars"`
		Hosts  []*Host         `json:"hosts"`
		Groups []*Group        `json:"groups"`
	}{vars, nonNil(inv.hosts), nonNil(inv.groups)})
}

// Spec describes an inventory built in code, as the lab does for its
// in-process hosts. See New.
type Spec struct {
	// Vars are the variables of the group "all".
	Vars map[string]cty.Value
	// Hosts are the hosts in inventory order. Their Vars are host-level
	// variables; their Groups are ignored and computed from Groups. In
	// Conn, zero values mean the built-in defaults (see the package doc),
	// and the password is set with SetPassword.
	Hosts []*Host
	// Groups are the declared groups.
	Groups []*Group
}

// New builds an inventory in code, with the same rules as Load: names,
// group references, cycles, connection settings and precedence. It does
// not read the environment or prompt: set each password with
// Connection.SetPassword. A relative CAFile is resolved against the
// working directory and read when CAPEM is empty. New does not modify spec.
func New(spec Spec) (*Inventory, error) {
	d := &decls{vars: spec.Vars}
	for i, h := range spec.Hosts {
		if h == nil {
			return nil, fmt.Errorf("inventory.New: Spec.Hosts[%d] is nil", i)
		}
		layer, diags := layerFromConnection(h.Conn)
		if diags.HasErrors() {
			return nil, fmt.Errorf("host %q: %w", h.Name, diagsError(diags))
		}
		hd := &hostDecl{name: h.Name, vars: h.Vars, conn: layer}
		if h.Address != "" {
			hd.address = setting[string]{val: h.Address, set: true}
		}
		d.hosts = append(d.hosts, hd)
	}
	for i, g := range spec.Groups {
		if g == nil {
			return nil, fmt.Errorf("inventory.New: Spec.Groups[%d] is nil", i)
		}
		gd := &groupDecl{name: g.Name, vars: g.Vars}
		for _, n := range g.Hosts {
			gd.hosts = append(gd.hosts, ref{name: n})
		}
		for _, n := range g.Children {
			gd.children = append(gd.children, ref{name: n})
		}
		d.groups = append(d.groups, gd)
	}
	b, diags := build(d)
	if diags.HasErrors() {
		return nil, diagsError(diags)
	}
	return b.inv, nil
}

// diagsError turns the errors of an inventory built in code, which have no
// source ranges, into one error.
func diagsError(diags hcl.Diagnostics) error {
	var errs []error
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		errs = append(errs, fmt.Errorf("%s: %s", d.Summary, d.Detail))
	}
	return errors.Join(errs...)
}

func varsJSON(vars map[string]cty.Value) (json.RawMessage, error) {
	if len(vars) == 0 {
		return json.RawMessage("{}"), nil
	}
	if err := checkVars(vars); err != nil {
		return nil, err
	}
	return ctyjson.Marshal(cty.ObjectVal(vars), cty.ObjectVal(vars).Type())
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
