package lab_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/internal/realclient"
	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/lab/wsman"
)

// The tests here drive full lab hosts (the simulated Windows machine, not
// the test double of lab/wsman's tests) with real clients nobody here
// wrote. lab/wsman's tests prove the wire protocol against them in detail;
// these prove the machine behind it too.

// TestPywinrmAgainstLabHosts runs commands through one pywinrm shell per
// case and checks what the tools print, their exit codes and the state
// they leave.
func TestPywinrmAgainstLabHosts(t *testing.T) {
	realclient.Pywinrm(t)
	cases := []struct {
		name       string
		cfg        lab.Config
		transport  string
		encryption string
	}{
		{name: "basic/http", cfg: lab.Config{Basic: true}, transport: "basic", encryption: "never"},
		// Plaintext refused: pywinrm's default sealing is the only way in.
		{name: "ntlm-sealed/http", cfg: lab.Config{NTLM: true, RefuseUnencrypted: true}, transport: "ntlm", encryption: "auto"},
		{name: "ntlm/https", cfg: lab.Config{NTLM: true, HTTPS: true}, transport: "ntlm", encryption: "auto"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.cfg.Hosts = []lab.HostSpec{{Name: "node1"}}
			l := labtest.StartConfig(t, tc.cfg)
			h := l.Host("node1")
			out := realclient.RunPywinrm(t, realclient.Target{
				Endpoint: h.Endpoint(), Transport: tc.transport, Encryption: tc.encryption,
				User: lab.DefaultUser, Password: lab.DefaultPassword, CAPEM: l.CACertPEM(),
			},
				`sc query W3SVC`,
				`sc query NoSuch`,
				`net stop W3SVC`,
				`sc query W3SVC`,
				`reg add HKLM\SOFTWARE\Winplay /v Probe /t REG_SZ /d "from pywinrm" /f`,
				`reg query HKLM\SOFTWARE\Winplay /v Probe`,
				`nosuchtool /x`,
				`hostname & exit /b 3`,
			)
			assert.Equal(t, 0, out[0].Code, out[0].Stderr)
			assert.Contains(t, out[0].Stdout, "SERVICE_NAME: W3SVC \r\n")
			assert.Contains(t, out[0].Stdout, "        STATE              : 4  RUNNING \r\n")
			assert.Empty(t, out[0].Stderr)

			assert.Equal(t, 1060, out[1].Code)
			assert.Contains(t, out[1].Stdout, "[SC] EnumQueryServicesStatus:OpenService FAILED 1060:")

			assert.Equal(t, 0, out[2].Code, out[2].Stderr)
			assert.Contains(t, out[2].Stdout, "service was stopped successfully.")
			assert.Contains(t, out[3].Stdout, "        STATE              : 1  STOPPED \r\n")

			assert.Equal(t, 0, out[4].Code, out[4].Stderr)
			assert.Equal(t, "The operation completed successfully.\r\n", out[4].Stdout)
			assert.Equal(t, 0, out[5].Code, out[5].Stderr)
			assert.Contains(t, out[5].Stdout, "    Probe    REG_SZ    from pywinrm\r\n")

			assert.Equal(t, 9009, out[6].Code)
			assert.Empty(t, out[6].Stdout)
			assert.Equal(t, "'nosuchtool' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", out[6].Stderr)

			assert.Equal(t, 3, out[7].Code)
			assert.Equal(t, "NODE1\r\n", out[7].Stdout)

			st := h.Dump()
			assert.Equal(t, "stopped", st.Services["W3SVC"].State)
			assert.Equal(t, "running", st.Services["IISADMIN"].State)
			assert.Equal(t, win.RegValue{Type: "REG_SZ", Data: "from pywinrm"}, st.Registry[`HKEY_LOCAL_MACHINE\SOFTWARE\Winplay`]["Probe"])
			changed := map[string]bool{}
			for _, e := range h.Log() {
				changed[e.Line] = changed[e.Line] || e.Changes
			}
			assert.False(t, changed["sc query W3SVC"], "sc query logged as a change")
			assert.True(t, changed["net stop W3SVC"], "net stop not logged as a change")
			assert.Zero(t, h.Server().Shells(), "pywinrm closed its shell")
		})
	}
}

// TestRefuseUnencryptedTurnsPlaintextAway: with RefuseUnencrypted the
// lab answers unsealed NTLM and Basic over HTTP 401, so the sealed pywinrm
// case above passing proves pywinrm encrypts.
func TestRefuseUnencryptedTurnsPlaintextAway(t *testing.T) {
	t.Parallel()
	l := labtest.StartConfig(t, lab.Config{Hosts: []lab.HostSpec{{Name: "node1"}}, RefuseUnencrypted: true})
	h := l.Host("node1")
	for _, transport := range []string{"basic", "ntlm", "encryption"} {
		c, err := realclient.Masterzen(h.Address(), h.Port(), false, nil, transport, lab.DefaultUser, lab.DefaultPassword, "PT20S")
		require.NoError(t, err)
		sh, err := c.CreateShell()
		if transport == "encryption" {
			require.NoError(t, err, "sealed NTLM is let in")
			require.NoError(t, sh.Close())
			continue
		}
		require.Error(t, err, transport)
		assert.Contains(t, err.Error(), "401", transport)
	}
	assert.Zero(t, h.Server().Shells())
}

// createCounter counts the shells a host's clients create.
func createCounter(h *lab.Host) *atomic.Int32 {
	var n atomic.Int32
	h.Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
		if r.Action == "Create" {
			n.Add(1)
		}
		return wsman.Injection{}
	}))
	return &n
}

