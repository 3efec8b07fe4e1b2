package win

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winplay/winplay/lab/wsman"
)

const notRecognized = "'%s' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"

func TestInterpreter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, line string
		out, err   string
		code       int
	}{
		{"echo", `echo hello world`, "hello world\r\n", "", 0},
		{"echo keeps quotes and blanks", `echo "a b"  c`, "\"a b\"  c\r\n", "", 0},
		{"ampersand runs both", `echo a & echo b`, "a \r\nb\r\n", "", 0},
		{"and runs after success", `echo a&&echo b`, "a\r\nb\r\n", "", 0},
		{"and skips after failure", `cmd /c exit 3 && echo no`, "", "", 3},
		// echo leaves ERRORLEVEL alone, so the line still exits 3.
		{"or runs after failure", `cmd /c exit 3 || echo yes`, "yes\r\n", "", 3},
		{"or skips after success", `echo a|| echo no`, "a\r\n", "", 0},
		{"caret escapes", `echo a ^& b`, "a & b\r\n", "", 0},
		{"quotes protect operators", `echo "a & b"`, "\"a & b\"\r\n", "", 0},
		{"percent expansion", `echo %COMPUTERNAME% %windir%`, "NODE1 C:\\WINNT\r\n", "", 0},
		{"expansion inside quotes", `echo "%SystemRoot%\system32"`, "\"C:\\WINNT\\system32\"\r\n", "", 0},
		{"undefined stays", `echo %NOPE%`, "%NOPE%\r\n", "", 0},
		{"expansion happens before set runs", `set X=1& echo [%X%]`, "[%X%]\r\n", "", 0},
		{"substring", `echo %COMPUTERNAME:~0,4%`, "NODE\r\n", "", 0},
		{"exit /b", `exit /b 7`, "", "", 7},
		{"exit stops the line", `exit /b 7 & echo no`, "", "", 7},
		{"nested cmd exit", `cmd /c "exit /b 4"`, "", "", 4},
		{"unknown command", `nosuch arg`, "", fmt.Sprintf(notRecognized, "nosuch"), 9009},
		{"stderr to stdout", `nosuch 2>&1`, fmt.Sprintf(notRecognized, "nosuch"), "", 9009},
		{"stderr to nul", `nosuch 2>nul`, "", "", 9009},
		{"stdout to nul", `echo hidden >nul`, "", "", 0},
		{"quoted program path", `"C:\WINNT\system32\hostname.exe"`, "NODE1\r\n", "", 0},
		{"program found on PATH", `hostname.exe`, "NODE1\r\n", "", 0},
		{"if exist", `if exist "C:\WINNT\system32" echo present`, "present\r\n", "", 0},
		{"if exist missing", `if exist "C:\nope" echo present`, "", "", 0},
		{"if not exist", `if not exist C:\nope echo absent`, "absent\r\n", "", 0},
		{"if exist wildcard", `if exist C:\WINNT\system32\*.exe echo tools`, "tools\r\n", "", 0},
		{"if else", `if exist C:\nope (echo yes) else (echo no)`, "no\r\n", "", 0},
		{"if command runs to the end of the line", `if exist C:\nope echo a & echo b`, "", "", 0},
		{"if errorlevel", `cmd /c exit 2 & if errorlevel 2 echo failed& exit /b 5`, "failed\r\n", "", 5},
		{"if errorlevel below", `cmd /c exit 1 & if errorlevel 2 echo failed& exit /b 5`, "", "", 1},
		{"if /i compare", `if /i "A"=="a" echo same`, "same\r\n", "", 0},
		{"if compare is case-sensitive", `if "A"=="a" echo same`, "", "", 0},
		{"if numbers", `if 10 GTR 9 echo bigger`, "bigger\r\n", "", 0},
		{"if strings", `if "10" GTR "9" echo bigger`, "", "", 0},
		{"if defined", `if defined windir echo defined`, "defined\r\n", "", 0},
		{"if without command", `if 1==1`, "", "The syntax of the command is incorrect.\r\n", 255},
		{"block", `(echo a & echo b)`, "a \r\nb\r\n", "", 0},
		{"unbalanced block", `(echo a`, "", "The syntax of the command is incorrect.\r\n", 255},
	}
	m := newHost(t, ProfileNode)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(m, tt.line)
			assert.Equal(t, tt.out, r.out, "stdout")
			assert.Equal(t, tt.err, r.err, "stderr")
			assert.Equal(t, tt.code, r.code, "exit code")
		})
	}
}

