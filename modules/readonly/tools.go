package readonly

import (
	"strings"
)

// program classifies one simple command by what it runs.
func (c *classifier) program(cmd *simple, depth int) *Verdict {
	text := strings.TrimRight(cmd.text, " \t")
	if cmd.nested {
		return c.line(text, depth+1)
	}
	if text == "" {
		return nil // redirections alone
	}
	token, rest := firstToken(text)
	if !strings.Contains(token, `"`) {
		if v, ok := c.builtin(text, token, rest, depth); ok {
			return v
		}
	}
	name, why := programName(token)
	if why != "" {
		return unproven(text, why)
	}
	rule, ok := programs[name]
	if !ok {
		return unproven(text, name+" is not a program winplay knows to be read-only")
	}
	argv := commandLineToArgv(text)
	return rule(c, &call{text: text, name: name, args: argv[1:], depth: depth})
}

// call is a program's command as its rule sees it.
type call struct {
	text  string
	name  string
	args  []string
	depth int
}

func (k *call) changes(why string) *Verdict  { return changes(k.text, why) }
func (k *call) unproven(why string) *Verdict { return unproven(k.text, why) }

// tainted reports whether an argument's text is not known before the
// command runs: a %reference% left for the program (FOR's variables), or
// a ! that delayed expansion, if the host enables it, would expand.
func tainted(a string) bool { return strings.ContainsAny(a, "%!") }

// anyTainted reports whether any argument is tainted.
func anyTainted(args []string) bool {
	for _, a := range args {
		if tainted(a) {
			return true
		}
	}
	return false
}

// systemDirs are the directories whose programs are Windows' own; a
// program named by a path elsewhere may be anything.
var systemDirs = []string{
	`c:\windows\system32`, `c:\winnt\system32`, `%windir%\system32`, `%systemroot%\system32`,
	`c:\windows\system32\wbem`, `c:\winnt\system32\wbem`, `%windir%\system32\wbem`, `%systemroot%\system32\wbem`,
	`c:\windows\system32\windowspowershell\v1.0`, `%windir%\system32\windowspowershell\v1.0`, `%systemroot%\system32\windowspowershell\v1.0`,
}

// programName returns the tool a command token names ("sc" for
// C:\Windows\System32\SC.EXE), or why it names none winplay can vouch for.
func programName(token string) (string, string) {
	p := strings.ToLower(unquote(token))
	base := p
	if i := strings.LastIndexByte(p, '\\'); i >= 0 {
		if !hasSystemDir(p[:i]) {
			return "", "the program " + token + " is outside Windows' system directories, so it may be anything"
		}
		base = p[i+1:]
	}
	for _, ext := range []string{".exe", ".com"} {
		if strings.HasSuffix(base, ext) {
			base = strings.TrimSuffix(base, ext)
			break
		}
	}
	if base == "" || strings.ContainsAny(base, "/:*?<>|. \t%!^\"") {
		return "", "the program " + token + " is not a name winplay can vouch for"
	}
	return base, ""
}

func hasSystemDir(dir string) bool {
	for _, d := range systemDirs {
		if dir == d {
			return true
		}
	}
	return false
}

// programs are the tools winplay can read lines of. A tool's rule returns
// nil when the arguments only read. (Set in init: cmd's and powershell's
// rules classify lines again.)
var programs map[string]func(c *classifier, k *call) *Verdict

func init() {
	programs = map[string]func(c *classifier, k *call) *Verdict{
		"hostname": readAlways, "whoami": readAlways, "findstr": readAlways, "find": readAlways,
		"more": readAlways, "sort": sortRule, "tasklist": readAlways, "systeminfo": readAlways,
		"where": readAlways, "netstat": readAlways, "ver": readAlways,
		// chcp shows the console's code page; given one, it sets it for
		// this console only, as set does a variable.
		"chcp":       readAlways,
		"sc":         scRule,
		"net":        netRule,
		"net1":       netRule,
		"reg":        regRule,
		"wmic":       wmicRule,
		"cluster":    clusterRule,
		"certutil":   certutilRule,
		"secedit":    seceditRule,
		"ipconfig":   ipconfigRule,
		"cmd":        cmdRule,
		"powershell": powershellRule,
		"pwsh":       powershellRule,
		"shutdown":   changeAlways, "msdtc": changeAlways, "iissync": changeAlways, "setup": changeAlways,
		"update": changeAlways, "msiexec": changeAlways, "dtcsetup": changeAlways, "takeown": changeAlways,
		"icacls": changeAlways, "cacls": changeAlways, "format": changeAlways, "diskpart": changeAlways,
		"xcopy": changeAlways, "robocopy": changeAlways, "bcdedit": changeAlways, "schtasks": changeAlways,
		"runas": changeAlways, "taskkill": changeAlways, "logoff": changeAlways, "shadow": changeAlways,
		"rundll32": changeAlways, "regsvr32": changeAlways, "wusa": changeAlways, "dism": changeAlways,
		"pkgmgr": changeAlways, "ocsetup": changeAlways, "servermanagercmd": changeAlways, "netsh": changeAlways,
		"sysocmgr": changeAlways, "winrm": changeAlways,
	}
}

