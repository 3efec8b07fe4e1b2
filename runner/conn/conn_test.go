package conn_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/modules/cmdline"
	"github.com/winplay/winplay/runner/conn"
)

// hostConfig is the connection to lab host name as the inventory gives
// it, with retries paced for tests.
func hostConfig(t *testing.T, l *lab.Lab, name string) conn.Config {
	t.Helper()
	h, ok := labtest.Inventory(t, l).Host(name)
	require.True(t, ok, "no lab host %q", name)
	return conn.Config{
		Name:           h.Name,
		Address:        h.Address,
		Port:           h.Conn.Port,
		HTTPS:          h.Conn.HTTPS,
		CAPEM:          h.Conn.CAPEM,
		Transport:      h.Conn.Transport,
		User:           h.Conn.User,
		Password:       h.Conn.Password(),
		CertFile:       h.Conn.CertFile,
		KeyFile:        h.Conn.KeyFile,
		ConnectTimeout: time.Second,
		Backoff:        10 * time.Millisecond,
	}
}

// open prepares a connection from cfg, closed at the end of the test.
func open(t *testing.T, cfg conn.Config) *conn.Conn {
	t.Helper()
	c, err := conn.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// run runs line read-only and fails the test on a transport error.
func run(t *testing.T, c *conn.Conn, line string) modules.Output {
	t.Helper()
	out, err := c.Run(ctxFor(t, 10*time.Second), modules.Command{Line: line})
	require.NoError(t, err, "%s: %s", c.Name(), line)
	return out
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// recorder is an injector that records every request a host gets and
// asks fault, when set, what to do with it.
type recorder struct {
	mu    sync.Mutex
	reqs  []wsman.Request
	fault func(r wsman.Request, n int) wsman.Injection // n counts requests of r.Action, from 1
}

func (r *recorder) Inject(req wsman.Request) wsman.Injection {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	n := 0
	for _, q := range r.reqs {
		if q.Action == req.Action {
			n++
		}
	}
	fault := r.fault
	r.mu.Unlock()
	if fault == nil {
		return wsman.Injection{}
	}
	return fault(req, n)
}

// first applies inj to the first request of action.
func first(action string, inj wsman.Injection) func(wsman.Request, int) wsman.Injection {
	return func(r wsman.Request, n int) wsman.Injection {
		if r.Action == action && n == 1 {
			return inj
		}
		return wsman.Injection{}
	}
}

// every applies inj to every request of action.
func every(action string, inj wsman.Injection) func(wsman.Request, int) wsman.Injection {
	return func(r wsman.Request, _ int) wsman.Injection {
		if r.Action == action {
			return inj
		}
		return wsman.Injection{}
	}
}

// node1Lab starts a lab of cfg with the one host node1.
func node1Lab(t *testing.T, cfg lab.Config) *lab.Lab {
	t.Helper()
	cfg.Hosts = []lab.HostSpec{{Name: "node1"}}
	return labtest.StartConfig(t, cfg)
}

// count returns how many requests of action the host got.
func (r *recorder) count(action string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.reqs {
		if q.Action == action {
			n++
		}
	}
	return n
}

// ran returns the log entries of host name whose line is line.
func ran(l *lab.Lab, name, line string) []win.LogEntry {
	var out []win.LogEntry
	for _, e := range l.Host(name).Log() {
		if e.Line == line {
			out = append(out, e)
		}
	}
	return out
}

func TestAuthenticationAndTLS(t *testing.T) {
	for _, tc := range []struct {
		name        string
		https       bool
		basic, ntlm bool
	}{
		{name: "basic/http", basic: true},
		{name: "ntlm/http", ntlm: true},
		{name: "basic/https", https: true, basic: true},
		{name: "ntlm/https", https: true, ntlm: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Each lab offers only the scheme under test, so a pass cannot
			// come from a fallback to the other one.
			l := node1Lab(t, lab.Config{HTTPS: tc.https, Basic: tc.basic, NTLM: tc.ntlm})
			cfg := hostConfig(t, l, "node1")
			if tc.basic {
				assert.Equal(t, "basic", cfg.Transport)
			}
			c := open(t, cfg)
			out := run(t, c, "whoami")
			assert.Equal(t, "node1\\lab\r\n", out.Stdout)
			assert.Equal(t, 0, out.ExitCode)
			if tc.https {
				assert.True(t, strings.HasPrefix(c.Endpoint(), "https://"), c.Endpoint())
			}
		})
	}
}

func TestTLSVerifiedByDefault(t *testing.T) {
	l := node1Lab(t, lab.Config{HTTPS: true})
	rec := &recorder{}
	l.Host("node1").Inject(rec)

	// Without the lab's CA the system's roots are asked, and they do not
	// know it.
	cfg := hostConfig(t, l, "node1")
	cfg.CAPEM = nil
	start := time.Now()
	_, err := open(t, cfg).Run(ctxFor(t, 10*time.Second), modules.Command{Line: "hostname", Changes: true})
	require.Error(t, err)
	assert.ErrorIs(t, err, modules.ErrUnreachable)
	var verr *tls.CertificateVerificationError
	assert.ErrorAs(t, err, &verr)
	assert.Less(t, time.Since(start), 2*time.Second, "a certificate that fails verification is not worth retrying")

	// Another CA does not verify it either.
	_, otherCA, err := wsman.SelfSigned("127.0.0.1")
	require.NoError(t, err)
	cfg.CAPEM = otherCA
	_, err = open(t, cfg).Run(ctxFor(t, 10*time.Second), modules.Command{Line: "hostname"})
	assert.ErrorIs(t, err, modules.ErrUnreachable)
	assert.Zero(t, rec.count("Create"), "no request passes a failed handshake")

	// Insecure skips verification.
	cfg.Insecure = true
	out := run(t, open(t, cfg), "hostname")
	assert.Equal(t, "NODE1\r\n", out.Stdout)

	_, err = conn.New(conn.Config{Name: "node9", Address: "127.0.0.1", HTTPS: true, CAPEM: []byte("not a certificate")})
	assert.ErrorContains(t, err, "node9")
}

func TestWrongPasswordIsUnreachableAndNotShown(t *testing.T) {
	for _, transport := range []string{"basic", "ntlm"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			l := node1Lab(t, lab.Config{})
			cfg := hostConfig(t, l, "node1")
			cfg.Transport = transport
			cfg.Password = "Wrong-Secret-42"
			_, err := open(t, cfg).Run(ctxFor(t, 10*time.Second), modules.Command{Line: "hostname", Changes: true})
			require.Error(t, err)
			assert.ErrorIs(t, err, modules.ErrUnreachable)
			assert.NotErrorIs(t, err, modules.ErrOutcomeUnknown, "a rejected login ran nothing")
			assert.NotContains(t, err.Error(), cfg.Password)
			assert.Contains(t, err.Error(), "401")
			assert.Empty(t, l.Host("node1").Log())
		})
	}
}

