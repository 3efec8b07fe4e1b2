package win

import (
	"fmt"
	"strings"
)

// secedit.exe: /export and /configure of the USER_RIGHTS area.

// seceditAreas are the security areas secedit knows.
var seceditAreas = []string{"SECURITYPOLICY", "GROUP_MGMT", "USER_RIGHTS", "REGKEYS", "FILESTORE", "SERVICES"}

// seceditArgs is a parsed secedit command line.
type seceditArgs struct {
	verb        string // "export" or "configure"
	cfg, db     string
	areas       []string
	quiet       bool
	bad         bool
	unsupported string
}

func parseSeceditArgs(args []string) seceditArgs {
	var a seceditArgs
	for i := 0; i < len(args); i++ {
		switch la := strings.ToLower(args[i]); la {
		case "/export", "/configure":
			if a.verb != "" {
				a.bad = true
			}
			a.verb = la[1:]
		case "/analyze", "/validate", "/import", "/generaterollback":
			a.unsupported = args[i]
		case "/cfg", "/db", "/log":
			if i+1 >= len(args) || strings.HasPrefix(args[i+1], "/") {
				a.bad = true
				continue
			}
			i++
			switch la {
			case "/cfg":
				a.cfg = args[i]
			case "/db":
				a.db = args[i]
			}
		case "/areas":
			for i+1 < len(args) && !strings.HasPrefix(args[i+1], "/") {
				i++
				area := strings.ToUpper(args[i])
				if !containsString(seceditAreas, area) {
					a.bad = true
				}
				a.areas = append(a.areas, area)
			}
		case "/quiet", "/overwrite", "/mergedpolicy", "/verbose":
			a.quiet = a.quiet || la == "/quiet"
		default:
			a.bad = true
		}
	}
	if a.verb == "" || a.cfg == "" || (a.verb == "configure" && a.db == "") {
		a.bad = true
	}
	return a
}

// userRights reports whether the command covers the USER_RIGHTS area:
// named, or all areas by default.
func (a seceditArgs) userRights() bool {
	return len(a.areas) == 0 || containsString(a.areas, "USER_RIGHTS")
}

func changesSecedit(c *call) bool {
	a := parseSeceditArgs(c.argv[1:])
	switch {
	case a.verb == "export":
		return changesPaths(c, []string{a.cfg})
	case a.verb == "configure":
		return true
	}
	return false
}

func runSecedit(c *call) int {
	a := parseSeceditArgs(c.argv[1:])
	if a.unsupported != "" {
		c.errorf("The lab's secedit supports /export and /configure, not %s.\r\n", a.unsupported)
		return errInvalidParameter
	}
	if a.bad {
		c.errorf("Usage: secedit /export /cfg FILE [/areas AREA...] | /configure /db FILE.sdb /cfg FILE.inf [/areas AREA...] [/quiet]\r\n")
		return errInvalidParameter
	}
	var code int
	if a.verb == "export" {
		code = seceditExport(c, a)
	} else {
		code = seceditConfigure(c, a)
	}
	if code == 0 && !a.quiet {
		c.printf("The task has completed successfully.\r\n")
	}
	return code
}

// writeFile writes a whole file for a tool; it returns 0 or the Win32
// code of the failure.
func (c *call) writeFile(name string, data []byte) int {
	p, ok := c.path(name)
	d := c.m.drive(p.drive)
	if !ok || d == nil {
		return errPathNotFound
	}
	if _, err := d.write(p.path, data, false, c.m.net.now()); err != nil {
		return errorCode(err)
	}
	return 0
}

// rightsTemplate is the INF secedit /export writes: every right that has
// holders, by name, holders as *SID in the order they were granted.
func (m *Machine) rightsTemplate(userRights bool) string {
	var b strings.Builder
	b.WriteString("[Unicode]\r\nUnicode=yes\r\n")
	if userRights {
		b.WriteString("[Privilege Rights]\r\n")
		for _, right := range sortedKeys(m.rights) {
			if len(m.rights[right]) == 0 {
				continue
			}
			var holders []string
			for _, sid := range m.rights[right] {
				holders = append(holders, "*"+sid)
			}
			fmt.Fprintf(&b, "%s = %s\r\n", right, strings.Join(holders, ","))
		}
	}
	b.WriteString("[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n")
	return b.String()
}

func seceditExport(c *call, a seceditArgs) int {
	if code := c.writeFile(a.cfg, utf16File(c.m.rightsTemplate(a.userRights()))); code != 0 {
		return systemError(c, code)
	}
	return 0
}

// seceditConfigure applies a template's [Privilege Rights]: each right it
// names gets exactly the listed holders. Everything is checked first, so
// a bad template changes nothing.
func seceditConfigure(c *call, a seceditArgs) int {
	p, ok := c.path(a.cfg)
	f := c.m.fileAt(p)
	if !ok || f == nil || f.dir {
		return systemError(c, errFileNotFound)
	}
	inf, err := parseINI(f.data)
	if err != nil {
		c.errorf("The template %s is not valid: %s.\r\n", a.cfg, err)
		return errInvalidParameter
	}
	sig, _ := inf.get("Version", "signature")
	if sig = strings.Trim(sig, `"`); !strings.EqualFold(sig, "$CHICAGO$") && !strings.EqualFold(sig, "$Windows NT$") {
		c.errorf("The template %s is not valid: it needs [Version] signature=\"$CHICAGO$\".\r\n", a.cfg)
		return errInvalidParameter
	}
	rights := map[string][]string{}
	for _, e := range inf["privilege rights"] {
		right, ok := canonicalRight(e.key)
		if !ok {
			c.errorf("%s: %s\r\n", e.key, winMessage(errNoSuchPrivilege))
			return systemError(c, errNoSuchPrivilege)
		}
		sids := []string{}
		for _, name := range strings.Split(e.value, ",") {
			if name = strings.TrimSpace(name); name == "" {
				continue
			}
			sid, ok := c.m.resolveAccount(name)
			if !ok {
				c.errorf("%s: %s\r\n", name, winMessage(errNoneMapped))
				return systemError(c, errNoneMapped)
			}
			if !containsString(sids, sid) {
				sids = append(sids, sid)
			}
		}
		rights[right] = sids
	}
	if code := c.writeFile(a.db, []byte("SECEDIT DATABASE\r\n"+string(decodeText(f.data)))); code != 0 {
		return systemError(c, code)
	}
	if a.userRights() {
		for _, right := range sortedKeys(rights) {
			c.m.rights[right] = rights[right]
		}
	}
	return 0
}
