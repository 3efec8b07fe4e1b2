package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/kdc"
	"github.com/winplay/winplay/runner"
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

// kerberosInventory writes an inventory of l's hosts as winplay lab does,
// with change applied to each host's connection.
func kerberosInventory(t *testing.T, l *lab.Lab, change func(*inventory.Connection)) string {
	t.Helper()
	spec := l.InventorySpec(false)
	dir := t.TempDir()
	for _, h := range spec.Hosts {
		if pem := h.Conn.CAPEM; pem != nil {
			ca := filepath.Join(dir, "ca.pem")
			require.NoError(t, os.WriteFile(ca, pem, 0o600))
			h.Conn.CAPEM, h.Conn.CAFile = nil, ca
		}
		h.Conn.PasswordEnv = labPasswordEnv
		change(&h.Conn)
	}
	inv, err := inventory.New(spec)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, inventory.Write(&b, inv))
	path := filepath.Join(dir, "inventory.hcl")
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o600))
	return path
}

func cycleRecap(t *testing.T, r result) {
	t.Helper()
	require.Equal(t, runner.ExitOK, r.code, r.out+r.err)
	assert.Equal(t, []string{
		"node1                      : ok=4 changed=2 unreachable=0 failed=0 skipped=0 ignored=0",
		"node2                      : ok=4 changed=2 unreachable=0 failed=0 skipped=0 ignored=0",
	}, recapLines(t, r.out))
}

// TestRunOverKerberos runs the small example playbook against lab hosts
// in a realm, which refuse plaintext over HTTP as Windows does by
// default: winplay logs on with the password, over HTTP (every message
// sealed) and HTTPS, and from a keytab.
func TestRunOverKerberos(t *testing.T) {
	t.Parallel()
	k := sharedRealm(t)
	for name, tc := range map[string]struct {
		https  bool
		keytab bool
	}{
		"password over http":  {https: false},
		"password over https": {https: true},
		"keytab over http":    {keytab: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l := labtest.StartConfig(t, lab.Config{Kerberos: k, HTTPS: tc.https, RefuseUnencrypted: true})
			keytab := filepath.Join(t.TempDir(), "lab.keytab")
			require.NoError(t, k.UserKeytab(lab.DefaultUser, keytab))
			inv := kerberosInventory(t, l, func(c *inventory.Connection) {
				if tc.keytab {
					c.Keytab, c.PasswordEnv = keytab, ""
				}
			})
			text, err := os.ReadFile(inv)
			require.NoError(t, err)
			assert.Regexp(t, `transport += "kerberos"`, string(text))
			cycleRecap(t, winplay(t, labEnv, "run", "../../playbooks/cluster-service-cycle.hcl", "-i", inv))
		})
	}
}

// TestRunOverKerberosWithTheTicketCache logs on with the ticket MIT's
// kinit left in the cache KRB5CCNAME names, and needs no password.
func TestRunOverKerberosWithTheTicketCache(t *testing.T) {
	k := sharedRealm(t)
	l := labtest.StartConfig(t, lab.Config{Kerberos: k, RefuseUnencrypted: true})
	cc := filepath.Join(t.TempDir(), "ccache")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, k.Kinit(ctx, lab.DefaultUser, lab.DefaultPassword, cc))
	t.Setenv("KRB5CCNAME", "FILE:"+cc)
	inv := kerberosInventory(t, l, func(c *inventory.Connection) { c.TicketCache, c.PasswordEnv = true, "" })
	cycleRecap(t, winplay(t, nil, "run", "../../playbooks/cluster-service-cycle.hcl", "-i", inv))
}

// TestLabCommandServesARealm: winplay lab --auth kerberos starts a KDC,
// says what a client needs, and writes an inventory that logs on with
// Kerberos.
func TestLabCommandServesARealm(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inv := filepath.Join(dir, "lab.hcl")
	_, errb := startServedLab(t, 2, "--addr", "127.0.0.1:0", "--auth", "kerberos", "--inventory-out", inv)
	conf := filepath.Join(dir, "lab-realm", "krb5.conf")
	assert.Regexp(t, `realm CORP\.TEST: KDC 127\.0\.0\.1:\d+, krb5\.conf `+conf, errb.String())
	assert.Contains(t, errb.String(), "export KRB5_CONFIG="+conf)
	assert.Contains(t, errb.String(), "kinit lab@CORP.TEST")
	text, err := os.ReadFile(inv)
	require.NoError(t, err)
	assert.Regexp(t, `transport += "kerberos"`, string(text))
	assert.Regexp(t, `user += "lab@CORP\.TEST"`, string(text))
	assert.Contains(t, string(text), `"`+conf+`"`)
	cycleRecap(t, winplay(t, labEnv, "run", "../../playbooks/cluster-service-cycle.hcl", "-i", inv))
}

// TestRunWithAClientCertificate serves hosts that map the lab user's
// client certificate (winplay lab --auth certificate --https) and runs the
// small example playbook with the inventory it writes: no password.
func TestRunWithAClientCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inv := filepath.Join(dir, "lab.hcl")
	startServedLab(t, 2, "--addr", "127.0.0.1:0", "--https", "--auth", "certificate", "--inventory-out", inv)
	text, err := os.ReadFile(inv)
	require.NoError(t, err)
	assert.Regexp(t, `transport += "certificate"`, string(text))
	assert.Contains(t, string(text), filepath.Join(dir, "lab-client.pem"))
	assert.NotContains(t, string(text), "password_env")
	assert.FileExists(t, filepath.Join(dir, "lab-client.key"))
	cycleRecap(t, winplay(t, nil, "run", "../../playbooks/cluster-service-cycle.hcl", "-i", inv))
}