func TestCommandsReuseOneShell(t *testing.T) {
	l := node1Lab(t, lab.Config{})
	rec := &recorder{}
	l.Host("node1").Inject(rec)
	c := labtest.Connect(t, l, "node1")
	for range 50 {
		assert.Equal(t, "NODE1\r\n", run(t, c, "hostname").Stdout)
	}
	assert.Equal(t, 1, rec.count("Create"), "one shell for every command")
	assert.Equal(t, 50, rec.count("Command"))
	assert.Equal(t, 1, l.Host("node1").Server().Shells())
	assert.Len(t, ran(l, "node1", "hostname"), 50)

	require.NoError(t, c.Close())
	assert.Zero(t, l.Host("node1").Server().Shells(), "Close deletes the shell")
}

func TestShellRecycledAfterCommandsPerShell(t *testing.T) {
	// WinRM 2.0 allows 5 shells per user: a connection that left its old
	// shells open would fail to create the sixth.
	l := node1Lab(t, lab.Config{Quotas: wsman.WinRM2Quotas()})
	rec := &recorder{}
	l.Host("node1").Inject(rec)
	cfg := hostConfig(t, l, "node1")
	cfg.CommandsPerShell = 4
	c := open(t, cfg)
	for range 30 {
		run(t, c, "hostname")
	}
	assert.Equal(t, 8, rec.count("Create"), "a new shell every 4 commands")
	assert.Equal(t, 7, rec.count("Delete"), "each old shell is deleted")
	assert.Equal(t, 1, l.Host("node1").Server().Shells())
}

