// Package lab starts simulated Windows hosts that speak real WinRM: each
// host is a lab/win Machine behind a lab/wsman server on its own loopback
// port. Tests start a lab in-process; `winplay lab` serves one until
// interrupted; `winplay run --lab` rehearses a playbook against one.
//
// A host that runs `shutdown /r` really leaves the network: its listener
// and every connection close, so clients see refused connections, for
// Config.Offline; then it boots (new LastBootUpTime, no shells, services
// by start type) and listens again on the same address.
package lab

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/lab/kdc"
	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/lab/wsman"
)

// Defaults of a lab's login.
const (
	DefaultUser     = "lab"
	DefaultPassword = "Lab-Pass1"
)

// HostSpec is one host to simulate.
type HostSpec struct {
	// Name is the inventory name, e.g. "node1".
	Name string
	// Profile is win.ProfileNode (default), win.ProfileRebuilt or
	// win.ProfileCorrupted.
	Profile string
	// OS is the host's Windows generation (win.GenerationNames); "" takes
	// Config.OS.
	OS string
	// Language is the host's display language (win.LanguageNames); ""
	// takes Config.Language.
	Language string
	// ClockOffset is how far the host's clock is off the realm's: beyond
	// five minutes, Kerberos logons fail with KRB_AP_ERR_SKEW.
	ClockOffset time.Duration
	// UACRemoteRestrictions keeps UAC's remote restrictions on this host
	// (see Config.UACRemoteRestrictions).
	UACRemoteRestrictions bool
}

// Config describes a lab.
type Config struct {
	Hosts []HostSpec
	// Addr is where the first host listens, "127.0.0.1:0" by default. With
	// port 0 every host gets a port the OS chooses; with a fixed port the
	// hosts take consecutive ports from it. Only 127.0.0.0/8 is allowed.
	Addr string
	// User and Password are the local administrator's; defaults
	// DefaultUser and DefaultPassword.
	User, Password string
	// HTTPS serves TLS with a self-signed certificate for the listening
	// address, 127.0.0.1 and localhost, generated at start (see CACertPEM).
	HTTPS bool
	// Basic and NTLM select the authentication schemes; neither (and no
	// Kerberos) means both.
	Basic, NTLM bool
	// Kerberos makes the hosts members of the realm: each gets HTTP/
	// service principals for its address, its name and its name in the
	// realm's DNS domain (HTTP/127.0.0.1, HTTP/node1, HTTP/node1.corp.test)
	// and accepts Kerberos with them; the lab's user becomes a principal of
	// the realm with the lab's password. Without Basic or NTLM, Kerberos is
	// the only scheme, as in a domain that disabled NTLM.
	Kerberos *kdc.KDC
	// ClientCertificates accepts client certificates over HTTPS: the lab
	// makes a CA and a certificate for its user (ClientCertificate) and
	// maps that CA's certificates for the user to the user, as a Windows
	// host's certmapping does. Without Basic, NTLM or Kerberos, they are
	// the only way in.
	ClientCertificates bool
	// RefuseUnencrypted answers plaintext SOAP over HTTP with 401, as
	// Windows' default AllowUnencrypted=false does: only NTLM-sealed
	// messages (and HTTPS) get in, so a test can prove a client encrypts.
	// Basic over HTTP is refused with it. False accepts plaintext.
	RefuseUnencrypted bool
	// Timing scales the machines' simulated durations; zero means
	// win.DefaultTiming.
	Timing win.Timing
	// Offline is how long a rebooting host stays off the network; zero
	// means 20 simulated seconds.
	Offline time.Duration
	// Quotas are every host's WinRM limits; zero fields take Windows'.
	Quotas wsman.Quotas
	// OS and Language are every host's Windows generation and display
	// language unless its HostSpec names another: nt4 (the runbook's
	// rehearsal) and en-US by default.
	OS, Language string
	// UACRemoteRestrictions leaves LocalAccountTokenFilterPolicy unset on
	// every host whose Windows has UAC (2012r2 and later), as on a stock
	// Server 2012 or later whose WinRM was never set up with winrm
	// quickconfig. The lab's user, a local administrator other than the
	// built-in one, then gets a filtered token over the network and WinRM
	// answers its logons 401; a Kerberos (domain) logon, or User set to
	// "Administrator" (the built-in account), still gets in. Without it
	// the hosts have the value 1, as quickconfig leaves it.
	UACRemoteRestrictions bool
	// Cluster names the two hosts that are the nodes of the lab's cluster
	// (the first owns its groups); the other hosts are standalone
	// members. Nil means the first two hosts. A lab of one host is a node
	// whose partner is away: with Cluster nil, node2 (node1 when the host
	// is node2, which then comes second), and Cluster may name it.
	Cluster []string
}

