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
		c.printf("%s", scFailure(c, "OpenSCManager", errRPCUnavailable))
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
					c.printf("%s", scStatus(c.m.lang, s, verb == "queryex"))
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
		op := "OpenService"
		if verb == "query" || verb == "queryex" {
			op = "EnumQueryServicesStatus:OpenService"
		}
		switch verb {
		case "query", "queryex", "qc", "config", "start", "stop", "delete":
			c.printf("%s", scFailure(c, op, errNoSuchService))
			return errNoSuchService
		}
	}
	switch verb {
	case "query", "queryex":
		c.printf("%s", scStatus(c.m.lang, s, verb == "queryex"))
		return 0
	case "qc":
		c.printf("%s\r\n%s", c.m.lang.scOK("QueryServiceConfig", 0, ""), scConfig(c.m.lang, s))
		return 0
	case "config":
		return scSetConfig(c, s, args[2:])
	case "start":
		if code := c.m.startService(s); code != 0 {
			c.printf("%s", scFailure(c, "StartService", code))
			return code
		}
		c.printf("%s", scStatus(c.m.lang, s, true))
		return 0
	case "stop":
		if code := c.m.stopService(s); code != 0 {
			c.printf("%s", scFailure(c, "ControlService", code))
			return code
		}
		c.printf("%s", scStatus(c.m.lang, s, false))
		return 0
	case "delete":
		delete(c.m.services, key(s.name))
		c.printf("%s", c.m.lang.scOK("DeleteService", 0, ""))
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
			c.printf("%s", scFailure(c, "ChangeServiceConfig", errInvalidParameter))
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
			c.printf("%s", scFailure(c, "ChangeServiceConfig", errInvalidParameter))
			return errInvalidParameter
		}
	}
	s.start, s.delayed = start, delayed
	c.printf("%s", c.m.lang.scOK("ChangeServiceConfig", 0, ""))
	return 0
}

// scType is a service's type as sc prints it, the number and its name;
// sep is what sc writes before the interactive flag (one blank in sc qc,
// two in sc query), written even where the flag is not.
func scType(s *service, sep string) string {
	n, name := 0x10, "WIN32_OWN_PROCESS"
	if s.shared {
		n, name = 0x20, "WIN32_SHARE_PROCESS"
	}
	flag := ""
	if s.interactive {
		n |= 0x100
		flag = "(interactive)"
	}
	return fmt.Sprintf("%x  %s%s%s", n, name, sep, flag)
}

// scFailure prints sc's report of a failed operation in the host's
// language and returns the code.
func scFailure(c *call, op string, code int) string {
	return c.m.lang.scFailed(op, code, c.m.lang.message(code))
}

// scStatus formats a service's status as sc query prints it; ex adds the
// PID and FLAGS lines of queryex (and of sc start). The layout is the real
// captures' (testdata/windows/sc): a blank after the service name and after
// the type and the state, no line of accepted controls while the service is
// stopped.
func scStatus(l *language, s *service, ex bool) string {
	flags := "NOT_STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN"
	if s.state == stateRunning || s.state == stateStopPending {
		flags = "STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN"
	}
	hint := "0x0"
	if s.state == stateStartPending || s.state == stateStopPending {
		hint = "0x7d0"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\r\n%s: %s \r\n", l.scLabel("SERVICE_NAME"), s.name)
	b.WriteString(l.scField("TYPE", scType(s, "  ")))
	b.WriteString(l.scField("STATE", fmt.Sprintf("%d  %s ", s.state, stateNames[s.state])))
	if s.state != stateStopped {
		fmt.Fprintf(&b, "                                (%s)\r\n", flags)
	}
	b.WriteString(l.scField("WIN32_EXIT_CODE", fmt.Sprintf("%d  (0x%x)", s.exitCode, s.exitCode)))
	b.WriteString(l.scField("SERVICE_EXIT_CODE", "0  (0x0)"))
	b.WriteString(l.scField("CHECKPOINT", "0x0"))
	b.WriteString(l.scField("WAIT_HINT", hint))
	if ex {
		b.WriteString(l.scField("PID", fmt.Sprint(s.pid)))
		b.WriteString(l.scField("FLAGS", ""))
	}
	return b.String()
}

// scConfig formats a service's configuration as sc qc prints it (the
// German captures: labels English, a blank after the type, none after an
// empty LOAD_ORDER_GROUP's colon but the one sc always writes).
func scConfig(l *language, s *service) string {
	start := fmt.Sprintf("%d   %s", s.start, startTypeNames[s.start])
	if s.delayed {
		start += "  (DELAYED)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\r\n", l.scLabel("SERVICE_NAME"), s.name)
	b.WriteString(l.scField("TYPE", scType(s, " ")))
	b.WriteString(l.scField("START_TYPE", start))
	b.WriteString(l.scField("ERROR_CONTROL", "1   NORMAL"))
	b.WriteString(l.scField("BINARY_PATH_NAME", s.binary))
	b.WriteString(l.scField("LOAD_ORDER_GROUP", s.group))
	b.WriteString(l.scField("TAG", "0"))
	b.WriteString(l.scField("DISPLAY_NAME", s.display))
	if len(s.dependsOn) == 0 {
		b.WriteString(l.scField("DEPENDENCIES", ""))
	}
	for i, d := range s.dependsOn {
		if i == 0 {
			b.WriteString(l.scField("DEPENDENCIES", d))
		} else {
			fmt.Fprintf(&b, "                           : %s\r\n", d)
		}
	}
	b.WriteString(l.scField("SERVICE_START_NAME", s.startName))
	return b.String()
}
