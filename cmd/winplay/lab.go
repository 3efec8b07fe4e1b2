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
	// real: Windows 2000 on period hardware.
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
	speed    string
	cluster  []string // nil: the first two hosts
}

func (f *labFlags) specs() (lab.Config, error) {
	sp, ok := labSpeeds[f.speed]
	if !ok {
		return lab.Config{}, fmt.Errorf("speed must be fast or real, not %q", f.speed)
	}
	cfg := lab.Config{Timing: sp.machine, Offline: sp.offline, Cluster: f.cluster}
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
	return cfg, nil
}

// startLab starts the in-process lab of winplay run --lab and returns it
// with its inventory (group "cluster") and the module timing for its speed.
func startLab(f runFlags, stdio Stdio) (*lab.Lab, *inventory.Inventory, modules.Timing, error) {
	lf := labFlags{hosts: f.labHosts, profiles: f.labProfile, speed: f.labSpeed}
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
		fmt.Fprintf(stdio.Err, "lab: %-8s %s  (%s)\n", h.Name(), h.Endpoint(), profileName(h, cfg))
	}
	return l, inv, labSpeeds[f.labSpeed].modules, nil
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

func labCmd(ctx context.Context, args []string, stdio Stdio) int {
	fs := pflag.NewFlagSet("winplay lab", pflag.ContinueOnError)
	var (
		lf       labFlags
		addr     string
		user     string
		password string
		invOut   string
		https    bool
		auth     []string
	)
	fs.StringSliceVar(&lf.hosts, "hosts", []string{"node1", "node2"}, "the hosts to simulate, on consecutive ports from --addr")
	fs.StringArrayVar(&lf.profiles, "profile", nil, "start a host from a profile: node2=rebuilt (node, rebuilt, corrupted)")
	fs.StringSliceVar(&lf.cluster, "cluster", nil, "the two hosts that are the cluster's nodes (default: the first two --hosts); the others are standalone members")
	fs.StringVar(&lf.speed, "speed", "fast", "fast (reboots in about two seconds) or real (reboots and installs in real time)")
	fs.StringVar(&addr, "addr", "127.0.0.1:25985", "address of the first host (127.0.0.0/8 only); port 0 lets the OS choose")
	fs.StringVar(&user, "user", lab.DefaultUser, "the local administrator WinRM accepts")
	fs.StringVar(&password, "password", lab.DefaultPassword, "its password")
	fs.StringVar(&invOut, "inventory-out", "", "write an inventory of the lab to this file, for winplay run -i")
	fs.BoolVar(&https, "https", false, "serve HTTPS with a self-signed certificate (written next to the inventory)")
	fs.StringSliceVar(&auth, "auth", []string{"basic", "ntlm"}, "authentication schemes offered: basic, ntlm, kerberos (starts a KDC for the realm CORP.TEST), certificate (with --https; writes the user's client certificate next to the inventory)")
	if code, ok := parseFlags(fs, args, stdio, "winplay lab [flags]\n\nServes simulated Windows hosts over WinRM until interrupted.\n"); !ok {
		return code
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return runner.ExitInvalid
	}
	cfg, err := lf.specs()
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
	if password == "" {
		fmt.Fprintln(stdio.Err, "winplay lab: --password must not be empty")
		return runner.ExitInvalid
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
	fmt.Fprintf(stdio.Err, "cluster nodes: %s\n", strings.Join(l.Config().Cluster, ", "))
	fmt.Fprint(stdio.Err, l.RealmHelp())
	if invOut != "" {
		fmt.Fprintf(stdio.Err, "inventory written to %s; its password comes from $%s:\n  export %s='%s'\n  winplay run PLAYBOOK -i %s\n",
			invOut, labPasswordEnv, labPasswordEnv, strings.ReplaceAll(password, "'", `'\''`), invOut)
	}
	fmt.Fprintln(stdio.Err, "serving until interrupted (Ctrl+C)")
	<-ctx.Done()
	return runner.ExitOK
}

// writeLabInventory writes the lab's inventory with password_env instead
// of the password and, for HTTPS, the CA certificate beside it (and the
// user's client certificate and key, when the lab maps them).
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
