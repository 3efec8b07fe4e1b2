package win

import (
	"fmt"
	"strings"
	"time"
)

// Cluster resource types and statuses.
const (
	resIPAddress   = "IP Address"
	resNetworkName = "Network Name"
	resDisk        = "Physical Disk"
	resDTC         = "Distributed Transaction Coordinator"
	resIIS         = "IIS Server Instance"

	statusOnline  = "Online"
	statusOffline = "Offline"
	statusFailed  = "Failed"
)

// cluster is the MSCS cluster shared by the nodes of a Network.
type cluster struct {
	name   string
	nodes  []string // NetBIOS names, in node id order
	groups []*clusterGroup
	disks  map[byte]*drive
}

// clusterGroup is a resource group. A group is hosted once its resources
// were brought up on its owner; when the owner goes down it is not.
type clusterGroup struct {
	name      string
	owner     string
	hosted    bool
	resources []*clusterResource
}

// clusterResource is one resource. wanted is its administrative state:
// false after /offline, so a move leaves it offline.
type clusterResource struct {
	name             string
	typ              string
	status           string
	wanted           bool
	description      string
	restartAction    int
	restartThreshold int
	pendingTimeout   int
	instance         string // IIS Server Instance: W3SVC/2
	networkName      string // Network Name: its value
	address          string // IP Address: the address
	disk             byte   // Physical Disk: its drive letter
}

func newResource(name, typ string) *clusterResource {
	return &clusterResource{
		name: name, typ: typ, status: statusOffline, wanted: true,
		restartAction: 2, restartThreshold: 3, pendingTimeout: 180000,
	}
}

// newCluster builds CLUSTER1 of the two nodes (NetBIOS names) as TOOLS.md
// describes it, its groups on the first node, with its shared disks and
// their contents (the DTC log directory, the web content).
func newCluster(first, second string) *cluster {
	now := time.Now()
	cl := &cluster{name: "CLUSTER1", nodes: []string{first, second}, disks: map[byte]*drive{}}
	ip, name, q := newResource("Cluster IP Address", resIPAddress), newResource("Cluster Name", resNetworkName), newResource("Disk Q:", resDisk)
	name.networkName, q.disk, ip.address = "CLUSTER1", 'Q', "10.1.0.10"
	s, webIP, webName := newResource("Disk S:", resDisk), newResource("Web IP Address", resIPAddress), newResource("Web Network Name", resNetworkName)
	s.disk, webName.networkName, webIP.address = 'S', "WEBVS", "10.1.0.20"
	dtc := newResource("MSDTC", resDTC)
	web, ftp := newResource("Web Server", resIIS), newResource("FTP Server", resIIS)
	web.instance, ftp.instance = "W3SVC/2", "MSFTPSVC/2"
	cl.groups = []*clusterGroup{
		{name: "Cluster Group", owner: first, resources: []*clusterResource{ip, name, q}},
		{name: "Web Group", owner: first, resources: []*clusterResource{s, webIP, webName, dtc, web, ftp}},
	}
	qd := newDrive('Q', "QUORUM", "5A1E-0C11", false, now)
	qd.mkdirAll(`\MSCS`, now)
	sd := newDrive('S', "WEBDATA", "5A1E-0C12", false, now)
	sd.mkdirAll(`\MSDTCLog`, now)
	sd.mkdirAll(`\wwwroot`, now)
	sd.mkdirAll(`\ftproot`, now)
	sd.write(`\wwwroot\default.htm`, []byte("<html><body>WEBVS</body></html>\r\n"), false, now)
	cl.disks['Q'], cl.disks['S'] = qd, sd
	return cl
}

func (cl *cluster) isNode(netbios string) bool {
	for _, n := range cl.nodes {
		if n == netbios {
			return true
		}
	}
	return false
}

