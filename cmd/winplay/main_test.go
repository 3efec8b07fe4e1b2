package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
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
	"github.com/winplay/winplay/modules"
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
	return winplayIn(t, env, "", args...)
}

// winplayIn is winplay with stdin.
func winplayIn(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := Main(ctx, args, Stdio{In: strings.NewReader(stdin), Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }})
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
			"--inventory-out", inv, "--https", "--auth", "basic,ntlm"}, Stdio{Out: &out, Err: &errb, Getenv: func(k string) string { return labEnv[k] }})
	}()
	require.Eventually(t, func() bool { return strings.Count(out.String(), "\n") == 2 }, 10*time.Second, 10*time.Millisecond, errb.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	assert.Regexp(t, `^node1 https://127\.0\.0\.1:\d+/wsman$`, lines[0])
	assert.Regexp(t, `^node2 https://127\.0\.0\.1:\d+/wsman$`, lines[1])
	text, err := os.ReadFile(inv)
	require.NoError(t, err)
	assert.NotContains(t, string(text), "Lab-Pass1", "the password was written to the inventory")
	assert.NotContains(t, out.String()+errb.String(), "Lab-Pass1", "the lab echoed the password it was given")
	assert.Contains(t, string(text), `password_env`)
	assert.FileExists(t, filepath.Join(dir, "lab-ca.pem"))

	r := winplay(t, labEnv, "run", "../../playbooks/cluster-service-cycle.hcl", "-i", inv)
	assert.Equal(t, runner.ExitOK, r.code, r.out+r.err)
	assert.Equal(t, []string{
		"node1                      : ok=4 changed=2 unreachable=0 failed=0 skipped=0 ignored=0",
		"node2                      : ok=4 changed=2 unreachable=0 failed=0 skipped=0 ignored=0",
	}, recapLines(t, r.out))

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
		{"lab", "--password", "Lab-Pass1"},
		{"lab", "--addr", "0.0.0.0:0"},
		{"lab", "--auth", "credssp"},
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
	assert.Equal(t, []string{
		"node1                      : ok=4 changed=2 unreachable=0 failed=0 skipped=0 ignored=0",
		"node2                      : ok=4 changed=2 unreachable=0 failed=0 skipped=0 ignored=0",
	}, recapLines(t, r.out))
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
		{"run", "../../playbooks/cluster-service-cycle.hcl", "-i", inv, "--limit", "all:!*"},
		{"run", "../../playbooks/cluster-service-cycle.hcl", "-i", inv, "--start-at-task", "stop the cluster servic"},
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

// writePlaybook writes src as a playbook in a temporary directory.
func writePlaybook(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "playbook.hcl")
	require.NoError(t, os.WriteFile(path, []byte(src), 0o600))
	return path
}

// pinPlaybook and pwPlaybook pass a sensitive number and a sensitive
// string to a command.
const (
	pinPlaybook = `
variable "pin" {
  type      = number
  sensitive = true
}
play "p" {
  hosts = "node1"
  task "t" {
    command { argv = ["hostname", var.pin] }
  }
}`
	pwPlaybook = `
variable "pw" { sensitive = true }
play "p" {
  hosts = "node1"
  task "t" {
    command { argv = ["hostname", var.pw] }
  }
}`
)

