package win

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encodedCommand is `powershell.exe -EncodedCommand` of script, as
// masterzen's winrm.Powershell builds it for winrmcp.
func encodedCommand(script string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(script)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return "powershell.exe -EncodedCommand " + base64.StdEncoding.EncodeToString(b)
}

// winrmcpScript reads a script winrmcp sent (captured from Debian's
// winrmcp against the lab) with its paths filled in.
func winrmcpScript(t *testing.T, name, tmp, dest string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return encodedCommand(strings.NewReplacer("TMPFILE", tmp, "DESTFILE", dest).Replace(string(b)))
}

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestWinrmcpUploadRestoreAndCleanup(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	data := []byte(strings.Repeat("winrmcp \x00\xff bytes\r\n", 700))
	const tmp = `%TEMP%\winrmcp-1.tmp`
	// winrmcp's chunks: base64 lines appended by cmd's echo, which keeps
	// the blank before >>.
	for _, chunk := range [][]byte{data[:5000], data[5000:10000], data[10000:]} {
		mustRun(t, m, "echo "+base64.StdEncoding.EncodeToString(chunk)+` >> "`+tmp+`"`)
	}
	restore := winrmcpScript(t, "winrmcp-restore.ps1", `$env:TEMP\winrmcp-1.tmp`, `C:\Upload\dir\up.bin`)
	r := mustRun(t, m, restore)
	assert.Empty(t, r.err)
	f := m.Dump().Files[`C:\Upload\dir\up.bin`]
	assert.Equal(t, len(data), f.Size, "the missing directories are created")
	assert.Equal(t, sha(data), f.SHA256)
	log := m.Log()
	assert.True(t, log[len(log)-1].Changes, "restoring into C:\\Upload changes the host")

	// Again over an existing file: it is replaced, not appended to.
	mustRun(t, m, restore)
	assert.Equal(t, sha(data), m.Dump().Files[`C:\Upload\dir\up.bin`].SHA256)

	mustRun(t, m, winrmcpScript(t, "winrmcp-cleanup.ps1", `$env:TEMP\winrmcp-1.tmp`, ""))
	assert.Equal(t, 1, run(m, `type "`+tmp+`"`).code, "cleanup left the temp file")
	mustRun(t, m, winrmcpScript(t, "winrmcp-cleanup.ps1", `$env:TEMP\winrmcp-1.tmp`, ""))

	// No temp file (an empty upload): an empty destination.
	mustRun(t, m, winrmcpScript(t, "winrmcp-restore.ps1", `$env:TEMP\winrmcp-2.tmp`, `C:\Upload\empty.bin`))
	assert.Equal(t, FileState{SHA256: sha(nil)}, m.Dump().Files[`C:\Upload\empty.bin`])

	// A directory as destination: the script's Exit 1.
	assert.Equal(t, 1, run(m, winrmcpScript(t, "winrmcp-restore.ps1", `$env:TEMP\winrmcp-1.tmp`, `C:\Upload\dir`)).code)

	mustRun(t, m, `echo not*base64 >> "%TEMP%\winrmcp-3.tmp"`)
	r = run(m, winrmcpScript(t, "winrmcp-restore.ps1", `$env:TEMP\winrmcp-3.tmp`, `C:\Upload\bad.bin`))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, `Exception calling "FromBase64String"`)
}

func TestPowerShellRemoveItem(t *testing.T) {
	t.Parallel()
	m := newHost(t, ProfileNode)
	mustRun(t, m, `mkdir C:\Work\sub & echo x > C:\Work\sub\a.txt & echo y > C:\Work\b.txt`)
	mustRun(t, m, `powershell -Command Remove-Item C:\Work\b.txt`)
	assert.NotContains(t, m.Dump().Files, `C:\Work\b.txt`)
	log := m.Log()
	assert.True(t, log[len(log)-1].Changes)

	r := run(m, `powershell -Command Remove-Item C:\Work\sub`)
	assert.Equal(t, 1, r.code, "a directory that is not empty needs -Recurse")
	mustRun(t, m, `powershell -Command Remove-Item -Path C:\Work\sub -Recurse -Force`)
	assert.NotContains(t, m.Dump().Files, `C:\Work\sub\a.txt`)

	r = run(m, `powershell -Command Remove-Item C:\Work\none.txt`)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, `Remove-Item : Cannot find path 'C:\Work\none.txt' because it does not exist.`)
	r = run(m, `powershell -Command Remove-Item C:\Work\none.txt -ErrorAction SilentlyContinue`)
	assert.Equal(t, 1, r.code, "$? is still false")
	assert.Empty(t, r.err)
	assert.Equal(t, 1, run(m, `powershell -Command Remove-Item C:\Work -Bogus`).code)

	// The CD in D: is read-only, with or without -Recurse, as for rmdir /s.
	for _, line := range []string{
		`powershell -Command Remove-Item -Recurse -Force D:\SP6`,
		`powershell -Command Remove-Item D:\SP6\UPDATE.EXE`,
		`rmdir /s /q D:\SP6`,
	} {
		r = run(m, line)
		assert.NotEqual(t, 0, r.code, line)
		assert.Contains(t, r.err, "Access is denied.", line)
	}
	assert.Contains(t, mustRun(t, m, `dir /b D:\SP6`).out, "UPDATE.EXE")
}
