package wsman

import "time"

// Request describes one WinRM request to an Injector, after authentication
// and SOAP parsing.
type Request struct {
	// Action is Create, Command, Send, Receive, Signal or Delete; for an
	// action the server does not know, the a:Action URI as sent.
	Action string
	// ShellID is the w:Selector ShellId ("" on Create).
	ShellID string
	// CommandID is the command a Send, Receive or Signal is about.
	CommandID string
	// CommandLine is the line a Command would run.
	CommandLine string
	// User is the authenticated account, as named in Config.Users.
	User string
}

// InjectKind is what an Injector makes of a request.
type InjectKind int

// The faults a lab host can show. Each is how a real network or host fails,
// so that clients are tested against what they will meet.
const (
	// Pass serves the request normally.
	Pass InjectKind = iota
	// Drop closes the TCP connection without doing anything, as a host
	// that went down before the request arrived.
	Drop
	// LoseReply performs the operation (a Command starts, a Receive takes
	// its output) and then closes the connection without replying: the
	// client cannot know whether it happened.
	LoseReply
	// Fault500 answers a w:InternalError fault without doing anything.
	Fault500
	// Unauthorized answers 401 as for bad credentials and forgets the
	// connection's NTLM authentication.
	Unauthorized
)

// Injection is an Injector's verdict: wait Delay, then act as Kind says.
type Injection struct {
	Kind  InjectKind
	Delay time.Duration
}

// Injector chooses faults for requests. The server consults it once per
// request, after authentication and SOAP parsing, from the request's own
// goroutine: Inject must be safe for concurrent use.
type Injector interface {
	Inject(r Request) Injection
}

// InjectorFunc adapts a function to an Injector.
type InjectorFunc func(r Request) Injection

// Inject calls f(r).
func (f InjectorFunc) Inject(r Request) Injection { return f(r) }
