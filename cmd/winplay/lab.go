package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/winplay/winplay/inventory"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/runner"
)

// defaultTiming is how modules poll real hosts: the first poll comes soon
// (a service stops in a second) and backs off; reboots take minutes, so
// the stability window is half a minute.
var defaultTiming = modules.Timing{Poll: 250 * time.Millisecond, MaxBackoff: 10 * time.Second, Stable: 30 * time.Second}

// labSpeed is a lab's pace and the module timing that suits it.
type labSpeed struct {
	machine win.Timing
	offline time.Duration
	modules modules.Timing
}

var labSpeeds = map[string]labSpeed{
	// fast: a reboot takes about two seconds and an install half a
	// second, so a whole rehearsal fits in a minute.
	"fast": {
		machine: win.Timing{Second: 50 * time.Millisecond, Grace: 250 * time.Millisecond, Pending: 50 * time.Millisecond, Install: 500 * time.Millisecond},
		offline: 1500 * time.Millisecond,
		modules: modules.Timing{Poll: 200 * time.Millisecond, MaxBackoff: time.Second, Stable: 2 * time.Second, RebootPhase: time.Minute},
	},
	// real: an NT 4.0 node on period hardware.
	"real": {
		machine: win.DefaultTiming,
		offline: 45 * time.Second,
		modules: defaultTiming,
	},
}

// labFlags are the lab settings winplay lab and winplay run --lab share.
type labFlags struct {
	hosts    []string
	profiles []string
	// os and lang are --os/--lang values: a Windows generation or a
	// display language for every host, or HOST=VALUE for one.
	os, lang []string
	speed    string
	cluster  []string // nil: the first two hosts
	// uac keeps UAC's remote restrictions on the hosts that have UAC.
	uac bool
}

const uacFlagHelp = "keep UAC's remote restrictions (LocalAccountTokenFilterPolicy unset) on 2012r2 and later, as a stock " +
	"Server 2012+ has them: the lab's user, a local administrator other than the built-in one, is refused (HTTP 401)"

// registerRun adds the flags of winplay run --lab (and validate --lab),
// each named --lab-*.
func (f *labFlags) registerRun(fs *pflag.FlagSet, on *bool) {
	fs.BoolVar(on, "lab", false, "run against simulated hosts started in this process instead of an inventory")
	fs.StringSliceVar(&f.hosts, "lab-hosts", []string{"node1", "node2"}, "with --lab: the `HOSTS` to simulate (group \"cluster\")")
	fs.StringArrayVar(&f.profiles, "lab-profile", nil, "with --lab: start a host from a profile: `HOST=PROFILE`, such as node2=rebuilt (node, rebuilt, corrupted)")
	fs.StringArrayVar(&f.os, "lab-os", nil, "with --lab: the hosts' Windows, `OS` one of "+strings.Join(win.GenerationNames(), ", ")+" (default nt4, the runbook's rehearsal), or HOST=OS")
	fs.StringArrayVar(&f.lang, "lab-lang", nil, "with --lab: the hosts' display language, `LANG` one of "+strings.Join(win.LanguageNames(), ", ")+" (default en-US), or HOST=LANG")
	fs.StringVar(&f.speed, "lab-speed", "fast", "with --lab: `SPEED` fast (reboots in about a second) or real (reboots and installs in real time)")
	fs.BoolVar(&f.uac, "lab-uac-restricted", false, "with --lab: "+uacFlagHelp)
}

