package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/runner"
)

var builds sync.Map // source directory → *build

type build struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// buildWinplay builds the winplay binary from the module at root, with
// version control information, once per test run.
func buildWinplay(t *testing.T, root string) string {
	t.Helper()
	v, _ := builds.LoadOrStore(root, &build{})
	b := v.(*build)
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "winplay-bin-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "winplay")
		cmd := exec.Command("go", "build", "-buildvcs=true", "-o", b.path, "./cmd/winplay")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOFLAGS=")
		b.out, b.err = cmd.CombinedOutput()
	})
	require.NoError(t, b.err, "%s", b.out)
	return b.path
}

// repoRoot is the module's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	return root
}

// TestVersionNamesTheCommitItWasBuiltFrom builds winplay as a user does,
// in a git checkout, and holds --version to the checkout's commit. Go
// records version control information only in a checkout whose .git is a
// directory, so a git worktree (whose .git is a file) is first cloned.
func TestVersionNamesTheCommitItWasBuiltFrom(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	git := requireProgram(t, "git", "git")
	head, err := exec.Command(git, "-C", root, "rev-parse", "HEAD").Output()
	require.NoError(t, err)
	commit := strings.TrimSpace(string(head))
	if fi, err := os.Stat(filepath.Join(root, ".git")); err != nil || !fi.IsDir() {
		clone := filepath.Join(t.TempDir(), "winplay")
		out, err := exec.Command(git, "clone", "--quiet", "--shared", "--no-checkout", root, clone).CombinedOutput()
		require.NoError(t, err, "%s", out)
		out, err = exec.Command(git, "-C", clone, "checkout", "--quiet", commit).CombinedOutput()
		require.NoError(t, err, "%s", out)
		root = clone
	}
	out, err := exec.Command(buildWinplay(t, root), "--version").Output()
	require.NoError(t, err)
	assert.Regexp(t, `^winplay \S+, commit `+commit+`(\+dirty)? \(\d{4}-\d\d-\d\dT[0-9:]+Z\), go1\.`, string(out))
}

// TestCtrlCStopsAtOnceEvenDuringARealReboot: with --lab-speed real a
// rebooting host is away for 45 s. The first Ctrl-C stops the run within
// a second or two with the recap and exit 99; the second quits at once.
func TestCtrlCStopsAtOnceEvenDuringARealReboot(t *testing.T) {
	t.Parallel()
	bin := buildWinplay(t, repoRoot(t))
	pb := writePlaybook(t, rebootNode2)
	start := func() (*exec.Cmd, *syncBuffer) {
		var out syncBuffer
		cmd := exec.Command(bin, "run", pb, "--lab", "--lab-speed", "real")
		cmd.Stdout, cmd.Stderr = &out, &out
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		require.Eventually(t, func() bool { return strings.Contains(out.String(), "waiting for it to go down and come back") },
			time.Minute, 20*time.Millisecond, "the reboot never started:\n%s", out.String())
		return cmd, &out
	}
	exitCode := func(cmd *exec.Cmd, within time.Duration) (int, bool) {
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if ee, ok := err.(*exec.ExitError); ok {
				return ee.ExitCode(), true
			}
			return 0, err == nil
		case <-time.After(within):
			return 0, false
		}
	}

	cmd, out := start()
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	code, exited := exitCode(cmd, 10*time.Second) // generous for a loaded machine; it takes about one
	require.True(t, exited, "winplay did not stop after Ctrl-C:\n%s", out.String())
	assert.Equal(t, runner.ExitInterrupted, code, out.String())
	assert.Contains(t, out.String(), "interrupted; stopping (press Ctrl-C again to quit at once)")
	assert.Contains(t, out.String(), "PLAY RECAP")

}

// The second Ctrl-C quits at once, whatever the run is still doing.
func TestSecondInterruptQuits(t *testing.T) {
	t.Parallel()
	interrupts := make(chan os.Signal, 2)
	cancelled := make(chan struct{})
	exited := make(chan int, 1)
	var stderr syncBuffer
	go stopOnInterrupt(interrupts, func() { close(cancelled) }, &stderr, func(code int) { exited <- code })
	interrupts <- syscall.SIGINT
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("the first Ctrl-C did not stop the run")
	}
	assert.Empty(t, exited, "the first Ctrl-C lets the run print its recap")
	interrupts <- syscall.SIGINT
	select {
	case code := <-exited:
		assert.Equal(t, runner.ExitInterrupted, code)
	case <-time.After(10 * time.Second):
		t.Fatal("the second Ctrl-C did not quit")
	}
	assert.Contains(t, stderr.String(), "interrupted again; quitting without waiting")
}
