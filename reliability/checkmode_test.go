package reliability_test

import (
	"context"
	"os"
	"testing"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/modules"
	mwin "github.com/winplay/winplay/modules/win"
	"github.com/winplay/winplay/runner"
)

const checkArea = "check-mode sweep"

// changingForms are command lines that change a host, written as the
// issue's hostile tester wrote them to get past a simple reading, and as
// cmd.exe lets anyone hide a command.
var changingForms = []string{
	"sc stop W3SVC", "cmd /c sc stop W3SVC", `cmd /c "sc stop W3SVC"`, "cmd /csc stop W3SVC",
	`cmd /s /c "sc query W3SVC & sc stop W3SVC"`, "cmd /c cmd /c sc stop W3SVC",
	"if 1==1 sc stop W3SVC", `if /i "a"=="A" sc stop W3SVC`, `if exist C:\boot.ini (sc stop W3SVC) else (echo no)`,
	"(sc stop W3SVC)", "(sc query W3SVC & (sc stop W3SVC))", "@sc stop W3SVC", "s^c stop W3SVC", "sc st^op W3SVC",
	"sc query W3SVC & sc stop W3SVC", "sc query W3SVC && sc stop W3SVC", "sc query NoSuch || sc stop W3SVC",
	"sc query W3SVC | sc stop W3SVC", "net stop W3SVC", "net start Spooler", "sc config W3SVC start= disabled",
	"net localgroup Guests CORP\\IUSR_CLUSTER /add", "net localgroup /add", `reg add HKLM\SOFTWARE\winplay /v x /d y /f`,
	`reg delete HKLM\SOFTWARE\Microsoft\InetStp /f`, `reg export HKLM\SOFTWARE\Microsoft C:\x.reg`,
	"wmic service where name='W3SVC' call stopservice", `cluster group "Web Group" /move:NODE2`,
	`cluster resource MSDTC /prop RestartAction=1`, "cluster resource MSDTC /offline",
	`certutil -encode C:\boot.ini C:\x.b64`, `certutil -f -decode C:\WINNT\Temp\a.b64 C:\x.bin`,
	`secedit /export /cfg C:\x.inf /areas USER_RIGHTS`, `echo x > C:\boot.ini`, `echo x >> C:\x.txt`,
	`(echo x) > C:\x.txt`, `echo x > "C:\WINNT\Temp\..\x.txt"`, `type C:\boot.ini > C:\copy.ini`,
	`del /q C:\boot.ini`, `del C:\WINNT\Temp\..\boot.ini`, `mkdir C:\inetpub\x`, `copy C:\boot.ini C:\x.ini`,
	"shutdown /a", "msdtc -remove", "powershell -Command Remove-Item C:\\boot.ini",
	"powershell -EncodedCommand " + mwin.EncodeCommand("Remove-Item C:\\boot.ini"),
	"for /f %i in ('sc stop W3SVC') do echo %i", "call sc stop W3SVC", "start /b /wait sc stop W3SVC",
	"rem & sc stop W3SVC", "sc %VERB% W3SVC", "echo %COMSPEC% & hostname",
}

// In a dry run a line that changes anything is refused, however it is
// written, even when a module (or a playbook's read_only) calls it a
// read; and the lines the classifier lets through change nothing.
func TestCheckModeSweep(t *testing.T) {
	t.Parallel()
	m := labtest.DirectHost(t)
	task := labtest.DirectTask(m, true)
	for _, line := range changingForms {
		before := m.Dump()
		m.ClearLog()
		_, err := task.Run(context.Background(), modules.Command{Line: line}) // marked a read
		why := labtest.StateChange(m, before)
		if why == "" && err == nil {
			why = "it ran in check mode"
		}
		try(t, checkArea, why == "", "%s: %s", line, why)
	}
	// The lines a dry run lets through, held to the lab's marking.
	st, bad := labtest.Differential(t, 7, 1200)
	for i := 0; i < st.Proven; i++ {
		try(t, checkArea, i >= len(bad), "%v", bad)
	}
}

// Every module in a dry run, through every way it reaches a host (its
// own, on, a peer, the reboot meta-argument): the lab logs no change and
// its state is the same.
func TestCheckModeSweepEveryModule(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"}, lab.HostSpec{Name: "node2", Profile: "rebuilt"})
	before := map[string]win.State{}
	for _, h := range l.Hosts() {
		before[h.Name()] = h.Dump()
		h.Machine().ClearLog()
	}
	src, err := os.ReadFile("../testdata/playbooks/e2e/check-every-module.hcl")
	if err != nil {
		t.Fatal(err)
	}
	r := runPlaybook(t, timeout(t), labtest.Inventory(t, l), string(src), runner.Options{Check: true})
	why := ""
	for _, h := range l.Hosts() {
		if w := labtest.StateChange(h.Machine(), before[h.Name()]); w != "" {
			why = h.Name() + ": " + w
		}
	}
	seen := map[string]bool{}
	for _, ev := range r.rec.events {
		if ev.Type == runner.EventTaskResult && !seen[ev.Task] {
			seen[ev.Task] = true
			bad := why
			if bad == "" && ev.Status == "failed" {
				bad = ev.Error
			}
			try(t, checkArea, bad == "", "%s (%s): %s", ev.Task, ev.Module, bad)
		}
	}
	for _, name := range modules.Names() {
		covered := false
		for _, ev := range r.rec.events {
			covered = covered || ev.Type == runner.EventTaskResult && ev.Module == name
		}
		try(t, checkArea, covered, "module %s has no task in the dry run", name)
	}
}
