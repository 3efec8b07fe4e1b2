// Package kdc runs a real MIT Kerberos KDC (Debian's krb5-kdc: krb5kdc,
// kdb5_util, kadmin.local) for the lab and for tests: a throwaway realm in
// a directory of its own, listening on a loopback port chosen at start,
// with user principals, HTTP/ service principals and their keytab. It
// writes the krb5.conf a client needs (KRB5_CONFIG) and nothing outside
// its directory.
//
// The realm is what an Active Directory domain offers a WinRM client:
// AES keys only (aes256-cts-hmac-sha1-96 and aes128-cts-hmac-sha1-96, as
// AD issues them; no DES, no RC4, none of the SHA-2 types AD lacks), user
// principals that require pre-authentication, forwardable tickets, and
// service principals whose keys live in a keytab, as a computer account's
// do.
package kdc

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jcmturner/gokrb5/v8/keytab"
)

// DefaultRealm is the realm of the lab's domain, CORP.
const DefaultRealm = "CORP.TEST"

// Programs the KDC needs, from Debian's krb5-kdc and krb5-admin-server.
var (
	KDCProgram    = "/usr/sbin/krb5kdc"
	DBProgram     = "/usr/sbin/kdb5_util"
	AdminProgram  = "/usr/sbin/kadmin.local"
	KinitProgram  = "/usr/bin/kinit"
	enctypes      = "aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96"
	startAttempts = 5
)

// InstallHint is how to install what Start runs.
const InstallHint = "apt-get install krb5-kdc krb5-admin-server krb5-user"

// Config describes a realm.
type Config struct {
	// Realm defaults to DefaultRealm.
	Realm string
	// Dir holds the database, logs, krb5.conf and keytabs. Empty means a
	// new temporary directory, removed by Close.
	Dir string
	// Users are user principals (without the realm) and their passwords.
	Users map[string]string
	// Services are service principals (without the realm), such as
	// HTTP/127.0.0.1, created with random keys and written to Keytab.
	Services []string
	// ClockSkew is the realm's tolerance for clock differences; zero
	// means Kerberos' five minutes.
	ClockSkew time.Duration
}

// KDC is a running realm.
type KDC struct {
	realm    string
	dir      string
	ownDir   bool
	addr     string
	krb5Conf string
	kdcConf  string
	keytab   string
	env      []string

	mu    sync.Mutex
	known map[string]string // principals made so far: users → password, services → ""
	cmd   *exec.Cmd
	done  chan struct{} // closed when krb5kdc exited
	err   error         // how it exited
}

// Available reports whether the MIT programs Start runs are installed.
func Available() error {
	for _, p := range []string{KDCProgram, DBProgram, AdminProgram} {
		if _, err := exec.LookPath(p); err != nil {
			return fmt.Errorf("kdc: %s not found (%s): %w", p, InstallHint, err)
		}
	}
	return nil
}

// Start creates the realm, its principals and keytab, and starts krb5kdc
// on a free loopback port. On error nothing is left running.
func Start(cfg Config) (*KDC, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	if cfg.Realm == "" {
		cfg.Realm = DefaultRealm
	}
	if cfg.Realm != strings.ToUpper(cfg.Realm) || strings.ContainsAny(cfg.Realm, " \t\r\n/@\\\"{}") {
		return nil, fmt.Errorf("kdc: realm %q: use an upper-case name such as %s", cfg.Realm, DefaultRealm)
	}
	k := &KDC{realm: cfg.Realm, dir: cfg.Dir, known: map[string]string{}}
	if k.dir == "" {
		dir, err := os.MkdirTemp("", "winplay-kdc-")
		if err != nil {
			return nil, fmt.Errorf("kdc: %w", err)
		}
		k.dir, k.ownDir = dir, true
	} else if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return nil, fmt.Errorf("kdc: %w", err)
	}
	k.krb5Conf = filepath.Join(k.dir, "krb5.conf")
	k.kdcConf = filepath.Join(k.dir, "kdc.conf")
	k.keytab = filepath.Join(k.dir, "services.keytab")
	if err := k.start(cfg); err != nil {
		k.Close()
		return nil, err
	}
	return k, nil
}

