package win

import (
	"fmt"
	"strconv"
	"strings"
)

// cluster.exe: group, resource and node, as TOOLS.md documents them.

// clusterArgs is a parsed cluster.exe command line: the object (group,
// resource or node), its name, the switch and the property assignments.
type clusterArgs struct {
	object  string
	name    string
	verb    string // "", "move", "online", "offline", "status", "prop", "priv", "delete"
	target  string // /move:NODE
	assigns []string
	bad     bool
}

func parseClusterArgs(args []string) clusterArgs {
	var a clusterArgs
	var rest []string
	for _, arg := range args {
		if la := strings.ToLower(arg); strings.HasPrefix(la, "/cluster:") || strings.HasPrefix(la, "/c:") {
			continue
		}
		rest = append(rest, arg)
	}
	if len(rest) == 0 {
		a.bad = true
		return a
	}
	switch strings.ToLower(rest[0]) {
	case "group":
		a.object = "group"
	case "resource", "res":
		a.object = "resource"
	case "node":
		a.object = "node"
	default:
		a.bad = true
		return a
	}
	rest = rest[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "/") {
		a.name, rest = rest[0], rest[1:]
	}
	for _, arg := range rest {
		if !strings.HasPrefix(arg, "/") {
			if a.verb != "prop" || !strings.Contains(arg, "=") {
				a.bad = true
			}
			a.assigns = append(a.assigns, arg)
			continue
		}
		if a.verb != "" {
			a.bad = true
			continue
		}
		sw, value, hasValue := strings.Cut(arg[1:], ":")
		switch sw = strings.ToLower(sw); sw {
		case "move", "moveto":
			a.verb, a.target = "move", value
		case "prop", "properties":
			a.verb = "prop"
			if hasValue {
				a.assigns = append(a.assigns, value)
			}
		case "priv", "privprop", "privproperties":
			a.verb = "priv"
		case "online", "on", "offline", "off", "status", "stat", "delete", "del":
			a.verb = map[string]string{"on": "online", "off": "offline", "stat": "status", "del": "delete"}[sw]
			if a.verb == "" {
				a.verb = sw
			}
		default:
			a.bad = true
		}
		if hasValue && sw != "move" && sw != "moveto" && a.verb != "prop" {
			a.bad = true
		}
	}
	return a
}

func changesCluster(c *call) bool {
	a := parseClusterArgs(c.argv[1:])
	switch a.verb {
	case "move", "online", "offline", "delete":
		return true
	case "prop":
		return len(a.assigns) > 0
	}
	return false
}

// clusterReachable reports whether cluster.exe on m reaches the cluster:
// only through the node's own running cluster service.
func clusterReachable(m *Machine) bool {
	s := m.service("ClusSvc")
	return s != nil && s.state == stateRunning && m.net.cluster.isNode(m.netbios)
}

func runCluster(c *call) int {
	if !clusterReachable(c.m) {
		return systemError(c, errNoEndpoints)
	}
	a := parseClusterArgs(c.argv[1:])
	if a.bad {
		return systemError(c, errInvalidParameter)
	}
	switch a.object {
	case "group":
		return clusterGroupCmd(c, a)
	case "resource":
		return clusterResourceCmd(c, a)
	}
	return clusterNodeCmd(c, a)
}

// clusterColumn is one column of cluster.exe's tables: its header and
// the width of its dash line.
type clusterColumn struct {
	header string
	width  int
	right  bool
}

