package win

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Facts are what winplay learns about a host before its first task, with
// one command line (FactsLine): which Windows it is, where it keeps its
// files, its language and which tools it has.
type Facts struct {
	// Version is the dotted version `ver` prints: 4.0 (NT 4.0), 5.2.3790
	// (Server 2003), 6.3.9600 (2012 R2), 10.0.20348.… (2022).
	Version string
	// Product is the registry's ProductName ("Windows Server 2022
	// Datacenter"), untranslated; "" on NT 4.0, which has none.
	Product string
	// Build is CurrentBuildNumber (1381, 3790, 9600, 20348, 26100).
	Build int
	// ServicePack is CSDVersion ("Service Pack 2"), "" when none.
	ServicePack string
	// SystemRoot, Temp and ProgramFiles are the environment of the WinRM
	// session: %SystemRoot%, %TEMP%, %ProgramFiles%.
	SystemRoot   string
	Temp         string
	ProgramFiles string
	// ComputerName is %COMPUTERNAME%, the NetBIOS name.
	ComputerName string
	// Language is the language of the installed product (Nls\Language
	// InstallLanguage) as a tag such as de-DE; LCID is its number.
	Language string
	LCID     int
	// CodePage is the session's console code page (chcp), OEMCodePage the
	// system's (Nls\CodePage OEMCP).
	CodePage    int
	OEMCodePage int
	// PowerShell is the newest Windows PowerShell engine's version ("",
	// 2.0, 4.0, 5.1.…).
	PowerShell string
	// Tools present on the host, by FactsTools name.
	WMIC, ClusterExe, FailoverClusters, MSDTC, IISSync bool
}

// Marker lines between the sections of the facts command's output.
const factsMarker = "[winplay:"

// factsTools are the tools the facts command looks for, by file. cmd.exe
// expands %SystemRoot% in them.
var factsTools = []struct{ name, path string }{
	{"wmic", `%SystemRoot%\System32\wbem\WMIC.exe`},
	{"cluster", `%SystemRoot%\System32\cluster.exe`},
	{"cluster", `%SystemRoot%\Cluster\cluster.exe`},
	{"failoverclusters", `%SystemRoot%\System32\WindowsPowerShell\v1.0\Modules\FailoverClusters\FailoverClusters.psd1`},
	{"msdtc", `%SystemRoot%\System32\msdtc.exe`},
	{"iissync", `%SystemRoot%\System32\inetsrv\iissync.exe`},
}

// FactsLine is the one cmd.exe command line that prints every fact, each
// tool's output under a marker line of its own: ver, set, chcp, reg query
// of CurrentVersion, the install language, the OEM code page and the
// PowerShell engines, and which of the tools exist. Every part prints on
// every Windows since NT 4.0; a part that fails prints its error to stderr
// and nothing under its marker.
func FactsLine() string {
	parts := []string{
		"echo " + factsMarker + "ver]", "ver",
		"echo " + factsMarker + "set]", "set",
		"echo " + factsMarker + "chcp]", "chcp",
		"echo " + factsMarker + "currentversion]", `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion"`,
		"echo " + factsMarker + "language]", `reg query HKLM\SYSTEM\CurrentControlSet\Control\Nls\Language /v InstallLanguage`,
		"echo " + factsMarker + "codepage]", `reg query HKLM\SYSTEM\CurrentControlSet\Control\Nls\CodePage /v OEMCP`,
		"echo " + factsMarker + "powershell]",
		`reg query HKLM\SOFTWARE\Microsoft\PowerShell\1\PowerShellEngine /v PowerShellVersion`,
		`reg query HKLM\SOFTWARE\Microsoft\PowerShell\3\PowerShellEngine /v PowerShellVersion`,
		"echo " + factsMarker + "tools]",
	}
	for _, t := range factsTools {
		// In parentheses: an if's command runs to the end of the line,
		// & included, so a missing tool would skip the rest.
		parts = append(parts, fmt.Sprintf(`(if exist "%s" echo %s)`, t.path, t.name))
	}
	parts = append(parts, "echo "+factsMarker+"end]")
	return strings.Join(parts, " & ")
}

