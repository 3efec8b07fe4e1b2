// Package conn is winplay's connection to one Windows host over WinRM.
//
// It builds and parses WS-Management envelopes with masterzen/winrm and
// sends them over its own HTTP client, because masterzen's transport
// ignores HTTP status codes (a fault on Create yields an empty shell id, a
// fault on Receive an endless loop) and cannot be cancelled mid-request.
// Here every request carries a context and a deadline, a non-200 reply is
// an error, and faults are parsed into codes. Over plain HTTP, NTLM and
// Kerberos seal every message, as Windows requires unless
// AllowUnencrypted is set.
//
// One Conn keeps one cmd shell and reuses it for every command, recycling
// it before Windows' per-shell operation quota and after a reboot. Retries
// follow what a command is: a read-only command is retried on transport
// errors; a changing command that may have been delivered is never resent
// (modules.ErrOutcomeUnknown), because resending "sc stop" or "setup.exe"
// blindly is how a runbook step runs twice.
package conn

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/go-ntlmssp"
	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"

	"github.com/winplay/winplay/modules"
)

// Config says how to reach a host.
type Config struct {
	// Name is the inventory name, used in errors.
	Name     string
	Address  string
	Port     int
	HTTPS    bool
	Insecure bool
	// CAPEM holds the certificates that verify the host's, instead of the
	// system's roots.
	CAPEM []byte
	// Transport is basic, ntlm, kerberos or certificate.
	Transport string
	User      string
	Password  string
	// SPN is the host's Kerberos service principal; default HTTP/Address.
	SPN string
	// KeytabFile logs on to Kerberos from this keytab instead of Password.
	KeytabFile string
	// TicketCache logs on to Kerberos with the ticket kinit left in the
	// cache ($KRB5CCNAME, else /tmp/krb5cc_<uid>) instead of Password.
	TicketCache bool
	// Krb5Conf is the krb5.conf that names the realm's KDCs; default
	// $KRB5_CONFIG, else /etc/krb5.conf.
	Krb5Conf string
	// CertFile and KeyFile are the PEM client certificate and key of the
	// certificate transport (HTTPS only).
	CertFile, KeyFile string
	// ConnectTimeout bounds establishing a TCP+TLS connection; default 5s.
	ConnectTimeout time.Duration
	// OperationTimeout is WS-Management's OperationTimeout, which bounds
	// each Receive long-poll; default 60s.
	OperationTimeout time.Duration
	// CommandsPerShell recycles the shell after this many commands, below
	// Windows' MaxConcurrentOperationsPerUser (1500; 15 on WinRM 2.0),
	// which a cmd shell does not release per command; default 1000.
	CommandsPerShell int
	// ReadRetries is how often a read-only command is retried after a
	// transport error; default 2.
	ReadRetries int
	// Backoff is the first wait before a retry; default 200ms.
	Backoff time.Duration
}

// Conn is a connection to one host. It is safe for concurrent use;
// commands run one at a time in the host's shell.
type Conn struct {
	cfg       Config
	url       string
	params    *winrm.Parameters
	client    doer
	transport *http.Transport
	// grace is how much longer than the OperationTimeout a request may
	// take before its deadline ends it.
	grace        time.Duration
	unauthorized error
	// answered is set by the first reply of any kind: until then a host
	// that does not answer within ConnectTimeout is given up on, instead
	// of waiting out the OperationTimeout and retrying.
	answered atomic.Bool

	mu      sync.Mutex
	shellID string
	used    int
	// stale are shells given up without being deleted (a reset, a failed
	// signal): deleted once the next shell is open, or at Close. Every
	// shell opened is deleted on every path, or Windows' per-user shell
	// quota fills (30 by default).
	stale []string
	// running are shells left to a command that may still run after its
	// reply was lost (deleting its shell would end it): deleted at Close.
	running []string
}

type doer interface {
	Do(*http.Request) (*http.Response, error)
}

