package labtest

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/modules/readonly"
)

// LabScratch is the lab's only scratch directory (lab/TOOLS.md), as the
// classifier takes it.
var LabScratch = &readonly.Options{Scratch: []string{`C:\WINNT\Temp`}}

// labAtoms are simple commands of the tools the lab simulates, reading
// and changing, with arguments of every kind the classifier decides on.
var labAtoms = []string{
	"hostname", "whoami", "ver", "echo hi", "echo.", "type C:\\boot.ini", "dir C:\\", "set",
	"sc query W3SVC", "sc qc W3SVC", "sc queryex Spooler", "sc stop W3SVC", "sc start Spooler",
	"sc config W3SVC start= demand", "sc getdisplayname W3SVC", "sc enumdepend RPCSS",
	"net start", "net stop W3SVC", "net localgroup Guests", "net localgroup Guests CORP\\x /add",
	"net localgroup /add", "net user", "net localgroup Guests Guest /delete",
	"reg query HKLM\\SOFTWARE\\Microsoft", "reg add HKLM\\SOFTWARE\\winplay /v x /d y /f",
	"reg export HKLM\\SOFTWARE\\Microsoft\\InetStp C:\\WINNT\\Temp\\x.reg", "reg export HKLM\\SOFTWARE\\Microsoft C:\\x.reg",
	"reg delete HKLM\\SOFTWARE\\winplay /f",
	"wmic os get lastbootuptime /value", "wmic service where name='W3SVC' call stopservice",
	"wmic useraccount get name,sid /value",
	"cluster group", "cluster group \"Web Group\"", "cluster group \"Web Group\" /move:NODE2",
	"cluster resource", "cluster resource MSDTC /prop", "cluster resource MSDTC /prop RestartAction=1",
	"cluster node NODE1 /status", "cluster resource MSDTC /offline",
	"certutil -hashfile C:\\boot.ini SHA256", "certutil -encode C:\\boot.ini C:\\WINNT\\Temp\\b.b64",
	"certutil -encode C:\\boot.ini C:\\b.b64", "certutil -f -decode C:\\WINNT\\Temp\\b.b64 C:\\x.bin",
	"secedit /export /cfg C:\\WINNT\\Temp\\r.inf /areas USER_RIGHTS", "secedit /export /cfg C:\\r.inf /areas USER_RIGHTS",
	"mkdir C:\\WINNT\\Temp\\d", "mkdir C:\\d", "del /q C:\\WINNT\\Temp\\b.b64", "del /q C:\\boot.ini",
	"copy C:\\boot.ini C:\\WINNT\\Temp\\b", "copy C:\\boot.ini C:\\b", "rd /s /q C:\\WINNT\\Temp\\d",
	"findstr boot C:\\boot.ini", "more C:\\boot.ini", "shutdown /a",
	"cmd /c sc query W3SVC", "cmd /c sc stop W3SVC", "cmd /c \"sc query W3SVC & sc stop W3SVC\"",
	"powershell -Command Write-Output hi", "powershell -Command Remove-Item C:\\boot.ini",
	"msdtc -remove", "exit /b 0",
}

// labWraps put a command in the constructs cmd.exe reads specially.
var labWraps = []string{
	"%s", "@%s", "(%s)", "if 1==1 %s", "if exist C:\\boot.ini %s", "if not exist C:\\boot.ini (%s) else (%s)",
	"cmd /c %s", "cmd /c \"%s\"", "%s >nul", "%s > C:\\WINNT\\Temp\\o.txt", "%s > C:\\o.txt",
	"%s 2>&1", "%s 2>nul", "%s >>C:\\WINNT\\Temp\\o.txt", "(%s) >C:\\o.txt",
}

var labOps = []string{" & ", " && ", " || ", " | ", "&"}

// GenLines makes n random lines from the lab's commands, cmd.exe's
// constructs, operators and carets, the same for the same seed.
func GenLines(seed uint64, n int) []string {
	r := rand.New(rand.NewPCG(seed, 9))
	lines := make([]string, n)
	for i := range lines {
		lines[i] = genLine(r)
	}
	return lines
}

func genLine(r *rand.Rand) string {
	n := 1 + r.IntN(3)
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(labOps[r.IntN(len(labOps))])
		}
		atom := labAtoms[r.IntN(len(labAtoms))]
		if r.IntN(4) == 0 {
			atom = caret(r, atom)
		}
		wrap := labWraps[r.IntN(len(labWraps))]
		b.WriteString(strings.ReplaceAll(wrap, "%s", atom))
	}
	return b.String()
}

