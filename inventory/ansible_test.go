package inventory

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// readAnsible reads an Ansible fixture as Load does.
func readAnsible(t *testing.T, path string) *ansibleInv {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	var a *ansibleInv
	var diags hcl.Diagnostics
	switch Format(path, src) {
	case FormatINI:
		a, diags = readAnsibleINI(src, path)
	case FormatYAML:
		a, diags = readAnsibleYAML(src, path)
	default:
		t.Fatalf("%s is not read as an Ansible inventory", path)
	}
	require.False(t, diags.HasErrors(), "%s: %s", path, diags)
	return a
}

// listed is what ansible-inventory --list prints, decoded.
type listed struct {
	groups   map[string][]string // group → direct hosts
	children map[string][]string
	hostvars map[string]map[string]any
}

func decodeList(t *testing.T, data []byte) listed {
	t.Helper()
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &raw))
	l := listed{groups: map[string][]string{}, children: map[string][]string{}, hostvars: map[string]map[string]any{}}
	for name, body := range raw {
		if name == "_meta" {
			var meta struct {
				Hostvars map[string]map[string]any `json:"hostvars"`
			}
			require.NoError(t, json.Unmarshal(body, &meta))
			l.hostvars = meta.Hostvars
			continue
		}
		var g struct {
			Hosts    []string `json:"hosts"`
			Children []string `json:"children"`
		}
		require.NoError(t, json.Unmarshal(body, &g))
		slices.Sort(g.Hosts)
		slices.Sort(g.Children)
		if len(g.Hosts) > 0 {
			l.groups[name] = g.Hosts
		}
		if name != GroupAll && len(g.Children) > 0 {
			l.children[name] = g.Children
		}
	}
	return l
}

// ours is the same picture of winplay's reading: every variable kept as a
// variable (no connection settings), merged by winplay's precedence.
func ours(t *testing.T, a *ansibleInv) listed {
	t.Helper()
	plain := func(vars []ansibleVar) map[string]cty.Value {
		m := map[string]cty.Value{}
		for _, v := range vars {
			m[v.name] = v.val
		}
		return m
	}
	d := &decls{vars: plain(a.allVars), conn: connLayer{user: set("x")}}
	for _, h := range a.hosts {
		d.hosts = append(d.hosts, &hostDecl{name: h.name, vars: plain(h.vars)})
	}
	for _, g := range a.groups {
		if g.name != GroupUngrouped {
			d.groups = append(d.groups, &groupDecl{name: g.name, hosts: g.hosts, children: g.children, vars: plain(g.vars)})
		}
	}
	b, diags := build(d)
	require.False(t, diags.HasErrors(), diags.Error())
	l := listed{groups: map[string][]string{}, children: map[string][]string{}, hostvars: map[string]map[string]any{}}
	for _, g := range b.inv.Groups() {
		if len(g.Hosts) > 0 {
			l.groups[g.Name] = slices.Sorted(slices.Values(g.Hosts))
		}
		if len(g.Children) > 0 {
			l.children[g.Name] = slices.Sorted(slices.Values(g.Children))
		}
	}
	var ungrouped []string
	for _, h := range b.inv.Hosts() {
		if slices.Contains(h.Groups, GroupUngrouped) {
			ungrouped = append(ungrouped, h.Name)
		}
		if len(h.Vars) == 0 {
			continue
		}
		js, err := ctyjson.Marshal(cty.ObjectVal(h.Vars), cty.ObjectVal(h.Vars).Type())
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(js, &m))
		l.hostvars[h.Name] = m
	}
	if len(ungrouped) > 0 {
		l.groups[GroupUngrouped] = slices.Sorted(slices.Values(ungrouped))
	}
	return l
}

// TestAnsibleInventoriesReadAsAnsibleReadsThem reads the examples of
// Ansible's documentation and of its ini plugin, and holds the hosts,
// groups, children and merged host variables to what ansible-inventory
// --list printed for them (kept beside each file), and, where Ansible is
// installed, to what it prints now.
func TestAnsibleInventoriesReadAsAnsibleReadsThem(t *testing.T) {
	files, err := filepath.Glob("../testdata/inventory/ansible/*.list.json")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 8)
	for _, golden := range files {
		src := strings.TrimSuffix(golden, ".list.json")
		t.Run(filepath.Base(src), func(t *testing.T) {
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			assert.Equal(t, decodeList(t, want), ours(t, readAnsible(t, src)))
		})
	}
	ansibleInventory := requireProgram(t, "ansible-inventory")
	// ansible-inventory takes half a second to start: all at once.
	type listing struct {
		out []byte
		err error
	}
	outs := make([]listing, len(files))
	var wg sync.WaitGroup
	for i, golden := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			outs[i].out, outs[i].err = exec.CommandContext(ctx, ansibleInventory, "-i", strings.TrimSuffix(golden, ".list.json"), "--list").Output()
		}()
	}
	wg.Wait()
	for i, golden := range files {
		require.NoError(t, outs[i].err, golden)
		want, _ := os.ReadFile(golden)
		assert.Equal(t, decodeList(t, want), decodeList(t, outs[i].out), "%s: ansible-inventory now prints something else", golden)
	}
}

