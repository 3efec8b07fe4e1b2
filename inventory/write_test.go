package inventory

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zclconf/go-cty/cty"
)

// assertSameInventory compares two inventories host by host and group by
// group; variables are compared as cty values.
func assertSameInventory(t *testing.T, want, got *Inventory) {
	t.Helper()
	assertVars(t, want.Vars(), got.Vars())
	require.Len(t, got.Hosts(), len(want.Hosts()))
	for i, w := range want.Hosts() {
		g := got.Hosts()[i]
		assert.Equal(t, w.Name, g.Name)
		assert.Equal(t, w.Address, g.Address, w.Name)
		assert.Equal(t, w.Groups, g.Groups, w.Name)
		assertVars(t, w.Vars, g.Vars)
		assert.Equal(t, w.Conn, g.Conn, w.Name)
		assert.Equal(t, w.Conn.Password(), g.Conn.Password(), w.Name)
	}
	require.Len(t, got.Groups(), len(want.Groups()))
	for i, w := range want.Groups() {
		g := got.Groups()[i]
		assert.Equal(t, w.Name, g.Name)
		assert.Equal(t, w.Hosts, g.Hosts, w.Name)
		assert.Equal(t, w.Children, g.Children, w.Name)
		assertVars(t, w.Vars, g.Vars)
	}
}

// roundTrip writes inv to a file and loads it back.
func roundTrip(t *testing.T, inv *Inventory, getenv func(string) string) (*Inventory, string) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, inv))
	path := writeFile(t, buf.String())
	back, diags := Load(path, LoadOptions{Getenv: getenv})
	require.False(t, diags.HasErrors(), "%s\n%s", diags.Error(), buf.String())
	return back, buf.String()
}

func TestWriteRoundTrip(t *testing.T) {
	for _, name := range []string{"prod.hcl", "precedence.hcl", "minimal.hcl", "patterns.hcl"} {
		t.Run(name, func(t *testing.T) {
			inv := load(t, name)
			back, _ := roundTrip(t, inv, testEnv)
			assertSameInventory(t, inv, back)
		})
	}
}

func TestWriteProd(t *testing.T) {
	caPath, err := filepath.Abs(filepath.Join(fixtures, "corp-ca.pem"))
	require.NoError(t, err)
	_, out := roundTrip(t, load(t, "prod.hcl"), testEnv)
	// The group's transport is written per host; defaults are left out.
	assert.Equal(t, `connection {
  transport       = "basic"
  https           = true
  user            = "CORP\\svc-winplay"
  password_env    = "WINPLAY_PASSWORD"
  ca_file         = "`+caPath+`"
  connect_timeout = "5s"
}

vars = {
  domain = "CORP"
}

host "node1" {
  address = "10.1.0.11"
  vars = {
    role = "primary"
  }
}

host "node2" {
  address = "10.1.0.12"
  connection {
    port = 25986
  }
}

group "cluster" {
  hosts    = ["node1", "node2"]
  children = ["web"]
  vars = {
    cluster_name = "CLUSTER1"
  }
}

group "web" {
  hosts = ["node2"]
}
`, out)
}

// labSpec is what the lab builds: in-process hosts on loopback ports with
// a known password, and the variable a user will pass it in.
func labSpec() Spec {
	conn := func(port int) Connection {
		c := Connection{Port: port, User: "lab", PasswordEnv: "WINPLAY_LAB_PASSWORD"}
		c.SetPassword("lab-Pa55")
		return c
	}
	return Spec{
		Vars: map[string]cty.Value{"domain": cty.StringVal("CORP")},
		Hosts: []*Host{
			{Name: "node1", Address: "127.0.0.1", Conn: conn(49701), Vars: map[string]cty.Value{"role": cty.StringVal("primary")}},
			{Name: "node2", Address: "127.0.0.1", Conn: conn(49702)},
		},
		Groups: []*Group{{Name: "cluster", Hosts: []string{"node1", "node2"}}},
	}
}

func TestNewLab(t *testing.T) {
	spec := labSpec()
	inv, err := New(spec)
	require.NoError(t, err)

	node1 := host(t, inv, "node1")
	assert.Equal(t, "127.0.0.1", node1.Address)
	assert.Equal(t, []string{"all", "cluster"}, node1.Groups)
	assertVars(t, map[string]cty.Value{"domain": cty.StringVal("CORP"), "role": cty.StringVal("primary")}, node1.Vars)
	assert.Equal(t, "ntlm", node1.Conn.Transport, "default transport")
	assert.Equal(t, 10*time.Second, node1.Conn.ConnectTimeout, "default timeout")
	assert.Equal(t, "lab-Pa55", node1.Conn.Password())
	assert.Equal(t, "http://127.0.0.1:49701/wsman", node1.Endpoint())

	hosts, err := inv.Select("cluster:!node1")
	require.NoError(t, err)
	require.Len(t, hosts, 1)
	assert.Equal(t, "node2", hosts[0].Name)

	assert.Nil(t, spec.Hosts[0].Groups, "New leaves the spec alone")
	assert.Len(t, spec.Hosts[0].Vars, 1, "New leaves the spec alone")
}

