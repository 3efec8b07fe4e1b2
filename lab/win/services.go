package win

import (
	"sort"
	"strings"
	"time"
)

// Service start types, as sc qc numbers them.
const (
	startAuto     = 2
	startDemand   = 3
	startDisabled = 4
)

// Service states, as sc query numbers them.
const (
	stateStopped      = 1
	stateStartPending = 2
	stateStopPending  = 3
	stateRunning      = 4
)

var startTypeNames = map[int]string{startAuto: "AUTO_START", startDemand: "DEMAND_START", startDisabled: "DISABLED"}

// startTypeWords are the names the state dump uses, the words of
// `sc config start=`.
var startTypeWords = map[int]string{startAuto: "auto", startDemand: "demand", startDisabled: "disabled"}

var stateNames = map[int]string{
	stateStopped: "STOPPED", stateStartPending: "START_PENDING",
	stateStopPending: "STOP_PENDING", stateRunning: "RUNNING",
}

// service is one entry of the service control manager.
type service struct {
	name      string
	display   string
	binary    string
	group     string
	startName string
	shared    bool // runs in a shared process (WIN32_SHARE_PROCESS)
	// interactive is SERVICE_INTERACTIVE_PROCESS (type 110, the Spooler
	// of a German Windows 11 capture).
	interactive bool
	start       int
	delayed     bool // delayed auto-start
	state       int
	dependsOn   []string
	exitCode    int
	pid         int
	due         time.Time // when a pending state ends
}

// serviceSpec describes a service a profile or an installer creates.
type serviceSpec struct {
	name, display, binary string
	shared                bool
	dependsOn             []string
	startName             string
}

var knownServices = map[string]serviceSpec{
	"RpcSs":             {"RpcSs", "Remote Procedure Call (RPC) Service", `C:\WINNT\system32\RpcSs.exe`, false, nil, ""},
	"EventLog":          {"EventLog", "EventLog", `C:\WINNT\system32\services.exe`, true, nil, ""},
	"LanmanServer":      {"LanmanServer", "Server", `C:\WINNT\system32\services.exe`, true, nil, ""},
	"LanmanWorkstation": {"LanmanWorkstation", "Workstation", `C:\WINNT\system32\services.exe`, true, nil, ""},
	"Spooler":           {"Spooler", "Spooler", `C:\WINNT\system32\spoolss.exe`, false, []string{"RpcSs"}, ""},
	"ClusSvc":           {"ClusSvc", "Cluster Server", `C:\WINNT\Cluster\clussvc.exe`, false, []string{"RpcSs"}, `CORP\ClusterSvc`},
	"MSDTC":             {"MSDTC", "MSDTC", `C:\WINNT\System32\msdtc.exe`, false, []string{"RpcSs"}, ""},
	"IISADMIN":          {"IISADMIN", "IIS Admin Service", `C:\WINNT\System32\inetsrv\inetinfo.exe`, true, []string{"RpcSs"}, ""},
	"W3SVC":             {"W3SVC", "World Wide Web Publishing Service", `C:\WINNT\System32\inetsrv\inetinfo.exe`, true, []string{"IISADMIN"}, ""},
	"MSFTPSVC":          {"MSFTPSVC", "FTP Publishing Service", `C:\WINNT\System32\inetsrv\inetinfo.exe`, true, []string{"IISADMIN"}, ""},
	"SMTPSVC":           {"SMTPSVC", "Simple Mail Transport Protocol (SMTP)", `C:\WINNT\System32\inetsrv\inetinfo.exe`, true, []string{"IISADMIN"}, ""},
	"cisvc":             {"cisvc", "Content Index", `C:\WINNT\system32\cisvc.exe`, false, []string{"RpcSs"}, ""},
	"MSMQ":              {"MSMQ", "Message Queuing", `C:\WINNT\system32\mqsvc.exe`, false, []string{"MSDTC"}, ""},
}

// addService creates a service from its spec, stopped.
func (m *Machine) addService(name string, start int) *service {
	spec := knownServices[name]
	// The table spells binaries under NT 4.0's C:\WINNT.
	binary := spec.binary
	if rest, ok := strings.CutPrefix(binary, `C:\WINNT`); ok {
		binary = m.sysC(rest)
	}
	s := &service{
		name: spec.name, display: spec.display, binary: binary, shared: spec.shared,
		start: start, state: stateStopped, dependsOn: append([]string(nil), spec.dependsOn...),
		startName: spec.startName,
	}
	if s.startName == "" {
		s.startName = "LocalSystem"
	}
	m.services[key(name)] = s
	return s
}

func (m *Machine) service(name string) *service { return m.services[key(name)] }