// New prepares a connection; it does no I/O.
func New(cfg Config) (*Conn, error) {
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	if cfg.OperationTimeout <= 0 {
		cfg.OperationTimeout = 60 * time.Second
	}
	if cfg.CommandsPerShell <= 0 {
		cfg.CommandsPerShell = 1000
	}
	if cfg.ReadRetries < 0 {
		cfg.ReadRetries = 0
	} else if cfg.ReadRetries == 0 {
		cfg.ReadRetries = 2
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 200 * time.Millisecond
	}
	if cfg.Port == 0 {
		cfg.Port = 5985
		if cfg.HTTPS {
			cfg.Port = 5986
		}
	}
	scheme := "http"
	if cfg.HTTPS {
		scheme = "https"
	}
	c := &Conn{
		cfg:          cfg,
		grace:        10 * time.Second,
		unauthorized: errUnauthorized,
		url:          (&url.URL{Scheme: scheme, Host: net.JoinHostPort(cfg.Address, strconv.Itoa(cfg.Port)), Path: "/wsman"}).String(),
		params: winrm.NewParameters(
			fmt.Sprintf("PT%dS", max(1, int(cfg.OperationTimeout/time.Second))), "en-US", 153600),
	}
	tlsConfig := &tls.Config{InsecureSkipVerify: cfg.Insecure, MinVersion: tls.VersionTLS12} //nolint:gosec // only when the inventory says insecure = true
	if len(cfg.CAPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.CAPEM) {
			return nil, fmt.Errorf("%s: no certificate found in the CA file", cfg.Name)
		}
		tlsConfig.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
	c.transport = &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   cfg.ConnectTimeout,
		ResponseHeaderTimeout: cfg.OperationTimeout + 30*time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     false,
	}
	switch cfg.Transport {
	case "certificate":
		if !cfg.HTTPS {
			return nil, fmt.Errorf("%s: a client certificate needs HTTPS", cfg.Name)
		}
		pair, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%s: client certificate %s: %w", cfg.Name, cfg.CertFile, err)
		}
		tlsConfig.Certificates = []tls.Certificate{pair}
		c.client = &mutualClient{&http.Client{Transport: c.transport}}
		c.unauthorized = fmt.Errorf("%w; the host maps no account to the client certificate %s (its certmapping needs the issuer's thumbprint and the certificate's UPN, and Auth/Certificate must be true)", errUnauthorized, cfg.CertFile)
	case "", "basic":
		c.client = &http.Client{Transport: c.transport}
		if !cfg.HTTPS {
			c.unauthorized = fmt.Errorf("%w; over plain HTTP, Windows also refuses Basic unless the WinRM service allows it (AllowUnencrypted and Basic)", errUnauthorized)
		}
	case "ntlm":
		if cfg.HTTPS {
			// go-ntlmssp turns the Basic credentials of each request into
			// an NTLM handshake when the server asks for one.
			c.client = &http.Client{Transport: &ntlmssp.Negotiator{RoundTripper: c.transport}}
			break
		}
		// Over plain HTTP every message is sealed with the connection's
		// NTLM context, so there must be one connection.
		c.transport.MaxConnsPerHost = 1
		c.client = &sealedClient{hc: &http.Client{Transport: c.transport}, mech: newNTLM(cfg.User, cfg.Password), seal: true}
	case "kerberos":
		mech, err := newKerberos(cfg)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Name, err)
		}
		// The security context belongs to one connection, over HTTP (it
		// seals) and HTTPS (it authenticated the connection) alike.
		c.transport.MaxConnsPerHost = 1
		c.client = &sealedClient{hc: &http.Client{Transport: c.transport}, mech: mech, seal: !cfg.HTTPS}
	default:
		return nil, fmt.Errorf("%s: unknown transport %q (basic, ntlm, kerberos, certificate)", cfg.Name, cfg.Transport)
	}
	if hint := uacHint(cfg); hint != "" {
		c.unauthorized = fmt.Errorf("%w; %s", c.unauthorized, hint)
	}
	return c, nil
}

// Name is the host's inventory name.
func (c *Conn) Name() string { return c.cfg.Name }

// Endpoint is the WinRM URL, for messages.
func (c *Conn) Endpoint() string { return c.url }

// Reset gives up the shell and drops pooled connections: the host
// rebooted or is rebooting, and the next command connects and opens a
// shell anew. The old shell is deleted once a new one is open (after a
// reboot it is gone anyway).
func (c *Conn) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.giveUp(&c.stale)
	c.dropConnections()
}