// TestSensitiveValuesAppearNowhere runs the CLI with sensitive variables
// along every path that used to print them, in text and JSON output with a
// journal, and looks for the secret in everything written.
func TestSensitiveValuesAppearNowhere(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := writeInventory(t, l)
	const secret = "Hunter2Secret"
	varFile := filepath.Join(t.TempDir(), "vars.hcl")
	require.NoError(t, os.WriteFile(varFile, []byte(`pin = "`+secret+`"`+"\n"), 0o600))
	brokenVarFile := filepath.Join(t.TempDir(), "broken.hcl")
	require.NoError(t, os.WriteFile(brokenVarFile, []byte(`pw = "`+secret+"\n"), 0o600))
	tests := []struct {
		name     string
		playbook string
		args     []string
		secret   string
		code     int
	}{
		{
			name:     "a wrong type in -e",
			playbook: pinPlaybook,
			args:     []string{"-e", "pin=" + secret}, secret: secret, code: runner.ExitInvalid,
		},
		{
			name:     "a wrong type in a var file",
			playbook: pinPlaybook,
			args:     []string{"--var-file", varFile}, secret: secret, code: runner.ExitInvalid,
		},
		{
			name:     "a var file HCL cannot parse",
			playbook: pwPlaybook,
			args:     []string{"--var-file", brokenVarFile}, secret: secret, code: runner.ExitInvalid,
		},
		{
			name:     "a value given to -e without its name",
			playbook: pwPlaybook,
			args:     []string{"-e", secret}, secret: secret, code: runner.ExitInvalid,
		},
		{
			name:     "an argv value that cannot be passed safely",
			playbook: pwPlaybook,
			args:     []string{"-e", "pw=Hunter2%Secret"}, secret: "Hunter2%Secret", code: runner.ExitInvalid,
		},
		{
			name: "HCL's own diagnostic about an expression",
			playbook: `
variable "pw" { sensitive = true }
play "p" {
  hosts = "node1"
  task "t" {
    when = var.pw > 1
    command { argv = ["hostname"] }
  }
}`,
			args: []string{"-e", "pw=" + secret}, secret: secret, code: runner.ExitInvalid,
		},
		{
			name: "for_each keys, which name tasks",
			playbook: `
variable "pw" { sensitive = true }
play "p" {
  hosts = "node1"
  task "t" {
    for_each = [var.pw]
    command { argv = ["hostname"] }
  }
}`,
			args: []string{"-e", "pw=" + secret}, secret: secret, code: runner.ExitInvalid,
		},
		{
			name: "a sensitive number in command output",
			playbook: `
variable "pin" {
  type      = number
  sensitive = true
}
play "p" {
  hosts = "node1"
  task "t" {
    command {
      argv      = ["echo", var.pin]
      read_only = true
    }
  }
}`,
			args: []string{"-e", "pin=8675309123"}, secret: "8675309123", code: runner.ExitOK,
		},
		{
			name: "a sensitive string in command lines, output and errors",
			playbook: `
variable "pw" { sensitive = true }
play "p" {
  hosts = "node1"
  task "echo it" {
    command { argv = ["echo", var.pw] }
  }
  task "fail with it" {
    wait_for {
      service = var.pw
      state   = "running"
    }
  }
}`,
			args: []string{"-e", "pw=" + secret}, secret: secret, code: runner.ExitFailed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pb := writePlaybook(t, tt.playbook)
			for _, output := range []string{"text", "json"} {
				journal := filepath.Join(t.TempDir(), "journal.jsonl")
				args := append([]string{"run", pb, "-i", inv, "-vv", "--output", output, "--journal", journal}, tt.args...)
				r := winplay(t, labEnv, args...)
				assert.Equal(t, tt.code, r.code, "%s:\n%s%s", output, r.out, r.err)
				j, _ := os.ReadFile(journal)
				all := r.out + r.err + string(j)
				assert.NotContains(t, all, tt.secret, "%s output:\n%s", output, all)
				assert.NotContains(t, all, lab.DefaultPassword)
				if tt.code == runner.ExitInvalid {
					assert.Contains(t, r.err, "Error: ", output)
					if strings.Contains(tt.playbook, "var.pw > 1") {
						assert.Contains(t, r.err, "(var.pw: sensitive value, not shown.)")
					}
				} else {
					assert.Contains(t, all, runner.Mask, "%s: the secret was not even used", output)
				}
			}
		})
	}
}

