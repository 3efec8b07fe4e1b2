package conn

import (
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/spnego"
)

// newKerberos returns an HTTP client that authenticates with Kerberos
// (SPNEGO) as cfg.User, which must name its realm: user@REALM or
// REALM\user. The realm's KDCs come from krb5.conf ($KRB5_CONFIG or
// /etc/krb5.conf). The inventory allows Kerberos only over HTTPS, since
// this client cannot encrypt messages itself.
func newKerberos(cfg Config, hc *http.Client) (doer, error) {
	user, realm := cfg.User, ""
	if u, r, ok := strings.Cut(cfg.User, "@"); ok {
		user, realm = u, r
	} else if r, u, ok := strings.Cut(cfg.User, `\`); ok {
		user, realm = u, r
	}
	if realm == "" {
		return nil, fmt.Errorf("kerberos needs the user's realm: write user@REALM or REALM\\user, not %q", cfg.User)
	}
	path := os.Getenv("KRB5_CONFIG")
	if path == "" {
		path = "/etc/krb5.conf"
	}
	kc, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("kerberos: reading %s: %w", path, err)
	}
	cl := client.NewWithPassword(user, strings.ToUpper(realm), cfg.Password, kc, client.DisablePAFXFAST(true))
	return spnego.NewClient(cl, hc, "HTTP/"+cfg.Address), nil
}
