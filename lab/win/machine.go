// Package win simulates the Windows hosts of the lab, one of five
// generations (generation.go: the runbook's NT 4.0 rehearsal, which never
// spoke WinRM, and Server 2003 R2 to 2025) in one of three display
// languages (language.go), each printing what real Windows prints (the
// golden test holds it to testdata/windows): a
// cmd.exe interpreter and the built-in tools winplay's modules run, over
// state that persists across commands and reboots (services, registry,
// files, accounts, groups, user rights, DCOM, IIS, MSDTC) and a cluster
// shared by the hosts of one Network. lab/TOOLS.md is the contract for
// every tool's syntax, output and exit codes.
//
// A Machine implements wsman.Machine: the WinRM server hands it each
// command line. All state of a Network is guarded by one mutex, so
// commands on several hosts and shells can run at once; it is never held
// while a command waits (a pending service, an installer, a shutdown
// timer).
package win

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/winplay/winplay/lab/wsman"
)

// Timing scales the simulated durations, so tests run in milliseconds and
// rehearsals in real time.
type Timing struct {
	// Second is one simulated second: shutdown /t N waits N*Second.
	Second time.Duration
	// Grace is how long a fired shutdown is in progress (shutdown then
	// fails with 1115) before the host goes down.
	Grace time.Duration
	// Pending is how long a service stays START_PENDING or STOP_PENDING.
	Pending time.Duration
	// Install is how long setup.exe and update.exe run.
	Install time.Duration
}

// DefaultTiming is the timing of a rehearsal in real time.
var DefaultTiming = Timing{Second: time.Second, Grace: 2 * time.Second, Install: 5 * time.Second}

// Profiles a machine can start from (TOOLS.md "Profiles").
const (
	ProfileNode      = "node"
	ProfileRebuilt   = "rebuilt"
	ProfileCorrupted = "corrupted"
)

// Config describes a host to create.
type Config struct {
	// Name is the inventory name, e.g. "node1"; the NetBIOS name is its
	// upper case.
	Name string
	// Profile is ProfileNode (the default), ProfileRebuilt or
	// ProfileCorrupted.
	Profile string
	// Timing is the host's timing; a zero Second means DefaultTiming.
	Timing Timing
	// LoginUser is the local administrator WinRM logs in as; default "lab".
	LoginUser string
	// OS is the Windows generation (Generations: nt4, 2003r2, 2012r2,
	// 2022, 2025); "" is nt4, the runbook's rehearsal.
	OS string
	// Language is the display language: en-US (default), de-DE or ru-RU.
	Language string
	// LoginPassword is its password, which a scheduled task that runs as
	// the user (schtasks /ru /rp) must give.
	LoginPassword string
	// UACRemoteRestrictions leaves LocalAccountTokenFilterPolicy unset on
	// a generation with UAC, as on a Server 2012 or later whose WinRM came
	// on out of the box rather than through winrm quickconfig: the login,
	// a local administrator other than the built-in one, is then refused
	// by WinRM (uac.go).
	UACRemoteRestrictions bool
}

// Network is the set of hosts of one lab: the CORP domain they share, the
// cluster, and which hosts exist and are reachable.
type Network struct {
	mu      sync.Mutex
	hosts   map[string]*Machine // by NetBIOS name
	domain  []*account
	cluster *cluster
	media   *drive // the CD in every host's D: drive
}

// NewNetwork returns an empty lab network with the CORP domain and the
// default cluster CLUSTER1 of NODE1 and NODE2.
func NewNetwork() *Network {
	n, _ := NewClusterNetwork("node1", "node2")
	return n
}

// NewClusterNetwork is NewNetwork with the cluster's two nodes named first
// and second (host names, as NewMachine takes them); first owns the
// cluster's groups. Hosts created with other names are standalone members;
// a node no host is created for is a node that is down.
func NewClusterNetwork(first, second string) (*Network, error) {
	a, err := netbiosName(first)
	if err != nil {
		return nil, fmt.Errorf("cluster node: %w", err)
	}
	b, err := netbiosName(second)
	if err != nil {
		return nil, fmt.Errorf("cluster node: %w", err)
	}
	if a == b {
		return nil, fmt.Errorf("cluster node %q given twice", first)
	}
	n := &Network{hosts: map[string]*Machine{}, domain: domainAccounts()}
	n.cluster = newCluster(a, b)
	n.media = newMedia(n.now())
	return n, nil
}