func TestShellRecycledBeforeOperationQuota(t *testing.T) {
	// WinRM 2.0 allows 15 operations per user, and a cmd shell keeps every
	// command's until the shell is deleted. The default recycling interval
	// is far above that, so the quota fault must recycle the shell, and
	// the command it refused runs in the new one.
	l := node1Lab(t, lab.Config{Quotas: wsman.WinRM2Quotas()})
	rec := &recorder{}
	l.Host("node1").Inject(rec)
	c := labtest.Connect(t, l, "node1")
	for i := range 40 {
		out, err := c.Run(ctxFor(t, 10*time.Second), modules.Command{Line: "hostname", Changes: true})
		require.NoError(t, err, "command %d", i+1)
		assert.Equal(t, "NODE1\r\n", out.Stdout)
	}
	assert.Len(t, ran(l, "node1", "hostname"), 40, "every command ran once")
	assert.Equal(t, 3, rec.count("Create"))
	assert.Equal(t, 1, l.Host("node1").Server().Shells())
}

func TestRebootNewShell(t *testing.T) {
	l := node1Lab(t, lab.Config{})
	h := l.Host("node1")
	rec := &recorder{}
	h.Inject(rec)
	c := labtest.Connect(t, l, "node1")
	run(t, c, "hostname")
	require.Equal(t, 1, h.Server().Shells())

	booted := h.Booted()
	h.Crash()
	<-booted
	c.Reset()
	out := run(t, c, "hostname")
	assert.Equal(t, "NODE1\r\n", out.Stdout)
	assert.Equal(t, 2, rec.count("Create"), "a new shell after the reboot")
	assert.Equal(t, 1, h.Server().Shells())

	// Without Reset, the next command finds its shell gone (a dropped
	// connection, then "shell not found") and opens a new one by itself.
	booted = h.Booted()
	h.Crash()
	<-booted
	out = run(t, c, "hostname")
	assert.Equal(t, "NODE1\r\n", out.Stdout)
	assert.Equal(t, 3, rec.count("Create"))
}

func TestUnreachableHost(t *testing.T) {
	l := node1Lab(t, lab.Config{})
	h := l.Host("node1")
	cfg := hostConfig(t, l, "node1")
	run(t, open(t, cfg), "hostname") // the host is serving before it goes
	h.NeverReturn(true)
	h.Crash()
	require.False(t, h.Up())

	for _, changes := range []bool{false, true} {
		start := time.Now()
		_, err := open(t, cfg).Run(ctxFor(t, 10*time.Second), modules.Command{Line: "hostname", Changes: changes})
		require.Error(t, err)
		assert.ErrorIs(t, err, modules.ErrUnreachable)
		assert.NotErrorIs(t, err, modules.ErrOutcomeUnknown)
		assert.Less(t, time.Since(start), 2*time.Second)
		assert.Contains(t, err.Error(), "refused")
	}
}

func TestReadOnlyCommandRetriedAfterDrop(t *testing.T) {
	for _, action := range []string{"Create", "Command"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			l := node1Lab(t, lab.Config{})
			rec := &recorder{fault: first(action, wsman.Injection{Kind: wsman.Drop})}
			l.Host("node1").Inject(rec)
			c := labtest.Connect(t, l, "node1")
			out := run(t, c, "hostname")
			assert.Equal(t, "NODE1\r\n", out.Stdout)
			assert.Equal(t, 2, rec.count(action), "sent again after the drop")
			assert.Len(t, ran(l, "node1", "hostname"), 1, "and run once")
		})
	}
}

