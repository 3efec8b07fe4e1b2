package modules_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/modules"
)

const (
	replicationKey     = `HKLM\SOFTWARE\Microsoft\Transaction Server\Replication`
	replicationKeyDump = `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Transaction Server\Replication`
	scratchKeyDump     = `HKEY_LOCAL_MACHINE\SOFTWARE\winplay-test`
)

func regValue(l *lab.Lab, host, key, name string) (win.RegValue, bool) {
	v, ok := l.Host(host).Dump().Registry[key][name]
	return v, ok
}

func TestRegistrySetsAValueOnceAndCheckModeOnlyReads(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1", Profile: win.ProfileNode})
	before, ok := regValue(l, "node1", replicationKeyDump, "RemoteServerName")
	require.True(t, ok)
	require.Equal(t, "NODE2", before.Data)
	m := &modules.Registry{Key: replicationKey, Name: "RemoteServerName", Data: "NODE3"}

	res, err := labtest.Run(t, l, "node1", m, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Contains(t, res.Msg, "REG_SZ NODE2 → REG_SZ NODE3")
	require.NotNil(t, res.Diff)
	assert.Equal(t, replicationKey+`\RemoteServerName: REG_SZ NODE3`+"\n", res.Diff.After)
	assert.Empty(t, labtest.Changes(l, "node1"), "check mode changed the registry")

	res, err = labtest.Run(t, l, "node1", m, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	got, _ := regValue(l, "node1", replicationKeyDump, "RemoteServerName")
	assert.Equal(t, win.RegValue{Type: "REG_SZ", Data: "NODE3"}, got)

	res, err = labtest.Run(t, l, "node1", m, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, "second run: %s", res.Msg)
	assert.Len(t, labtest.Changes(l, "node1"), 1)
}

func TestRegistryComparesAsRegQueryPrints(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1", Profile: win.ProfileNode})
	key := `HKLM\SOFTWARE\winplay-test`
	cases := []struct {
		name string
		set  modules.Registry
		same modules.Registry // the same value written another way
		want win.RegValue
	}{
		{"dword", modules.Registry{Type: "REG_DWORD", Data: "300"}, modules.Registry{Type: "REG_DWORD", Data: "0x12C"}, win.RegValue{Type: "REG_DWORD", Data: "0x12c"}},
		{"binary", modules.Registry{Type: "REG_BINARY", Data: "01ab"}, modules.Registry{Type: "REG_BINARY", Data: "01AB"}, win.RegValue{Type: "REG_BINARY", Data: "01AB"}},
		{"multi", modules.Registry{Type: "REG_MULTI_SZ", DataList: []string{"a b", "c"}}, modules.Registry{Type: "REG_MULTI_SZ", DataList: []string{"a b", "c"}}, win.RegValue{Type: "REG_MULTI_SZ", Data: `a b\0c`}},
	}
	for _, c := range cases {
		set, same := c.set, c.same
		set.Key, set.Name, same.Key, same.Name = key, c.name, key, c.name
		res, err := labtest.Run(t, l, "node1", &set, false)
		require.NoError(t, err, c.name)
		assert.True(t, res.Changed, c.name)
		got, _ := regValue(l, "node1", scratchKeyDump, c.name)
		assert.Equal(t, c.want, got, c.name)
		res, err = labtest.Run(t, l, "node1", &same, false)
		require.NoError(t, err, c.name)
		assert.False(t, res.Changed, "%s written as %+v: %s", c.name, same, res.Msg)
	}
	// Another type with the same text is a change.
	res, err := labtest.Run(t, l, "node1", &modules.Registry{Key: key, Name: "dword", Data: "0x12c"}, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	got, _ := regValue(l, "node1", scratchKeyDump, "dword")
	assert.Equal(t, "REG_SZ", got.Type)
}

func TestRegistryAbsent(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1", Profile: win.ProfileNode})
	m := &modules.Registry{Key: replicationKey, Name: "ReplicationShare", State: "absent"}
	res, err := labtest.Run(t, l, "node1", m, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	_, ok := regValue(l, "node1", replicationKeyDump, "ReplicationShare")
	assert.False(t, ok, "the value is still there")
	res, err = labtest.Run(t, l, "node1", m, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, "removing an absent value: %s", res.Msg)
	assert.Contains(t, res.Msg, "(absent)")
}

func TestRegistryLostReplyIsSettledByReading(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1", Profile: win.ProfileNode})
	runbookLoseReply(l, "node1", "reg.exe add")
	res, err := labtest.Run(t, l, "node1", &modules.Registry{Key: replicationKey, Name: "RemoteServerName", Data: "NODE9"}, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	got, _ := regValue(l, "node1", replicationKeyDump, "RemoteServerName")
	assert.Equal(t, "NODE9", got.Data)
	assert.Equal(t, 1, runbookRan(l, "node1", "reg.exe add"), "the write was sent again")
}

func TestRegistryValidate(t *testing.T) {
	for _, c := range []struct {
		m     modules.Registry
		field string
	}{
		{modules.Registry{Key: `SOFTWARE\x`, Name: "v"}, "key"},
		{modules.Registry{Key: `HKLM\x`, Name: ""}, "name"},
		{modules.Registry{Key: `HKLM\x`, Name: "v", Type: "REG_QWORD"}, "type"},
		{modules.Registry{Key: `HKLM\x`, Name: "v", Type: "REG_DWORD", Data: "4294967296"}, "data"},
		{modules.Registry{Key: `HKLM\x`, Name: "v", Type: "REG_BINARY", Data: "0g"}, "data"},
		{modules.Registry{Key: `HKLM\x`, Name: "v", Data: "%SystemRoot%"}, "data"},
		{modules.Registry{Key: `HKLM\x`, Name: "v", Type: "REG_MULTI_SZ", DataList: []string{`a\0b`}}, "data_list"},
		{modules.Registry{Key: `HKLM\x`, Name: "v", Type: "REG_MULTI_SZ", Data: "a"}, "data"},
		{modules.Registry{Key: `HKLM\x`, Name: "v", DataList: []string{"a"}}, "data_list"},
		{modules.Registry{Key: `HKLM\x`, Name: "v", State: "absent", Data: "a"}, ""},
		{modules.Registry{Key: `HKLM\x`, Name: "v", State: "gone"}, "state"},
	} {
		errs := c.m.Validate()
		if assert.NotEmpty(t, errs, "%+v", c.m) {
			assert.Equal(t, c.field, errs[0].Field, "%+v: %v", c.m, errs)
		}
	}
	assert.Empty(t, (&modules.Registry{Key: `HKEY_LOCAL_MACHINE\x`, Name: "v", Type: "REG_DWORD", Data: "0xffffffff"}).Validate())
}