// giveUp stops using the shell, keeping it in list to delete.
func (c *Conn) giveUp(list *[]string) {
	if c.shellID != "" {
		*list = append(*list, c.shellID)
	}
	c.shellID, c.used = "", 0
}

func (c *Conn) dropConnections() {
	c.transport.CloseIdleConnections()
	if s, ok := c.client.(*sealedClient); ok {
		s.forget()
	}
}

// Close deletes every shell it opened, best effort, and drops pooled
// connections.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.giveUp(&c.stale)
	ids := append(c.stale, c.running...)
	c.stale, c.running = nil, nil
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var first error
	for _, id := range ids {
		if err := c.deleteShellID(ctx, id); err != nil && first == nil && !isShellGone(err) {
			first = err
		}
	}
	c.dropConnections()
	return first
}

// Run runs one command line in the host's shell and waits for it.
func (c *Conn) Run(ctx context.Context, cmd modules.Command) (modules.Output, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	backoff := c.cfg.Backoff
	for attempt := 0; ; attempt++ {
		out, sent, err := c.runOnce(ctx, cmd)
		if err == nil {
			return out, nil
		}
		if sent && cmd.Changes {
			return out, fmt.Errorf("%w: %w", modules.ErrOutcomeUnknown, err)
		}
		if ctx.Err() != nil {
			return out, err
		}
		if !c.answered.Load() && !sent && (isTimeout(err) || errors.Is(err, context.DeadlineExceeded)) {
			return out, fmt.Errorf("%w: %s did not answer within %s, twice the connect timeout of %s (to connect, then to answer); not retried (%w)",
				modules.ErrUnreachable, c.url, 2*c.cfg.ConnectTimeout, c.cfg.ConnectTimeout, err)
		}
		if errors.Is(err, errUnauthorized) || errors.Is(err, errNotWinRM) || isCertificateError(err) {
			// Asking again gets the same answer.
			return out, fmt.Errorf("%w: %w", modules.ErrUnreachable, err)
		}
		// A fault is the host's answer, and asking again gets the same one,
		// unless the shell vanished under a read-only command (a reboot).
		var f *Fault
		if errors.As(err, &f) && f.Code != FaultShellNotFound {
			return out, err
		}
		if attempt >= c.cfg.ReadRetries {
			if !sent {
				return out, fmt.Errorf("%w: %w", modules.ErrUnreachable, err)
			}
			return out, err
		}
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

// runOnce runs cmd once. sent reports whether the command may have
// reached the host: false while only the shell was being opened, when the
// connection could not be made, or when the host refused the command with
// a fault.
func (c *Conn) runOnce(ctx context.Context, cmd modules.Command) (out modules.Output, sent bool, err error) {
	for tries := 0; ; tries++ {
		if c.shellID == "" || c.used >= c.cfg.CommandsPerShell {
			if err := c.openShell(ctx); err != nil {
				return out, false, err
			}
		}
		msg := winrm.NewExecuteCommandRequest(c.url, c.shellID, cdata(cmd.Line), nil, c.params)
		body, err := c.post(ctx, msg)
		if err != nil {
			var f *Fault
			if !errors.As(err, &f) {
				return out, !notDelivered(err), err
			}
			if tries == 0 {
				// The command did not start: send it to a new shell.
				switch f.Code {
				case FaultShellNotFound: // idle timeout, reboot: nothing to delete
					c.shellID = ""
					continue
				case FaultTooManyOperations: // used up: delete it, or it keeps its operations
					c.retire()
					continue
				}
			}
			return out, false, err
		}
		c.used++
		commandID, err := winrm.ParseExecuteCommandResponse(body)
		if err != nil || commandID == "" {
			return out, true, fmt.Errorf("reading the Command response: %v", err)
		}
		out, err = c.receive(ctx, commandID)
		return out, true, err
	}
}

// cdata protects a command line from masterzen, which puts it in a CDATA
// section as it is: a "]]>" in a value would end the section and let the
// rest be read as XML, where &quot; is a quote that cmd.exe would see.
// Each "]]>" is split over two sections instead.
func cdata(line string) string {
	return strings.ReplaceAll(line, "]]>", "]]]]><![CDATA[>")
}

// retire makes the next command open a new shell and delete this one.
func (c *Conn) retire() { c.used = c.cfg.CommandsPerShell }

// openShell opens a new shell, then deletes the shells given up before
// (the one retired, stale ones), now that the host answers.
func (c *Conn) openShell(ctx context.Context) error {
	c.giveUp(&c.stale)
	body, err := c.post(ctx, winrm.NewOpenShellRequest(c.url, c.params))
	var f *Fault
	if errors.As(err, &f) && f.Code == FaultTooManyShells && len(c.stale) > 0 {
		// At the quota: make room with the shells given up, then retry.
		c.deleteStale(ctx)
		body, err = c.post(ctx, winrm.NewOpenShellRequest(c.url, c.params))
	}
	if err != nil {
		return err
	}
	id, err := winrm.ParseOpenShellResponse(body)
	if err != nil || id == "" {
		return fmt.Errorf("reading the Create response: no shell id (%v)", err)
	}
	c.shellID, c.used = id, 0
	c.deleteStale(ctx)
	return nil
}

// deleteStale deletes the stale shells, each on a short deadline; one the
// host does not know is gone already, and one that cannot be deleted now
// is tried again at Close.
func (c *Conn) deleteStale(ctx context.Context) {
	var keep []string
	for _, id := range c.stale {
		dctx, cancel := context.WithTimeout(ctx, c.cfg.ConnectTimeout)
		err := c.deleteShellID(dctx, id)
		cancel()
		if err != nil && !isShellGone(err) {
			keep = append(keep, id)
		}
	}
	c.stale = keep
}

func (c *Conn) deleteShellID(ctx context.Context, id string) error {
	_, err := c.post(ctx, winrm.NewDeleteShellRequest(c.url, id, c.params))
	return err
}

// isShellGone reports the fault of a shell the host does not know (it
// expired, or the host rebooted): deleting it is done.
func isShellGone(err error) bool {
	var f *Fault
	return errors.As(err, &f) && f.Code == FaultShellNotFound
}

// receive long-polls for the command's output until it is done.
func (c *Conn) receive(ctx context.Context, commandID string) (modules.Output, error) {
	var stdout, stderr bytes.Buffer
	for {
		body, err := c.post(ctx, winrm.NewGetOutputRequest(c.url, c.shellID, commandID, "stdout stderr", c.params))
		if err != nil {
			var f *Fault
			if errors.As(err, &f) && f.Code == FaultTimedOut {
				continue // no output within OperationTimeout: poll again
			}
			if ctx.Err() != nil {
				// Stop the command; its shell can then be deleted.
				c.signal(commandID)
				c.retire()
			} else {
				// The command may still run: leave its shell alone (deleting
				// it would end the command) and use a new one; Close deletes
				// it when the run is over.
				c.giveUp(&c.running)
			}
			return modules.Output{Stdout: stdout.String(), Stderr: stderr.String()}, err
		}
		done, code, err := winrm.ParseSlurpOutputErrResponse(body, &stdout, &stderr)
		if err != nil {
			c.giveUp(&c.running)
			return modules.Output{}, fmt.Errorf("reading the Receive response: %w", err)
		}
		if done {
			// Windows wants a terminate signal before the next command.
			c.signal(commandID)
			return modules.Output{Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: code}, nil
		}
	}
}

// signal sends Signal terminate, on its own short deadline so that it also
// works when the caller's context has ended.
func (c *Conn) signal(commandID string) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.ConnectTimeout)
	defer cancel()
	if _, err := c.post(ctx, winrm.NewSignalRequest(c.url, c.shellID, commandID, c.params)); err != nil {
		c.giveUp(&c.stale)
	}
}

