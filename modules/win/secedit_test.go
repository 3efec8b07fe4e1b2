package win_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/modules/win"
)

func TestPrivilegeRights(t *testing.T) {
	inf := "\ufeff[Unicode]\r\nUnicode=yes\r\n[Privilege Rights]\r\nSeNetworkLogonRight = *S-1-1-0,*S-1-5-32-544\r\n" +
		"seinteractivelogonright = *S-1-5-32-544,CORP\\IUSR_CLUSTER\r\nSeDenyBatchLogonRight =\r\n[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n"
	canon := func(r string) string {
		if strings.EqualFold(r, "SeInteractiveLogonRight") {
			return "SeInteractiveLogonRight"
		}
		return r
	}
	rights, err := win.PrivilegeRights(inf, canon)
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{
		"SeNetworkLogonRight":     {"*S-1-1-0", "*S-1-5-32-544"},
		"SeInteractiveLogonRight": {"*S-1-5-32-544", `CORP\IUSR_CLUSTER`},
		"SeDenyBatchLogonRight":   {},
	}, rights)
	_, err = win.PrivilegeRights("The system cannot find the file specified.", nil)
	assert.Error(t, err)
}