func readAlways(*classifier, *call) *Verdict { return nil }

func changeAlways(_ *classifier, k *call) *Verdict {
	return k.changes(k.name + " changes the host")
}

// sortRule: sort reads, except /o FILE, which writes FILE.
func sortRule(c *classifier, k *call) *Verdict {
	for i, a := range k.args {
		if strings.EqualFold(a, "/o") || strings.EqualFold(a, "/output") {
			if i+1 >= len(k.args) || !c.isScratch(k.args[i+1]) {
				return k.changes("sort " + a + " writes a file that is not in a scratch directory")
			}
		}
	}
	return nil
}

// scReadVerbs are sc.exe's querying verbs (sc /? lists them).
var scReadVerbs = map[string]bool{
	"query": true, "queryex": true, "qc": true, "qdescription": true, "qfailure": true, "qfailureflag": true,
	"qsidtype": true, "qprivs": true, "qtriggerinfo": true, "qpreferrednode": true, "qmanagedaccount": true,
	"qprotection": true, "qlaunchprotected": true, "quserservice": true, "getdisplayname": true, "getkeyname": true,
	"enumdepend": true, "sdshow": true, "showsid": true, "querylock": true,
}

// scChangeVerbs are sc.exe's verbs that change a service or the SCM.
var scChangeVerbs = map[string]bool{
	"start": true, "stop": true, "pause": true, "continue": true, "config": true, "description": true,
	"failure": true, "failureflag": true, "sidtype": true, "privs": true, "managedaccount": true,
	"triggerinfo": true, "preferrednode": true, "create": true, "delete": true, "control": true,
	"sdset": true, "interrogate": true, "lock": true, "boot": true,
}

// scRule: sc [\\server] verb ...: the verb decides.
func scRule(_ *classifier, k *call) *Verdict {
	args := k.args
	if len(args) > 0 && strings.HasPrefix(args[0], `\\`) {
		args = args[1:]
	}
	if len(args) == 0 {
		return nil // prints its usage
	}
	verb := strings.ToLower(args[0])
	switch {
	case tainted(verb):
		return k.unproven("sc's verb " + args[0] + " is not known before it runs")
	case scReadVerbs[verb]:
		return nil
	case scChangeVerbs[verb]:
		return k.changes("sc " + verb + " changes the host")
	}
	return k.unproven("sc " + args[0] + " is not a verb winplay knows to be read-only")
}

// netRule: net's subcommands read only without arguments that act (net
// /? and each subcommand's help list them).
func netRule(_ *classifier, k *call) *Verdict {
	if anyTainted(k.args) {
		return k.unproven("an argument of net is not known before it runs")
	}
	var words, switches []string
	for _, a := range k.args {
		if strings.HasPrefix(a, "/") {
			switches = append(switches, strings.ToLower(a))
		} else {
			words = append(words, a)
		}
	}
	if len(words) == 0 {
		if len(switches) == 0 {
			return nil // prints its usage
		}
		return k.unproven("net " + strings.Join(switches, " ") + " is not a form winplay knows to be read-only")
	}
	sub := strings.ToLower(words[0])
	onlySwitches := func(allowed ...string) bool {
		for _, s := range switches {
			name, _, _ := strings.Cut(s, ":")
			ok := false
			for _, a := range allowed {
				ok = ok || name == a
			}
			if !ok {
				return false
			}
		}
		return true
	}
	acting := func() *Verdict {
		for _, s := range switches {
			name, _, _ := strings.Cut(s, ":")
			switch name {
			case "/add", "/delete", "/del", "/comment", "/set", "/setsntp", "/close", "/active", "/expires",
				"/passwordchg", "/passwordreq", "/times", "/workstations", "/homedir", "/fullname",
				"/usercomment", "/profilepath", "/scriptpath", "/countrycode", "/logonpasswordchg",
				"/forcelogoff", "/minpwlen", "/maxpwage", "/minpwage", "/uniquepw", "/lockoutthreshold",
				"/lockoutduration", "/lockoutwindow", "/persistent", "/savecred", "/smartcard",
				"/autodisconnect", "/srvcomment", "/hidden", "/grant", "/users", "/remark":
				return k.changes("net " + sub + " " + s + " changes the host")
			}
		}
		return nil
	}
	if v := acting(); v != nil {
		return v
	}
	proven := false
	switch sub {
	case "help", "helpmsg":
		proven = true
	case "start":
		if len(words) > 1 {
			return k.changes("net start SERVICE starts a service")
		}
		proven = len(switches) == 0
	case "stop", "pause", "continue":
		return k.changes("net " + sub + " changes a service")
	case "localgroup", "group":
		proven = len(words) <= 2 && onlySwitches("/domain")
	case "user", "users":
		proven = len(words) <= 2 && onlySwitches("/domain")
	case "accounts":
		proven = len(words) == 1 && onlySwitches("/domain")
	case "share":
		proven = len(words) <= 2 && !strings.Contains(strings.Join(words, " "), "=") && len(switches) == 0
	case "session", "sessions", "sess":
		proven = len(words) <= 2 && len(switches) == 0
	case "use":
		proven = len(words) == 1 && len(switches) == 0
	case "view":
		proven = len(words) <= 2 && onlySwitches("/domain", "/all", "/cache", "/network")
	case "config":
		proven = len(words) <= 2 && len(switches) == 0
	case "statistics", "stats":
		proven = len(words) <= 2 && len(switches) == 0
	case "file", "files":
		proven = len(words) <= 2 && len(switches) == 0
	case "time":
		proven = len(words) <= 2 && onlySwitches("/domain", "/querysntp")
	case "name", "names":
		proven = len(words) == 1 && len(switches) == 0
	}
	if !proven {
		return k.unproven("net " + strings.Join(k.args, " ") + " is not a form winplay knows to be read-only")
	}
	return nil
}

