package win

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"time"
)

// State is a snapshot of a host for tests and the lab: plain data,
// JSON-marshalable, with maps and sorted lists so that two hosts' states
// compare field by field.
type State struct {
	Name        string
	NetBIOSName string
	Profile     string
	PoweredOn   bool
	Online      bool
	LastBoot    time.Time
	// Shutdown is "", "scheduled" or "in progress".
	Shutdown string
	// PendingReboot is true while an installer waits for a boot
	// (PendingFileRenameOperations is set).
	PendingReboot bool
	ServicePack   ServicePack
	Services      map[string]ServiceState
	IIS           IISState
	// Components are the Option Pack's subcomponent flags.
	Components map[string]bool
	MSDTC      MSDTCState
	Metabase   MetabaseState
	// Rights maps a user right to its holders' qualified names, sorted.
	Rights map[string][]string
	// Groups maps a local group to its members as net localgroup prints
	// them, sorted.
	Groups map[string][]string
	// Accounts maps local account names to SIDs.
	Accounts map[string]string
	// DCOM holds the decoded DefaultAccessPermission and
	// DefaultLaunchPermission.
	DCOM map[string]DCOMState
	// Files holds C: except the scratch directory C:\WINNT\Temp.
	Files map[string]FileState
	// Registry maps each key path to its values.
	Registry map[string]map[string]RegValue
	// Cluster is the shared cluster as this node sees it; nil on a host
	// that is not a cluster node.
	Cluster *ClusterState
}

// ClusterState is the cluster: node statuses, and groups with their owner
// and resources.
type ClusterState struct {
	Name   string
	Nodes  map[string]string // NetBIOS name to Up, Down or Joining
	Groups map[string]ClusterGroupState
}

// ClusterGroupState is one resource group.
type ClusterGroupState struct {
	Owner     string
	Status    string
	Resources map[string]ClusterResourceState
}

// ClusterResourceState is one resource with its common properties.
type ClusterResourceState struct {
	Type             string
	Status           string
	Description      string
	RestartAction    int
	RestartThreshold int
	PendingTimeout   int
}

// ServicePack is the CSD version of the host.
type ServicePack struct {
	CSDVersion     string
	CSDBuildNumber string
}

// ServiceState is one service; StartType is auto, demand or disabled and
// State is running, stopped, start_pending or stop_pending.
type ServiceState struct {
	DisplayName string
	StartType   string
	State       string
	DependsOn   []string
	ExitCode    int
}

// IISState is what InetStp says about IIS.
type IISState struct {
	Installed    bool
	MajorVersion int
	MinorVersion int
	InstallType  string
}

// MSDTCState is the MSDTC service and its registry settings.
type MSDTCState struct {
	Installed         bool
	Clustered         bool
	LogPath           string
	VirtualServerName string
	ClusterGroup      string
}

// MetabaseState is the parsed metabase file.
type MetabaseState struct {
	Present bool
	Corrupt bool
	Keys    map[string]map[string]string
}

// DCOMState is a decoded DCOM descriptor; Error is set when the value does
// not decode.
type DCOMState struct {
	Owner string
	Group string
	ACEs  []ACEState
	Error string
}

// ACEState is one ACE: Type is "allow" or "deny".
type ACEState struct {
	Type    string
	Account string
	SID     string
	Mask    uint32
}

// FileState is one file or directory.
type FileState struct {
	Dir     bool
	Size    int
	SHA256  string
	Version string
}

// RegValue is one registry value as reg query prints it.
type RegValue struct {
	Type string
	Data string
}

