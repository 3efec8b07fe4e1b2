package inventory

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zclconf/go-cty/cty"
)

const fixtures = "../testdata/inventory"

// env returns a Getenv that sees only the given variables.
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

var testEnv = env(map[string]string{
	"WINPLAY_PASSWORD":     "s3cret-Pa55",
	"WINPLAY_LAB_PASSWORD": "lab-Pa55",
})

// load loads a fixture that must be valid.
func load(t *testing.T, name string) *Inventory {
	t.Helper()
	inv, diags := Load(filepath.Join(fixtures, name), LoadOptions{Getenv: testEnv})
	require.False(t, diags.HasErrors(), "%s", diags.Error())
	require.NotNil(t, inv)
	return inv
}

// writeFile writes an inventory into a temporary directory and returns
// its path.
func writeFile(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "inventory.hcl")
	require.NoError(t, os.WriteFile(path, []byte(src), 0o600))
	return path
}

func host(t *testing.T, inv *Inventory, name string) *Host {
	t.Helper()
	h, ok := inv.Host(name)
	require.True(t, ok, "host %q", name)
	return h
}

func assertVars(t *testing.T, want map[string]cty.Value, got map[string]cty.Value) {
	t.Helper()
	assert.True(t, cty.ObjectVal(want).RawEquals(cty.ObjectVal(got)),
		"vars:\nwant %#v\ngot  %#v", cty.ObjectVal(want), cty.ObjectVal(got))
}

func TestLoadProd(t *testing.T) {
	inv := load(t, "prod.hcl")
	caPath, err := filepath.Abs(filepath.Join(fixtures, "corp-ca.pem"))
	require.NoError(t, err)
	caPEM, err := os.ReadFile(caPath)
	require.NoError(t, err)

	require.Len(t, inv.Hosts(), 2)
	node1, node2 := inv.Hosts()[0], inv.Hosts()[1]
	assert.Equal(t, "node1", node1.Name)
	assert.Equal(t, "node2", node2.Name)

	assert.Equal(t, "10.1.0.11", node1.Address)
	assert.Equal(t, []string{"all", "cluster"}, node1.Groups)
	assertVars(t, map[string]cty.Value{
		"domain":       cty.StringVal("CORP"),
		"cluster_name": cty.StringVal("CLUSTER1"),
		"role":         cty.StringVal("primary"),
	}, node1.Vars)
	want := Connection{
		Transport:        "basic", // the group cluster overrides the file
		HTTPS:            true,
		Port:             5986,
		User:             `CORP\svc-winplay`,
		PasswordEnv:      "WINPLAY_PASSWORD",
		CAFile:           caPath,
		CAPEM:            caPEM,
		ConnectTimeout:   5 * time.Second,
		OperationTimeout: 60 * time.Second,
	}
	want.SetPassword("s3cret-Pa55")
	assert.Equal(t, want, node1.Conn)
	assert.Equal(t, "https://10.1.0.11:5986/wsman", node1.Endpoint())

	// node2 is in web, nested in cluster, and overrides the port.
	assert.Equal(t, []string{"all", "cluster", "web"}, node2.Groups)
	want.Port = 25986
	assert.Equal(t, want, node2.Conn)
	assertVars(t, map[string]cty.Value{
		"domain":       cty.StringVal("CORP"),
		"cluster_name": cty.StringVal("CLUSTER1"),
	}, node2.Vars)

	assertVars(t, map[string]cty.Value{"domain": cty.StringVal("CORP")}, inv.Vars())
	require.Len(t, inv.Groups(), 2)
	assert.Equal(t, &Group{
		Name:     "cluster",
		Hosts:    []string{"node1", "node2"},
		Children: []string{"web"},
		Vars:     map[string]cty.Value{"cluster_name": cty.StringVal("CLUSTER1")},
	}, inv.Groups()[0])
	assert.Equal(t, &Group{Name: "web", Hosts: []string{"node2"}, Vars: map[string]cty.Value{}}, inv.Groups()[1])

	_, ok := inv.Host("node3")
	assert.False(t, ok)
}