// regRule: reg query and compare read; export and save write only the
// file they are given.
func regRule(c *classifier, k *call) *Verdict {
	if len(k.args) == 0 {
		return nil
	}
	verb := strings.ToLower(k.args[0])
	if tainted(verb) {
		return k.unproven("reg's verb " + k.args[0] + " is not known before it runs")
	}
	switch verb {
	case "query", "compare", "/?", "-?":
		return nil
	case "export", "save":
		if len(k.args) < 3 || !c.isScratch(k.args[2]) {
			return k.changes("reg " + verb + " writes a file that is not in a scratch directory")
		}
		return nil
	case "add", "delete", "copy", "restore", "load", "unload", "import", "flags":
		return k.changes("reg " + verb + " changes the registry")
	}
	return k.unproven("reg " + k.args[0] + " is not a verb winplay knows to be read-only")
}

// wmicRule: wmic [global switches] alias [where ...] get|list reads; call,
// set, delete and create change; switches that write files are not
// proven.
func wmicRule(_ *classifier, k *call) *Verdict {
	if anyTainted(k.args) {
		return k.unproven("an argument of wmic is not known before it runs")
	}
	for _, a := range k.args {
		switch strings.ToLower(a) {
		case "call", "set", "delete", "create":
			return k.changes("wmic " + strings.ToLower(a) + " changes the host")
		}
	}
	if len(k.args) == 0 {
		return k.unproven("wmic without arguments reads commands from its input")
	}
	for _, a := range k.args {
		if !strings.HasPrefix(a, "/") {
			continue
		}
		name, _, _ := strings.Cut(strings.ToLower(a), ":")
		switch name {
		case "/value", "/all", "/format", "/translate", "/every", "/repeat", "/node", "/namespace", "/locale", "/failfast", "/?":
		default:
			return k.unproven("wmic " + a + " is not a switch winplay knows to be read-only (/output and /record write files)")
		}
	}
	return nil
}

// clusterReadSwitches are cluster.exe's switches that list or show.
var clusterReadSwitches = map[string]bool{
	"status": true, "stat": true, "listowners": true, "listshares": true, "ver": true, "version": true,
	"list": true, "?": true, "prop": true, "properties": true, "priv": true, "privproperties": true,
	"listdependencies": true, "listdep": true, "listcheckpoints": true, "listcryptocheckpoints": true,
	"cluster": true, "c": true, "quorum": true, "quorumresource": true,
}

