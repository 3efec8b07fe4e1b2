package win

import (
	"fmt"
	"strings"
	"time"
)

// Registry keys the tools and the state dump read.
const (
	nlsLanguageKey    = `HKLM\SYSTEM\CurrentControlSet\Control\Nls\Language`
	nlsCodePageKey    = `HKLM\SYSTEM\CurrentControlSet\Control\Nls\CodePage`
	currentVersionKey = `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	inetStpKey        = `HKLM\SOFTWARE\Microsoft\InetStp`
	ocmKey            = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Setup\OC Manager\Subcomponents`
	msdtcKey          = `HKLM\SOFTWARE\Microsoft\MSDTC`
	oleKey            = `HKLM\SOFTWARE\Microsoft\Ole`
	replicationKey    = `HKLM\SOFTWARE\Microsoft\Transaction Server\Replication`
)

// Well-known SIDs the profiles use.
const (
	sidEveryone       = "S-1-1-0"
	sidInteractive    = "S-1-5-4"
	sidSystem         = "S-1-5-18"
	sidAdministrators = "S-1-5-32-544"
	sidUsers          = "S-1-5-32-545"
	sidGuests         = "S-1-5-32-546"
	sidPowerUsers     = "S-1-5-32-547"
	sidBackupOps      = "S-1-5-32-551"
	sidIUSRCluster    = corpSID + "-1105"
	sidIWAMCluster    = corpSID + "-1106"
	sidClusterSvc     = corpSID + "-1107"
)

// failoverClustersModule is the FailoverClusters module's manifest below
// the Windows directory, which the facts command looks for.
const failoverClustersModule = `\system32\WindowsPowerShell\v1.0\Modules\FailoverClusters\FailoverClusters.psd1`

// Option Pack components, in the order setup lists them.
var opComponents = []string{"iis_common", "iis_www", "iis_ftp", "mts_core", "msmq", "smtp", "indexsrv"}

// File versions of the IIS files: as the Option Pack installs them, and
// after Service Pack 6.
const (
	iisVersionOP  = "4.2.622.1"
	iisVersionSP6 = "4.2.739.1"
	ntVersionSP6  = "4.0.1381.7"
	ntVersionRTM  = "4.0.1381.1"
)

// iisFiles are the files setup writes per component, which the service
// pack stamps.
var iisFiles = map[string][]string{
	"iis_common": {`\WINNT\system32\inetsrv\infocomm.dll`, `\WINNT\system32\inetsrv\inetinfo.exe`},
	"iis_www":    {`\WINNT\system32\inetsrv\w3svc.dll`, `\WINNT\system32\inetsrv\asp.dll`},
	"iis_ftp":    {`\WINNT\system32\inetsrv\msftpsvc.dll`},
}

// componentServices are the services each component creates.
var componentServices = map[string]string{
	"iis_common": "IISADMIN", "iis_www": "W3SVC", "iis_ftp": "MSFTPSVC",
	"smtp": "SMTPSVC", "indexsrv": "cisvc", "msmq": "MSMQ",
}

// exeContent is the content of a simulated executable or library: a marker
// and the version, so stamping a new version changes the file's hash.
func exeContent(name, version string) []byte {
	return []byte(fmt.Sprintf("MZ winplay lab %s %s\r\n", name, version))
}

// putFile writes a file on C:, creating its directory.
func (m *Machine) putFile(path string, data []byte, version, program string) {
	now := m.net.now()
	m.c.mkdirAll(parentOf(path), now)
	f, _ := m.c.write(path, data, false, now)
	f.version, f.program = version, program
}

// otherNode is the other cluster node, for MTS replication.
func (m *Machine) otherNode() string {
	for _, n := range m.net.cluster.nodes {
		if n != m.netbios {
			return n
		}
	}
	return ""
}

// applyProfile builds the host's initial state.
func (m *Machine) applyProfile() error {
	if err := m.baseSystem(); err != nil {
		return err
	}
	if m.profile == ProfileRebuilt || !m.os.Runbook {
		return nil
	}
	comps := map[string]bool{"iis_common": true, "iis_www": true, "iis_ftp": true, "mts_core": true}
	m.installOptionPack("Custom", comps)
	m.stampServicePack()
	mb := clusterMetabase().bytes()
	if m.profile == ProfileCorrupted {
		mb = corruptMetabase
	}
	m.putFile(metabasePath, mb, "", "")
	for _, s := range m.services {
		s.start = startAuto
	}
	if m.net.cluster.isNode(m.netbios) {
		m.installMSDTC(&dtcSettings{`S:\MSDTCLog`, "WEBVS", "Web Group"})
		m.reg.setSZ(replicationKey, "RemoteServerName", m.otherNode())
		m.reg.setSZ(replicationKey, "ReplicationShare", "C$")
	}
	m.groupBySID(sidGuests).members = append(m.groupBySID(sidGuests).members, sidIUSRCluster, sidIWAMCluster)
	m.group("MTS Trusted Impersonators").members = []string{sidIWAMCluster}
	m.grant("SeInteractiveLogonRight", sidIUSRCluster, sidIWAMCluster)
	m.grant("SeNetworkLogonRight", sidIUSRCluster, sidIWAMCluster)
	return m.setDCOMDefaults(sidAdministrators, sidSystem, sidInteractive, sidIUSRCluster, sidIWAMCluster)
}

