package conn_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/runner/conn"
)

const setTokenFilter = `reg add HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System /v LocalAccountTokenFilterPolicy /t REG_DWORD /d 1 /f`

// TestLocalAdministratorRefusedByUAC: a Server 2022 host that keeps UAC's
// remote restrictions answers the lab's user (a local administrator other
// than the built-in one) 401 over NTLM, sealed over HTTP, and Basic over
// HTTPS. winplay says who, where, and the three ways out; nothing runs.
// With LocalAccountTokenFilterPolicy set to 1 at the host's console the
// next connection gets in, and a domain account (CORP\lab) got in all
// along.
func TestLocalAdministratorRefusedByUAC(t *testing.T) {
	for name, cfg := range map[string]lab.Config{
		"ntlm-sealed/http": {NTLM: true, RefuseUnencrypted: true},
		"basic/https":      {Basic: true, HTTPS: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg.OS, cfg.UACRemoteRestrictions = "2022", true
			l := node1Lab(t, cfg)
			hc := hostConfig(t, l, "node1")
			_, err := open(t, hc).Run(ctxFor(t, 10*time.Second), modules.Command{Line: "hostname", Changes: true})
			require.Error(t, err)
			assert.ErrorIs(t, err, modules.ErrUnreachable)
			assert.NotErrorIs(t, err, modules.ErrOutcomeUnknown, "a refused logon ran nothing")
			for _, want := range []string{"HTTP 401", "lab, a local account,", "UAC-filtered token",
				`On node1, set HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\LocalAccountTokenFilterPolicy to 1`,
				setTokenFilter, "a domain account in node1's Administrators group", "the built-in Administrator"} {
				assert.Contains(t, err.Error(), want)
			}
			assert.Empty(t, l.Host("node1").Log())

			if hc.Transport == "ntlm" {
				domain := hc
				domain.User = `CORP\` + hc.User
				assert.Equal(t, "NODE1\r\n", run(t, open(t, domain), "hostname").Stdout, "a domain account is not filtered")
			}

			labtest.Exec(t, l.Host("node1"), setTokenFilter)
			assert.Equal(t, "NODE1\r\n", run(t, open(t, hc), "hostname").Stdout)
		})
	}
}

// TestTheBuiltinAdministratorIsNotFiltered: the lab logging in as the
// built-in Administrator (RID 500) gets in with the restrictions on, and
// a wrong password for it gets no UAC hint, nor does a domain account.
func TestTheBuiltinAdministratorIsNotFiltered(t *testing.T) {
	t.Parallel()
	l := node1Lab(t, lab.Config{OS: "2022", UACRemoteRestrictions: true, User: "Administrator"})
	hc := hostConfig(t, l, "node1")
	assert.Equal(t, "NODE1\r\n", run(t, open(t, hc), "hostname").Stdout)

	for _, user := range []string{"Administrator", `CORP\lab`, "lab@corp.test"} {
		wrong := hc
		wrong.User, wrong.Password = user, "Wrong-Secret-42"
		_, err := open(t, wrong).Run(ctxFor(t, 10*time.Second), modules.Command{Line: "hostname"})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "HTTP 401")
		assert.NotContains(t, err.Error(), "LocalAccountTokenFilterPolicy", user)
	}
}

// TestUACHintNamesOnlyLocalAccounts: the hint is for the accounts UAC
// filters: a bare name, .\name or HOST\name, over NTLM, Basic or a
// certificate; not for domain names, the built-in Administrator or
// Kerberos.
func TestUACHintNamesOnlyLocalAccounts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		transport, user string
		hint            bool
	}{
		{"ntlm", "deploy", true}, {"basic", `.\deploy`, true}, {"ntlm", `NODE1\deploy`, true},
		{"ntlm", `node1\deploy`, true}, {"", "deploy", true},
		{"ntlm", `CORP\deploy`, false}, {"ntlm", "deploy@corp.example", false},
		{"ntlm", "Administrator", false}, {"basic", `.\administrator`, false},
		{"kerberos", "deploy@CORP.EXAMPLE", false},
	} {
		assert.Equal(t, tc.hint, conn.UACHint(conn.Config{Name: "node1", Transport: tc.transport, User: tc.user}) != "", "%s %s", tc.transport, tc.user)
	}
	assert.Contains(t, conn.UACHint(conn.Config{Name: "node1", Transport: "certificate"}), "the local account the client certificate maps to")
	assert.Empty(t, conn.UACHint(conn.Config{Name: "node1", Transport: "kerberos", User: "deploy"}))
}