// FactsSections splits the facts command's stdout at its marker lines.
func FactsSections(out string) map[string]string {
	sections := map[string]string{}
	name := ""
	var b strings.Builder
	for _, line := range strings.SplitAfter(out, "\n") {
		t := strings.TrimRight(line, "\r\n ")
		if strings.HasPrefix(t, factsMarker) && strings.HasSuffix(t, "]") {
			if name != "" {
				sections[name] = b.String()
			}
			name, _ = strings.CutPrefix(t, factsMarker)
			name = strings.TrimSuffix(name, "]")
			b.Reset()
			continue
		}
		b.WriteString(line)
	}
	if name != "" {
		sections[name] = b.String()
	}
	return sections
}

// ParseFacts reads the facts command's stdout.
func ParseFacts(out string) (Facts, error) {
	s := FactsSections(out)
	if _, ok := s["end"]; !ok {
		return Facts{}, fmt.Errorf("the facts command stopped before its end marker: %q", Clip(out))
	}
	var f Facts
	var err error
	if f.Version, err = Ver(s["ver"]); err != nil {
		return f, err
	}
	env := SetOutput(s["set"])
	f.SystemRoot, f.Temp, f.ProgramFiles, f.ComputerName = env["systemroot"], env["temp"], env["programfiles"], env["computername"]
	if f.SystemRoot == "" {
		f.SystemRoot = env["windir"]
	}
	if f.SystemRoot == "" {
		return f, fmt.Errorf("set printed no SystemRoot: %q", Clip(s["set"]))
	}
	if f.Temp == "" {
		f.Temp = f.SystemRoot + `\Temp`
	}
	f.CodePage, _ = Chcp(s["chcp"])
	if k, ok := RegFirstKey(s["currentversion"]); ok {
		get := func(name string) string { v, _ := k.Value(name); return v.Data }
		f.Product, f.ServicePack = get("ProductName"), get("CSDVersion")
		f.Build, _ = strconv.Atoi(get("CurrentBuildNumber"))
	}
	if k, ok := RegFirstKey(s["language"]); ok {
		if v, ok := k.Value("InstallLanguage"); ok {
			if n, err := strconv.ParseUint(v.Data, 16, 16); err == nil {
				f.LCID = int(n)
				f.Language = LanguageTag(f.LCID)
			}
		}
	}
	if k, ok := RegFirstKey(s["codepage"]); ok {
		if v, ok := k.Value("OEMCP"); ok {
			f.OEMCodePage, _ = strconv.Atoi(v.Data)
		}
	}
	for _, k := range RegQuery(s["powershell"]) {
		if v, ok := k.Value("PowerShellVersion"); ok && versionLess(f.PowerShell, v.Data) {
			f.PowerShell = v.Data
		}
	}
	for _, t := range strings.Fields(s["tools"]) {
		switch t {
		case "wmic":
			f.WMIC = true
		case "cluster":
			f.ClusterExe = true
		case "failoverclusters":
			f.FailoverClusters = true
		case "msdtc":
			f.MSDTC = true
		case "iissync":
			f.IISSync = true
		}
	}
	return f, nil
}

// verVersion is the dotted number in `ver`'s output, the one token of
// it that is not translated (Microsoft Windows [Version 10.0.20348.2113],
// [Версия 10.0.19045.3570], Windows NT Version 4.0).
var verVersion = regexp.MustCompile(`\d+\.\d+(?:\.\d+)*`)

// Ver reads the version from `ver`.
func Ver(out string) (string, error) {
	v := verVersion.FindString(out)
	if v == "" {
		return "", fmt.Errorf("no version in ver output %q", Clip(out))
	}
	return v, nil
}

// SetOutput reads `set` (every NAME=value of the environment), keyed by
// lower-case name, as cmd.exe compares them.
func SetOutput(out string) map[string]string {
	env := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		name, value, ok := strings.Cut(strings.TrimRight(line, "\r"), "=")
		if ok && name != "" {
			env[strings.ToLower(name)] = value
		}
	}
	return env
}

var chcpNumber = regexp.MustCompile(`(\d+)\D*$`)

