package wsman

import (
	"context"
	"io"
)

// Machine runs the command lines that arrive in the shells of one endpoint.
// The lab's simulated Windows machine implements it; the server knows
// nothing of what a command does.
type Machine interface {
	// Exec runs p to completion and returns its exit code. It writes output
	// to p.Stdout and p.Stderr as it goes (the server streams it to Receive
	// long-polls) and must return promptly once ctx is done: the client sent
	// Signal terminate or ctrl_c, deleted the shell, or the host went down.
	Exec(ctx context.Context, p *Process) int
}

// Process is one command of a shell, as the server hands it to a Machine.
type Process struct {
	// Line is the command line cmd.exe would get after /c: rsp:Command and
	// each rsp:Arguments joined by single spaces.
	Line string
	// SkipCmdShell is true when the client set WINRS_SKIP_CMD_SHELL=TRUE:
	// the line goes to CreateProcess directly, not through cmd.exe.
	SkipCmdShell bool
	// Env holds the shell's rsp:Environment variables.
	Env map[string]string
	// Dir is the shell's rsp:WorkingDirectory, "" for the default.
	Dir string
	// Codepage is WINRS_CODEPAGE (65001 UTF-8, 437 OEM); output is encoded
	// by the server, so machines write UTF-8.
	Codepage int
	// User is the authenticated account.
	User string
	// Logon is how the shell's user logged on.
	Logon Logon
	// ConsoleStdin is WINRS_CONSOLEMODE_STDIN: true when the client said
	// its standard input is a console, false when it is a pipe (MS-WSMV
	// 3.1.4.11). A Command without the option counts as a console, as
	// masterzen, pywinrm and Ansible send TRUE unless told otherwise.
	ConsoleStdin bool
	// Stdin yields what the client sends; io.EOF after End="true".
	Stdin io.Reader
	// Stdout and Stderr are safe for concurrent use.
	Stdout io.Writer
	Stderr io.Writer
}

// Logon is how a shell's user logged on, which decides what the shell can
// reach beyond the host.
type Logon struct {
	// Method is the authentication: basic, ntlm, kerberos or certificate.
	Method string
	// NetworkCredentials is true when the logon holds credentials the host
	// can use to authenticate to other hosts on the user's behalf: a
	// Kerberos logon with a delegated ticket-granting ticket. NTLM, Basic,
	// certificates and Kerberos without delegation leave a network logon
	// that cannot: the double hop, where a tool that reaches another host
	// (a UNC path, IISSYNC) is refused with access denied.
	NetworkCredentials bool
	// Domain is the domain the client named with the user: NTLM's domain
	// field, the DOMAIN\ or @domain part of a Basic user name, the realm
	// of a Kerberos ticket; "" when it named none. It tells a local
	// account from a domain one, which UAC treats differently.
	Domain string
}
