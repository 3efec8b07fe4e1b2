package win

// PowerCycle restarts the host at once, as a bugcheck or an update that
// reboots by itself would: no shutdown command, nothing in the command
// log. The power-off handler runs as for shutdown /r.
func (m *Machine) PowerCycle() {
	m.net.lock()
	if m.power == powerOff {
		m.net.mu.Unlock()
		return
	}
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
	gen := m.gen
	m.power = powerShuttingDown
	m.reboot = true
	m.net.mu.Unlock()
	m.powerDown(gen)
}