// TestSensitiveCopyContentAppearsNowhere: an upload's chunks carry the
// content in base64, which no redactor recognises; -vv must not show them,
// nor the result the content's SHA-256.
func TestSensitiveCopyContentAppearsNowhere(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := writeInventory(t, l)
	const secret = "Hunter2Secret"
	pb := writePlaybook(t, `
variable "pw" { sensitive = true }
play "p" {
  hosts = "node1"
  task "t" {
    copy {
      content = var.pw
      dest    = "C:\\unattend\\pw.txt"
    }
  }
}`)
	sum := sha256.Sum256([]byte(secret))
	for _, output := range []string{"text", "json"} {
		// Each output sees a full upload.
		_, err := labtest.Connect(t, l, "node1").Run(context.Background(), modules.Command{Line: `del /q C:\unattend\pw.txt`, Changes: true})
		require.NoError(t, err)
		journal := filepath.Join(t.TempDir(), "journal.jsonl")
		r := winplay(t, labEnv, "run", pb, "-i", inv, "-vv", "--diff", "--output", output, "--journal", journal, "-e", "pw="+secret)
		require.Equal(t, runner.ExitOK, r.code, "%s:\n%s%s", output, r.out, r.err)
		j, _ := os.ReadFile(journal)
		all := r.out + r.err + string(j)
		assert.Contains(t, all, "base64 characters", "%s: the upload was not shown at all", output)
		for _, form := range []string{secret, base64.StdEncoding.EncodeToString([]byte(secret)), hex.EncodeToString(sum[:])} {
			assert.NotContains(t, all, form, "%s output:\n%s", output, all)
		}
	}
	assert.Equal(t, hex.EncodeToString(sum[:]), l.Host("node1").Dump().Files[`C:\unattend\pw.txt`].SHA256)
}

// TestSensitiveValueHiddenInSourceSnippet: a diagnostic whose source line
// holds a sensitive default shows the line with the value masked.
func TestSensitiveValueHiddenInSourceSnippet(t *testing.T) {
	t.Parallel()
	pb := writePlaybook(t, `
variable "pin" {
  type      = number
  default   = "Hunter2Secret"
  sensitive = true
}
play "p" {
  hosts = "node1"
  task "t" {
    command { argv = ["hostname", var.pin] }
  }
}`)
	l := labtest.Start(t)
	r := winplay(t, labEnv, "run", pb, "-i", writeInventory(t, l))
	require.Equal(t, runner.ExitInvalid, r.code, r.err)
	assert.Contains(t, r.err, "Invalid default value for variable")
	assert.Contains(t, r.err, `default   = `+runner.Mask, "the source line is shown, the value masked")
	assert.NotContains(t, r.err, "Hunter2Secret")
	assert.False(t, strings.ContainsRune(r.err, 0), "the mask's placeholder leaked")
}

func TestLimitThatMatchesNothingIsInvalid(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := writeInventory(t, l)
	r := winplay(t, labEnv, "run", "../../playbooks/cluster-service-cycle.hcl", "-i", inv, "--limit", "all:!*")
	assert.Equal(t, runner.ExitInvalid, r.code, r.out+r.err)
	assert.Contains(t, r.err, "Error: No hosts matched")
	assert.Contains(t, r.err, "--limit all:!* do not match any host")
	assert.NotContains(t, r.out, "PLAY RECAP")

	// One play left without hosts among others is skipped, as in Ansible.
	pb := writePlaybook(t, `
play "on node1" {
  hosts = "node1"
  task "a" {
    command { argv = ["hostname"] }
  }
}
play "on node2" {
  hosts = "node2"
  task "b" {
    command { argv = ["hostname"] }
  }
}`)
	r = winplay(t, labEnv, "run", pb, "-i", inv, "--limit", "node2")
	assert.Equal(t, runner.ExitOK, r.code, r.out+r.err)
	assert.Contains(t, r.out, "PLAY [on node1] ****")
	assert.Contains(t, r.out, "skipped: no hosts matched")
	assert.Contains(t, r.err, `Play "on node1" matches no host after --limit node2`)
	assert.Empty(t, l.Host("node1").Log(), "node1 is outside the limit")
	assert.NotEmpty(t, l.Host("node2").Log())
}

func TestStartAtAnUnknownTaskIsInvalidInput(t *testing.T) {
	t.Parallel()
	r := winplay(t, nil, "run", "../../playbooks/cluster-service-cycle.hcl", "--lab", "--start-at-task", "stop the cluster service and set it to manul")
	assert.Equal(t, runner.ExitInvalid, r.code, r.out+r.err)
	assert.Contains(t, r.err, `no task is named "stop the cluster service and set it to manul". Did you mean "stop the cluster service and set it to manual"?`)
	assert.NotContains(t, r.out, "TASK [")
}

