package win

import (
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// The fixed scripts winplay's modules send to PowerShell where a legacy
// tool is gone. The lab's PowerShell knows each one by its whole text
// (ps/*.ps1, held equal to the modules' by a test) and runs it as Windows
// would, with the data the script's prologue sets. A script that is not
// exactly one of them is not run: the lab does not interpret PowerShell.
//
//go:embed ps/*.ps1
var psFiles embed.FS

// psScripts maps a script's body to its name.
var psScripts = func() map[string]string {
	out := map[string]string{}
	entries, _ := psFiles.ReadDir("ps")
	for _, e := range entries {
		b, _ := psFiles.ReadFile("ps/" + e.Name())
		out[strings.ReplaceAll(string(b), "\r\n", "\n")] = strings.TrimSuffix(e.Name(), ".ps1")
	}
	return out
}()

// psPrologue is the prologue of every fixed script.
const psPrologue = "$ErrorActionPreference = 'Stop'\n$ProgressPreference = 'SilentlyContinue'\n"

var psArg = regexp.MustCompile(`^\$([A-Za-z][A-Za-z0-9]*) = \[Text\.Encoding\]::UTF8\.GetString\(\[Convert\]::FromBase64String\('([A-Za-z0-9+/=]*)'\)\)$`)

// fixedScript splits a script into its arguments and the name of the
// fixed script it runs; ok is false for any other text.
func fixedScript(script string) (name string, args map[string]string, ok bool) {
	rest, ok := strings.CutPrefix(strings.ReplaceAll(script, "\r\n", "\n"), psPrologue)
	if !ok {
		return "", nil, false
	}
	args = map[string]string{}
	for {
		line, more, found := strings.Cut(rest, "\n")
		m := psArg.FindStringSubmatch(line)
		if !found || m == nil {
			break
		}
		v, err := base64.StdEncoding.DecodeString(m[2])
		if err != nil {
			return "", nil, false
		}
		args[m[1]] = string(v)
		rest = more
	}
	name, ok = psScripts[rest]
	return name, args, ok
}

// psFixed runs a fixed script. PowerShell before 3.0 (2003 R2's WMF 2.0)
// has neither ConvertTo-Json nor Get-CimInstance: it fails as it would.
func (ps *psRunner) psFixed(name string, args map[string]string) int {
	m := ps.c.m
	if strings.HasPrefix(m.os.PowerShell, "2.") {
		return ps.psError("ConvertTo-Json", "The term 'ConvertTo-Json' is not recognized as the name of a cmdlet, function, script file, or operable program.", "CommandNotFoundException")
	}
	var result any
	switch name {
	case "boot-time":
		result = map[string]any{"LastBootUpTime": cimDatetime(m)}
	case "account-sid":
		a := m.lookupName(psAccountName(args["Name"]))
		if a == nil {
			result = map[string]any{"found": false}
		} else {
			result = map[string]any{"found": true, "sid": a.sid, "name": a.qualified()}
		}
	case "sid-name":
		a := m.lookupSID(args["Sid"])
		if a == nil {
			result = map[string]any{"found": false}
		} else {
			result = map[string]any{"found": true, "name": a.qualified()}
		}
	case "file-version":
		p, ok := ps.c.path(args["Path"])
		f := m.fileAt(p)
		if !ok || f == nil || f.dir {
			result = map[string]any{"exists": false}
		} else {
			result = map[string]any{"exists": true, "version": psFileVersion(f.version)}
		}
	default:
		if code, ok := ps.psCluster(name, args); ok {
			return code
		}
		return ps.psError(name, "The lab's PowerShell does not run this script.", "NotImplemented")
	}
	return ps.psJSON(result)
}

// psJSON prints a result as ConvertTo-Json -Compress does, and succeeds.
func (ps *psRunner) psJSON(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return ps.psError("ConvertTo-Json", err.Error(), "InvalidOperation")
	}
	ps.c.printf("%s\r\n", b)
	return 0
}

// psError writes an error record to stderr as powershell.exe does when its
// streams are redirected (over WinRM): CLIXML, the message one <S
// S="Error"> per line, as the pywinrm capture in testdata/windows shows;
// and exits 1.
func (ps *psRunner) psError(command, msg, id string) int {
	lines := []string{
		command + " : " + msg,
		"At line:1 char:1",
		"+ " + command,
		"    + CategoryInfo          : NotSpecified: (:) [], " + id,
		"    + FullyQualifiedErrorId : " + id,
		" ",
	}
	var b strings.Builder
	b.WriteString("#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">")
	for _, l := range lines {
		fmt.Fprintf(&b, "<S S=\"Error\">%s_x000D__x000A_</S>", xmlText(l))
	}
	b.WriteString("</Objs>")
	ps.c.errorf("%s", b.String())
	return 1
}

func xmlText(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}

// psAccountName is NTAccount's name as lookupName takes it: name@DOMAIN
// is DOMAIN\name.
func psAccountName(name string) string {
	if u, d, ok := strings.Cut(name, "@"); ok && !strings.Contains(name, `\`) {
		return d + `\` + u
	}
	return name
}

// psFileVersion is a file's version as four numbers, as
// FileMajorPart.FileMinorPart.FileBuildPart.FilePrivatePart prints it.
func psFileVersion(v string) string {
	if v == "" {
		return "0.0.0.0"
	}
	parts := strings.Split(v, ".")
	for len(parts) < 4 {
		parts = append(parts, "0")
	}
	return strings.Join(parts[:4], ".")
}
