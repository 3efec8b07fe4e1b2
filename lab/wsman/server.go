// Package wsman is the lab's WinRM server: a real HTTP(S) listener that
// speaks WS-Management's Windows Remote Shell (Create, Command, Send,
// Receive, Signal, Delete) with the envelopes, authentication (Basic, NTLM
// with message sealing), quotas, timeouts and faults of a Windows host, so
// that unmodified clients (masterzen/winrm, pywinrm, Ansible) run against it.
// What a command does is up to the Machine the server hands it to.
package wsman

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Quotas are the WinRM limits a host enforces. Zero fields take Windows'
// defaults (Server 2012 R2 and later).
type Quotas struct {
	// MaxEnvelopeSizeKB bounds request bodies (default 500); larger ones
	// get HTTP 413.
	MaxEnvelopeSizeKB int
	// MaxShellsPerUser bounds the open shells of one user (default 30).
	MaxShellsPerUser int
	// MaxConcurrentOperationsPerUser bounds the commands one user has
	// started in shells still open (default 1500). As in Windows' cmd
	// shell, Signal terminate does not give a command's slot back; only
	// deleting its shell does.
	MaxConcurrentOperationsPerUser int
	// IdleTimeout deletes shells without requests for this long (default
	// 2h); a client may ask for less in Create.
	IdleTimeout time.Duration
	// MaxTimeout is the largest OperationTimeout a request may carry
	// (default 60s).
	MaxTimeout time.Duration
}

// WinRM2Quotas are the defaults of WinRM 2.0 (Windows 7, Server 2008 R2).
func WinRM2Quotas() Quotas {
	return Quotas{MaxEnvelopeSizeKB: 150, MaxShellsPerUser: 5, MaxConcurrentOperationsPerUser: 15,
		IdleTimeout: 180 * time.Second, MaxTimeout: 60 * time.Second}
}

func (q Quotas) withDefaults() Quotas {
	if q.MaxEnvelopeSizeKB <= 0 {
		q.MaxEnvelopeSizeKB = 500
	}
	if q.MaxShellsPerUser <= 0 {
		q.MaxShellsPerUser = 30
	}
	if q.MaxConcurrentOperationsPerUser <= 0 {
		q.MaxConcurrentOperationsPerUser = 1500
	}
	if q.IdleTimeout <= 0 {
		q.IdleTimeout = 2 * time.Hour
	}
	if q.MaxTimeout <= 0 {
		q.MaxTimeout = 60 * time.Second
	}
	return q
}

// Config describes one WinRM endpoint.
type Config struct {
	// Machine runs the commands.
	Machine Machine
	// ComputerName is the host's NetBIOS name, e.g. NODE1: the NTLM
	// TargetName and the Machine attribute of faults. Default LOCALHOST.
	ComputerName string
	// Users maps account names to passwords. A client may log in as "user",
	// "DOMAIN\user", ".\user" or "user@domain"; the user part is matched
	// without regard to case and the domain is not checked.
	Users map[string]string
	// Basic and NTLM select the authentication schemes offered. When
	// neither is set and there is no Kerberos, both are, as the lab wants
	// by default.
	Basic, NTLM bool
	// Kerberos, when set, accepts Kerberos under "Negotiate" and
	// "Kerberos", as a domain member does.
	Kerberos *Kerberos
	// CertMappings, when set, accept client certificates over HTTPS
	// (Auth/Certificate=true with certmapping entries).
	CertMappings []CertMapping
	// AllowUnencrypted accepts plaintext SOAP over http (Basic, or NTLM
	// or Kerberos without sealing). False refuses such requests as Windows'
	// default AllowUnencrypted=false does (401; 500 after Kerberos); HTTPS
	// and sealed messages always pass.
	AllowUnencrypted bool
	// Quotas are the host's limits; zero fields take Windows' defaults.
	Quotas Quotas
	// Faults, when set, may fail requests on purpose.
	Faults Injector
	// Codepage is the console code page of a shell whose client asks for
	// none (WINRS_CODEPAGE): the host's OEM code page, 437 by default
	// (850 on a German host, 866 on a Russian one).
	Codepage int
}

// Server is a WinRM endpoint. Serve and ServeTLS may run at the same time on
// two listeners (5985 and 5986 of one host) and share its shells. Close takes
// the host off the network; serving again afterwards is a fresh boot.
type Server struct {
	cfg   Config
	users map[string]account // by lower-case bare user name

	mu  sync.Mutex
	gen *generation // nil while the host is down
}

type account struct {
	name, password string
}

// New returns a server for cfg. It does not listen until Serve or ServeTLS.
func New(cfg Config) *Server {
	if !cfg.Basic && !cfg.NTLM && cfg.Kerberos == nil && len(cfg.CertMappings) == 0 {
		cfg.Basic, cfg.NTLM = true, true
	}
	if cfg.ComputerName == "" {
		cfg.ComputerName = "LOCALHOST"
	}
	cfg.Quotas = cfg.Quotas.withDefaults()
	s := &Server{cfg: cfg, users: map[string]account{}}
	for name, pw := range cfg.Users {
		s.users[strings.ToLower(bareUser(name))] = account{name: name, password: pw}
	}
	return s
}

