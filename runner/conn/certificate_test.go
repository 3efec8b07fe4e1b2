package conn_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/modules"
)

func TestClientCertificateLogsOn(t *testing.T) {
	l := labtest.StartConfig(t, lab.Config{Hosts: []lab.HostSpec{{Name: "node1"}}, HTTPS: true, ClientCertificates: true})
	cfg := hostConfig(t, l, "node1")
	require.Equal(t, "certificate", cfg.Transport)
	assert.Equal(t, "node1\\lab\r\n", strings.ToLower(run(t, open(t, cfg), "whoami").Stdout))

	// Another CA's certificate for the same user maps to nobody.
	other := labtest.StartConfig(t, lab.Config{Hosts: []lab.HostSpec{{Name: "node9"}}, HTTPS: true, ClientCertificates: true})
	cert, key := other.ClientCertificate()
	dir := t.TempDir()
	cfg.CertFile, cfg.KeyFile = filepath.Join(dir, "c.pem"), filepath.Join(dir, "c.key")
	require.NoError(t, os.WriteFile(cfg.CertFile, cert, 0o600))
	require.NoError(t, os.WriteFile(cfg.KeyFile, key, 0o600))
	_, err := open(t, cfg).Run(ctxFor(t, 10*time.Second), modules.Command{Line: "whoami"})
	assert.ErrorIs(t, err, modules.ErrUnreachable)
	assert.ErrorContains(t, err, "maps no account to the client certificate "+cfg.CertFile)
}