var errUnauthorized = errors.New("the credentials were rejected (HTTP 401)")

// post sends one envelope and returns the body of a 200 reply.
func (c *Conn) post(ctx context.Context, msg *soap.SoapMessage) (string, error) {
	payload := msg.String()
	msg.Free()
	// Each request gets its own deadline: a long-poll may take the whole
	// OperationTimeout, nothing should take much longer. A host that has
	// never answered gets the connect timeout to connect and as long again
	// to answer: a silent host is given up on in seconds, not minutes.
	within := c.cfg.OperationTimeout + c.cfg.ConnectTimeout + c.grace
	if !c.answered.Load() {
		within = 2 * c.cfg.ConnectTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	// Whatever failed before a request was written in full (connecting,
	// the TLS handshake, waiting for a connection) cannot have reached
	// the host.
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			wrote.Store(true)
		}
	}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, strings.NewReader(payload))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.SetBasicAuth(c.cfg.User, c.cfg.Password)
	resp, err := c.client.Do(req)
	if err != nil {
		if err == errUnauthorized {
			// A sealed client's login was refused: say what that means
			// here, as for a 401 to the request itself.
			err = c.unauthorized
		}
		if !wrote.Load() {
			return "", &undeliveredError{cleanURLError(err)}
		}
		return "", cleanURLError(err)
	}
	defer resp.Body.Close()
	c.answered.Store(true)
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return "", fmt.Errorf("reading the reply: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusOK && soapReply(resp):
		return string(body), nil
	case resp.StatusCode == http.StatusOK:
		return "", notWinRM(c.url, resp, "a WS-Management request")
	case resp.StatusCode == http.StatusUnauthorized && !offersWinRMAuth(resp.Header):
		return "", notWinRM(c.url, resp, "a WS-Management request")
	case resp.StatusCode == http.StatusUnauthorized:
		return "", c.unauthorized
	case resp.StatusCode == http.StatusInternalServerError && strings.Contains(resp.Header.Get("Content-Type"), "soap+xml"):
		if f := parseFault(body); f != nil {
			return "", f
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Type"), "soap+xml") {
		return "", notWinRM(c.url, resp, "a WS-Management request")
	}
	return "", fmt.Errorf("HTTP %d from %s: %s", resp.StatusCode, c.url, clip(string(body)))
}

