package win

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBuiltinNamesFollowTheHostsLanguage: a German host names its
// built-in groups and the Guest account as the German capture in the
// corpus does (Administratoren, Benutzer, Gast with RID 501) and its
// built-in domain VORDEFINIERT, a Russian host its Administrators
// Администраторы under BUILTIN; SYSTEM is NT-AUTORITÄT\SYSTEM and
// NT AUTHORITY\СИСТЕМА, as Microsoft's table of localized names gives
// them.
func TestBuiltinNamesFollowTheHostsLanguage(t *testing.T) {
	t.Parallel()
	sample, err := os.ReadFile(filepath.Join(goldenCorpus, "powershell/localgroups-and-users-de-DE.privatm-readme.txt"))
	require.NoError(t, err)
	for _, s := range []string{"Name        {Administratoren}", "Name        {Benutzer}",
		"Gast                        DESKTOP-EX4MPL3 S-1-5-21-1861850896-3805680650-3336260861-501"} {
		require.Contains(t, string(sample), s, "the sample holds what the lab follows")
	}

	de := goldenHost(t, "2022", "de-DE")
	assert.Equal(t, `VORDEFINIERT\Administratoren`, de.accountName(sidAdministrators))
	assert.Equal(t, `VORDEFINIERT\Benutzer`, de.accountName(sidUsers))
	assert.Equal(t, `VORDEFINIERT\Gäste`, de.accountName(sidGuests))
	assert.Equal(t, `NODE1\Gast`, de.accountName(de.sid+"-501"))
	assert.Equal(t, `NODE1\Administrator`, de.accountName(de.sid+"-500"), "the German Administrator keeps its name")
	assert.Equal(t, `NT-AUTORITÄT\SYSTEM`, de.accountName(sidSystem))
	out := mustRun(t, de, `net localgroup`).out
	for _, g := range []string{"*Administratoren\r\n", "*Benutzer\r\n", "*Gäste\r\n"} {
		assert.Contains(t, out, g)
	}
	assert.Contains(t, mustRun(t, de, `net localgroup Administratoren`).out, "lab\r\n")

	ru := goldenHost(t, "2022", "ru-RU")
	assert.Equal(t, `BUILTIN\Администраторы`, ru.accountName(sidAdministrators))
	assert.Equal(t, `NT AUTHORITY\СИСТЕМА`, ru.accountName(sidSystem))
	assert.Equal(t, `NODE1\Администратор`, ru.accountName(ru.sid+"-500"))

	en := goldenHost(t, "2022", "en-US")
	assert.Equal(t, `BUILTIN\Administrators`, en.accountName(sidAdministrators))
	assert.Equal(t, `NODE1\Guest`, en.accountName(en.sid+"-501"))
}
