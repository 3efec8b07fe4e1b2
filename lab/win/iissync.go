package win

import "strings"

// iissync.exe TARGET: replicates the IIS metabase and the MTS catalog
// from this node to TARGET, then restarts TARGET's IIS services.

// iisServices are the services of IIS, IISADMIN first: a restart starts
// them in this order.
var iisServices = []string{"IISADMIN", "W3SVC", "MSFTPSVC", "SMTPSVC"}

func runIISSync(c *call) int {
	args := c.argv[1:]
	if len(args) != 1 || strings.HasPrefix(args[0], "/") || strings.HasPrefix(args[0], "-") {
		c.printf("Usage: iissync <target computer>\r\n")
		return errInvalidParameter
	}
	target := strings.ToUpper(strings.TrimPrefix(args[0], `\\`))
	c.printf("Synchronizing IIS configuration from %s to %s...\r\n", c.m.netbios, target)
	// The target's metabase is reached with the session's credentials:
	// a WinRM session without them is refused there (the double hop).
	code := c.reachOut(target)
	var restarted []*service
	if code == 0 {
		restarted, code = c.m.iisSync(target)
	}
	if code != 0 {
		c.errorf("IISSYNC failed with status %d.\r\n%s\r\n", code, winMessage(code))
		return code
	}
	c.startAndWait(c.m.net.host(target), restarted...)
	c.printf("IISSYNC completed with status 0.\r\n")
	return 0
}

// iisRunning reports whether IIS is installed on m and its admin service
// runs, so its metabase can be read and written.
func (m *Machine) iisRunning() bool {
	s := m.service("IISADMIN")
	return m.iisInstalled() && s != nil && s.state == stateRunning
}

// iisSync copies this host's metabase and MTS catalog to target and
// stops the IIS services that ran there; it returns them, to be started
// again, and the IISSYNC status.
func (m *Machine) iisSync(target string) ([]*service, int) {
	if !m.iisInstalled() || m.service("IISADMIN") == nil {
		return nil, errNoSuchService
	}
	if !m.iisRunning() {
		return nil, errNoEndpoints
	}
	t := m.net.host(target)
	switch {
	case t == nil:
		// KB Q224801: 1722 is also an invalid target server name.
		return nil, errRPCUnavailable
	case t == m:
		return nil, errInvalidParameter
	case t.power == powerOff || !t.online:
		return nil, errRPCUnavailable
	case !t.iisRunning():
		return nil, errNoEndpoints
	}
	for _, p := range []string{metabasePath, mtsCatalogPath} {
		if f := m.c.get(p); f != nil {
			t.putFile(p, f.data, "", "")
		}
	}
	var restart []*service
	for _, name := range iisServices {
		if s := t.service(name); s != nil && s.active() {
			restart = append(restart, s)
		}
	}
	for _, s := range restart {
		t.stopNow(s)
	}
	return restart, 0
}
