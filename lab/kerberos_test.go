package lab_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/internal/realclient"
	"github.com/winplay/winplay/lab/kdc"
)

func TestMain(m *testing.M) {
	code := m.Run()
	kdc.StopShared()
	os.Exit(code)
}

func sharedRealm(t *testing.T) *kdc.KDC {
	t.Helper()
	k, err := kdc.Shared()
	require.NoError(t, err, "the tests need MIT's KDC (%s)", kdc.InstallHint)
	return k
}

// kinitEnv gets the lab user a ticket with MIT's kinit and returns the
// environment that points a client at it.
func kinitEnv(t *testing.T, k *kdc.KDC, user, password string) []string {
	t.Helper()
	cc := filepath.Join(t.TempDir(), "ccache")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, k.Kinit(ctx, user, password, cc))
	return append(k.Env(), "KRB5CCNAME=FILE:"+cc)
}

// TestPywinrmKerberosSealedOverHTTPAndOverHTTPS proves the lab's Kerberos
// acceptor with a client nobody here wrote: pywinrm with Debian's
// requests-kerberos and MIT's GSSAPI authenticates, checks the lab's AP-REP
// (mutual authentication), and seals every message over HTTP with
// plaintext refused, or talks plain SOAP over HTTPS.
func TestPywinrmKerberosSealedOverHTTPAndOverHTTPS(t *testing.T) {
	realclient.PywinrmKerberos(t)
	k := sharedRealm(t)
	for _, https := range []bool{false, true} {
		name := map[bool]string{false: "http sealed", true: "https"}[https]
		t.Run(name, func(t *testing.T) {
			l := labtest.StartConfig(t, lab.Config{Hosts: []lab.HostSpec{{Name: "node1"}}, Kerberos: k, HTTPS: https, RefuseUnencrypted: true})
			h := l.Host("node1")
			target := realclient.Target{
				Endpoint: h.Endpoint(), Transport: "kerberos", Encryption: "auto",
				User: k.Principal(lab.DefaultUser), CAPEM: l.CACertPEM(),
				Env: kinitEnv(t, k, lab.DefaultUser, lab.DefaultPassword), WrapIOVShim: true,
			}
			if !https {
				target.Encryption = "always"
			}
			out := realclient.RunPywinrm(t, target, "hostname", "net stop W3SVC", "sc query W3SVC", "exit /b 7")
			assert.Equal(t, "NODE1\r\n", out[0].Stdout)
			assert.Equal(t, 0, out[1].Code, out[1].Stdout)
			assert.Contains(t, out[2].Stdout, "STOPPED")
			assert.Equal(t, 7, out[3].Code)
			assert.Equal(t, "stopped", h.Dump().Services["W3SVC"].State)
		})
	}
}

// TestPywinrmKerberosPlaintextIsRefusedOverHTTP: Debian 12's pywinrm
// without the sealing functions sends Kerberos SOAP in clear text over
// HTTP, which a default Windows listener (AllowUnencrypted=false) answers
// with HTTP 500, as users of Ansible report.
func TestPywinrmKerberosPlaintextIsRefusedOverHTTP(t *testing.T) {
	realclient.PywinrmKerberos(t)
	k := sharedRealm(t)
	l := labtest.StartConfig(t, lab.Config{Hosts: []lab.HostSpec{{Name: "node1"}}, Kerberos: k, RefuseUnencrypted: true})
	target := realclient.Target{
		Endpoint: l.Host("node1").Endpoint(), Transport: "kerberos", Encryption: "auto",
		User: k.Principal(lab.DefaultUser), Env: kinitEnv(t, k, lab.DefaultUser, lab.DefaultPassword),
	}
	_, err := realclient.TryPywinrm(t, target, "hostname")
	var pe *realclient.PywinrmError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "WinRMTransportError", pe.Type, pe.Message)
	assert.Contains(t, pe.Message, "500")
	assert.Empty(t, l.Host("node1").Log(), "nothing ran")
}

// TestPywinrmClientCertificate proves the lab's certificate mapping with
// pywinrm's certificate transport: the lab user's certificate logs on as
// the user; a certificate another CA signed is refused.
func TestPywinrmClientCertificate(t *testing.T) {
	realclient.Pywinrm(t)
	l := labtest.StartConfig(t, lab.Config{Hosts: []lab.HostSpec{{Name: "node1"}}, HTTPS: true, ClientCertificates: true})
	cert, key := l.ClientCertificate()
	target := realclient.Target{Endpoint: l.Host("node1").Endpoint(), Transport: "certificate", Encryption: "auto", CAPEM: l.CACertPEM(), CertPEM: cert, KeyPEM: key}
	out := realclient.RunPywinrm(t, target, "whoami", "net stop W3SVC")
	assert.Equal(t, "node1\\lab\r\n", strings.ToLower(out[0].Stdout))
	assert.Equal(t, 0, out[1].Code)

	other := labtest.StartConfig(t, lab.Config{Hosts: []lab.HostSpec{{Name: "node9"}}, HTTPS: true, ClientCertificates: true})
	target.CertPEM, target.KeyPEM = other.ClientCertificate()
	_, err := realclient.TryPywinrm(t, target, "whoami")
	var pe *realclient.PywinrmError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "InvalidCredentialsError", pe.Type, pe.Message)
	assert.Len(t, l.Host("node1").Log(), 2, "the refused certificate ran nothing")
}

// TestPywinrmKerberosDelegationSolvesTheDoubleHop: from a session of
// pywinrm's Kerberos without delegation, IISSYNC on node1 is refused by
// node2 with access denied (status 5), as on a domain; with
// kerberos_delegation (MIT forwards the TGT in the authenticator), the
// session holds credentials and IISSYNC reaches node2.
func TestPywinrmKerberosDelegationSolvesTheDoubleHop(t *testing.T) {
	realclient.PywinrmKerberos(t)
	k := sharedRealm(t)
	l := labtest.StartConfig(t, lab.Config{Kerberos: k, RefuseUnencrypted: true})
	target := realclient.Target{
		Endpoint: l.Host("node1").Endpoint(), Transport: "kerberos", Encryption: "always",
		User: k.Principal(lab.DefaultUser), Env: kinitEnv(t, k, lab.DefaultUser, lab.DefaultPassword), WrapIOVShim: true,
	}
	const iissync = `%windir%\system32\inetsrv\iissync.exe NODE2`
	out := realclient.RunPywinrm(t, target, iissync)
	assert.Equal(t, 5, out[0].Code, out[0].Stdout+out[0].Stderr)
	assert.Contains(t, out[0].Stderr, "Access is denied.")

	target.Delegate = true
	out = realclient.RunPywinrm(t, target, iissync)
	assert.Equal(t, 0, out[0].Code, out[0].Stdout+out[0].Stderr)
	assert.Contains(t, out[0].Stdout, "IISSYNC completed with status 0.")
}