func TestLineLengthLimit(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	fits := "echo " + strings.Repeat("x", maxLine-len("echo "))
	r := run(m, fits)
	require.Equal(t, 0, r.code)
	assert.Len(t, r.out, maxLine-len("echo ")+2)

	r = run(m, fits+"x")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "", r.out)
	assert.Equal(t, "The command line is too long.\r\n", r.err)

	// The limit applies again after expansion.
	r = run(m, "echo "+strings.Repeat("x", maxLine-20)+"%windir%%windir%%windir%")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "The command line is too long.\r\n", r.err)
}

func TestRedirection(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	mustRun(t, m, `echo one> C:\WINNT\Temp\f.txt`)
	mustRun(t, m, `echo two>> C:\WINNT\Temp\f.txt`)
	assert.Equal(t, "one\r\ntwo\r\n", mustRun(t, m, `type C:\WINNT\Temp\f.txt`).out)

	mustRun(t, m, `echo three> C:\WINNT\Temp\f.txt`)
	assert.Equal(t, "three\r\n", mustRun(t, m, `type C:\WINNT\Temp\f.txt`).out, "> truncates")

	mustRun(t, m, `(echo a& echo b) > C:\WINNT\Temp\block.txt`)
	assert.Equal(t, "a\r\nb\r\n", mustRun(t, m, `type C:\WINNT\Temp\block.txt`).out)

	r := run(m, `type C:\nope > C:\WINNT\Temp\err.txt 2>&1`)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "", r.err)
	assert.Equal(t, "The system cannot find the file specified.\r\n", mustRun(t, m, `type C:\WINNT\Temp\err.txt`).out)

	r = run(m, `echo x > C:\nodir\f.txt`)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "The system cannot find the path specified.\r\n", r.err)
	assert.Equal(t, "", r.out, "the command does not run when its redirection fails")
}

func TestDirectProcessSkipsTheShell(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	r := execProc(m, &wsman.Process{Line: `hostname & echo x`, SkipCmdShell: true})
	assert.Equal(t, 0, r.code)
	assert.Equal(t, "NODE1\r\n", r.out, "no & without cmd.exe")
	r = execProc(m, &wsman.Process{Line: `echo x`, SkipCmdShell: true})
	assert.Equal(t, errFileNotFound, r.code, "echo is a cmd.exe built-in")
}

func TestFileBuiltins(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	mustRun(t, m, `mkdir C:\app\conf\sub`)
	r := run(m, `mkdir C:\app\conf\sub`)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "A subdirectory or file C:\\app\\conf\\sub already exists.\r\n", r.err)

	mustRun(t, m, `echo key=value> C:\app\conf\a.ini`)
	mustRun(t, m, `md "C:\app\with space"`)
	assert.Equal(t, "a.ini\r\nsub\r\n", mustRun(t, m, `dir /b C:\app\conf`).out)
	assert.Equal(t, "a.ini\r\n", mustRun(t, m, `dir /b C:\app\conf\*.ini`).out)
	out := mustRun(t, m, `dir C:\app\conf`).out
	assert.Contains(t, out, " Directory of C:\\app\\conf\r\n")
	assert.Contains(t, out, "               1 File(s)             11 bytes\r\n")
	r = run(m, `dir /b C:\app\conf\*.txt`)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "File Not Found\r\n", r.err)

	assert.Equal(t, "        1 file(s) copied.\r\n", mustRun(t, m, `copy C:\app\conf\a.ini "C:\app\with space"`).out)
	assert.Equal(t, "key=value\r\n", mustRun(t, m, `type "C:\app\with space\a.ini"`).out)
	mustRun(t, m, `echo other> C:\app\b.ini`)
	r = mustRun(t, m, `copy C:\app\b.ini C:\app\conf\a.ini`)
	assert.Contains(t, r.out, "Overwrite C:\\app\\conf\\a.ini? (Yes/No/All):")
	assert.Equal(t, "key=value\r\n", mustRun(t, m, `type C:\app\conf\a.ini`).out, "nobody answers the prompt")
	mustRun(t, m, `copy /y C:\app\b.ini C:\app\conf\a.ini`)
	assert.Equal(t, "other\r\n", mustRun(t, m, `type C:\app\conf\a.ini`).out)

	mustRun(t, m, `del /q C:\app\conf\a.ini`)
	r = run(m, `type C:\app\conf\a.ini`)
	assert.Equal(t, 1, r.code)
	r = mustRun(t, m, `del C:\app\conf\a.ini`)
	assert.Equal(t, "Could Not Find C:\\app\\conf\\a.ini\r\n", r.err)

	mustRun(t, m, `type nul > C:\app\empty.txt`)
	assert.Equal(t, 0, m.Dump().Files[`C:\app\empty.txt`].Size)

	r = run(m, `del /q D:\SP6\UPDATE.EXE`)
	assert.Contains(t, r.err, "Access is denied.", "the CD is read-only")
}

