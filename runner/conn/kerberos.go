package conn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/krberror"

	"github.com/winplay/winplay/internal/krbgss"
	"github.com/winplay/winplay/internal/sealing"
)

// Kerberos logon failures. Each says what is wrong and what to do; all but
// ErrKDCUnreachable are refusals that asking again does not change.
var (
	ErrKDCUnreachable     = errors.New("the realm's KDC cannot be reached")
	ErrClockSkew          = errors.New("the clocks differ by more than Kerberos allows")
	ErrUnknownPrincipal   = errors.New("the realm does not know the user")
	ErrWrongPassword      = errors.New("the realm refused the password")
	ErrNoServicePrincipal = errors.New("the realm has no service principal for the host")
)

// kerberosMechanism logs on with Kerberos: one AP-REQ under
// "Authorization: Negotiate", and the host's AP-REP proves it is who the
// ticket is for (mutual authentication). Messages are then sealed under
// application/HTTP-SPNEGO-session-encrypted. That is exactly what pywinrm
// with requests-kerberos sends (a raw Kerberos token under Negotiate,
// SPNEGO-session-encrypted sealing), the combination Ansible uses against
// every domain-joined Windows host, so it is the one known to work there;
// the "Kerberos" scheme MS-WSMV 2.2.9.1.2 also allows is proven only
// against the lab.
type kerberosMechanism struct {
	cfg Config
	spn string
	src *kerberosSource
}

func newKerberos(cfg Config) (*kerberosMechanism, error) {
	src, err := sourceFor(cfg)
	if err != nil {
		return nil, err
	}
	spn := cfg.SPN
	if spn == "" {
		spn = "HTTP/" + cfg.Address
	}
	return &kerberosMechanism{cfg: cfg, spn: spn, src: src}, nil
}

func (k *kerberosMechanism) protocol() string { return sealing.SPNEGO }

func (k *kerberosMechanism) login(ctx context.Context, hc *http.Client, url string) (securityContext, error) {
	cl, err := k.src.client()
	if err != nil {
		return nil, err
	}
	tkt, key, err := cl.GetServiceTicket(k.spn)
	if err != nil {
		return nil, k.src.explain(err, k.spn)
	}
	in, err := krbgss.NewAPReq(tkt, key, cl.Credentials.Domain(), cl.Credentials.CName(),
		krbgss.FlagMutual|krbgss.FlagSequence|krbgss.FlagConf|krbgss.FlagInteg, nil)
	if err != nil {
		return nil, err
	}
	resp, err := authLeg(ctx, hc, url, "Negotiate", in.Token)
	if err != nil {
		return nil, err
	}
	drain(resp)
	token, hasToken := schemeToken(resp.Header, "Negotiate")
	switch {
	case resp.StatusCode == http.StatusOK && hasToken:
		sc, err := in.Complete(token)
		if err != nil {
			return nil, refused("%s: %w", k.spn, err)
		}
		return sc, nil
	case resp.StatusCode == http.StatusOK:
		return nil, refused("%s accepted the ticket but sent no AP-REP to prove it is %s (mutual authentication)", k.cfg.Address, k.spn)
	case resp.StatusCode == http.StatusUnauthorized && hasToken:
		_, err := in.Complete(token)
		var ke *krbgss.KRBError
		if errors.As(err, &ke) {
			return nil, k.src.explainHost(*ke, k.spn)
		}
		return nil, refused("%v", err)
	case resp.StatusCode == http.StatusUnauthorized && offersWinRMAuth(resp.Header):
		return nil, refused("%s refused the Kerberos ticket for %s (does its WinRM service allow Kerberos, and is %s allowed to log on?)",
			k.cfg.Address, k.spn, cl.Credentials.CName().PrincipalNameString())
	}
	return nil, notWinRM(url, resp, "the Kerberos AP-REQ")
}

// kerberosSource is where the initial ticket comes from: a password, a
// keytab or the ticket cache kinit filled. Hosts with the same user and
// source share one, so that a run over many hosts asks the KDC for one
// ticket-granting ticket.
type kerberosSource struct {
	key      string
	user     string
	realm    string
	krb5conf string
	build    func(*config.Config) (*client.Client, error)
	needsAS  bool // password and keytab log on; a cache holds its TGT
	what     string

	mu sync.Mutex
	cl *client.Client
}

var sources = struct {
	sync.Mutex
	m map[string]*kerberosSource
}{m: map[string]*kerberosSource{}}

// krb5ConfPath is $KRB5_CONFIG, as MIT's tools read it, or /etc/krb5.conf.
func krb5ConfPath(cfg Config) string {
	if cfg.Krb5Conf != "" {
		return cfg.Krb5Conf
	}
	if p := os.Getenv("KRB5_CONFIG"); p != "" {
		// MIT takes a colon-separated list; the first file is the main one.
		first, _, _ := strings.Cut(p, ":")
		return first
	}
	return "/etc/krb5.conf"
}