// nodeStatus is Up when the node's host runs, is on the network and its
// cluster service runs; Joining while the service starts; else Down.
func (cl *cluster) nodeStatus(n *Network, node string) string {
	m := n.hosts[node]
	if m == nil || m.power == powerOff || !m.online {
		return "Down"
	}
	s := m.service("ClusSvc")
	switch {
	case s == nil:
		return "Down"
	case s.state == stateRunning:
		return "Up"
	case s.state == stateStartPending:
		return "Joining"
	}
	return "Down"
}

func (cl *cluster) nodeUp(n *Network, node string) bool {
	return cl.nodeStatus(n, node) == "Up"
}

// canRun reports whether a resource can come online on a node: an IIS
// instance needs IIS and the instance in that node's (readable) metabase,
// the DTC resource a clustered MSDTC on the node.
func (cl *cluster) canRun(n *Network, r *clusterResource, node string) bool {
	m := n.hosts[node]
	if m == nil {
		return false
	}
	switch r.typ {
	case resIIS:
		if !m.iisInstalled() {
			return false
		}
		mb, ok := m.metabase()
		return ok && mb["/LM/"+r.instance] != nil
	case resDTC:
		clustered, _ := m.reg.dword(msdtcKey, "Clustered")
		return m.service("MSDTC") != nil && clustered == 1
	}
	return true
}

// bringOnline places g on node and brings its wanted resources online
// there. If a resource that affects the group (RestartAction 2) fails,
// the group fails over (see failover), preferring the node it came from.
func (cl *cluster) bringOnline(n *Network, g *clusterGroup, node, from string) {
	g.owner, g.hosted = node, true
	if failed := cl.startResources(n, g); len(failed) > 0 {
		cl.failover(n, g, failed, from)
	}
}

// startResources sets the status of g's resources on its owner and
// returns the failed ones that affect the group.
func (cl *cluster) startResources(n *Network, g *clusterGroup) []*clusterResource {
	var failed []*clusterResource
	for _, r := range g.resources {
		if !cl.startResource(n, r, g.owner) && r.restartAction == 2 {
			failed = append(failed, r)
		}
	}
	return failed
}

// failover moves g to the first Up node, prefer first, that can run all
// of failed, and brings it online there; when no node can, g stays where
// it is with those resources Failed.
func (cl *cluster) failover(n *Network, g *clusterGroup, failed []*clusterResource, prefer string) {
	candidates := []string{prefer}
	candidates = append(candidates, cl.nodes...)
	for _, node := range candidates {
		if node == "" || node == g.owner || !cl.nodeUp(n, node) {
			continue
		}
		runs := true
		for _, r := range failed {
			runs = runs && cl.canRun(n, r, node)
		}
		if runs {
			for _, r := range g.resources {
				r.status = statusOffline
			}
			g.owner = node
			cl.startResources(n, g)
			return
		}
	}
}

// startResource sets a resource's status on node; it reports false when
// the resource failed.
func (cl *cluster) startResource(n *Network, r *clusterResource, node string) bool {
	if !r.wanted {
		r.status = statusOffline
		return true
	}
	if cl.canRun(n, r, node) {
		r.status = statusOnline
		return true
	}
	r.status = statusFailed
	return false
}

// reconcile lets the cluster react to its nodes: a group whose owner is
// not up moves to a node that is (failover); a group on an up node that
// is not hosted yet comes online there; an online resource its node can
// no longer run fails (the resource monitor's IsAlive check), and fails
// its group over when it affects the group.
func (cl *cluster) reconcile(n *Network) {
	for _, g := range cl.groups {
		if cl.nodeUp(n, g.owner) {
			if !g.hosted {
				cl.bringOnline(n, g, g.owner, "")
				continue
			}
			var failed []*clusterResource
			for _, r := range g.resources {
				if r.status == statusOnline && !cl.canRun(n, r, g.owner) {
					r.status = statusFailed
					if r.restartAction == 2 {
						failed = append(failed, r)
					}
				}
			}
			if len(failed) > 0 {
				cl.failover(n, g, failed, "")
			}
			continue
		}
		if g.hosted {
			g.hosted = false
			for _, r := range g.resources {
				r.status = statusOffline
			}
		}
		for _, node := range cl.nodes {
			if node != g.owner && cl.nodeUp(n, node) {
				cl.bringOnline(n, g, node, g.owner)
				break
			}
		}
	}
}

