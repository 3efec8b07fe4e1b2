package reliability_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/modules"
)

// argField is one module argument that reaches a command line: make
// builds the module, with valid arguments otherwise, holding v there (the
// whole value, or a path's last part).
type argField struct {
	module, field string
	make          func(v string) modules.Module
}

// whole reports whether make puts v as the argument's whole value, so
// that a leading / or - is its own: paths are built as C:\dir\v, and a
// command's argv takes literal switches (a value from a variable there is
// refused by the runner, see runner.dataElements).
func (f argField) whole() bool {
	switch f.module + "." + f.field {
	case "registry.key", "installer.path", "installer.detect_path", "installer.detect_registry", "service_pack.path",
		"option_pack.setup", "msdtc.log_dir", "copy.dest", "copy.temp_dir", "command.creates", "command.argv":
		return false
	}
	return true
}

// argFields are the arguments of every module that reach a command line.
var argFields = []argField{
	{"service", "name", func(v string) modules.Module { return &modules.Service{Name: v, State: "stopped"} }},
	{"wait_for", "service", func(v string) modules.Module {
		return &modules.WaitFor{Service: v, State: "running", Timeout: "1s"}
	}},
	{"assert", "service", func(v string) modules.Module { return &modules.Assert{Service: v, State: "running"} }},
	{"registry", "key", func(v string) modules.Module {
		return &modules.Registry{Key: `HKLM\SOFTWARE\winplay\` + v, Name: "x", Data: "1"}
	}},
	{"registry", "name", func(v string) modules.Module {
		return &modules.Registry{Key: `HKLM\SOFTWARE\winplay`, Name: v, Data: "1"}
	}},
	{"registry", "data", func(v string) modules.Module {
		return &modules.Registry{Key: `HKLM\SOFTWARE\winplay`, Name: "x", Data: v}
	}},
	{"registry", "data_list", func(v string) modules.Module {
		return &modules.Registry{Key: `HKLM\SOFTWARE\winplay`, Name: "x", Type: "REG_MULTI_SZ", DataList: []string{"a", v}}
	}},
	{"group_member", "name", func(v string) modules.Module {
		return &modules.GroupMember{Name: v, Members: []string{"Guest"}}
	}},
	{"group_member", "members", func(v string) modules.Module {
		return &modules.GroupMember{Name: "Guests", Members: []string{v}}
	}},
	{"user_right", "users", func(v string) modules.Module {
		return &modules.UserRight{Name: "SeServiceLogonRight", Users: []string{v}}
	}},
	{"dcom_permission", "accounts", func(v string) modules.Module {
		return &modules.DCOMPermission{Permission: "launch", Accounts: []string{v}}
	}},
	{"cluster", "group", func(v string) modules.Module { return &modules.Cluster{Group: v, State: "online"} }},
	{"cluster", "resource", func(v string) modules.Module { return &modules.Cluster{Resource: v, State: "online"} }},
	{"cluster", "node", func(v string) modules.Module { return &modules.Cluster{Node: v, Status: "up"} }},
	{"cluster", "owner", func(v string) modules.Module { return &modules.Cluster{Group: "Web Group", Owner: v} }},
	{"iissync", "target", func(v string) modules.Module { return &modules.IISSync{Target: v} }},
	{"installer", "path", func(v string) modules.Module {
		return &modules.Installer{Path: `C:\setup\` + v, DetectPath: `C:\installed.flag`}
	}},
	{"installer", "detect_path", func(v string) modules.Module {
		return &modules.Installer{Path: `C:\setup\setup.exe`, DetectPath: `C:\` + v}
	}},
	{"installer", "detect_service", func(v string) modules.Module {
		return &modules.Installer{Path: `C:\setup\setup.exe`, DetectService: v}
	}},
	{"installer", "detect_registry", func(v string) modules.Module {
		return &modules.Installer{Path: `C:\setup\setup.exe`, DetectRegistry: `HKLM\SOFTWARE\` + v}
	}},
	{"service_pack", "path", func(v string) modules.Module {
		return &modules.ServicePack{Path: `C:\sp6\` + v, Level: "Service Pack 6"}
	}},
	{"option_pack", "setup", func(v string) modules.Module {
		return &modules.OptionPack{Setup: `C:\optpak\` + v, InstallType: "typical"}
	}},
	{"msdtc", "virtual_server", func(v string) modules.Module {
		return &modules.MSDTC{State: "installed", Clustered: true, LogDir: `S:\MSDTCLog`, VirtualServer: v}
	}},
	{"msdtc", "log_dir", func(v string) modules.Module {
		return &modules.MSDTC{State: "installed", Clustered: true, LogDir: `S:\` + v, VirtualServer: "WEBVS"}
	}},
	{"copy", "dest", func(v string) modules.Module { return &modules.Copy{Content: "x", Dest: `C:\winplay\` + v} }},
	{"copy", "temp_dir", func(v string) modules.Module {
		return &modules.Copy{Content: "x", Dest: `C:\winplay\x.txt`, TempDir: `C:\WINNT\Temp\` + v}
	}},
	{"command", "argv", func(v string) modules.Module {
		return &modules.RunCommand{Argv: []string{"echo", v}, ReadOnly: true}
	}},
	{"command", "creates", func(v string) modules.Module {
		return &modules.RunCommand{Argv: []string{"hostname"}, Creates: `C:\` + v}
	}},
	{"reboot", "wait_services", func(v string) modules.Module {
		return &modules.Reboot{WaitServices: map[string]string{v: "running"}}
	}},
	{"reboot", "msg", func(v string) modules.Module { return &modules.Reboot{Msg: v} }},
}

// hostileValues are what a hostile tester puts in an argument: cmd.exe's
// metacharacters, what a program reads as a switch, control characters,
// a value longer than a command line, and text that is not ASCII.
var hostileValues = []string{
	"a&b", "a&&b", "a|b", "a||b", "a>b", "a>>b", "a<b", "a^b", "(a)", "a)b", "a,b;c=d", "a b", "a\tb",
	"!a!", "%PATH%", "%%", `a"b`, `a\"b`, `a\`, "a'b", "/add", "-remove", "/", "a\nb", "a\rb", "a\x00b", "a\x1bb",
	"Dienst-ÄÖÜ-名前", "\u202eab", strings.Repeat("x", 9000),
}

// benign stands for a hostile value in the run the shape is compared to.
const benign = "Benign1"

// runDirect runs m on a fresh lab machine, directly, for real, and
// returns the machine's command log.
func runDirect(t *testing.T, m modules.Module) []win.LogEntry {
	t.Helper()
	host := labtest.DirectHost(t)
	task := labtest.DirectTask(host, false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = m.Run(ctx, task)
	return host.Log()
}

// notFound counts the commands of a log whose program does not exist.
func notFound(log []win.LogEntry) int {
	n := 0
	for _, e := range log {
		if e.Tool == "" {
			n++
		}
	}
	return n
}

func commands(log []win.LogEntry) string {
	var out []string
	for _, e := range log {
		out = append(out, e.Command)
	}
	return strings.Join(out, "; ")
}

// tools is the set of programs a log ran.
func tools(log []win.LogEntry) map[string]bool {
	out := map[string]bool{}
	for _, e := range log {
		out[e.Tool] = true
	}
	return out
}

// asData reports why text did not reach a program only as data, or "":
// every command that holds it must hold it inside one argument (whole,
// after a switch it is glued to, in a WQL string, in a REG_MULTI_SZ's
// list).
func asData(log []win.LogEntry, text string) string {
	t := strings.ToLower(text)
	for _, e := range log {
		if !strings.Contains(strings.ToLower(e.Command), t) && !strings.Contains(strings.ToLower(e.Command), strings.ReplaceAll(t, `\`, `\\`)) {
			continue
		}
		whole := false
		for _, a := range e.Argv {
			l := strings.ToLower(a)
			whole = whole || strings.Contains(l, t) || strings.Contains(l, strings.ReplaceAll(t, `\`, `\\`))
		}
		if !whole {
			return "`" + e.Command + "` holds the value split across arguments " + strings.Join(e.Argv, " | ")
		}
	}
	return ""
}

// moduleBuiltins are the cmd.exe built-ins modules use; which of them a
// run reaches depends on what the host holds.
var moduleBuiltins = map[string]bool{"echo": true, "type": true, "del": true, "mkdir": true, "copy": true}

// Every argument that reaches a command line, with every hostile value:
// refused at validation (before any host is contacted), or run with the
// value as data, never as a switch, a second command or a broken
// argument.
func TestInjectionSweep(t *testing.T) {
	t.Parallel()
	const area = "injection sweep"
	for _, f := range argFields {
		base := f.make(benign)
		if errs := validateModule(f.module, base); len(errs) > 0 {
			t.Fatalf("%s.%s: the benign value does not validate: %v", f.module, f.field, errs)
		}
		var baseline []win.LogEntry
		if f.module != "reboot" {
			baseline = runDirect(t, base)
		}
		for _, v := range hostileValues {
			m := f.make(v)
			if errs := validateModule(f.module, m); len(errs) > 0 {
				named := false
				for _, e := range errs {
					named = named || e.Field == f.field || e.Field == ""
				}
				try(t, area, named, "%s.%s = %.40q: refused, but not on the argument: %v", f.module, f.field, v, errs)
				continue
			}
			// What no command line can carry safely must not pass.
			if strings.ContainsAny(v, "%\"\x00\n\r\x1b") || f.whole() && (strings.HasPrefix(v, "/") || strings.HasPrefix(v, "-")) {
				try(t, area, false, "%s.%s = %.40q passed validation", f.module, f.field, v)
				continue
			}
			if f.module == "reboot" {
				try(t, area, true, "")
				continue // a dry run sends nothing, and a real one reboots
			}
			log := runDirect(t, m)
			known := tools(baseline)
			why := ""
			for _, e := range log {
				if !known[e.Tool] && !moduleBuiltins[e.Tool] {
					why = "ran `" + e.Command + "`, which the benign value did not"
					break
				}
			}
			// A value that broke out of its command runs another, which
			// the lab does not find: more programs not found than before.
			if notFound(log) > notFound(baseline) {
				why = "ran a program the benign value did not: " + commands(log)
			}
			if why == "" {
				why = asData(log, fieldValue(m, f))
			}
			try(t, area, why == "", "%s.%s = %.40q: %s", f.module, f.field, v, why)
		}
	}
}

// fieldValue is the argument's text as the module holds it.
func fieldValue(m modules.Module, f argField) string {
	switch x := m.(type) {
	case *modules.Service:
		return x.Name
	case *modules.WaitFor:
		return x.Service
	case *modules.Assert:
		return x.Service
	case *modules.Registry:
		switch f.field {
		case "key":
			return x.Key
		case "name":
			return x.Name
		case "data_list":
			return x.DataList[1]
		}
		return x.Data
	case *modules.GroupMember:
		if f.field == "name" {
			return x.Name
		}
		return x.Members[0]
	case *modules.UserRight:
		return x.Users[0]
	case *modules.DCOMPermission:
		return x.Accounts[0]
	case *modules.Cluster:
		return map[string]string{"group": x.Group, "resource": x.Resource, "node": x.Node, "owner": x.Owner}[f.field]
	case *modules.IISSync:
		return x.Target
	case *modules.Installer:
		return map[string]string{"path": x.Path, "detect_path": x.DetectPath, "detect_service": x.DetectService, "detect_registry": x.DetectRegistry}[f.field]
	case *modules.ServicePack:
		return x.Path
	case *modules.OptionPack:
		return x.Setup
	case *modules.MSDTC:
		if f.field == "log_dir" {
			return x.LogDir
		}
		return x.VirtualServer
	case *modules.Copy:
		if f.field == "dest" {
			return x.Dest
		}
		return x.TempDir
	case *modules.RunCommand:
		if f.field == "creates" {
			return x.Creates
		}
		return x.Argv[1]
	}
	return ""
}

// validateModule is the validation the runner makes of a module's
// arguments before any host is contacted.
func validateModule(kind string, m modules.Module) []modules.FieldError {
	return append(m.Validate(), modules.CheckLengths(kind, m)...)
}