func TestReadOnlyCommandGivesUpAfterRetries(t *testing.T) {
	l := node1Lab(t, lab.Config{})
	rec := &recorder{fault: every("Command", wsman.Injection{Kind: wsman.Drop})}
	l.Host("node1").Inject(rec)
	cfg := hostConfig(t, l, "node1")
	cfg.ReadRetries = 3
	_, err := open(t, cfg).Run(ctxFor(t, 10*time.Second), modules.Command{Line: "hostname"})
	require.Error(t, err)
	assert.Equal(t, 4, rec.count("Command"), "the first try and 3 retries")
	assert.Empty(t, ran(l, "node1", "hostname"))
}

func TestChangingCommandWithLostReplyIsNotResent(t *testing.T) {
	for _, action := range []string{"Command", "Receive"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			l := node1Lab(t, lab.Config{})
			rec := &recorder{fault: first(action, wsman.Injection{Kind: wsman.LoseReply})}
			l.Host("node1").Inject(rec)
			c := labtest.Connect(t, l, "node1")
			line := `sc config Spooler start= demand`
			_, err := c.Run(ctxFor(t, 10*time.Second), modules.Command{Line: line, Changes: true})
			require.Error(t, err)
			assert.ErrorIs(t, err, modules.ErrOutcomeUnknown)
			assert.NotErrorIs(t, err, modules.ErrUnreachable)
			assert.Equal(t, 1, rec.count("Command"), "never resent")
			// The command started before its reply was lost; under load
			// it may finish a moment later.
			require.Eventually(t, func() bool { return len(ran(l, "node1", line)) > 0 }, 5*time.Second, 10*time.Millisecond, "the command never ran")
			require.Len(t, ran(l, "node1", line), 1, "the command ran, once")

			// The module reads the state again, on the same connection.
			out := run(t, c, "sc qc Spooler")
			assert.Contains(t, out.Stdout, "DEMAND_START")
		})
	}
}

func TestFaultIsReported(t *testing.T) {
	for _, action := range []string{"Create", "Command", "Receive"} {
		for _, changes := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/changes=%v", action, changes), func(t *testing.T) {
				t.Parallel()
				l := node1Lab(t, lab.Config{})
				rec := &recorder{fault: every(action, wsman.Injection{Kind: wsman.Fault500})}
				l.Host("node1").Inject(rec)
				c := labtest.Connect(t, l, "node1")
				start := time.Now()
				_, err := c.Run(ctxFor(t, 10*time.Second), modules.Command{Line: "hostname", Changes: changes})
				require.Error(t, err)
				var f *conn.Fault
				require.ErrorAs(t, err, &f)
				assert.Equal(t, "w:InternalError", f.Subcode)
				assert.NotZero(t, f.Code)
				assert.Contains(t, err.Error(), "WS-Management fault")
				assert.NotErrorIs(t, err, modules.ErrUnreachable, "the host answered")
				assert.Less(t, time.Since(start), 2*time.Second, "a fault is the host's answer, not a reason to spin")
				if action == "Receive" && changes {
					// The command started; only its output is lost.
					assert.ErrorIs(t, err, modules.ErrOutcomeUnknown)
				} else {
					assert.NotErrorIs(t, err, modules.ErrOutcomeUnknown, "a refused request ran nothing")
				}
				assert.Equal(t, 1, rec.count(action), "a fault is not worth asking again")
			})
		}
	}
}