// recapLines returns the host lines of the PLAY RECAP in out.
func recapLines(t *testing.T, out string) []string {
	t.Helper()
	_, recap, ok := strings.Cut(out, "PLAY RECAP ***")
	require.True(t, ok, "no PLAY RECAP in:\n%s", out)
	var lines []string
	for _, l := range strings.Split(recap, "\n")[1:] {
		if l == "" {
			break
		}
		lines = append(lines, l)
	}
	return lines
}

// TestRecapLinesAsAnsiblePrintsThem: hosts sorted by name (not in the
// order they were first seen), colons aligned in Ansible's 26 columns,
// every count in Ansible's order, ok counting changed and ignored.
func TestRecapLinesAsAnsiblePrintsThem(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node2"}, lab.HostSpec{Name: "node10"}, lab.HostSpec{Name: "node1"},
		lab.HostSpec{Name: "node3"})
	inv := writeInventory(t, l)
	l.Host("node3").Disconnect()
	pb := writePlaybook(t, `
play "p" {
  hosts = "all"
  task "hostname" {
    command { argv = ["hostname"] }
  }
  task "only on node2" {
    when = host.name == "node2"
    command { argv = ["hostname"] }
  }
  task "fails on node10" {
    assert { that = [host.name != "node10"] }
  }
  task "ignored on node1" {
    assert { that = [host.name != "node1"] }
    ignore_errors = true
  }
}`)
	r := winplay(t, labEnv, "run", pb, "-i", inv)
	require.Equal(t, runner.ExitFailed, r.code, r.out+r.err)
	assert.Equal(t, []string{
		"node1                      : ok=3 changed=1 unreachable=0 failed=0 skipped=1 ignored=1",
		"node10                     : ok=1 changed=1 unreachable=0 failed=1 skipped=1 ignored=0",
		"node2                      : ok=4 changed=2 unreachable=0 failed=0 skipped=0 ignored=0",
		"node3                      : ok=0 changed=0 unreachable=1 failed=0 skipped=0 ignored=0",
	}, recapLines(t, r.out))

	// JSON lists the recap's hosts in the same order.
	r = winplay(t, labEnv, "run", pb, "-i", inv, "--output", "json")
	last := strings.Split(strings.TrimSpace(r.out), "\n")
	var recap struct {
		Event string   `json:"event"`
		Hosts []string `json:"hosts"`
	}
	require.NoError(t, json.Unmarshal([]byte(last[len(last)-1]), &recap))
	assert.Equal(t, "recap", recap.Event)
	assert.Equal(t, []string{"node1", "node10", "node2", "node3"}, recap.Hosts)
}

// TestStepAsksOnStderr: --step's questions do not land between the JSON
// lines on stdout; the answers come from stdin.
func TestStepAsksOnStderr(t *testing.T) {
	t.Parallel()
	var tasks strings.Builder
	for _, name := range []string{"a", "b", "c", "d"} {
		fmt.Fprintf(&tasks, "  task %q {\n    command { argv = [\"hostname\"] }\n  }\n", name)
	}
	pb := writePlaybook(t, "play \"p\" {\n  hosts = \"cluster\"\n"+tasks.String()+"}\n")
	r := winplayIn(t, nil, "n\nmaybe\ny\nc\n", "run", pb, "--lab", "--step", "--output", "json")
	require.Equal(t, runner.ExitOK, r.code, r.out+r.err)
	results := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(r.out), "\n") {
		var ev map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &ev), "stdout is not JSON lines: %q", line)
		if ev["event"] == "task_result" {
			results[fmt.Sprint(ev["task"])]++
		}
	}
	assert.NotContains(t, r.out, "Perform task")
	assert.Equal(t, 1, strings.Count(r.err, "Perform task: TASK [a]"), r.err)
	assert.Equal(t, 2, strings.Count(r.err, "Perform task: TASK [b]"), "an unknown answer asks again:\n%s", r.err)
	assert.Equal(t, 1, strings.Count(r.err, "Perform task: TASK [c]"), r.err)
	assert.NotContains(t, r.err, "TASK [d]", "continue asks no more")
	assert.Equal(t, map[string]int{"b": 2, "c": 2, "d": 2}, results)
}