// clusterRule: cluster.exe reads with object names and its listing
// switches; any property assignment (/prop:a=b or a=b) and every other
// switch changes the cluster or is not proven.
func clusterRule(_ *classifier, k *call) *Verdict {
	if anyTainted(k.args) {
		return k.unproven("an argument of cluster is not known before it runs")
	}
	props := false // after /prop or /priv, words are a property list
	for i, a := range k.args {
		if !strings.HasPrefix(a, "/") {
			if i > 0 && strings.Contains(a, "=") || props {
				return k.changes("cluster ... " + a + " sets a property")
			}
			continue
		}
		name, value, assign := strings.Cut(strings.ToLower(strings.TrimPrefix(a, "/")), ":")
		props = props || name == "prop" || name == "properties" || name == "priv" || name == "privproperties"
		switch {
		case name == "quorum" || name == "quorumresource":
			if assign {
				return k.changes("cluster " + a + " changes the quorum")
			}
		case name == "prop" || name == "properties" || name == "priv" || name == "privproperties":
			if assign && value != "" {
				return k.changes("cluster " + a + " sets a property")
			}
		case name == "cluster" || name == "c":
		case clusterReadSwitches[name]:
			if assign {
				return k.unproven("cluster " + a + " is not a form winplay knows to be read-only")
			}
		default:
			return k.changes("cluster " + a + " changes the cluster")
		}
	}
	return nil
}

// certutilRule: certutil's verbs that hash, dump and verify read;
// -encode and -decode write their output file; the rest manage stores and
// CAs.
func certutilRule(c *classifier, k *call) *Verdict {
	if anyTainted(k.args) {
		return k.unproven("an argument of certutil is not known before it runs")
	}
	var verb string
	var rest []string
	for _, a := range k.args {
		if !strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "/") {
			rest = append(rest, a)
			continue
		}
		o := "-" + strings.ToLower(a[1:])
		switch o {
		case "-f", "-v", "-silent", "-split", "-user", "-enterprise", "-gmt", "-seconds", "-unicode", "-unicodetext", "-nocrl", "-urlfetch":
			continue
		}
		if verb != "" {
			return k.unproven("certutil " + a + " after " + verb + " is not a form winplay knows to be read-only")
		}
		verb = o
		rest = nil
	}
	switch verb {
	case "", "-?", "-hashfile", "-dump", "-asn", "-verify", "-store", "-viewstore", "-ping", "-cainfo", "-verifystore", "-dumppfx", "-getreg":
		return nil
	case "-encode", "-decode", "-encodehex", "-decodehex":
		if len(rest) < 2 || !c.isScratch(rest[1]) {
			return k.changes("certutil " + verb + " writes a file that is not in a scratch directory")
		}
		return nil
	}
	return k.changes("certutil " + verb + " changes certificate stores, the CA or the host")
}

// seceditRule: /export and /analyze write the files they are given (all
// must be scratch); /validate reads; /configure and /import change the
// security policy.
func seceditRule(c *classifier, k *call) *Verdict {
	if anyTainted(k.args) {
		return k.unproven("an argument of secedit is not known before it runs")
	}
	verb := ""
	files := map[string]string{}
	for i := 0; i < len(k.args); i++ {
		a := strings.ToLower(k.args[i])
		switch a {
		case "/export", "/analyze", "/validate", "/configure", "/import", "/generaterollback", "/refreshpolicy":
			if verb != "" {
				return k.unproven("secedit with two verbs")
			}
			verb = a
			if a == "/validate" && i+1 < len(k.args) {
				i++
			}
		case "/cfg", "/db", "/log", "/rbk":
			if i+1 >= len(k.args) {
				return k.unproven("secedit " + a + " without a file")
			}
			files[a] = k.args[i+1]
			i++
		case "/areas":
			for i+1 < len(k.args) && !strings.HasPrefix(k.args[i+1], "/") {
				i++
			}
		case "/quiet", "/mergedpolicy", "/overwrite":
		default:
			return k.unproven("secedit " + k.args[i] + " is not a form winplay knows to be read-only")
		}
	}
	switch verb {
	case "/validate":
		return nil
	case "/export", "/analyze":
		for sw, f := range files {
			if sw == "/cfg" && verb == "/analyze" {
				continue // analyze reads its template
			}
			if !c.isScratch(f) {
				return k.changes("secedit " + verb + " writes " + f + ", which is not in a scratch directory")
			}
		}
		if verb == "/export" && files["/cfg"] == "" {
			return k.unproven("secedit /export without /cfg")
		}
		if verb == "/analyze" && files["/db"] == "" {
			return k.unproven("secedit /analyze without /db")
		}
		return nil
	case "":
		return nil // prints its usage
	}
	return k.changes("secedit " + verb + " changes the security policy")
}

// ipconfigRule: ipconfig shows, except the switches that release, renew,
// flush or register.
func ipconfigRule(_ *classifier, k *call) *Verdict {
	for _, a := range k.args {
		switch strings.ToLower(a) {
		case "/all", "/displaydns", "/showclassid", "/showclassid6", "/allcompartments", "/?":
		default:
			if strings.HasPrefix(a, "/") || strings.HasPrefix(a, "-") {
				return k.changes("ipconfig " + a + " changes the network configuration")
			}
			return k.unproven("ipconfig " + a + " is not a form winplay knows to be read-only")
		}
	}
	return nil
}