func TestLoadDefaults(t *testing.T) {
	inv := load(t, "minimal.hcl")
	h := host(t, inv, "node1")
	assert.Equal(t, "node1", h.Address, "address defaults to the host name")
	assert.Equal(t, []string{"all", "ungrouped"}, h.Groups)
	assert.Empty(t, h.Vars)
	want := Connection{
		Transport:        "ntlm",
		Port:             5985,
		User:             "lab",
		PasswordEnv:      "WINPLAY_LAB_PASSWORD",
		ConnectTimeout:   10 * time.Second,
		OperationTimeout: 60 * time.Second,
	}
	want.SetPassword("lab-Pa55")
	assert.Equal(t, want, h.Conn)
	assert.Equal(t, "http://node1:5985/wsman", h.Endpoint())
}

func TestPrecedence(t *testing.T) {
	inv := load(t, "precedence.hcl")
	// Depths: alpha, site, zulu 1; dc 2; rack 3. Order: depth, then name.
	tests := []struct {
		host    string
		groups  []string
		vars    map[string]cty.Value
		address string
		conn    func(c *Connection)
	}{
		{
			host:   "h1",
			groups: []string{"all", "alpha", "site", "zulu", "dc", "rack"},
			vars: map[string]cty.Value{
				"level":   cty.StringVal("host"), // host beats every group
				"file":    cty.StringVal("yes"),
				"nested":  cty.ObjectVal(map[string]cty.Value{"from": cty.StringVal("dc")}), // replaced whole
				"numbers": cty.TupleVal([]cty.Value{cty.NumberIntVal(3)}),
				"letter":  cty.StringVal("z"), // zulu after alpha: same depth, later name wins
				"site":    cty.StringVal("hq"),
				"dc":      cty.StringVal("east"),
				"rack":    cty.StringVal("r1"),
			},
			address: "h1",
			conn: func(c *Connection) {
				c.Transport = "kerberos"           // alpha
				c.HTTPS = true                     // dc and alpha
				c.Port = 15986                     // site, though https comes from deeper groups
				c.User = `CORP\rack-user`          // rack, the deepest, beats dc
				c.ConnectTimeout = time.Second * 3 // host
			},
		},
		{
			host:   "h2",
			groups: []string{"all", "site", "dc"},
			vars: map[string]cty.Value{
				"level":   cty.StringVal("dc"),
				"file":    cty.StringVal("yes"),
				"nested":  cty.ObjectVal(map[string]cty.Value{"from": cty.StringVal("dc")}),
				"numbers": cty.TupleVal([]cty.Value{cty.NumberIntVal(3)}),
				"site":    cty.StringVal("hq"),
				"dc":      cty.StringVal("east"),
			},
			address: "h2",
			conn: func(c *Connection) {
				c.HTTPS = true
				c.Port = 15986
				c.User = `CORP\dc-user`
			},
		},
		{
			host:   "h3",
			groups: []string{"all", "alpha", "zulu"},
			vars: map[string]cty.Value{
				"level":   cty.StringVal("zulu"),
				"file":    cty.StringVal("yes"),
				"nested":  cty.ObjectVal(map[string]cty.Value{"from": cty.StringVal("file"), "only_file": cty.True}),
				"numbers": cty.TupleVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2)}),
				"letter":  cty.StringVal("z"),
			},
			address: "h3.corp.example",
			conn: func(c *Connection) {
				c.Transport = "kerberos"
				c.HTTPS = true
				c.Port = 5986 // no level sets port: the https default
			},
		},
		{
			host:   "h4",
			groups: []string{"all", "ungrouped"},
			vars: map[string]cty.Value{
				"level":   cty.StringVal("file"),
				"file":    cty.StringVal("yes"),
				"nested":  cty.ObjectVal(map[string]cty.Value{"from": cty.StringVal("file"), "only_file": cty.True}),
				"numbers": cty.TupleVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2)}),
			},
			address: "h4",
			conn:    func(c *Connection) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			h := host(t, inv, tt.host)
			assert.Equal(t, tt.groups, h.Groups)
			assertVars(t, tt.vars, h.Vars)
			assert.Equal(t, tt.address, h.Address)
			want := Connection{
				Transport:        "ntlm",
				Port:             5985,
				User:             `CORP\file-user`,
				PasswordEnv:      "WINPLAY_PASSWORD",
				ConnectTimeout:   7 * time.Second,
				OperationTimeout: 90 * time.Second,
			}
			tt.conn(&want)
			want.SetPassword("s3cret-Pa55")
			assert.Equal(t, want, h.Conn)
		})
	}
}

