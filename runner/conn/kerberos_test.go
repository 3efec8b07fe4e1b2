package conn_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/kdc"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/runner/conn"
)

func TestMain(m *testing.M) {
	code := m.Run()
	kdc.StopShared()
	os.Exit(code)
}

func realm(t *testing.T) *kdc.KDC {
	t.Helper()
	k, err := kdc.Shared()
	require.NoError(t, err, "the tests need MIT's KDC (%s)", kdc.InstallHint)
	return k
}

// kerberosLab starts one lab host in the shared realm that refuses
// plaintext over HTTP, as a domain member's default listener does, and
// returns it with the connection settings to reach it with the lab
// user's password.
func kerberosLab(t *testing.T, https bool, specs ...lab.HostSpec) (*lab.Lab, conn.Config) {
	t.Helper()
	k := realm(t)
	if len(specs) == 0 {
		specs = []lab.HostSpec{{Name: "node1"}}
	}
	l := labtest.StartConfig(t, lab.Config{Hosts: specs, Kerberos: k, HTTPS: https, RefuseUnencrypted: true})
	cfg := hostConfig(t, l, specs[0].Name)
	cfg.Krb5Conf = k.Krb5ConfPath()
	require.Equal(t, "kerberos", cfg.Transport)
	require.Equal(t, "lab@"+k.Realm(), cfg.User)
	return l, cfg
}

func TestKerberosSealsEveryMessageOverHTTP(t *testing.T) {
	rec := &recorder{}
	l, cfg := kerberosLab(t, false)
	h := l.Host("node1")
	h.Inject(rec)
	c := open(t, cfg)
	for range 20 {
		assert.Equal(t, "sealed héllo\r\n", run(t, c, "echo sealed héllo").Stdout)
	}
	assert.Equal(t, 1, rec.count("Create"), "one shell for every command")
	// The lab refuses plaintext here (RefuseUnencrypted), so every one of
	// these got in sealed.
	assert.Len(t, h.Log(), 20)
}

func TestKerberosOverHTTPS(t *testing.T) {
	l, cfg := kerberosLab(t, true)
	c := open(t, cfg)
	assert.Equal(t, "NODE1\r\n", run(t, c, "hostname").Stdout)
	assert.Len(t, l.Host("node1").Log(), 1)
}

// A dropped connection takes its security context along; the next
// request logs on again with the ticket already held.
func TestKerberosLogsOnAgainAfterADroppedConnection(t *testing.T) {
	dropped := false
	rec := &recorder{fault: func(r wsman.Request, n int) wsman.Injection {
		if r.Action == "Command" && strings.Contains(r.CommandLine, "echo 2") && !dropped {
			dropped = true
			return wsman.Injection{Kind: wsman.Drop}
		}
		return wsman.Injection{}
	}}
	l, cfg := kerberosLab(t, false)
	l.Host("node1").Inject(rec)
	c := open(t, cfg)
	for _, line := range []string{"echo 1", "echo 2", "echo 3"} {
		assert.Equal(t, strings.TrimPrefix(line, "echo ")+"\r\n", run(t, c, line).Stdout)
	}
	assert.True(t, dropped)
}

func TestKerberosFromKeytabAndTicketCache(t *testing.T) {
	k := realm(t)
	_, cfg := kerberosLab(t, false)

	keytab := filepath.Join(t.TempDir(), "lab.keytab")
	require.NoError(t, k.UserKeytab(lab.DefaultUser, keytab))
	kt := cfg
	kt.Password, kt.KeytabFile = "", keytab
	assert.Equal(t, "NODE1\r\n", run(t, open(t, kt), "hostname").Stdout)

	cc := filepath.Join(t.TempDir(), "ccache")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, k.Kinit(ctx, lab.DefaultUser, lab.DefaultPassword, cc))
	t.Setenv("KRB5CCNAME", "FILE:"+cc)
	tc := cfg
	tc.Password, tc.TicketCache = "", true
	assert.Equal(t, "NODE1\r\n", run(t, open(t, tc), "hostname").Stdout)

	// A cache of another user's tickets is not used as this user's.
	require.NoError(t, k.AddUser("other", "Other-Pass1"))
	other := filepath.Join(t.TempDir(), "other")
	require.NoError(t, k.Kinit(ctx, "other", "Other-Pass1", other))
	t.Setenv("KRB5CCNAME", other)
	_, err := open(t, tc).Run(ctxFor(t, 10*time.Second), modules.Command{Line: "hostname"})
	assert.ErrorIs(t, err, modules.ErrUnreachable)
	assert.ErrorContains(t, err, "holds the tickets of other@"+k.Realm())
}

