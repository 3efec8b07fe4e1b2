package wsman

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/lab/internal/realclient"
)

const (
	testUser     = "lab"
	testPassword = "Lab-Passw0rd!"
)

// lab is one server on a loopback port for one test.
type lab struct {
	srv     *Server
	machine *testMachine
	addr    string // host:port
	host    string
	port    int
	caPEM   []byte // set for HTTPS
	https   bool
}

func (l *lab) url() string {
	if l.https {
		return "https://" + l.addr + "/wsman"
	}
	return "http://" + l.addr + "/wsman"
}

// startLab serves cfg on 127.0.0.1 with a fresh test machine; tls serves
// HTTPS with a self-signed certificate instead.
func startLab(t testing.TB, cfg Config, tls bool) *lab {
	t.Helper()
	m := newTestMachine()
	if cfg.Machine == nil {
		cfg.Machine = m
	}
	if cfg.Users == nil {
		cfg.Users = map[string]string{testUser: testPassword}
	}
	if cfg.ComputerName == "" {
		cfg.ComputerName = "NODE1"
	}
	l := &lab{srv: New(cfg), machine: m, https: tls}
	l.listen(t)
	return l
}

// listen (re)starts serving on a new loopback port.
func (l *lab) listen(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	tcp := ln.Addr().(*net.TCPAddr)
	l.addr, l.host, l.port = ln.Addr().String(), tcp.IP.String(), tcp.Port
	done := make(chan error, 1)
	if l.https {
		cert, caPEM, err := SelfSigned("127.0.0.1", "localhost")
		require.NoError(t, err)
		l.caPEM = caPEM
		go func() { done <- l.srv.ServeTLS(ln, cert) }()
	} else {
		go func() { done <- l.srv.Serve(ln) }()
	}
	t.Cleanup(func() {
		l.srv.Close()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve %s: %v", l.addr, err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("serve %s did not return after Close", l.addr)
		}
	})
}

// client is a masterzen/winrm client for the lab with the given transport
// ("basic", "ntlm" or "encryption") and OperationTimeout.
func (l *lab) client(t testing.TB, transport, user, password, opTimeout string) *winrm.Client {
	t.Helper()
	c, err := realclient.Masterzen(l.host, l.port, l.https, l.caPEM, transport, user, password, opTimeout)
	require.NoError(t, err)
	return c
}

// result is what one command produced.
type result = realclient.Result

// execIn runs one command in a reused masterzen shell.
var execIn = realclient.Exec

// run is RunWithContext bounded by a timeout, for clients that can spin.
func run(t testing.TB, c *winrm.Client, command string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	type ret struct {
		code int
		err  error
	}
	done := make(chan ret, 1)
	go func() {
		code, err := c.RunWithContext(ctx, command, &stdout, &stderr)
		done <- ret{code, err}
	}()
	select {
	case r := <-done:
		require.NoError(t, r.err, "run %q", command)
		return result{Stdout: stdout.String(), Stderr: stderr.String(), Code: r.code}
	case <-time.After(35 * time.Second):
		t.Fatalf("run %q did not return", command)
		return result{}
	}
}

// rawClient posts hand-made envelopes with Basic auth, to see statuses and
// faults that masterzen hides.
type rawClient struct {
	t      testing.TB
	url    string
	user   string
	pass   string
	hc     *http.Client
	params *winrm.Parameters
}

func (l *lab) raw(t testing.TB) *rawClient {
	return &rawClient{t: t, url: l.url(), user: testUser, pass: testPassword,
		hc:     &http.Client{Timeout: 30 * time.Second},
		params: winrm.NewParameters("PT20S", "en-US", 153600)}
}

// post sends body and returns the status, the body and the response.
func (c *rawClient) post(body string) (int, string, *http.Response) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.url, strings.NewReader(body))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", soapContentType)
	req.SetBasicAuth(c.user, c.pass)
	resp, err := c.hc.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp.StatusCode, string(b), resp
}

// send posts a masterzen-built message and frees it.
func (c *rawClient) send(m *soap.SoapMessage) (int, string) {
	c.t.Helper()
	defer m.Free()
	status, body, _ := c.post(m.String())
	return status, body
}

// ok posts m and requires a 200.
func (c *rawClient) ok(m *soap.SoapMessage) string {
	c.t.Helper()
	status, body := c.send(m)
	require.Equal(c.t, http.StatusOK, status, body)
	return body
}

func (c *rawClient) createShell() string {
	c.t.Helper()
	id, err := winrm.ParseOpenShellResponse(c.ok(winrm.NewOpenShellRequest(c.url, c.params)))
	require.NoError(c.t, err)
	return id
}

func (c *rawClient) startCommand(shellID, command string, args ...string) string {
	c.t.Helper()
	id, err := winrm.ParseExecuteCommandResponse(c.ok(winrm.NewExecuteCommandRequest(c.url, shellID, command, args, c.params)))
	require.NoError(c.t, err)
	return id
}

// output receives until Done and returns stdout, stderr and the exit code.
func (c *rawClient) output(shellID, commandID string) result {
	c.t.Helper()
	var stdout, stderr bytes.Buffer
	for range 1000 {
		body := c.ok(winrm.NewGetOutputRequest(c.url, shellID, commandID, "stdout stderr", c.params))
		done, code, err := winrm.ParseSlurpOutputErrResponse(body, &stdout, &stderr)
		require.NoError(c.t, err)
		if done {
			return result{Stdout: stdout.String(), Stderr: stderr.String(), Code: code}
		}
	}
	c.t.Fatalf("command %s never finished", commandID)
	return result{}
}

// wsFault is the part of a fault envelope tests look at.
type wsFault struct {
	Action    string `xml:"Header>Action"`
	RelatesTo string `xml:"Header>RelatesTo"`
	Code      string `xml:"Body>Fault>Code>Value"`
	Subcode   string `xml:"Body>Fault>Code>Subcode>Value"`
	Reason    string `xml:"Body>Fault>Reason>Text"`
	Detail    struct {
		Code    string `xml:"Code,attr"`
		Machine string `xml:"Machine,attr"`
		Message string `xml:",innerxml"`
	} `xml:"Body>Fault>Detail>WSManFault"`
}

func parseFault(t testing.TB, body string) wsFault {
	t.Helper()
	var f wsFault
	require.NoError(t, xml.Unmarshal([]byte(body), &f), body)
	require.Equal(t, actionFault, f.Action, body)
	return f
}

// messageID digs the request MessageID out of a masterzen message.
func messageID(t testing.TB, m *soap.SoapMessage) string {
	t.Helper()
	var env struct {
		ID string `xml:"Header>MessageID"`
	}
	require.NoError(t, xml.Unmarshal([]byte(m.String()), &env))
	return env.ID
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// receiveLog is an Injector that passes everything and notes when each
// Receive arrived.
type receiveLog struct {
	mu  sync.Mutex
	all []time.Time
}

func (r *receiveLog) Inject(req Request) Injection {
	if req.Action == "Receive" {
		r.mu.Lock()
		r.all = append(r.all, time.Now())
		r.mu.Unlock()
	}
	return Injection{}
}

func (r *receiveLog) times() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.all...)
}