func TestSlowHostBoundedByDeadline(t *testing.T) {
	for _, action := range []string{"Create", "Command", "Receive"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			l := node1Lab(t, lab.Config{})
			rec := &recorder{fault: first(action, wsman.Injection{Delay: time.Minute})}
			l.Host("node1").Inject(rec)
			c := labtest.Connect(t, l, "node1")
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := c.Run(ctx, modules.Command{Line: "hostname", Changes: true})
			require.Error(t, err)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, time.Since(start), 2*time.Second)
			if action == "Create" {
				assert.NotErrorIs(t, err, modules.ErrOutcomeUnknown, "no command was sent")
			} else {
				assert.ErrorIs(t, err, modules.ErrOutcomeUnknown)
			}

			// The connection recovers for the next command.
			assert.Equal(t, "NODE1\r\n", run(t, c, "hostname").Stdout)
		})
	}
}

func TestOutputRoundTrip(t *testing.T) {
	l := node1Lab(t, lab.Config{})
	c := labtest.Connect(t, l, "node1")

	out := run(t, c, "echo héllo wörld 中文 😀")
	assert.Equal(t, "héllo wörld 中文 😀\r\n", out.Stdout)
	assert.Empty(t, out.Stderr)

	out = run(t, c, "echo to stderr 1>&2")
	assert.Empty(t, out.Stdout)
	assert.Equal(t, "to stderr \r\n", out.Stderr, "cmd.exe keeps the blank before the redirection")

	out = run(t, c, "nosuchtool /x")
	assert.Equal(t, 9009, out.ExitCode)
	assert.Contains(t, out.Stderr, "'nosuchtool' is not recognized")

	for _, code := range []int{0, 1, 3010, 1641, -1} {
		out = run(t, c, fmt.Sprintf("exit /b %d", code))
		assert.Equal(t, code, out.ExitCode)
	}

	// About 1 MB, over several Receive responses.
	chunk := strings.Repeat("0123456789abcdé中", 450) // 8100 bytes
	for range 120 {
		out = run(t, c, `echo `+chunk+`>>C:\WINNT\Temp\big.txt`)
		require.Zero(t, out.ExitCode, out.Stderr)
	}
	out = run(t, c, `type C:\WINNT\Temp\big.txt`)
	require.Zero(t, out.ExitCode, out.Stderr)
	require.Equal(t, 120*(len(chunk)+2), len(out.Stdout))
	assert.Equal(t, strings.Repeat(chunk+"\r\n", 120), out.Stdout)
}

// A value that closes masterzen's CDATA section and spells a quote as an
// XML entity must still reach cmd.exe as text inside one quoted argument.
func TestLineCarriedVerbatim(t *testing.T) {
	l := node1Lab(t, lab.Config{})
	c := labtest.Connect(t, l, "node1")
	values := []string{
		"]]>&quot; &amp; echo INJECTED &amp; &quot;<![CDATA[",
		"]]]]><![CDATA[>", "a]]>b", "]]>", "<x/>", "&lt;&amp;&gt;", "héllo 中文 😀",
	}
	for _, args := range append([][]string{values}, splitEach(values)...) {
		line, err := cmdline.New("hostname").Arg(args...).Line()
		require.NoError(t, err)
		l.Host("node1").Machine().ClearLog()
		out := run(t, c, line)
		assert.Equal(t, "NODE1\r\n", out.Stdout, line)
		assert.Empty(t, out.Stderr, line)
		log := l.Host("node1").Log()
		require.Len(t, log, 1, "one command ran for %s", line)
		assert.Equal(t, line, log[0].Line)
		assert.Equal(t, append([]string{"hostname"}, args...), log[0].Argv)
	}
}

func splitEach(values []string) [][]string {
	var out [][]string
	for _, v := range values {
		out = append(out, []string{v})
	}
	return out
}