func TestDiffShowsBeforeAndAfter(t *testing.T) {
	t.Parallel()
	r := winplay(t, nil, "run", "../../playbooks/cluster-service-cycle.hcl", "--lab", "--check", "--diff")
	require.Equal(t, runner.ExitOK, r.code, r.out+r.err)
	_, first, ok := strings.Cut(r.out, "TASK [stop the cluster service and set it to manual]")
	require.True(t, ok, r.out)
	first, _, _ = strings.Cut(first, "TASK [")
	assert.Contains(t, first, "STOPPED (", "the result line comes first")
	assert.Contains(t, first, ")\n--- before\n+++ after\n-start_mode: auto\n-state: RUNNING\n+start_mode: manual\n+state: STOPPED\n\n")

	// Without --diff, no before and after.
	r = winplay(t, nil, "run", "../../playbooks/cluster-service-cycle.hcl", "--lab", "--check")
	require.Equal(t, runner.ExitOK, r.code, r.out+r.err)
	assert.NotContains(t, r.out, "--- before")

	// JSON events carry it as before and after.
	r = winplay(t, nil, "run", "../../playbooks/cluster-service-cycle.hcl", "--lab", "--check", "--diff", "--output", "json")
	require.Equal(t, runner.ExitOK, r.code, r.err)
	assert.Contains(t, r.out, `"diff":{"before":"start_mode: auto\nstate: RUNNING\n","after":"start_mode: manual\nstate: STOPPED\n"}`)
}

// docArguments returns the lines after "Arguments:" in winplay doc's output.
func docArguments(t *testing.T, out string) []string {
	t.Helper()
	_, args, ok := strings.Cut(out, "\nArguments:\n")
	require.True(t, ok, "no Arguments in:\n%s", out)
	return strings.Split(strings.TrimSuffix(args, "\n"), "\n")
}

func TestDocShowsEachArgumentsDescription(t *testing.T) {
	t.Parallel()
	r := winplay(t, nil, "doc", "service")
	require.Equal(t, runner.ExitOK, r.code, r.out+r.err)
	assert.True(t, strings.HasPrefix(r.out, "service: Start, stop or restart a Windows service"), r.out)
	words := strings.Join(strings.Fields(r.out), " ")
	assert.Contains(t, words, "service brings a Windows service to a state and a start mode", "the type's doc comment")
	assert.Contains(t, words, "start_mode string optional start_mode is auto, manual, disabled or delayed; empty leaves it alone.")
	assert.Contains(t, words, "force_dependents bool optional force_dependents stops the services that depend on this one first (net stop /y)")

	// Descriptions start in one column, wrapped lines hang under it, and
	// nothing passes 78 columns.
	head := regexp.MustCompile(`^  \S+ +\S+ +(required|optional)  `)
	col := 0
	for _, line := range docArguments(t, r.out) {
		assert.LessOrEqual(t, len(line), 78, line)
		if m := head.FindString(line); m != "" {
			if col == 0 {
				col = len(m)
			}
			assert.Len(t, m, col, "description column of %q", line)
			continue
		}
		require.NotZero(t, col, "a continuation line before any argument: %q", line)
		require.Greater(t, len(line), col, "an empty continuation line: %q", line)
		assert.Equal(t, strings.Repeat(" ", col), line[:col], "hanging indent of %q", line)
		assert.NotEqual(t, ' ', line[col], "hanging indent of %q", line)
	}
	assert.NotZero(t, col)

	r = winplay(t, nil, "doc", "registry")
	require.Equal(t, runner.ExitOK, r.code, r.out+r.err)
	assert.Contains(t, strings.Join(strings.Fields(r.out), " "), "data_list list(string) optional data_list is a REG_MULTI_SZ value's strings.")

	r = winplay(t, nil, "doc", "regedit")
	assert.Equal(t, runner.ExitInvalid, r.code)
	assert.Contains(t, r.err, `no module named "regedit"; modules: assert,`)
}