// baseSystem is a freshly installed node of the host's generation (NT 4.0
// Enterprise with SP6 for the rehearsal), joined to the domain and to the
// cluster when it is a cluster node.
func (m *Machine) baseSystem() error {
	now := m.net.now()
	m.c = newDrive('C', "", "1C2B-3A4D", false, now)
	dirs := []string{m.sys(`\system32\inetsrv`), m.sys(`\Temp`), m.profileDir(m.login), m.tempDir(m.login),
		m.sys(`\security\logs`), `\Program Files`}
	for name := range programDirs {
		if m.hasTool(name) {
			dirs = append(dirs, m.sys(programDirs[name]))
		}
	}
	for _, d := range dirs {
		if err := m.c.mkdirAll(d, now); err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
	}
	version := m.os.Version + "." + m.os.Build
	if m.os.Runbook {
		version = ntVersionSP6
	}
	for name, t := range programs {
		if !t.system || !m.hasTool(name) {
			continue
		}
		dir, ok := programDirs[name]
		if !ok {
			dir = `\system32`
		}
		m.putFile(m.sys(dir)+`\`+name+".exe", exeContent(name+".exe", version), version, name)
	}
	m.putFile(m.sys(`\system32\ntoskrnl.exe`), exeContent("ntoskrnl.exe", version), version, "")

	m.reg.setSZ(currentVersionKey, "CurrentVersion", m.os.CurrentVersion)
	m.reg.setSZ(currentVersionKey, "CurrentBuildNumber", m.os.Build)
	m.reg.setSZ(currentVersionKey, "CurrentBuild", m.os.Build)
	if m.os.Product != "" {
		m.reg.setSZ(currentVersionKey, "ProductName", m.os.Product)
	}
	if m.os.CSDVersion != "" {
		m.reg.setSZ(currentVersionKey, "CSDVersion", m.os.CSDVersion)
		m.reg.setSZ(currentVersionKey, "CSDBuildNumber", m.os.Build)
	}
	m.reg.setSZ(currentVersionKey, "SystemRoot", m.sysC(""))
	m.reg.setSZ(`HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName`, "ComputerName", m.netbios)
	// The language of the product and its OEM code page, as the
	// Windows 2000/2003 registry reference documents the values.
	m.reg.setSZ(nlsLanguageKey, "InstallLanguage", m.lang.lcid)
	m.reg.setSZ(nlsLanguageKey, "Default", m.lang.lcid)
	m.reg.setSZ(nlsCodePageKey, "OEMCP", fmt.Sprint(m.lang.oemcp))
	if m.os.PowerShell != "" {
		// Engine 1 holds PowerShell 1.0 and 2.0, engine 3 the later
		// ones (the keys Puppet's ruby-pwsh reads).
		engine := `HKLM\SOFTWARE\Microsoft\PowerShell\1\PowerShellEngine`
		if !strings.HasPrefix(m.os.PowerShell, "1.") && !strings.HasPrefix(m.os.PowerShell, "2.") {
			m.reg.setSZ(engine, "PowerShellVersion", "2.0")
			engine = `HKLM\SOFTWARE\Microsoft\PowerShell\3\PowerShellEngine`
		}
		m.reg.setSZ(engine, "PowerShellVersion", m.os.PowerShell)
	}
	m.reg.create(sessionManager)
	m.reg.setSZ(`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion`, "ProgramFilesDir", `C:\Program Files`)
	m.reg.setSZ(oleKey, "EnableDCOM", "Y")
	if err := m.setDCOMDefaults(sidAdministrators, sidSystem, sidInteractive); err != nil {
		return err
	}
	if !m.os.Runbook {
		// Microsoft's page for DefaultAccessPermission: by default the
		// value is not set, and the server principal and SYSTEM may call.
		m.reg.deleteValue(oleKey, "DefaultAccessPermission")
	}
	m.reg.create(`HKCU\Software\Microsoft`)

	for _, name := range []string{"RpcSs", "EventLog", "LanmanServer", "LanmanWorkstation", "Spooler"} {
		m.addService(name, startAuto)
	}
	if !m.os.Runbook {
		// MSDTC is part of Windows since 2000, not an Option Pack's.
		m.addService("MSDTC", startAuto)
	}
	if m.net.cluster.isNode(m.netbios) {
		m.addService("ClusSvc", startAuto)
		m.c.mkdirAll(m.sys(`\Cluster`), now)
		m.putFile(m.sys(`\Cluster\clussvc.exe`), exeContent("clussvc.exe", version), version, "")
		if m.os.FailoverClusters {
			m.putFile(m.sys(failoverClustersModule), []byte("@{ ModuleVersion = '2.0.0.0' }\r\n"), "", "")
		}
	}

	admin := m.addLocalUser(m.localName(500, "Administrator"), 500)
	guest := m.addLocalUser(m.localName(501, "Guest"), 501)
	m.nextRID = 999
	login := m.loginAccount(admin)
	for _, a := range builtinAliases {
		sid := fmt.Sprintf("S-1-5-32-%d", builtinRIDs[a.name])
		name := a.name
		if n := m.lang.accountName(sid); n != "" {
			name = n
		}
		m.groups = append(m.groups, &localGroup{name: name, comment: a.comment, sid: sid})
	}
	admins := []string{admin.sid}
	if login != admin {
		admins = append(admins, login.sid)
	}
	m.groupBySID(sidAdministrators).members = append(admins, corpSID+"-512")
	m.setUACPolicy()
	m.groupBySID(sidUsers).members = []string{corpSID + "-513"}
	m.groupBySID(sidGuests).members = []string{guest.sid}

	m.grant("SeNetworkLogonRight", sidEveryone, sidAdministrators, sidPowerUsers)
	m.grant("SeInteractiveLogonRight", sidAdministrators, sidBackupOps, sidPowerUsers, sidUsers, sidGuests)
	m.grant("SeShutdownPrivilege", sidAdministrators, sidBackupOps, sidPowerUsers)
	m.grant("SeRemoteShutdownPrivilege", sidAdministrators)
	m.grant("SeBackupPrivilege", sidAdministrators, sidBackupOps)
	m.grant("SeRestorePrivilege", sidAdministrators, sidBackupOps)
	m.grant("SeChangeNotifyPrivilege", sidEveryone)
	m.grant("SeSystemtimePrivilege", sidAdministrators, sidPowerUsers)
	for _, r := range []string{"SeTakeOwnershipPrivilege", "SeSecurityPrivilege", "SeDebugPrivilege", "SeLoadDriverPrivilege",
		"SeIncreaseBasePriorityPrivilege", "SeProfileSingleProcessPrivilege", "SeSystemEnvironmentPrivilege",
		"SeCreatePagefilePrivilege", "SeIncreaseQuotaPrivilege"} {
		m.grant(r, sidAdministrators)
	}
	if m.net.cluster.isNode(m.netbios) {
		m.grant("SeServiceLogonRight", sidClusterSvc)
	}
	return nil
}

// setDCOMDefaults writes both DCOM default descriptors granting sids.
func (m *Machine) setDCOMDefaults(sids ...string) error {
	b, err := dcomDefault(sids...)
	if err != nil {
		return fmt.Errorf("building the DCOM defaults: %w", err)
	}
	m.reg.setBinary(oleKey, "DefaultAccessPermission", b)
	m.reg.setBinary(oleKey, "DefaultLaunchPermission", b)
	return nil
}

// iisInstalled reports whether the Option Pack's IIS is installed, by its
// detection value.
func (m *Machine) iisInstalled() bool {
	v, ok := m.reg.dword(inetStpKey, "MajorVersion")
	return ok && v == 4
}

// installOptionPack writes what Option Pack setup installs (TOOLS.md):
// registry, services (auto, stopped until the next boot), accounts, a
// fresh metabase, the MTS catalog and group, MSDTC if missing, and the
// IIS files at the Option Pack's version.
func (m *Machine) installOptionPack(installType string, comps map[string]bool) {
	m.reg.deleteKey(inetStpKey)
	m.reg.setDWORD(inetStpKey, "MajorVersion", 4)
	m.reg.setDWORD(inetStpKey, "MinorVersion", 0)
	m.reg.setSZ(inetStpKey, "InstallType", installType)
	m.reg.setSZ(inetStpKey, "PathWWWRoot", `C:\InetPub\wwwroot`)
	for _, c := range opComponents {
		v := uint32(0)
		if comps[c] {
			v = 1
		}
		m.reg.setDWORD(ocmKey, c, v)
	}
	for _, c := range opComponents {
		if name, ok := componentServices[c]; ok && comps[c] && m.service(name) == nil {
			m.addService(name, startAuto)
		}
	}
	if m.service("MSDTC") == nil {
		m.installMSDTC(nil)
	}
	m.addLocalUser("IUSR_"+m.netbios, 0)
	m.addLocalUser("IWAM_"+m.netbios, 0)
	now := m.net.now()
	m.c.mkdirAll(`\InetPub\wwwroot`, now)
	m.c.mkdirAll(`\InetPub\ftproot`, now)
	for _, c := range []string{"iis_common", "iis_www", "iis_ftp"} {
		if !comps[c] {
			continue
		}
		for _, p := range iisFiles[c] {
			m.putFile(p, exeContent(baseName(p), iisVersionOP), iisVersionOP, "")
		}
	}
	m.putFile(`\WINNT\system32\inetsrv\iissync.exe`, exeContent("iissync.exe", iisVersionOP), iisVersionOP, "iissync")
	m.putFile(metabasePath, freshMetabase(m.netbios, comps["iis_www"], comps["iis_ftp"]).bytes(), "", "")
	if comps["mts_core"] {
		m.putFile(mtsCatalogPath, mtsCatalog(), "", "")
		m.addLocalGroup("MTS Trusted Impersonators", "Trusted process identities")
	}
	m.setRebootPending(`C:\WINNT\system32\inetsrv\inetinfo.exe`)
}

// setRebootPending records a file to replace at the next boot, as
// installers do; a boot clears PendingFileRenameOperations.
func (m *Machine) setRebootPending(path string) {
	v := m.reg.get(sessionManager, "PendingFileRenameOperations")
	var items []string
	if v != nil && v.typ == regMultiSZ {
		items = v.multi
	}
	items = append(items, `\??\`+path+".new", "")
	m.reg.setMulti(sessionManager, "PendingFileRenameOperations", items)
}

// rebootPending reports whether an installer is waiting for a boot.
func (m *Machine) rebootPending() bool {
	return m.reg.get(sessionManager, "PendingFileRenameOperations") != nil
}

// removeOptionPack is Option Pack setup's Remove All: the IIS services,
// detection values, metabase, files, accounts and MTS, but not MSDTC. It
// reports whether the metabase was corrupt (an error setup ignores).
func (m *Machine) removeOptionPack() bool {
	_, readable := m.metabase()
	for _, c := range opComponents {
		if name, ok := componentServices[c]; ok {
			m.removeService(name)
		}
	}
	m.reg.deleteKey(inetStpKey)
	for _, c := range opComponents {
		m.reg.deleteValue(ocmKey, c)
	}
	var files []string
	for _, fs := range iisFiles {
		files = append(files, fs...)
	}
	files = append(files, `\WINNT\system32\inetsrv\iissync.exe`, metabasePath, mtsCatalogPath)
	for _, p := range files {
		m.c.remove(p)
	}
	m.removeLocalUser("IUSR_" + m.netbios)
	m.removeLocalUser("IWAM_" + m.netbios)
	m.removeLocalGroup("MTS Trusted Impersonators")
	m.setRebootPending(`C:\WINNT\system32\inetsrv\inetinfo.exe`)
	return !readable
}

// stampServicePack applies SP6's files and version; it reports whether
// anything needed replacing.
func (m *Machine) stampServicePack() bool {
	changed := m.reg.sz(currentVersionKey, "CSDVersion") != "Service Pack 6"
	m.reg.setSZ(currentVersionKey, "CSDVersion", "Service Pack 6")
	m.reg.setSZ(currentVersionKey, "CSDBuildNumber", "1381")
	stamp := func(p, version string) {
		f := m.c.get(p)
		if f == nil || f.version == version {
			return
		}
		changed = true
		f.version = version
		f.data = exeContent(baseName(p), version)
		f.writes++
	}
	for _, files := range iisFiles {
		for _, p := range files {
			stamp(p, iisVersionSP6)
		}
	}
	stamp(`\WINNT\system32\inetsrv\iissync.exe`, iisVersionSP6)
	stamp(`\WINNT\system32\ntoskrnl.exe`, ntVersionSP6)
	return changed
}

// newMedia is the CD in every host's D: drive: the Option Pack and SP6.
func newMedia(now time.Time) *drive {
	d := newDrive('D', "LABMEDIA", "0FE1-2B3C", false, now)
	put := func(path, program string) {
		d.mkdirAll(parentOf(path), now)
		f, _ := d.write(path, exeContent(strings.ToLower(baseName(path)), ""), false, now)
		f.program = program
	}
	put(`\NTOPTPAK\EN\X86\SETUP.EXE`, "setup")
	put(`\SP6\UPDATE.EXE`, "update")
	d.write(`\NTOPTPAK\EN\X86\README.TXT`, []byte("Windows NT 4.0 Option Pack\r\n"), false, now)
	d.readOnly = true
	return d
}
