package lab

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/winplay/winplay/lab/kdc"
	"github.com/winplay/winplay/lab/wsman"
)

// realmMembership is what the hosts of a lab in a realm share: the keytab
// of their service principals.
type realmMembership struct {
	keytab *keytab.Keytab
}

// SPNs returns the service principals a lab host has in its realm, the
// names a client may ask a ticket for: HTTP/ with its address, its name
// and its name in the realm's DNS domain.
func SPNs(realm, name string, ip net.IP) []string {
	return []string{"HTTP/" + ip.String(), "HTTP/" + strings.ToLower(name), "HTTP/" + strings.ToLower(name) + "." + strings.ToLower(realm)}
}

// joinRealm registers the hosts' service principals and the lab's user in
// cfg.Kerberos; nil when the lab has no realm.
func (l *Lab) joinRealm(ip net.IP) (*realmMembership, error) {
	k := l.cfg.Kerberos
	if k == nil {
		return nil, nil
	}
	if err := k.AddUser(l.cfg.User, l.cfg.Password); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	var spns []string
	for _, h := range l.cfg.Hosts {
		spns = append(spns, SPNs(k.Realm(), h.Name, ip)...)
	}
	if err := k.AddService(spns...); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	kt, err := k.Keytab()
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	return &realmMembership{keytab: kt}, nil
}

// forHost is the Kerberos acceptor of one host; nil outside a realm.
func (r *realmMembership) forHost(spec HostSpec) *wsman.Kerberos {
	if r == nil {
		return nil
	}
	return &wsman.Kerberos{Keytab: r.keytab, ClockOffset: spec.ClockOffset}
}

// StartRealm starts the KDC of a served lab's realm (winplay lab --auth
// kerberos) with its files in dir: the database, the services' keytab and
// the krb5.conf clients use. An empty dir is a temporary one, removed by
// the KDC's Close.
func StartRealm(dir string) (*kdc.KDC, error) {
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		// A realm left by an earlier run is replaced: its KDC is gone.
		if err := os.RemoveAll(abs); err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		dir = abs
	}
	k, err := kdc.Start(kdc.Config{Dir: dir})
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	return k, nil
}

// RealmHelp says what a client needs to log on to the lab's realm: the
// realm, where its KDC listens, the krb5.conf to use and how to get a
// ticket with MIT's tools.
func (l *Lab) RealmHelp() string {
	k := l.cfg.Kerberos
	if k == nil {
		return ""
	}
	return fmt.Sprintf("realm %s: KDC %s, krb5.conf %s\n"+
		"  export KRB5_CONFIG=%s\n"+
		"  kinit %s      # a ticket for ticket_cache = true\n",
		k.Realm(), k.Addr(), k.Krb5ConfPath(), k.Krb5ConfPath(), k.Principal(l.cfg.User))
}
