package lab_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/internal/realclient"
)

// TestPywinrmMeetsUACRemoteRestrictions: pywinrm, logging on as the lab's
// user (a local administrator other than the built-in one) to a Server
// 2022 host that keeps UAC's remote restrictions, fails at open_shell
// with what pywinrm raises for a 401, verbatim as diyan/pywinrm#188
// reports it from a Server 2012 R2 host; nothing runs. Once an
// administrator at the console sets LocalAccountTokenFilterPolicy to 1,
// the same logon works.
func TestPywinrmMeetsUACRemoteRestrictions(t *testing.T) {
	realclient.Pywinrm(t)
	for name, tc := range map[string]struct {
		cfg                   lab.Config
		transport, encryption string
	}{
		"ntlm-sealed/http": {lab.Config{NTLM: true, RefuseUnencrypted: true}, "ntlm", "auto"},
		"basic/https":      {lab.Config{Basic: true, HTTPS: true}, "basic", "auto"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tc.cfg.Hosts = []lab.HostSpec{{Name: "node1", OS: "2022", UACRemoteRestrictions: true}}
			l := labtest.StartConfig(t, tc.cfg)
			h := l.Host("node1")
			target := realclient.Target{Endpoint: h.Endpoint(), Transport: tc.transport, Encryption: tc.encryption,
				User: lab.DefaultUser, Password: lab.DefaultPassword, CAPEM: l.CACertPEM()}

			_, err := realclient.TryPywinrm(t, target, "hostname")
			var pe *realclient.PywinrmError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "InvalidCredentialsError", pe.Type)
			assert.Equal(t, "the specified credentials were rejected by the server", pe.Message)
			assert.Empty(t, h.Log())
			assert.Zero(t, h.Server().Shells())

			labtest.Exec(t, h, `reg add HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System /v LocalAccountTokenFilterPolicy /t REG_DWORD /d 1 /f`)
			out := realclient.RunPywinrm(t, target, "hostname")
			assert.Equal(t, "NODE1\r\n", out[0].Stdout)
		})
	}
}