func TestCertutil(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	payload := []byte("MZ\x00\x01 binary payload with CRLF\r\n and more")
	enc := base64.StdEncoding.EncodeToString(payload)
	mustRun(t, m, `type nul > C:\WINNT\Temp\p.b64`)
	for len(enc) > 0 {
		n := min(len(enc), 16)
		mustRun(t, m, "echo "+enc[:n]+`>> C:\WINNT\Temp\p.b64`)
		enc = enc[n:]
	}
	r := mustRun(t, m, `certutil -decode C:\WINNT\Temp\p.b64 C:\app.bin`)
	assert.Contains(t, r.out, "CertUtil: -decode command completed successfully.")
	st := m.Dump()
	require.Contains(t, st.Files, `C:\app.bin`)
	assert.Equal(t, len(payload), st.Files[`C:\app.bin`].Size)

	r = run(m, `certutil -decode C:\WINNT\Temp\p.b64 C:\app.bin`)
	assert.Equal(t, int(hrFileExists.code), r.code, "needs -f to overwrite")
	mustRun(t, m, `certutil -f -decode C:\WINNT\Temp\p.b64 C:\app.bin`)

	r = mustRun(t, m, `certutil -hashfile C:\app.bin SHA256`)
	lines := strings.Split(r.out, "\r\n")
	require.Len(t, lines, 4)
	assert.Equal(t, `SHA256 hash of C:\app.bin:`, lines[0])
	assert.Equal(t, st.Files[`C:\app.bin`].SHA256, lines[1])
	assert.Equal(t, "CertUtil: -hashfile command completed successfully.", lines[2])

	mustRun(t, m, `echo not base64!> C:\WINNT\Temp\bad.b64`)
	r = run(m, `certutil -decode C:\WINNT\Temp\bad.b64 C:\WINNT\Temp\bad.bin`)
	assert.Equal(t, int(hrBadData.code), r.code)
}

func TestLogChangesFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line    string
		changes bool
	}{
		{`sc query Spooler`, false},
		{`sc qc Spooler`, false},
		{`sc stop Spooler`, true},
		{`sc config Spooler start= demand`, true},
		{`reg query HKLM\SOFTWARE\Microsoft\Ole`, false},
		{`reg add HKLM\SOFTWARE\X /v Y /d Z /f`, true},
		{`type C:\WINNT\system32\ntoskrnl.exe`, false},
		{`dir C:\`, false},
		{`echo hi`, false},
		{`echo hi> C:\WINNT\Temp\scratch.txt`, false},
		{`echo hi> C:\out.txt`, true},
		{`mkdir C:\WINNT\Temp\d`, false},
		{`mkdir C:\d`, true},
		{`net localgroup Guests`, false},
		{`net localgroup Guests Guest /delete`, true},
		{`net stop Spooler`, true},
		{`wmic os get lastbootuptime /value`, false},
		{`shutdown /a`, true},
		{`cluster group`, false},
		{`cluster resource MSDTC /prop`, false},
		{`cluster resource MSDTC /prop RestartAction=1`, true},
		{`cluster group "Web Group" /move:NODE1`, true},
		{`secedit /export /cfg C:\WINNT\Temp\r.inf /areas USER_RIGHTS`, false},
		{`secedit /export /cfg C:\r.inf /areas USER_RIGHTS`, true},
		{`msdtc -resetlog`, true},
		{`cmd /c sc query Spooler`, false},
		{`cmd /c "sc query Spooler & sc start Spooler"`, true},
		{`nosuch`, false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			t.Parallel()
			m := newHost(t, ProfileNode)
			m.ClearLog()
			run(m, tt.line)
			log := m.Log()
			require.NotEmpty(t, log)
			assert.Equal(t, tt.changes, log[0].Changes)
			assert.Equal(t, tt.line, log[0].Line)
		})
	}
}

func TestLogRecordsEachSimpleCommand(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	m.ClearLog()
	run(m, `sc query Spooler >nul && nosuch || echo done`)
	log := m.Log()
	require.Len(t, log, 3)
	assert.Equal(t, "sc", log[0].Tool)
	assert.Equal(t, []string{"sc", "query", "Spooler"}, log[0].Argv)
	assert.Equal(t, []Redirect{{Handle: 1, Op: ">", Target: "nul"}}, log[0].Redirects)
	assert.Equal(t, "", log[1].Tool)
	assert.Equal(t, 9009, log[1].ExitCode)
	assert.Equal(t, "echo", log[2].Tool)
	assert.Equal(t, "cmd", log[2].Shell)
}
