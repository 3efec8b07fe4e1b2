package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/wsman"
	"github.com/winplay/winplay/runner"
)

// syncBuffer is an io.Writer safe for the lab command's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type result struct {
	code     int
	out, err string
}

func winplay(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := Main(ctx, args, Stdio{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }})
	return result{code, out.String(), errb.String()}
}

// writeInventory writes the lab's inventory file as winplay lab does.
func writeInventory(t *testing.T, l *lab.Lab) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lab.hcl")
	require.NoError(t, writeLabInventory(l, path))
	return path
}

var labEnv = map[string]string{labPasswordEnv: lab.DefaultPassword}

func TestLabCommandServesAndWritesAnInventory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inv := filepath.Join(dir, "lab.hcl")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"lab", "--hosts", "node1,node2", "--addr", "127.0.0.1:0", "--user", "lab",
			"--password", "Lab-Pass1", "--inventory-out", inv, "--https", "--auth", "basic,ntlm"}, Stdio{Out: &out, Err: &errb})
	}()
	require.Eventually(t, func() bool { return strings.Count(out.String(), "\n") == 2 }, 10*time.Second, 10*time.Millisecond, errb.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	assert.Regexp(t, `^node1 https://127\.0\.0\.1:\d+/wsman$`, lines[0])
	assert.Regexp(t, `^node2 https://127\.0\.0\.1:\d+/wsman$`, lines[1])
	text, err := os.ReadFile(inv)
	require.NoError(t, err)
	assert.NotContains(t, string(text), "Lab-Pass1", "the password was written to the inventory")
	assert.Contains(t, string(text), `password_env`)
	assert.FileExists(t, filepath.Join(dir, "lab-ca.pem"))

	r := winplay(t, labEnv, "run", "../../playbooks/cluster-service-cycle.hcl", "-i", inv)
	assert.Equal(t, runner.ExitOK, r.code, r.out+r.err)
	assert.Regexp(t, `node1 : ok=4 changed=2 unreachable=0 failed=0 skipped=0`, r.out)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, runner.ExitOK, code)
	case <-time.After(10 * time.Second):
		t.Fatal("winplay lab did not stop when interrupted")
	}
}

func TestLabCommandRejectsBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"lab", "--addr", "0.0.0.0:0"},
		{"lab", "--auth", "kerberos"},
		{"lab", "--profile", "node3=rebuilt"},
		{"lab", "--profile", "node2=gold"},
		{"lab", "--speed", "warp"},
		{"lab", "extra"},
	} {
		r := winplay(t, nil, args...)
		assert.Equal(t, runner.ExitInvalid, r.code, "%v: %s", args, r.err)
	}
}

func TestRunLabShowsTasksAndRecap(t *testing.T) {
	t.Parallel()
	r := winplay(t, nil, "run", "../../playbooks/cluster-service-cycle.hcl", "--lab")
	require.Equal(t, runner.ExitOK, r.code, r.out+r.err)
	assert.Contains(t, r.out, "TASK [stop the cluster service and set it to manual]")
	assert.Contains(t, r.out, "changed: [node1]")
	assert.Contains(t, r.out, "PLAY RECAP")
	assert.Regexp(t, `(?m)^node2 : ok=4 changed=2 unreachable=0 failed=0 skipped=0`, r.out)
	assert.NotContains(t, r.out, "\x1b[", "color on a buffer")
	assert.NotContains(t, r.out+r.err, lab.DefaultPassword)
}

func TestJSONOutputAndJournal(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := writeInventory(t, l)
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	r := winplay(t, labEnv, "run", "../../playbooks/cluster-service-cycle.hcl", "-i", inv, "--output", "json", "--journal", journal, "-vv")
	require.Equal(t, runner.ExitOK, r.code, r.err)
	types := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(r.out))
	for sc.Scan() {
		var ev map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev), "not one JSON event per line: %q", sc.Text())
		types[fmt.Sprint(ev["event"])]++
	}
	assert.Equal(t, 8, types["task_result"], "4 tasks × 2 hosts")
	assert.Equal(t, 1, types["recap"])
	assert.NotZero(t, types["command"])

	j, err := os.ReadFile(journal)
	require.NoError(t, err)
	jl := strings.Split(strings.TrimSpace(string(j)), "\n")
	assert.GreaterOrEqual(t, len(jl), 8)
	for _, line := range jl {
		assert.True(t, json.Valid([]byte(line)), line)
	}
	assert.NotContains(t, r.out+r.err+string(j), lab.DefaultPassword)
}

// TestInvalidInputContactsNoHost runs every invalid playbook fixture against
// a live lab: each exits 4 with a diagnostic naming file:line:column, and no
// request reaches any host.
func TestInvalidInputContactsNoHost(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	var requests atomic.Int64
	for _, h := range l.Hosts() {
		h.Inject(wsman.InjectorFunc(func(wsman.Request) wsman.Injection {
			requests.Add(1)
			return wsman.Injection{}
		}))
	}
	inv := writeInventory(t, l)
	files, err := filepath.Glob("../../testdata/playbooks/invalid/*.hcl")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 15)
	for _, f := range files {
		r := winplay(t, labEnv, "run", f, "-i", inv)
		assert.Equal(t, runner.ExitInvalid, r.code, "%s:\n%s", f, r.err)
		assert.Regexp(t, `on .*`+regexpQuote(filepath.Base(f))+` line \d+`, r.err, f)
	}
	// Bad variables, limits and inventories too.
	for _, args := range [][]string{
		{"run", "../../playbooks/cluster-service-cycle.hcl", "-i", inv, "--limit", "node9"},
		{"run", "../../playbooks/cluster-service-cycle.hcl", "-i", inv, "-e", "nodes=web"},
		{"run", "../../playbooks/cluster-service-cycle.hcl", "-i", inv, "-e", "novar=1"},
		{"run", "../../playbooks/cluster-service-cycle.hcl", "-i", "../../testdata/inventory/invalid/syntax_error.hcl"},
		{"run", "../../playbooks/cluster-service-cycle.hcl", "-i", inv, "--forks", "0"},
	} {
		r := winplay(t, labEnv, args...)
		assert.Equal(t, runner.ExitInvalid, r.code, "%v:\n%s", args, r.err)
	}
	// Without the password variable the inventory is invalid too.
	r := winplay(t, nil, "run", "../../playbooks/cluster-service-cycle.hcl", "-i", inv)
	assert.Equal(t, runner.ExitInvalid, r.code, r.err)
	assert.Contains(t, r.err, labPasswordEnv)

	assert.Zero(t, requests.Load(), "invalid input reached a host")
	for _, h := range l.Hosts() {
		assert.Empty(t, h.Log(), h.Name())
	}
}

func regexpQuote(s string) string {
	return strings.NewReplacer(".", `\.`, "-", `\-`).Replace(s)
}
