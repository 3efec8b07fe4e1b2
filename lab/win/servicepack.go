package win

import "strings"

// Service Pack 6's UPDATE.EXE: -u (unattended) -z (no reboot) -f -n -o -q.

func runServicePack(c *call) int {
	var unattended, noReboot, quiet bool
	for _, a := range c.argv[1:] {
		if len(a) != 2 || (a[0] != '-' && a[0] != '/') {
			return systemError(c, errInvalidParameter)
		}
		switch strings.ToLower(a[1:]) {
		case "u":
			unattended = true
		case "z":
			noReboot = true
		case "q":
			quiet = true
		case "f", "n", "o":
		default:
			return systemError(c, errInvalidParameter)
		}
	}
	if !unattended {
		c.errorf("The lab's service pack setup runs unattended only: UPDATE.EXE -u -z\r\n")
		return errInvalidParameter
	}
	if code := c.runInstaller(); code != 0 {
		return code
	}
	if !c.m.stampServicePack() {
		if !quiet {
			c.printf("Windows NT 4.0 Service Pack 6 is already installed; no files needed replacing.\r\n")
		}
		return 0
	}
	c.m.setRebootPending(`C:\WINNT\system32\ntoskrnl.exe`)
	if !quiet {
		c.printf("Windows NT 4.0 Service Pack 6 has been installed.\r\n")
	}
	if noReboot {
		return errRebootRequired
	}
	c.m.scheduleShutdown(true, 0)
	return errRebootInitiated
}