// bareUser strips a DOMAIN\ prefix or an @domain suffix.
func bareUser(name string) string {
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		return name[i+1:]
	}
	if i := strings.IndexByte(name, '@'); i >= 0 {
		return name[:i]
	}
	return name
}

// lookup finds the account a client names.
func (s *Server) lookup(name string) (account, bool) {
	a, ok := s.users[strings.ToLower(bareUser(name))]
	return a, ok && bareUser(name) != ""
}

// Serve accepts plain-HTTP connections on l until Close; it returns nil after
// Close and the listener's error otherwise.
func (s *Server) Serve(l net.Listener) error {
	return s.serve(l, nil)
}

// ServeTLS accepts HTTPS connections on l with cert until Close. Only
// HTTP/1.1 is offered: WinRM's NTLM is bound to the TCP connection.
func (s *Server) ServeTLS(l net.Listener, cert tls.Certificate) error {
	tc := &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"http/1.1"},
		MinVersion:   tls.VersionTLS12,
	}
	if len(s.cfg.CertMappings) > 0 {
		// Asked for, not required: the mapping decides, after the
		// handshake, as Windows does.
		tc.ClientAuth = tls.RequestClientCert
	}
	return s.serve(l, tc)
}

func (s *Server) serve(l net.Listener, tlsConfig *tls.Config) error {
	g := s.generation()
	hs := g.newHTTPServer(tlsConfig)
	if hs == nil {
		// Close won the race; the host is down again.
		l.Close()
		return nil
	}
	var err error
	if tlsConfig != nil {
		err = hs.ServeTLS(l, "", "")
	} else {
		err = hs.Serve(l)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("wsman: serve %s: %w", l.Addr(), err)
}

// generation returns the running boot of the host, starting one if the host
// is down.
func (s *Server) generation() *generation {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen == nil {
		s.gen = newGeneration(s)
	}
	return s.gen
}

// Close takes the host down at once: listeners and every open connection
// close (clients see refused connections and resets), running commands are
// cancelled and all shells are forgotten.
func (s *Server) Close() error {
	s.mu.Lock()
	g := s.gen
	s.gen = nil
	s.mu.Unlock()
	if g != nil {
		g.close()
	}
	return nil
}

// Shells returns the number of open shells.
func (s *Server) Shells() int {
	s.mu.Lock()
	g := s.gen
	s.mu.Unlock()
	if g == nil {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.shells)
}

// ErrHostDown is the context cause of commands cancelled by Close.
var ErrHostDown = errors.New("wsman: host went down")

// generation is one boot of the host: its HTTP servers, connections and
// shells. Close ends it; the next Serve starts a new one, empty.
type generation struct {
	srv    *Server
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu      sync.Mutex
	closed  bool
	servers []*http.Server
	conns   map[net.Conn]struct{}
	shells  map[string]*shell
}

func newGeneration(s *Server) *generation {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &generation{srv: s, ctx: ctx, cancel: cancel, conns: map[net.Conn]struct{}{}, shells: map[string]*shell{}}
}

type connKey struct{}

// newHTTPServer builds an http.Server bound to this generation, or nil if
// the generation is already closed.
func (g *generation) newHTTPServer(tlsConfig *tls.Config) *http.Server {
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	hs := &http.Server{
		Handler:   &handler{srv: g.srv, gen: g},
		TLSConfig: tlsConfig,
		// An empty, non-nil map keeps HTTP/2 off on TLS.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		Protocols:    &protocols,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			_, isTLS := c.(*tls.Conn)
			return context.WithValue(ctx, connKey{}, &connState{conn: c, tls: isTLS})
		},
		ConnState:         g.track,
		ReadHeaderTimeout: 30 * time.Second,
		// pywinrm keeps its NTLM context on one connection for minutes.
		IdleTimeout: 10 * time.Minute,
		// Clients that vanish mid-handshake are part of the job (reboots,
		// dropped connections); net/http's log lines about them are noise.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.servers = append(g.servers, hs)
	return hs
}

func (g *generation) track(c net.Conn, state http.ConnState) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch state {
	case http.StateNew:
		g.conns[c] = struct{}{}
	case http.StateClosed, http.StateHijacked:
		delete(g.conns, c)
	}
}

func (g *generation) close() {
	g.mu.Lock()
	g.closed = true
	servers := g.servers
	for c := range g.conns {
		resetOnClose(c)
	}
	for _, sh := range g.shells {
		sh.idle.Stop()
	}
	g.shells = map[string]*shell{}
	g.mu.Unlock()
	// Connections go first, then processes: a command ended by the host
	// going down must not get its Done out to a client.
	for _, hs := range servers {
		// Close (not Shutdown): the host is gone, nothing is drained.
		hs.Close()
	}
	g.cancel(ErrHostDown)
}

// resetOnClose makes the coming Close send a TCP RST, as a host that
// vanished does, instead of an orderly FIN.
func resetOnClose(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
}