func TestRejectedLoginMidCommand(t *testing.T) {
	for _, transport := range []string{"basic", "ntlm"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			l := node1Lab(t, lab.Config{})
			rec := &recorder{fault: every("Receive", wsman.Injection{Kind: wsman.Unauthorized})}
			l.Host("node1").Inject(rec)
			cfg := hostConfig(t, l, "node1")
			cfg.Transport = transport
			line := "sc stop Spooler"
			_, err := open(t, cfg).Run(ctxFor(t, 10*time.Second), modules.Command{Line: line, Changes: true})
			require.Error(t, err)
			assert.ErrorIs(t, err, modules.ErrOutcomeUnknown, "the command started before the 401")
			assert.NotErrorIs(t, err, modules.ErrUnreachable)
			// The lab runs a command in its own goroutine once Command
			// is answered, so it may log it after the 401 came back.
			assert.Eventually(t, func() bool { return len(ran(l, "node1", line)) == 1 }, 5*time.Second, 5*time.Millisecond)
			assert.Len(t, ran(l, "node1", line), 1)
		})
	}
}

// A host that accepts TCP connections but never completes the TLS
// handshake is given up on after the connect timeout, and nothing was
// sent.
func TestTLSHandshakeTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	c := open(t, conn.Config{Name: "node1", Address: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, HTTPS: true,
		Transport: "basic", User: "lab", Password: "x", ConnectTimeout: 200 * time.Millisecond, Backoff: 10 * time.Millisecond})
	start := time.Now()
	_, err = c.Run(ctxFor(t, 10*time.Second), modules.Command{Line: "sc stop Spooler", Changes: true})
	require.Error(t, err)
	assert.ErrorIs(t, err, modules.ErrUnreachable)
	assert.NotErrorIs(t, err, modules.ErrOutcomeUnknown)
	assert.Contains(t, err.Error(), "handshake")
	assert.Less(t, time.Since(start), 2*time.Second, "three tries of 200ms")
}

func TestConcurrentCallers(t *testing.T) {
	for _, transport := range []string{"basic", "ntlm"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			l := node1Lab(t, lab.Config{})
			cfg := hostConfig(t, l, "node1")
			cfg.Transport = transport
			c := open(t, cfg)
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() {
					for j := range 10 {
						line := fmt.Sprintf("echo caller %d command %d", i, j)
						out, err := c.Run(context.Background(), modules.Command{Line: line})
						if assert.NoError(t, err) {
							assert.Equal(t, line[len("echo "):]+"\r\n", out.Stdout)
						}
					}
				})
			}
			wg.Wait()
			assert.Len(t, l.Host("node1").Log(), 80)
			assert.Equal(t, 1, l.Host("node1").Server().Shells())
		})
	}
}

func TestIPv6AddressesMakeValidURLs(t *testing.T) {
	for address, want := range map[string]string{
		"::1":      "https://[::1]:5986/wsman",
		"fd00::11": "https://[fd00::11]:5986/wsman",
		"node1":    "https://node1:5986/wsman",
	} {
		c, err := conn.New(conn.Config{Name: "n", Address: address, Port: 5986, HTTPS: true, Transport: "basic", User: "lab", Password: "x"})
		require.NoError(t, err)
		assert.Equal(t, want, c.Endpoint(), address)
		_, err = url.Parse(c.Endpoint())
		assert.NoError(t, err)
	}
}

// TestIPv6Loopback runs a command over [::1], where the sandbox has it:
// the URL with brackets is what the lab host's server then answers on.
func TestIPv6Loopback(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	go func() { _ = l.Host("node1").Server().Serve(ln) }()
	t.Cleanup(func() { _ = ln.Close() })
	h, ok := labtest.Inventory(t, l).Host("node1")
	require.True(t, ok)
	v6 := *h
	v6.Address = "::1"
	v6.Conn.Port = ln.Addr().(*net.TCPAddr).Port
	c, err := conn.Connector{}.Connect(&v6)
	require.NoError(t, err)
	defer c.Close()
	out, err := c.Run(context.Background(), modules.Command{Line: "hostname"})
	require.NoError(t, err)
	assert.Equal(t, "NODE1\r\n", out.Stdout)
}