// ccachePath is $KRB5CCNAME, or MIT's default, for FILE caches, which are
// what gokrb5 reads.
func ccachePath() (string, error) {
	name := os.Getenv("KRB5CCNAME")
	if name == "" {
		return "/tmp/krb5cc_" + strconv.Itoa(os.Getuid()), nil
	}
	kind, path, ok := strings.Cut(name, ":")
	switch {
	case !ok:
		return name, nil
	case strings.EqualFold(kind, "FILE"):
		return path, nil
	}
	return "", fmt.Errorf("KRB5CCNAME=%s is a %s cache; winplay reads FILE caches only: run kinit -c FILE:/tmp/krb5cc_winplay and export KRB5CCNAME=FILE:/tmp/krb5cc_winplay", name, kind)
}

// splitPrincipal splits user@REALM or DOMAIN\user.
func splitPrincipal(user string) (name, realm string) {
	if u, r, ok := strings.Cut(user, "@"); ok {
		return u, strings.ToUpper(r)
	}
	if r, u, ok := strings.Cut(user, `\`); ok {
		return u, strings.ToUpper(r)
	}
	return user, ""
}

func sourceFor(cfg Config) (*kerberosSource, error) {
	name, realm := splitPrincipal(cfg.User)
	confPath := krb5ConfPath(cfg)
	kind := "password"
	ccache, ccacheErr := "", error(nil)
	switch {
	case cfg.KeytabFile != "":
		kind = "keytab " + cfg.KeytabFile
	case cfg.TicketCache:
		ccache, ccacheErr = ccachePath()
		kind = "ccache " + ccache
	}
	key := strings.Join([]string{confPath, kind, strings.ToLower(name), realm, cfg.Password}, "\x00")
	sources.Lock()
	defer sources.Unlock()
	if s, ok := sources.m[key]; ok {
		return s, nil
	}
	s := &kerberosSource{key: key, user: name, realm: realm, krb5conf: confPath}
	settings := []func(*client.Settings){client.DisablePAFXFAST(true)}
	switch {
	case cfg.KeytabFile != "":
		s.what, s.needsAS = "the keytab "+cfg.KeytabFile, true
		path := cfg.KeytabFile
		s.build = func(kc *config.Config) (*client.Client, error) {
			kt, err := keytab.Load(path)
			if err != nil {
				return nil, fmt.Errorf("kerberos: reading the keytab %s: %w", path, err)
			}
			return client.NewWithKeytab(s.user, s.realm, kt, kc, settings...), nil
		}
	case cfg.TicketCache:
		s.what = "the ticket cache"
		s.build = func(kc *config.Config) (*client.Client, error) {
			if ccacheErr != nil {
				return nil, fmt.Errorf("kerberos: %w", ccacheErr)
			}
			path := ccache
			s.what = "the ticket cache " + path
			cc, err := credentials.LoadCCache(path)
			if err != nil {
				return nil, fmt.Errorf("kerberos: no ticket cache at %s (run kinit %s first): %w", path, cfg.User, err)
			}
			owner := cc.GetClientPrincipalName().PrincipalNameString() + "@" + cc.GetClientRealm()
			if name != "" && (!strings.EqualFold(cc.GetClientPrincipalName().PrincipalNameString(), name) ||
				(realm != "" && !strings.EqualFold(cc.GetClientRealm(), realm))) {
				return nil, fmt.Errorf("kerberos: the ticket cache %s holds the tickets of %s, not of %s: run kinit %s", path, owner, cfg.User, cfg.User)
			}
			cl, err := client.NewFromCCache(cc, kc, settings...)
			if err != nil {
				return nil, fmt.Errorf("kerberos: the ticket cache %s of %s: %w (run kinit again)", path, owner, err)
			}
			return cl, nil
		}
	default:
		s.what, s.needsAS = "the password", true
		password := cfg.Password
		s.build = func(kc *config.Config) (*client.Client, error) {
			return client.NewWithPassword(s.user, s.realm, password, kc, settings...), nil
		}
	}
	sources.m[key] = s
	return s, nil
}

// client returns the logged-on client, logging on at the first call.
func (s *kerberosSource) client() (*client.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cl != nil {
		return s.cl, nil
	}
	kc, err := config.Load(s.krb5conf)
	if err != nil {
		return nil, &undeliveredError{fmt.Errorf("kerberos: reading %s (set KRB5_CONFIG to the realm's krb5.conf): %w", s.krb5conf, err)}
	}
	if s.realm == "" {
		s.realm = kc.LibDefaults.DefaultRealm
	} else if _, ok := realmOf(kc, s.realm); ok {
		s.realm, _ = realmOf(kc, s.realm)
	}
	if s.realm == "" {
		return nil, refused("kerberos needs the user's realm: write user@REALM, or set default_realm in %s", s.krb5conf)
	}
	cl, err := s.build(kc)
	if err != nil {
		return nil, refused("%w", err)
	}
	if s.needsAS {
		if err := cl.Login(); err != nil {
			return nil, s.explain(err, "")
		}
	}
	s.cl = cl
	return cl, nil
}

// realmOf finds the realm a NetBIOS-style domain names: the realm itself,
// or the one whose first label it is (CORP for CORP.EXAMPLE.COM).
func realmOf(kc *config.Config, domain string) (string, bool) {
	for _, r := range kc.Realms {
		if strings.EqualFold(r.Realm, domain) {
			return r.Realm, true
		}
	}
	for _, r := range kc.Realms {
		if first, _, _ := strings.Cut(r.Realm, "."); strings.EqualFold(first, domain) {
			return r.Realm, true
		}
	}
	return "", false
}

// explain turns gokrb5's error from the KDC into one that says which of
// the usual failures happened. spn is the service principal asked for,
// "" while logging on.
func (s *kerberosSource) explain(err error, spn string) error {
	msg := err.Error()
	principal := s.user + "@" + s.realm
	has := func(code int32) bool { return strings.Contains(msg, codeName(code)) }
	var ke krberror.Krberror
	isNet := errors.As(err, &ke) && ke.RootCause == krberror.NetworkingError
	switch {
	case has(errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN):
		return refused("%w: %s is not a principal of %s (check user; AD principals are user@DNS.DOMAIN in upper case)", ErrUnknownPrincipal, principal, s.realm)
	case has(errorcode.KDC_ERR_S_PRINCIPAL_UNKNOWN):
		return refused("%w: %s does not know %s; Windows registers HTTP/ with the host's DNS names, so an address or an alias needs spn = \"HTTP/<fqdn>\" in the inventory (or setspn -S %s on the domain)",
			ErrNoServicePrincipal, s.realm, spn, spn)
	case has(errorcode.KDC_ERR_PREAUTH_FAILED), has(errorcode.KRB_AP_ERR_BAD_INTEGRITY):
		return refused("%w: the KDC of %s refused %s for %s (wrong password, or an outdated keytab)", ErrWrongPassword, s.realm, s.what, principal)
	case has(errorcode.KRB_AP_ERR_SKEW):
		return refused("%w: this machine's clock and the KDC's of %s differ by more than the realm allows (5 minutes by default); sync the clock", ErrClockSkew, s.realm)
	case has(errorcode.KDC_ERR_CLIENT_REVOKED):
		return refused("the realm %s has disabled or locked %s", s.realm, principal)
	case isNet || strings.Contains(msg, "communicat") || strings.Contains(msg, "error sending to"):
		return &undeliveredError{fmt.Errorf("%w: %s (its KDCs come from %s): %v", ErrKDCUnreachable, s.realm, s.krb5conf, err)}
	}
	return refused("kerberos: %v", err)
}

// explainHost turns the KRB-ERROR a host answered an AP-REQ with into an
// error.
func (s *kerberosSource) explainHost(e krbgss.KRBError, spn string) error {
	switch e.ErrorCode {
	case errorcode.KRB_AP_ERR_SKEW:
		return refused("%w: the host's clock and this machine's differ by more than the realm allows (5 minutes by default); sync the host's clock with the domain", ErrClockSkew)
	case errorcode.KRB_AP_ERR_MODIFIED, errorcode.KRB_AP_ERR_BADKEYVER, errorcode.KRB_AP_ERR_NOKEY:
		return refused("the host cannot decrypt the ticket for %s: the key it holds for that principal is not the realm's (is %s registered to another account?)", spn, spn)
	}
	return refused("the host refused the ticket for %s: %s", spn, strings.TrimSpace(e.Error()))
}

// codeName is how gokrb5 writes a Kerberos error code in its messages:
// "(24) KDC_ERR_PREAUTH_FAILED", the number and the RFC's name.
func codeName(code int32) string {
	text := errorcode.Lookup(code)
	if i := strings.IndexByte(text, ' '); i >= 0 {
		if j := strings.IndexByte(text[i+1:], ' '); j >= 0 {
			return text[:i+1+j]
		}
	}
	return text
}

// refusal is a logon the realm or the host refused: errUnauthorized to
// the retry logic (asking again gets the same answer), without its
// "HTTP 401" in the text, since the KDC may be the one that said no.
type refusal struct{ err error }

func (r refusal) Error() string   { return r.err.Error() }
func (r refusal) Unwrap() []error { return []error{r.err, errUnauthorized} }

func refused(format string, args ...any) error { return refusal{fmt.Errorf(format, args...)} }
