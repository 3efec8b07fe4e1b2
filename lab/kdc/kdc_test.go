package kdc_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/lab/kdc"
)

func TestMain(m *testing.M) {
	code := m.Run()
	kdc.StopShared()
	os.Exit(code)
}

func realm(t *testing.T) *kdc.KDC {
	t.Helper()
	k, err := kdc.Shared()
	require.NoError(t, err)
	return k
}

func gokrb5Config(t *testing.T, k *kdc.KDC) *config.Config {
	t.Helper()
	cfg, err := config.Load(k.Krb5ConfPath())
	require.NoError(t, err)
	return cfg
}

func TestRealmIssuesTicketsForPasswordKeytabAndKinit(t *testing.T) {
	k := realm(t)
	require.NoError(t, k.AddUser("alice", "Alice-Pass1"))
	require.NoError(t, k.AddService("HTTP/127.0.0.1"))
	assert.Equal(t, kdc.DefaultRealm, k.Realm())
	assert.True(t, strings.HasPrefix(k.Addr(), "127.0.0.1:"), k.Addr())

	cl := client.NewWithPassword("alice", k.Realm(), "Alice-Pass1", gokrb5Config(t, k), client.DisablePAFXFAST(true))
	require.NoError(t, cl.Login())
	tkt, key, err := cl.GetServiceTicket("HTTP/127.0.0.1")
	require.NoError(t, err)
	assert.Equal(t, int32(18), key.KeyType, "aes256-cts-hmac-sha1-96, as AD issues")

	// The service's keytab decrypts the ticket the KDC issued for it.
	kt, err := k.Keytab()
	require.NoError(t, err)
	require.NoError(t, tkt.DecryptEncPart(kt, nil))
	assert.Equal(t, "alice", tkt.DecryptedEncPart.CName.PrincipalNameString())

	// A user keytab logs on without the password.
	path := filepath.Join(t.TempDir(), "alice.keytab")
	require.NoError(t, k.UserKeytab("alice", path))
	ukt, err := keytab.Load(path)
	require.NoError(t, err)
	kcl := client.NewWithKeytab("alice", k.Realm(), ukt, gokrb5Config(t, k), client.DisablePAFXFAST(true))
	require.NoError(t, kcl.Login())

	// MIT's kinit fills a ticket cache that gokrb5 reads.
	cc := filepath.Join(t.TempDir(), "cc")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, k.Kinit(ctx, "alice", "Alice-Pass1", cc))
	ccache, err := credentials.LoadCCache(cc)
	require.NoError(t, err)
	ccl, err := client.NewFromCCache(ccache, gokrb5Config(t, k), client.DisablePAFXFAST(true))
	require.NoError(t, err)
	_, _, err = ccl.GetServiceTicket("HTTP/127.0.0.1")
	require.NoError(t, err)
}

func TestRealmRefusesWrongPasswordAndUnknownPrincipals(t *testing.T) {
	k := realm(t)
	require.NoError(t, k.AddUser("bob", "Bob-Pass1"))
	cfg := gokrb5Config(t, k)

	err := client.NewWithPassword("bob", k.Realm(), "wrong", cfg, client.DisablePAFXFAST(true)).Login()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "KDC_ERR_PREAUTH_FAILED")

	err = client.NewWithPassword("nobody", k.Realm(), "x", cfg, client.DisablePAFXFAST(true)).Login()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "KDC_ERR_C_PRINCIPAL_UNKNOWN")

	cl := client.NewWithPassword("bob", k.Realm(), "Bob-Pass1", cfg, client.DisablePAFXFAST(true))
	require.NoError(t, cl.Login())
	_, _, err = cl.GetServiceTicket("HTTP/no-such-host")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "KDC_ERR_S_PRINCIPAL_UNKNOWN")

	// Adding a user again changes the password.
	require.NoError(t, k.AddUser("bob", "Bob-Pass2"))
	require.NoError(t, client.NewWithPassword("bob", k.Realm(), "Bob-Pass2", cfg, client.DisablePAFXFAST(true)).Login())
}

func TestStartRefusesBadRealm(t *testing.T) {
	_, err := kdc.Start(kdc.Config{Realm: "lower.case"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "upper-case")
}

func TestCloseStopsTheKDCAndRemovesItsDirectory(t *testing.T) {
	k, err := kdc.Start(kdc.Config{Realm: "OTHER.TEST", Users: map[string]string{"carol": "Carol-Pass1"}})
	require.NoError(t, err)
	cfg, err := config.Load(k.Krb5ConfPath())
	require.NoError(t, err)
	require.NoError(t, client.NewWithPassword("carol", "OTHER.TEST", "Carol-Pass1", cfg, client.DisablePAFXFAST(true)).Login())
	dir := k.Dir()
	require.NoError(t, k.Close())
	_, err = os.Stat(dir)
	assert.True(t, os.IsNotExist(err), "the realm's directory is gone")
	err = client.NewWithPassword("carol", "OTHER.TEST", "Carol-Pass1", cfg, client.DisablePAFXFAST(true)).Login()
	require.Error(t, err, "nobody answers once the KDC stopped")
}