func TestNewWriteLoad(t *testing.T) {
	inv, err := New(labSpec())
	require.NoError(t, err)
	back, out := roundTrip(t, inv, env(map[string]string{"WINPLAY_LAB_PASSWORD": "lab-Pa55"}))
	assertSameInventory(t, inv, back)
	assert.Equal(t, `connection {
  user         = "lab"
  password_env = "WINPLAY_LAB_PASSWORD"
}

vars = {
  domain = "CORP"
}

host "node1" {
  address = "127.0.0.1"
  vars = {
    role = "primary"
  }
  connection {
    port = 49701
  }
}

host "node2" {
  address = "127.0.0.1"
  connection {
    port = 49702
  }
}

group "cluster" {
  hosts = ["node1", "node2"]
}
`, out)
}

func TestNewCAFile(t *testing.T) {
	rel := filepath.Join(fixtures, "corp-ca.pem")
	abs, err := filepath.Abs(rel)
	require.NoError(t, err)
	pem, err := os.ReadFile(rel)
	require.NoError(t, err)

	inv, err := New(Spec{Hosts: []*Host{{Name: "a", Conn: Connection{HTTPS: true, User: "lab", CAFile: rel}}}})
	require.NoError(t, err)
	c := host(t, inv, "a").Conn
	assert.Equal(t, abs, c.CAFile, "relative to the working directory, kept absolute")
	assert.Equal(t, pem, c.CAPEM)
	assert.Equal(t, 5986, c.Port)

	// A CA made in code has no file to name in a written inventory.
	inv, err = New(Spec{Hosts: []*Host{{Name: "a", Conn: Connection{HTTPS: true, User: "lab", CAPEM: pem}}}})
	require.NoError(t, err)
	err = Write(&bytes.Buffer{}, inv)
	assert.ErrorContains(t, err, `host "a" has a CA certificate but no ca_file`)
}

