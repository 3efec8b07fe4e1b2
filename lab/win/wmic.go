package win

import (
	"fmt"
	"strconv"
	"strings"
)

// wmic: os, useraccount, datafile, service and computersystem, with where
// clauses of prop='value' joined by and, get with /value or as a table.

// wmiInstance is one object: property name (canonical case) to value.
type wmiInstance map[string]string

// wmiClass lists an alias's properties in wmic's order and its instances.
type wmiClass struct {
	props     []string
	instances func(m *Machine) []wmiInstance
}

var wmiClasses = map[string]wmiClass{
	"os": {
		props: []string{"BuildNumber", "Caption", "CSDVersion", "CSName", "LastBootUpTime", "Version"},
		instances: func(m *Machine) []wmiInstance {
			return []wmiInstance{{
				"BuildNumber": "1381", "Caption": "Microsoft Windows NT Server",
				"CSDVersion": m.reg.sz(currentVersionKey, "CSDVersion"), "CSName": m.netbios,
				"LastBootUpTime": cimDatetime(m), "Version": "4.0.1381",
			}}
		},
	},
	"useraccount": {
		props: []string{"Caption", "Disabled", "Domain", "LocalAccount", "Name", "SID"},
		instances: func(m *Machine) []wmiInstance {
			var out []wmiInstance
			add := func(a *account, local bool) {
				out = append(out, wmiInstance{
					"Caption": a.qualified(), "Disabled": "FALSE", "Domain": a.domain,
					"LocalAccount": strings.ToUpper(strconv.FormatBool(local)), "Name": a.name, "SID": a.sid,
				})
			}
			for _, a := range m.users {
				add(a, true)
			}
			for _, a := range m.net.domain {
				if !strings.HasPrefix(a.name, "Domain ") {
					add(a, false)
				}
			}
			return out
		},
	},
	"group": {
		props: []string{"Caption", "Domain", "LocalAccount", "Name", "SID"},
		instances: func(m *Machine) []wmiInstance {
			var out []wmiInstance
			for _, g := range m.groups {
				domain := m.netbios
				if strings.HasPrefix(g.sid, "S-1-5-32-") {
					domain = "BUILTIN"
				}
				out = append(out, wmiInstance{"Caption": domain + `\` + g.name, "Domain": domain, "LocalAccount": "TRUE", "Name": g.name, "SID": g.sid})
			}
			return out
		},
	},
	"datafile": {
		props: []string{"FileSize", "Name", "Version"},
		instances: func(m *Machine) []wmiInstance {
			var out []wmiInstance
			for _, f := range m.c.files {
				if !f.dir {
					out = append(out, wmiInstance{
						"FileSize": strconv.Itoa(len(f.data)), "Name": strings.ToLower("c:" + f.path), "Version": f.version,
					})
				}
			}
			return out
		},
	},
	"service": {
		props: []string{"DisplayName", "ExitCode", "Name", "PathName", "ProcessId", "StartMode", "State"},
		instances: func(m *Machine) []wmiInstance {
			modes := map[int]string{startAuto: "Auto", startDemand: "Manual", startDisabled: "Disabled"}
			states := map[int]string{stateStopped: "Stopped", stateStartPending: "Start Pending", stateStopPending: "Stop Pending", stateRunning: "Running"}
			var out []wmiInstance
			for _, s := range m.sortedServices() {
				out = append(out, wmiInstance{
					"DisplayName": s.display, "ExitCode": strconv.Itoa(s.exitCode), "Name": s.name,
					"PathName": s.binary, "ProcessId": strconv.Itoa(s.pid), "StartMode": modes[s.start], "State": states[s.state],
				})
			}
			return out
		},
	},
	"computersystem": {
		props: []string{"Domain", "Name", "PartOfDomain"},
		instances: func(m *Machine) []wmiInstance {
			return []wmiInstance{{"Domain": "CORP", "Name": m.netbios, "PartOfDomain": "TRUE"}}
		},
	},
}

// cimDatetime is LastBootUpTime in CIM form, yyyymmddHHMMSS.ffffff+000.
func cimDatetime(m *Machine) string {
	t := m.boot.UTC()
	return fmt.Sprintf("%s.%06d+000", t.Format("20060102150405"), t.Nanosecond()/1000)
}

func changesWMIC(c *call) bool {
	for _, a := range c.argv[1:] {
		switch strings.ToLower(a) {
		case "call", "set", "delete", "create":
			return true
		}
	}
	return false
}

// wmicInvalid is wmic's report of a query it cannot run.
func wmicInvalid(c *call) int {
	c.errorf("Node - %s\r\nERROR:\r\nDescription = Invalid query\r\n\r\n", c.m.netbios)
	return 1
}

func runWMIC(c *call) int {
	if !c.awaitPipedStdin() {
		return statusControlCExit
	}
	args := c.argv[1:]
	if len(args) == 0 {
		c.errorf("The lab's wmic has no interactive mode.\r\n")
		return 1
	}
	alias := strings.ToLower(args[0])
	class, ok := wmiClasses[alias]
	if !ok {
		c.errorf("%s - Alias not found.\r\n", args[0])
		return 1
	}
	args = args[1:]
	var where []string
	if len(args) > 0 && strings.EqualFold(args[0], "where") {
		args = args[1:]
		for len(args) > 0 && !isWMIVerb(args[0]) {
			where = append(where, args[0])
			args = args[1:]
		}
	}
	listValue := false
	var verb string
	var props []string
	for _, a := range args {
		la := strings.ToLower(a)
		switch {
		case la == "/value" || la == "/format:list":
			listValue = true
		case strings.HasPrefix(la, "/"):
		case verb == "":
			verb = la
		default:
			for _, p := range strings.Split(a, ",") {
				if p != "" {
					props = append(props, p)
				}
			}
		}
	}
	if verb != "get" && verb != "list" && verb != "" {
		c.errorf("The lab's wmic supports only get and list, not %s.\r\n", verb)
		return 1
	}
	if verb == "list" {
		props = nil
	}
	conds, ok := parseWhere(strings.Join(where, " "))
	if !ok {
		return wmicInvalid(c)
	}
	var names []string
	for _, p := range props {
		name, ok := canonicalProp(class, p)
		if !ok {
			return wmicInvalid(c)
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		names = class.props
	}
	var matches []wmiInstance
	for _, inst := range class.instances(c.m) {
		if inst.matches(class, conds) {
			matches = append(matches, inst)
		}
	}
	if conds == nil && alias == "datafile" {
		return wmicInvalid(c)
	}
	if len(matches) == 0 {
		c.errorf("No Instance(s) Available.\r\n")
		return 0
	}
	if listValue {
		var b strings.Builder
		for _, inst := range matches {
			b.WriteString("\r\r\n")
			for _, n := range names {
				fmt.Fprintf(&b, "%s=%s\r\r\n", n, inst[n])
			}
		}
		b.WriteString("\r\r\n")
		c.printf("%s", b.String())
		return 0
	}
	widths := make([]int, len(names))
	for i, n := range names {
		widths[i] = len(n)
		for _, inst := range matches {
			widths[i] = max(widths[i], len(inst[n]))
		}
	}
	row := func(vals func(i int) string) {
		var b strings.Builder
		for i := range names {
			fmt.Fprintf(&b, "%-*s  ", widths[i], vals(i))
		}
		c.printf("%s\r\r\n", b.String())
	}
	row(func(i int) string { return names[i] })
	for _, inst := range matches {
		row(func(i int) string { return inst[names[i]] })
	}
	c.printf("\r\r\n")
	return 0
}

func isWMIVerb(s string) bool {
	switch strings.ToLower(s) {
	case "get", "list", "call", "set", "delete", "create":
		return true
	}
	return strings.HasPrefix(s, "/")
}

func canonicalProp(class wmiClass, name string) (string, bool) {
	for _, p := range class.props {
		if strings.EqualFold(p, name) {
			return p, true
		}
	}
	return "", false
}

// wmiCond is one prop='value' test.
type wmiCond struct{ prop, value string }

// parseWhere reads `prop='value' and prop="value"`, optionally in
// parentheses. WQL strings escape backslashes by doubling them.
func parseWhere(s string) ([]wmiCond, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		s = s[1 : len(s)-1]
	}
	var conds []wmiCond
	rest := s
	for {
		rest = strings.TrimSpace(rest)
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return nil, false
		}
		prop := strings.TrimSpace(rest[:eq])
		rest = strings.TrimSpace(rest[eq+1:])
		var value string
		if rest != "" && (rest[0] == '\'' || rest[0] == '"') {
			q := rest[0]
			var b strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != q; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				b.WriteByte(rest[i])
			}
			if i >= len(rest) {
				return nil, false
			}
			value = b.String()
			rest = rest[i+1:]
		} else {
			end := strings.IndexAny(rest, " \t")
			if end < 0 {
				end = len(rest)
			}
			value, rest = rest[:end], rest[end:]
		}
		conds = append(conds, wmiCond{prop, value})
		rest = strings.TrimSpace(rest)
		if rest == "" {
			return conds, true
		}
		if len(rest) < 4 || !strings.EqualFold(rest[:4], "and ") {
			return nil, false
		}
		rest = rest[4:]
	}
}

func (inst wmiInstance) matches(class wmiClass, conds []wmiCond) bool {
	for _, cond := range conds {
		name, ok := canonicalProp(class, cond.prop)
		if !ok || !strings.EqualFold(inst[name], cond.value) {
			return false
		}
	}
	return true
}