// Every subcommand prints a parse error with its usage and, when a flag is
// within two edits, a "did you mean"; none exits silently.
func TestEveryUnknownFlagIsPrintedWithUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args    []string
		usage   string
		suggest string
	}{
		{[]string{"run", "--chek", "x.hcl"}, "winplay run PLAYBOOK", "Did you mean --check?"},
		{[]string{"run", "x.hcl", "--lab", "--forks"}, "winplay run PLAYBOOK", ""},
		{[]string{"run", "x.hcl", "--list-task"}, "winplay run PLAYBOOK", "Did you mean --list-tags or --list-tasks?"},
		{[]string{"validate", "--bogus"}, "winplay validate PLAYBOOK", ""},
		{[]string{"validate", "x.hcl", "--inventroy", "x"}, "winplay validate PLAYBOOK", "Did you mean --inventory?"},
		{[]string{"hosts", "--graphh"}, "winplay hosts -i INVENTORY", "Did you mean --graph?"},
		{[]string{"fmt", "-dif"}, "winplay fmt [flags] [TARGET...]", "Did you mean --diff?"},
		{[]string{"fmt", "--recursiv"}, "winplay fmt [flags] [TARGET...]", "Did you mean --recursive?"},
		{[]string{"doc", "--bogus"}, "winplay doc [MODULE | inventory]", ""},
		{[]string{"lab", "--nope"}, "winplay lab [flags]", ""},
		{[]string{"lab", "--hots", "a"}, "winplay lab [flags]", "Did you mean --hosts or --https or --os?"},
		{[]string{"inventory", "convert", "--outptu", "x"}, "winplay inventory convert INVENTORY", "Did you mean --output?"},
		{[]string{"report", "j.jsonl", "--ouput", "x"}, "winplay report JOURNAL", "Did you mean --output?"},
		{[]string{"completion", "bash", "--bogus"}, "winplay completion bash", ""},
		{[]string{"help", "--bogus"}, "winplay help [COMMAND]", ""},
		{[]string{"--verison"}, "winplay COMMAND", "Did you mean --version?"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := winplay(t, nil, tc.args...)
			assert.Equal(t, runner.ExitInvalid, r.code)
			assert.Empty(t, r.out, "errors go to stderr")
			assert.Regexp(t, `^winplay[a-z ]*: (unknown (shorthand )?flag|flag needs an argument)`, r.err)
			assert.Contains(t, r.err, "\nUsage:\n  "+tc.usage)
			assert.Contains(t, r.err, "\nFlags:\n")
			if tc.suggest != "" {
				assert.Contains(t, r.err, tc.suggest)
			} else {
				assert.NotContains(t, r.err, "Did you mean")
			}
		})
	}
}

// A mistyped command or help topic is an error with a "did you mean".
func TestUnknownCommandSuggests(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"valdate", "x.hcl"}, {"help", "valdate"}, {"inventory", "convrt", "x"}} {
		r := winplay(t, nil, args...)
		assert.Equal(t, runner.ExitInvalid, r.code, args)
		assert.Contains(t, r.err, "unknown ", args)
		assert.Regexp(t, `Did you mean this\?\n\t(validate|convert)`, r.err, args)
		assert.Contains(t, r.err, "Usage:", args)
	}
	r := winplay(t, nil)
	assert.Equal(t, runner.ExitInvalid, r.code)
	assert.Contains(t, r.err, "winplay: a command is required")
	assert.Contains(t, r.err, "Commands:\n")
}