// netbiosName checks a host name and returns its NetBIOS form.
func netbiosName(name string) (string, error) {
	n := strings.TrimSpace(name)
	if n == "" || len(n) > 15 || strings.ContainsAny(n, ` \/:*?"<>|.,;=&^%`) {
		return "", fmt.Errorf("invalid host name %q: want a NetBIOS name of 1 to 15 characters", name)
	}
	return strings.ToUpper(n), nil
}

func (n *Network) now() time.Time { return time.Now() }

// lock takes the network's mutex and brings pending state up to date.
func (n *Network) lock() {
	n.mu.Lock()
	n.settle()
}

// settle ends the service transitions that are due and lets the cluster
// react to nodes that came up or went down.
func (n *Network) settle() {
	now := n.now()
	for _, m := range n.hosts {
		m.settleServices(now)
	}
	n.cluster.reconcile(n)
}

// host returns the machine with the given name (either form), or nil.
func (n *Network) host(name string) *Machine {
	return n.hosts[strings.ToUpper(name)]
}

// Machine returns the host with the given inventory or NetBIOS name, or
// nil.
func (n *Network) Machine(name string) *Machine {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.host(name)
}

// powerState is where a host is in its power cycle.
type powerState int

const (
	powerOn powerState = iota
	powerScheduled
	powerShuttingDown
	powerOff
)

// Machine is one simulated host.
type Machine struct {
	net     *Network
	name    string
	netbios string
	profile string
	os      *Generation
	lang    *language
	timing  Timing
	login   string
	loginPW string
	sid     string
	nextRID int
	nextPID int

	// uacRestricted is Config.UACRemoteRestrictions.
	uacRestricted bool

	services map[string]*service
	reg      *registry
	c        *drive
	users    []*account
	groups   []*localGroup
	rights   map[string][]string

	boot       time.Time
	power      powerState
	reboot     bool
	timer      *time.Timer
	gen        int // counts power cycles, so waits notice the host went down
	online     bool
	onPowerOff func(reboot bool)
	installing bool                      // setup.exe or UPDATE.EXE runs
	tasks      map[string]*scheduledTask // by lower-case name, see schtasks.go

	log []*LogEntry

	parsedMetabase struct {
		file   *file
		writes int
		mb     metabase
		ok     bool
	}
}

var _ wsman.Machine = (*Machine)(nil)

// NewMachine creates a host from cfg, boots it and puts it on the network.
func (n *Network) NewMachine(cfg Config) (*Machine, error) {
	netbios, err := netbiosName(cfg.Name)
	if err != nil {
		return nil, err
	}
	name := strings.ToLower(netbios)
	profile := cfg.Profile
	if profile == "" {
		profile = ProfileNode
	}
	if !slices.Contains([]string{ProfileNode, ProfileRebuilt, ProfileCorrupted}, profile) {
		return nil, fmt.Errorf("host %s: unknown profile %q (want %s, %s or %s)", name, profile, ProfileNode, ProfileRebuilt, ProfileCorrupted)
	}
	gen, err := LookupGeneration(cfg.OS)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", name, err)
	}
	if !gen.Runbook && profile != ProfileNode {
		return nil, fmt.Errorf("host %s: profile %q is the runbook's NT 4.0 rehearsal; %s hosts are %s only", name, profile, gen.Name, ProfileNode)
	}
	lang, err := lookupLanguage(cfg.Language)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", name, err)
	}
	timing := cfg.Timing
	if timing.Second == 0 {
		timing = DefaultTiming
	}
	login := cfg.LoginUser
	if login == "" {
		login = "lab"
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.hosts[netbios] != nil {
		return nil, fmt.Errorf("host %s already exists in this network", name)
	}
	m := &Machine{
		net: n, name: name, netbios: netbios, profile: profile, os: gen, lang: lang, timing: timing, login: login, loginPW: cfg.LoginPassword,
		sid: machineSID(netbios), nextRID: 1000, nextPID: 400, uacRestricted: cfg.UACRemoteRestrictions,
		services: map[string]*service{}, reg: newRegistry(), rights: map[string][]string{},
	}
	if err := m.applyProfile(); err != nil {
		return nil, fmt.Errorf("host %s: %w", name, err)
	}
	n.hosts[netbios] = m
	m.bootLocked()
	n.settle()
	return m, nil
}