// serviceByName finds a service by key name or display name, as net.exe
// accepts both.
func (m *Machine) serviceByName(name string) *service {
	if s := m.service(name); s != nil {
		return s
	}
	for _, s := range m.services {
		if strings.EqualFold(s.display, name) {
			return s
		}
	}
	return nil
}

func (m *Machine) sortedServices() []*service {
	out := make([]*service, 0, len(m.services))
	for _, s := range m.services {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return key(out[i].name) < key(out[j].name) })
	return out
}

func (s *service) active() bool {
	return s.state == stateRunning || s.state == stateStartPending
}

// activeDependents lists the services that depend on s directly and are
// not stopped, in name order.
func (m *Machine) activeDependents(s *service) []*service {
	var out []*service
	for _, d := range m.sortedServices() {
		if d.state == stateStopped {
			continue
		}
		for _, dep := range d.dependsOn {
			if strings.EqualFold(dep, s.name) {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

// startService starts s and, first, the services it depends on, as the
// service control manager does. It returns 0 or the Win32 error.
func (m *Machine) startService(s *service) int {
	return m.startServiceDepth(s, 0)
}

func (m *Machine) startServiceDepth(s *service, depth int) int {
	switch {
	case s.active():
		return errServiceRunning
	case s.state == stateStopPending:
		return errCannotAcceptCtrl
	case s.start == startDisabled:
		return errServiceDisabled
	case depth > len(m.services):
		return errDependencyFailed
	}
	for _, name := range s.dependsOn {
		d := m.service(name)
		if d == nil {
			return errDependencyFailed
		}
		if d.active() {
			continue
		}
		if code := m.startServiceDepth(d, depth+1); code != 0 {
			return errDependencyFailed
		}
	}
	if code := m.serviceFailure(s); code != 0 {
		s.state = stateStopped
		s.exitCode = code
		return code
	}
	m.nextPID += 4
	s.pid = m.nextPID
	s.exitCode = 0
	s.state = stateStartPending
	s.due = m.net.now().Add(m.timing.Pending)
	return 0
}

// stopService asks s to stop. It fails with 1051 while services that
// depend on it run.
func (m *Machine) stopService(s *service) int {
	switch s.state {
	case stateStopped:
		return errServiceNotActive
	case stateStopPending:
		return errCannotAcceptCtrl
	}
	if len(m.activeDependents(s)) > 0 {
		return errDependentServices
	}
	s.state = stateStopPending
	s.due = m.net.now().Add(m.timing.Pending)
	return 0
}

// stopServiceTree stops the services that depend on s, then s, as
// `net stop /y` does.
func (m *Machine) stopServiceTree(s *service, stopped *[]*service) int {
	for _, d := range m.activeDependents(s) {
		if d.state != stateStopPending {
			if code := m.stopServiceTree(d, stopped); code != 0 {
				return code
			}
		}
		// net waits for each dependent to stop before it stops s.
		d.state, d.pid = stateStopped, 0
	}
	code := m.stopService(s)
	if code == 0 {
		*stopped = append(*stopped, s)
	}
	return code
}

// settleServices ends the pending states that are due.
func (m *Machine) settleServices(now time.Time) {
	for _, s := range m.services {
		if now.Before(s.due) {
			continue
		}
		switch s.state {
		case stateStartPending:
			s.state = stateRunning
		case stateStopPending:
			s.state = stateStopped
			s.pid = 0
		}
	}
}

// serviceFailure returns the error a service would die with if started
// now: the IIS Admin service cannot read a corrupt or missing metabase.
func (m *Machine) serviceFailure(s *service) int {
	if strings.EqualFold(s.name, "IISADMIN") {
		if _, ok := m.metabase(); !ok {
			return errProcessAborted
		}
	}
	return 0
}

// stopAllServices stops every service at once, as a shutdown does.
func (m *Machine) stopAllServices() {
	for _, s := range m.services {
		s.state = stateStopped
		s.pid = 0
	}
}

// bootServices starts the auto-start services with their dependencies;
// those that fail stay stopped with their exit code, as after a boot.
func (m *Machine) bootServices() {
	for _, s := range m.sortedServices() {
		if s.start == startAuto && !s.active() {
			m.startService(s)
		}
	}
	for _, s := range m.services {
		if s.state == stateStartPending {
			s.state = stateRunning
		}
	}
}

// stopNow stops s at once, with the services that depend on it, as an
// uninstaller or a restart does.
func (m *Machine) stopNow(s *service) {
	for _, d := range m.activeDependents(s) {
		m.stopNow(d)
	}
	s.state, s.pid = stateStopped, 0
}

// removeService stops and deletes a service, if it exists.
func (m *Machine) removeService(name string) {
	if s := m.service(name); s != nil {
		m.stopNow(s)
		delete(m.services, key(s.name))
	}
}
