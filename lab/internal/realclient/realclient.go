// Package realclient finds and runs the WinRM clients nobody here wrote
// (pywinrm, Ansible, winrmcp, masterzen/winrm used directly), for the
// tests that prove the lab against them.
//
// A missing client is a loud skip on a developer's machine with only Go,
// so that the README's `go test ./...` passes there, and a failure in CI
// (CI or WINPLAY_REQUIRE_REAL_CLIENTS set, as .ci/run does): the lab is
// only proven against real clients.
package realclient

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/masterzen/winrm"
	"github.com/stretchr/testify/require"
)

// DebianPython is Debian's interpreter, which has python3-winrm; the
// python3 on PATH may be a pyenv without it.
const DebianPython = "/usr/bin/python3"

// InstallHint is how to install every real client the tests use.
const InstallHint = "apt-get install python3-winrm python3-requests-kerberos krb5-user ansible winrmcp"

// Require stops the test when check says a client is not usable: a skip
// outside CI, a failure in it.
func Require(t testing.TB, what string, check func() error) {
	t.Helper()
	err := check()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "" && os.Getenv("WINPLAY_REQUIRE_REAL_CLIENTS") == "" {
		t.Skipf("SKIPPING REAL-CLIENT TEST: %s is not usable (%v); the lab is NOT proven against %s on this machine "+
			"(install it with: %s; CI fails instead of skipping)", what, err, what, InstallHint)
	}
	t.Fatalf("%s is not usable: %v\ninstall it with: %s", what, err, InstallHint)
}

// Pywinrm requires DebianPython with pywinrm and its NTLM support, and
// returns the interpreter's path.
func Pywinrm(t testing.TB) string {
	t.Helper()
	Require(t, "pywinrm ("+DebianPython+" with python3-winrm)", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, DebianPython, "-c", "import winrm, requests_ntlm").CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	})
	return DebianPython
}

// PywinrmKerberos requires pywinrm with Debian's python3-requests-kerberos
// and MIT's kinit, which fills the ticket cache pywinrm's Kerberos uses.
func PywinrmKerberos(t testing.TB) string {
	t.Helper()
	py := Pywinrm(t)
	Require(t, "pywinrm's Kerberos (python3-requests-kerberos, krb5-user)", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, DebianPython, "-c", "import requests_kerberos, kerberos").CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		_, err = exec.LookPath("kinit")
		return err
	})
	return py
}

// Program requires the program name on PATH and returns its path.
func Program(t testing.TB, name string) string {
	t.Helper()
	var path string
	Require(t, name, func() error {
		var err error
		path, err = exec.LookPath(name)
		return err
	})
	return path
}

// Env is the environment for Python clients: an OpenSSL config with the
// legacy provider (ntlm-auth computes MD4 with hashlib, which OpenSSL 3
// keeps there), no proxies for loopback, and no CA bundle variables,
// which make pywinrm 0.3.0 ignore its own certificate settings.
func Env(t testing.TB, extra ...string) []string {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "openssl-legacy.cnf")
	require.NoError(t, os.WriteFile(conf, []byte("openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n"+
		"[provider_sect]\ndefault = default_sect\nlegacy = legacy_sect\n"+
		"[default_sect]\nactivate = 1\n[legacy_sect]\nactivate = 1\n"), 0o600))
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(name) {
		case "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "OPENSSL_CONF", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
			"KRB5_CONFIG", "KRB5CCNAME", "KRB5_KTNAME", "KRB5_CLIENT_KTNAME", "KRB5_TRACE":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "OPENSSL_CONF="+conf, "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost")
	return append(env, extra...)
}

// Result is what one command produced.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Exec runs one command in a reused masterzen shell, draining stdout and
// stderr concurrently as masterzen requires, and sends Signal terminate.
func Exec(ctx context.Context, sh *winrm.Shell, stdin []byte, command string, args ...string) (Result, error) {
	cmd, err := sh.ExecuteWithContext(ctx, command, args...)
	if err != nil {
		return Result{}, fmt.Errorf("execute %q: %w", command, err)
	}
	var stdout, stderr bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, _ = io.Copy(&stdout, cmd.Stdout) }()
	go func() { defer wg.Done(); _, _ = io.Copy(&stderr, cmd.Stderr) }()
	if stdin != nil {
		if _, err := cmd.Stdin.Write(stdin); err != nil {
			return Result{}, fmt.Errorf("stdin of %q: %w", command, err)
		}
		if err := cmd.Stdin.Close(); err != nil {
			return Result{}, fmt.Errorf("close stdin of %q: %w", command, err)
		}
	}
	waited := make(chan struct{})
	go func() { cmd.Wait(); wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(30 * time.Second):
		return Result{}, fmt.Errorf("command %q did not finish in 30s", command)
	}
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), Code: cmd.ExitCode()}
	if err := cmd.Close(); err != nil {
		return res, fmt.Errorf("signal %q: %w", command, err)
	}
	return res, cmd.Error()
}

