package inventory

import (
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// This file holds what Load and New share: the declarations both produce,
// and build, which checks them and resolves precedence into an Inventory.
// Declarations from a file carry source ranges; those from code have zero
// ranges, and their diagnostics have no Subject.

// setting is one connection attribute at one level of precedence.
type setting[T any] struct {
	val T
	set bool
	rng hcl.Range // where the value was written; zero when set in code
}

func set[T any](v T) setting[T] { return setting[T]{val: v, set: true} }

// or returns upper when it is set, else s: upper is the higher level.
func (s setting[T]) or(upper setting[T]) setting[T] {
	if upper.set {
		return upper
	}
	return s
}

// caBundle is a ca_file setting: the absolute path and what it contains.
// An empty path and nil pem clear an inherited ca_file.
type caBundle struct {
	path string
	pem  []byte
}

// connLayer is the connection settings given at one level: the file, a
// group or a host.
type connLayer struct {
	transport        setting[string]
	https            setting[bool]
	insecure         setting[bool]
	allowUnencrypted setting[bool]
	port             setting[int]
	user             setting[string]
	passwordEnv      setting[string]
	ca               setting[caBundle]
	connectTimeout   setting[time.Duration]
	operationTimeout setting[time.Duration]
	spn              setting[string]
	keytab           setting[string] // absolute path
	ticketCache      setting[bool]
	krb5Conf         setting[string]  // absolute path
	certFile         setting[string]  // absolute path
	keyFile          setting[string]  // absolute path
	password         setting[*secret] // only from code: files never hold secrets
}

// over returns l overridden by every setting upper sets.
func (l connLayer) over(upper connLayer) connLayer {
	return connLayer{
		transport:        l.transport.or(upper.transport),
		https:            l.https.or(upper.https),
		insecure:         l.insecure.or(upper.insecure),
		allowUnencrypted: l.allowUnencrypted.or(upper.allowUnencrypted),
		port:             l.port.or(upper.port),
		user:             l.user.or(upper.user),
		passwordEnv:      l.passwordEnv.or(upper.passwordEnv),
		ca:               l.ca.or(upper.ca),
		connectTimeout:   l.connectTimeout.or(upper.connectTimeout),
		operationTimeout: l.operationTimeout.or(upper.operationTimeout),
		spn:              l.spn.or(upper.spn),
		keytab:           l.keytab.or(upper.keytab),
		ticketCache:      l.ticketCache.or(upper.ticketCache),
		krb5Conf:         l.krb5Conf.or(upper.krb5Conf),
		certFile:         l.certFile.or(upper.certFile),
		keyFile:          l.keyFile.or(upper.keyFile),
		password:         l.password.or(upper.password),
	}
}

// layerFromConnection turns a Connection given in code into a host-level
// layer: zero values are unset, so the defaults apply.
func layerFromConnection(c Connection) (connLayer, hcl.Diagnostics) {
	l := connLayer{https: set(c.HTTPS), insecure: set(c.Insecure), allowUnencrypted: set(c.AllowUnencrypted)}
	if c.Transport != "" {
		l.transport = set(c.Transport)
	}
	if c.Port != 0 {
		l.port = set(c.Port)
	}
	if c.User != "" {
		l.user = set(c.User)
	}
	if c.PasswordEnv != "" {
		l.passwordEnv = set(c.PasswordEnv)
	}
	if c.ConnectTimeout != 0 {
		l.connectTimeout = set(c.ConnectTimeout)
	}
	if c.OperationTimeout != 0 {
		l.operationTimeout = set(c.OperationTimeout)
	}
	if c.password != nil {
		l.password = set(c.password)
	}
	if c.SPN != "" {
		l.spn = set(c.SPN)
	}
	if c.Keytab != "" {
		l.keytab = set(c.Keytab)
	}
	if c.TicketCache {
		l.ticketCache = set(true)
	}
	if c.Krb5Conf != "" {
		l.krb5Conf = set(c.Krb5Conf)
	}
	if c.CertFile != "" {
		l.certFile = set(c.CertFile)
	}
	if c.KeyFile != "" {
		l.keyFile = set(c.KeyFile)
	}
	var diags hcl.Diagnostics
	switch {
	case len(c.CAPEM) > 0:
		ca := caBundle{path: c.CAFile, pem: c.CAPEM}
		if !validPEM(c.CAPEM) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid CA certificate",
				Detail:   "Connection.CAPEM holds no PEM-encoded certificate.",
			})
		}
		l.ca = set(ca)
	case c.CAFile != "":
		var ca caBundle
		ca, diags = readCA(c.CAFile, "", hcl.Range{})
		l.ca = set(ca)
	}
	return l, diags
}