// Chcp reads the code page from chcp's output (Active code page: 65001,
// Aktive Codepage: 850.), the number at its end.
func Chcp(out string) (int, error) {
	m := chcpNumber.FindStringSubmatch(strings.TrimSpace(out))
	if m == nil {
		return 0, fmt.Errorf("no code page in chcp output %q", Clip(out))
	}
	return strconv.Atoi(m[1])
}

// languageTags are the LCIDs of the display languages winplay is tested
// in, and a few more, from Microsoft's LCID table (MS-LCID).
var languageTags = map[int]string{
	0x0409: "en-US", 0x0809: "en-GB", 0x0407: "de-DE", 0x0807: "de-CH", 0x0c07: "de-AT", 0x0419: "ru-RU",
	0x040c: "fr-FR", 0x0410: "it-IT", 0x0c0a: "es-ES", 0x0416: "pt-BR", 0x0816: "pt-PT", 0x0413: "nl-NL",
	0x0415: "pl-PL", 0x0405: "cs-CZ", 0x040e: "hu-HU", 0x041d: "sv-SE", 0x0406: "da-DK", 0x0414: "nb-NO",
	0x040b: "fi-FI", 0x041f: "tr-TR", 0x0411: "ja-JP", 0x0412: "ko-KR", 0x0804: "zh-CN", 0x0404: "zh-TW",
}

// LanguageTag names an LCID, or gives it in hex when it is not in the table.
func LanguageTag(lcid int) string {
	if t, ok := languageTags[lcid]; ok {
		return t
	}
	return fmt.Sprintf("lcid-%04x", lcid)
}

// versionLess compares dotted versions; "" is older than any.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	if a == "" {
		return b != ""
	}
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// VersionAtLeast reports whether the dotted version v is min or newer.
func VersionAtLeast(v, min string) bool { return v != "" && !versionLess(v, min) }

// Major is the major version number of a dotted version, 0 for "".
func Major(v string) int {
	n, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	return n
}

// Name is how messages name the host's Windows: its product name, or for
// NT 4.0, which has none in the registry, its version.
func (f Facts) Name() string {
	if f.Product != "" {
		return f.Product
	}
	if Major(f.Version) == 4 {
		return "Windows NT " + f.Version
	}
	return "Windows " + f.Version
}

// HasPowerShell reports whether Windows PowerShell 3 or later is there:
// the fixed scripts use ConvertTo-Json and Get-CimInstance (3.0).
func (f Facts) HasPowerShell() bool { return VersionAtLeast(f.PowerShell, "3.0") }

// Values are the facts as expressions see them (host.facts.NAME).
func (f Facts) Values() map[string]any {
	return map[string]any{
		"os_version": f.Version, "os_build": f.Build, "os_name": f.Name(), "service_pack": f.ServicePack,
		"system_root": f.SystemRoot, "temp": f.Temp, "program_files": f.ProgramFiles, "computer_name": f.ComputerName,
		"language": f.Language, "lcid": f.LCID, "code_page": f.CodePage, "oem_code_page": f.OEMCodePage,
		"powershell_version": f.PowerShell, "has_wmic": f.WMIC, "has_cluster_exe": f.ClusterExe,
		"has_failover_clusters": f.FailoverClusters, "has_msdtc": f.MSDTC, "has_iissync": f.IISSync,
	}
}

// String is the facts in one line, for -v.
func (f Facts) String() string {
	ps := f.PowerShell
	if ps == "" {
		ps = "none"
	}
	var tools []string
	for _, t := range []struct {
		name string
		on   bool
	}{{"wmic", f.WMIC}, {"cluster.exe", f.ClusterExe}, {"FailoverClusters", f.FailoverClusters}, {"msdtc", f.MSDTC}, {"iissync", f.IISSync}} {
		if t.on {
			tools = append(tools, t.name)
		}
	}
	if len(tools) == 0 {
		tools = []string{"none of wmic, cluster.exe, FailoverClusters, msdtc, iissync"}
	}
	return fmt.Sprintf("%s (version %s), %s, code page %d (OEM %d), SystemRoot %s, TEMP %s, PowerShell %s, tools: %s",
		f.Name(), f.Version, f.Language, f.CodePage, f.OEMCodePage, f.SystemRoot, f.Temp, ps, strings.Join(tools, ", "))
}
