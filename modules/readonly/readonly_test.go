package readonly_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/modules/readonly"
	"github.com/winplay/winplay/modules/win"
)

// The lines the hostile tester ran in --check with read_only =
// true, and the ways cmd.exe can hide a command, are all refused.
func TestChangingLinesInEveryDisguiseAreRefused(t *testing.T) {
	for _, line := range []string{
		"sc stop W3SVC",
		"cmd /c sc stop W3SVC",
		"cmd.exe /c \"sc stop W3SVC\"",
		"cmd /c \"\"sc\" stop W3SVC\"",
		"cmd /csc stop W3SVC",
		"cmd /s /c \"sc query W3SVC & sc stop W3SVC\"",
		"cmd /c cmd /c sc stop W3SVC",
		"if 1==1 sc stop X",
		"if /i not \"a\"==\"b\" sc stop X",
		"if exist C:\\boot.ini (sc stop X) else (echo no)",
		"if exist C:\\boot.ini (echo yes) else sc stop X",
		"if errorlevel 0 sc stop X",
		"(sc stop X)",
		"(sc query X & (sc stop X))",
		"@sc stop X",
		"@@ sc stop X",
		"s^c stop X",
		"sc st^op X",
		"^s^c^ stop X",
		"sc query X & sc stop X",
		"sc query X && sc stop X",
		"sc query X || sc stop X",
		"sc query X | sc stop X",
		"sc query X >nul & net stop W3SVC",
		"for %i in (a) do sc stop %i",
		"for /f %i in ('sc stop X') do echo %i",
		"for /f \"usebackq\" %i in (`sc stop X`) do echo %i",
		"for /l %i in (1,1,2) do (sc query X & sc stop X)",
		"call sc stop X",
		"start /b /wait sc stop X",
		"start \"\" /min sc stop X",
		"rem & sc stop X",
		"echo hi > C:\\boot.ini",
		"echo hi>C:\\x.txt",
		"echo hi 1>>C:\\x.txt",
		"echo hi 2> C:\\x.txt",
		"(echo hi) > C:\\x.txt",
		"echo hi > \"C:\\WINNT\\Temp\\..\\x.txt\"",
		"echo hi > C:\\WINNT\\Temp\\con",
		"echo hi > C:\\WINNT\\Temp",
		"type C:\\boot.ini > x.txt",
		"powershell -EncodedCommand " + win.EncodeCommand("Stop-Service W3SVC"),
		"powershell -e " + win.EncodeCommand("Get-Service | Stop-Service"),
		"powershell -NoProfile -Command Restart-Computer",
		"powershell -Command \"Get-Service W3SVC | ForEach-Object { $_.Stop() }\"",
		"powershell -Command (Get-WmiObject Win32_Service -Filter \"Name='W3SVC'\").StopService()",
		"powershell -Command \"Get-ChildItem C:\\x | ForEach-Object Delete\"",
		"powershell -Command \"$s = Get-Service W3SVC; $s.StartType = 'Disabled'\"",
		"powershell -Command \"Get-Date > C:\\x.txt\"",
		"powershell -Command \"& { Stop-Service W3SVC }\"",
		"powershell -Command \". C:\\x.ps1\"",
		"powershell -Command \"iex 'Stop-Service W3SVC'\"",
		"powershell -Command \"[IO.File]::WriteAllText('C:\\x', 'y')\"",
		"powershell -File C:\\x.ps1",
		"powershell -Command \"$x = \\\"$(Stop-Service W3SVC)\\\"\"",
		"certutil -encode C:\\boot.ini C:\\x.b64",
		"certutil -f -decode C:\\WINNT\\Temp\\a.b64 C:\\WINNT\\system32\\x.dll",
		"certutil -urlcache -split -f http://x/y C:\\WINNT\\Temp\\y",
		"certutil -addstore root C:\\WINNT\\Temp\\ca.cer",
		"secedit /export /cfg C:\\x.inf",
		"secedit /configure /db C:\\WINNT\\Temp\\x.sdb /cfg C:\\WINNT\\Temp\\x.inf",
		"net localgroup Administrators CORP\\x /add",
		"net localgroup /add",
		"net user x Passw0rd",
		"net stop W3SVC",
		"net start W3SVC",
		"net use Z: \\\\server\\share",
		"reg add HKLM\\SOFTWARE\\x /v y /d z /f",
		"reg delete HKLM\\SOFTWARE\\x /f",
		"reg export HKLM\\SOFTWARE C:\\x.reg",
		"wmic service where name='W3SVC' call stopservice",
		"wmic /output:C:\\x.txt os get caption",
		"cluster group \"Web Group\" /move:NODE2",
		"cluster group \"Web Group\" /move",
		"cluster resource MSDTC /prop RestartAction=1",
		"cluster.exe resource MSDTC /offline",
		"shutdown /r /t 0",
		"msdtc -remove",
		"del /q C:\\x.txt",
		"del C:\\WINNT\\Temp\\..\\x.txt",
		"rd /s /q C:\\WINNT\\Temp",
		"mkdir C:\\inetpub\\x",
		"copy C:\\WINNT\\Temp\\a C:\\x",
		"copy C:\\boot.ini",
		"move C:\\WINNT\\Temp\\a C:\\x",
		"ren C:\\boot.ini x.ini",
		"C:\\Temp\\sc.exe query X",
		"\\\\server\\share\\hostname.exe",
		"hostname.bat",
		"myprog --status",
		"sc %VERB% X",
		"echo %COMSPEC%",
		"echo %TEMP% & hostname",
		"sc query X & !cmd!",
		"cd\\..\\WINNT\\system32\\sc.exe stop X",
		"type.exe C:\\boot.ini",
		"date 01-01-2000",
		"assoc .txt=x",
		"mklink C:\\x C:\\y",
		"goto x",
		"i^f 1==1 sc stop X",
		"sc query X & :label",
		"sc \\\\node1 stop W3SVC",
		"set x=1 & sc config W3SVC start= disabled",
	} {
		v := readonly.Classify(line, nil)
		assert.False(t, v.ReadOnly, "%s: proven read-only", line)
		assert.NotEmpty(t, v.Why, "%s: no reason", line)
	}
}