// Name returns the inventory name, e.g. "node1".
func (m *Machine) Name() string { return m.name }

// NetBIOSName returns the computer name, e.g. "NODE1".
func (m *Machine) NetBIOSName() string { return m.netbios }

// LastBoot returns the time of the last boot (wmic's LastBootUpTime).
func (m *Machine) LastBoot() time.Time {
	m.net.mu.Lock()
	defer m.net.mu.Unlock()
	return m.boot
}

// SetOnline marks the host on or off the network. A host off the network
// is unreachable for IISSYNC (1722) and Down for the cluster.
func (m *Machine) SetOnline(online bool) {
	m.net.lock()
	defer m.net.mu.Unlock()
	m.online = online
	m.net.settle()
}

// Online reports whether the host is on the network.
func (m *Machine) Online() bool {
	m.net.mu.Lock()
	defer m.net.mu.Unlock()
	return m.online
}

// PoweredOn reports whether the host is running (also while a shutdown is
// scheduled or in progress).
func (m *Machine) PoweredOn() bool {
	m.net.mu.Lock()
	defer m.net.mu.Unlock()
	return m.power != powerOff
}

// Log returns a copy of the command log.
func (m *Machine) Log() []LogEntry {
	m.net.mu.Lock()
	defer m.net.mu.Unlock()
	out := make([]LogEntry, len(m.log))
	for i, e := range m.log {
		out[i] = *e
		out[i].Argv = slices.Clone(e.Argv)
		out[i].Redirects = slices.Clone(e.Redirects)
	}
	return out
}

// ClearLog empties the command log, so a test can look at one phase.
func (m *Machine) ClearLog() {
	m.net.mu.Lock()
	defer m.net.mu.Unlock()
	m.log = nil
}

// Exec runs one command line as `cmd.exe /c` would (or directly, when the
// client skipped the shell) and returns its exit code.
func (m *Machine) Exec(ctx context.Context, p *wsman.Process) int {
	s := newSession(ctx, m, p)
	m.net.lock()
	code := s.execProcess(p)
	m.net.mu.Unlock()
	s.flush()
	return code
}

// errPowerCycle means the host went down while a command waited.
var errPowerCycle = errors.New("the host went down")

// LogEntry is one simple command that ran.
type LogEntry struct {
	Time time.Time
	// Line is the line the command came from: the Exec line, or the
	// PowerShell statement.
	Line string
	// Command is the command as cmd.exe handed it to the program: carets
	// and redirections removed, quotes kept.
	Command string
	// Argv is the arguments as the program parsed them: CommandLineToArgvW
	// for programs; for cmd.exe built-ins the name and cmd's own split of
	// the rest (echo gets its text as one argument).
	Argv []string
	// Tool is the program or built-in that ran ("sc", "echo", …), "" when
	// the command was not found.
	Tool string
	// Shell is "cmd", "powershell" or "direct" (WINRS_SKIP_CMD_SHELL).
	Shell     string
	Redirects []Redirect
	ExitCode  int
	// Changes is true when the command changed state or would have had it
	// succeeded; writes under a temp directory do not count.
	Changes bool
}

// Redirect is one redirection of a command.
type Redirect struct {
	Handle int    // 0 stdin, 1 stdout, 2 stderr
	Op     string // "<", ">", ">>", ">&"
	Target string // file name, or the handle number for ">&"
}
