package win

import (
	"sort"
	"strconv"
	"strings"
)

// net.exe: start, stop, localgroup, helpmsg.

const netDashes = "-------------------------------------------------------------------------------"

// netSyntax is what net prints for a command it does not know.
const netSyntax = "The syntax of this command is:\r\n\r\n" +
	"NET [ ACCOUNTS | COMPUTER | CONFIG | CONTINUE | FILE | GROUP | HELP |\r\n" +
	"      HELPMSG | LOCALGROUP | NAME | PAUSE | PRINT | SEND | SESSION |\r\n" +
	"      SHARE | START | STATISTICS | STOP | TIME | USE | USER | VIEW ]\r\n\r\n"

// netError prints net's report of a Win32 error and returns net's exit
// code, 2.
func netError(c *call, code int) int {
	c.errorf("%s\r\n\r\n%s\r\n\r\n", c.m.lang.netSystemError(code), c.m.lang.message(code))
	return 2
}

// netHelp prints a NERR message with the helpmsg hint.
func netHelp(c *call, code int, text string) int {
	c.errorf("%s\r\n\r\nMore help is available by typing NET HELPMSG %d.\r\n\r\n", text, code)
	return 2
}

func splitSwitches(args []string) (words, switches []string) {
	for _, a := range args {
		if strings.HasPrefix(a, "/") {
			switches = append(switches, strings.ToLower(a))
		} else {
			words = append(words, a)
		}
	}
	return words, switches
}

func hasNetSwitch(switches []string, names ...string) bool {
	for _, s := range switches {
		for _, n := range names {
			if s == n || strings.HasPrefix(s, n+":") {
				return true
			}
		}
	}
	return false
}

func changesNet(c *call) bool {
	words, switches := splitSwitches(c.argv[1:])
	if len(words) == 0 {
		return false
	}
	switch strings.ToLower(words[0]) {
	case "start", "stop", "pause", "continue":
		return len(words) > 1
	case "localgroup", "user", "group", "share", "use":
		return hasNetSwitch(switches, "/add", "/delete", "/del")
	}
	return false
}

func runNet(c *call) int {
	words, switches := splitSwitches(c.argv[1:])
	if len(words) == 0 {
		c.errorf("%s", netSyntax)
		return 1
	}
	switch strings.ToLower(words[0]) {
	case "start":
		return netStart(c, words[1:])
	case "stop":
		return netStop(c, words[1:], hasNetSwitch(switches, "/y", "/yes"))
	case "localgroup":
		return netLocalgroup(c, words[1:], switches)
	case "helpmsg":
		return netHelpmsg(c, words[1:])
	}
	c.errorf("%s", netSyntax)
	return 1
}