func (f *labFlags) specs() (lab.Config, error) {
	sp, ok := labSpeeds[f.speed]
	if !ok {
		return lab.Config{}, fmt.Errorf("speed must be fast or real, not %q", f.speed)
	}
	cfg := lab.Config{Timing: sp.machine, Offline: sp.offline, Cluster: f.cluster, UACRemoteRestrictions: f.uac}
	profiles := map[string]string{}
	for _, p := range f.profiles {
		name, profile, ok := strings.Cut(p, "=")
		if !ok || name == "" {
			return cfg, fmt.Errorf("profile %q: want HOST=PROFILE, e.g. node2=rebuilt", p)
		}
		switch profile {
		case win.ProfileNode, win.ProfileRebuilt, win.ProfileCorrupted:
		default:
			return cfg, fmt.Errorf("profile %q: %q is not one of node, rebuilt, corrupted", p, profile)
		}
		profiles[name] = profile
	}
	for _, h := range f.hosts {
		if h == "" {
			return cfg, errors.New("empty host name in the host list")
		}
		cfg.Hosts = append(cfg.Hosts, lab.HostSpec{Name: h, Profile: profiles[h]})
		delete(profiles, h)
	}
	for name := range profiles {
		return cfg, fmt.Errorf("profile for %q, which is not among the lab's hosts %s", name, strings.Join(f.hosts, ","))
	}
	if err := cfg.SetOS(f.os); err != nil {
		return cfg, err
	}
	if err := cfg.SetLanguage(f.lang); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// startLab starts the in-process lab of winplay run --lab and returns it
// with its inventory (group "cluster") and the module timing for its speed.
func startLab(lf labFlags, stdio Stdio) (*lab.Lab, *inventory.Inventory, modules.Timing, error) {
	cfg, err := lf.specs()
	if err != nil {
		return nil, nil, modules.Timing{}, fmt.Errorf("--lab: %w", err)
	}
	l, err := lab.Start(cfg)
	if err != nil {
		return nil, nil, modules.Timing{}, err
	}
	inv, err := l.Inventory()
	if err != nil {
		l.Close()
		return nil, nil, modules.Timing{}, err
	}
	for _, h := range l.Hosts() {
		fmt.Fprintf(stdio.Err, "lab: %-8s %s  (%s, %s)\n", h.Name(), h.Endpoint(), profileName(h, cfg), h.Machine().Windows())
	}
	return l, inv, labSpeeds[lf.speed].modules, nil
}

func profileName(h *lab.Host, cfg lab.Config) string {
	for _, s := range cfg.Hosts {
		if s.Name == h.Name() && s.Profile != "" {
			return s.Profile
		}
	}
	return win.ProfileNode
}

// labPasswordEnv is the variable the written inventory reads the
// password from.
const labPasswordEnv = "WINPLAY_PASSWORD"

// labServeFlags are winplay lab's own flags.
type labServeFlags struct {
	lab      labFlags
	addr     string
	user     string
	password string
	invOut   string
	https    bool
	auth     []string
}

func newLabCmd(stdio Stdio) *cobra.Command {
	var f labServeFlags
	cmd := &cobra.Command{
		Use:   "lab [flags]",
		Short: "Serve simulated Windows hosts over WinRM",
		Long: `Serves simulated Windows hosts that speak real WinRM, on consecutive
loopback ports, until interrupted. Each host runs a cmd.exe-like interpreter
with sc, net, reg, shutdown, wmic, cluster and the other tools the shipped
runbook uses; shutdown /r takes the host off the network and brings it back
with a new boot time. --os chooses the hosts' Windows (Server 2003 R2, 2012
R2, 2022, 2025, or by default the Windows NT 4.0 cluster nodes of the
rehearsal of Microsoft's Q241573 runbook: NT 4.0 never had WinRM) and --lang
their display language (en-US, de-DE, ru-RU). The first
two hosts are the cluster's nodes unless --cluster names others.

The hosts accept the password in $WINPLAY_PASSWORD, or one typed at a
prompt on a terminal (not echoed), or the default Lab-Pass1; it is never
taken on the command line, nor printed. With --inventory-out it writes an
inventory that "winplay run -i" accepts, whose password comes from
$WINPLAY_PASSWORD.`,
		Example: `  winplay lab --hosts node1,node2 --inventory-out lab.hcl
  WINPLAY_PASSWORD=Lab-Pass1 winplay run playbooks/cluster-service-cycle.hcl -i lab.hcl

  winplay lab --https --auth ntlm --profile node2=rebuilt --addr 127.0.0.1:0
  winplay lab --os 2022 --lang de-DE --lang node2=ru-RU`,
		Args: maxArgs(),
		RunE: func(c *cobra.Command, _ []string) error {
			return exit(serveLab(c.Context(), f, stdio))
		},
	}
	fs := cmd.Flags()
	fs.StringSliceVar(&f.lab.hosts, "hosts", []string{"node1", "node2"}, "the `HOSTS` to simulate, on consecutive ports from --addr")
	fs.StringArrayVar(&f.lab.profiles, "profile", nil, "start a host from a profile: `HOST=PROFILE`, such as node2=rebuilt (node, rebuilt, corrupted)")
	fs.StringArrayVar(&f.lab.os, "os", nil, "the hosts' Windows, `OS` one of "+strings.Join(win.GenerationNames(), ", ")+" (default nt4, the runbook's rehearsal), or HOST=OS for one host")
	fs.StringArrayVar(&f.lab.lang, "lang", nil, "the hosts' display language, `LANG` one of "+strings.Join(win.LanguageNames(), ", ")+" (default en-US), or HOST=LANG for one host")
	fs.BoolVar(&f.lab.uac, "uac-restricted", false, uacFlagHelp)
	fs.StringSliceVar(&f.lab.cluster, "cluster", nil, "the two `HOSTS` that are the cluster's nodes (default: the first two --hosts); the others are standalone members")
	fs.StringVar(&f.lab.speed, "speed", "fast", "`SPEED` fast (reboots in about two seconds) or real (reboots and installs in real time)")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:25985", "`ADDRESS` of the first host (127.0.0.0/8 only); port 0 lets the OS choose")
	fs.StringVar(&f.user, "user", lab.DefaultUser, "the local administrator `USER` WinRM accepts")
	fs.StringVar(&f.password, "password", "", "refused: the password comes from $"+labPasswordEnv+" or a prompt")
	_ = fs.MarkHidden("password")
	fs.StringVar(&f.invOut, "inventory-out", "", "write an inventory of the lab to this `FILE`, for winplay run -i")
	fs.BoolVar(&f.https, "https", false, "serve HTTPS with a self-signed certificate (written next to the inventory)")
	fs.StringSliceVar(&f.auth, "auth", []string{"basic", "ntlm"}, "authentication `SCHEMES` offered: basic, ntlm, kerberos (starts a KDC for the realm CORP.TEST), certificate (with --https; writes the user's client certificate next to the inventory)")
	_ = cmd.RegisterFlagCompletionFunc("speed", cobra.FixedCompletions([]string{"fast", "real"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("auth", cobra.FixedCompletions([]string{"basic", "ntlm", "kerberos", "certificate"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("profile", completeProfiles)
	return cmd
}

func serveLab(ctx context.Context, f labServeFlags, stdio Stdio) int {
	lf, addr, user, invOut, https, auth := f.lab, f.addr, f.user, f.invOut, f.https, f.auth
	cfg, err := lf.specs()
	if err != nil {
		fmt.Fprintf(stdio.Err, "winplay lab: %v\n", err)
		return runner.ExitInvalid
	}
	if f.password != "" {
		fmt.Fprintf(stdio.Err, "winplay lab: %v\n", errPasswordFlag)
		return runner.ExitInvalid
	}
	password, shown, err := labPassword(stdio)
	if err != nil {
		fmt.Fprintf(stdio.Err, "winplay lab: %v\n", err)
		return runner.ExitInvalid
	}
	cfg.Addr, cfg.User, cfg.Password, cfg.HTTPS = addr, user, password, https
	kerberos := false
	for _, a := range auth {
		switch strings.ToLower(a) {
		case "basic":
			cfg.Basic = true
		case "ntlm":
			cfg.NTLM = true
		case "kerberos":
			kerberos = true
		case "certificate":
			cfg.ClientCertificates = true
		default:
			fmt.Fprintf(stdio.Err, "winplay lab: --auth: %q is not basic, ntlm, kerberos or certificate\n", a)
			return runner.ExitInvalid
		}
	}
	if kerberos {
		realmDir := ""
		if invOut != "" {
			realmDir = strings.TrimSuffix(invOut, filepath.Ext(invOut)) + "-realm"
		}
		k, err := lab.StartRealm(realmDir)
		if err != nil {
			fmt.Fprintf(stdio.Err, "winplay lab: %v\n", err)
			return runner.ExitError
		}
		defer k.Close()
		cfg.Kerberos = k
	}
	l, err := lab.Start(cfg)
	if err != nil {
		fmt.Fprintf(stdio.Err, "winplay lab: %v\n", err)
		return runner.ExitInvalid
	}
	defer l.Close()
	if invOut != "" {
		if err := writeLabInventory(l, invOut); err != nil {
			fmt.Fprintf(stdio.Err, "winplay lab: %v\n", err)
			return runner.ExitError
		}
	}
	for _, h := range l.Hosts() {
		fmt.Fprintf(stdio.Out, "%s %s\n", h.Name(), h.Endpoint())
	}
	fmt.Fprintf(stdio.Err, "cluster nodes: %s\n", clusterLine(l))
	var windows []string
	for _, h := range l.Hosts() {
		windows = append(windows, h.Name()+" "+h.Machine().Windows())
	}
	fmt.Fprintf(stdio.Err, "windows: %s\n", strings.Join(windows, ", "))
	fmt.Fprint(stdio.Err, l.RealmHelp())
	if invOut != "" {
		export := "  (set as for this lab)\n"
		if shown {
			export = fmt.Sprintf("  export %s='%s'   # the lab's default password\n", labPasswordEnv, password)
		}
		fmt.Fprintf(stdio.Err, "inventory written to %s; its password comes from $%s:\n%s  winplay run PLAYBOOK -i %s\n",
			invOut, labPasswordEnv, export, invOut)
	}
	fmt.Fprintln(stdio.Err, "serving until interrupted (Ctrl+C)")
	<-ctx.Done()
	return runner.ExitOK
}

// writeLabInventory writes the lab's inventory with password_env instead
// of the password and, for HTTPS, the CA certificate beside it.
func writeLabInventory(l *lab.Lab, path string) error {
	spec := l.InventorySpec(false)
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	base := strings.TrimSuffix(abs, filepath.Ext(abs))
	if pem := l.CACertPEM(); pem != nil {
		ca := base + "-ca.pem"
		if err := os.WriteFile(ca, pem, 0o644); err != nil {
			return err
		}
		for _, h := range spec.Hosts {
			h.Conn.CAPEM, h.Conn.CAFile = nil, ca
		}
	}
	if cert, key := l.ClientCertificate(); cert != nil {
		certFile, keyFile := base+"-client.pem", base+"-client.key"
		if err := os.WriteFile(certFile, cert, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(keyFile, key, 0o600); err != nil {
			return err
		}
		for _, h := range spec.Hosts {
			if h.Conn.CertFile != "" {
				h.Conn.CertFile, h.Conn.KeyFile = certFile, keyFile
			}
		}
	}
	for _, h := range spec.Hosts {
		if h.Conn.NeedsPassword() {
			h.Conn.PasswordEnv = labPasswordEnv
		}
	}
	inv, err := inventory.New(spec)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := inventory.Write(&b, inv); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// clusterLine names the cluster's nodes, and says so when one of them is
// not served: a lab of one host is a node whose partner is away.
func clusterLine(l *lab.Lab) string {
	line := strings.Join(l.Config().Cluster, ", ")
	for _, node := range l.Config().Cluster {
		if l.Host(node) == nil {
			line += fmt.Sprintf(" (%s is not served: with one host, the lab is a node whose partner is away)", node)
		}
	}
	return line
}
