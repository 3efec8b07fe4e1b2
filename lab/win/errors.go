package win

import (
	"fmt"
	"strings"
)

// Win32 and NERR codes the lab's tools return. Each has its message in
// winMessages, which `net helpmsg` prints and the tools quote.
const (
	errSuccess            = 0
	errFileNotFound       = 2
	errPathNotFound       = 3
	errAccessDenied       = 5
	errBadNetPath         = 53
	errFileExists         = 80
	errInvalidParameter   = 87
	errDependentServices  = 1051
	errServiceRunning     = 1056
	errServiceDisabled    = 1058
	errNoSuchService      = 1060
	errCannotAcceptCtrl   = 1061
	errServiceNotActive   = 1062
	errProcessAborted     = 1067
	errDependencyFailed   = 1068
	errServiceExists      = 1073
	errShutdownInProgress = 1115
	errNoShutdown         = 1116
	errShutdownScheduled  = 1190
	errNoSuchPrivilege    = 1313
	errNoneMapped         = 1332
	errNoSuchAlias        = 1376
	errMemberNotInAlias   = 1377
	errMemberInAlias      = 1378
	errAliasExists        = 1379
	errInstallFailure     = 1603
	errInstallInProgress  = 1618
	errInvalidCommandLine = 1639
	errRPCUnavailable     = 1722
	errNoEndpoints        = 1753
	errRebootRequired     = 3010
	errRebootInitiated    = 1641
	errNoNodeAvailable    = 5005
	errResourceNotFound   = 5007
	errGroupNotFound      = 5013
	errResourceOnline     = 5019
	errNodeNotFound       = 5042
	errNodeDown           = 5050

	nerrServiceAlreadyStarted = 2182
	nerrBadServiceName        = 2185
	nerrServiceNotStarted     = 3521
)

var winMessages = map[int]string{
	0:    "The operation completed successfully.",
	1:    "Incorrect function.",
	2:    "The system cannot find the file specified.",
	3:    "The system cannot find the path specified.",
	5:    "Access is denied.",
	53:   "The network path was not found.",
	80:   "The file exists.",
	87:   "The parameter is incorrect.",
	1051: "A stop control has been sent to a service that other running services are dependent on.",
	1052: "The requested control is not valid for this service.",
	1053: "The service did not respond to the start or control request in a timely fashion.",
	1056: "An instance of the service is already running.",
	1058: "The service cannot be started, either because it is disabled or because it has no enabled devices associated with it.",
	1060: "The specified service does not exist as an installed service.",
	1061: "The service cannot accept control messages at this time.",
	1062: "The service has not been started.",
	1067: "The process terminated unexpectedly.",
	1068: "The dependency service or group failed to start.",
	1073: "The specified service already exists.",
	1115: "A system shutdown is in progress.",
	1116: "Unable to abort the system shutdown because no shutdown was in progress.",
	1190: "A system shutdown has already been scheduled.",
	1313: "A specified privilege does not exist.",
	1332: "No mapping between account names and security IDs was done.",
	1376: "The specified local group does not exist.",
	1377: "The specified account name is not a member of the group.",
	1378: "The specified account name is already a member of the group.",
	1379: "The specified local group already exists.",
	1603: "Fatal error during installation.",
	1618: "Another installation is already in progress. Complete that installation before proceeding with this install.",
	1639: "Invalid command line argument. Consult the Windows Installer SDK for detailed command line help.",
	1641: "The requested operation completed successfully. The system will be restarted so the changes can take effect.",
	1722: "The RPC server is unavailable.",
	1753: "There are no more endpoints available from the endpoint mapper.",
	2182: "The requested service has already been started.",
	2185: "The service name is invalid.",
	3010: "The requested operation is successful. Changes will not be effective until the system is rebooted.",
	3521: "The * service is not started.",
	5005: "A cluster node is not available for this operation.",
	5007: "The cluster resource could not be found.",
	5013: "The cluster group could not be found.",
	5019: "The operation could not be completed because the cluster resource is online.",
	5042: "The cluster node was not found.",
	5050: "The cluster node is down.",
}

// winMessage returns the text Windows prints for code.
func winMessage(code int) string {
	if m, ok := winMessages[code]; ok {
		return m
	}
	return fmt.Sprintf("Unknown error (0x%x).", code)
}

// systemError prints the report the runbook's tools (cluster, msdtc,
// secedit, setup, update) share on stderr, `System error N has occurred
// (0x…).` and the message, and returns N as the exit code.
func systemError(c *call, code int) int {
	c.errorf("System error %d has occurred (0x%08x).\r\n%s\r\n", code, code, winMessage(code))
	return code
}

// crlf joins lines with CRLF and ends the text with one, as console tools
// print.
func crlf(lines ...string) string {
	return strings.Join(lines, "\r\n") + "\r\n"
}
