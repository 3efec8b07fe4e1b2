package modules

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// win32Messages are the texts `net helpmsg N` prints for the codes the
// modules meet, so that a failure says what its number means.
var win32Messages = map[int]string{
	2:    "The system cannot find the file specified.",
	3:    "The system cannot find the path specified.",
	5:    "Access is denied.",
	53:   "The network path was not found.",
	87:   "The parameter is incorrect.",
	1051: "A stop control has been sent to a service that other running services are dependent on.",
	1053: "The service did not respond to the start or control request in a timely fashion.",
	1056: "An instance of the service is already running.",
	1058: "The service cannot be started, either because it is disabled or because it has no enabled devices associated with it.",
	1060: "The specified service does not exist as an installed service.",
	1062: "The service has not been started.",
	1067: "The process terminated unexpectedly.",
	1073: "The specified service already exists.",
	1115: "A system shutdown is in progress.",
	1116: "Unable to abort the system shutdown because no shutdown was in progress.",
	1190: "A system shutdown has already been scheduled.",
	1332: "No mapping between account names and security IDs was done.",
	1376: "The specified local group does not exist.",
	1377: "The specified account name is not a member of the group.",
	1378: "The specified account name is already a member of the group.",
	1603: "Fatal error during installation.",
	1618: "Another installation is already in progress.",
	1641: "The requested operation completed successfully. The system will be restarted so the changes can take effect.",
	1722: "The RPC server is unavailable.",
	1753: "There are no more endpoints available from the endpoint mapper.",
	3010: "The requested operation is successful. Changes will not be effective until the system is rebooted.",
	5007: "The cluster resource could not be found.",
	5013: "The cluster group could not be found.",
	5042: "The cluster node could not be found.",
	5050: "The cluster node is down.",
	9009: "The command is not recognized as an internal or external command, operable program or batch file.",
}

// Win32Message explains a Win32 error code, or says it is unknown.
func Win32Message(code int) string {
	if m, ok := win32Messages[code]; ok {
		return fmt.Sprintf("error %d: %s", code, m)
	}
	return "exit code " + strconv.Itoa(code)
}

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// durationOr parses a duration argument such as "90s" or "5m", or returns
// def when it is empty.
func durationOr(s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as \"90s\" or \"5m\"", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be positive", s)
	}
	return d, nil
}

// clip shortens command output quoted in an error message, on a rune
// boundary. The runner's redactor masks a secret the cut leaves partial.
func clip(s string) string {
	const max = 300
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut] + "…"
	}
	return s
}