func TestKerberosServicePrincipal(t *testing.T) {
	_, cfg := kerberosLab(t, false)
	// The default is HTTP/ and the address; an alias or the DNS name
	// comes from the inventory.
	named := cfg
	named.SPN = "HTTP/node1.corp.test"
	assert.Equal(t, "NODE1\r\n", run(t, open(t, named), "hostname").Stdout)

	missing := cfg
	missing.SPN = "HTTP/node9.corp.test"
	_, err := open(t, missing).Run(ctxFor(t, 10*time.Second), modules.Command{Line: "hostname"})
	assert.ErrorIs(t, err, conn.ErrNoServicePrincipal)
	assert.ErrorIs(t, err, modules.ErrUnreachable)
	assert.ErrorContains(t, err, "HTTP/node9.corp.test")
	assert.ErrorContains(t, err, `spn = "HTTP/<fqdn>"`)
}

func TestKerberosSaysWhichLogonFailureHappened(t *testing.T) {
	k := realm(t)
	_, cfg := kerberosLab(t, false, lab.HostSpec{Name: "node1"})
	_, skewed := kerberosLab(t, false, lab.HostSpec{Name: "node2", ClockOffset: 10 * time.Minute})

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := closed.Addr().String()
	closed.Close()
	nowhere := filepath.Join(t.TempDir(), "krb5.conf")
	conf, err := os.ReadFile(k.Krb5ConfPath())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(nowhere, []byte(strings.ReplaceAll(string(conf), k.Addr(), dead)), 0o600))

	wrong := cfg
	wrong.Password = "Wrong-Pass1"
	unknown := cfg
	unknown.User = "nobody@" + k.Realm()
	unreachable := cfg
	unreachable.Krb5Conf = nowhere
	unreachable.Password = "Lab-Pass1 for the dead KDC" // a login of its own, not the shared one

	for name, tc := range map[string]struct {
		cfg  conn.Config
		want error
		text string
	}{
		"wrong password":  {wrong, conn.ErrWrongPassword, "lab@" + k.Realm()},
		"unknown user":    {unknown, conn.ErrUnknownPrincipal, "nobody@" + k.Realm()},
		"KDC unreachable": {unreachable, conn.ErrKDCUnreachable, nowhere},
		"host clock skew": {skewed, conn.ErrClockSkew, "host's clock"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := open(t, tc.cfg).Run(ctxFor(t, 20*time.Second), modules.Command{Line: "hostname"})
			require.Error(t, err)
			t.Log(err)
			assert.ErrorIs(t, err, tc.want)
			assert.ErrorIs(t, err, modules.ErrUnreachable)
			assert.ErrorContains(t, err, tc.text)
			assert.NotContains(t, err.Error(), "Wrong-Pass1")
		})
	}
}

// On the wire winplay sends what pywinrm with requests-kerberos sends, the
// form Ansible uses against every domain member: the Kerberos token under
// "Authorization: Negotiate" and SPNEGO-session-encrypted sealing.
func TestKerberosWireFormIsPywinrms(t *testing.T) {
	_, cfg := kerberosLab(t, false)
	tap := tapTCP(t, cfg.Address, cfg.Port)
	cfg.Port = tap.port
	c := open(t, cfg)
	assert.Equal(t, "NODE1\r\n", run(t, c, "hostname").Stdout)
	sent := tap.sent()
	assert.Contains(t, sent, "Authorization: Negotiate ")
	assert.NotContains(t, sent, "Authorization: Kerberos")
	assert.Contains(t, sent, `protocol="application/HTTP-SPNEGO-session-encrypted"`)
	assert.NotContains(t, sent, "HTTP-Kerberos-session-encrypted")
	assert.NotContains(t, sent, "hostname", "the command travels sealed")
}

// tcpTap forwards connections to a host and keeps what clients sent.
type tcpTap struct {
	port int
	mu   sync.Mutex
	buf  bytes.Buffer
}

func (t *tcpTap) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.Write(p)
}

func (t *tcpTap) sent() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

func tapTCP(t *testing.T, addr string, port int) *tcpTap {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	tap := &tcpTap{port: ln.Addr().(*net.TCPAddr).Port}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
			if err != nil {
				in.Close()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); io.Copy(out, io.TeeReader(in, tap)); out.Close() }()
			go func() { defer wg.Done(); io.Copy(in, out); in.Close() }()
		}
	}()
	return tap
}
