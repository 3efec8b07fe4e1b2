package wsman

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClientCertificateCarriesTheUPNAndMaps(t *testing.T) {
	issuer, key, err := NewIssuer("test CA")
	require.NoError(t, err)
	certPEM, _, err := ClientCertificate("lab", issuer, key)
	require.NoError(t, err)
	b, _ := pem.Decode(certPEM)
	require.NotNil(t, b)
	c, err := x509.ParseCertificate(b.Bytes)
	require.NoError(t, err)
	upn, ok := userPrincipalName(c)
	require.True(t, ok)
	assert.Equal(t, "lab@localhost", upn)

	s := New(Config{Users: map[string]string{"lab": "x"}, CertMappings: []CertMapping{{Issuer: issuer, Subject: "lab@localhost", User: "lab"}}})
	user, ok := s.certificateLogon([]*x509.Certificate{c})
	assert.True(t, ok)
	assert.Equal(t, "lab", user)

	other, okey, err := NewIssuer("other CA")
	require.NoError(t, err)
	otherPEM, _, err := ClientCertificate("lab", other, okey)
	require.NoError(t, err)
	b, _ = pem.Decode(otherPEM)
	oc, err := x509.ParseCertificate(b.Bytes)
	require.NoError(t, err)
	_, ok = s.certificateLogon([]*x509.Certificate{oc})
	assert.False(t, ok, "another issuer's certificate maps to nobody")

	for pattern, want := range map[string]bool{"*": true, "lab@*": true, "*@localhost": true, "LAB@LOCALHOST": true, "admin@localhost": false, "*@corp": false} {
		assert.Equal(t, want, subjectMatches(pattern, "lab@localhost"), pattern)
	}
}

// A certificate made with OpenSSL as the Windows guides show
// (testdata/inventory/client.pem: otherName UPN svc-winplay@localhost)
// reads the same.
func TestUPNOfAnOpenSSLCertificate(t *testing.T) {
	data, err := os.ReadFile("../../testdata/inventory/client.pem")
	require.NoError(t, err)
	b, _ := pem.Decode(data)
	require.NotNil(t, b)
	c, err := x509.ParseCertificate(b.Bytes)
	require.NoError(t, err)
	upn, ok := userPrincipalName(c)
	require.True(t, ok)
	assert.Equal(t, "svc-winplay@localhost", upn)
}
