package win

import (
	"fmt"
	"strings"
)

// The Windows NT 4.0 Option Pack's setup.exe, run unattended with an
// answer file (setup.exe /u:FILE), as TOOLS.md documents it.

// installTypes are the Option Pack's install types with the components
// each selects; Custom takes the answer file's [Components].
var installTypes = map[string][]string{
	"minimal": {"iis_common", "iis_www", "mts_core"},
	"typical": {"iis_common", "iis_www", "mts_core", "iis_ftp", "smtp"},
	"custom":  nil,
}

// opPlan is what an answer file asks for.
type opPlan struct {
	remove      bool
	installType string // Minimal, Typical or Custom
	comps       map[string]bool
}

// parseAnswerFile reads an Option Pack answer file.
func parseAnswerFile(data []byte) (opPlan, error) {
	var plan opPlan
	f, err := parseINI(data)
	if err != nil {
		return plan, err
	}
	if _, ok := f["global"]; !ok {
		return plan, fmt.Errorf("the [Global] section is missing")
	}
	action, _ := f.get("Global", "Action")
	switch strings.ToLower(action) {
	case "", "install":
	case "removeall":
		plan.remove = true
		return plan, nil
	default:
		return plan, fmt.Errorf("Action=%s is neither Install nor RemoveAll", action)
	}
	typ, _ := f.get("Global", "InstallType")
	preset, ok := installTypes[strings.ToLower(typ)]
	if !ok {
		return plan, fmt.Errorf("InstallType=%s is not Minimal, Typical or Custom", typ)
	}
	plan.installType = strings.ToUpper(typ[:1]) + strings.ToLower(typ[1:])
	plan.comps = map[string]bool{}
	for _, c := range preset {
		plan.comps[c] = true
	}
	for _, e := range f["components"] {
		name := strings.ToLower(e.key)
		if !containsString(opComponents, name) {
			return plan, fmt.Errorf("unknown component %s", e.key)
		}
		var on bool
		switch strings.ToLower(e.value) {
		case "on":
			on = true
		case "off":
		default:
			return plan, fmt.Errorf("%s=%s is neither on nor off", e.key, e.value)
		}
		if preset == nil {
			plan.comps[name] = on
		}
	}
	return plan, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// installedAs reports whether the Option Pack is installed with exactly
// this type and components.
func (m *Machine) installedAs(plan opPlan) bool {
	if !m.iisInstalled() || !strings.EqualFold(m.reg.sz(inetStpKey, "InstallType"), plan.installType) {
		return false
	}
	for _, c := range opComponents {
		if v, _ := m.reg.dword(ocmKey, c); (v == 1) != plan.comps[c] {
			return false
		}
	}
	return true
}

// clusterServiceActive reports whether the cluster service runs or is
// starting, which Option Pack setup refuses.
func (m *Machine) clusterServiceActive() bool {
	s := m.service("ClusSvc")
	return s != nil && s.active()
}

// runInstaller runs an installer's work after the host's install time,
// one installer at a time. It returns 0, or the exit code when the wait
// failed (1618 while another installer runs).
func (c *call) runInstaller() int {
	if c.m.installing {
		return systemError(c, errInstallInProgress)
	}
	c.m.installing = true
	err := c.s.sleep(c.m.timing.Install)
	c.m.installing = false
	if err != nil {
		return errInstallFailure
	}
	return 0
}

func runOptionPackSetup(c *call) int {
	var answer string
	for _, a := range c.argv[1:] {
		if strings.HasPrefix(strings.ToLower(a), "/u:") {
			answer = a[3:]
			continue
		}
		return systemError(c, errInvalidParameter)
	}
	if answer == "" {
		c.errorf("The lab's Option Pack setup runs unattended only: setup.exe /u:FILE\r\n")
		return errInvalidParameter
	}
	p, ok := c.path(answer)
	f := c.m.fileAt(p)
	if !ok || f == nil || f.dir {
		return systemError(c, errFileNotFound)
	}
	plan, err := parseAnswerFile(f.data)
	if err != nil {
		c.errorf("Setup cannot read the answer file %s: %s.\r\n", answer, err)
		return errInvalidParameter
	}
	c.printf("Microsoft Windows NT 4.0 Option Pack Setup\r\n")
	switch {
	case plan.remove && !c.m.iisInstalled():
		c.printf("The Option Pack is not installed; there is nothing to remove.\r\n")
		return 0
	case !plan.remove && c.m.installedAs(plan):
		c.printf("The Option Pack is already installed (%s) with these components; nothing to do.\r\n", plan.installType)
		return 0
	case !plan.remove && c.m.iisInstalled():
		c.errorf("The Option Pack is already installed (%s) with other components; remove it first (Action=RemoveAll).\r\n", c.m.reg.sz(inetStpKey, "InstallType"))
		return errInstallFailure
	case c.m.clusterServiceActive():
		c.errorf("Setup cannot continue while the Cluster Server service is running.\r\n")
		return errInstallFailure
	}
	if code := c.runInstaller(); code != 0 {
		return code
	}
	if plan.remove {
		c.printf("Removing all components.\r\n")
		if corrupt := c.m.removeOptionPack(); corrupt {
			c.printf("Setup could not read the IIS metabase %s; the error was ignored.\r\n", `C:`+metabasePath)
		}
		c.printf("Setup completed. Restart the computer to finish the removal.\r\n")
		return errRebootRequired
	}
	var names []string
	for _, comp := range opComponents {
		if plan.comps[comp] {
			names = append(names, comp)
		}
	}
	c.printf("Installing %s: %s\r\n", plan.installType, strings.Join(names, " "))
	c.m.installOptionPack(plan.installType, plan.comps)
	c.printf("Setup completed. Restart the computer to finish the installation.\r\n")
	return errRebootRequired
}
