package win

import (
	"strings"

	"github.com/winplay/winplay/lab/wsman"
)

// How a session logged on decides what it can reach beyond the host.
// A WinRM session made with NTLM, Basic, a certificate or Kerberos without
// delegation is a network logon: the host holds no credentials it could
// present to another host, so a tool that reaches one (IISSYNC writing the
// target's metabase, copy from \\host\share) is refused there with access
// denied, "the double hop" (Ansible's WinRM guide: only CredSSP and
// Kerberos with delegation delegate; Red Hat's "Making double-hop work
// with Windows and Ansible" shows win_copy from a UNC path failing with
// "Access is denied"). A Kerberos logon that carried a delegated
// ticket-granting ticket has them, and so has a scheduled task that logs
// on with the user's password (TASK_LOGON_PASSWORD; an S4U task "has no
// access to the network", Microsoft's TASK_LOGON_TYPE). A process the lab
// starts itself, not through WinRM (tests, setup), counts as a console
// logon, which has them too.

// hasNetworkCredentials reports whether a WinRM logon can authenticate
// onward.
func hasNetworkCredentials(l wsman.Logon) bool {
	return l.Method == "" || l.NetworkCredentials
}

// reachOut is what another host answers when this session reaches it
// with its own credentials: 0, or access denied without any. A host that
// is not there, or down, is left for the caller to report.
func (c *call) reachOut(target string) int {
	t := c.m.net.host(strings.TrimPrefix(target, `\\`))
	if t == nil || t == c.m || t.power == powerOff || !t.online {
		return 0
	}
	if !c.s.netCreds {
		return errAccessDenied
	}
	return 0
}

// copyFromShare copies a file from an administrative share of another
// lab host, \\HOST\C$\path (the shares every Windows host has), as the
// session's user. ok is false when the source is not such a path.
func (c *call) copyFromShare(names []string, overwrite bool) (int, bool) {
	if len(names) == 0 || !strings.HasPrefix(names[0], `\\`) {
		return 0, false
	}
	const none = "        0 file(s) copied.\r\n"
	src := strings.Trim(names[0], `"`)
	hostPart, rest, _ := strings.Cut(strings.TrimPrefix(src, `\\`), `\`)
	share, path, _ := strings.Cut(rest, `\`)
	t := c.m.net.host(hostPart)
	if t == nil || t.power == powerOff || !t.online {
		c.errorf("The network path was not found.\r\n")
		c.printf(none)
		return errBadNetPath, true
	}
	if code := c.reachOut(hostPart); code != 0 {
		c.errorf("Access is denied.\r\n")
		c.printf(none)
		return 1, true
	}
	if len(share) != 2 || share[1] != '$' || t.drive(share[0]) == nil {
		c.errorf("The network name cannot be found.\r\n")
		c.printf(none)
		return 1, true
	}
	sf := t.fileAt(winPath{drive: upper(share[0]), path: `\` + path})
	if sf == nil || sf.dir {
		c.errorf("The system cannot find the file specified.\r\n")
		c.printf(none)
		return 1, true
	}
	dest := baseName(path)
	if len(names) > 1 {
		dest = names[1]
	}
	dst, ok := c.path(strings.Trim(dest, `"`))
	if ok && c.m.isDir(dst) {
		dst, ok = resolvePath(dst, baseName(path))
	}
	d := c.m.drive(dst.drive)
	if !ok || d == nil {
		c.errorf("The system cannot find the path specified.\r\n")
		c.printf(none)
		return 1, true
	}
	if d.get(dst.path) != nil && !overwrite {
		c.printf("Overwrite %s? (Yes/No/All): \r\n", dst)
		c.printf(none)
		return 0, true
	}
	nf, err := d.write(dst.path, sf.data, false, c.m.net.now())
	if err != nil {
		c.errorf("%s\r\n", err)
		c.printf(none)
		return 1, true
	}
	nf.version, nf.program = sf.version, sf.program
	c.printf("        1 file(s) copied.\r\n")
	return 0, true
}

func upper(b byte) byte {
	if b >= 'a' && b <= 'z' {
		return b - 'a' + 'A'
	}
	return b
}
