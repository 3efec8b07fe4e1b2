package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/winplay/winplay/lab/wsman"
)

// clientCertificates is a lab's certificate logon: the CA the hosts'
// mapping trusts and the user's certificate, kept in files for clients.
type clientCertificates struct {
	mapping           wsman.CertMapping
	certPEM, keyPEM   []byte
	dir               string
	certFile, keyFile string
}

func newClientCertificates(cfg Config) (*clientCertificates, error) {
	if !cfg.ClientCertificates {
		return nil, nil
	}
	if !cfg.HTTPS {
		return nil, errors.New("lab: client certificates need HTTPS: they are presented in the TLS handshake")
	}
	issuer, key, err := wsman.NewIssuer("winplay lab client CA")
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	c := &clientCertificates{mapping: wsman.CertMapping{Issuer: issuer, Subject: cfg.User + "@localhost", User: cfg.User}}
	if c.certPEM, c.keyPEM, err = wsman.ClientCertificate(cfg.User, issuer, key); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	if c.dir, err = os.MkdirTemp("", "winplay-lab-client-"); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	c.certFile, c.keyFile = filepath.Join(c.dir, "client.pem"), filepath.Join(c.dir, "client.key")
	if err := os.WriteFile(c.certFile, c.certPEM, 0o600); err != nil {
		c.remove()
		return nil, fmt.Errorf("lab: %w", err)
	}
	if err := os.WriteFile(c.keyFile, c.keyPEM, 0o600); err != nil {
		c.remove()
		return nil, fmt.Errorf("lab: %w", err)
	}
	return c, nil
}

func (c *clientCertificates) mappings() []wsman.CertMapping {
	if c == nil {
		return nil
	}
	return []wsman.CertMapping{c.mapping}
}

func (c *clientCertificates) remove() {
	if c != nil && c.dir != "" {
		os.RemoveAll(c.dir)
	}
}

// ClientCertificate returns the lab user's client certificate and its
// private key (PEM), nil without ClientCertificates.
func (l *Lab) ClientCertificate() (certPEM, keyPEM []byte) {
	if l.client == nil {
		return nil, nil
	}
	return l.client.certPEM, l.client.keyPEM
}