func netStart(c *call, words []string) int {
	if len(words) == 0 {
		c.printf("These Windows NT services are started:\r\n\r\n")
		var names []string
		for _, s := range c.m.services {
			if s.state == stateRunning {
				names = append(names, s.display)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			c.printf("   %s\r\n", n)
		}
		c.printf("\r\n%s\r\n\r\n", c.m.lang.netDone)
		return 0
	}
	s := c.m.serviceByName(strings.Join(words, " "))
	if s == nil {
		return netHelp(c, nerrBadServiceName, winMessage(nerrBadServiceName))
	}
	if s.active() {
		return netHelp(c, nerrServiceAlreadyStarted, winMessage(nerrServiceAlreadyStarted))
	}
	code := c.m.startService(s)
	switch code {
	case 0:
	case errProcessAborted, errDependencyFailed:
		c.printf("The %s service is starting.\r\nThe %s service could not be started.\r\n\r\n", s.display, s.display)
		c.errorf("A system error has occurred.\r\n\r\n")
		return netError(c, code)
	default:
		return netError(c, code)
	}
	c.printf("The %s service is starting.", s.display)
	// net waits for the service, printing a dot per poll.
	for s.state == stateStartPending {
		if c.s.sleep(c.m.timing.Pending) != nil {
			c.printf("\r\n")
			return 2
		}
		c.printf(".")
	}
	c.printf("\r\n")
	if s.state != stateRunning {
		c.printf("The %s service could not be started.\r\n\r\n", s.display)
		return netError(c, errProcessAborted)
	}
	c.printf("The %s service was started successfully.\r\n\r\n", s.display)
	return 0
}

func netStop(c *call, words []string, yes bool) int {
	if len(words) == 0 {
		c.errorf("The syntax of this command is:\r\n\r\nNET STOP\r\nservice\r\n\r\n")
		return 1
	}
	s := c.m.serviceByName(strings.Join(words, " "))
	if s == nil {
		return netHelp(c, nerrBadServiceName, winMessage(nerrBadServiceName))
	}
	if s.state != stateRunning && s.state != stateStartPending {
		return netHelp(c, nerrServiceNotStarted, "The "+s.display+" service is not started.")
	}
	var dependents []*service
	var collect func(*service)
	collect = func(x *service) {
		for _, d := range c.m.activeDependents(x) {
			if !containsService(dependents, d) {
				dependents = append(dependents, d)
				collect(d)
			}
		}
	}
	collect(s)
	if len(dependents) > 0 {
		c.printf("%s\r\n", c.m.lang.netDependents(s.display))
		for _, d := range dependents {
			c.printf("   %s\r\n", d.display)
		}
		c.printf("\r\n")
		if !yes {
			// Nobody answers the question, which net takes as no.
			c.printf("%s\r\n", c.m.lang.netQuestion)
			c.errorf("%s\r\n", c.m.lang.netNoAnswer)
			return 2
		}
	}
	var stopped []*service
	code := c.m.stopServiceTree(s, &stopped)
	for _, x := range stopped {
		c.printf("The %s service is stopping.", x.display)
		for x.state == stateStopPending {
			if c.s.sleep(c.m.timing.Pending) != nil {
				c.printf("\r\n")
				return 2
			}
			c.printf(".")
		}
		c.printf("\r\nThe %s service was stopped successfully.\r\n\r\n", x.display)
	}
	if code != 0 {
		return netError(c, code)
	}
	return 0
}

func containsService(list []*service, s *service) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func netLocalgroup(c *call, words, switches []string) int {
	add := hasNetSwitch(switches, "/add")
	del := hasNetSwitch(switches, "/delete", "/del")
	if len(words) == 0 {
		if add || del {
			c.errorf("The syntax of this command is:\r\n\r\nNET LOCALGROUP\r\n[groupname [/COMMENT:\"text\"]] [/DOMAIN]\r\n              groupname {/ADD [/COMMENT:\"text\"] | /DELETE}  [/DOMAIN]\r\n              groupname name [...] {/ADD | /DELETE} [/DOMAIN]\r\n\r\n")
			return 1
		}
		c.printf("\r\nAliases for \\\\%s\r\n\r\n%s\r\n", c.m.netbios, netDashes)
		var names []string
		for _, g := range c.m.groups {
			names = append(names, g.name)
		}
		sort.Slice(names, func(i, j int) bool { return key(names[i]) < key(names[j]) })
		for _, n := range names {
			c.printf("*%s\r\n", n)
		}
		c.printf("%s\r\n\r\n", c.m.lang.netDone)
		return 0
	}
	g := c.m.group(words[0])
	members := words[1:]
	switch {
	case len(members) == 0 && add:
		if g != nil {
			return netError(c, errAliasExists)
		}
		c.m.addLocalGroup(words[0], c.argvSwitchValue("/comment:"))
	case len(members) == 0 && del:
		if g == nil {
			return netError(c, errNoSuchAlias)
		}
		if strings.HasPrefix(g.sid, "S-1-5-32-") {
			return netError(c, errAccessDenied)
		}
		c.m.removeLocalGroup(g.name)
	case len(members) == 0:
		if g == nil {
			return netError(c, errNoSuchAlias)
		}
		c.printf("Alias name     %s\r\nComment        %s\r\n\r\nMembers\r\n\r\n%s\r\n", g.name, g.comment, netDashes)
		for _, sid := range g.members {
			c.printf("%s\r\n", c.m.memberName(sid))
		}
	case add || del:
		if g == nil {
			return netError(c, errNoSuchAlias)
		}
		var sids []string
		for _, name := range members {
			a := c.m.lookupName(name)
			if a == nil {
				return netError(c, errNoneMapped)
			}
			sids = append(sids, a.sid)
		}
		for _, sid := range sids {
			if add && g.has(sid) {
				return netError(c, errMemberInAlias)
			}
			if del && !g.has(sid) {
				return netError(c, errMemberNotInAlias)
			}
		}
		for _, sid := range sids {
			if add {
				g.members = append(g.members, sid)
			} else {
				g.remove(sid)
			}
		}
	default:
		c.errorf("The syntax of this command is:\r\n\r\nNET LOCALGROUP\r\n[groupname [/COMMENT:\"text\"]] [/DOMAIN]\r\n\r\n")
		return 1
	}
	c.printf("%s\r\n\r\n", c.m.lang.netDone)
	return 0
}

// argvSwitchValue returns the text after a /name: switch, as given.
func (c *call) argvSwitchValue(prefix string) string {
	for _, a := range c.argv[1:] {
		if strings.HasPrefix(strings.ToLower(a), prefix) {
			return a[len(prefix):]
		}
	}
	return ""
}

func netHelpmsg(c *call, words []string) int {
	if len(words) != 1 {
		c.errorf("The syntax of this command is:\r\n\r\nNET HELPMSG\r\nmessage#\r\n\r\n")
		return 1
	}
	n, err := strconv.Atoi(words[0])
	msg, ok := winMessages[n]
	if err != nil || !ok {
		return netHelp(c, 3871, words[0]+" is not a valid Windows network message number.")
	}
	c.printf("\r\n%s\r\n\r\n", msg)
	return 0
}
