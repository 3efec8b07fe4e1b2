package inventory

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// This file turns an Ansible inventory (INI or YAML, read by ansible_ini.go
// and ansible_yaml.go into an ansibleInv) into the declarations an HCL
// inventory makes, so that build checks it and resolves precedence the
// same way. Ansible's and winplay's precedence agree (all, then groups by
// depth and name, then the host), so each ansible_* connection variable
// becomes one connection setting at the level it was written at; only the
// defaults that depend on other settings (ansible.windows' port 5986, the
// scheme that follows the port, Basic auth) are applied to each host's
// merged settings, as Ansible applies them.

// ansibleVar is one variable as written, with where it was written.
type ansibleVar struct {
	name     string
	val      cty.Value
	nameRng  hcl.Range
	valueRng hcl.Range
}

type ansibleHost struct {
	name string
	rng  hcl.Range
	vars []ansibleVar // in the order written; a later one wins
}

type ansibleGroup struct {
	name     string
	rng      hcl.Range
	hosts    []ref
	children []ref
	vars     []ansibleVar
}

// ansibleInv is an Ansible inventory as written: hosts in the order first
// seen, groups, and the variables of "all".
type ansibleInv struct {
	hosts   []*ansibleHost
	byName  map[string]*ansibleHost
	groups  []*ansibleGroup
	gByName map[string]*ansibleGroup
	allVars []ansibleVar
	// secrets are the ranges of values that may be passwords, masked
	// wherever a diagnostic shows their line.
	secrets []hcl.Range
}

func newAnsibleInv() *ansibleInv {
	return &ansibleInv{byName: map[string]*ansibleHost{}, gByName: map[string]*ansibleGroup{}}
}

// host returns the host named name, declaring it at rng the first time.
func (a *ansibleInv) host(name string, rng hcl.Range) *ansibleHost {
	if h, ok := a.byName[name]; ok {
		return h
	}
	h := &ansibleHost{name: name, rng: rng}
	a.byName[name] = h
	a.hosts = append(a.hosts, h)
	return h
}

// group returns the group named name, declaring it at rng the first time.
func (a *ansibleInv) group(name string, rng hcl.Range) *ansibleGroup {
	if g, ok := a.gByName[name]; ok {
		return g
	}
	g := &ansibleGroup{name: name, rng: rng}
	a.gByName[name] = g
	a.groups = append(a.groups, g)
	return g
}

// addMember puts host h in group g once.
func (g *ansibleGroup) addMember(h string, rng hcl.Range) {
	if !slices.ContainsFunc(g.hosts, func(r ref) bool { return r.name == h }) {
		g.hosts = append(g.hosts, ref{name: h, rng: rng})
	}
}

func (g *ansibleGroup) addChild(c string, rng hcl.Range) {
	if !slices.ContainsFunc(g.children, func(r ref) bool { return r.name == c }) {
		g.children = append(g.children, ref{name: c, rng: rng})
	}
}

// ansibleDefaultPasswordEnv is where the password of an Ansible
// inventory's hosts comes from unless winplay_password_env says otherwise.
const ansibleDefaultPasswordEnv = "WINPLAY_PASSWORD"

// ansibleSetting maps Ansible connection variables onto one connection
// setting. Rows are in the order the inventory reference lists them.
type ansibleSetting struct {
	names []string
	doc   string
	apply func(l *connLayer, hd *hostDecl, v ansibleVar, dir string) *hcl.Diagnostic
}

