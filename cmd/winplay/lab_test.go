package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/runner"
)

// startServedLab runs `winplay lab args...` until the test ends and returns its
// stdout once every host's line is printed, and its stderr.
func startServedLab(t *testing.T, hosts int, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() { done <- Main(ctx, append([]string{"lab"}, args...), Stdio{Out: &out, Err: &errb}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, runner.ExitOK, code, errb.String())
		case <-time.After(10 * time.Second):
			t.Error("winplay lab did not stop when interrupted")
		}
	})
	require.Eventually(t, func() bool {
		return strings.Count(out.String(), "\n") == hosts && strings.Contains(errb.String(), "serving")
	},
		10*time.Second, 10*time.Millisecond, errb.String())
	return out.String(), &errb
}

// TestLabCommandClusterOfAnyNames serves hosts that are not called
// node1/node2 over HTTPS on 127.0.0.7 and cycles the cluster service on
// the cluster's nodes with the written inventory: the certificate verifies
// for that address, and the first two hosts are the cluster.
func TestLabCommandClusterOfAnyNames(t *testing.T) {
	t.Parallel()
	inv := filepath.Join(t.TempDir(), "inv7.hcl")
	out, errb := startServedLab(t, 3, "--hosts", "web-a,web-b,file1", "--addr", "127.0.0.7:0", "--https", "--inventory-out", inv)
	assert.Regexp(t, `^web-a https://127\.0\.0\.7:\d+/wsman\n`, out)
	assert.Contains(t, errb.String(), "cluster nodes: web-a, web-b\n")

	r := winplay(t, labEnv, "run", "../../playbooks/cluster-service-cycle.hcl", "-i", inv, "-e", "nodes=cluster:!file1")
	require.Equal(t, runner.ExitOK, r.code, r.out+r.err)
	assert.Regexp(t, `web-a +: ok=4 changed=2 unreachable=0 failed=0 skipped=0`, r.out)
	assert.Regexp(t, `web-b +: ok=4 changed=2 unreachable=0 failed=0 skipped=0`, r.out)
}

func TestLabCommandClusterFlag(t *testing.T) {
	t.Parallel()
	_, errb := startServedLab(t, 3, "--hosts", "dc1,sql1,sql2", "--cluster", "sql2,sql1", "--addr", "127.0.0.1:0")
	assert.Contains(t, errb.String(), "cluster nodes: sql2, sql1\n")

	for _, bad := range [][]string{
		{"lab", "--hosts", "a,b", "--cluster", "a,c"},
		{"lab", "--hosts", "a,b", "--cluster", "a"},
	} {
		r := winplay(t, nil, bad...)
		assert.Equal(t, runner.ExitInvalid, r.code, bad)
		assert.Contains(t, r.err, "cluster", bad)
	}
}

// winplay lab --os/--lang choose each host's Windows and language, and
// winplay run --lab-os/--lab-lang do the same for a rehearsal.
func TestLabOSAndLanguageFlags(t *testing.T) {
	t.Parallel()
	_, errb := startServedLab(t, 2, "--os", "2022", "--lang", "node2=de-DE", "--addr", "127.0.0.1:0")
	assert.Contains(t, errb.String(), "windows: node1 2022 en-US, node2 2022 de-DE\n")

	r := winplay(t, nil, "run", "../../playbooks/cluster-service-cycle.hcl", "--lab", "--lab-os", "2025", "--lab-lang", "ru-RU", "-v")
	require.Equal(t, runner.ExitOK, r.code, r.out+r.err)
	assert.Contains(t, r.out, "facts: Windows Server 2025 Standard (version 10.0.26100), ru-RU")

	for _, bad := range [][]string{
		{"lab", "--os", "xp"},
		{"lab", "--lang", "fr-FR"},
		{"lab", "--os", "node9=2022"},
	} {
		r := winplay(t, nil, bad...)
		assert.Equal(t, runner.ExitInvalid, r.code, bad)
	}
}