// Lab is a running set of simulated hosts.
type Lab struct {
	cfg     Config
	network *win.Network
	hosts   []*Host
	cert    tls.Certificate
	caPEM   []byte
	client  *clientCertificates

	mu     sync.Mutex
	closed bool
	// stopped is closed by Close, so that hosts off the network for a
	// reboot stop waiting to come back: with real timings that wait is
	// 45 s, which Close would otherwise sit through.
	stopped chan struct{}
	wg      sync.WaitGroup
}

// Host is one simulated host and its WinRM endpoint.
type Host struct {
	lab     *Lab
	name    string
	addr    *net.TCPAddr
	machine *win.Machine
	server  *wsman.Server

	mu          sync.Mutex
	listener    net.Listener
	up          bool
	boots       int
	injector    wsman.Injector
	neverReturn bool
	againAfter  time.Duration
	bootedCh    chan struct{} // closed and replaced at every boot
}

// Start creates the machines and starts serving every host. On error
// nothing is left running.
func Start(cfg Config) (*Lab, error) {
	if len(cfg.Hosts) == 0 {
		return nil, errors.New("lab: no hosts")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.User == "" {
		cfg.User = DefaultUser
	}
	if cfg.Password == "" {
		cfg.Password = DefaultPassword
	}
	if cfg.Timing.Second == 0 {
		cfg.Timing = win.DefaultTiming
	}
	if cfg.Offline == 0 {
		cfg.Offline = 20 * cfg.Timing.Second
	}
	ip, port, err := parseAddr(cfg.Addr)
	if err != nil {
		return nil, err
	}
	network, err := clusterNetwork(&cfg)
	if err != nil {
		return nil, err
	}
	l := &Lab{cfg: cfg, network: network, stopped: make(chan struct{})}
	if cfg.HTTPS {
		// Clients verify the address they dial against the SANs, so the
		// certificate names the listening IP too (127.0.0.7 is as good a
		// loopback address as 127.0.0.1).
		names := []string{"127.0.0.1", "localhost"}
		if !ip.Equal(net.IPv4(127, 0, 0, 1)) {
			names = append(names, ip.String())
		}
		l.cert, l.caPEM, err = wsman.SelfSigned(names...)
		if err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
	}
	machines, err := l.newMachines()
	if err != nil {
		return nil, err
	}
	krb, err := l.joinRealm(ip)
	if err != nil {
		return nil, err
	}
	if l.client, err = newClientCertificates(cfg); err != nil {
		return nil, err
	}
	for i, spec := range cfg.Hosts {
		m := machines[i]
		h := &Host{lab: l, name: spec.Name, machine: m, bootedCh: make(chan struct{})}
		h.server = wsman.New(wsman.Config{
			Machine:          m,
			ComputerName:     m.NetBIOSName(),
			Users:            map[string]string{cfg.User: cfg.Password},
			Basic:            cfg.Basic,
			NTLM:             cfg.NTLM,
			Kerberos:         krb.forHost(spec),
			CertMappings:     l.client.mappings(),
			AllowUnencrypted: !cfg.RefuseUnencrypted,
			Quotas:           cfg.Quotas,
			Faults:           wsman.InjectorFunc(h.inject),
			Codepage:         m.OEMCodepage(),
		})
		p := 0
		if port != 0 {
			p = port + i
		}
		ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: ip, Port: p})
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("lab: host %q: %w", spec.Name, err)
		}
		h.addr = ln.Addr().(*net.TCPAddr)
		h.listener, h.up = ln, true
		m.OnPowerOff(h.poweredOff)
		l.hosts = append(l.hosts, h)
		l.serve(h, ln)
	}
	return l, nil
}

