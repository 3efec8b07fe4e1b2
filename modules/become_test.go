package modules_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/modules"
)

func becomeRun(t *testing.T, h modules.Host, line string, changes bool) (modules.Output, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return h.Run(ctx, modules.Command{Line: line, Changes: changes})
}

// TestBecomeGetsPastTheDoubleHop: over NTLM, IISSYNC on node1 is refused
// by node2 (status 5); run through become, as a scheduled task that logs
// on with the password, it reaches node2. Output and exit codes come back
// as the command left them, and the task and its files are gone after.
func TestBecomeGetsPastTheDoubleHop(t *testing.T) {
	l := labtest.Start(t)
	c := labtest.Connect(t, l, "node1")
	const iissync = `%windir%\system32\inetsrv\iissync.exe NODE2`
	out, err := becomeRun(t, c, iissync, true)
	require.NoError(t, err)
	assert.Equal(t, 5, out.ExitCode, "over NTLM the session cannot reach node2")

	as := modules.BecomeHost(c, modules.Become{User: lab.DefaultUser, Password: lab.DefaultPassword}, 10*time.Millisecond)
	out, err = becomeRun(t, as, iissync, true)
	require.NoError(t, err)
	assert.Equal(t, 0, out.ExitCode, out.Stdout+out.Stderr)
	assert.Contains(t, out.Stdout, "IISSYNC completed with status 0.")

	out, err = becomeRun(t, as, `echo to stdout & echo to stderr 1>&2 & exit /b 3`, true)
	require.NoError(t, err)
	assert.Equal(t, 3, out.ExitCode)
	assert.Equal(t, "to stdout \r\n", out.Stdout)
	assert.Equal(t, "to stderr  \r\n", out.Stderr)

	// A copy from the other node's administrative share too.
	labtest.Exec(t, l.Host("node2"), `echo settings> C:\WINNT\Temp\app.config`)
	const copyUNC = `copy /y \\node2\C$\WINNT\Temp\app.config C:\app.config`
	out, err = becomeRun(t, c, copyUNC, true)
	require.NoError(t, err)
	assert.Equal(t, 1, out.ExitCode)
	assert.Equal(t, "Access is denied.\r\n", out.Stderr)
	out, err = becomeRun(t, as, copyUNC, true)
	require.NoError(t, err)
	assert.Equal(t, 0, out.ExitCode, out.Stderr)
	assert.Equal(t, "        1 file(s) copied.\r\n", out.Stdout)

	left, err := becomeRun(t, c, `schtasks /query & dir /b %SystemRoot%\Temp\winplay-become-*`, false)
	require.NoError(t, err)
	assert.NotContains(t, left.Stdout, "winplay-become-", "no task or file is left behind")
}

func TestBecomeWithAWrongPasswordSaysSo(t *testing.T) {
	l := labtest.Start(t)
	as := modules.BecomeHost(labtest.Connect(t, l, "node1"), modules.Become{User: "lab", Password: "Wrong-Pass1"}, 10*time.Millisecond)
	_, err := becomeRun(t, as, "hostname", true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ERROR: The user name or password is incorrect.")
	assert.Contains(t, err.Error(), "/rp ********")
	assert.NotContains(t, err.Error(), "Wrong-Pass1")
}

func TestBecomeValidate(t *testing.T) {
	assert.NoError(t, modules.Become{User: `CORP\svc-iis`, Password: "P@ss w0rd!"}.Validate())
	for _, b := range []modules.Become{{User: "", Password: "x"}, {User: "a", Password: ""}, {User: `a"b`, Password: "x"}} {
		assert.Error(t, b.Validate(), "%+v", b)
	}
	err := modules.Become{User: "svc", Password: "50%off"}.Validate()
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "50%off")
	assert.True(t, strings.Contains(err.Error(), "svc"))
}

// BenchmarkBecome is what become costs a changing command in the lab:
// the median per command run in the WinRM session and through a
// scheduled task (about six round trips and the task's start):
//
//	go test ./modules -run '^$' -bench Become -benchtime 200x
func BenchmarkBecome(b *testing.B) {
	l := labtest.Start(b)
	c := labtest.Connect(b, l, "node1")
	for name, h := range map[string]modules.Host{
		"session": c,
		"become":  modules.BecomeHost(c, modules.Become{User: lab.DefaultUser, Password: lab.DefaultPassword}, time.Millisecond),
	} {
		b.Run(name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				out, err := h.Run(context.Background(), modules.Command{Line: `echo x> C:\becomebench.txt`, Changes: true})
				took = append(took, time.Since(start))
				if err != nil || out.ExitCode != 0 {
					b.Fatalf("%v %+v", err, out)
				}
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "median-ms/cmd")
		})
	}
}
