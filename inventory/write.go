package inventory

import (
	"errors"
	"fmt"
	"io"
	"maps"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// connField is one connection argument as Write sees it.
type connField struct {
	name      string
	value     func(Connection) cty.Value
	isDefault func(Connection) bool
}

// connFields are in the order the file's documentation uses.
var connFields = []connField{
	{"transport", func(c Connection) cty.Value { return cty.StringVal(c.Transport) },
		func(c Connection) bool { return c.Transport == DefaultTransport }},
	{"https", func(c Connection) cty.Value { return cty.BoolVal(c.HTTPS) },
		func(c Connection) bool { return !c.HTTPS }},
	{"port", func(c Connection) cty.Value { return cty.NumberIntVal(int64(c.Port)) },
		func(c Connection) bool { return c.Port == defaultPort(c.HTTPS) }},
	{"user", func(c Connection) cty.Value { return cty.StringVal(c.User) },
		func(c Connection) bool { return c.User == "" }},
	{"password_env", func(c Connection) cty.Value { return cty.StringVal(c.PasswordEnv) },
		func(c Connection) bool { return c.PasswordEnv == "" }},
	{"ca_file", func(c Connection) cty.Value { return cty.StringVal(c.CAFile) },
		func(c Connection) bool { return c.CAFile == "" }},
	{"insecure", func(c Connection) cty.Value { return cty.BoolVal(c.Insecure) },
		func(c Connection) bool { return !c.Insecure }},
	{"allow_unencrypted", func(c Connection) cty.Value { return cty.BoolVal(c.AllowUnencrypted) },
		func(c Connection) bool { return !c.AllowUnencrypted }},
	{"connect_timeout", func(c Connection) cty.Value { return cty.StringVal(formatDuration(c.ConnectTimeout)) },
		func(c Connection) bool { return c.ConnectTimeout == DefaultConnectTimeout }},
	{"operation_timeout", func(c Connection) cty.Value { return cty.StringVal(formatDuration(c.OperationTimeout)) },
		func(c Connection) bool { return c.OperationTimeout == DefaultOperationTimeout }},
	{"spn", func(c Connection) cty.Value { return cty.StringVal(c.SPN) },
		func(c Connection) bool { return c.SPN == "" }},
	{"keytab", func(c Connection) cty.Value { return cty.StringVal(c.Keytab) },
		func(c Connection) bool { return c.Keytab == "" }},
	{"ticket_cache", func(c Connection) cty.Value { return cty.BoolVal(c.TicketCache) },
		func(c Connection) bool { return !c.TicketCache }},
	{"krb5_conf", func(c Connection) cty.Value { return cty.StringVal(c.Krb5Conf) },
		func(c Connection) bool { return c.Krb5Conf == "" }},
	{"cert_file", func(c Connection) cty.Value { return cty.StringVal(c.CertFile) },
		func(c Connection) bool { return c.CertFile == "" }},
	{"key_file", func(c Connection) cty.Value { return cty.StringVal(c.KeyFile) },
		func(c Connection) bool { return c.KeyFile == "" }},
}

// Write writes inv as an inventory file that Load reads back to the same
// hosts (names, addresses, groups, variables and connections) and groups.
//
// Connection settings shared by every host go in the file's connection
// block, the others in each host's; built-in defaults are left out. Group
// connection blocks are not reproduced: their effect is written per host.
// Passwords are never written, only password_env; ca_file is written as
// the absolute path it was read from. A connection with CAPEM but no
// CAFile (a CA made in code) cannot be written and is an error.
func Write(w io.Writer, inv *Inventory) error {
	if inv == nil {
		return errors.New("write inventory: no inventory")
	}
	if err := checkVars(inv.vars); err != nil {
		return fmt.Errorf("write inventory: file vars: %w", err)
	}
	groupVars := map[string]map[string]cty.Value{}
	for _, g := range inv.groups {
		if err := checkVars(g.Vars); err != nil {
			return fmt.Errorf("write inventory: group %q: %w", g.Name, err)
		}
		groupVars[g.Name] = g.Vars
	}
	for _, h := range inv.hosts {
		if err := checkVars(h.Vars); err != nil {
			return fmt.Errorf("write inventory: host %q: %w", h.Name, err)
		}
		if len(h.Conn.CAPEM) > 0 && h.Conn.CAFile == "" {
			return fmt.Errorf("write inventory: host %q has a CA certificate but no ca_file to name it; save the certificate to a file and set Connection.CAFile", h.Name)
		}
	}

	f := hclwrite.NewEmptyFile()
	body := f.Body()

	// A setting goes in the file's block when every host has the same
	// value, unless that value is the default everywhere.
	var shared, perHost []connField
	for _, fld := range connFields {
		allDefault, allSame := true, true
		for _, h := range inv.hosts {
			allDefault = allDefault && fld.isDefault(h.Conn)
			allSame = allSame && fld.value(h.Conn).RawEquals(fld.value(inv.hosts[0].Conn))
		}
		switch {
		case allDefault:
		case allSame:
			shared = append(shared, fld)
		default:
			perHost = append(perHost, fld)
		}
	}
	if len(shared) > 0 {
		conn := body.AppendNewBlock("connection", nil).Body()
		for _, fld := range shared {
			conn.SetAttributeValue(fld.name, fld.value(inv.hosts[0].Conn))
		}
	}
	if len(inv.vars) > 0 {
		if len(shared) > 0 {
			body.AppendNewline()
		}
		body.SetAttributeValue("vars", cty.ObjectVal(inv.vars))
	}

	for _, h := range inv.hosts {
		body.AppendNewline()
		hb := body.AppendNewBlock("host", []string{h.Name}).Body()
		if h.Address != h.Name {
			hb.SetAttributeValue("address", cty.StringVal(h.Address))
		}
		// Only the variables the file and groups do not already give.
		inherited := maps.Clone(inv.vars)
		if inherited == nil {
			inherited = map[string]cty.Value{}
		}
		for _, g := range h.Groups {
			maps.Copy(inherited, groupVars[g])
		}
		own := map[string]cty.Value{}
		for k, v := range h.Vars {
			if iv, ok := inherited[k]; !ok || !iv.RawEquals(v) {
				own[k] = v
			}
		}
		if len(own) > 0 {
			hb.SetAttributeValue("vars", cty.ObjectVal(own))
		}
		var conn *hclwrite.Body
		for _, fld := range perHost {
			if fld.isDefault(h.Conn) {
				continue
			}
			if conn == nil {
				conn = hb.AppendNewBlock("connection", nil).Body()
			}
			conn.SetAttributeValue(fld.name, fld.value(h.Conn))
		}
	}

	for _, g := range inv.groups {
		body.AppendNewline()
		gb := body.AppendNewBlock("group", []string{g.Name}).Body()
		if len(g.Hosts) > 0 {
			gb.SetAttributeValue("hosts", stringList(g.Hosts))
		}
		if len(g.Children) > 0 {
			gb.SetAttributeValue("children", stringList(g.Children))
		}
		if len(g.Vars) > 0 {
			gb.SetAttributeValue("vars", cty.ObjectVal(g.Vars))
		}
	}

	if _, err := w.Write(f.Bytes()); err != nil {
		return fmt.Errorf("write inventory: %w", err)
	}
	return nil
}

func stringList(names []string) cty.Value {
	vals := make([]cty.Value, len(names))
	for i, n := range names {
		vals[i] = cty.StringVal(n)
	}
	return cty.TupleVal(vals)
}