// --help is not an error: description, usage, arguments and examples on
// stdout, exit 0, for every command; winplay help COMMAND is the same.
func TestEveryHelpFlagPrintsUsage(t *testing.T) {
	t.Parallel()
	for _, cmd := range [][]string{
		{"run"}, {"validate"}, {"hosts"}, {"fmt"}, {"doc"}, {"lab"}, {"report"},
		{"inventory"}, {"inventory", "convert"}, {"completion"}, {"help"},
	} {
		name := strings.Join(cmd, " ")
		r := winplay(t, nil, append(cmd, "--help")...)
		assert.Equal(t, runner.ExitOK, r.code, name)
		assert.Contains(t, r.out, "\nUsage:\n  winplay "+name, name)
		assert.Contains(t, r.out, "\nFlags:\n", name)
		if name != "inventory" && name != "completion" {
			assert.Contains(t, r.out, "\nExamples:\n", name)
		}
		if !slices.Contains([]string{"lab", "inventory", "completion"}, name) {
			assert.Contains(t, r.out, "\nArguments:\n", "%s: each positional argument is described", name)
		}
		assert.False(t, strings.HasPrefix(r.out, "Usage:"), "%s: --help starts with the description", name)
		h := winplay(t, nil, append([]string{"help"}, cmd...)...)
		assert.Equal(t, runner.ExitOK, h.code, "help "+name)
		assert.Equal(t, r.out, h.out, "help "+name)
	}
	r := winplay(t, nil, "doc", "--help")
	assert.Contains(t, r.out, "MODULE   a module's name", "doc --help is not a module named --help")
}

func TestVersionFormat(t *testing.T) {
	t.Parallel()
	r := winplay(t, nil, "--version")
	require.Equal(t, runner.ExitOK, r.code, r.err)
	assert.Regexp(t, `^winplay \S+, commit .*, go1\.\d+`, r.out)

	info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.3.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "a77b84fcafe"}, {Key: "vcs.time", Value: "2026-11-30T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	assert.Regexp(t, `^winplay v0\.3\.0, commit a77b84fcafe\+dirty \(2026-11-30T10:00:00Z\), go1\.26\.8 `, formatVersion(info, ""))
	assert.Regexp(t, `^winplay v1\.0\.0, `, formatVersion(info, "v1.0.0"), "a version set at link time wins")
	assert.Contains(t, formatVersion(&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, ""), "winplay devel, commit unknown (built without version control information)")
}

// A sensitive variable can come from WINPLAY_VAR_name, so that it is on
// no command line; given with -e it works, with a warning that says why
// not to.
func TestSensitiveVariablesComeFromTheEnvironment(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := writeInventory(t, l)
	pb := writePlaybook(t, pwPlaybook)
	const secret = "Hunter2Secret"
	env := map[string]string{labPasswordEnv: lab.DefaultPassword, runner.VarEnvPrefix + "pw": secret}
	r := winplay(t, env, "run", pb, "-i", inv, "-vv")
	require.Equal(t, runner.ExitOK, r.code, r.out+r.err)
	assert.NotContains(t, r.out+r.err, secret)
	assert.Contains(t, r.out, "hostname "+runner.Mask)
	assert.NotContains(t, r.err, "Sensitive value on the command line")

	r = winplay(t, labEnv, "run", pb, "-i", inv, "-e", "pw="+secret)
	require.Equal(t, runner.ExitOK, r.code, r.out+r.err)
	assert.Contains(t, r.err, "Sensitive value on the command line")
	assert.Contains(t, r.err, runner.VarEnvPrefix+"pw")
	assert.NotContains(t, r.out+r.err, secret)

	r = winplay(t, labEnv, "run", pb, "-i", inv)
	assert.Equal(t, runner.ExitInvalid, r.code, "no value and no terminal to ask on")
	assert.Contains(t, r.err, runner.VarEnvPrefix+"pw")
}

// --journal /dev/full: the run stops before changing anything, and exits
// non-zero saying why.
func TestAJournalThatCannotBeWrittenStopsTheCLI(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	r := winplay(t, labEnv, "run", "../../playbooks/cluster-service-cycle.hcl", "-i", writeInventory(t, l), "--journal", "/dev/full")
	assert.Equal(t, runner.ExitError, r.code, r.out+r.err)
	assert.Contains(t, r.err, "the journal could not be written")
	assert.Contains(t, r.err, "no space left on device")
	for _, h := range l.Hosts() {
		assert.Empty(t, labtest.ChangesOf(h), h.Name())
	}
}
