package win

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/winplay/winplay/lab/wsman"
)

// fastTiming keeps tests in milliseconds.
var fastTiming = Timing{Second: time.Millisecond, Grace: time.Millisecond, Install: time.Millisecond}

// lockedBuffer is a Process output safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newHosts creates a network with one host per profile, named node1,
// node2…, in fastTiming.
func newHosts(t *testing.T, profiles ...string) (*Network, []*Machine) {
	t.Helper()
	return newTimedHosts(t, fastTiming, profiles...)
}

// newTimedHosts is newHosts with the given timing.
func newTimedHosts(t *testing.T, timing Timing, profiles ...string) (*Network, []*Machine) {
	t.Helper()
	n := NewNetwork()
	var ms []*Machine
	for i, p := range profiles {
		m, err := n.NewMachine(Config{Name: "node" + string(rune('1'+i)), Profile: p, Timing: timing})
		require.NoError(t, err)
		ms = append(ms, m)
	}
	return n, ms
}

func newHost(t *testing.T, profile string) *Machine {
	t.Helper()
	_, ms := newHosts(t, profile)
	return ms[0]
}

// result is what one Exec produced.
type result struct {
	out, err string
	code     int
}

func execProc(m *Machine, p *wsman.Process) result {
	return execProcCtx(context.Background(), m, p)
}

func execProcCtx(ctx context.Context, m *Machine, p *wsman.Process) result {
	var out, errb lockedBuffer
	p.Stdout, p.Stderr = &out, &errb
	if p.Stdin == nil {
		p.Stdin = strings.NewReader("")
	}
	code := m.Exec(ctx, p)
	return result{out.String(), errb.String(), code}
}

func run(m *Machine, line string) result {
	return execProc(m, &wsman.Process{Line: line})
}

// mustRun runs a line and requires exit code 0.
func mustRun(t *testing.T, m *Machine, line string) result {
	t.Helper()
	r := run(m, line)
	require.Equal(t, 0, r.code, "%s\nstdout: %s\nstderr: %s", line, r.out, r.err)
	return r
}