// Masterzen returns a masterzen/winrm client for host:port with the given
// transport: "basic", "ntlm" (ClientNTLM) or "encryption" (NTLM with
// message encryption); caPEM is the CA to trust over HTTPS.
func Masterzen(host string, port int, https bool, caPEM []byte, transport, user, password, opTimeout string) (*winrm.Client, error) {
	ep := winrm.NewEndpoint(host, port, https, false, caPEM, nil, nil, 10*time.Second)
	params := winrm.NewParameters(opTimeout, "en-US", 153600)
	switch transport {
	case "basic":
	case "ntlm":
		params.TransportDecorator = func() winrm.Transporter { return &winrm.ClientNTLM{} }
	case "encryption":
		enc, err := winrm.NewEncryption("ntlm")
		if err != nil {
			return nil, err
		}
		params.TransportDecorator = func() winrm.Transporter { return enc }
	default:
		return nil, fmt.Errorf("unknown masterzen transport %q", transport)
	}
	return winrm.NewClientWithParameters(ep, user, password, params)
}

//go:embed pywinrm_run.py
var pywinrmRun []byte

// Target is a WinRM endpoint as pywinrm's Protocol takes it.
type Target struct {
	Endpoint  string
	Transport string // basic, ntlm, kerberos, certificate
	// Encryption is pywinrm's message_encryption: auto, always or never.
	Encryption     string
	User, Password string
	// CAPEM is the CA to trust over HTTPS.
	CAPEM []byte
	// Env is added to the client's environment: KRB5_CONFIG and
	// KRB5CCNAME for Kerberos.
	Env []string
	// WrapIOVShim gives Debian's pykerberos the WinRM sealing functions
	// pywinrm's Kerberos encryption needs (see pywinrm_run.py).
	WrapIOVShim bool
	// Delegate is pywinrm's kerberos_delegation.
	Delegate bool
	// HostnameOverride is pywinrm's kerberos_hostname_override.
	HostnameOverride string
	// CertPEM and KeyPEM are a client certificate and its key, for the
	// certificate transport.
	CertPEM, KeyPEM []byte
	// PipedStdin runs the commands with console_mode_stdin=False
	// (WINRS_CONSOLEMODE_STDIN FALSE), as winrs does when its input is a
	// pipe.
	PipedStdin bool
	// CommandTimeoutSec, when set, gives up on a command that has not
	// finished after that many seconds (PywinrmError CommandTimeout).
	CommandTimeoutSec int
}

// PywinrmError is what pywinrm raised.
type PywinrmError struct {
	Type, Message string
}

func (e *PywinrmError) Error() string { return e.Type + ": " + e.Message }

// RunPywinrm runs the command lines in one pywinrm shell against target
// (requiring pywinrm) and returns what each printed and its exit code.
func RunPywinrm(t testing.TB, target Target, commands ...string) []Result {
	t.Helper()
	out, err := TryPywinrm(t, target, commands...)
	require.NoError(t, err)
	return out
}