// Every read-only command the modules send is proven, so that check mode
// can read everything it needs.
func TestModulesReadsAreProven(t *testing.T) {
	for _, line := range []string{
		"hostname",
		"whoami",
		"sc.exe query ClusSvc",
		"sc.exe qc ClusSvc",
		`sc \\node1 queryex W3SVC`,
		"net.exe localgroup \"MTS Trusted Impersonators\"",
		"net localgroup Guests",
		"net start",
		"reg.exe query \"HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\" /v CSDVersion",
		"reg query HKLM\\SOFTWARE\\Microsoft\\InetStp",
		"wmic os get lastbootuptime /value",
		"wmic useraccount where \"name='IUSR_NODE1'\" get Domain,Name,SID /value",
		"wmic datafile where \"name='C:\\\\WINNT\\\\system32\\\\inetsrv\\\\w3svc.dll'\" get version /value",
		"cluster.exe resource",
		"cluster.exe resource \"MSDTC\"",
		"cluster.exe resource MSDTC /prop",
		"cluster.exe group \"Web Group\"",
		"cluster.exe node NODE1 /status",
		"cluster group \"Web Group\"",
		"certutil -hashfile \"C:\\Program Files\\x.dll\" SHA256",
		"secedit.exe /export /cfg C:\\WINNT\\Temp\\winplay-rights-0a1b2c.inf /areas USER_RIGHTS",
		"del /q C:\\WINNT\\Temp\\winplay-rights-0a1b2c.inf",
		"del /q C:\\WINNT\\Temp\\a.inf C:\\WINNT\\Temp\\a.sdb",
		"type C:\\WINNT\\Temp\\winplay-rights-0a1b2c.inf",
		"if exist \"C:\\Program Files\\x\" echo present",
		"if exist C:\\x echo present",
		"echo winplay-ready-0123456789abcdef",
		"\"C:\\WINNT\\system32\\sc.exe\" query W3SVC",
		"%windir%\\system32\\sc.exe query W3SVC",
		"C:\\Windows\\System32\\wbem\\WMIC.exe os get caption /value",
	} {
		v := readonly.Classify(line, nil)
		assert.True(t, v.ReadOnly, "%s: %s", line, v)
	}
}