func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		file    string
		summary string
		line    int
		column  int
		detail  string // a part of the detail
	}{
		{"unknown_argument.hcl", "Unsupported argument", 8, 3, `Did you mean "address"?`},
		{"unknown_block.hcl", "Unsupported block type", 7, 1, `Did you mean "host"?`},
		{"unknown_connection_argument.hcl", "Unsupported argument", 5, 3, `Did you mean "transport"?`},
		{"unknown_host.hcl", "Unknown host", 11, 21, `host "node3", which is not defined in this inventory. Did you mean "node1"?`},
		{"unknown_child.hcl", "Unknown group", 12, 15, `Did you mean "web"?`},
		{"cycle.hcl", "Group cycle", 16, 25, "a → b → c → a"},
		{"duplicate_host.hcl", "Duplicate host", 8, 6, "already defined at ../testdata/inventory/invalid/duplicate_host.hcl:7,6-13"},
		{"duplicate_group.hcl", "Duplicate group", 10, 7, "already defined at"},
		{"host_and_group.hcl", "Name used for a host and a group", 9, 7, `"web" is already a host`},
		{"case_only.hcl", "Names differ only in case", 8, 6, `"NODE1" and the host "node1"`},
		{"bad_transport.hcl", "Invalid transport", 3, 18, `Did you mean "ntlm"?`},
		{"port_out_of_range.hcl", "Port out of range", 8, 23, "port = 70000"},
		{"bad_timeout.hcl", "Invalid duration", 5, 21, `connect_timeout = "5" is not a duration`},
		{"insecure_with_ca.hcl", "Conflicting TLS settings", 10, 27, "insecure_with_ca.hcl:6,18-34"},
		{"missing_ca_file.hcl", "CA file not found", 6, 18, "testdata/inventory/invalid/missing-ca.pem does not exist"},
		{"invalid_ca_file.hcl", "Invalid CA file", 6, 18, "holds no PEM-encoded certificate"},
		{"keytab_with_ntlm.hcl", "Setting of another transport", 5, 15, `keytab applies to transport = "kerberos"`},
		{"certificate_http.hcl", "Certificates require HTTPS", 3, 15, "set https = true (port 5986)"},
		{"bad_spn.hcl", "Invalid spn", 10, 22, `such as "HTTP/node1.corp.example.com"`},
		{"not_a_keytab.hcl", "Invalid keytab", 5, 15, "is not a keytab"},
		{"keytab_and_ticket_cache.hcl", "Two Kerberos logons", 5, 18, "keep one"},
		// A password's value is in the line shown; printers mask it (see
		// TestLoadPasswordNotShownInSnippet).
		{"password_attribute.hcl", "Password in inventory file", 4, 3, "The password argument is refused"},
		{"password_in_host.hcl", "Password in inventory file", 8, 3, "The password argument is refused"},
		{"password_env_value.hcl", "Invalid password_env", 4, 18, "if it is the password itself, remove it"},
		{"password_typo.hcl", "Password in inventory file", 4, 3, `"pasword" looks like a password argument`},
		{"password_one_line.hcl", "Password in inventory file", 7, 16, "The password argument is refused"},
		{"password_env_one_line.hcl", "Invalid password_env", 7, 31, "if it is the password itself, remove it"},
		{"password_first_line.hcl", "Password in inventory file", 1, 1, "The password argument is refused"},
		{"reserved_group.hcl", "Reserved name", 9, 7, "implicit group of every host"},
		{"bad_host_name.hcl", "Invalid host name", 7, 6, `"web*" is not a valid host name`},
		{"bad_glob_name.hcl", "Invalid group name", 9, 7, `"web[1]" is not a valid group name`},
		{"host_as_child.hcl", "Host listed as a group", 10, 15, "list it in hosts"},
		{"group_as_host.hcl", "Group listed as a host", 12, 12, "list it in children"},
		{"ungrouped_child.hcl", "Implicit group nested", 10, 15, `"ungrouped" is an implicit group`},
		{"duplicate_member.hcl", "Duplicate group member", 10, 21, `lists host "node1" twice`},
		{"missing_user.hcl", "Missing user", 6, 1, `hosts "node1", "node2"`},
		{"address_with_port.hcl", "Invalid address", 8, 13, "write port = 5986"},
		{"bad_vars.hcl", "Invalid vars", 7, 8, "not a string"},
		{"huge_number.hcl", "Invalid vars", 8, 10, `Variable "replicas" holds a number beyond 1e±1000`},
		{"variable_reference.hcl", "Variables not allowed", 8, 19, ""},
		{"duplicate_connection.hcl", "Duplicate connection block", 7, 1, ""},
		{"null_value.hcl", "Invalid value", 8, 24, "https must not be null"},
		{"wrong_type.hcl", "Invalid value", 5, 18, "https must be a bool, not a string"},
		{"syntax_error.hcl", "Unclosed configuration block", 2, 12, ""},
		{"hosts_not_list.hcl", "Invalid hosts", 10, 11, "must be a list of names"},
	}
	files, err := filepath.Glob(filepath.Join(fixtures, "invalid", "*.hcl"))
	require.NoError(t, err)
	require.Len(t, tests, len(files), "every invalid fixture has a test case")

	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".hcl"), func(t *testing.T) {
			path := filepath.Join(fixtures, "invalid", tt.file)
			inv, diags := Load(path, LoadOptions{Getenv: testEnv})
			assert.Nil(t, inv)
			require.True(t, diags.HasErrors())
			errs := diags.Errs()
			require.Len(t, errs, 1, "%s", diags.Error())
			d := diags[0]
			assert.Equal(t, tt.summary, d.Summary)
			assert.Contains(t, d.Detail, tt.detail)
			require.NotNil(t, d.Subject, "a diagnostic from a file has a source range")
			assert.Equal(t, path, d.Subject.Filename)
			assert.Equal(t, tt.line, d.Subject.Start.Line, "line")
			assert.Equal(t, tt.column, d.Subject.Start.Column, "column")
		})
	}
}