// newMachines creates the hosts' machines, in the order of cfg.Hosts. The
// cluster's first node boots first, so that its groups come online there
// rather than failing over to whichever node was up before it.
func (l *Lab) newMachines() ([]*win.Machine, error) {
	order := make([]int, 0, len(l.cfg.Hosts))
	for i, spec := range l.cfg.Hosts {
		if strings.EqualFold(spec.Name, l.cfg.Cluster[0]) {
			order = append([]int{i}, order...)
		} else {
			order = append(order, i)
		}
	}
	machines := make([]*win.Machine, len(l.cfg.Hosts))
	seen := map[string]bool{}
	for _, i := range order {
		spec := l.cfg.Hosts[i]
		if seen[spec.Name] {
			return nil, fmt.Errorf("lab: host %q given twice", spec.Name)
		}
		seen[spec.Name] = true
		m, err := l.network.NewMachine(win.Config{Name: spec.Name, Profile: spec.Profile, Timing: l.cfg.Timing, LoginUser: l.cfg.User, LoginPassword: l.cfg.Password,
			OS: l.cfg.hostOS(spec), Language: l.cfg.hostLanguage(spec), UACRemoteRestrictions: l.cfg.UACRemoteRestrictions || spec.UACRemoteRestrictions})
		if err != nil {
			return nil, fmt.Errorf("lab: host %q: %w", spec.Name, err)
		}
		machines[i] = m
	}
	return machines, nil
}

// clusterNetwork fills in cfg.Cluster and makes the network with that
// cluster.
func clusterNetwork(cfg *Config) (*win.Network, error) {
	if cfg.Cluster == nil {
		switch {
		case len(cfg.Hosts) >= 2:
			cfg.Cluster = []string{cfg.Hosts[0].Name, cfg.Hosts[1].Name}
		case strings.EqualFold(cfg.Hosts[0].Name, "node2"):
			cfg.Cluster = []string{"node1", cfg.Hosts[0].Name}
		default:
			cfg.Cluster = []string{cfg.Hosts[0].Name, "node2"}
		}
	}
	if len(cfg.Cluster) != 2 {
		return nil, fmt.Errorf("lab: the cluster has two nodes, not %d (%s)", len(cfg.Cluster), strings.Join(cfg.Cluster, ","))
	}
	// Outside a one-host lab a node that is no host is a typo, not a
	// partner that is away.
	for _, node := range cfg.Cluster {
		if len(cfg.Hosts) >= 2 && !slices.ContainsFunc(cfg.Hosts, func(h HostSpec) bool { return strings.EqualFold(h.Name, node) }) {
			return nil, fmt.Errorf("lab: cluster node %q is not among the lab's hosts", node)
		}
	}
	if len(cfg.Hosts) == 1 && !slices.ContainsFunc(cfg.Cluster, func(n string) bool { return strings.EqualFold(n, cfg.Hosts[0].Name) }) {
		return nil, fmt.Errorf("lab: the cluster %s does not include the lab's only host %q", strings.Join(cfg.Cluster, ","), cfg.Hosts[0].Name)
	}
	n, err := win.NewClusterNetwork(cfg.Cluster[0], cfg.Cluster[1])
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	// The cluster is what its first node is.
	first := HostSpec{Name: cfg.Cluster[0]}
	for _, h := range cfg.Hosts {
		if strings.EqualFold(h.Name, first.Name) {
			first = h
		}
	}
	if err := n.ConfigureCluster(cfg.hostOS(first), cfg.hostLanguage(first)); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	return n, nil
}

func (c *Config) hostOS(h HostSpec) string {
	if h.OS != "" {
		return h.OS
	}
	return c.OS
}

func (c *Config) hostLanguage(h HostSpec) string {
	if h.Language != "" {
		return h.Language
	}
	return c.Language
}

func parseAddr(addr string) (net.IP, int, error) {
	hostPart, portPart, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, 0, fmt.Errorf("lab: address %q: %w", addr, err)
	}
	ip := net.ParseIP(hostPart)
	if hostPart == "localhost" {
		ip = net.IPv4(127, 0, 0, 1)
	}
	if ip == nil || !ip.IsLoopback() || ip.To4() == nil {
		return nil, 0, fmt.Errorf("lab: address %q: the lab serves only on 127.0.0.0/8", addr)
	}
	port, err := strconv.Atoi(portPart)
	if err != nil || port < 0 || port > 65535 {
		return nil, 0, fmt.Errorf("lab: address %q: bad port", addr)
	}
	return ip.To4(), port, nil
}

