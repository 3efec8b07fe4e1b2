package lab_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
)

// TestAnsibleAgainstLabHosts runs Ansible's raw module over its winrm
// connection against two full lab hosts (simulated Windows, not a test
// double): Ansible reads a service and stops one, and the lab's state shows
// it. lab/wsman's tests prove the wire protocol against pywinrm and
// Ansible in detail; this proves the simulated machine behind it too.
func TestAnsibleAgainstLabHosts(t *testing.T) {
	ansible, err := exec.LookPath("ansible")
	if err != nil {
		// In CI a missing client fails the run; with only Go installed
		// the README's test command still passes, skipping loudly.
		if os.Getenv("CI") == "" && os.Getenv("WINPLAY_REQUIRE_REAL_CLIENTS") == "" {
			t.Skip("SKIPPING REAL-CLIENT TEST: ansible is not installed; the lab is NOT proven against it here (apt-get install ansible python3-winrm)")
		}
		t.Fatalf("ansible is not installed (apt-get install ansible python3-winrm): %v", err)
	}
	t.Parallel()
	l := labtest.StartConfig(t, lab.Config{NTLM: true})
	dir := t.TempDir()
	var inv strings.Builder
	inv.WriteString("[cluster]\n")
	for _, h := range l.Hosts() {
		fmt.Fprintf(&inv, "%s ansible_host=%s ansible_port=%d ansible_connection=winrm ansible_winrm_scheme=http "+
			"ansible_user=%s ansible_password=%s ansible_winrm_transport=ntlm ansible_winrm_operation_timeout_sec=20 "+
			"ansible_winrm_read_timeout_sec=30\n", h.Name(), h.Address(), h.Port(), lab.DefaultUser, lab.DefaultPassword)
	}
	invPath := filepath.Join(dir, "inventory.ini")
	require.NoError(t, os.WriteFile(invPath, []byte(inv.String()), 0o600))
	cfgPath := filepath.Join(dir, "ansible.cfg")
	require.NoError(t, os.WriteFile(cfgPath, []byte("[defaults]\n"), 0o600))
	// OpenSSL 3 keeps MD4, which NTLM needs, in the legacy provider.
	sslConf := filepath.Join(dir, "openssl.cnf")
	require.NoError(t, os.WriteFile(sslConf, []byte("openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n"+
		"[provider_sect]\ndefault = default_sect\nlegacy = legacy_sect\n[default_sect]\nactivate = 1\n[legacy_sect]\nactivate = 1\n"), 0o600))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ansible, "-i", invPath, "cluster", "-m", "raw", "-a", "net stop Spooler; sc.exe query Spooler", "--forks", "2")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "ANSIBLE_CONFIG="+cfgPath, "ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, "tmp"),
		"ANSIBLE_NOCOLOR=1", "ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3", "ANSIBLE_DEPRECATION_WARNINGS=False",
		"OPENSSL_CONF="+sslConf, "NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1", "REQUESTS_CA_BUNDLE=", "CURL_CA_BUNDLE=")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "ansible failed:\n%s", out)
	for _, h := range l.Hosts() {
		assert.Regexp(t, h.Name()+` \| CHANGED \| rc=0 >>`, string(out))
		assert.Equal(t, "stopped", h.Dump().Services["Spooler"].State, h.Name())
		assert.NotEmpty(t, labtest.ChangesOf(h), "the lab did not log net stop as a change")
	}
	assert.Contains(t, string(out), "service was stopped successfully.")
	assert.Contains(t, string(out), "STATE              : 1  STOPPED")
}
