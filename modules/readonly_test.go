package modules

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestReadOnlyCommandsThatChangeAreRefused(t *testing.T) {
	for _, tc := range []struct {
		argv    []string
		line    string
		changes bool
	}{
		{argv: []string{"sc", "query", "ClusSvc"}},
		{argv: []string{"sc.exe", `\\node1`, "qc", "ClusSvc"}},
		{argv: []string{"sc", "stop", "ClusSvc"}, changes: true},
		{argv: []string{`C:\WINNT\system32\SC.EXE`, "config", "ClusSvc", "start=", "demand"}, changes: true},
		{argv: []string{"net", "start"}},
		{argv: []string{"net", "start", "W3SVC"}, changes: true},
		{argv: []string{"net", "stop", "W3SVC"}, changes: true},
		{argv: []string{"net", "localgroup", "Guests"}},
		{argv: []string{"net", "localgroup", "Guests", `CORP\IUSR_CLUSTER`, "/add"}, changes: true},
		{argv: []string{"reg", "query", `HKLM\SOFTWARE`}},
		{argv: []string{"reg", "add", `HKLM\SOFTWARE\x`, "/f"}, changes: true},
		{argv: []string{"shutdown", "/r", "/t", "0"}, changes: true},
		{argv: []string{"wmic", "os", "get", "lastbootuptime", "/value"}},
		{argv: []string{"wmic", "service", "where", "name='W3SVC'", "call", "stopservice"}, changes: true},
		{argv: []string{"cluster", "group", "Web Group"}},
		{argv: []string{"cluster", "resource", "MSDTC", "/prop"}},
		{argv: []string{"cluster", "group", "Web Group", "/move:NODE2"}, changes: true},
		{argv: []string{"cluster", "resource", "MSDTC", "/prop", "RestartAction=1"}, changes: true},
		{argv: []string{"msdtc", "-remove"}, changes: true},
		{argv: []string{"hostname"}},
		{line: "sc query W3SVC | findstr STATE"},
		{line: "sc query W3SVC >nul 2>&1 && echo running"},
		{line: `type "C:\boot.ini"`},
		{line: "sc query W3SVC & sc stop W3SVC", changes: true},
		{line: "echo hi > C:\\x.txt", changes: true},
		{line: "echo hi>C:\\x.txt", changes: true},
		{line: `del /q C:\x.txt`, changes: true},
	} {
		var why string
		if tc.argv != nil {
			why = changesHost(tc.argv)
		} else {
			why = lineChangesHost(tc.line)
		}
		assert.Equal(t, tc.changes, why != "", "%q %q: %s", tc.argv, tc.line, why)
	}
	errs := (&RunCommand{Argv: []string{"sc", "stop", "ClusSvc"}, ReadOnly: true}).Validate()
	if assert.Len(t, errs, 1) {
		assert.Equal(t, "read_only", errs[0].Field)
		assert.Contains(t, errs[0].Msg, "--check")
	}
}
