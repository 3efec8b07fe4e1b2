package modules_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/modules"
)

func copySum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestCopyInlineContentIsIdempotentByChecksum(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	content := "[Global]\r\nAction=Install\r\nInstallType=Custom\r\n"
	cp := &modules.Copy{Content: content, Dest: `C:\unattend\op.ini`}

	res, err := labtest.Run(t, l, "node1", cp, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	require.NotNil(t, res.Diff)
	assert.Contains(t, res.Diff.Before, "(absent)")
	assert.Contains(t, res.Diff.After, "(of the content)")
	assert.Empty(t, labtest.Changes(l, "node1"), "check mode changed the host")
	_, there := l.Host("node1").Dump().Files[`C:\unattend\op.ini`]
	assert.False(t, there)

	res, err = labtest.Run(t, l, "node1", cp, false)
	require.NoError(t, err)
	assert.True(t, res.Changed, res.Msg)
	f := l.Host("node1").Dump().Files[`C:\unattend\op.ini`]
	assert.Equal(t, copySum([]byte(content)), f.SHA256, "the file on the host is not the content")
	assert.True(t, l.Host("node1").Dump().Files[`C:\unattend`].Dir, "dest's directory was not created")
	for name := range l.Host("node1").Dump().Files {
		assert.NotContains(t, name, "winplay-", "scratch left outside the temp directory")
	}

	res, err = labtest.Run(t, l, "node1", cp, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, "second run changed something: %s", res.Msg)

	// Other content replaces the file.
	cp2 := &modules.Copy{Content: content + "[Components]\r\n", Dest: `C:\unattend\op.ini`}
	res, err = labtest.Run(t, l, "node1", cp2, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, copySum([]byte(cp2.Content)), l.Host("node1").Dump().Files[`C:\unattend\op.ini`].SHA256)
}

func TestCopyLocalBinaryFileInChunks(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	data := make([]byte, 20000) // several echo chunks
	_, err := rand.Read(data)
	require.NoError(t, err)
	src := filepath.Join(t.TempDir(), "Dtcsetup.exe")
	require.NoError(t, os.WriteFile(src, data, 0o644))
	cp := &modules.Copy{Src: src, Dest: `C:\WINNT\system32\dtcfix\Dtcsetup.exe`}

	res, err := labtest.Run(t, l, "node1", cp, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	f := l.Host("node1").Dump().Files[`C:\WINNT\system32\dtcfix\Dtcsetup.exe`]
	assert.Equal(t, copySum(data), f.SHA256)
	assert.Equal(t, len(data), f.Size)
	assert.Contains(t, res.Msg, copySum(data), "a src file's sum is shown")

	res, err = labtest.Run(t, l, "node1", cp, true)
	require.NoError(t, err)
	assert.False(t, res.Changed, "check mode after the copy predicts a change: %s", res.Msg)
}

func TestCopyEmptyFile(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	src := filepath.Join(t.TempDir(), "empty.txt")
	require.NoError(t, os.WriteFile(src, nil, 0o644))
	cp := &modules.Copy{Src: src, Dest: `C:\flags\ready.txt`}

	res, err := labtest.Run(t, l, "node1", cp, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	f, ok := l.Host("node1").Dump().Files[`C:\flags\ready.txt`]
	require.True(t, ok)
	assert.Equal(t, 0, f.Size)

	res, err = labtest.Run(t, l, "node1", cp, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, res.Msg)
}

func TestCopyLostReplyStartsTheUploadOver(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	data := make([]byte, 15000)
	_, err := rand.Read(data)
	require.NoError(t, err)
	src := filepath.Join(t.TempDir(), "Dtcsetup.exe")
	require.NoError(t, os.WriteFile(src, data, 0o644))
	// The second chunk's reply is lost: it may or may not have been
	// appended, so the upload starts over rather than append again.
	installerLoseReply(l, "node1", ">>", 1)
	res, err := labtest.Run(t, l, "node1", &modules.Copy{Src: src, Dest: `C:\dtc\Dtcsetup.exe`}, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, copySum(data), l.Host("node1").Dump().Files[`C:\dtc\Dtcsetup.exe`].SHA256)
	assert.Equal(t, 2, installerRan(l, "node1", "echo ")-installerRan(l, "node1", ">>"), "the upload did not start over once")
}

func TestCopyValidation(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope.bin")
	cases := []struct {
		name  string
		c     modules.Copy
		field string
	}{
		{"no source", modules.Copy{Dest: `C:\a.txt`}, ""},
		{"both sources", modules.Copy{Src: "x", Content: "y", Dest: `C:\a.txt`}, "content"},
		{"missing src", modules.Copy{Src: missing, Dest: `C:\a.txt`}, "src"},
		{"relative dest", modules.Copy{Content: "x", Dest: `a.txt`}, "dest"},
		{"dest is a directory", modules.Copy{Content: "x", Dest: `C:\dir\`}, "dest"},
		{"percent in dest", modules.Copy{Content: "x", Dest: `C:\%TEMP%\a.txt`}, "dest"},
		{"no dest", modules.Copy{Content: "x"}, "dest"},
		{"relative temp", modules.Copy{Content: "x", Dest: `C:\a.txt`, TempDir: `Temp`}, "temp_dir"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.c.Validate()
			require.NotEmpty(t, errs)
			assert.Equal(t, tc.field, errs[0].Field, "%v", errs)
		})
	}
	ok := modules.Copy{Content: "x", Dest: `C:\a b\c.txt`}
	assert.Empty(t, ok.Validate())
}

func TestCopyFailureNamesHostAndCommand(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	// D: is the read-only CD.
	_, err := labtest.Run(t, l, "node1", &modules.Copy{Content: "x", Dest: `D:\SP6\new.txt`}, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node1")
	assert.Contains(t, err.Error(), `copy /y`)
}

// TestCopyShowsNothingOfInlineContent: content may be a secret. What logs
// and errors show of the upload's chunks, and the result's sums, must not
// give it away, in base64 or as a SHA-256 a brute force reverses.
func TestCopyShowsNothingOfInlineContent(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	secret := "Hunter2Secret"
	cp := &modules.Copy{Content: secret, Dest: `C:\unattend\pw.txt`}
	task := labtest.Task(t, l, "node1", false)
	res, err := cp.Run(context.Background(), task)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, copySum([]byte(secret)), l.Host("node1").Dump().Files[`C:\unattend\pw.txt`].SHA256)

	b64 := base64.StdEncoding.EncodeToString([]byte(secret))
	echoed := 0
	for _, cmd := range task.Host.(*labtest.Guard).Sent {
		if strings.Contains(cmd.Line, b64) {
			echoed++
			assert.NotContains(t, cmd.Shown(), b64, "the chunk is shown as it is sent")
			assert.Contains(t, cmd.Shown(), "base64 characters")
		}
	}
	assert.Equal(t, 1, echoed, "the content went out in one chunk")
	for _, text := range []string{res.Msg, res.Diff.Before, res.Diff.After} {
		assert.NotContains(t, text, copySum([]byte(secret)))
		assert.NotContains(t, text, secret)
	}
}

// A temp_dir so long that the chunk lines cannot fit fails validation; at
// run time (a value known only then) the upload fails with the reason
// instead of panicking.
func TestCopyWithAnOverlongTempDirFailsCleanly(t *testing.T) {
	temp := `C:\` + strings.Repeat(`d\`, 4075) + "d"
	c := &modules.Copy{Content: "x", Dest: `C:\x.txt`, TempDir: temp}
	errs := modules.CheckLengths("copy", c)
	require.NotEmpty(t, errs)
	for _, e := range errs {
		assert.Equal(t, "temp_dir", e.Field)
	}

	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	task := labtest.Task(t, l, "node1", false)
	_, err := c.Run(context.Background(), task)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "over cmd.exe's limit")
}