func (k *KDC) start(cfg Config) error {
	skew := cfg.ClockSkew
	if skew <= 0 {
		skew = 5 * time.Minute
	}
	var lastErr error
	for attempt := 0; attempt < startAttempts; attempt++ {
		port, err := freePort()
		if err != nil {
			return fmt.Errorf("kdc: %w", err)
		}
		k.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if err := k.writeConfig(skew); err != nil {
			return err
		}
		k.env = append(cleanEnv(), "KRB5_CONFIG="+k.krb5Conf, "KRB5_KDC_PROFILE="+k.kdcConf)
		if attempt == 0 {
			if err := k.createDatabase(cfg); err != nil {
				return err
			}
		}
		if lastErr = k.run(); lastErr == nil {
			return nil
		}
	}
	return lastErr
}

// freePort finds a port free for both TCP and UDP on 127.0.0.1, where
// the KDC listens for both.
func freePort() (int, error) {
	for range 20 {
		tl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := tl.Addr().(*net.TCPAddr).Port
		ul, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		tl.Close()
		if err != nil {
			continue
		}
		ul.Close()
		return port, nil
	}
	return 0, errors.New("no loopback port free for both TCP and UDP")
}

// cleanEnv is the environment without another realm's settings.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "KRB5") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func (k *KDC) writeConfig(skew time.Duration) error {
	seconds := int(skew / time.Second)
	kdcConf := fmt.Sprintf(`[kdcdefaults]
 kdc_listen = %[2]s
 kdc_tcp_listen = %[2]s

[realms]
 %[1]s = {
  database_name = %[3]s
  key_stash_file = %[4]s
  acl_file = %[5]s
  supported_enctypes = %[6]s
  master_key_type = aes256-cts-hmac-sha1-96
  max_life = 10h
  max_renewable_life = 7d
 }

[logging]
 kdc = FILE:%[7]s
`, k.realm, k.addr, filepath.Join(k.dir, "principal"), filepath.Join(k.dir, "stash"),
		filepath.Join(k.dir, "kadm5.acl"), withSalt(enctypes), filepath.Join(k.dir, "kdc.log"))
	if err := os.WriteFile(k.kdcConf, []byte(kdcConf), 0o600); err != nil {
		return fmt.Errorf("kdc: %w", err)
	}
	if err := os.WriteFile(filepath.Join(k.dir, "kadm5.acl"), nil, 0o600); err != nil {
		return fmt.Errorf("kdc: %w", err)
	}
	return os.WriteFile(k.krb5Conf, []byte(k.Krb5Conf(seconds)), 0o644)
}

func withSalt(types string) string {
	var out []string
	for _, t := range strings.Fields(types) {
		out = append(out, t+":normal")
	}
	return strings.Join(out, " ")
}

// Krb5Conf returns the client configuration for the realm, the contents
// of Krb5ConfPath. Host names are taken as given, neither canonicalised
// through DNS nor looked up in reverse, so that an SPN names the address
// the client dials (HTTP/127.0.0.1), as the lab's inventories do; TCP is
// used first, since the KDC's replies outgrow a UDP datagram once tickets
// carry authorization data.
func (k *KDC) Krb5Conf(clockSkewSeconds int) string {
	domain := strings.ToLower(k.realm)
	return fmt.Sprintf(`[libdefaults]
 default_realm = %[1]s
 dns_lookup_kdc = false
 dns_lookup_realm = false
 dns_canonicalize_hostname = false
 rdns = false
 udp_preference_limit = 1
 forwardable = true
 clockskew = %[4]d
 default_tkt_enctypes = %[3]s
 default_tgs_enctypes = %[3]s
 permitted_enctypes = %[3]s

[realms]
 %[1]s = {
  kdc = %[2]s
  admin_server = %[2]s
 }

[domain_realm]
 .%[5]s = %[1]s
 %[5]s = %[1]s
`, k.realm, k.addr, enctypes, clockSkewSeconds, domain)
}

