package modules_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/modules"
)

func TestUserRightGivesRebuiltNodeTheHealthyNodesRights(t *testing.T) {
	t.Parallel()
	l := startRebuiltPair(t)
	accounts := []string{`CORP\IUSR_CLUSTER`, `CORP\IWAM_CLUSTER`}
	rights := []string{"SeInteractiveLogonRight", "SeNetworkLogonRight"}
	before := l.Host("node2").Dump().Rights

	for _, right := range rights {
		res, err := labtest.Run(t, l, "node2", &modules.UserRight{Name: right, Users: accounts}, true)
		require.NoError(t, err)
		assert.True(t, res.Changed)
		assert.Equal(t, right+`: add CORP\IUSR_CLUSTER, CORP\IWAM_CLUSTER`, res.Msg)
		require.NotNil(t, res.Diff)
		assert.NotContains(t, res.Diff.Before, "IUSR_CLUSTER")
		assert.Contains(t, res.Diff.After, `CORP\IUSR_CLUSTER (S-1-5-21-1004336348-1177238915-682003330-1105)`)
		assert.Contains(t, res.Diff.After, `BUILTIN\Administrators (S-1-5-32-544)`)
	}
	assert.Empty(t, labtest.Changes(l, "node2"), "the dry run changed node2")
	assert.Equal(t, before, l.Host("node2").Dump().Rights)

	for _, right := range rights {
		res, err := labtest.Run(t, l, "node2", &modules.UserRight{Name: right, Users: accounts}, false)
		require.NoError(t, err)
		assert.True(t, res.Changed)
	}
	want, got := l.Host("node1").Dump().Rights, l.Host("node2").Dump().Rights
	for _, right := range rights {
		assert.Equal(t, want[right], got[right], right)
	}
	changes := len(labtest.Changes(l, "node2"))

	for _, right := range rights {
		res, err := labtest.Run(t, l, "node2", &modules.UserRight{Name: right, Users: accounts}, false)
		require.NoError(t, err)
		assert.False(t, res.Changed, "second run changed something: %s", res.Msg)
	}
	assert.Len(t, labtest.Changes(l, "node2"), changes)
}

func TestUserRightSetAndRemove(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	run := func(m modules.Module) *modules.Result {
		t.Helper()
		res, err := labtest.Run(t, l, "node1", m, false)
		require.NoError(t, err)
		return res
	}

	set := &modules.UserRight{Name: "seremoteshutdownprivilege", Action: "set", Users: []string{"Administrators", "*S-1-5-21-1004336348-1177238915-682003330-500"}}
	res := run(set)
	assert.True(t, res.Changed)
	assert.Equal(t, `SeRemoteShutdownPrivilege: add CORP\Administrator`, res.Msg)
	assert.Equal(t, []string{`BUILTIN\Administrators`, `CORP\Administrator`}, l.Host("node1").Dump().Rights["SeRemoteShutdownPrivilege"])
	assert.False(t, run(set).Changed)

	set.Users = []string{`CORP\Administrator`}
	assert.True(t, run(set).Changed)
	assert.Equal(t, []string{`CORP\Administrator`}, l.Host("node1").Dump().Rights["SeRemoteShutdownPrivilege"])

	remove := &modules.UserRight{Name: "SeNetworkLogonRight", Action: "remove", Users: []string{"Everyone", "IWAM_CLUSTER@CORP"}}
	res = run(remove)
	assert.Equal(t, `SeNetworkLogonRight: remove Everyone, CORP\IWAM_CLUSTER`, res.Msg)
	assert.Equal(t, []string{`BUILTIN\Administrators`, `BUILTIN\Power Users`, `CORP\IUSR_CLUSTER`}, l.Host("node1").Dump().Rights["SeNetworkLogonRight"])
	assert.False(t, run(remove).Changed)
}

func TestUserRightValidate(t *testing.T) {
	errs := (&modules.UserRight{Name: "SeInteractiveLogon", Users: []string{`a"b`}, Action: "grant"}).Validate()
	fields := map[string]string{}
	for _, e := range errs {
		fields[e.Field] = e.Msg
	}
	assert.Len(t, fields, 3, "%v", errs)
	assert.Contains(t, fields["name"], "did you mean SeInteractiveLogonRight?")
	assert.Contains(t, fields, "users")
	assert.Contains(t, fields, "action")
	assert.Empty(t, (&modules.UserRight{Name: "SeBatchLogonRight", Action: "set"}).Validate())
}

func TestUserRightLostReply(t *testing.T) {
	t.Parallel()
	l := startRebuiltPair(t)
	runbookLoseReply(l, "node2", "/configure")
	res, err := labtest.Run(t, l, "node2", &modules.UserRight{Name: "SeNetworkLogonRight", Users: []string{`CORP\IWAM_CLUSTER`}}, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Contains(t, l.Host("node2").Dump().Rights["SeNetworkLogonRight"], `CORP\IWAM_CLUSTER`)
	assert.Equal(t, 1, runbookRan(l, "node2", "/configure"), "secedit /configure was sent again")
}