var ansibleSettings = []ansibleSetting{
	{[]string{"ansible_host", "ansible_winrm_host"}, "address", func(_ *connLayer, hd *hostDecl, v ansibleVar, _ string) *hcl.Diagnostic {
		s, d := ansibleString(v)
		if d != nil {
			return d
		}
		if hd == nil {
			return errorAt("Address set for a group", fmt.Sprintf(
				"%s is set for a group or all hosts; winplay takes a host's address from its own line only. Set it on each host.", v.name), v.nameRng)
		}
		hd.address = setting[string]{val: s, set: true, rng: v.valueRng}
		return nil
	}},
	{[]string{"ansible_port", "ansible_winrm_port"}, "port", func(l *connLayer, _ *hostDecl, v ansibleVar, _ string) *hcl.Diagnostic {
		n, d := ansibleInt(v)
		if d == nil {
			l.port = setting[int]{val: n, set: true, rng: v.valueRng}
		}
		return d
	}},
	{[]string{"ansible_user", "ansible_winrm_user"}, "user", func(l *connLayer, _ *hostDecl, v ansibleVar, _ string) *hcl.Diagnostic {
		s, d := ansibleString(v)
		if d == nil {
			l.user = setting[string]{val: s, set: true, rng: v.valueRng}
		}
		return d
	}},
	{[]string{"ansible_winrm_scheme"}, "https", func(l *connLayer, _ *hostDecl, v ansibleVar, _ string) *hcl.Diagnostic {
		s, d := ansibleString(v)
		if d != nil {
			return d
		}
		switch strings.ToLower(s) {
		case "http", "https":
			l.https = setting[bool]{val: strings.EqualFold(s, "https"), set: true, rng: v.valueRng}
			return nil
		}
		return errorAt("Invalid ansible_winrm_scheme", fmt.Sprintf("ansible_winrm_scheme = %q: it is http or https.", s), v.valueRng)
	}},
	{[]string{"ansible_winrm_transport"}, "transport", func(l *connLayer, _ *hostDecl, v ansibleVar, _ string) *hcl.Diagnostic {
		t, d := ansibleTransport(v)
		if d == nil {
			l.transport = setting[string]{val: t, set: true, rng: v.valueRng}
			// pywinrm's plaintext is Basic over HTTP asked for by name.
			if v.val.Type() == cty.String && strings.EqualFold(strings.TrimSpace(strings.Split(v.val.AsString(), ",")[0]), "plaintext") {
				l.allowUnencrypted = setting[bool]{val: true, set: true, rng: v.valueRng}
			}
		}
		return d
	}},
	{[]string{"winplay_allow_unencrypted"}, "allow_unencrypted", func(l *connLayer, _ *hostDecl, v ansibleVar, _ string) *hcl.Diagnostic {
		s, d := ansibleString(v)
		if d != nil {
			return d
		}
		switch strings.ToLower(s) {
		case "true", "false":
			l.allowUnencrypted = setting[bool]{val: strings.EqualFold(s, "true"), set: true, rng: v.valueRng}
			return nil
		}
		return errorAt("Invalid winplay_allow_unencrypted", fmt.Sprintf("winplay_allow_unencrypted = %q: it is true or false.", s), v.valueRng)
	}},
	{[]string{"ansible_winrm_server_cert_validation"}, "insecure", func(l *connLayer, _ *hostDecl, v ansibleVar, _ string) *hcl.Diagnostic {
		s, d := ansibleString(v)
		if d != nil {
			return d
		}
		switch strings.ToLower(s) {
		case "ignore", "validate":
			l.insecure = setting[bool]{val: strings.EqualFold(s, "ignore"), set: true, rng: v.valueRng}
			return nil
		}
		return errorAt("Invalid ansible_winrm_server_cert_validation",
			fmt.Sprintf("ansible_winrm_server_cert_validation = %q: it is validate or ignore.", s), v.valueRng)
	}},
	{[]string{"ansible_winrm_ca_trust_path"}, "ca_file", func(l *connLayer, _ *hostDecl, v ansibleVar, dir string) *hcl.Diagnostic {
		s, d := ansibleString(v)
		if d != nil {
			return d
		}
		ca, diags := readCA(s, dir, v.valueRng)
		if diags.HasErrors() {
			return diags[0]
		}
		l.ca = setting[caBundle]{val: ca, set: true, rng: v.valueRng}
		return nil
	}},
	{[]string{"ansible_winrm_operation_timeout_sec", "ansible_winrm_connection_timeout"}, "operation_timeout", func(l *connLayer, _ *hostDecl, v ansibleVar, _ string) *hcl.Diagnostic {
		n, d := ansibleInt(v)
		if d == nil {
			l.operationTimeout = setting[time.Duration]{val: time.Duration(n) * time.Second, set: true, rng: v.valueRng}
		}
		return d
	}},
	{[]string{"winplay_password_env"}, "password_env", func(l *connLayer, _ *hostDecl, v ansibleVar, _ string) *hcl.Diagnostic {
		s, d := ansibleString(v)
		if d != nil {
			return d
		}
		if !envName.MatchString(s) {
			return errorAt("Invalid winplay_password_env",
				"winplay_password_env names the environment variable that holds the password, such as WINPLAY_PASSWORD: letters, digits and underscores.", v.valueRng)
		}
		l.passwordEnv = setting[string]{val: s, set: true, rng: v.valueRng}
		return nil
	}},
	{[]string{"winplay_connect_timeout"}, "connect_timeout", func(l *connLayer, _ *hostDecl, v ansibleVar, _ string) *hcl.Diagnostic {
		n, d := ansibleInt(v)
		if d == nil {
			l.connectTimeout = setting[time.Duration]{val: time.Duration(n) * time.Second, set: true, rng: v.valueRng}
		}
		return d
	}},
}

