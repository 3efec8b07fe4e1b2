package wsman

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // certificate thumbprints are SHA-1, as Windows shows them
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// MutualAuthorization is the Authorization header a WinRM client sends
// with a client certificate (MS-WSMV's https/mutual security profile);
// pywinrm and masterzen send exactly this.
const MutualAuthorization = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"

// CertMapping maps client certificates to a local account, as a Windows
// host's winrm/config/service/certmapping entries do (MS-WSMV 2.2.4.3):
// certificates the Issuer signed whose user principal name matches Subject
// log on as User.
type CertMapping struct {
	// Issuer is the CA that signed the client certificates; Windows
	// names it by its thumbprint and must trust it.
	Issuer *x509.Certificate
	// Subject is matched against the certificate's user principal name
	// (its subjectAltName otherName UPN): exact, or with one "*" first or
	// last.
	Subject string
	// User is the local account to log on as.
	User string
}

// Thumbprint returns a certificate's thumbprint as Windows writes it: the
// SHA-1 of its DER in upper-case hex.
func Thumbprint(c *x509.Certificate) string {
	sum := sha1.Sum(c.Raw) //nolint:gosec // what Windows calls the thumbprint
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// certificateLogon finds the account the client certificate maps to, or
// "" when none does. Like Windows it wants a certificate for client
// authentication, valid now, signed by a mapping's issuer, with a UPN that
// matches the mapping's subject.
func (s *Server) certificateLogon(chain []*x509.Certificate) (string, bool) {
	if len(chain) == 0 {
		return "", false
	}
	leaf := chain[0]
	now := time.Now()
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) || !hasClientAuth(leaf) {
		return "", false
	}
	upn, ok := userPrincipalName(leaf)
	if !ok {
		return "", false
	}
	for _, m := range s.cfg.CertMappings {
		if m.Issuer == nil || leaf.CheckSignatureFrom(m.Issuer) != nil || !subjectMatches(m.Subject, upn) {
			continue
		}
		if acct, found := s.lookup(m.User); found {
			return acct.name, true
		}
	}
	return "", false
}

func hasClientAuth(c *x509.Certificate) bool {
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageClientAuth {
			return true
		}
	}
	return false
}

// subjectMatches applies a certmapping Subject pattern: one "*", first or
// last, matches any run of characters.
func subjectMatches(pattern, upn string) bool {
	switch {
	case pattern == "*":
		return true
	case strings.HasPrefix(pattern, "*"):
		return strings.HasSuffix(strings.ToLower(upn), strings.ToLower(pattern[1:]))
	case strings.HasSuffix(pattern, "*"):
		return strings.HasPrefix(strings.ToLower(upn), strings.ToLower(pattern[:len(pattern)-1]))
	}
	return strings.EqualFold(pattern, upn)
}

var (
	oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}
	// oidUPN is Microsoft's user principal name otherName.
	oidUPN = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3}
)

// userPrincipalName reads the UPN otherName of a certificate's
// subjectAltName, which crypto/x509 does not parse.
func userPrincipalName(c *x509.Certificate) (string, bool) {
	for _, ext := range c.Extensions {
		if !ext.Id.Equal(oidSubjectAltName) {
			continue
		}
		var names []asn1.RawValue
		if _, err := asn1.Unmarshal(ext.Value, &names); err != nil {
			return "", false
		}
		for _, n := range names {
			if n.Class != asn1.ClassContextSpecific || n.Tag != 0 {
				continue
			}
			var other struct {
				ID    asn1.ObjectIdentifier
				Value asn1.RawValue `asn1:"explicit,tag:0"`
			}
			if _, err := asn1.UnmarshalWithParams(n.FullBytes, &other, "tag:0"); err != nil || !other.ID.Equal(oidUPN) {
				continue
			}
			var upn string
			// With explicit, RawValue keeps the [0] wrapper; the string is
			// inside it.
			if _, err := asn1.UnmarshalWithParams(other.Value.Bytes, &upn, "utf8"); err != nil {
				continue
			}
			return upn, true
		}
	}
	return "", false
}

// ClientCertificate issues a client certificate for WinRM certificate
// logons, as the guides for Windows make them (Ansible's, Cloudbase's
// create-winrm-client-cert.sh): subject CN=user, extended key usage client
// authentication, and the UPN user@localhost in its subjectAltName. It is
// signed by issuer's key and returned as PEM with its key.
func ClientCertificate(user string, issuer *x509.Certificate, issuerKey any) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	upn, err := asn1.Marshal(struct {
		ID    asn1.ObjectIdentifier
		Value string `asn1:"explicit,tag:0,utf8"`
	}{oidUPN, user + "@localhost"})
	if err != nil {
		return nil, nil, err
	}
	upn[0] = 0xA0 // [0] IMPLICIT otherName in GeneralNames
	san, err := asn1.Marshal([]asn1.RawValue{{FullBytes: upn}})
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:    serial,
		Subject:         pkix.Name{CommonName: user},
		NotBefore:       now.Add(-time.Hour),
		NotAfter:        now.AddDate(10, 0, 0),
		KeyUsage:        x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		ExtraExtensions: []pkix.Extension{{Id: oidSubjectAltName, Value: san}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, &key.PublicKey, issuerKey)
	if err != nil {
		return nil, nil, fmt.Errorf("client certificate for %s: %w", user, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// NewIssuer makes a CA that signs client certificates.
func NewIssuer(name string) (*x509.Certificate, any, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"winplay lab"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	c, err := x509.ParseCertificate(der)
	return c, key, err
}
