package modules

import (
	"path"
	"strings"
)

// A command task marked read_only runs in check mode, so its claim must
// hold: changesHost recognises the Windows tools and verbs that change a
// host, and Validate refuses read_only for them. Programs it does not know
// are taken at the playbook's word.

// readOnlyVerbs are the first arguments with which a tool only reads.
var readOnlyVerbs = map[string][]string{
	"sc": {"query", "queryex", "qc", "qdescription", "qfailure", "qfailureflag", "qprivs", "qsidtype",
		"qtriggerinfo", "qpreferrednode", "qmanagedaccount", "qprotection", "getdisplayname",
		"getkeyname", "enumdepend", "sdshow", "showsid"},
	"reg":     {"query", "compare"},
	"secedit": {"/export", "/analyze", "/validate"},
	"certutil": {"-hashfile", "-dump", "-verify", "-store", "-viewstore", "-decode", "-encode",
		"-ping", "-cainfo", "-?"},
}

// alwaysChanging are programs that change the host whatever their
// arguments (or whose reading forms nobody probes with).
var alwaysChanging = map[string]bool{
	"shutdown": true, "msdtc": true, "iissync": true, "setup": true, "update": true,
	"del": true, "erase": true, "rd": true, "rmdir": true, "move": true, "ren": true, "rename": true,
	"copy": true, "xcopy": true, "robocopy": true, "mkdir": true, "md": true, "format": true,
	"diskpart": true, "takeown": true, "dtcsetup": true, "msiexec": true,
}

// changesHost reports why argv changes the host, or "" when it is not
// known to.
func changesHost(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	prog := strings.ToLower(path.Base(strings.ReplaceAll(argv[0], `\`, "/")))
	prog = strings.TrimSuffix(prog, ".exe")
	args := argv[1:]
	if len(args) > 0 && prog == "sc" && strings.HasPrefix(args[0], `\\`) {
		args = args[1:] // sc \\server verb
	}
	lower := make([]string, len(args))
	for i, a := range args {
		lower[i] = strings.ToLower(a)
	}
	first := ""
	if len(lower) > 0 {
		first = lower[0]
	}
	if alwaysChanging[prog] {
		return prog + " changes the host"
	}
	if verbs, ok := readOnlyVerbs[prog]; ok {
		for _, v := range verbs {
			if first == v {
				return ""
			}
		}
		if prog == "certutil" {
			return "" // certutil's other verbs are store and CA administration
		}
		return prog + " " + first + " changes the host"
	}
	switch prog {
	case "net":
		switch first {
		case "stop", "pause", "continue":
			return "net " + first + " changes the host"
		case "start":
			if len(args) > 1 {
				return "net start SERVICE changes the host"
			}
		}
		for _, a := range lower {
			if a == "/add" || a == "/delete" || a == "/del" || strings.HasPrefix(a, "/set") || strings.Contains(a, "=") {
				return "net " + first + " " + a + " changes the host"
			}
		}
		if first == "accounts" && len(args) > 1 {
			return "net accounts with options changes the host"
		}
	case "wmic":
		for _, a := range lower {
			switch a {
			case "call", "set", "delete", "create":
				return "wmic " + a + " changes the host"
			}
		}
	case "cluster":
		for _, a := range lower {
			if !strings.HasPrefix(a, "/") {
				continue
			}
			name, value, assign := strings.Cut(strings.TrimPrefix(a, "/"), ":")
			switch name {
			case "status", "stat", "listowners", "listshares", "ver", "version", "list", "?":
				continue
			case "prop", "properties", "priv", "privproperties":
				if !assign || value == "" {
					continue
				}
			}
			return "cluster " + a + " changes the cluster"
		}
		for _, a := range lower[min(1, len(lower)):] {
			if strings.Contains(a, "=") {
				return "cluster ... " + a + " changes the cluster"
			}
		}
	}
	return ""
}

// lineChangesHost looks at each simple command of a literal line, and at
// its redirections: writing a file is a change, except to nul.
func lineChangesHost(line string) string {
	for _, part := range splitSimple(line) {
		fields := strings.Fields(part)
		for i := 0; i < len(fields); i++ {
			f := fields[i]
			if j := strings.IndexByte(f, '>'); j >= 0 {
				target := strings.TrimLeft(f[j:], ">")
				if target == "" && i+1 < len(fields) {
					target = fields[i+1]
				}
				target = strings.ToLower(strings.Trim(target, `"`))
				if target != "nul" && !strings.HasPrefix(target, "&") {
					return "redirection to " + target + " writes a file"
				}
			}
		}
		argv := make([]string, 0, len(fields))
		for _, f := range fields {
			argv = append(argv, strings.Trim(f, `"`))
		}
		if why := changesHost(argv); why != "" {
			return why
		}
	}
	return ""
}

// splitSimple splits a line at &, &&, || and | outside double quotes.
func splitSimple(line string) []string {
	var parts []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '"':
			quoted = !quoted
			cur.WriteByte(c)
		case !quoted && (c == '&' || c == '|'):
			if i > 0 && line[i-1] == '>' {
				cur.WriteByte(c) // 2>&1
				continue
			}
			parts = append(parts, cur.String())
			cur.Reset()
			if i+1 < len(line) && line[i+1] == c {
				i++
			}
		default:
			cur.WriteByte(c)
		}
	}
	return append(parts, cur.String())
}