// checkLayer checks the settings of one level on their own; the checks
// that need the merged result are in checkConnection.
func checkLayer(l connLayer) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if l.transport.set && !slices.Contains(transports, l.transport.val) {
		detail := fmt.Sprintf("transport = %q is not supported: use %q, %q or %q.",
			l.transport.val, TransportBasic, TransportNTLM, TransportKerberos)
		if s := suggest(l.transport.val, transports); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		}
		diags = append(diags, errorAt("Invalid transport", detail, l.transport.rng))
	}
	if l.port.set && (l.port.val < 1 || l.port.val > 65535) {
		diags = append(diags, errorAt("Port out of range",
			fmt.Sprintf("port = %d is not a TCP port: use a number from 1 to 65535. WinRM listens on %d for HTTP and %d for HTTPS.",
				l.port.val, DefaultHTTPPort, DefaultHTTPSPort),
			l.port.rng))
	}
	for _, t := range []struct {
		name string
		s    setting[time.Duration]
	}{{"connect_timeout", l.connectTimeout}, {"operation_timeout", l.operationTimeout}} {
		if t.s.set && t.s.val <= 0 {
			diags = append(diags, errorAt("Invalid duration",
				fmt.Sprintf("%s must be longer than zero, not %q.", t.name, t.s.val.String()),
				t.s.rng))
		}
	}
	return diags
}

type ref struct {
	name string
	rng  hcl.Range
}

type hostDecl struct {
	name      string
	nameRange hcl.Range
	defRange  hcl.Range
	address   setting[string]
	vars      map[string]cty.Value
	conn      connLayer
}

type groupDecl struct {
	name      string
	nameRange hcl.Range
	defRange  hcl.Range
	hosts     []ref
	children  []ref
	vars      map[string]cty.Value
	conn      connLayer
}

// decls is an inventory as written, before any checking.
type decls struct {
	vars   map[string]cty.Value
	conn   connLayer
	hosts  []*hostDecl
	groups []*groupDecl
	// finish, when set, completes each host's merged settings before the
	// built-in defaults apply: an Ansible inventory's defaults depend on
	// other settings (see ansibleDefaults).
	finish func(connLayer) connLayer
	// userHint says where to set a missing user, in the file's terms.
	userHint string
}

// built is an Inventory together with what Load still needs to report
// password problems at the right place.
type built struct {
	inv    *Inventory
	layers map[string]connLayer // host name → merged connection settings
	decls  map[string]*hostDecl
}

