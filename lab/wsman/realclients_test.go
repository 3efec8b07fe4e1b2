package wsman

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/lab/internal/realclient"
)

// pywinrmReport is what testdata/pywinrm_check.py prints.
type pywinrmReport struct {
	Commands []struct {
		Stdout string `json:"stdout"`
		Stderr string `json:"stderr"`
		RC     int    `json:"rc"`
	} `json:"commands"`
	UnknownShell string `json:"unknown_shell"`
	Session      struct {
		Stdout string `json:"stdout"`
		RC     int    `json:"rc"`
	} `json:"session"`
	RunPS struct {
		Stdout string `json:"stdout"`
		RC     int    `json:"rc"`
	} `json:"run_ps"`
	BadCredentials string `json:"bad_credentials"`
}

func unb64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	return string(b)
}

func TestPywinrm(t *testing.T) {
	script, err := filepath.Abs("testdata/pywinrm_check.py")
	require.NoError(t, err)
	cases := []struct {
		name       string
		cfg        Config
		https      bool
		transport  string
		encryption string
	}{
		{name: "basic/http", cfg: Config{Basic: true, AllowUnencrypted: true}, transport: "basic", encryption: "never"},
		// AllowUnencrypted off: pywinrm's default sealing is the only way in.
		{name: "ntlm-sealed/http", cfg: Config{NTLM: true}, transport: "ntlm", encryption: "auto"},
		{name: "ntlm/https", cfg: Config{NTLM: true}, https: true, transport: "ntlm", encryption: "auto"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := startLab(t, tc.cfg, tc.https)
			in := map[string]any{
				"endpoint": l.url(), "transport": tc.transport, "user": testUser, "password": testPassword,
				"message_encryption": tc.encryption, "ca_trust_path": nil,
				"commands": [][]any{
					{"echo", []string{"hello", "world"}},
					{"exit", []string{"5"}},
					{"echoerr", []string{"oops"}},
					{"env", []string{"FOO"}},
					{"pwd", []string{}},
					{"unicode", []string{}},
					{"sleep", []string{"2500"}},
					{"bigout", []string{"700000"}},
				},
			}
			if tc.https {
				ca := filepath.Join(t.TempDir(), "lab-ca.pem")
				require.NoError(t, os.WriteFile(ca, l.caPEM, 0o600))
				in["ca_trust_path"] = ca
			}
			var rep pywinrmReport
			realclient.RunScript(t, script, in, &rep)
			require.Len(t, rep.Commands, 8)
			c := rep.Commands
			assert.Equal(t, "hello world\r\n", unb64(t, c[0].Stdout))
			assert.Equal(t, 0, c[0].RC)
			assert.Equal(t, 5, c[1].RC)
			assert.Equal(t, "oops\r\n", unb64(t, c[2].Stderr))
			assert.Empty(t, unb64(t, c[2].Stdout))
			assert.Equal(t, "bar\r\n", unb64(t, c[3].Stdout), "rsp:Environment from open_shell")
			assert.Equal(t, "C:\\Temp\r\n", unb64(t, c[4].Stdout), "rsp:WorkingDirectory from open_shell")
			assert.Equal(t, "caf\x82 ?\r\n", unb64(t, c[5].Stdout), "pywinrm's default code page is 437")
			assert.Equal(t, 0, c[6].RC, "a command longer than the OperationTimeout completes")
			assert.Equal(t, string(pattern(0, 700000)), unb64(t, c[7].Stdout))
			assert.Contains(t, rep.UnknownShell, "'wsmanfault_code': '2150858843'")
			assert.Equal(t, "via session\r\n", unb64(t, rep.Session.Stdout))
			assert.Equal(t, "from powershell\r\n", unb64(t, rep.RunPS.Stdout))
			assert.Equal(t, "InvalidCredentialsError", rep.BadCredentials)
			assert.Equal(t, 0, l.srv.Shells(), "every shell was closed")
		})
	}
}

// TestAnsibleRaw runs Ansible's winrm connection with the raw module against
// two lab hosts in one run (Ansible starts slowly): one with Basic, one with
// NTLM and message encryption, plaintext refused.
func TestAnsibleRaw(t *testing.T) {
	t.Parallel()
	basic := startLab(t, Config{Basic: true, AllowUnencrypted: true}, false)
	sealed := startLab(t, Config{NTLM: true}, false)
	host := func(name string, l *lab, transport string) realclient.AnsibleHost {
		return realclient.AnsibleHost{Name: name, Address: "127.0.0.1", Port: l.port, Transport: transport, User: testUser, Password: testPassword}
	}
	text := realclient.RunAnsible(t, []realclient.AnsibleHost{host("basichost", basic, "basic"), host("ntlmhost", sealed, "ntlm")},
		"-m", "raw", "-a", "echo hi")
	for _, name := range []string{"basichost", "ntlmhost"} {
		assert.Regexp(t, name+` \| CHANGED \| rc=0 >>\s+hi\s`, text)
	}
	assert.NotContains(t, text, "UNREACHABLE")
	for _, l := range []*lab{basic, sealed} {
		ran := l.machine.ran()
		require.NotEmpty(t, ran)
		assert.Regexp(t, `(?i)^PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand `, ran[0])
	}
}
