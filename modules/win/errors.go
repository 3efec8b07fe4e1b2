package win

import (
	"fmt"
	"strconv"
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

// Win32Text is the English message of a Win32 error code, or "".
func Win32Text(code int) string { return win32Messages[code] }

// NotRecognized is cmd.exe's exit code for a program it cannot find
// (`'x' is not recognized as an internal or external command`, translated
// on a localized host).
const NotRecognized = 9009
