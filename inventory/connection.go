package inventory

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Transports winplay's WinRM client speaks.
const (
	TransportBasic       = "basic"
	TransportNTLM        = "ntlm"
	TransportKerberos    = "kerberos"
	TransportCertificate = "certificate"
)

// Built-in connection defaults, the lowest level of precedence.
const (
	DefaultTransport        = TransportNTLM
	DefaultHTTPPort         = 5985
	DefaultHTTPSPort        = 5986
	DefaultConnectTimeout   = 10 * time.Second
	DefaultOperationTimeout = 60 * time.Second
)

var transports = []string{TransportBasic, TransportNTLM, TransportKerberos, TransportCertificate}

// Connection is how winplay reaches one host over WinRM: the effective
// settings after defaults, the file, the host's groups and the host itself
// have been merged.
//
// The password is kept out of every printed, logged or marshalled form of
// the value: it lives behind an unexported pointer, so %v, %+v, %#v and
// encoding/json never see it. Read it with Password.
type Connection struct {
	Transport string // TransportBasic, TransportNTLM, TransportKerberos or TransportCertificate
	HTTPS     bool
	Insecure  bool // skip TLS certificate verification
	// AllowUnencrypted permits Basic over plain HTTP, which sends the
	// password and every command in clear text; Windows refuses it too
	// unless its WinRM service sets AllowUnencrypted.
	AllowUnencrypted bool
	Port             int
	User             string
	PasswordEnv      string // environment variable the password came from, if any
	CAFile           string // absolute path of the CA bundle, if any
	CAPEM            []byte // contents of CAFile, or a CA bundle set in code
	ConnectTimeout   time.Duration
	OperationTimeout time.Duration

	// Kerberos: SPN is the host's service principal (default HTTP/ and
	// the address); Keytab (an absolute path) or TicketCache log on
	// without a password.
	SPN         string
	Keytab      string
	TicketCache bool
	// Krb5Conf (an absolute path) names the realm's KDCs; empty means
	// $KRB5_CONFIG, else /etc/krb5.conf.
	Krb5Conf string
	// CertFile and KeyFile (absolute paths) are the client certificate
	// and its private key of transport certificate.
	CertFile, KeyFile string

	password *secret
}

// NeedsPassword reports whether logging on takes a password: not from a
// keytab, a ticket cache or a client certificate.
func (c Connection) NeedsPassword() bool {
	switch {
	case c.Transport == TransportCertificate:
		return false
	case c.Transport == TransportKerberos && (c.Keytab != "" || c.TicketCache):
		return false
	}
	return true
}

// Password returns the password used to log on, or "" when none is set.
func (c Connection) Password() string {
	if c.password == nil {
		return ""
	}
	return c.password.value
}

// HasPassword reports whether a password is set, for output that must say
// so without showing it.
func (c Connection) HasPassword() bool {
	return c.password != nil
}

// SetPassword sets the password used to log on. Code that builds an
// inventory without a file (the lab) sets it here; Load sets it from the
// environment or a prompt.
func (c *Connection) SetPassword(password string) {
	c.password = &secret{value: password}
}

// Scheme returns "https" or "http".
func (c Connection) Scheme() string {
	if c.HTTPS {
		return "https"
	}
	return "http"
}

// String describes the connection for people, without the password.
func (c Connection) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s over %s port %d", c.Transport, c.Scheme(), c.Port)
	if c.User != "" {
		fmt.Fprintf(&b, " as %s", c.User)
	}
	switch {
	case c.Transport == TransportCertificate:
		fmt.Fprintf(&b, ", certificate %s", c.CertFile)
	case c.Transport == TransportKerberos && c.Keytab != "":
		fmt.Fprintf(&b, ", keytab %s", c.Keytab)
	case c.Transport == TransportKerberos && c.TicketCache:
		b.WriteString(", ticket cache")
	case c.PasswordEnv != "":
		fmt.Fprintf(&b, ", password from $%s", c.PasswordEnv)
	case c.HasPassword():
		b.WriteString(", password set")
	}
	if c.SPN != "" {
		fmt.Fprintf(&b, ", spn %s", c.SPN)
	}
	if c.AllowUnencrypted && !c.HTTPS && c.Transport == TransportBasic {
		b.WriteString(", unencrypted")
	}
	if c.Insecure {
		b.WriteString(", TLS verification off")
	} else if c.CAFile != "" {
		fmt.Fprintf(&b, ", CA %s", c.CAFile)
	}
	return b.String()
}

// connectionJSON is the stable machine form of a Connection. Durations are
// strings ("10s") so that people reading `winplay hosts --json` can too.
type connectionJSON struct {
	Transport        string `json:"transport"`
	HTTPS            bool   `json:"https"`
	Insecure         bool   `json:"insecure"`
	AllowUnencrypted bool   `json:"allow_unencrypted,omitempty"`
	Port             int    `json:"port"`
	User             string `json:"user"`
	PasswordEnv      string `json:"password_env,omitempty"`
	PasswordSet      bool   `json:"password_set"`
	CAFile           string `json:"ca_file,omitempty"`
	ConnectTimeout   string `json:"connect_timeout"`
	OperationTimeout string `json:"operation_timeout"`
	SPN              string `json:"spn,omitempty"`
	Keytab           string `json:"keytab,omitempty"`
	TicketCache      bool   `json:"ticket_cache,omitempty"`
	Krb5Conf         string `json:"krb5_conf,omitempty"`
	CertFile         string `json:"cert_file,omitempty"`
	KeyFile          string `json:"key_file,omitempty"`
}

// MarshalJSON encodes the connection without its password; password_set
// says whether one is known.
func (c Connection) MarshalJSON() ([]byte, error) {
	return json.Marshal(connectionJSON{
		Transport:        c.Transport,
		HTTPS:            c.HTTPS,
		Insecure:         c.Insecure,
		AllowUnencrypted: c.AllowUnencrypted,
		Port:             c.Port,
		User:             c.User,
		PasswordEnv:      c.PasswordEnv,
		PasswordSet:      c.HasPassword(),
		CAFile:           c.CAFile,
		ConnectTimeout:   formatDuration(c.ConnectTimeout),
		OperationTimeout: formatDuration(c.OperationTimeout),
		SPN:              c.SPN,
		Keytab:           c.Keytab,
		TicketCache:      c.TicketCache,
		Krb5Conf:         c.Krb5Conf,
		CertFile:         c.CertFile,
		KeyFile:          c.KeyFile,
	})
}

// defaultPort is the WinRM listener port Windows uses for the scheme.
func defaultPort(https bool) int {
	if https {
		return DefaultHTTPSPort
	}
	return DefaultHTTPPort
}

// formatDuration writes whole seconds as "60s" rather than Go's "1m0s",
// which is what people write in inventory files.
func formatDuration(d time.Duration) string {
	if d > 0 && d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

// secret holds a password. It is only ever reached through a pointer, which
// fmt prints as an address and encoding/json skips; its methods redact it
// should anyone format it directly.
type secret struct {
	value string
}

const redacted = "[REDACTED]"

func (s *secret) String() string   { return redacted }
func (s *secret) GoString() string { return redacted }

func (s *secret) Format(f fmt.State, _ rune) {
	_, _ = f.Write([]byte(redacted))
}

func (s *secret) MarshalJSON() ([]byte, error) {
	return json.Marshal(redacted)
}