// ansibleIgnored are Ansible connection variables winplay reads and then
// has no use for, each with why.
var ansibleIgnored = map[string]string{
	"ansible_connection":               "", // checked on its own: it must be winrm
	"ansible_winrm_path":               "winplay always uses /wsman",
	"ansible_winrm_message_encryption": "winplay always encrypts NTLM over HTTP",
	"ansible_winrm_read_timeout_sec":   "winplay bounds each request by the operation timeout",
	"ansible_shell_type":               "winplay runs cmd.exe command lines and fixed PowerShell scripts",
	"ansible_become":                   "winplay has no become: every command runs as the connecting user",
	"ansible_become_method":            "winplay has no become: every command runs as the connecting user",
	"ansible_become_user":              "winplay has no become: every command runs as the connecting user",
}

// ansibleTransports maps pywinrm's transports onto winplay's: plaintext
// and ssl are pywinrm's names for Basic over HTTP and HTTPS.
var ansibleTransports = map[string]string{
	"basic": TransportBasic, "plaintext": TransportBasic, "ssl": TransportBasic,
	"ntlm": TransportNTLM, "kerberos": TransportKerberos,
}

func ansibleTransport(v ansibleVar) (string, *hcl.Diagnostic) {
	var list []string
	switch {
	case v.val.Type() == cty.String:
		for _, t := range strings.Split(v.val.AsString(), ",") {
			list = append(list, strings.TrimSpace(t))
		}
	case v.val.Type().IsTupleType() || v.val.Type().IsListType():
		for _, e := range v.val.AsValueSlice() {
			if e.Type() != cty.String {
				return "", errorAt("Invalid ansible_winrm_transport", "ansible_winrm_transport is a transport name or a list of them.", v.valueRng)
			}
			list = append(list, e.AsString())
		}
	default:
		return "", errorAt("Invalid ansible_winrm_transport", "ansible_winrm_transport is a transport name or a list of them.", v.valueRng)
	}
	// Ansible tries each in turn; winplay takes the first, which is the one
	// Ansible uses when the host accepts it.
	t, ok := ansibleTransports[strings.ToLower(list[0])]
	if !ok {
		return "", errorAt("Unsupported transport", fmt.Sprintf(
			"ansible_winrm_transport = %q: winplay speaks basic (pywinrm's plaintext and ssl), ntlm and kerberos, not %s.",
			strings.Join(list, ","), list[0]), v.valueRng)
	}
	return t, nil
}

func ansibleString(v ansibleVar) (string, *hcl.Diagnostic) {
	switch {
	case v.val.IsNull():
	case v.val.Type() == cty.String:
		return v.val.AsString(), nil
	case v.val.Type() == cty.Number:
		return v.val.AsBigFloat().Text('f', -1), nil
	}
	return "", errorAt("Invalid "+v.name, fmt.Sprintf("%s must be a string, not %s.", v.name, friendly(v.val)), v.valueRng)
}

func ansibleInt(v ansibleVar) (int, *hcl.Diagnostic) {
	if !v.val.IsNull() && v.val.Type() == cty.Number {
		if n, acc := v.val.AsBigFloat().Int64(); acc == big.Exact && n >= 0 && n <= 1<<31 {
			return int(n), nil
		}
	}
	if !v.val.IsNull() && v.val.Type() == cty.String {
		if n, err := strconv.Atoi(strings.TrimSpace(v.val.AsString())); err == nil && n >= 0 {
			return n, nil
		}
	}
	return 0, errorAt("Invalid "+v.name, fmt.Sprintf("%s must be a whole number, not %s.", v.name, friendly(v.val)), v.valueRng)
}

func friendly(v cty.Value) string {
	if v.IsNull() {
		return "null"
	}
	if v.Type() == cty.String {
		return strconv.Quote(v.AsString())
	}
	return "a " + v.Type().FriendlyName()
}

// ansiblePassword reports whether an Ansible variable holds a secret:
// ansible_password, ansible_winrm_pass, ansible_become_password and the
// like. Other variables keep their names, whatever they contain.
func ansiblePassword(name string) bool {
	return strings.HasPrefix(name, "ansible_") && passwordLike(name)
}

