package conn_test

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/runner/conn"
)

// strictHost serves one lab machine over plain HTTP with Windows' default
// AllowUnencrypted=false, which the lab package relaxes: only NTLM-sealed
// messages get through. It returns the machine and the connection
// settings to reach it.
func strictHost(t *testing.T, faults wsman.Injector) (*win.Machine, *wsman.Server, conn.Config) {
	t.Helper()
	m, err := win.NewNetwork().NewMachine(win.Config{Name: "node1", Timing: win.Timing{Second: time.Millisecond, Grace: time.Millisecond}})
	require.NoError(t, err)
	srv := wsman.New(wsman.Config{Machine: m, ComputerName: m.NetBIOSName(), Users: map[string]string{"lab": "Lab-Pass1"},
		Basic: true, NTLM: true, Faults: faults})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return m, srv, conn.Config{Name: "node1", Address: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
		Transport: "ntlm", User: `NODE1\lab`, Password: "Lab-Pass1", ConnectTimeout: time.Second, Backoff: 10 * time.Millisecond}
}

func TestNTLMSealsMessagesOverHTTP(t *testing.T) {
	rec := &recorder{}
	m, srv, cfg := strictHost(t, rec)
	c := open(t, cfg)
	for range 20 {
		out := run(t, c, "echo sealed héllo")
		assert.Equal(t, "sealed héllo\r\n", out.Stdout)
	}
	assert.Equal(t, 1, rec.count("Create"))
	assert.Equal(t, 1, srv.Shells())
	assert.Len(t, m.Log(), 20)

	// Basic over plain HTTP is refused here, as on Windows by default.
	cfg.Transport = "basic"
	_, err := open(t, cfg).Run(ctxFor(t, 5*time.Second), modules.Command{Line: "hostname"})
	assert.ErrorIs(t, err, modules.ErrUnreachable)
}

// The sealing context dies with its connection; the next request on a new
// connection authenticates again, and only provably unsent messages are
// sent twice.
func TestNTLMSealingSurvivesDroppedConnections(t *testing.T) {
	var mu sync.Mutex
	last, done := "", map[string]bool{}
	once := func(what string, kind wsman.InjectKind) wsman.Injection {
		if done[what] {
			return wsman.Injection{}
		}
		done[what] = true
		return wsman.Injection{Kind: kind}
	}
	rec := &recorder{fault: func(r wsman.Request, n int) wsman.Injection {
		mu.Lock()
		defer mu.Unlock()
		if r.Action == "Command" {
			last = r.CommandLine
		}
		switch {
		case r.Action == "Command" && last == "echo 1":
			return once("drop", wsman.Drop)
		case r.Action == "Receive" && last == "echo 2":
			return once("lose", wsman.LoseReply)
		case r.Action == "Command" && last == "echo 4":
			// A 401 mid-session: the host forgets the connection's login
			// and did not run the command.
			return once("401", wsman.Unauthorized)
		}
		return wsman.Injection{}
	}}
	m, _, cfg := strictHost(t, rec)
	c := open(t, cfg)
	for i := range 6 {
		out, err := c.Run(ctxFor(t, 5*time.Second), modules.Command{Line: fmt.Sprintf("echo %d", i)})
		require.NoError(t, err, "command %d", i)
		assert.Equal(t, fmt.Sprintf("%d\r\n", i), out.Stdout)
	}
	var lines []string
	for _, e := range m.Log() {
		lines = append(lines, e.Line)
	}
	// echo 1 was dropped before it ran and sent again; echo 2's reply was
	// lost after it ran, and a read-only command may run again; echo 4
	// was refused with a 401 and sent again.
	assert.Equal(t, []string{"echo 0", "echo 1", "echo 2", "echo 2", "echo 3", "echo 4", "echo 5"}, lines)
	assert.Equal(t, 9, rec.count("Command"), "6 commands; echo 1, 2 and 4 sent twice")

	c.Reset()
	assert.Equal(t, "again\r\n", run(t, c, "echo again").Stdout)
}
