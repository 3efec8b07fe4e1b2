package win

import (
	"fmt"
	"sort"
	"strings"
)

// Generation is a Windows version the lab simulates: where it keeps its
// files, which tools it has and how they print. Each value comes from the
// corpus of real output (testdata/windows; systeminfo captures for the
// versions and directories) or from the Microsoft documentation that
// real-windows.md names; TOOLS.md says which.
type Generation struct {
	// Name is how configurations name it: nt4, 2003r2, 2012r2, 2022, 2025.
	Name string
	// Product is the registry's ProductName; NT 4.0 has none.
	Product string
	// Version is what ver prints, and Build its build number.
	Version, Build string
	// CurrentVersion is the registry's CurrentVersion (6.3 from 2012 R2
	// on, also on 2016 and later).
	CurrentVersion string
	// CSDVersion is the service pack, "" for none.
	CSDVersion string
	// Root is the Windows directory without its drive: \WINNT, \WINDOWS,
	// \Windows.
	Root string
	// Profiles is where user profiles live, and ProfileTemp the temp
	// directory below a profile (%TEMP% of a WinRM session, whose profile
	// is loaded); "" keeps NT 4.0's %SystemRoot%\Temp.
	Profiles, ProfileTemp string
	// RegV3 is REG.EXE 3.0's output (XP and Server 2003): a version header
	// and tab-separated fields.
	RegV3 bool
	// WMIC, ClusterExe: the tools exist. PowerShell is Windows
	// PowerShell's engine version, "" for none; FailoverClusters its
	// module on cluster nodes.
	WMIC, ClusterExe bool
	PowerShell       string
	FailoverClusters bool
	// UAC is User Account Control, Vista/Server 2008 and later: a local
	// administrator's network logon gets a filtered token (uac.go).
	UAC bool
	// Runbook is the rehearsal's NT 4.0 cluster: IIS 4 from the Option
	// Pack, SP6's UPDATE.EXE, IISSYNC and NT 4.0's msdtc.exe.
	Runbook bool
}

// Generations the lab simulates.
var Generations = map[string]*Generation{
	// The runbook's rehearsal: a machine that never spoke WinRM (WinRM
	// first shipped with Server 2003 R2), kept as the article describes
	// it. Its wmic is the lab's own (NT 4.0 had none).
	"nt4": {
		Name: "nt4", Version: "4.0", Build: "1381", CurrentVersion: "4.0", CSDVersion: "Service Pack 6",
		Root: `\WINNT`, Profiles: `\WINNT\Profiles`, WMIC: true, ClusterExe: true, Runbook: true,
	},
	// Server 2003 R2 SP2 with WMF 2.0 (WinRM 2.0, PowerShell 2.0):
	// C:\WINDOWS (systeminfo 2003R2-SP2-x64), REG.EXE 3.0, wmic and
	// cluster.exe built in.
	"2003r2": {
		Name: "2003r2", Product: "Microsoft Windows Server 2003 R2", Version: "5.2.3790", Build: "3790",
		CurrentVersion: "5.2", CSDVersion: "Service Pack 2", Root: `\WINDOWS`,
		Profiles: `\Documents and Settings`, ProfileTemp: `Local Settings\Temp`,
		RegV3: true, WMIC: true, ClusterExe: true, PowerShell: "2.0",
	},
	// Server 2012 R2: C:\Windows, 6.3.9600 (systeminfo 2012R2-update1),
	// PowerShell 4.0, cluster.exe installed as the optional feature
	// RSAT-Clustering-CmdInterface, the FailoverClusters module.
	"2012r2": {
		Name: "2012r2", Product: "Windows Server 2012 R2 Standard", Version: "6.3.9600", Build: "9600",
		CurrentVersion: "6.3", Root: `\Windows`, Profiles: `\Users`, ProfileTemp: `AppData\Local\Temp`,
		WMIC: true, ClusterExe: true, PowerShell: "4.0", FailoverClusters: true, UAC: true,
	},
	// Server 2022: 10.0.20348 (systeminfo 2022-standard), PowerShell 5.1,
	// wmic deprecated but present, no cluster.exe, FailoverClusters.
	"2022": {
		Name: "2022", Product: "Windows Server 2022 Standard", Version: "10.0.20348", Build: "20348",
		CurrentVersion: "6.3", Root: `\Windows`, Profiles: `\Users`, ProfileTemp: `AppData\Local\Temp`,
		WMIC: true, PowerShell: "5.1.20348.1", FailoverClusters: true, UAC: true,
	},
	// Server 2025: build 26100 (the 24H2 codebase), no wmic by default
	// (simonepri/pidtree#20), no cluster.exe, FailoverClusters.
	"2025": {
		Name: "2025", Product: "Windows Server 2025 Standard", Version: "10.0.26100", Build: "26100",
		CurrentVersion: "6.3", Root: `\Windows`, Profiles: `\Users`, ProfileTemp: `AppData\Local\Temp`,
		PowerShell: "5.1.26100.1", FailoverClusters: true, UAC: true,
	},
}

