package conn

import (
	"time"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/runner"
)

// Connector opens WinRM connections to inventory hosts for the runner.
type Connector struct {
	// CommandsPerShell overrides the shell recycling interval; 0 keeps
	// the default.
	CommandsPerShell int
	// ConnectTimeout, when set, replaces every host's connect_timeout
	// (winplay run --connect-timeout).
	ConnectTimeout time.Duration
}

// Connect prepares a connection to h with its inventory settings.
func (c Connector) Connect(h *inventory.Host) (runner.Connection, error) {
	connectTimeout := h.Conn.ConnectTimeout
	if c.ConnectTimeout > 0 {
		connectTimeout = c.ConnectTimeout
	}
	return New(Config{
		Name:             h.Name,
		Address:          h.Address,
		Port:             h.Conn.Port,
		HTTPS:            h.Conn.HTTPS,
		Insecure:         h.Conn.Insecure,
		CAPEM:            h.Conn.CAPEM,
		Transport:        h.Conn.Transport,
		User:             h.Conn.User,
		Password:         h.Conn.Password(),
		SPN:              h.Conn.SPN,
		KeytabFile:       h.Conn.Keytab,
		TicketCache:      h.Conn.TicketCache,
		Krb5Conf:         h.Conn.Krb5Conf,
		CertFile:         h.Conn.CertFile,
		KeyFile:          h.Conn.KeyFile,
		ConnectTimeout:   connectTimeout,
		OperationTimeout: h.Conn.OperationTimeout,
		CommandsPerShell: c.CommandsPerShell,
	})
}
