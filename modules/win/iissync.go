package win

import (
	"regexp"
	"strconv"
)

// iisSyncStatus is the status line of the lab's iissync.exe. No capture of
// the real tool's printed output was found (testdata/windows/SOURCES.md),
// so the exit code, which KB Q224801 calls the status code, decides.
var iisSyncStatus = regexp.MustCompile(`IISSYNC (?:completed|failed) with status (\d+)`)

// IISSyncStatus is the status IISSYNC reports: its exit code, or the
// number in its status line when the line is there (the same number).
func IISSyncStatus(stdout, stderr string, exitCode int) int {
	if m := iisSyncStatus.FindStringSubmatch(stdout + stderr); m != nil {
		if n, err := strconv.ParseUint(m[1], 10, 32); err == nil {
			return int(n)
		}
	}
	return int(uint32(exitCode))
}

// IISSyncMeanings are the status codes of Microsoft KB Q224801
// "Deciphering IISSYNC Status Codes" (IIS 4.0), with its meaning and
// probable cause, in its words.
var IISSyncMeanings = map[int]string{
	0:          "Successful Synchronization",
	3:          "metabase is inaccessible on Target Server (the metabase may be corrupt or in use)",
	1060:       "communications problem between nodes (this occurs when the DCOM default protocols do not match on both nodes)",
	1722:       "the RPC server is unavailable: invalid target server name or communications problem between nodes",
	1726:       "the remote procedure call failed",
	2147500037: "MTS replication is not configured (see KB Q191138)",
	2148007941: "administrator account not logged in on the target server (if MTS is configured for local administration instead of remote administration, a local administrator equivalent account must be logged on the target server when IISSYNC runs)",
	2148598792: "communications problem between nodes (possible IP conflict: all IP addresses on both nodes and in the IIS resource group must be valid and in the same subnet)",
	2148598794: "invalid share in MTS replication settings (set the MTS replication share to the administration share on which MTS is installed on the target server)",
	2148599041: "the user logged on to the target server has insufficient rights for MTS replication (log on to the target server as local administrator)",
	2148598801: "the component's CLSID is missing or corrupt",
}