// validName keeps names usable in patterns (no , : ! & * ? [) and in
// expressions, while allowing what Windows and DNS names use.
var validName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// build checks d and resolves it into an Inventory.
func build(d *decls) (*built, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	diags = append(diags, checkLayer(d.conn)...)
	diags = append(diags, checkVarsDiag("the file's vars", d.vars)...)

	// Hosts and groups share one namespace: a pattern term cannot tell them
	// apart. Names are case-sensitive, as in Ansible, but two names that
	// differ only in case are refused because Windows names are not.
	type entry struct {
		kind, name string
		rng        hcl.Range
	}
	byFold := map[string]entry{}
	declare := func(kind, name string, nameRange hcl.Range) bool {
		if !validName.MatchString(name) {
			diags = append(diags, errorAt("Invalid "+kind+" name", fmt.Sprintf(
				"%q is not a valid %s name: a name starts with a letter, digit or underscore and holds only letters, digits, \"_\", \"-\" and \".\", so that it can be used in host patterns.",
				name, kind), nameRange))
			return false
		}
		if name == GroupAll || name == GroupUngrouped {
			detail := fmt.Sprintf("%q is the implicit group of every host; put settings for all hosts in the file's top-level connection block and vars.", name)
			if name == GroupUngrouped {
				detail = fmt.Sprintf("%q is the implicit group of the hosts that are in no group; it cannot be declared.", name)
			}
			diags = append(diags, errorAt("Reserved name", detail, nameRange))
			return false
		}
		prev, dup := byFold[strings.ToLower(name)]
		switch {
		case !dup:
			byFold[strings.ToLower(name)] = entry{kind, name, nameRange}
			return true
		case prev.name == name && prev.kind == kind:
			diags = append(diags, errorAt("Duplicate "+kind, fmt.Sprintf(
				"A %s named %q is already defined%s; each name is defined once.", kind, name, at(prev.rng)), nameRange))
		case prev.name == name:
			diags = append(diags, errorAt("Name used for a host and a group", fmt.Sprintf(
				"%q is already a %s%s. Hosts and groups share one namespace, because a host pattern such as --limit %s could not tell them apart.",
				name, prev.kind, at(prev.rng), name), nameRange))
		default:
			diags = append(diags, errorAt("Names differ only in case", fmt.Sprintf(
				"%q and the %s %q%s differ only in case. Windows names are not case-sensitive, so these would be the same machine; use one spelling.",
				name, prev.kind, prev.name, at(prev.rng)), nameRange))
		}
		return false
	}

	var hosts []*hostDecl
	hostByName := map[string]*hostDecl{}
	for _, h := range d.hosts {
		diags = append(diags, checkLayer(h.conn)...)
		diags = append(diags, checkVarsDiag(fmt.Sprintf("host %q's vars", h.name), h.vars)...)
		if declare("host", h.name, h.nameRange) {
			hosts = append(hosts, h)
			hostByName[h.name] = h
		}
	}
	var groups []*groupDecl
	groupByName := map[string]*groupDecl{}
	for _, g := range d.groups {
		diags = append(diags, checkLayer(g.conn)...)
		diags = append(diags, checkVarsDiag(fmt.Sprintf("group %q's vars", g.name), g.vars)...)
		if declare("group", g.name, g.nameRange) {
			groups = append(groups, g)
			groupByName[g.name] = g
		}
	}
	hostNames := make([]string, len(hosts))
	for i, h := range hosts {
		hostNames[i] = h.name
	}
	groupNames := make([]string, len(groups))
	for i, g := range groups {
		groupNames[i] = g.name
	}

	// Resolve each group's members and children.
	directHosts := map[string][]string{}
	children := map[string][]ref{}
	parents := map[string][]string{}
	for _, g := range groups {
		listed := map[string]hcl.Range{}
		for _, r := range g.hosts {
			if prev, dup := listed[r.name]; dup {
				diags = append(diags, errorAt("Duplicate group member", fmt.Sprintf(
					"Group %q lists host %q twice; it is already listed%s.", g.name, r.name, at(prev)), r.rng))
				continue
			}
			listed[r.name] = r.rng
			switch {
			case hostByName[r.name] != nil:
				directHosts[g.name] = append(directHosts[g.name], r.name)
			case groupByName[r.name] != nil:
				diags = append(diags, errorAt("Group listed as a host", fmt.Sprintf(
					"Group %q lists %q in hosts, but %q is a group: list it in children to nest it.", g.name, r.name, r.name), r.rng))
			case r.name == GroupAll || r.name == GroupUngrouped:
				diags = append(diags, errorAt("Group listed as a host", fmt.Sprintf(
					"Group %q lists %q in hosts, but %q is an implicit group and cannot be nested.", g.name, r.name, r.name), r.rng))
			default:
				diags = append(diags, errorAt("Unknown host", fmt.Sprintf(
					"Group %q lists host %q, which is not defined in this inventory.%s", g.name, r.name, didYouMean(r.name, hostNames)), r.rng))
			}
		}
		listed = map[string]hcl.Range{}
		for _, r := range g.children {
			if prev, dup := listed[r.name]; dup {
				diags = append(diags, errorAt("Duplicate group member", fmt.Sprintf(
					"Group %q lists child group %q twice; it is already listed%s.", g.name, r.name, at(prev)), r.rng))
				continue
			}
			listed[r.name] = r.rng
			switch {
			case groupByName[r.name] != nil:
				children[g.name] = append(children[g.name], r)
				parents[r.name] = append(parents[r.name], g.name)
			case hostByName[r.name] != nil:
				diags = append(diags, errorAt("Host listed as a group", fmt.Sprintf(
					"Group %q lists %q in children, but %q is a host: list it in hosts.", g.name, r.name, r.name), r.rng))
			case r.name == GroupAll || r.name == GroupUngrouped:
				diags = append(diags, errorAt("Implicit group nested", fmt.Sprintf(
					"Group %q lists %q in children, but %q is an implicit group and cannot be nested.", g.name, r.name, r.name), r.rng))
			default:
				diags = append(diags, errorAt("Unknown group", fmt.Sprintf(
					"Group %q lists child group %q, which is not defined in this inventory.%s", g.name, r.name, didYouMean(r.name, groupNames)), r.rng))
			}
		}
	}
	diags = append(diags, findCycles(groups, children)...)
	if diags.HasErrors() {
		// Precedence needs an acyclic, fully resolved graph.
		return nil, diags
	}

	// Precedence between groups, as in Ansible: by depth (a nested group
	// is deeper than every parent), then by name.
	depth := map[string]int{}
	var depthOf func(name string) int
	depthOf = func(name string) int {
		if n, ok := depth[name]; ok {
			return n
		}
		n := 1
		for _, p := range parents[name] {
			n = max(n, depthOf(p)+1)
		}
		depth[name] = n
		return n
	}
	ordered := slices.Clone(groups)
	slices.SortStableFunc(ordered, func(a, b *groupDecl) int {
		if da, db := depthOf(a.name), depthOf(b.name); da != db {
			return da - db
		}
		return strings.Compare(a.name, b.name)
	})

	members := map[string]map[string]bool{}
	var membersOf func(name string) map[string]bool
	membersOf = func(name string) map[string]bool {
		if m, ok := members[name]; ok {
			return m
		}
		m := map[string]bool{}
		for _, h := range directHosts[name] {
			m[h] = true
		}
		for _, c := range children[name] {
			maps.Copy(m, membersOf(c.name))
		}
		members[name] = m
		return m
	}

	inv := &Inventory{
		vars:    copyVars(d.vars),
		byName:  map[string]*Host{},
		members: map[string][]*Host{},
	}
	b := &built{inv: inv, layers: map[string]connLayer{}, decls: map[string]*hostDecl{}}
	var agg aggregate
	for _, hd := range hosts {
		h := &Host{Name: hd.name, Address: hd.name, Groups: []string{GroupAll}, Vars: copyVars(d.vars)}
		layer := d.conn
		for _, g := range ordered {
			if membersOf(g.name)[hd.name] {
				h.Groups = append(h.Groups, g.name)
				maps.Copy(h.Vars, g.vars)
				layer = layer.over(g.conn)
			}
		}
		if len(h.Groups) == 1 {
			h.Groups = append(h.Groups, GroupUngrouped)
			inv.members[GroupUngrouped] = append(inv.members[GroupUngrouped], h)
		}
		maps.Copy(h.Vars, hd.vars)
		layer = layer.over(hd.conn)
		if d.finish != nil {
			layer = d.finish(layer)
		}
		if hd.address.set {
			h.Address = hd.address.val
			if problem := checkAddress(h.Address); problem != "" {
				diags = append(diags, errorAt("Invalid address", fmt.Sprintf(
					"Host %q: address = %q %s.", hd.name, h.Address, problem), hd.address.rng))
			}
			// An IPv6 address is kept bare; the brackets belong to URLs,
			// which Endpoint and the connection add.
			h.Address = strings.TrimSuffix(strings.TrimPrefix(h.Address, "["), "]")
		}
		h.Conn = resolveConnection(layer)
		checkConnection(&agg, hd, layer, h.Conn, d.userHint)

		inv.hosts = append(inv.hosts, h)
		inv.byName[h.Name] = h
		inv.members[GroupAll] = append(inv.members[GroupAll], h)
		b.layers[h.Name] = layer
		b.decls[h.Name] = hd
	}
	for _, g := range groups {
		inv.groups = append(inv.groups, &Group{
			Name:     g.name,
			Hosts:    directHosts[g.name],
			Children: refNames(children[g.name]),
			Vars:     copyVars(g.vars),
		})
		for _, h := range inv.hosts {
			if membersOf(g.name)[h.Name] {
				inv.members[g.name] = append(inv.members[g.name], h)
			}
		}
	}
	diags = append(diags, agg.diagnostics()...)
	if diags.HasErrors() {
		return nil, diags
	}
	return b, diags
}

