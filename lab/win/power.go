package win

import (
	"strconv"
	"strings"
	"time"
)

// sessionManager holds PendingFileRenameOperations, which installers set
// and a boot clears: the pending-reboot signal modules read.
const sessionManager = `HKLM\SYSTEM\CurrentControlSet\Control\Session Manager`

// OnPowerOff sets the function called when the host goes down after a
// shutdown, with whether it was a restart. The lab takes the endpoint off
// the network and later calls Boot. Without a handler a restart boots at
// once and a shutdown leaves the host off.
func (m *Machine) OnPowerOff(f func(reboot bool)) {
	m.net.mu.Lock()
	defer m.net.mu.Unlock()
	m.onPowerOff = f
}

// Boot starts the host: a new LastBootUpTime (strictly later than the
// last), no pending shutdown, services started by start type with their
// dependencies (manual ones stay stopped), the host back on the network;
// the cluster node rejoins if its cluster service started.
func (m *Machine) Boot() {
	m.net.lock()
	defer m.net.mu.Unlock()
	m.bootLocked()
	m.net.settle()
}

func (m *Machine) bootLocked() {
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
	now := m.net.now().UTC().Truncate(time.Microsecond)
	if !now.After(m.boot) {
		now = m.boot.Add(time.Microsecond)
	}
	m.boot = now
	m.gen++
	m.power = powerOn
	m.online = true
	m.reg.deleteValue(sessionManager, "PendingFileRenameOperations")
	m.stopAllServices()
	m.bootServices()
}

// scheduleShutdown arms a shutdown in secs simulated seconds.
func (m *Machine) scheduleShutdown(reboot bool, secs int) int {
	switch m.power {
	case powerShuttingDown:
		return errShutdownInProgress
	case powerScheduled:
		return errShutdownScheduled
	}
	m.power = powerScheduled
	m.reboot = reboot
	gen := m.gen
	m.timer = time.AfterFunc(time.Duration(secs)*m.timing.Second, func() { m.fireShutdown(gen) })
	return 0
}

func (m *Machine) abortShutdown() int {
	switch m.power {
	case powerShuttingDown:
		return errShutdownInProgress
	case powerScheduled:
		m.timer.Stop()
		m.timer = nil
		m.power = powerOn
		return 0
	}
	return errNoShutdown
}

// fireShutdown starts the shutdown: it is in progress for the grace time,
// then the host goes down.
func (m *Machine) fireShutdown(gen int) {
	m.net.lock()
	defer m.net.mu.Unlock()
	if m.gen != gen || m.power != powerScheduled {
		return
	}
	m.power = powerShuttingDown
	m.timer = time.AfterFunc(m.timing.Grace, func() { m.powerDown(gen) })
}

// powerDown stops every service and takes the host off the network (the
// cluster sees the node go down), then tells the lab.
func (m *Machine) powerDown(gen int) {
	m.net.lock()
	if m.gen != gen || m.power != powerShuttingDown {
		m.net.mu.Unlock()
		return
	}
	m.stopAllServices()
	m.power = powerOff
	m.online = false
	m.gen++
	m.timer = nil
	reboot, handler := m.reboot, m.onPowerOff
	m.net.settle()
	m.net.mu.Unlock()
	switch {
	case handler != nil:
		handler(reboot)
	case reboot:
		m.Boot()
	}
}

func changesShutdown(c *call) bool {
	for _, a := range c.argv[1:] {
		switch strings.ToLower(strings.Replace(a, "-", "/", 1)) {
		case "/r", "/s", "/a", "/p", "/h", "/l", "/g":
			return true
		}
	}
	return false
}

const shutdownUsage = "Usage: shutdown [/i | /l | /s | /r | /g | /a | /p | /h | /e | /o] [/hybrid] [/soft] [/fw] [/f]\r\n" +
	"    [/m \\\\computer][/t xxx][/d [p|u:]xx:yy [/c \"comment\"]]\r\n"

// runShutdown is shutdown.exe /r|/s [/t N] [/c "msg"] [/f] and /a.
func runShutdown(c *call) int {
	action := ""
	secs := 30
	args := c.argv[1:]
	for i := 0; i < len(args); i++ {
		a := strings.ToLower(args[i])
		if strings.HasPrefix(a, "-") {
			a = "/" + a[1:]
		}
		switch a {
		case "/r", "/s", "/a":
			if action != "" && action != a {
				return shutdownFail(c, errInvalidParameter)
			}
			action = a
		case "/f":
		case "/t":
			i++
			if i >= len(args) {
				return shutdownFail(c, errInvalidParameter)
			}
			n, err := strconv.Atoi(args[i])
			if err != nil || n < 0 || n > 315360000 {
				return shutdownFail(c, errInvalidParameter)
			}
			secs = n
		case "/c", "/d":
			i++
			if i >= len(args) {
				return shutdownFail(c, errInvalidParameter)
			}
		case "/m":
			i++
			if i >= len(args) || !strings.EqualFold(strings.TrimPrefix(args[i], `\\`), c.m.netbios) {
				return shutdownFail(c, errBadNetPath)
			}
		case "/?":
			c.printf("%s", shutdownUsage)
			return 0
		default:
			return shutdownFail(c, errInvalidParameter)
		}
	}
	var code int
	switch action {
	case "":
		c.printf("%s", shutdownUsage)
		return 0
	case "/a":
		code = c.m.abortShutdown()
	default:
		code = c.m.scheduleShutdown(action == "/r", secs)
	}
	if code != 0 {
		return shutdownFail(c, code)
	}
	return 0
}

// shutdownFail prints shutdown.exe's error form for the local host,
// "message.(code)" (a real 1115 over WinRM, testdata/windows/shutdown).
func shutdownFail(c *call, code int) int {
	c.errorf("%s(%d)\r\n", c.m.lang.message(code), code)
	return code
}