// requireProgram finds a program the test compares against: a loud skip
// without it on a developer's machine, a failure in CI, as the lab's
// real-client tests do.
func requireProgram(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "" && os.Getenv("WINPLAY_REQUIRE_REAL_CLIENTS") == "" {
		t.Skipf("SKIPPING: %s is not installed (apt-get install ansible); CI fails instead", name)
	}
	t.Fatalf("%s is not installed: apt-get install ansible", name)
	return ""
}

func loadAnsible(t *testing.T, name, src string, env map[string]string) (*Inventory, hcl.Diagnostics) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(src), 0o600))
	return Load(path, LoadOptions{Getenv: func(k string) string { return env[k] }})
}

func TestAnsibleConnectionVariables(t *testing.T) {
	t.Parallel()
	env := map[string]string{"WINPLAY_PASSWORD": "pw", "CLUSTER_PW": "pw2"}
	inv, diags := loadAnsible(t, "hosts", `
# an Ansible inventory named like Ansible's default, without an extension
[cluster]
node1 ansible_host=10.1.0.11
node2 ansible_host=10.1.0.12 ansible_port=5985
node3:5999 ansible_winrm_scheme=http

[dc]
dc1 ansible_host=10.1.0.2 ansible_user=admin@CORP.EXAMPLE.COM ansible_winrm_transport=kerberos,ntlm

[cluster:vars]
ansible_connection=winrm
ansible_user=CORP\svc-winplay
ansible_winrm_transport=ntlm
ansible_winrm_server_cert_validation=ignore
ansible_winrm_kerberos_delegation=true
winplay_password_env=CLUSTER_PW
role=node

[all:vars]
ansible_winrm_operation_timeout_sec=30
site=lon
`, env)
	require.False(t, diags.HasErrors(), diags.Error())
	host := func(name string) *Host {
		h, ok := inv.Host(name)
		require.True(t, ok, name)
		return h
	}
	n1, n2, n3, dc := host("node1"), host("node2"), host("node3"), host("dc1")
	assert.Equal(t, "https://10.1.0.11:5986/wsman", n1.Endpoint(), "ansible.windows' default port 5986 and https")
	assert.Equal(t, "http://10.1.0.12:5985/wsman", n2.Endpoint(), "port 5985 means http, as Ansible decides")
	assert.Equal(t, "http://node3:5999/wsman", n3.Endpoint(), "host:port, and the scheme given")
	assert.Equal(t, TransportNTLM, n1.Conn.Transport)
	assert.Equal(t, `CORP\svc-winplay`, n1.Conn.User)
	assert.True(t, n1.Conn.Insecure)
	assert.Equal(t, "CLUSTER_PW", n1.Conn.PasswordEnv)
	assert.Equal(t, "pw2", n1.Conn.Password())
	assert.Equal(t, 30*time.Second, n1.Conn.OperationTimeout)
	assert.Equal(t, map[string]cty.Value{"role": cty.StringVal("node"), "site": cty.StringVal("lon")}, n1.Vars,
		"connection variables are settings, not host variables")

	assert.Equal(t, TransportKerberos, dc.Conn.Transport, "the first transport of a list")
	assert.Equal(t, "admin@CORP.EXAMPLE.COM", dc.Conn.User)
	assert.Equal(t, "WINPLAY_PASSWORD", dc.Conn.PasswordEnv, "the default password variable")
	assert.False(t, dc.Conn.Insecure)
	assert.Equal(t, []string{"all", "cluster"}, n1.Groups)

	var warned []string
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning {
			warned = append(warned, d.Detail)
		}
	}
	assert.Contains(t, strings.Join(warned, "\n"), "ansible_winrm_kerberos_delegation is ignored")
}

