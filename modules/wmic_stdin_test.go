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

// TestEveryWmicFeedsStdinFromNul: every module that reads through wmic
// (account and group lookups, file versions, boot times) runs it with
// standard input from nul, so that wmic never waits on a WinRM input
// nobody closes (lab/win/stdin.go has the reports).
func TestEveryWmicFeedsStdinFromNul(t *testing.T) {
	t.Parallel()
	l := labtest.StartConfig(t, lab.Config{OS: "2022"})
	for _, m := range []modules.Module{
		&modules.UserRight{Name: "SeBatchLogonRight", Users: []string{`CORP\IUSR_CLUSTER`}},
		&modules.DCOMPermission{Permission: "both", Accounts: []string{`CORP\ClusterSvc`}},
		&modules.GroupMember{Name: "Guests", Members: []string{`CORP\ClusterSvc`}},
		&modules.Installer{Path: `C:\unattend\setup.exe`, DetectPath: `C:\Windows\system32\ntoskrnl.exe`, DetectVersion: "4.0"},
		&modules.Reboot{PreRebootDelay: new(int)},
	} {
		_, err := labtest.Run(t, l, "node1", m, false)
		require.NoError(t, err, "%T", m)
	}
	seen := map[string]bool{}
	for _, e := range l.Host("node1").Log() {
		if e.Tool != "wmic" {
			continue
		}
		seen[e.Argv[1]] = true
		assert.Contains(t, e.Redirects, win.Redirect{Handle: 0, Op: "<", Target: "nul"}, "%s", e.Command)
	}
	assert.Equal(t, map[string]bool{"useraccount": true, "group": true, "datafile": true, "os": true}, seen, "every wmic path was taken")
}