func (l *Lab) serve(h *Host, ln net.Listener) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		if l.cfg.HTTPS {
			_ = h.server.ServeTLS(ln, l.cert)
		} else {
			_ = h.server.Serve(ln)
		}
	}()
}

// Hosts returns the hosts in the order they were given.
func (l *Lab) Hosts() []*Host { return l.hosts }

// Host returns the host named name, or nil.
func (l *Lab) Host(name string) *Host {
	for _, h := range l.hosts {
		if h.name == name {
			return h
		}
	}
	return nil
}

// Network returns the simulated network the hosts share (cluster, domain).
func (l *Lab) Network() *win.Network { return l.network }

// CACertPEM returns the certificate HTTPS hosts serve, to trust; nil
// without HTTPS.
func (l *Lab) CACertPEM() []byte { return l.caPEM }

// Config returns the lab's configuration with defaults filled in.
func (l *Lab) Config() Config { return l.cfg }

// Close takes every host down and waits for the servers to stop.
func (l *Lab) Close() {
	l.mu.Lock()
	if !l.closed {
		close(l.stopped)
	}
	l.closed = true
	l.mu.Unlock()
	for _, h := range l.hosts {
		h.mu.Lock()
		h.up = false
		ln := h.listener
		h.mu.Unlock()
		// Closing the listener too stops a Serve that has not begun yet,
		// which the server's Close alone would miss.
		if ln != nil {
			ln.Close()
		}
		h.server.Close()
	}
	l.wg.Wait()
	l.client.remove()
}

// sleep waits for d, and reports false when the lab closed meanwhile.
func (l *Lab) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.stopped:
		return false
	}
}

func (l *Lab) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// Inventory returns an inventory of the lab's hosts, all in the group
// "cluster", with the lab's login (password set), transport ntlm unless
// only Basic is served, and the lab's CA when it serves HTTPS.
func (l *Lab) Inventory() (*inventory.Inventory, error) {
	return inventory.New(l.InventorySpec(true))
}

// InventorySpec is the inventory Inventory builds; withPassword sets the
// password in each host's connection (a file gets password_env instead).
// A lab that offers only Kerberos gets transport kerberos and the user's
// principal (lab@CORP.TEST).
func (l *Lab) InventorySpec(withPassword bool) inventory.Spec {
	transport := inventory.TransportNTLM
	user := l.cfg.User
	switch {
	case l.cfg.ClientCertificates && !l.cfg.Basic && !l.cfg.NTLM && l.cfg.Kerberos == nil:
		transport = inventory.TransportCertificate
	case l.cfg.Kerberos != nil && !l.cfg.Basic && !l.cfg.NTLM:
		transport = inventory.TransportKerberos
		user = l.cfg.Kerberos.Principal(l.cfg.User)
	case l.cfg.Basic && !l.cfg.NTLM:
		transport = inventory.TransportBasic
	}
	var spec inventory.Spec
	group := &inventory.Group{Name: "cluster"}
	for _, h := range l.hosts {
		c := inventory.Connection{
			Transport: transport,
			HTTPS:     l.cfg.HTTPS,
			Port:      h.Port(),
			User:      user,
			CAPEM:     l.caPEM,
			// A lab that serves only Basic over HTTP is plaintext by choice.
			AllowUnencrypted: transport == inventory.TransportBasic && !l.cfg.HTTPS,
		}
		switch transport {
		case inventory.TransportKerberos:
			c.Krb5Conf = l.cfg.Kerberos.Krb5ConfPath()
		case inventory.TransportCertificate:
			c.CertFile, c.KeyFile = l.client.certFile, l.client.keyFile
		}
		if withPassword {
			c.SetPassword(l.cfg.Password)
		}
		spec.Hosts = append(spec.Hosts, &inventory.Host{Name: h.name, Address: h.Address(), Conn: c})
		group.Hosts = append(group.Hosts, h.name)
	}
	spec.Groups = []*inventory.Group{group}
	return spec
}