// TestMasterzenManyCommandsInOneShell runs 200 commands through one
// masterzen/winrm shell (the library used directly, not winplay's
// connection) against a full lab host.
func TestMasterzenManyCommandsInOneShell(t *testing.T) {
	for _, transport := range []string{"basic", "ntlm"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			l := labtest.StartConfig(t, lab.Config{Hosts: []lab.HostSpec{{Name: "node1"}}})
			h := l.Host("node1")
			creates := createCounter(h)
			c, err := realclient.Masterzen(h.Address(), h.Port(), false, nil, transport, lab.DefaultUser, lab.DefaultPassword, "PT20S")
			require.NoError(t, err)
			sh, err := c.CreateShell()
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			for i := range 200 {
				var r realclient.Result
				switch i % 4 {
				case 0:
					r, err = realclient.Exec(ctx, sh, nil, "echo", fmt.Sprintf("cmd %d", i))
					require.NoError(t, err)
					require.Equal(t, fmt.Sprintf("cmd %d\r\n", i), r.Stdout)
				case 1:
					r, err = realclient.Exec(ctx, sh, nil, "sc query W3SVC")
					require.NoError(t, err)
					require.Contains(t, r.Stdout, "STATE              : 4  RUNNING", i)
				case 2:
					r, err = realclient.Exec(ctx, sh, nil, "exit", "/b", strconv.Itoa(i%7))
					require.NoError(t, err)
					require.Equal(t, i%7, r.Code, i)
				case 3:
					r, err = realclient.Exec(ctx, sh, nil, "reg", "add", `HKLM\SOFTWARE\Winplay`, "/v", "Count", "/t", "REG_DWORD", "/d", strconv.Itoa(i), "/f")
					require.NoError(t, err)
					require.Equal(t, 0, r.Code, r.Stderr)
				}
			}
			assert.Equal(t, 1, h.Server().Shells())
			assert.Equal(t, int32(1), creates.Load(), "one shell for all 200 commands")
			assert.Equal(t, win.RegValue{Type: "REG_DWORD", Data: "0xc7"}, h.Dump().Registry[`HKEY_LOCAL_MACHINE\SOFTWARE\Winplay`]["Count"])
			assert.Len(t, h.Log(), 200)
			require.NoError(t, sh.Close())
			assert.Zero(t, h.Server().Shells())
		})
	}
}

// TestWinrmcpUploadsAFile copies 100 KB of random bytes with winrmcp (Basic
// only), which appends base64 chunks with cmd's echo over several shells
// and restores them with a PowerShell script.
func TestWinrmcpUploadsAFile(t *testing.T) {
	winrmcp := realclient.Program(t, "winrmcp")
	t.Parallel()
	l := labtest.StartConfig(t, lab.Config{Hosts: []lab.HostSpec{{Name: "node1"}}, Basic: true})
	h := l.Host("node1")
	data := make([]byte, 100<<10)
	_, err := rand.Read(data)
	require.NoError(t, err)
	local := filepath.Join(t.TempDir(), "up.bin")
	require.NoError(t, os.WriteFile(local, data, 0o600))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, winrmcp, "-user", lab.DefaultUser, "-pass", lab.DefaultPassword,
		"-addr", h.Address()+":"+strconv.Itoa(h.Port()), local, `C:\Temp\up.bin`).CombinedOutput()
	require.NoError(t, err, "winrmcp failed:\n%s", out)

	sum := sha256.Sum256(data)
	f := h.Dump().Files[`C:\Temp\up.bin`]
	assert.Equal(t, len(data), f.Size)
	assert.Equal(t, hex.EncodeToString(sum[:]), f.SHA256, "the uploaded bytes differ")
	var echoes, scripts int
	for _, e := range h.Log() {
		switch e.Tool {
		case "echo":
			echoes++
		case "powershell":
			scripts++
			assert.Equal(t, 0, e.ExitCode, "a winrmcp script failed: %s", e.Line)
		}
	}
	assert.Greater(t, echoes, 10, "winrmcp uploads in echo chunks")
	assert.Equal(t, 2, scripts, "restore and cleanup")
	assert.Zero(t, h.Server().Shells(), "winrmcp closed its shells")
	r := run(t, labtest.Connect(t, l, "node1"), `if exist "%TEMP%\winrmcp-*" (echo left) else (echo clean)`, false)
	assert.Equal(t, "clean\r\n", r.Stdout, "the cleanup left winrmcp's temp file")
}

// TestAnsibleAgainstLabHosts runs Ansible's raw module over its winrm
// connection against two full lab hosts: Ansible reads a service and
// stops one, and the lab's state shows it.
func TestAnsibleAgainstLabHosts(t *testing.T) {
	t.Parallel()
	l := labtest.StartConfig(t, lab.Config{NTLM: true})
	var hosts []realclient.AnsibleHost
	for _, h := range l.Hosts() {
		hosts = append(hosts, realclient.AnsibleHost{Name: h.Name(), Address: h.Address(), Port: h.Port(), Transport: "ntlm",
			User: lab.DefaultUser, Password: lab.DefaultPassword})
	}
	out := realclient.RunAnsible(t, hosts, "-m", "raw", "-a", "net stop Spooler; sc.exe query Spooler")
	for _, h := range l.Hosts() {
		assert.Regexp(t, h.Name()+` \| CHANGED \| rc=0 >>`, out)
		assert.Equal(t, "stopped", h.Dump().Services["Spooler"].State, h.Name())
		assert.NotEmpty(t, labtest.ChangesOf(h), "the lab did not log net stop as a change")
	}
	assert.Contains(t, string(out), "service was stopped successfully.")
	assert.Contains(t, string(out), "STATE              : 1  STOPPED")
}