func (k *KDC) createDatabase(cfg Config) error {
	master := make([]byte, 16)
	if _, err := rand.Read(master); err != nil {
		return fmt.Errorf("kdc: %w", err)
	}
	if out, err := k.command(DBProgram, nil, "-r", k.realm, "create", "-s", "-P", hex.EncodeToString(master)); err != nil {
		return fmt.Errorf("kdc: creating the database of %s: %w: %s", k.realm, err, out)
	}
	for name, password := range cfg.Users {
		if err := k.AddUser(name, password); err != nil {
			return err
		}
	}
	return k.AddService(cfg.Services...)
}

// checkName refuses principal names that kadmin would read as more than
// one word.
func checkName(name string) error {
	if name == "" || strings.ContainsAny(name, " \t\r\n\"'@\\") {
		return fmt.Errorf("kdc: principal name %q: no spaces, quotes, @ or backslashes", name)
	}
	return nil
}

// quoteArg quotes a kadmin argument: kadmin splits its lines like a
// shell, with double quotes and backslashes.
func quoteArg(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// admin runs kadmin.local queries, one a line; kadmin.local reports a
// failed query on stderr but still exits 0, so any output there is the
// error.
func (k *KDC) admin(script string) error {
	out, err := k.command(AdminProgram, strings.NewReader(script), "-r", k.realm)
	if err != nil {
		return fmt.Errorf("kdc: kadmin: %w: %s", err, out)
	}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		// It notes that no password policy applies; that is no error.
		if line == "" || strings.HasPrefix(line, "No policy specified") || strings.HasPrefix(line, "Authenticating as principal") {
			continue
		}
		if strings.Contains(line, "while") || strings.Contains(line, "rror") || strings.Contains(line, "usage:") {
			return fmt.Errorf("kdc: kadmin: %s", line)
		}
	}
	return nil
}

// command runs one MIT program in the realm's environment and returns
// what it printed on stderr.
func (k *KDC) command(program string, stdin *strings.Reader, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Env = k.env
	cmd.Dir = k.dir
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	return strings.TrimSpace(stderr.String()), err
}

