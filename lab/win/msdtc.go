package win

import "strings"

// msdtc.exe: -install (standalone, or clustered with -d -l -v), -join,
// -remove and -resetlog, as the runbook's manual method uses them.

const msdtcUsage = "Usage: msdtc -install [-d DIR -l LOGDIR -v VIRTUALSERVER] | -join | -remove | -resetlog\r\n"

// dtcSettings are a clustered MSDTC's registry settings, the same on
// every node that joined it.
type dtcSettings struct{ logPath, vserver, group string }

// installMSDTC creates the MSDTC service (auto, stopped) and its registry
// key: standalone when dtc is nil, else clustered with dtc's settings.
func (m *Machine) installMSDTC(dtc *dtcSettings) *service {
	s := m.addService("MSDTC", startAuto)
	m.reg.deleteKey(msdtcKey)
	if dtc == nil {
		m.reg.setDWORD(msdtcKey, "Clustered", 0)
		return s
	}
	m.reg.setDWORD(msdtcKey, "Clustered", 1)
	m.reg.setSZ(msdtcKey, "LogPath", dtc.logPath)
	m.reg.setSZ(msdtcKey, "VirtualServerName", dtc.vserver)
	m.reg.setSZ(msdtcKey, "ClusterGroup", dtc.group)
	return s
}

// clusteredDTC returns the settings of the clustered MSDTC another node
// of the cluster has installed, or nil.
func (m *Machine) clusteredDTC() *dtcSettings {
	for _, node := range m.net.cluster.nodes {
		h := m.net.host(node)
		if h == nil || h == m || h.service("MSDTC") == nil {
			continue
		}
		if v, _ := h.reg.dword(msdtcKey, "Clustered"); v == 1 {
			return &dtcSettings{h.reg.sz(msdtcKey, "LogPath"), h.reg.sz(msdtcKey, "VirtualServerName"), h.reg.sz(msdtcKey, "ClusterGroup")}
		}
	}
	return nil
}

func runMSDTC(c *call) int {
	var verb string
	opts := map[string]string{}
	args := c.argv[1:]
	for i := 0; i < len(args); i++ {
		a := strings.ToLower(args[i])
		if len(a) < 2 || (a[0] != '-' && a[0] != '/') {
			c.printf("%s", msdtcUsage)
			return errInvalidParameter
		}
		switch a = a[1:]; a {
		case "install", "remove", "join", "resetlog":
			if verb != "" {
				c.printf("%s", msdtcUsage)
				return errInvalidParameter
			}
			verb = a
		case "d", "l", "v":
			if i+1 >= len(args) {
				c.printf("%s", msdtcUsage)
				return errInvalidParameter
			}
			i++
			opts[a] = args[i]
		default:
			c.printf("%s", msdtcUsage)
			return errInvalidParameter
		}
	}
	if verb == "" || (len(opts) > 0 && verb != "install") {
		c.printf("%s", msdtcUsage)
		return errInvalidParameter
	}
	switch verb {
	case "remove":
		c.m.removeService("MSDTC")
		c.m.reg.deleteKey(msdtcKey)
		c.printf("MSDTC service removed.\r\n")
		return 0
	case "install":
		if len(opts) > 0 {
			return msdtcInstallClustered(c, opts)
		}
		if c.m.service("MSDTC") != nil {
			return systemError(c, errServiceExists)
		}
		c.startAndWait(c.m, c.m.installMSDTC(nil))
		c.printf("MSDTC service installed.\r\n")
		return 0
	case "join":
		if !clusterReachable(c.m) {
			return systemError(c, errNoEndpoints)
		}
		if c.m.service("MSDTC") != nil {
			return systemError(c, errServiceExists)
		}
		dtc := c.m.clusteredDTC()
		if dtc == nil {
			return systemError(c, errNoSuchService)
		}
		c.startAndWait(c.m, c.m.installMSDTC(dtc))
		c.printf("MSDTC service joined to the cluster.\r\n")
		return 0
	}
	if c.m.service("MSDTC") == nil {
		return systemError(c, errNoSuchService)
	}
	if v, _ := c.m.reg.dword(msdtcKey, "Clustered"); v == 1 {
		p, ok := c.path(c.m.reg.sz(msdtcKey, "LogPath"))
		if !ok || !c.m.isDir(p) {
			return systemError(c, errPathNotFound)
		}
		c.m.drive(p.drive).write(joinPath(p.path, "MSDTC.LOG"), nil, false, c.m.net.now())
	}
	c.printf("MSDTC log reset.\r\n")
	return 0
}

// msdtcInstallClustered is msdtc -install -d DIR -l LOGDIR -v VSERVER: the
// log directory must exist (on the shared disk, so on the node owning it)
// and VSERVER must be a group's network name.
func msdtcInstallClustered(c *call, opts map[string]string) int {
	if opts["l"] == "" || opts["v"] == "" {
		c.printf("%s", msdtcUsage)
		return errInvalidParameter
	}
	if !clusterReachable(c.m) {
		return systemError(c, errNoEndpoints)
	}
	if c.m.service("MSDTC") != nil {
		return systemError(c, errServiceExists)
	}
	for _, name := range []string{opts["d"], opts["l"]} {
		if name == "" {
			continue
		}
		if p, ok := c.path(name); !ok || !c.m.isDir(p) {
			return systemError(c, errPathNotFound)
		}
	}
	logDir, _ := c.path(opts["l"])
	logFile := c.m.fileAt(logDir)
	cl := c.m.net.cluster
	var group *clusterGroup
	var vserver string
	for _, g := range cl.groups {
		for _, r := range g.resources {
			if r.typ == resNetworkName && strings.EqualFold(r.networkName, opts["v"]) {
				group, vserver = g, r.networkName
			}
		}
	}
	if group == nil {
		return systemError(c, errGroupNotFound)
	}
	logPath := string(logDir.drive) + ":" + logFile.path
	c.startAndWait(c.m, c.m.installMSDTC(&dtcSettings{logPath, vserver, group.name}))
	c.m.drive(logDir.drive).write(joinPath(logFile.path, "MSDTC.LOG"), nil, false, c.m.net.now())
	if !cl.hasType(resDTC) {
		r := newResource("MSDTC", resDTC)
		r.wanted = false
		group.resources = append(group.resources, r)
	}
	c.printf("MSDTC service installed.\r\n")
	return 0
}

// startAndWait starts services of host m (this one, or IISSYNC's target)
// and waits until they run or fail, as msdtc and IISSYNC do before they
// report success.
func (c *call) startAndWait(m *Machine, services ...*service) {
	for _, s := range services {
		m.startService(s)
	}
	for _, s := range services {
		for s.state == stateStartPending {
			if c.s.sleep(m.timing.Pending) != nil {
				return
			}
		}
	}
}