// translate splits a level's variables into plain variables and
// connection settings, refusing passwords and reporting what winplay does
// not use. hd is the host for host-level variables, nil for a group's.
func (a *ansibleInv) translate(vars []ansibleVar, hd *hostDecl, dir string, unused map[string]*hcl.Diagnostic) (map[string]cty.Value, connLayer, hcl.Diagnostics) {
	var l connLayer
	var diags hcl.Diagnostics
	out := map[string]cty.Value{}
vars:
	for _, v := range vars {
		if ansiblePassword(v.name) || v.name == "ansible_winrm_cert_key_pem" {
			a.secrets = append(a.secrets, v.valueRng)
			diags = append(diags, errorAt("Password in inventory file", fmt.Sprintf(
				"%s is refused: secrets never live in the inventory file, which is shared, committed and printed. "+
					"winplay takes the password from the environment variable %s (or the one winplay_password_env names), "+
					"or asks for it on a terminal.", v.name, ansibleDefaultPasswordEnv), v.nameRng))
			continue
		}
		if v.val.Type() == cty.String && strings.HasPrefix(strings.TrimSpace(v.val.AsString()), "$ANSIBLE_VAULT;") {
			a.secrets = append(a.secrets, v.valueRng)
			diags = append(diags, errorAt("Vault-encrypted value", fmt.Sprintf(
				"%s holds an Ansible Vault value, which winplay cannot decrypt. Leave secrets out of the inventory: passwords come from %s or a prompt.",
				v.name, ansibleDefaultPasswordEnv), v.nameRng))
			continue
		}
		if v.name == "ansible_connection" {
			if s, _ := ansibleString(v); s != "winrm" {
				diags = append(diags, errorAt("Unsupported connection", fmt.Sprintf(
					"ansible_connection = %q: winplay connects over WinRM only (ansible_connection=winrm). Leave such hosts out of the inventory winplay reads, or limit them away.", s), v.valueRng))
			}
			continue
		}
		for _, s := range ansibleSettings {
			if slices.Contains(s.names, v.name) {
				if d := s.apply(&l, hd, v, dir); d != nil {
					diags = append(diags, d)
				}
				continue vars
			}
		}
		if why, ok := ansibleIgnored[v.name]; ok || strings.HasPrefix(v.name, "ansible_winrm_") || strings.HasPrefix(v.name, "ansible_psrp_") {
			if why == "" {
				why = "winplay does not use it"
			}
			if _, seen := unused[v.name]; !seen {
				unused[v.name] = &hcl.Diagnostic{
					Severity: hcl.DiagWarning, Summary: "Ansible variable not used",
					Detail:  fmt.Sprintf("%s is ignored: %s.", v.name, why),
					Subject: subject(v.nameRng),
				}
			}
			continue
		}
		out[v.name] = v.val
	}
	return out, l, diags
}

// decls turns the Ansible inventory into declarations for build.
func (a *ansibleInv) decls(dir string) (*decls, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	unused := map[string]*hcl.Diagnostic{}
	d := &decls{finish: ansibleDefaults, userHint: "Set ansible_user on the host, or for one of its groups ([group:vars] or vars:)."}
	var ds hcl.Diagnostics
	d.vars, d.conn, ds = a.translate(a.allVars, nil, dir, unused)
	diags = append(diags, ds...)
	for _, h := range a.hosts {
		hd := &hostDecl{name: h.name, nameRange: h.rng, defRange: h.rng}
		hd.vars, hd.conn, ds = a.translate(h.vars, hd, dir, unused)
		diags = append(diags, ds...)
		d.hosts = append(d.hosts, hd)
	}
	for _, g := range a.groups {
		if g.name == GroupUngrouped {
			// Its hosts are in no other group, which is what ungrouped
			// means to winplay too.
			if len(g.vars) > 0 {
				diags = append(diags, errorAt("Variables of ungrouped", "winplay cannot give variables to the implicit group ungrouped; put them on its hosts, or in a group.", g.vars[0].nameRng))
			}
			continue
		}
		gd := &groupDecl{name: g.name, nameRange: g.rng, defRange: g.rng, hosts: g.hosts, children: g.children}
		gd.vars, gd.conn, ds = a.translate(g.vars, nil, dir, unused)
		diags = append(diags, ds...)
		d.groups = append(d.groups, gd)
	}
	names := make([]string, 0, len(unused))
	for n := range unused {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		diags = append(diags, unused[n])
	}
	return d, diags
}

// ansibleDefaults applies ansible.windows' defaults to a host's merged
// settings: port 5986; the scheme http when the port is 5985 and https
// otherwise; Basic authentication (pywinrm's plaintext or ssl), or
// Kerberos for a user written user@REALM; and the password from
// $WINPLAY_PASSWORD.
func ansibleDefaults(l connLayer) connLayer {
	if !l.port.set {
		l.port = set(DefaultHTTPSPort)
	}
	if !l.https.set {
		l.https = set(l.port.val != DefaultHTTPPort)
	}
	if !l.transport.set {
		l.transport = set(TransportBasic)
		if strings.Contains(l.user.val, "@") {
			l.transport = set(TransportKerberos)
		}
	}
	if !l.passwordEnv.set {
		l.passwordEnv = set(ansibleDefaultPasswordEnv)
	}
	return l
}