// caret escapes a random letter of the command's first word, which
// cmd.exe removes again.
func caret(r *rand.Rand, atom string) string {
	end := strings.IndexByte(atom, ' ')
	if end < 0 {
		end = len(atom)
	}
	i := r.IntN(end)
	return atom[:i] + "^" + atom[i:]
}

// DirectHost is a fresh lab machine (node1 of a two-node cluster) that a
// test runs lines on directly, without WinRM.
func DirectHost(t testing.TB) *win.Machine {
	t.Helper()
	n, err := win.NewClusterNetwork("node1", "node2")
	require.NoError(t, err)
	timing := win.Timing{Second: time.Millisecond, Grace: time.Millisecond, Pending: time.Millisecond, Install: time.Millisecond}
	m, err := n.NewMachine(win.Config{Name: "node1", Timing: timing})
	require.NoError(t, err)
	_, err = n.NewMachine(win.Config{Name: "node2", Timing: timing})
	require.NoError(t, err)
	return m
}

// LabDisagrees runs a line the classifier proved read-only on m and says
// how the lab disagrees: a log entry marked changing, or a state that
// differs afterwards; "" when it agrees.
func LabDisagrees(t testing.TB, m *win.Machine, line string) string {
	t.Helper()
	before := m.Dump()
	m.ClearLog()
	var out, errs strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m.Exec(ctx, &wsman.Process{Line: line, Stdout: &out, Stderr: &errs, Stdin: strings.NewReader("")})
	for _, e := range m.Log() {
		if labUnjudged[e.Tool] {
			return "" // the lab does not simulate it, and marks it changing unseen
		}
	}
	return StateChange(m, before)
}

// StateChange says how m changed since before, by its command log (an
// entry marked changing) or its state; "" when it did not.
func StateChange(m *win.Machine, before win.State) string {
	for _, e := range m.Log() {
		if e.Changes {
			return "the lab marked `" + e.Command + "` as changing"
		}
	}
	after := m.Dump()
	before.LastBoot, after.LastBoot = time.Time{}, time.Time{}
	if !reflect.DeepEqual(before, after) {
		return "the lab's state changed"
	}
	return ""
}

// labUnjudged are the built-ins the lab does not simulate: it marks them
// changing whatever their arguments (lab/win/builtins.go), so its mark is
// no judgement of the classifier.
var labUnjudged = map[string]bool{
	"assoc": true, "break": true, "call": true, "color": true, "date": true, "dpath": true, "endlocal": true,
	"for": true, "ftype": true, "goto": true, "mklink": true, "move": true, "path": true, "pause": true,
	"popd": true, "prompt": true, "pushd": true, "ren": true, "rename": true, "setlocal": true,
	"shift": true, "start": true, "time": true, "verify": true, "vol": true,
}

// DiffStats count a differential run.
type DiffStats struct{ Lines, Proven, Disagreed int }

// Differential classifies n generated lines and runs each one proven
// read-only on a lab host; it returns the counts and the disagreements.
func Differential(t testing.TB, seed uint64, n int) (DiffStats, []string) {
	t.Helper()
	m := DirectHost(t)
	var st DiffStats
	var bad []string
	for _, line := range GenLines(seed, n) {
		st.Lines++
		if !readonly.Classify(line, LabScratch).ReadOnly {
			continue
		}
		st.Proven++
		if why := LabDisagrees(t, m, line); why != "" {
			st.Disagreed++
			bad = append(bad, line+": "+why)
		}
	}
	return st, bad
}

// directHost runs commands on a lab machine directly, without WinRM: a
// module's reads in microseconds, for sweeps that run many.
type directHost struct {
	name string
	m    *win.Machine
}

func (h directHost) Name() string { return h.name }
func (h directHost) Reset()       {}

func (h directHost) Run(ctx context.Context, cmd modules.Command) (modules.Output, error) {
	var out, errs strings.Builder
	code := h.m.Exec(ctx, &wsman.Process{Line: cmd.Line, Stdout: &out, Stderr: &errs, Stdin: strings.NewReader("")})
	return modules.Output{Stdout: out.String(), Stderr: errs.String(), ExitCode: code}, nil
}

// DirectTask is a module task on lab machine m, run directly, behind the
// check-mode guard.
func DirectTask(m *win.Machine, check bool) *modules.Task {
	return &modules.Task{
		Host: &Guard{Host: directHost{name: strings.ToLower(m.Name()), m: m}, Check: check}, Target: m.Name(), Check: check,
		Timing: Modules,
	}
}