func TestLoadPasswordNotShownInSnippet(t *testing.T) {
	// Diagnostic printers show the subject's source lines; each diagnostic
	// says where in them a password may be, and a printer that masks
	// those ranges (runner.Redactor) shows the lines without it.
	parser := hclparse.NewParser()
	paths := []string{}
	for _, name := range []string{"password_attribute.hcl", "password_in_host.hcl", "password_env_value.hcl",
		"password_one_line.hcl", "password_env_one_line.hcl", "password_first_line.hcl", "password_typo.hcl"} {
		paths = append(paths, filepath.Join(fixtures, "invalid", name))
	}
	for _, src := range []string{
		// A misspelling on one line, and other mistakes on a password's line.
		"connection { passwd = \"Sup3rSecret!\" }\nhost \"node1\" {}\n",
		"connection {\n  user = \"lab\"\n}\nhost \"node1\" { password = \"Sup3rSecret!\" }\nhost \"node1\" { password = \"Sup3rSecret!\" }\n",
		"host \"bad name\" { secret = \"Sup3rSecret!\" }\n",
		// Files HCL cannot parse: an unclosed string or bracket.
		"connection {\n  user = \"lab\"\n  password = \"Sup3rSecret!\n}\n",
		"connection {\n  token = [\"Sup3rSecret!\"\n}\n",
		// An object key, and a heredoc over lines a diagnostic shows.
		"vars = { \"db_password\": \"Sup3rSecret!\", n = var.x }\nhost \"node1\" {}\n",
		"vars = {\n  api_token = <<EOT\nSup3r Secret!\nEOT\n  n = 1e9999\n}\nhost \"node1\" {}\n",
	} {
		paths = append(paths, writeFile(t, src))
	}
	for _, path := range paths {
		_, diags := Load(path, LoadOptions{Getenv: testEnv, Parser: parser})
		require.True(t, diags.HasErrors(), path)
		out := printMasked(t, parser.Files(), diags)
		for _, secret := range []string{"Passw0rd!", "Sup3rSecret!", "Sup3r Secret!"} {
			assert.NotContains(t, out, secret, path)
		}
		assert.Contains(t, out, "Error: ", path)
		assert.Contains(t, out, "#", "%s: the line is shown, masked:\n%s", path, out)
		assert.NotContains(t, out, "Unsupported argument", path)
	}

	// A password_env that names a variable is no secret.
	path := writeFile(t, "connection { password_env = \"WINPLAY_PASSWORD\" }\nhost \"web*\" {}\n")
	_, diags := Load(path, LoadOptions{Getenv: testEnv, Parser: parser})
	require.True(t, diags.HasErrors())
	_, marked := hcl.DiagnosticExtra[Secrets](diags[0])
	assert.False(t, marked, diags.Error())
}