// The forms the classifier proves, beyond the modules' own lines.
func TestReadingFormsAreProven(t *testing.T) {
	for _, line := range []string{
		"sc query W3SVC | findstr STATE",
		"sc query W3SVC >nul 2>&1 && echo running || echo stopped",
		"(sc query a & sc query b) >nul",
		"@echo off & hostname",
		"if /i \"a b\"==\"A B\" (echo same) else (echo differ)",
		"if not exist C:\\x (echo no)",
		"if defined windir echo yes",
		"cmd /c sc query W3SVC",
		"cmd /d /s /c \"sc query W3SVC & hostname\"",
		"cmd /c \"sc query W3SVC\"",
		"cmd /c cmd /c \"echo nested\"",
		"call hostname",
		"start /b /wait hostname",
		"for %i in (a b) do sc query %i",
		"for /f \"tokens=3\" %i in ('sc query W3SVC ^| findstr STATE') do echo %i",
		"echo x > \"%TEMP%\\winplay.txt\"",
		"echo x > C:\\WINNT\\Temp\\winplay.txt",
		"echo x >> \"C:\\WINNT\\Temp\\a b.txt\"",
		"echo 100%",
		"echo 50% & echo done",
		"type nul > C:\\WINNT\\Temp\\empty.bin",
		"certutil -encode C:\\boot.ini C:\\WINNT\\Temp\\boot.b64",
		"mkdir C:\\WINNT\\Temp\\winplay-x",
		"copy C:\\boot.ini C:\\WINNT\\Temp\\boot.ini",
		"dir/b C:\\",
		"cd\\",
		"echo.",
		"ver",
		"date /t",
		"set",
		"net user",
		"net accounts",
		"net share",
		"reg export HKLM\\SOFTWARE\\x C:\\WINNT\\Temp\\x.reg /y",
		"ipconfig /all",
		"tasklist",
		"powershell -NoProfile -NonInteractive -EncodedCommand " + win.EncodeCommand("Get-CimInstance Win32_OperatingSystem | Select-Object LastBootUpTime | ConvertTo-Json"),
		"powershell -Command \"Get-Service W3SVC | Select-Object -ExpandProperty Status\"",
		"powershell -nop -c \"$os = Get-CimInstance Win32_OperatingSystem; @{boot = $os.LastBootUpTime.ToUniversalTime().ToString('o'); root = $env:SystemRoot} | ConvertTo-Json -Compress\"",
		"powershell -Command \"Get-ChildItem C:\\ | Where-Object { $_.Length -gt 0 } | ForEach-Object { $_.Name.ToLower() }\"",
		"powershell -Command \"[Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes('x'))\"",
		"powershell -Command \"Get-Item x 2>$null\"",
	} {
		v := readonly.Classify(line, nil)
		assert.True(t, v.ReadOnly, "%s: %s", line, v)
	}
}

func TestVerdictSaysWhichPartAndWhy(t *testing.T) {
	v := readonly.Classify("sc query W3SVC & if 1==1 sc stop W3SVC", nil)
	assert.False(t, v.ReadOnly)
	assert.True(t, v.Known)
	assert.Equal(t, "sc stop W3SVC", v.Part)
	assert.Equal(t, "sc stop changes the host", v.Why)
	assert.Equal(t, "change: `sc stop W3SVC`: sc stop changes the host", v.String())

	v = readonly.Classify("myprog --status", nil)
	assert.False(t, v.Known, "an unknown program is unproven, not known to change")
	assert.Contains(t, v.String(), "unproven: `myprog --status`")
}

// A host's own scratch directories replace the defaults.
func TestScratchComesFromTheHost(t *testing.T) {
	opts := &readonly.Options{Scratch: []string{`D:\Temp`}}
	assert.True(t, readonly.Classify(`echo x > D:\Temp\f`, opts).ReadOnly)
	assert.False(t, readonly.Classify(`echo x > C:\WINNT\Temp\f`, opts).ReadOnly)
	assert.False(t, readonly.Classify(`echo x > D:\Tempfoo\f`, opts).ReadOnly)
}

// The fixed PowerShell scripts modules send where a tool is gone: the
// ones that read are proven read-only, with their arguments set in the
// prologue, and the ones that change are not.
func TestTheModulesPowerShellScriptsAreClassified(t *testing.T) {
	changing := map[string]bool{
		"cluster-group-move": true, "cluster-group-state": true,
		"cluster-resource-restart-action": true, "cluster-resource-state": true,
	}
	for _, name := range win.ScriptNames() {
		line, err := win.LoadScript(name).Line(win.Arg{Name: "Name", Value: `CORP\x'y`}, win.Arg{Name: "Path", Value: `C:\a b`},
			win.Arg{Name: "Sid", Value: "S-1-5-32-544"}, win.Arg{Name: "Node", Value: "NODE2"}, win.Arg{Name: "State", Value: "online"},
			win.Arg{Name: "RestartAction", Value: "1"})
		require.NoError(t, err)
		v := readonly.Classify(line, nil)
		assert.Equal(t, !changing[name], v.ReadOnly, "%s: %s", name, v)
	}
}