// TryPywinrm is RunPywinrm for a run that may fail: it returns what pywinrm
// raised as a *PywinrmError.
func TryPywinrm(t testing.TB, target Target, commands ...string) ([]Result, error) {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "pywinrm_run.py")
	require.NoError(t, os.WriteFile(script, pywinrmRun, 0o600))
	in := map[string]any{
		"endpoint": target.Endpoint, "transport": target.Transport, "user": target.User, "password": target.Password,
		"message_encryption": target.Encryption, "ca_trust_path": nil, "commands": commands,
		"wrap_iov_shim": target.WrapIOVShim, "kerberos_delegation": target.Delegate,
		"kerberos_hostname_override": target.HostnameOverride,
		"console_mode_stdin":         !target.PipedStdin, "command_timeout_sec": target.CommandTimeoutSec,
	}
	if target.CAPEM != nil {
		ca := filepath.Join(dir, "ca.pem")
		require.NoError(t, os.WriteFile(ca, target.CAPEM, 0o600))
		in["ca_trust_path"] = ca
	}
	if target.CertPEM != nil {
		in["cert_pem"] = filepath.Join(dir, "client.pem")
		in["cert_key_pem"] = filepath.Join(dir, "client.key")
		require.NoError(t, os.WriteFile(in["cert_pem"].(string), target.CertPEM, 0o600))
		require.NoError(t, os.WriteFile(in["cert_key_pem"].(string), target.KeyPEM, 0o600))
	}
	var rep struct {
		Commands []struct {
			Stdout, Stderr []byte
			RC             int
		}
		Error, Message string
	}
	RunScriptEnv(t, script, in, &rep, target.Env...)
	if rep.Error != "" {
		return nil, &PywinrmError{Type: rep.Error, Message: rep.Message}
	}
	require.Len(t, rep.Commands, len(commands))
	out := make([]Result, len(commands))
	for i, c := range rep.Commands {
		out[i] = Result{Stdout: string(c.Stdout), Stderr: string(c.Stderr), Code: c.RC}
	}
	return out, nil
}

// RunScript runs the Python script at path with pywinrm's interpreter
// (requiring pywinrm), input as its one JSON argument, and decodes the
// JSON it prints into out.
func RunScript(t testing.TB, path string, input, out any) {
	t.Helper()
	RunScriptEnv(t, path, input, out)
}

// RunScriptEnv is RunScript with extra environment variables.
func RunScriptEnv(t testing.TB, path string, input, out any, env ...string) {
	t.Helper()
	py := Pywinrm(t)
	arg, err := json.Marshal(input)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, path, string(arg))
	cmd.Env = Env(t, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "%s failed:\n%s", filepath.Base(path), stderr.String())
	require.NoError(t, json.Unmarshal(stdout.Bytes(), out), stdout.String())
}

// AnsibleHost is one inventory host that Ansible's winrm connection reaches
// over HTTP.
type AnsibleHost struct {
	Name, Address  string
	Port           int
	Transport      string // basic, ntlm
	User, Password string
}

// RunAnsible runs ad hoc ansible against hosts, all at once, with the
// module arguments args (requiring ansible and pywinrm), and returns what
// it printed.
func RunAnsible(t testing.TB, hosts []AnsibleHost, args ...string) string {
	t.Helper()
	python := Pywinrm(t)
	ansible := Program(t, "ansible")
	dir := t.TempDir()
	var inv strings.Builder
	inv.WriteString("[lab]\n")
	for _, h := range hosts {
		fmt.Fprintf(&inv, "%s ansible_host=%s ansible_port=%d ansible_connection=winrm ansible_winrm_scheme=http "+
			"ansible_user=%s ansible_password=%s ansible_winrm_transport=%s ansible_winrm_operation_timeout_sec=20 "+
			"ansible_winrm_read_timeout_sec=30\n", h.Name, h.Address, h.Port, h.User, h.Password, h.Transport)
	}
	inventory := filepath.Join(dir, "inventory.ini")
	require.NoError(t, os.WriteFile(inventory, []byte(inv.String()), 0o600))
	cfg := filepath.Join(dir, "ansible.cfg")
	require.NoError(t, os.WriteFile(cfg, []byte("[defaults]\n"), 0o600))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	argv := append([]string{"-i", inventory, "lab", "--forks", strconv.Itoa(len(hosts))}, args...)
	cmd := exec.CommandContext(ctx, ansible, argv...)
	cmd.Dir = dir
	cmd.Env = Env(t, "HOME="+dir, "ANSIBLE_CONFIG="+cfg, "ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, "tmp"),
		"ANSIBLE_HOST_KEY_CHECKING=False", "ANSIBLE_NOCOLOR=1", "ANSIBLE_FORCE_COLOR=0",
		"ANSIBLE_PYTHON_INTERPRETER="+python, "ANSIBLE_DEPRECATION_WARNINGS=False")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "ansible failed:\n%s", out)
	return string(out)
}