// Name returns the host's inventory name.
func (h *Host) Name() string { return h.name }

// Address returns the IP address the host listens on.
func (h *Host) Address() string { return h.addr.IP.String() }

// Port returns the host's TCP port.
func (h *Host) Port() int { return h.addr.Port }

// Endpoint returns the host's WinRM URL.
func (h *Host) Endpoint() string {
	scheme := "http"
	if h.lab.cfg.HTTPS {
		scheme = "https"
	}
	return scheme + "://" + h.addr.String() + "/wsman"
}

// Machine returns the simulated machine, for tests that look inside.
func (h *Host) Machine() *win.Machine { return h.machine }

// Server returns the host's WinRM server.
func (h *Host) Server() *wsman.Server { return h.server }

// Dump returns the machine's state.
func (h *Host) Dump() win.State { return h.machine.Dump() }

// Log returns the machine's command log.
func (h *Host) Log() []win.LogEntry { return h.machine.Log() }

// Up reports whether the host is on the network (listening).
func (h *Host) Up() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.up
}

// Boots returns how many times the host booted since the lab started.
func (h *Host) Boots() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.boots
}

// Booted returns a channel closed at the host's next boot.
func (h *Host) Booted() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bootedCh
}

// Inject sets the fault injector for the host's requests; nil serves
// every request normally.
func (h *Host) Inject(i wsman.Injector) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.injector = i
}

// NeverReturn makes the host stay down after its next shutdown.
func (h *Host) NeverReturn(never bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.neverReturn = never
}

// RebootAgainAfter makes the host, after its next boot, reboot once more
// by itself d later: the unmanaged second reboot a stability window must
// catch. Zero cancels.
func (h *Host) RebootAgainAfter(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.againAfter = d
}

func (h *Host) inject(r wsman.Request) wsman.Injection {
	h.mu.Lock()
	i := h.injector
	h.mu.Unlock()
	if i == nil {
		return wsman.Injection{}
	}
	return i.Inject(r)
}

// Disconnect takes the host off the network for good, as a pulled cable:
// its port refuses connections, open ones reset, and the other lab hosts
// see it unreachable (IISSYNC, the cluster). The machine keeps running.
func (h *Host) Disconnect() {
	h.mu.Lock()
	h.up = false
	ln := h.listener
	h.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	h.server.Close()
	h.machine.SetOnline(false)
}

// poweredOff is the machine's power-off handler: the endpoint leaves the
// network at once; a restart brings it back after Offline.
func (h *Host) poweredOff(reboot bool) {
	h.mu.Lock()
	h.up = false
	never := h.neverReturn
	ln := h.listener
	h.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	h.server.Close()
	if !reboot || never || h.lab.isClosed() {
		return
	}
	h.lab.wg.Add(1)
	go func() {
		defer h.lab.wg.Done()
		if h.lab.sleep(h.lab.cfg.Offline) {
			h.bootAndListen()
		}
	}()
}

// bootAndListen boots the machine and serves again on the same address.
func (h *Host) bootAndListen() {
	if h.lab.isClosed() {
		return
	}
	var ln net.Listener
	var err error
	for try := 0; try < 50; try++ {
		ln, err = net.ListenTCP("tcp", h.addr)
		if err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return // the port was taken; the host stays down, as one that never came back
	}
	h.machine.Boot()
	h.mu.Lock()
	if h.lab.isClosed() {
		h.mu.Unlock()
		ln.Close()
		return
	}
	h.listener, h.up = ln, true
	h.boots++
	close(h.bootedCh)
	h.bootedCh = make(chan struct{})
	again := h.againAfter
	h.againAfter = 0
	h.mu.Unlock()
	h.lab.serve(h, ln)
	if again > 0 {
		h.lab.wg.Add(1)
		go func() {
			defer h.lab.wg.Done()
			if h.lab.sleep(again) {
				h.Crash()
			}
		}()
	}
}

// Crash restarts the host at once, without a shutdown command: what a
// bugcheck or an update that reboots by itself looks like from outside.
func (h *Host) Crash() {
	h.mu.Lock()
	up := h.up
	h.mu.Unlock()
	if !up {
		return
	}
	h.machine.PowerCycle()
}