// cleanURLError drops the url.Error wrapper, whose text repeats the method
// and URL, keeping the cause.
func cleanURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.URL, ue.Err)
	}
	return err
}

// undeliveredError is a request that failed before it was written.
type undeliveredError struct{ err error }

func (e *undeliveredError) Error() string { return e.err.Error() }
func (e *undeliveredError) Unwrap() error { return e.err }

// notDelivered reports whether err proves a request never reached the
// host: it was never written, or the host refused the login.
func notDelivered(err error) bool {
	var u *undeliveredError
	return errors.As(err, &u) || errors.Is(err, errUnauthorized)
}

// isCertificateError reports whether err is the host's certificate failing
// verification.
func isCertificateError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

// Codes of the WS-Management faults the connection acts on.
const (
	FaultTimedOut          = 2150858793 // Receive long-poll ended without output
	FaultShellNotFound     = 2150858843 // shell expired, deleted or host rebooted
	FaultTooManyShells     = 2150859173 // MaxShellsPerUser
	FaultTooManyOperations = 2150859174 // MaxConcurrentOperationsPerUser
)

// Fault is a WS-Management fault the host answered with.
type Fault struct {
	Code    uint64
	Subcode string
	Reason  string
}

func (f *Fault) Error() string {
	return fmt.Sprintf("WS-Management fault %d (%s): %s", f.Code, f.Subcode, strings.TrimSpace(f.Reason))
}

func parseFault(body []byte) *Fault {
	var env struct {
		Body struct {
			Fault struct {
				Code struct {
					Subcode struct {
						Value string `xml:"Value"`
					} `xml:"Subcode"`
				} `xml:"Code"`
				Reason struct {
					Text string `xml:"Text"`
				} `xml:"Reason"`
				Detail struct {
					WSManFault struct {
						Code string `xml:"Code,attr"`
					} `xml:"WSManFault"`
				} `xml:"Detail"`
			} `xml:"Fault"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(body, &env); err != nil {
		return nil
	}
	fault := env.Body.Fault
	code, err := strconv.ParseUint(fault.Detail.WSManFault.Code, 10, 64)
	if err != nil && fault.Reason.Text == "" {
		return nil
	}
	return &Fault{Code: code, Subcode: fault.Code.Subcode.Value, Reason: fault.Reason.Text}
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// mutualClient logs on with the client certificate of its TLS
// configuration: every request says so with the https/mutual security
// profile instead of credentials (MS-WSMV; what pywinrm and masterzen send).
type mutualClient struct{ hc *http.Client }

func (m *mutualClient) Do(req *http.Request) (*http.Response, error) {
	req.Header.Set("Authorization", "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual")
	return m.hc.Do(req)
}
