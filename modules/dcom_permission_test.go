package modules_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/modules"
)

func TestDCOMPermissionGivesRebuiltNodeTheHealthyNodesDescriptors(t *testing.T) {
	t.Parallel()
	l := startRebuiltPair(t)
	dp := &modules.DCOMPermission{Permission: "both", Accounts: []string{`CORP\IUSR_CLUSTER`, `CORP\IWAM_CLUSTER`}}
	before := l.Host("node2").Dump().DCOM

	res, err := labtest.Run(t, l, "node2", dp, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Contains(t, res.Msg, `DefaultAccessPermission: +allow 0x1 CORP\IUSR_CLUSTER, +allow 0x1 CORP\IWAM_CLUSTER`)
	require.NotNil(t, res.Diff)
	assert.NotContains(t, res.Diff.Before, "IUSR_CLUSTER")
	assert.Contains(t, res.Diff.Before, `allow 0x1  NT AUTHORITY\INTERACTIVE (S-1-5-4)`)
	assert.Contains(t, res.Diff.After, `allow 0x1  CORP\IWAM_CLUSTER (S-1-5-21-1004336348-1177238915-682003330-1106)`)
	assert.Empty(t, labtest.Changes(l, "node2"))
	assert.Equal(t, before, l.Host("node2").Dump().DCOM)

	res, err = labtest.Run(t, l, "node2", dp, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, l.Host("node1").Dump().DCOM, l.Host("node2").Dump().DCOM, "node2's descriptors are node1's")
	assert.Len(t, labtest.Changes(l, "node2"), 2)

	res, err = labtest.Run(t, l, "node2", dp, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, "second run changed something: %s", res.Msg)
	assert.Len(t, labtest.Changes(l, "node2"), 2)
}

func TestDCOMPermissionDenyAbsentExact(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	aces := func() []string {
		var out []string
		for _, a := range l.Host("node1").Dump().DCOM["DefaultLaunchPermission"].ACEs {
			out = append(out, a.Type+" "+a.Account)
		}
		return out
	}
	run := func(m modules.Module) *modules.Result {
		t.Helper()
		res, err := labtest.Run(t, l, "node1", m, false)
		require.NoError(t, err)
		return res
	}

	// A deny ACE goes before the allow ACEs, as Windows orders them.
	deny := &modules.DCOMPermission{Permission: "launch", Type: "deny", Accounts: []string{"Guests"}}
	assert.True(t, run(deny).Changed)
	assert.Equal(t, []string{`deny BUILTIN\Guests`, `allow BUILTIN\Administrators`, `allow NT AUTHORITY\SYSTEM`,
		`allow NT AUTHORITY\INTERACTIVE`, `allow CORP\IUSR_CLUSTER`, `allow CORP\IWAM_CLUSTER`}, aces())
	assert.False(t, run(deny).Changed)

	// Exact allow: only these accounts are allowed; the deny ACE stays.
	exact := &modules.DCOMPermission{Permission: "launch", State: "exact", Accounts: []string{"BUILTIN\\Administrators", "SYSTEM", `CORP\IWAM_CLUSTER`}}
	res := run(exact)
	assert.True(t, res.Changed)
	assert.Contains(t, res.Msg, `-allow 0x1 CORP\IUSR_CLUSTER`)
	assert.Equal(t, []string{`deny BUILTIN\Guests`, `allow BUILTIN\Administrators`, `allow NT AUTHORITY\SYSTEM`, `allow CORP\IWAM_CLUSTER`}, aces())
	assert.False(t, run(exact).Changed)

	absent := &modules.DCOMPermission{Permission: "launch", Type: "deny", State: "absent", Accounts: []string{"S-1-5-32-546"}}
	assert.True(t, run(absent).Changed)
	assert.False(t, run(absent).Changed)
	assert.Equal(t, []string{`allow BUILTIN\Administrators`, `allow NT AUTHORITY\SYSTEM`, `allow CORP\IWAM_CLUSTER`}, aces())
	assert.Len(t, l.Host("node1").Dump().DCOM["DefaultAccessPermission"].ACEs, 5, "access permission was touched")
}

func TestDCOMPermissionUnknownAccount(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	_, err := labtest.Run(t, l, "node1", &modules.DCOMPermission{Permission: "access", Accounts: []string{`CORP\nobody`}}, true)
	require.Error(t, err)
	assert.ErrorIs(t, err, modules.ErrNoAccount)
	assert.Contains(t, err.Error(), "node1")
	assert.Contains(t, err.Error(), "wmic useraccount")
}

func TestDCOMPermissionValidate(t *testing.T) {
	bad := -1
	errs := (&modules.DCOMPermission{Permission: "execute", Accounts: []string{"%USERNAME%"}, Type: "permit", State: "on", Mask: &bad}).Validate()
	fields := map[string]bool{}
	for _, e := range errs {
		fields[e.Field] = true
	}
	assert.Equal(t, map[string]bool{"permission": true, "accounts": true, "type": true, "state": true, "mask": true}, fields, "%v", errs)
}

func TestDCOMPermissionLostReply(t *testing.T) {
	t.Parallel()
	l := startRebuiltPair(t)
	runbookLoseReply(l, "node2", "reg.exe add")
	res, err := labtest.Run(t, l, "node2", &modules.DCOMPermission{Permission: "access", Accounts: []string{`CORP\IUSR_CLUSTER`}}, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Len(t, l.Host("node2").Dump().DCOM["DefaultAccessPermission"].ACEs, 4)
	assert.Equal(t, 1, runbookRan(l, "node2", "reg.exe add"), "the write was sent again")
}
