package lab_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/internal/realclient"
)

// TestPywinrmWmicWithAPipedStdin: pywinrm telling the host its input is a
// pipe (console_mode_stdin=False, as winrs does when its own input is a
// pipe) and never closing it gets no answer from wmic, as rundeck#2511
// saw through winrs; `< nul` answers at once, and so does wmic when the
// client says its input is a console (pywinrm's default).
func TestPywinrmWmicWithAPipedStdin(t *testing.T) {
	realclient.Pywinrm(t)
	t.Parallel()
	l := labtest.StartConfig(t, lab.Config{Hosts: []lab.HostSpec{{Name: "node1", OS: "2012r2"}}, Basic: true})
	h := l.Host("node1")
	const wmic = `wmic os get lastbootuptime /value`
	target := realclient.Target{Endpoint: h.Endpoint(), Transport: "basic", Encryption: "never",
		User: lab.DefaultUser, Password: lab.DefaultPassword}

	piped := target
	piped.PipedStdin = true
	waiting := piped
	waiting.CommandTimeoutSec = 2
	_, err := realclient.TryPywinrm(t, waiting, wmic)
	var pe *realclient.PywinrmError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "CommandTimeout", pe.Type, pe.Message)

	out := realclient.RunPywinrm(t, piped, wmic+` < nul`)
	assert.Equal(t, 0, out[0].Code, out[0].Stderr)
	assert.Contains(t, out[0].Stdout, "LastBootUpTime=")

	out = realclient.RunPywinrm(t, target, wmic)
	assert.Equal(t, 0, out[0].Code, out[0].Stderr)
	assert.Contains(t, out[0].Stdout, "LastBootUpTime=")
}
