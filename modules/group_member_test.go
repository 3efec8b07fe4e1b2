package modules_test

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/modules"
)

func startRebuiltPair(t *testing.T) *lab.Lab {
	t.Helper()
	return labtest.Start(t, lab.HostSpec{Name: "node1", Profile: "node"}, lab.HostSpec{Name: "node2", Profile: "rebuilt"})
}

func TestGroupMemberGivesRebuiltNodeTheHealthyNodesGuests(t *testing.T) {
	t.Parallel()
	l := startRebuiltPair(t)
	gm := &modules.GroupMember{Name: "Guests", Members: []string{`CORP\IUSR_CLUSTER`, `CORP\IWAM_CLUSTER`}}

	res, err := labtest.Run(t, l, "node2", gm, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Contains(t, res.Msg, `add CORP\IUSR_CLUSTER, CORP\IWAM_CLUSTER`)
	require.NotNil(t, res.Diff)
	assert.Equal(t, "Guest\n", res.Diff.Before)
	assert.Equal(t, "CORP\\IUSR_CLUSTER\nCORP\\IWAM_CLUSTER\nGuest\n", res.Diff.After)
	assert.Empty(t, labtest.Changes(l, "node2"))
	assert.Equal(t, []string{"Guest"}, l.Host("node2").Dump().Groups["Guests"])

	res, err = labtest.Run(t, l, "node2", gm, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, l.Host("node1").Dump().Groups["Guests"], l.Host("node2").Dump().Groups["Guests"])
	assert.Len(t, labtest.Changes(l, "node2"), 2)

	res, err = labtest.Run(t, l, "node2", gm, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, "second run changed something: %s", res.Msg)
	assert.Len(t, labtest.Changes(l, "node2"), 2)
}

func TestGroupMemberExactAndAbsentCompareBySID(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1", Profile: "node"})

	// The IUSR account given by SID is the CORP\IUSR_CLUSTER the group
	// lists, so exact keeps it and removes only IWAM.
	exact := &modules.GroupMember{Name: "Guests", State: "exact", Members: []string{
		".\\Guest", "*S-1-5-21-1004336348-1177238915-682003330-1105",
	}}
	res, err := labtest.Run(t, l, "node1", exact, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, `Guests: remove CORP\IWAM_CLUSTER`, res.Msg)
	assert.Equal(t, []string{`CORP\IUSR_CLUSTER`, "Guest"}, l.Host("node1").Dump().Groups["Guests"])

	res, err = labtest.Run(t, l, "node1", exact, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)

	absent := &modules.GroupMember{Name: "Guests", State: "absent", Members: []string{"IUSR_CLUSTER@CORP", `CORP\IWAM_CLUSTER`}}
	res, err = labtest.Run(t, l, "node1", absent, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, []string{"Guest"}, l.Host("node1").Dump().Groups["Guests"])
	res, err = labtest.Run(t, l, "node1", absent, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)
}

func TestGroupMemberMissingGroup(t *testing.T) {
	t.Parallel()
	l := startRebuiltPair(t)
	gm := &modules.GroupMember{Name: "MTS Trusted Impersonators", Members: []string{`CORP\IWAM_CLUSTER`}}

	// A dry run cannot know whether an earlier task creates the group.
	res, err := labtest.Run(t, l, "node2", gm, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Contains(t, res.Msg, "does not exist (yet)")

	_, err = labtest.Run(t, l, "node2", gm, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node2")
	assert.Contains(t, err.Error(), "The specified local group does not exist.")
	assert.Empty(t, labtest.Changes(l, "node2"))

	// On the healthy node it exists and already holds IWAM.
	res, err = labtest.Run(t, l, "node1", gm, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)
}

func TestGroupMemberUnknownAccountFailsNamingTheCommand(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	_, err := labtest.Run(t, l, "node1", &modules.GroupMember{Name: "Guests", Members: []string{`CORP\nobody`}}, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `net.exe localgroup Guests CORP\nobody /add`)
	assert.Contains(t, err.Error(), "1332")
}

func TestGroupMemberValidate(t *testing.T) {
	errs := (&modules.GroupMember{Name: `Gu"ests`, Members: []string{"a'b", `x\y\z`}, State: "pure"}).Validate()
	fields := map[string]int{}
	for _, e := range errs {
		fields[e.Field]++
	}
	assert.Equal(t, map[string]int{"name": 1, "members": 2, "state": 1}, fields, "%v", errs)
	assert.NotEmpty(t, (&modules.GroupMember{Name: "Guests"}).Validate())
	assert.Empty(t, (&modules.GroupMember{Name: "Guests", State: "exact"}).Validate())
}

// runbookLoseReply makes node lose the reply to the first command whose
// line contains substr, after running it: the module must read the state
// again rather than fail or resend blindly.
func runbookLoseReply(l *lab.Lab, node, substr string) {
	var done atomic.Bool
	l.Host(node).Inject(wsman.InjectorFunc(func(r wsman.Request) wsman.Injection {
		if r.Action == "Command" && strings.Contains(r.CommandLine, substr) && !done.Swap(true) {
			return wsman.Injection{Kind: wsman.LoseReply}
		}
		return wsman.Injection{}
	}))
}

// runbookRan counts the log entries of node whose line contains substr.
func runbookRan(l *lab.Lab, node, substr string) int {
	n := 0
	for _, e := range labtest.TaskLog(l.Host(node)) {
		if strings.Contains(e.Line, substr) {
			n++
		}
	}
	return n
}

func TestGroupMemberLostReply(t *testing.T) {
	t.Parallel()
	l := startRebuiltPair(t)
	runbookLoseReply(l, "node2", "/add")
	res, err := labtest.Run(t, l, "node2", &modules.GroupMember{Name: "Guests", Members: []string{`CORP\IUSR_CLUSTER`}}, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, []string{`CORP\IUSR_CLUSTER`, "Guest"}, l.Host("node2").Dump().Groups["Guests"])
	assert.Equal(t, 1, runbookRan(l, "node2", "/add"), "the add was sent again")
}
