package win_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/modules/win"
)

func TestCLIXMLOnRealSamples(t *testing.T) {
	msg := win.CLIXML(sample(t, "powershell/clixml-stderr-command-not-found-with-progress.pywinrm.txt"))
	assert.True(t, strings.HasPrefix(msg, "fake : The term 'fake' is not recognized"), msg)
	assert.Contains(t, msg, "Check \nthe spelling", "one <S S=\"Error\"> per console line, CR LF decoded")
	assert.Contains(t, msg, "FullyQualifiedErrorId : CommandNotFoundException")
	assert.NotContains(t, msg, "Preparing modules", "progress records are not errors")
	assert.NotContains(t, msg, "_x000D_")

	assert.Empty(t, win.CLIXML(sample(t, "powershell/clixml-stderr-progress-only.pywinrm.txt")))

	// Reformatted by its test's author (blanks and tabs between elements,
	// one inside an end tag); the element text is real.
	msg = win.CLIXML(sample(t, "powershell/clixml-stderr-ad-parameter-error-reformatted.terraform-provider-ad.txt"))
	assert.NotEmpty(t, msg)
	assert.NotContains(t, msg, "Loading Active Directory module")

	assert.Equal(t, "plain text", win.CLIXML("plain text"), "stderr that is not CLIXML is kept")
}

func TestScriptResultOnRealJSON(t *testing.T) {
	// Windows PowerShell 5.1's ConvertTo-Json layout (not compressed).
	var v struct {
		Service struct {
			Name   string
			Status int
		}
	}
	// The sample is indented over several lines; a script prints one
	// line, so only the sample's JSON is read here, whole.
	text := strings.ReplaceAll(sample(t, "powershell/get-service-and-win32service-convertto-json-dhcp.inspec.txt"), "\n", " ")
	require.NoError(t, win.ScriptResult(text, &v))
	assert.Equal(t, "dhcp", v.Service.Name)
	assert.Equal(t, 4, v.Service.Status, "5.1 writes an enum as its number")
}

func TestScriptLineCarriesDataAsBase64Only(t *testing.T) {
	s := win.LoadScript("account-sid")
	hostile := `x'; Remove-Item C:\ -Recurse; '` + "\u00e4"
	line, err := s.Line(win.Arg{Name: "Name", Value: hostile})
	require.NoError(t, err)
	b64, ok := strings.CutPrefix(line, win.PowerShellProgram)
	require.True(t, ok)
	text, err := win.DecodeCommand(b64)
	require.NoError(t, err)
	assert.NotContains(t, text, "Remove-Item", "the value is not spliced into the script")
	assert.True(t, strings.HasSuffix(text, s.Body))
	assert.Contains(t, text, "$Name = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('")

	_, err = s.Line(win.Arg{Name: "bad name", Value: "x"})
	require.Error(t, err)
	assert.NotEmpty(t, win.ScriptNames())
}

func TestPSErrorIDIsNotTranslated(t *testing.T) {
	de := sample(t, "powershell/error-script-execution-disabled-de-DE.doc-paste.txt")
	assert.Contains(t, de, "In Zeile:1 Zeichen:1", "the position line is translated")
	assert.Equal(t, "UnauthorizedAccess", win.PSErrorID(de))
	en := win.CLIXML(sample(t, "powershell/clixml-stderr-command-not-found-with-progress.pywinrm.txt"))
	assert.Equal(t, "CommandNotFoundException", win.PSErrorID(en))
	assert.Empty(t, win.PSErrorID("no record"))
}

// The lab's PowerShell runs exactly the scripts the modules send: it
// knows each by its whole text, a copy of this package's (the lab may not
// import modules). The copies must not drift.
func TestTheLabKnowsEveryScript(t *testing.T) {
	for _, name := range win.ScriptNames() {
		lab, err := os.ReadFile(filepath.Join("..", "..", "lab", "win", "ps", name+".ps1"))
		require.NoError(t, err, "lab/win/ps has no copy of %s.ps1", name)
		assert.Equal(t, win.LoadScript(name).Body, strings.ReplaceAll(string(lab), "\r\n", "\n"), name)
	}
	entries, err := os.ReadDir(filepath.Join("..", "..", "lab", "win", "ps"))
	require.NoError(t, err)
	assert.Len(t, entries, len(win.ScriptNames()), "the lab knows a script no module sends")
}
