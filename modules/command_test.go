package modules_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/modules/cmdline"
)

func TestCommandValidates(t *testing.T) {
	for _, tt := range []struct {
		name  string
		c     modules.RunCommand
		field string
		msg   string
	}{
		{"nothing to run", modules.RunCommand{}, "", "one of argv or line is required"},
		{"both", modules.RunCommand{Argv: []string{"hostname"}, Line: "hostname"}, "line", "mutually exclusive"},
		{"unsafe argv", modules.RunCommand{Argv: []string{"echo", "50%"}}, "argv", "cannot be passed safely"},
		{"long line", modules.RunCommand{Line: strings.Repeat("x", 9000)}, "line", "over cmd.exe's limit of 8191"},
		{"read_only that changes", modules.RunCommand{Argv: []string{"sc", "stop", "W3SVC"}, ReadOnly: true}, "read_only", "remove read_only"},
		{"read_only line that changes", modules.RunCommand{Line: "shutdown /r /t 0", ReadOnly: true}, "read_only", "shutdown changes the host"},
		{"unsafe creates", modules.RunCommand{Argv: []string{"hostname"}, Creates: `C:\a"b`}, "creates", "double quote"},
		{"unsafe removes", modules.RunCommand{Argv: []string{"hostname"}, Removes: "%TEMP%"}, "removes", "expands"},
	} {
		errs := tt.c.Validate()
		require.Len(t, errs, 1, tt.name)
		assert.Equal(t, tt.field, errs[0].Field, tt.name)
		assert.Contains(t, errs[0].Msg, tt.msg, tt.name)
	}
	assert.Empty(t, (&modules.RunCommand{Argv: []string{"sc", "query", "W3SVC"}, ReadOnly: true}).Validate())
}

func TestCommandRuns(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	res, err := labtest.Run(t, l, "node1", &modules.RunCommand{Argv: []string{"echo", "a & b", "(c)"}}, false)
	require.NoError(t, err)
	assert.True(t, res.Changed, "a command without read_only may have changed anything")
	require.NotNil(t, res.Output)
	assert.Equal(t, "\"a & b\" \"(c)\"\r\n", res.Output.Stdout, "each argument quoted for cmd.exe, nothing run besides echo")
	assert.Equal(t, "rc=0", res.Msg)

	_, err = labtest.Run(t, l, "node1", &modules.RunCommand{Argv: []string{"sc", "query", "NoSuchService"}, ReadOnly: true}, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "`sc query NoSuchService` exited 1060")
	assert.Contains(t, err.Error(), "not one of the success codes [0]")

	res, err = labtest.Run(t, l, "node1", &modules.RunCommand{Argv: []string{"sc", "query", "NoSuchService"}, ReadOnly: true, SuccessCodes: []int{0, 1060}}, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, "read_only reports ok")
	assert.Equal(t, 1060, res.Output.ExitCode)
}

func TestCommandCreatesAndRemoves(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	const marker = `C:\Program Files\lab marker.txt`
	write := &modules.RunCommand{Line: `echo done>"C:\Program Files\lab marker.txt"`, Creates: marker}

	// In check mode: creates says there is work, so it would run.
	res, err := labtest.Run(t, l, "node1", write, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Contains(t, res.Msg, "would run")
	assert.Empty(t, labtest.Changes(l, "node1"))

	res, err = labtest.Run(t, l, "node1", write, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	res, err = labtest.Run(t, l, "node1", write, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, "the marker exists: nothing to do")
	assert.Equal(t, marker+" exists", res.Msg)
	assert.Len(t, labtest.Changes(l, "node1"), 1, "the command ran once")

	del := &modules.RunCommand{Line: `del "C:\Program Files\lab marker.txt"`, Removes: marker}
	res, err = labtest.Run(t, l, "node1", del, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	res, err = labtest.Run(t, l, "node1", del, false)
	require.NoError(t, err)
	assert.False(t, res.Changed)
	assert.Equal(t, marker+" does not exist", res.Msg)
}

func TestCommandInCheckMode(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	res, err := labtest.Run(t, l, "node1", &modules.RunCommand{Argv: []string{"sc", "stop", "W3SVC"}}, true)
	require.NoError(t, err)
	assert.True(t, res.Skipped, "a command cannot say what it would change")
	assert.Empty(t, labtest.TaskLog(l.Host("node1")), "a skipped command sent nothing")

	res, err = labtest.Run(t, l, "node1", &modules.RunCommand{Argv: []string{"hostname"}, ReadOnly: true}, true)
	require.NoError(t, err)
	assert.False(t, res.Skipped, "read_only runs in check mode")
	assert.Equal(t, "NODE1\r\n", res.Output.Stdout)
	assert.Empty(t, labtest.Changes(l, "node1"))
}

func TestPathExists(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	task := labtest.Task(t, l, "node1", true)
	for path, want := range map[string]bool{
		`C:\WINNT\system32\hostname.exe`: true,
		`C:\WINNT`:                       true,
		`C:\no such dir\x & y.txt`:       false,
	} {
		got, err := modules.PathExists(context.Background(), task, path)
		require.NoError(t, err, path)
		assert.Equal(t, want, got, path)
	}
	_, err := modules.PathExists(context.Background(), task, `C:\50%`)
	require.ErrorIs(t, err, cmdline.ErrUnsafe)
}