// printMasked prints diags as a masking printer does, each byte of a
// range a diagnostic's Secrets names shown as #.
func printMasked(t *testing.T, files map[string]*hcl.File, diags hcl.Diagnostics) string {
	t.Helper()
	masked := map[string]*hcl.File{}
	for name, f := range files {
		masked[name] = &hcl.File{Body: f.Body, Bytes: bytes.Clone(f.Bytes), Nav: f.Nav}
	}
	for _, d := range diags {
		s, ok := hcl.DiagnosticExtra[Secrets](d)
		if !ok {
			continue
		}
		for _, rng := range s.SecretRanges() {
			src := masked[rng.Filename].Bytes
			for i := rng.Start.Byte; i < rng.End.Byte; i++ {
				if src[i] != '\n' {
					src[i] = '#'
				}
			}
		}
	}
	var out bytes.Buffer
	require.NoError(t, hcl.NewDiagnosticTextWriter(&out, masked, 100, false).WriteDiagnostics(diags))
	return out.String()
}

func TestLoadReportsAllProblemsInSourceOrder(t *testing.T) {
	path := writeFile(t, `
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
  port         = 0
}
host "a" {
  connection { transport = "credssp" }
}
group "g" { hosts = ["b", "a", "c"] }
`)
	_, diags := Load(path, LoadOptions{Getenv: testEnv})
	var got []string
	for _, d := range diags {
		got = append(got, d.Summary)
	}
	assert.Equal(t, []string{"Port out of range", "Invalid transport", "Unknown host", "Unknown host"}, got)
	assert.Equal(t, 10, diags[3].Subject.Start.Line)
	assert.Equal(t, 32, diags[3].Subject.Start.Column)
}

func TestLoadMissingFile(t *testing.T) {
	inv, diags := Load(filepath.Join(fixtures, "no-such-inventory.hcl"), LoadOptions{})
	assert.Nil(t, inv)
	require.True(t, diags.HasErrors())
	assert.Contains(t, diags.Error(), "no-such-inventory.hcl")
}

func TestLoadWithParserPrintsSnippets(t *testing.T) {
	parser := hclparse.NewParser()
	_, diags := Load(filepath.Join(fixtures, "invalid", "unknown_host.hcl"), LoadOptions{Getenv: testEnv, Parser: parser})
	require.True(t, diags.HasErrors())
	var out bytes.Buffer
	require.NoError(t, hcl.NewDiagnosticTextWriter(&out, parser.Files(), 100, false).WriteDiagnostics(diags))
	assert.Contains(t, out.String(), `on ../testdata/inventory/invalid/unknown_host.hcl line 11, in group "cluster":`)
	assert.Contains(t, out.String(), `hosts = ["node1", "node3"]`)
}

// Basic over plain HTTP is refused, as Windows refuses it by default,
// unless the inventory allows it where it means to.
func TestLoadBasicOverHTTPIsRefusedUnlessAllowed(t *testing.T) {
	src := `
connection {
  transport    = "basic"
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}
host "a" {}
host "b" {}
host "c" {
  connection { https = true }
}
`
	inv, diags := Load(writeFile(t, src), LoadOptions{Getenv: testEnv})
	require.Nil(t, inv)
	require.Len(t, diags, 1)
	assert.Equal(t, hcl.DiagError, diags[0].Severity)
	assert.Equal(t, "Basic authentication over HTTP", diags[0].Summary)
	assert.Contains(t, diags[0].Detail, `Hosts "a", "b" would send`)
	assert.Contains(t, diags[0].Detail, "allow_unencrypted = true")
	assert.Equal(t, 3, diags[0].Subject.Start.Line)

	allowed := strings.Replace(src, `user         = "lab"`, "user         = \"lab\"\n  allow_unencrypted = true", 1)
	inv, diags = Load(writeFile(t, allowed), LoadOptions{Getenv: testEnv})
	require.NotNil(t, inv, diags.Error())
	assert.Empty(t, diags)
	a, _ := inv.Host("a")
	assert.True(t, a.Conn.AllowUnencrypted)
	assert.Contains(t, a.Conn.String(), "unencrypted")
}

