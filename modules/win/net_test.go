package win_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/modules/win"
)

func TestSystemErrorOnRealSamples(t *testing.T) {
	assert.Equal(t, 1376, win.SystemError(sample(t, "net/localgroup-add-error-1376-en-US.issue.txt")))
	assert.Equal(t, 1060, win.SystemError(sample(t, "sc/qc-not-installed-1060-de-DE.cp850.txt")), "sc's [SC] … FEHLER 1060:")
	// net stop's refusal names no code.
	assert.Zero(t, win.SystemError(sample(t, "net/stop-no-valid-answer-stderr-de-DE.cp850.txt")))
	assert.Zero(t, win.SystemError(sample(t, "net/stop-dependents-prompt-de-DE.cp850.txt")))
}

func TestSystemErrorForms(t *testing.T) {
	assert.Equal(t, 1753, win.SystemError("System error 1753 has occurred (0x000006d9).\r\nThere are no more endpoints available from the endpoint mapper.\r\n"))
	assert.Equal(t, 1378, win.SystemError("\r\nSystemfehler 1378 aufgetreten.\r\n\r\nDas angegebene Konto ist bereits ein Mitglied der Gruppe.\r\n"))
	assert.Equal(t, 2220, win.SystemError("The group name could not be found.\r\n\r\nMore help is available by typing NET HELPMSG 2220.\r\n"))
}

func TestLocalGroupMembersEndsBeforeTheLastLine(t *testing.T) {
	// The English layout; the trailer is the last line, whatever its
	// language.
	for _, trailer := range []string{"The command completed successfully.", "Der Befehl wurde erfolgreich ausgeführt."} {
		out := "Alias name     Guests\r\nComment        Guests have the same access as members of the Users group by default\r\n\r\nMembers\r\n\r\n" +
			"-------------------------------------------------------------------------------\r\nGuest\r\nCORP\\IUSR_CLUSTER\r\n" + trailer + "\r\n\r\n"
		members, err := win.LocalGroupMembers(out)
		require.NoError(t, err)
		assert.Equal(t, []string{"Guest", `CORP\IUSR_CLUSTER`}, members, trailer)
	}
	members, err := win.LocalGroupMembers("Members\r\n\r\n----------------------------------------\r\nThe command completed successfully.\r\n")
	require.NoError(t, err)
	assert.Empty(t, members)
	_, err = win.LocalGroupMembers("no table")
	require.Error(t, err)
}