func TestNewErrors(t *testing.T) {
	ok := func() *Host { return &Host{Name: "a", Conn: Connection{User: "lab"}} }
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"nil host", Spec{Hosts: []*Host{nil}}, "Spec.Hosts[0] is nil"},
		{"nil group", Spec{Hosts: []*Host{ok()}, Groups: []*Group{nil}}, "Spec.Groups[0] is nil"},
		{"unknown host", Spec{Hosts: []*Host{ok()}, Groups: []*Group{{Name: "g", Hosts: []string{"b"}}}},
			`Unknown host: Group "g" lists host "b", which is not defined in this inventory. Did you mean "a"?`},
		{"cycle", Spec{Hosts: []*Host{ok()}, Groups: []*Group{{Name: "g", Children: []string{"g"}}}}, "g → g"},
		{"duplicate", Spec{Hosts: []*Host{ok(), ok()}}, `Duplicate host: A host named "a" is already defined; each name is defined once.`},
		{"bad name", Spec{Hosts: []*Host{{Name: "a b", Conn: Connection{User: "lab"}}}}, `"a b" is not a valid host name`},
		{"empty name", Spec{Hosts: []*Host{{Name: "", Conn: Connection{User: "lab"}}}}, `"" is not a valid host name`},
		{"transport", Spec{Hosts: []*Host{{Name: "a", Conn: Connection{User: "lab", Transport: "credssp"}}}}, `transport = "credssp" is not supported`},
		{"port", Spec{Hosts: []*Host{{Name: "a", Conn: Connection{User: "lab", Port: 65536}}}}, "port = 65536"},
		{"timeout", Spec{Hosts: []*Host{{Name: "a", Conn: Connection{User: "lab", OperationTimeout: -time.Second}}}}, "operation_timeout must be longer than zero"},
		{"spn without kerberos", Spec{Hosts: []*Host{{Name: "a", Conn: Connection{User: "lab", SPN: "HTTP/a.corp"}}}}, `spn applies to transport = "kerberos"`},
		{"certificate files", Spec{Hosts: []*Host{{Name: "a", Conn: Connection{Transport: "certificate", HTTPS: true}}}}, "lack cert_file or key_file"},
		{"insecure with CA", Spec{Hosts: []*Host{{Name: "a", Conn: Connection{User: "lab", HTTPS: true, Insecure: true, CAFile: filepath.Join(fixtures, "corp-ca.pem")}}}}, "Conflicting TLS settings"},
		{"bad CA", Spec{Hosts: []*Host{{Name: "a", Conn: Connection{User: "lab", HTTPS: true, CAPEM: []byte("junk")}}}}, "Connection.CAPEM holds no PEM-encoded certificate"},
		{"missing CA file", Spec{Hosts: []*Host{{Name: "a", Conn: Connection{User: "lab", HTTPS: true, CAFile: "no-such-ca.pem"}}}}, "relative to the working directory"},
		{"user", Spec{Hosts: []*Host{{Name: "a"}}}, `No user is set for host "a"`},
		{"address", Spec{Hosts: []*Host{{Name: "a", Address: "https://a", Conn: Connection{User: "lab"}}}}, "is a URL"},
		{"unknown var", Spec{Hosts: []*Host{ok()}, Vars: map[string]cty.Value{"x": cty.UnknownVal(cty.String)}}, `variable "x" holds an unknown value`},
		{"marked var", Spec{Hosts: []*Host{{Name: "a", Conn: Connection{User: "lab"}, Vars: map[string]cty.Value{"x": cty.StringVal("s").Mark("sensitive")}}}}, `variable "x" holds a marked value`},
		{"capsule var", Spec{Groups: []*Group{{Name: "g", Vars: map[string]cty.Value{"x": cty.CapsuleVal(cty.Capsule("thing", reflect.TypeFor[int]()), new(int))}}}}, `variable "x" holds a thing`},
		{"infinite var", Spec{Vars: map[string]cty.Value{"x": cty.ListVal([]cty.Value{cty.PositiveInfinity})}}, `variable "x" holds an infinite number`},
		{"nil var", Spec{Vars: map[string]cty.Value{"x": cty.NilVal}}, `variable "x" has no value`},
		{"reserved", Spec{Groups: []*Group{{Name: "ungrouped"}}}, "Reserved name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := New(tt.spec)
			assert.Nil(t, inv)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestNewReportsEveryError(t *testing.T) {
	_, err := New(Spec{Hosts: []*Host{
		{Name: "a", Conn: Connection{User: "lab", Port: -1}},
		{Name: "b", Conn: Connection{User: "lab", Transport: "x"}},
	}})
	require.Error(t, err)
	var joined interface{ Unwrap() []error }
	require.True(t, errors.As(err, &joined))
	assert.Len(t, joined.Unwrap(), 2)
}

func TestWriteErrors(t *testing.T) {
	assert.Error(t, Write(&bytes.Buffer{}, nil))

	inv, err := New(labSpec())
	require.NoError(t, err)
	// Hosts are the inventory's own; a caller that breaks one gets an
	// error from Write, not a panic from hclwrite.
	host(t, inv, "node2").Vars["late"] = cty.UnknownVal(cty.String)
	assert.ErrorContains(t, Write(&bytes.Buffer{}, inv), `host "node2": variable "late" holds an unknown value`)

	assert.ErrorContains(t, Write(failingWriter{}, load(t, "minimal.hcl")), "disk full")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestEmptyInventory(t *testing.T) {
	inv, err := New(Spec{})
	require.NoError(t, err)
	assert.Empty(t, inv.Hosts())
	back, out := roundTrip(t, inv, env(nil))
	assert.Empty(t, out)
	assert.Empty(t, back.Hosts())
	_, err = inv.Select("all")
	require.NoError(t, err)
}

func TestNilInventory(t *testing.T) {
	var inv *Inventory
	assert.Nil(t, inv.Hosts())
	assert.Nil(t, inv.Groups())
	assert.Nil(t, inv.Vars())
	_, ok := inv.Host("a")
	assert.False(t, ok)
}

func TestCheckAddress(t *testing.T) {
	tests := []struct {
		address string
		problem string // a part of it; "" when valid
	}{
		{"10.1.0.11", ""},
		{"node1.corp.example", ""},
		{"fe80::1", ""},
		{"", "is empty"},
		{"node 1", "white space"},
		{"https://node1", "is a URL"},
		{`node1\share`, "contains a slash"},
		{"[fe80::1]:5986", "write port = 5986"},
	}
	for _, tt := range tests {
		got := checkAddress(tt.address)
		if tt.problem == "" {
			assert.Empty(t, got, tt.address)
		} else {
			assert.Contains(t, got, tt.problem, tt.address)
		}
	}
}
