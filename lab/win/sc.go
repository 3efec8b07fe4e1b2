package win

import (
	"fmt"
	"strings"
)

// sc.exe: query, queryex, qc, config start=, start, stop, delete.

const scUsage = "DESCRIPTION:\r\n" +
	"        SC is a command line program used for communicating with the\r\n" +
	"        Service Control Manager and services.\r\n" +
	"USAGE:\r\n" +
	"        sc <server> [command] [service name] <option1> <option2>...\r\n"

func scArgs(c *call) ([]string, bool) {
	args := c.argv[1:]
	if len(args) > 0 && strings.HasPrefix(args[0], `\\`) {
		if !strings.EqualFold(args[0][2:], c.m.netbios) {
			return nil, false
		}
		args = args[1:]
	}
	return args, true
}

func changesSC(c *call) bool {
	args, _ := scArgs(c)
	if len(args) == 0 {
		return false
	}
	switch strings.ToLower(args[0]) {
	case "query", "queryex", "qc", "qdescription", "enumdepend", "getdisplayname", "getkeyname":
		return false
	}
	return true
}

func runSC(c *call) int {
	args, local := scArgs(c)
	if !local {
		c.printf("%s", formatExit("[SC] OpenSCManager FAILED", errRPCUnavailable))
		return errRPCUnavailable
	}
	if len(args) == 0 {
		c.printf("%s", scUsage)
		return errInvalidCommandLine
	}
	verb := strings.ToLower(args[0])
	if verb == "query" || verb == "queryex" {
		if len(args) == 1 {
			for _, s := range c.m.sortedServices() {
				if s.state != stateStopped {
					c.printf("%s", scStatus(s, verb == "queryex"))
				}
			}
			return 0
		}
	}
	if len(args) < 2 {
		c.printf("%s", scUsage)
		return errInvalidCommandLine
	}
	s := c.m.service(args[1])
	if s == nil {
		prefix := "[SC] OpenService FAILED"
		if verb == "query" || verb == "queryex" {
			prefix = "[SC] EnumQueryServicesStatus:OpenService FAILED"
		}
		switch verb {
		case "query", "queryex", "qc", "config", "start", "stop", "delete":
			c.printf("%s", formatExit(prefix, errNoSuchService))
			return errNoSuchService
		}
	}
	switch verb {
	case "query", "queryex":
		c.printf("%s", scStatus(s, verb == "queryex"))
		return 0
	case "qc":
		c.printf("[SC] QueryServiceConfig SUCCESS\r\n\r\n%s", scConfig(s))
		return 0
	case "config":
		return scSetConfig(c, s, args[2:])
	case "start":
		if code := c.m.startService(s); code != 0 {
			c.printf("%s", formatExit("[SC] StartService FAILED", code))
			return code
		}
		c.printf("%s", scStatus(s, true))
		return 0
	case "stop":
		if code := c.m.stopService(s); code != 0 {
			c.printf("%s", formatExit("[SC] ControlService FAILED", code))
			return code
		}
		c.printf("%s", scStatus(s, false))
		return 0
	case "delete":
		delete(c.m.services, key(s.name))
		c.printf("[SC] DeleteService SUCCESS\r\n")
		return 0
	}
	c.printf("%s", scUsage)
	return errInvalidCommandLine
}

// scSetConfig handles `sc config NAME start= TYPE`; as with sc.exe the
// value is the argument after "start=".
func scSetConfig(c *call, s *service, opts []string) int {
	if len(opts) == 0 {
		c.printf("%s", scUsage)
		return errInvalidCommandLine
	}
	start, delayed := s.start, s.delayed
	for i := 0; i < len(opts); i += 2 {
		if !strings.EqualFold(opts[i], "start=") || i+1 >= len(opts) {
			c.printf("%s", formatExit("[SC] ChangeServiceConfig FAILED", errInvalidParameter))
			return errInvalidParameter
		}
		delayed = false
		switch strings.ToLower(opts[i+1]) {
		case "auto":
			start = startAuto
		case "delayed-auto":
			start, delayed = startAuto, true
		case "demand":
			start = startDemand
		case "disabled":
			start = startDisabled
		default:
			c.printf("%s", formatExit("[SC] ChangeServiceConfig FAILED", errInvalidParameter))
			return errInvalidParameter
		}
	}
	s.start, s.delayed = start, delayed
	c.printf("[SC] ChangeServiceConfig SUCCESS\r\n")
	return 0
}

func scType(s *service) string {
	if s.shared {
		return "20  WIN32_SHARE_PROCESS"
	}
	return "10  WIN32_OWN_PROCESS"
}

// scStatus formats a service's status as sc query prints it; ex adds the
// PID and FLAGS lines of queryex (and of sc start).
func scStatus(s *service, ex bool) string {
	flags := "NOT_STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN"
	if s.state == stateRunning || s.state == stateStopPending {
		flags = "STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN"
	}
	hint := "0x0"
	if s.state == stateStartPending || s.state == stateStopPending {
		hint = "0x7d0"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\r\nSERVICE_NAME: %s\r\n", s.name)
	fmt.Fprintf(&b, "        TYPE               : %s\r\n", scType(s))
	fmt.Fprintf(&b, "        STATE              : %d  %s\r\n", s.state, stateNames[s.state])
	fmt.Fprintf(&b, "                                (%s)\r\n", flags)
	fmt.Fprintf(&b, "        WIN32_EXIT_CODE    : %d  (0x%x)\r\n", s.exitCode, s.exitCode)
	b.WriteString("        SERVICE_EXIT_CODE  : 0  (0x0)\r\n")
	b.WriteString("        CHECKPOINT         : 0x0\r\n")
	fmt.Fprintf(&b, "        WAIT_HINT          : %s\r\n", hint)
	if ex {
		fmt.Fprintf(&b, "        PID                : %d\r\n", s.pid)
		b.WriteString("        FLAGS              : \r\n")
	}
	return b.String()
}

// scConfig formats a service's configuration as sc qc prints it.
func scConfig(s *service) string {
	start := fmt.Sprintf("%d   %s", s.start, startTypeNames[s.start])
	if s.delayed {
		start += "  (DELAYED)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "SERVICE_NAME: %s\r\n", s.name)
	fmt.Fprintf(&b, "        TYPE               : %s\r\n", scType(s))
	fmt.Fprintf(&b, "        START_TYPE         : %s\r\n", start)
	b.WriteString("        ERROR_CONTROL      : 1   NORMAL\r\n")
	fmt.Fprintf(&b, "        BINARY_PATH_NAME   : %s\r\n", s.binary)
	fmt.Fprintf(&b, "        LOAD_ORDER_GROUP   : %s\r\n", s.group)
	b.WriteString("        TAG                : 0\r\n")
	fmt.Fprintf(&b, "        DISPLAY_NAME       : %s\r\n", s.display)
	if len(s.dependsOn) == 0 {
		b.WriteString("        DEPENDENCIES       : \r\n")
	}
	for i, d := range s.dependsOn {
		if i == 0 {
			fmt.Fprintf(&b, "        DEPENDENCIES       : %s\r\n", d)
		} else {
			fmt.Fprintf(&b, "                           : %s\r\n", d)
		}
	}
	fmt.Fprintf(&b, "        SERVICE_START_NAME : %s\r\n", s.startName)
	return b.String()
}