// Dump returns a snapshot of the host's state.
func (m *Machine) Dump() State {
	m.net.lock()
	defer m.net.mu.Unlock()
	st := State{
		Name: m.name, NetBIOSName: m.netbios, Profile: m.profile,
		PoweredOn: m.power != powerOff, Online: m.online, LastBoot: m.boot, PendingReboot: m.rebootPending(),
		ServicePack: ServicePack{m.reg.sz(currentVersionKey, "CSDVersion"), m.reg.sz(currentVersionKey, "CSDBuildNumber")},
		Services:    map[string]ServiceState{},
		Components:  map[string]bool{},
		Rights:      map[string][]string{},
		Groups:      map[string][]string{},
		Accounts:    map[string]string{},
		DCOM:        map[string]DCOMState{},
		Files:       map[string]FileState{},
		Registry:    map[string]map[string]RegValue{},
	}
	switch m.power {
	case powerScheduled:
		st.Shutdown = "scheduled"
	case powerShuttingDown:
		st.Shutdown = "in progress"
	}
	for _, s := range m.services {
		st.Services[s.name] = ServiceState{
			DisplayName: s.display, StartType: startTypeWords[s.start], State: strings.ToLower(stateNames[s.state]),
			DependsOn: append([]string{}, s.dependsOn...), ExitCode: s.exitCode,
		}
	}
	if m.iisInstalled() {
		minor, _ := m.reg.dword(inetStpKey, "MinorVersion")
		st.IIS = IISState{Installed: true, MajorVersion: 4, MinorVersion: int(minor), InstallType: m.reg.sz(inetStpKey, "InstallType")}
	}
	if k := m.reg.open(ocmKey); k != nil {
		for _, v := range k.values {
			if v.typ == regDWORD {
				st.Components[v.name] = v.num == 1
			}
		}
	}
	clustered, _ := m.reg.dword(msdtcKey, "Clustered")
	st.MSDTC = MSDTCState{
		Installed: m.service("MSDTC") != nil, Clustered: clustered == 1,
		LogPath: m.reg.sz(msdtcKey, "LogPath"), VirtualServerName: m.reg.sz(msdtcKey, "VirtualServerName"),
		ClusterGroup: m.reg.sz(msdtcKey, "ClusterGroup"),
	}
	if f := m.c.get(metabasePath); f != nil {
		st.Metabase.Present = true
		mb, ok := parseMetabase(f.data)
		st.Metabase.Corrupt = !ok
		st.Metabase.Keys = map[string]map[string]string(mb)
	}
	for right, sids := range m.rights {
		var names []string
		for _, sid := range sids {
			names = append(names, m.accountName(sid))
		}
		sort.Strings(names)
		st.Rights[right] = names
	}
	for _, g := range m.groups {
		names := []string{}
		for _, sid := range g.members {
			names = append(names, m.memberName(sid))
		}
		sort.Strings(names)
		st.Groups[g.name] = names
	}
	for _, a := range m.users {
		st.Accounts[a.name] = a.sid
	}
	for _, name := range []string{"DefaultAccessPermission", "DefaultLaunchPermission"} {
		if v := m.reg.get(oleKey, name); v != nil {
			st.DCOM[name] = m.dcomState(v)
		}
	}
	for _, f := range m.c.files {
		p := winPath{'C', f.path}
		if p.isScratch() {
			continue
		}
		fs := FileState{Dir: f.dir, Version: f.version}
		if !f.dir {
			sum := sha256.Sum256(f.data)
			fs.Size, fs.SHA256 = len(f.data), hex.EncodeToString(sum[:])
		}
		st.Files[p.String()] = fs
	}
	for _, root := range m.reg.roots {
		root.walk(func(k *regKey) {
			vals := map[string]RegValue{}
			for _, v := range k.values {
				vals[v.displayName()] = RegValue{Type: v.typ, Data: v.data()}
			}
			st.Registry[k.path] = vals
		})
	}
	if cl := m.net.cluster; cl.isNode(m.netbios) {
		st.Cluster = cl.state(m.net)
	}
	return st
}

// state is the cluster's part of a state dump.
func (cl *cluster) state(n *Network) *ClusterState {
	cs := &ClusterState{Name: cl.name, Nodes: map[string]string{}, Groups: map[string]ClusterGroupState{}}
	for _, node := range cl.nodes {
		cs.Nodes[node] = cl.nodeStatus(n, node)
	}
	for _, g := range cl.groups {
		gs := ClusterGroupState{Owner: g.owner, Status: g.status(), Resources: map[string]ClusterResourceState{}}
		for _, r := range g.resources {
			gs.Resources[r.name] = ClusterResourceState{
				Type: r.typ, Status: r.status, Description: r.description,
				RestartAction: r.restartAction, RestartThreshold: r.restartThreshold, PendingTimeout: r.pendingTimeout,
			}
		}
		cs.Groups[g.name] = gs
	}
	return cs
}

func (m *Machine) dcomState(v *regValue) DCOMState {
	if v.typ != regBinary {
		return DCOMState{Error: "not REG_BINARY but " + v.typ}
	}
	sd, err := parseSD(v.bin)
	if err != nil {
		return DCOMState{Error: err.Error()}
	}
	st := DCOMState{Owner: m.accountName(sd.owner), Group: m.accountName(sd.group), ACEs: []ACEState{}}
	for _, a := range sd.dacl {
		typ := "allow"
		if a.typ == aceAccessDenied {
			typ = "deny"
		}
		st.ACEs = append(st.ACEs, ACEState{Type: typ, Account: m.accountName(a.sid), SID: a.sid, Mask: a.mask})
	}
	return st
}