// status is the group's status from its resources' statuses.
func (g *clusterGroup) status() string {
	var online, offline, failed int
	for _, r := range g.resources {
		switch r.status {
		case statusOnline:
			online++
		case statusOffline:
			offline++
		case statusFailed:
			failed++
		}
	}
	switch {
	case online == len(g.resources):
		return statusOnline
	case offline == len(g.resources):
		return statusOffline
	case online == 0 && failed > 0:
		return statusFailed
	}
	return "Partially Online"
}

func (cl *cluster) group(name string) *clusterGroup {
	for _, g := range cl.groups {
		if strings.EqualFold(g.name, name) {
			return g
		}
	}
	return nil
}

// resource finds a resource and its group by name.
func (cl *cluster) resource(name string) (*clusterResource, *clusterGroup) {
	for _, g := range cl.groups {
		for _, r := range g.resources {
			if strings.EqualFold(r.name, name) {
				return r, g
			}
		}
	}
	return nil, nil
}

// disk returns a cluster disk's volume on the node that owns it, nil
// elsewhere.
func (cl *cluster) disk(m *Machine, letter byte) *drive {
	d := cl.disks[letter]
	if d == nil {
		return nil
	}
	for _, g := range cl.groups {
		for _, r := range g.resources {
			if r.typ == resDisk && r.disk == letter && g.owner == m.netbios && g.hosted && r.status == statusOnline {
				return d
			}
		}
	}
	return nil
}

// hasType reports whether any group holds a resource of type typ.
func (cl *cluster) hasType(typ string) bool {
	for _, g := range cl.groups {
		for _, r := range g.resources {
			if r.typ == typ {
				return true
			}
		}
	}
	return false
}

// ConfigureCluster makes the cluster one of nodes of generation osName in
// language tag, before any host is created: its core group takes the
// language's name (Clustergruppe on a German cluster: group names are
// localized), and outside the NT 4.0 rehearsal the Web Group holds no IIS
// 4 sites and no NT 4.0 MSDTC resource, which those Windows do not have.
func (n *Network) ConfigureCluster(osName, tag string) error {
	gen, err := LookupGeneration(osName)
	if err != nil {
		return err
	}
	lang, err := lookupLanguage(tag)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.hosts) > 0 {
		return fmt.Errorf("the cluster is configured before its hosts are created")
	}
	cl := n.cluster
	cl.groups[0].name = lang.clusterGroup
	if !gen.Runbook {
		for _, g := range cl.groups {
			var keep []*clusterResource
			for _, r := range g.resources {
				if r.typ != resIIS && r.typ != resDTC {
					keep = append(keep, r)
				}
			}
			g.resources = keep
		}
	}
	return nil
}

// AddClusterResource adds a resource of type typ (an IP Address, Network
// Name or Physical Disk) to group, Online on the group's owner, for tests
// of what real clusters hold: names longer than cluster.exe's columns.
func (n *Network) AddClusterResource(group, name, typ string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch typ {
	case resIPAddress, resNetworkName:
	default:
		return fmt.Errorf("the lab adds IP Address and Network Name resources, not %q", typ)
	}
	for _, g := range n.cluster.groups {
		if !strings.EqualFold(g.name, group) {
			continue
		}
		r := newResource(name, typ)
		r.status = statusOnline
		if typ == resNetworkName {
			r.networkName = strings.ToUpper(strings.Fields(name)[0])
		}
		g.resources = append(g.resources, r)
		return nil
	}
	return fmt.Errorf("no cluster group %q", group)
}
