package win

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSeceditExport(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	r := mustRun(t, m, `secedit /export /cfg %TEMP%\rights.inf /areas USER_RIGHTS`)
	assert.Equal(t, "The task has completed successfully.\r\n", r.out)

	m.net.mu.Lock()
	raw := append([]byte(nil), m.c.get(`\WINNT\Temp\rights.inf`).data...)
	m.net.mu.Unlock()
	require.Greater(t, len(raw), 2)
	assert.Equal(t, []byte{0xFF, 0xFE, '[', 0}, raw[:4], "UTF-16LE with a byte order mark")

	text := mustRun(t, m, `type %TEMP%\rights.inf`).out
	assert.Contains(t, text, "[Unicode]\r\nUnicode=yes\r\n[Privilege Rights]\r\n")
	assert.Contains(t, text, "\r\nSeInteractiveLogonRight = *S-1-5-32-544,*S-1-5-32-551,*S-1-5-32-547,*S-1-5-32-545,*S-1-5-32-546,*"+
		sidIUSRCluster+",*"+sidIWAMCluster+"\r\n")
	assert.Contains(t, text, "\r\nSeRemoteShutdownPrivilege = *S-1-5-32-544\r\nSeRestorePrivilege = ")
	assert.True(t, len(text) > 0 && text[len(text)-len("[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n"):] ==
		"[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n")

	text = mustRun(t, m, `secedit /export /cfg %TEMP%\policy.inf /areas SECURITYPOLICY /quiet & type %TEMP%\policy.inf`).out
	assert.Equal(t, "[Unicode]\r\nUnicode=yes\r\n[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n", text)

	r = run(m, `secedit /export /cfg C:\nodir\r.inf`)
	assert.Equal(t, errPathNotFound, r.code)
	r = run(m, `secedit /export /areas USER_RIGHTS`)
	assert.Equal(t, errInvalidParameter, r.code)
	assert.Contains(t, r.err, "Usage: secedit")
	assert.Equal(t, errInvalidParameter, run(m, `secedit /analyze /db x.sdb`).code)
	assert.Equal(t, errInvalidParameter, run(m, `secedit /export /cfg %TEMP%\r.inf /areas EVERYTHING`).code)
}

func TestSeceditConfigure(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileRebuilt)
	before := m.Dump().Rights
	writeLines(t, m, `C:\WINNT\Temp\r.inf`, "[Unicode]", "Unicode=yes", "[Privilege Rights]",
		`SeInteractiveLogonRight = *S-1-5-32-544,CORP\IUSR_CLUSTER,IWAM_CLUSTER ; comment`,
		"SeBatchLogonRight = Guest",
		"SeTcbPrivilege =",
		"[Version]", `signature="$CHICAGO$"`, "Revision=1")
	r := mustRun(t, m, `secedit /configure /db %TEMP%\r.sdb /cfg %TEMP%\r.inf /areas USER_RIGHTS`)
	assert.Equal(t, "The task has completed successfully.\r\n", r.out)
	after := m.Dump()
	assert.Equal(t, []string{`BUILTIN\Administrators`, `CORP\IUSR_CLUSTER`, `CORP\IWAM_CLUSTER`}, after.Rights["SeInteractiveLogonRight"])
	assert.Equal(t, []string{`NODE1\Guest`}, after.Rights["SeBatchLogonRight"])
	assert.Empty(t, after.Rights["SeTcbPrivilege"])
	assert.Equal(t, before["SeNetworkLogonRight"], after.Rights["SeNetworkLogonRight"], "rights not listed are left alone")
	assert.NotContains(t, after.Files, `C:\WINNT\Temp\r.sdb`, "scratch files stay out of the dump")

	// An exported template (UTF-16) applies as it is.
	mustRun(t, m, `secedit /export /cfg %TEMP%\now.inf`)
	mustRun(t, m, `secedit /configure /db %TEMP%\r.sdb /cfg %TEMP%\now.inf /quiet`)
	assert.Equal(t, after.Rights, m.Dump().Rights)

	tests := []struct {
		name  string
		lines []string
		code  int
	}{
		{"unknown account", []string{"[Privilege Rights]", `SeInteractiveLogonRight = CORP\Nobody`, "[Version]", `signature="$CHICAGO$"`}, errNoneMapped},
		{"unknown right", []string{"[Privilege Rights]", `SeFlyingPrivilege = Guest`, "[Version]", `signature="$CHICAGO$"`}, errNoSuchPrivilege},
		{"no signature", []string{"[Privilege Rights]", `SeInteractiveLogonRight = Guest`}, errInvalidParameter},
		{"not an INF", []string{"SeInteractiveLogonRight = Guest"}, errInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeLines(t, m, `C:\WINNT\Temp\bad.inf`, tt.lines...)
			r := run(m, `secedit /configure /db %TEMP%\r.sdb /cfg %TEMP%\bad.inf /areas USER_RIGHTS`)
			assert.Equal(t, tt.code, r.code)
			assert.Equal(t, "", r.out)
			assert.Equal(t, after.Rights, m.Dump().Rights, "a bad template changes nothing")
		})
	}
	assert.Equal(t, errFileNotFound, run(m, `secedit /configure /db %TEMP%\r.sdb /cfg %TEMP%\none.inf`).code)
	assert.Equal(t, errInvalidParameter, run(m, `secedit /configure /cfg %TEMP%\r.inf`).code, "/db is required")
	assert.Equal(t, errPathNotFound, run(m, `secedit /configure /db C:\nodir\r.sdb /cfg %TEMP%\r.inf`).code)

	// Other areas leave user rights alone.
	writeLines(t, m, `C:\WINNT\Temp\other.inf`, "[Privilege Rights]", "SeInteractiveLogonRight = Guest", "[Version]", `signature="$CHICAGO$"`)
	mustRun(t, m, `secedit /configure /db %TEMP%\r.sdb /cfg %TEMP%\other.inf /areas SECURITYPOLICY`)
	assert.Equal(t, after.Rights, m.Dump().Rights)
}
