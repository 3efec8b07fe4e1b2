package win

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetabaseIsParsedAgainOnlyAfterAWrite(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	parsed := func() (metabase, bool) {
		m.net.mu.Lock()
		defer m.net.mu.Unlock()
		return m.metabase()
	}
	first, ok := parsed()
	require.True(t, ok)
	again, _ := parsed()
	assert.Equal(t, reflect.ValueOf(first).Pointer(), reflect.ValueOf(again).Pointer(), "an unchanged file is not parsed again")

	mustRun(t, m, `echo [/LM/W3SVC/9]>> C:\WINNT\system32\inetsrv\MetaBase.bin`)
	appended, ok := parsed()
	require.True(t, ok)
	assert.Contains(t, appended, "/LM/W3SVC/9")

	// The same length and the same clock: only the write says it changed.
	m.net.mu.Lock()
	data := string(m.c.get(metabasePath).data)
	m.putFile(metabasePath, []byte(strings.Replace(data, "[/LM/W3SVC/9]", "[/LM/W3SVC/8]", 1)), "", "")
	m.net.mu.Unlock()
	rewritten, ok := parsed()
	require.True(t, ok)
	assert.Contains(t, rewritten, "/LM/W3SVC/8")
	assert.NotContains(t, rewritten, "/LM/W3SVC/9")
}