// GenerationNames lists the generations, oldest first.
func GenerationNames() []string {
	return []string{"nt4", "2003r2", "2012r2", "2022", "2025"}
}

// LookupGeneration returns the generation named name (case-insensitive;
// "" is nt4).
func LookupGeneration(name string) (*Generation, error) {
	if name == "" {
		name = "nt4"
	}
	g, ok := Generations[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("unknown Windows %q (want one of %s)", name, strings.Join(GenerationNames(), ", "))
	}
	return g, nil
}

// LanguageNames lists the display languages, sorted.
func LanguageNames() []string {
	var out []string
	for n := range languages {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// sys is a path under the Windows directory on C:, drive-relative:
// sys(`\system32`) is \Windows\system32 on 2022.
func (m *Machine) sys(rel string) string { return m.os.Root + rel }

// sysC is sys with the drive: C:\Windows\system32.
func (m *Machine) sysC(rel string) string { return "C:" + m.sys(rel) }

// profileDir is a user's profile directory, drive-relative.
func (m *Machine) profileDir(user string) string { return m.os.Profiles + `\` + user }

// tempDir is %TEMP% of a WinRM session of user, drive-relative.
func (m *Machine) tempDir(user string) string {
	if m.os.ProfileTemp == "" {
		return m.sys(`\Temp`)
	}
	return m.profileDir(user) + `\` + m.os.ProfileTemp
}

// isScratch reports whether p is under a temp directory (%SystemRoot%\Temp
// or a profile's), whose writes the lab treats as read-only work (see
// TOOLS.md): a module may export to a temp file in check mode.
func (p winPath) isScratch() bool {
	if p.drive != 'C' {
		return false
	}
	k := key(p.path)
	for _, root := range []string{`\WINNT\TEMP`, `\WINDOWS\TEMP`} {
		if k == root || strings.HasPrefix(k, root+`\`) {
			return true
		}
	}
	for _, pro := range []string{`\USERS\`, `\DOCUMENTS AND SETTINGS\`} {
		rest, ok := strings.CutPrefix(k, pro)
		if !ok {
			continue
		}
		_, sub, _ := strings.Cut(rest, `\`)
		for _, t := range []string{`APPDATA\LOCAL\TEMP`, `LOCAL SETTINGS\TEMP`} {
			if sub == t || strings.HasPrefix(sub, t+`\`) {
				return true
			}
		}
	}
	return false
}

// Windows names the host's generation and display language, as the lab
// prints them beside each host: "2022 de-DE", "nt4 en-US".
func (m *Machine) Windows() string { return m.os.Name + " " + m.lang.tag }

// OEMCodepage is the host's OEM code page, the console's when a client
// asks for none: 437 (en-US), 850 (de-DE), 866 (ru-RU).
func (m *Machine) OEMCodepage() int { return m.lang.oemcp }
