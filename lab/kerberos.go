package lab

import (
	"fmt"
	"net"
	"strings"

	"github.com/jcmturner/gokrb5/v8/keytab"

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
