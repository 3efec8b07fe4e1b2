package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/runner"
)

// TestRunMeetsUACRemoteRestrictions runs the small example playbook
// against two Server 2022 nodes that keep UAC's remote restrictions, as a
// stock 2012-or-later host does: logging on with the lab's local
// administrator over NTLM, every host is unreachable, and the output says
// which user, on which host, is filtered and the three ways out. Logging
// on with a domain account (Kerberos) works on the same hosts, and so
// does the local account once LocalAccountTokenFilterPolicy is 1.
func TestRunMeetsUACRemoteRestrictions(t *testing.T) {
	t.Parallel()
	l := labtest.StartConfig(t, lab.Config{OS: "2022", UACRemoteRestrictions: true, Kerberos: sharedRealm(t), NTLM: true, RefuseUnencrypted: true})
	ntlm := kerberosInventory(t, l, func(c *inventory.Connection) { c.Transport = inventory.TransportNTLM })

	r := winplay(t, labEnv, "run", "../../playbooks/cluster-service-cycle.hcl", "-i", ntlm)
	require.Equal(t, runner.ExitUnreachable, r.code, r.out+r.err)
	for _, want := range []string{"lab, a local account,", "UAC-filtered token",
		`On node1, set HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\LocalAccountTokenFilterPolicy to 1`,
		"a domain account in node1's Administrators group", "the built-in Administrator"} {
		assert.Contains(t, r.out+r.err, want)
	}
	for _, h := range l.Hosts() {
		assert.Empty(t, h.Log(), "%s ran nothing", h.Name())
	}

	domain := kerberosInventory(t, l, func(c *inventory.Connection) {
		c.Transport, c.User, c.Krb5Conf = inventory.TransportKerberos, l.Config().Kerberos.Principal(lab.DefaultUser), l.Config().Kerberos.Krb5ConfPath()
	})
	cycleRecap(t, winplay(t, labEnv, "run", "../../playbooks/cluster-service-cycle.hcl", "-i", domain))

	for _, h := range l.Hosts() {
		labtest.Exec(t, h, `reg add HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System /v LocalAccountTokenFilterPolicy /t REG_DWORD /d 1 /f`)
	}
	cycleRecap(t, winplay(t, labEnv, "run", "../../playbooks/cluster-service-cycle.hcl", "-i", ntlm))
}

// TestRunLabWithUACRemoteRestrictions: winplay run --lab rehearses what a
// stock Server 2022 does to the lab's local administrator.
func TestRunLabWithUACRemoteRestrictions(t *testing.T) {
	t.Parallel()
	r := winplay(t, nil, "run", "../../playbooks/cluster-service-cycle.hcl", "--lab", "--lab-os", "2022", "--lab-uac-restricted")
	require.Equal(t, runner.ExitUnreachable, r.code, r.out+r.err)
	assert.Contains(t, r.out, "set HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\LocalAccountTokenFilterPolicy to 1")

	cycleRecap(t, winplay(t, nil, "run", "../../playbooks/cluster-service-cycle.hcl", "--lab", "--lab-os", "2022"))
}