// findCycles reports each loop in the children graph once, at the
// reference that closes it.
func findCycles(groups []*groupDecl, children map[string][]ref) hcl.Diagnostics {
	var diags hcl.Diagnostics
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(name string)
	visit = func(name string) {
		state[name] = visiting
		stack = append(stack, name)
		for _, c := range children[name] {
			switch state[c.name] {
			case unvisited:
				visit(c.name)
			case visiting:
				loop := append(slices.Clone(stack[slices.Index(stack, c.name):]), c.name)
				diags = append(diags, errorAt("Group cycle", fmt.Sprintf(
					"Group %q is nested in itself: %s. Nested groups may have several parents but no loops.",
					c.name, strings.Join(loop, " → ")), c.rng))
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = done
	}
	for _, g := range groups {
		if state[g.name] == unvisited {
			visit(g.name)
		}
	}
	return diags
}

// resolveConnection applies the built-in defaults under the merged layer.
func resolveConnection(l connLayer) Connection {
	c := Connection{
		Transport:        DefaultTransport,
		HTTPS:            l.https.val,
		Insecure:         l.insecure.val,
		AllowUnencrypted: l.allowUnencrypted.val,
		User:             l.user.val,
		PasswordEnv:      l.passwordEnv.val,
		CAFile:           l.ca.val.path,
		CAPEM:            l.ca.val.pem,
		ConnectTimeout:   DefaultConnectTimeout,
		OperationTimeout: DefaultOperationTimeout,
		SPN:              l.spn.val,
		Keytab:           l.keytab.val,
		TicketCache:      l.ticketCache.val,
		Krb5Conf:         l.krb5Conf.val,
		CertFile:         l.certFile.val,
		KeyFile:          l.keyFile.val,
		password:         l.password.val,
	}
	if l.transport.set {
		c.Transport = l.transport.val
	}
	// The port follows the effective https unless some level sets it.
	c.Port = defaultPort(c.HTTPS)
	if l.port.set {
		c.Port = l.port.val
	}
	if l.connectTimeout.set {
		c.ConnectTimeout = l.connectTimeout.val
	}
	if l.operationTimeout.set {
		c.OperationTimeout = l.operationTimeout.val
	}
	return c
}

// checkConnection checks what only the merged settings show. The same
// mistake usually comes from one line shared by many hosts, so problems
// are gathered by where they come from and reported once with the hosts.
func checkConnection(agg *aggregate, hd *hostDecl, l connLayer, c Connection, userHint string) {
	if c.User == "" && c.Transport != TransportCertificate {
		agg.add(hcl.DiagError, "missing-user", hd.defRange, hd.name, "Missing user", func(hosts string) string {
			if userHint == "" {
				userHint = "Set user in the connection block of the file, a group or the host."
			}
			return fmt.Sprintf("No user is set for %s. %s", hosts, userHint)
		})
	}
	checkLogonSettings(agg, hd, l, c)
	if c.Insecure && (c.CAFile != "" || len(c.CAPEM) > 0) {
		agg.add(hcl.DiagError, "insecure-ca@"+l.insecure.rng.String()+l.ca.rng.String(), l.insecure.rng, hd.name, "Conflicting TLS settings", func(hosts string) string {
			ca := c.CAFile
			if ca == "" {
				ca = "the CA in Connection.CAPEM"
			}
			return fmt.Sprintf("For %s, insecure = true turns certificate verification off, but ca_file%s asks to verify certificates against %s. Remove one of them; to drop an inherited ca_file, set ca_file = \"\" beside insecure.", hosts, at(l.ca.rng), ca)
		})
	}
	if c.Transport == TransportBasic && !c.HTTPS && !c.AllowUnencrypted {
		// Windows' default too: the WinRM service refuses unencrypted
		// traffic unless AllowUnencrypted is set on it.
		agg.add(hcl.DiagError, "basic-http@"+l.transport.rng.String()+l.https.rng.String(), l.transport.rng, hd.name, "Basic authentication over HTTP", func(hosts string) string {
			return fmt.Sprintf("%s would send the password and every command in clear text, which Windows refuses unless AllowUnencrypted and Basic are enabled on the WinRM service. Use https = true, or transport = \"ntlm\", which is encrypted over HTTP; or, on a network you trust and a WinRM service set so, allow_unencrypted = true.", capitalize(hosts))
		})
	}
}

// aggregate gathers per-host problems that share a cause.
type aggregate struct {
	order  []string
	issues map[string]*issue
}

type issue struct {
	severity hcl.DiagnosticSeverity
	summary  string
	detail   func(hosts string) string
	subject  hcl.Range
	hosts    []string
}

// add records that host has the problem identified by key; the first
// host's subject is the one reported.
func (a *aggregate) add(sev hcl.DiagnosticSeverity, key string, subject hcl.Range, host, summary string, detail func(string) string) {
	if a.issues == nil {
		a.issues = map[string]*issue{}
	}
	is, ok := a.issues[key]
	if !ok {
		is = &issue{severity: sev, summary: summary, detail: detail, subject: subject}
		a.issues[key] = is
		a.order = append(a.order, key)
	}
	is.hosts = append(is.hosts, host)
}

func (a *aggregate) diagnostics() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, key := range a.order {
		is := a.issues[key]
		diags = append(diags, &hcl.Diagnostic{
			Severity: is.severity,
			Summary:  is.summary,
			Detail:   is.detail(hostList(is.hosts)),
			Subject:  subject(is.subject),
		})
	}
	return diags
}

// checkAddress returns what is wrong with a host address, or "".
func checkAddress(a string) string {
	switch {
	case a == "":
		return "is empty; leave address out to use the host name"
	case strings.ContainsAny(a, " \t\r\n"):
		return "contains white space"
	case strings.Contains(a, "://"):
		return "is a URL; give only the DNS name or IP address, and set https and port in a connection block"
	case strings.ContainsAny(a, `/\`):
		return "contains a slash; give only the DNS name or IP address"
	}
	if _, port, err := net.SplitHostPort(a); err == nil {
		return fmt.Sprintf("includes a port; write port = %s in the host's connection block instead", port)
	}
	if inner, ok := strings.CutPrefix(a, "["); ok || strings.HasSuffix(a, "]") {
		inner, closed := strings.CutSuffix(inner, "]")
		if ip := net.ParseIP(inner); !ok || !closed || ip == nil || ip.To4() != nil {
			return "has brackets, which only enclose an IPv6 address, such as \"[fd00::11]\" (or write it bare: \"fd00::11\")"
		}
		return ""
	}
	if strings.Contains(a, ":") && net.ParseIP(a) == nil {
		if ip, _, _ := strings.Cut(a, "%"); net.ParseIP(ip) == nil {
			return "is neither a DNS name nor an IP address"
		}
	}
	return ""
}

// checkVars refuses variables that could not be written back to a file or
// shown to expressions (see checkValue).
func checkVars(vars map[string]cty.Value) error {
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if err := checkValue(vars[k]); err != nil {
			return fmt.Errorf("variable %q %w", k, err)
		}
	}
	return nil
}

// checkValue refuses unknown or marked values, capsule types, and infinite
// or enormous numbers. The error reads after the value's name.
func checkValue(v cty.Value) error {
	switch {
	case v == cty.NilVal:
		return errors.New("has no value (cty.NilVal)")
	case v.ContainsMarked():
		return errors.New("holds a marked value")
	case !v.IsWhollyKnown():
		return errors.New("holds an unknown value")
	}
	return cty.Walk(v, func(_ cty.Path, v cty.Value) (bool, error) {
		ty := v.Type()
		switch {
		case ty.IsCapsuleType():
			return false, fmt.Errorf("holds a %s, which is not a plain value", ty.FriendlyName())
		case ty == cty.Number && !v.IsNull() && v.AsBigFloat().IsInf():
			return false, errors.New("holds an infinite number")
		case ty == cty.Number && !v.IsNull() && abs(v.AsBigFloat().MantExp(nil)) > maxBinaryExponent:
			// Written out in decimal, as files, JSON and conversion to
			// a string need, 1e99999999 takes minutes and megabytes.
			return false, errors.New("holds a number beyond 1e±1000")
		}
		return true, nil
	})
}

// maxBinaryExponent bounds numbers to about 1e±1000, far beyond any
// setting and small enough to write out in decimal.
const maxBinaryExponent = 3400

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func checkVarsDiag(what string, vars map[string]cty.Value) hcl.Diagnostics {
	if err := checkVars(vars); err != nil {
		return hcl.Diagnostics{errorAt("Invalid variable", fmt.Sprintf("In %s: %s.", what, err), hcl.Range{})}
	}
	return nil
}

func copyVars(vars map[string]cty.Value) map[string]cty.Value {
	out := make(map[string]cty.Value, len(vars))
	maps.Copy(out, vars)
	return out
}

func refNames(refs []ref) []string {
	var names []string
	for _, r := range refs {
		names = append(names, r.name)
	}
	return names
}

func errorAt(summary, detail string, rng hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: subject(rng)}
}

// subject is nil for the zero range of settings made in code, so that
// printers do not show a bogus location.
func subject(rng hcl.Range) *hcl.Range {
	if rng == (hcl.Range{}) {
		return nil
	}
	return rng.Ptr()
}

// at says where something was defined, when it was defined in a file.
func at(rng hcl.Range) string {
	if rng == (hcl.Range{}) {
		return ""
	}
	return " at " + rng.String()
}

// hostList names hosts in prose: `host "a"` or `hosts "a", "b"`.
func hostList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	if len(names) == 1 {
		return "host " + quoted[0]
	}
	return "hosts " + strings.Join(quoted, ", ")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// checkLogonSettings checks the settings that belong to one transport:
// Kerberos' spn, keytab and ticket_cache, and a client certificate's files.
func checkLogonSettings(agg *aggregate, hd *hostDecl, l connLayer, c Connection) {
	onlyFor := func(name, transport string, rng hcl.Range) {
		agg.add(hcl.DiagError, name+"-transport@"+rng.String()+l.transport.rng.String(), rng, hd.name, "Setting of another transport", func(hosts string) string {
			return fmt.Sprintf("%s applies to transport = %q, but %s use transport = %q; remove it, or set the transport.", name, transport, hosts, c.Transport)
		})
	}
	if c.Transport != TransportKerberos {
		for _, s := range []struct {
			name string
			on   bool
			rng  hcl.Range
		}{{"spn", c.SPN != "", l.spn.rng}, {"keytab", c.Keytab != "", l.keytab.rng}, {"ticket_cache", c.TicketCache, l.ticketCache.rng}, {"krb5_conf", c.Krb5Conf != "", l.krb5Conf.rng}} {
			if s.on {
				onlyFor(s.name, TransportKerberos, s.rng)
			}
		}
	}
	if c.Transport != TransportCertificate {
		if c.CertFile != "" {
			onlyFor("cert_file", TransportCertificate, l.certFile.rng)
		}
		if c.KeyFile != "" {
			onlyFor("key_file", TransportCertificate, l.keyFile.rng)
		}
	}
	if c.Keytab != "" && c.TicketCache {
		agg.add(hcl.DiagError, "keytab-ccache@"+l.keytab.rng.String()+l.ticketCache.rng.String(), l.keytab.rng, hd.name, "Two Kerberos logons", func(hosts string) string {
			return fmt.Sprintf("For %s, keytab%s and ticket_cache = true%s both say where the Kerberos ticket comes from; keep one.", hosts, at(l.keytab.rng), at(l.ticketCache.rng))
		})
	}
	if c.Transport == TransportKerberos && (c.Keytab != "" || c.TicketCache) && c.PasswordEnv != "" {
		agg.add(hcl.DiagWarning, "kerberos-password@"+l.passwordEnv.rng.String(), l.passwordEnv.rng, hd.name, "Password not used", func(hosts string) string {
			return fmt.Sprintf("%s log on to Kerberos from a keytab or the ticket cache, so the password in $%s is not used.", capitalize(hosts), c.PasswordEnv)
		})
	}
	if c.Transport == TransportCertificate {
		if !c.HTTPS {
			agg.add(hcl.DiagError, "certificate-http@"+l.transport.rng.String()+l.https.rng.String(), l.transport.rng, hd.name, "Certificates require HTTPS", func(hosts string) string {
				return fmt.Sprintf("%s would use transport = \"certificate\" over plain HTTP. A client certificate is presented in the TLS handshake, so set https = true (port %d).", capitalize(hosts), DefaultHTTPSPort)
			})
		}
		if c.CertFile == "" || c.KeyFile == "" {
			agg.add(hcl.DiagError, "certificate-files@"+l.transport.rng.String(), l.transport.rng, hd.name, "Missing client certificate", func(hosts string) string {
				return fmt.Sprintf("%s use transport = \"certificate\" but lack cert_file or key_file: set both, the PEM certificate mapped to a local account on the hosts and its private key.", capitalize(hosts))
			})
		} else if _, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile); err != nil {
			agg.add(hcl.DiagError, "certificate-pair@"+l.certFile.rng.String()+l.keyFile.rng.String(), l.keyFile.rng, hd.name, "Certificate and key do not match", func(hosts string) string {
				return fmt.Sprintf("For %s, cert_file %s and key_file %s are not a certificate and its private key: %v.", hosts, c.CertFile, c.KeyFile, err)
			})
		}
	}
}