func TestAnsibleInventoryMistakes(t *testing.T) {
	t.Parallel()
	env := map[string]string{"WINPLAY_PASSWORD": "pw"}
	for _, tc := range []struct {
		name, file, src, want string
		secret                string
		masked                bool
	}{
		{"a password in a host line", "hosts.ini", "[w]\nnode1 ansible_user=a ansible_password=Hunter2Secret\n",
			"ansible_password is refused", "Hunter2Secret", true},
		{"a password in a vars section", "hosts.ini", "[w]\nnode1\n[w:vars]\nansible_user=a\nansible_winrm_password = Hunter2Secret\n",
			"ansible_winrm_password is refused", "Hunter2Secret", true},
		{"the documentation's NTLM host vars", "../testdata/inventory/ansible/winrm-ntlm.yml", "",
			"ansible_password is refused", "", true},
		{"a vault value", "hosts.yml", "all:\n  hosts:\n    node1:\n      ansible_user: a\n      ansible_become_password: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        6661313066636562\n",
			"ansible_become_password is refused", "6661313066636562", true},
		{"an ssh host", "hosts.ini", "[w]\nnode1 ansible_connection=ssh ansible_user=a\n",
			`ansible_connection = "ssh": winplay connects over WinRM only`, "", false},
		{"credssp", "hosts.ini", "[w]\nnode1 ansible_user=a ansible_winrm_transport=credssp\n",
			"winplay speaks basic (pywinrm's plaintext and ssl), ntlm and kerberos, not credssp", "", false},
		{"an unknown child", "hosts.ini", "[w:children]\nweb\n",
			`names group "web", which the inventory never declares`, "", false},
		{"a bad range", "hosts.ini", "[w]\nweb[01:5]\n", "pads its start with zeros", "", false},
		{"a YAML list for hosts", "hosts.yml", "all:\n  children:\n    w:\n      hosts: [a, b]\n      vars: 3\n", "must be a map", "", false},
		{"no user", "hosts.ini", "[w]\nnode1\n", `No user is set for host "node1". Set ansible_user`, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var diags hcl.Diagnostics
			if tc.src == "" {
				_, diags = Load(tc.file, LoadOptions{Getenv: func(k string) string { return env[k] }})
			} else {
				_, diags = loadAnsible(t, tc.file, tc.src, env)
			}
			require.True(t, diags.HasErrors(), tc.name)
			assert.Contains(t, diags.Error(), tc.want)
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					assert.NotNil(t, d.Subject, "%s: %s has no place in the file", tc.name, d.Summary)
				}
			}
			if tc.secret != "" {
				assert.NotContains(t, diags.Error(), tc.secret)
			}
			if tc.masked {
				// The diagnostic printer masks these ranges in the lines it shows.
				secrets, ok := diags[0].Extra.(Secrets)
				require.True(t, ok, "the diagnostics carry the secret's ranges")
				assert.NotEmpty(t, secrets.SecretRanges())
			}
		})
	}
}

func TestInventoryFormatDetection(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, src, want string }{
		{"inv.hcl", "[w]\nx\n", FormatHCL},
		{"hosts", "# comment\n\nconnection {\n  user = \"a\"\n}\n", FormatHCL},
		{"hosts", "host \"node1\" {}\n", FormatHCL},
		{"hosts", "mail.example.com\n\n[web]\n", FormatINI},
		{"hosts", "; comment\n[web:children]\n", FormatINI},
		{"hosts", "all:\n  hosts:\n", FormatYAML},
		{"hosts", "---\nall:\n", FormatYAML},
		{"inventory", "{\"_meta\": {}}", FormatYAML},
		{"x.yml", "", FormatYAML},
		{"x.json", "{}", FormatYAML},
		{"x.ini", "", FormatINI},
	} {
		assert.Equal(t, tc.want, Format(tc.name, []byte(tc.src)), "%s: %q", tc.name, tc.src)
	}
}

func TestMissingInventoryFileSaysSo(t *testing.T) {
	t.Parallel()
	_, diags := Load(filepath.Join(t.TempDir(), "nope.hcl"), LoadOptions{})
	require.True(t, diags.HasErrors())
	assert.Contains(t, diags.Error(), "no such file or directory")
}

func TestHostRangesAndPorts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    string
		names []string
		port  string
	}{
		{"www[01:05:2].example.com", []string{"www01.example.com", "www03.example.com", "www05.example.com"}, ""},
		{"db-[a:c]", []string{"db-a", "db-b", "db-c"}, ""},
		{"n[1:2]-[a:b]", []string{"n1-a", "n1-b", "n2-a", "n2-b"}, ""},
		{"badwolf.example.com:5309", []string{"badwolf.example.com"}, "5309"},
		{"[fe80::1]:5986", []string{"fe80::1"}, "5986"},
		{"fe80::1", []string{"fe80::1"}, ""},
		{"10.0.0.1", []string{"10.0.0.1"}, ""},
	} {
		names, port, err := expandHostPattern(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.names, names, tc.in)
		assert.Equal(t, tc.port, port, tc.in)
	}
}

func TestPythonLiterals(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]cty.Value{
		"23":                  cty.NumberIntVal(23),
		"23 # a comment":      cty.NumberIntVal(23),
		"True":                cty.True,
		"'03#pa33w0rd'":       cty.StringVal("03#pa33w0rd"),
		`"x y"`:               cty.StringVal("x y"),
		"[1, 'a']":            cty.TupleVal([]cty.Value{cty.NumberIntVal(1), cty.StringVal("a")}),
		`{"k": 1}`:            cty.ObjectVal(map[string]cty.Value{"k": cty.NumberIntVal(1)}),
		"Administrator":       cty.StringVal("Administrator"),
		`CORP\svc-winplay`:    cty.StringVal(`CORP\svc-winplay`),
		"10.1.0.11":           cty.StringVal("10.1.0.11"),
		"0123":                cty.StringVal("0123"),
		"FALSE":               cty.StringVal("FALSE"),
		"Administrator # ops": cty.StringVal("Administrator # ops"),
	} {
		got := pyLiteral(in)
		assert.True(t, want.RawEquals(got), "%q: got %#v", in, got)
	}
}