func TestLoadCAFile(t *testing.T) {
	dir := t.TempDir()
	pem, err := os.ReadFile(filepath.Join(fixtures, "corp-ca.pem"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ca.pem"), pem, 0o600))
	path := filepath.Join(dir, "inv.hcl")
	require.NoError(t, os.WriteFile(path, []byte(`
connection {
  https        = true
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
  ca_file      = "ca.pem"
}
host "verified" {}
host "lab" {
  connection {
    ca_file  = ""
    insecure = true
  }
}
`), 0o600))
	inv, diags := Load(path, LoadOptions{Getenv: testEnv})
	require.False(t, diags.HasErrors(), "%s", diags.Error())
	v := host(t, inv, "verified").Conn
	assert.Equal(t, filepath.Join(dir, "ca.pem"), v.CAFile, "relative to the inventory file, kept absolute")
	assert.Equal(t, pem, v.CAPEM)
	lab := host(t, inv, "lab").Conn
	assert.Empty(t, lab.CAFile, `ca_file = "" drops the inherited one`)
	assert.Nil(t, lab.CAPEM)
	assert.True(t, lab.Insecure)
}

func TestLoadEmptyLists(t *testing.T) {
	path := writeFile(t, `
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}
host "a" {}
group "g" {
  hosts    = []
  children = []
  vars     = {}
}
`)
	inv, diags := Load(path, LoadOptions{Getenv: testEnv})
	require.False(t, diags.HasErrors(), "%s", diags.Error())
	assert.Equal(t, []string{"all", "ungrouped"}, host(t, inv, "a").Groups)
	hosts, err := inv.Select("g")
	require.NoError(t, err)
	assert.Empty(t, hosts)
}

func TestLoadSharedCycleReportedOnce(t *testing.T) {
	path := writeFile(t, `
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}
host "a" {}
group "x" { children = ["x"] }
group "y" { children = ["x"] }
`)
	_, diags := Load(path, LoadOptions{Getenv: testEnv})
	require.Len(t, diags, 1, "%s", diags.Error())
	assert.Equal(t, "Group cycle", diags[0].Summary)
	assert.Contains(t, diags[0].Detail, "x → x")
}

func TestLoadIPv6Addresses(t *testing.T) {
	for _, tt := range []struct{ address, want, endpoint string }{
		{"[::1]", "::1", "http://[::1]:5985/wsman"},
		{"fd00::11", "fd00::11", "http://[fd00::11]:5985/wsman"},
		{"[fd00::11]", "fd00::11", "http://[fd00::11]:5985/wsman"},
		{"10.1.0.11", "10.1.0.11", "http://10.1.0.11:5985/wsman"},
	} {
		path := writeFile(t, `
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}
host "node1" { address = "`+tt.address+`" }
`)
		inv, diags := Load(path, LoadOptions{Getenv: testEnv})
		require.False(t, diags.HasErrors(), "%s: %s", tt.address, diags.Error())
		h := host(t, inv, "node1")
		assert.Equal(t, tt.want, h.Address, tt.address)
		assert.Equal(t, tt.endpoint, h.Endpoint(), tt.address)
	}
	for address, detail := range map[string]string{
		"[::1]:5985":  "includes a port; write port = 5985",
		"[node1]":     "only enclose an IPv6 address",
		"[10.0.0.1]":  "only enclose an IPv6 address",
		"[::1":        "only enclose an IPv6 address",
		"node1:x:y":   "is neither a DNS name nor an IP address",
		"fd00::11:99": "",
	} {
		path := writeFile(t, `
connection {
  user         = "lab"
  password_env = "WINPLAY_PASSWORD"
}
host "node1" { address = "`+address+`" }
`)
		_, diags := Load(path, LoadOptions{Getenv: testEnv})
		if detail == "" {
			assert.False(t, diags.HasErrors(), "%s: %s", address, diags.Error())
			continue
		}
		require.True(t, diags.HasErrors(), address)
		assert.Contains(t, diags.Error(), detail, address)
	}
}