// run starts krb5kdc and waits until it accepts TCP connections.
func (k *KDC) run() error {
	// krb5kdc -n stays in the foreground, so it is this process's child;
	// Pdeathsig ends it should the process die without Close.
	cmd := exec.Command(KDCProgram, "-n", "-r", k.realm, "-P", filepath.Join(k.dir, "kdc.pid"))
	cmd.Env = k.env
	cmd.Dir = k.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("kdc: starting krb5kdc: %w", err)
	}
	done := make(chan struct{})
	k.mu.Lock()
	k.cmd, k.done = cmd, done
	k.mu.Unlock()
	go func() {
		err := cmd.Wait()
		k.mu.Lock()
		k.err = err
		k.mu.Unlock()
		close(done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("kdc: krb5kdc exited at start (%v): %s", k.err, strings.TrimSpace(out.String()))
		default:
		}
		c, err := net.DialTimeout("tcp", k.addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	k.stop()
	return fmt.Errorf("kdc: krb5kdc did not listen on %s within 10s: %s", k.addr, strings.TrimSpace(out.String()))
}

// Realm returns the realm's name.
func (k *KDC) Realm() string { return k.realm }

// Addr returns the host:port the KDC listens on (TCP and UDP).
func (k *KDC) Addr() string { return k.addr }

// Dir returns the realm's directory.
func (k *KDC) Dir() string { return k.dir }

// Krb5ConfPath returns the path of the realm's krb5.conf, for
// KRB5_CONFIG.
func (k *KDC) Krb5ConfPath() string { return k.krb5Conf }

// KeytabPath returns the keytab of the service principals.
func (k *KDC) KeytabPath() string { return k.keytab }

// Keytab loads the keytab of the service principals.
func (k *KDC) Keytab() (*keytab.Keytab, error) {
	kt, err := keytab.Load(k.keytab)
	if err != nil {
		return nil, fmt.Errorf("kdc: loading %s: %w", k.keytab, err)
	}
	return kt, nil
}

// Env returns the environment variables that point a client at the realm.
func (k *KDC) Env() []string { return []string{"KRB5_CONFIG=" + k.krb5Conf} }

// Principal returns name@REALM.
func (k *KDC) Principal(name string) string { return name + "@" + k.realm }

// AddUser creates a user principal that requires pre-authentication, as
// every AD account does. Adding a user again sets the password.
func (k *KDC) AddUser(name, password string) error {
	if err := checkName(name); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	prev, ok := k.known[name]
	switch {
	case ok && prev == password:
		return nil
	case ok:
		if err := k.admin(fmt.Sprintf("cpw -pw %s %s\n", quoteArg(password), name)); err != nil {
			return err
		}
	default:
		if err := k.admin(fmt.Sprintf("addprinc -pw %s +requires_preauth %s\n", quoteArg(password), name)); err != nil {
			return err
		}
	}
	k.known[name] = password
	return nil
}

// AddService creates service principals with random keys and adds them to
// the keytab KeytabPath; principals made before are left as they are.
func (k *KDC) AddService(spns ...string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	var script strings.Builder
	for _, spn := range spns {
		if err := checkName(spn); err != nil {
			return err
		}
		if _, ok := k.known[spn]; ok {
			continue
		}
		k.known[spn] = ""
		fmt.Fprintf(&script, "addprinc -randkey %s\nktadd -k %s %s\n", spn, k.keytab, spn)
	}
	if script.Len() == 0 {
		return nil
	}
	return k.admin(script.String())
}

// Modify runs kadmin's modprinc with flags, e.g. "+ok_as_delegate", on a
// principal.
func (k *KDC) Modify(name string, flags ...string) error {
	if err := checkName(name); err != nil {
		return err
	}
	for _, f := range flags {
		if err := checkName(f); err != nil {
			return err
		}
	}
	return k.admin(fmt.Sprintf("modprinc %s %s\n", strings.Join(flags, " "), name))
}

// UserKeytab writes a keytab for the user principal name to path with the
// keys its password gave it, so that a client can log on from the keytab
// while the password stays valid (ktadd -norandkey).
func (k *KDC) UserKeytab(name, path string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if strings.ContainsAny(path, " \t\r\n\"") {
		return fmt.Errorf("kdc: keytab path %q: no spaces or quotes", path)
	}
	return k.admin(fmt.Sprintf("ktadd -norandkey -k %s %s\n", path, name))
}

// Kinit gets a ticket-granting ticket for the user with MIT's kinit into
// the credential cache ccache (a path), as an admin does before running a
// client that uses the ticket cache.
func (k *KDC) Kinit(ctx context.Context, name, password, ccache string) error {
	cmd := exec.CommandContext(ctx, KinitProgram, "-f", "-c", "FILE:"+ccache, k.Principal(name))
	cmd.Env = k.env
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("kdc: kinit %s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Close stops the KDC and removes the realm's directory when Start made
// it.
func (k *KDC) Close() error {
	k.stop()
	if k.ownDir && k.dir != "" {
		return os.RemoveAll(k.dir)
	}
	return nil
}

func (k *KDC) stop() {
	k.mu.Lock()
	cmd, done := k.cmd, k.done
	k.cmd = nil
	k.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

var shared struct {
	once sync.Once
	kdc  *KDC
	err  error
}

// Shared returns one realm for the whole process, started at the first
// call, so that a package's tests share a KDC instead of starting one
// each. Tests add the principals they need; a package's TestMain calls
// StopShared after the tests.
func Shared() (*KDC, error) {
	shared.once.Do(func() { shared.kdc, shared.err = Start(Config{}) })
	return shared.kdc, shared.err
}

// StopShared stops the realm Shared started, if it did.
func StopShared() {
	if shared.kdc != nil {
		shared.kdc.Close()
	}
}