// clusterTable formats a table as cluster.exe's printf does: each cell
// padded to its column's width and a blank after it, the last unpadded. A
// cell longer than its column is not cut: it pushes the rest of its row
// right, and the dash line keeps its width (a real listing quoted in
// real-windows.md: `SQL Network Name (RVT1DB1) RVT1DB1              RST1DB2
// Online`).
func clusterTable(cols []clusterColumn, rows [][]string) string {
	widths := make([]int, len(cols))
	headers, dashes := make([]string, len(cols)), make([]string, len(cols))
	for i, col := range cols {
		widths[i] = col.width
		headers[i], dashes[i] = col.header, strings.Repeat("-", widths[i])
	}
	var b strings.Builder
	line := func(cells []string, align bool) {
		var l strings.Builder
		for i, cell := range cells {
			switch {
			case align && cols[i].right:
				fmt.Fprintf(&l, "%*s", widths[i], cell)
			case i == len(cells)-1:
				l.WriteString(cell)
			default:
				fmt.Fprintf(&l, "%-*s", widths[i], cell)
			}
			if i < len(cells)-1 {
				l.WriteByte(' ')
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\r\n")
	}
	line(headers, false)
	b.WriteString(strings.Join(dashes, " ") + "\r\n")
	for _, row := range rows {
		line(row, true)
	}
	return b.String()
}

var (
	groupColumns    = []clusterColumn{{"Group", 20, false}, {"Node", 15, false}, {"Status", 6, false}}
	resourceColumns = []clusterColumn{{"Resource", 20, false}, {"Group", 20, false}, {"Node", 15, false}, {"Status", 6, false}}
	nodeColumns     = []clusterColumn{{"Node", 14, false}, {"Node ID", 7, true}, {"Status", 21, false}}
	propColumns     = []clusterColumn{{"T", 2, false}, {"Resource", 20, false}, {"Name", 30, false}, {"Value", 23, false}}
)

// clusterList prints the status of all objects of a kind; it takes no
// switch but /status.
func clusterList(c *call, a clusterArgs, kind string, cols []clusterColumn, rows [][]string) int {
	if a.verb != "" && a.verb != "status" {
		return systemError(c, errInvalidParameter)
	}
	c.printf("Listing status for all available %s:\r\n\r\n%s", kind, clusterTable(cols, rows))
	return 0
}

func groupRow(g *clusterGroup) []string { return []string{g.name, g.owner, g.status()} }

func resourceRow(r *clusterResource, g *clusterGroup) []string {
	return []string{r.name, g.name, g.owner, r.status}
}

func clusterGroupCmd(c *call, a clusterArgs) int {
	cl := c.m.net.cluster
	if a.name == "" {
		var rows [][]string
		for _, g := range cl.groups {
			rows = append(rows, groupRow(g))
		}
		return clusterList(c, a, "resource groups", groupColumns, rows)
	}
	g := cl.group(a.name)
	if g == nil {
		return systemError(c, errGroupNotFound)
	}
	var title string
	switch a.verb {
	case "", "status":
		title = fmt.Sprintf("Listing status for resource group '%s':", g.name)
	case "move":
		target, code := cl.moveTarget(c.m.net, g, a.target)
		if code != 0 {
			return systemError(c, code)
		}
		title = fmt.Sprintf("Moving resource group '%s'...", g.name)
		from := g.owner
		for _, r := range g.resources {
			r.status = statusOffline
		}
		cl.bringOnline(c.m.net, g, target, from)
	case "online":
		if !cl.nodeUp(c.m.net, g.owner) {
			return systemError(c, errNodeDown)
		}
		title = fmt.Sprintf("Bringing resource group '%s' online...", g.name)
		for _, r := range g.resources {
			r.wanted = true
		}
		cl.bringOnline(c.m.net, g, g.owner, "")
	case "offline":
		title = fmt.Sprintf("Taking resource group '%s' offline...", g.name)
		for _, r := range g.resources {
			r.wanted, r.status = false, statusOffline
		}
	default:
		return systemError(c, errInvalidParameter)
	}
	c.printf("%s\r\n\r\n%s", title, clusterTable(groupColumns, [][]string{groupRow(g)}))
	return 0
}

// moveTarget picks the node a group moves to: the one named, which must
// be Up, or else the first other Up node.
func (cl *cluster) moveTarget(n *Network, g *clusterGroup, name string) (string, int) {
	if name != "" {
		node := strings.ToUpper(name)
		if !cl.isNode(node) {
			return "", errNodeNotFound
		}
		if !cl.nodeUp(n, node) {
			return "", errNodeDown
		}
		return node, 0
	}
	for _, node := range cl.nodes {
		if node != g.owner && cl.nodeUp(n, node) {
			return node, 0
		}
	}
	return "", errNoNodeAvailable
}

func clusterResourceCmd(c *call, a clusterArgs) int {
	cl := c.m.net.cluster
	if a.name == "" {
		var rows [][]string
		for _, g := range cl.groups {
			for _, r := range g.resources {
				rows = append(rows, resourceRow(r, g))
			}
		}
		return clusterList(c, a, "resources", resourceColumns, rows)
	}
	r, g := cl.resource(a.name)
	if r == nil {
		return systemError(c, errResourceNotFound)
	}
	var title string
	switch a.verb {
	case "", "status":
		title = fmt.Sprintf("Listing status for resource '%s':", r.name)
	case "online":
		if !cl.nodeUp(c.m.net, g.owner) {
			return systemError(c, errNodeDown)
		}
		title = fmt.Sprintf("Bringing resource '%s' online...", r.name)
		r.wanted = true
		if !cl.startResource(c.m.net, r, g.owner) && r.restartAction == 2 {
			cl.failover(c.m.net, g, []*clusterResource{r}, "")
		}
	case "offline":
		title = fmt.Sprintf("Taking resource '%s' offline...", r.name)
		r.wanted, r.status = false, statusOffline
	case "delete":
		if r.status == statusOnline {
			return systemError(c, errResourceOnline)
		}
		for i, x := range g.resources {
			if x == r {
				g.resources = append(g.resources[:i], g.resources[i+1:]...)
				break
			}
		}
		c.printf("Deleting resource '%s'...\r\n", r.name)
		return 0
	case "prop":
		if len(a.assigns) > 0 {
			return setResourceProps(c, r, a.assigns)
		}
		c.printf("Listing properties for '%s':\r\n\r\n%s", r.name, clusterTable(propColumns, propRows(r, r.commonProps())))
		return 0
	case "priv":
		c.printf("Listing private properties for '%s':\r\n\r\n%s", r.name, clusterTable(propColumns, propRows(r, r.privateProps())))
		return 0
	default:
		return systemError(c, errInvalidParameter)
	}
	c.printf("%s\r\n\r\n%s", title, clusterTable(resourceColumns, [][]string{resourceRow(r, g)}))
	return 0
}

// clusterProp is one property as /prop and /priv list it: its type
// letters (S string, D DWORD, R read-only), name and value.
type clusterProp struct {
	typ, name string
	str       string
	num       int
}

func (p clusterProp) value() string {
	if strings.Contains(p.typ, "D") {
		return fmt.Sprintf("%d (0x%x)", p.num, p.num)
	}
	return p.str
}

func propRows(r *clusterResource, props []clusterProp) [][]string {
	var rows [][]string
	for _, p := range props {
		rows = append(rows, []string{p.typ, r.name, p.name, p.value()})
	}
	return rows
}

// commonProps are the common properties /prop lists and can set.
func (r *clusterResource) commonProps() []clusterProp {
	return []clusterProp{
		{typ: "SR", name: "Name", str: r.name},
		{typ: "S", name: "Type", str: r.typ},
		{typ: "S", name: "Description", str: r.description},
		{typ: "D", name: "RestartAction", num: r.restartAction},
		{typ: "D", name: "RestartThreshold", num: r.restartThreshold},
		{typ: "D", name: "PendingTimeout", num: r.pendingTimeout},
	}
}

// privateProps are the type-specific properties /priv lists.
func (r *clusterResource) privateProps() []clusterProp {
	switch r.typ {
	case resIPAddress:
		return []clusterProp{
			{typ: "S", name: "Address", str: r.address},
			{typ: "S", name: "SubnetMask", str: "255.255.255.0"},
			{typ: "S", name: "Network", str: "Public"},
			{typ: "D", name: "EnableNetBIOS", num: 1},
		}
	case resNetworkName:
		return []clusterProp{{typ: "S", name: "Name", str: r.networkName}}
	case resDisk:
		return []clusterProp{{typ: "D", name: "Signature", num: 0x5A1E0C00 + int(r.disk)}}
	case resIIS:
		service, id, _ := strings.Cut(r.instance, "/")
		return []clusterProp{{typ: "S", name: "ServiceName", str: service}, {typ: "S", name: "InstanceId", str: id}}
	}
	return nil
}

// setResourceProps applies Name=value assignments to the settable common
// properties; it checks all of them before changing any.
func setResourceProps(c *call, r *clusterResource, assigns []string) int {
	type change struct {
		name string // lower case
		str  string
		num  int
	}
	var changes []change
	for _, as := range assigns {
		name, value, _ := strings.Cut(as, "=")
		ch := change{name: strings.ToLower(strings.TrimSpace(name)), str: value}
		switch ch.name {
		case "description":
		case "restartaction", "restartthreshold", "pendingtimeout":
			n, err := strconv.ParseInt(strings.TrimSpace(value), 0, 64)
			if err != nil || n < 0 || n > 0xffffffff || (ch.name == "restartaction" && n > 2) {
				return systemError(c, errInvalidParameter)
			}
			ch.num = int(n)
		default:
			return systemError(c, errInvalidParameter)
		}
		changes = append(changes, ch)
	}
	for _, ch := range changes {
		switch ch.name {
		case "description":
			r.description = ch.str
		case "restartaction":
			r.restartAction = ch.num
		case "restartthreshold":
			r.restartThreshold = ch.num
		case "pendingtimeout":
			r.pendingTimeout = ch.num
		}
	}
	return 0
}

func clusterNodeCmd(c *call, a clusterArgs) int {
	cl := c.m.net.cluster
	if a.verb != "" && a.verb != "status" {
		return systemError(c, errInvalidParameter)
	}
	row := func(i int, node string) []string {
		return []string{node, strconv.Itoa(i + 1), cl.nodeStatus(c.m.net, node)}
	}
	if a.name == "" {
		var rows [][]string
		for i, node := range cl.nodes {
			rows = append(rows, row(i, node))
		}
		return clusterList(c, a, "nodes", nodeColumns, rows)
	}
	for i, node := range cl.nodes {
		if strings.EqualFold(node, a.name) {
			c.printf("Listing status for node '%s':\r\n\r\n%s", node, clusterTable(nodeColumns, [][]string{row(i, node)}))
			return 0
		}
	}
	return systemError(c, errNodeNotFound)
}
