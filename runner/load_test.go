package runner

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/inventory"
)

// testInventory is node1 and node2 in group cluster, node2 also in web.
func testInventory(t testing.TB) *inventory.Inventory {
	t.Helper()
	var hosts []*inventory.Host
	for i, name := range []string{"node1", "node2"} {
		h := &inventory.Host{Name: name, Address: "127.0.0.1", Conn: inventory.Connection{
			Transport: inventory.TransportBasic, Port: 1 + i, User: "lab", AllowUnencrypted: true,
		}}
		h.Conn.SetPassword("Lab-Pass1")
		hosts = append(hosts, h)
	}
	inv, err := inventory.New(inventory.Spec{
		Hosts: hosts,
		Groups: []*inventory.Group{
			{Name: "cluster", Hosts: []string{"node1", "node2"}},
			{Name: "web", Hosts: []string{"node2"}},
		},
	})
	require.NoError(t, err)
	return inv
}

var wantLine = regexp.MustCompile(`^# want: (.+?) @ (\d+):(\d+)(?: ~ (.+))?$`)

// TestInvalidPlaybooks loads each fixture in testdata/playbooks/invalid,
// whose first line names the diagnostic it must produce and where, and
// checks that the plan never reaches a run: no host is contacted.
func TestInvalidPlaybooks(t *testing.T) {
	files, err := filepath.Glob("../testdata/playbooks/invalid/*.hcl")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 15)
	inv := testInventory(t)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := os.Open(path)
			require.NoError(t, err)
			first, _ := bufio.NewReader(f).ReadString('\n')
			f.Close()
			m := wantLine.FindStringSubmatch(strings.TrimSpace(first))
			require.NotNil(t, m, "first line must be `# want: SUMMARY @ LINE:COL [~ DETAIL]`")

			diags := loadAndBind(path, inv)
			require.True(t, diags.HasErrors(), "expected an error")
			var found *hcl.Diagnostic
			for _, d := range diags {
				if d.Severity == hcl.DiagError && d.Summary == m[1] {
					found = d
					break
				}
			}
			require.NotNil(t, found, "no %q among:\n%s", m[1], diags.Error())
			require.NotNil(t, found.Subject, "diagnostic has no source range")
			assert.Equal(t, m[2]+":"+m[3], fmt.Sprintf("%d:%d", found.Subject.Start.Line, found.Subject.Start.Column), diags.Error())
			assert.Equal(t, filepath.Base(path), filepath.Base(found.Subject.Filename))
			if m[4] != "" {
				assert.Contains(t, found.Detail, m[4])
			}
		})
	}
}

// loadAndBind is what run and validate do before any host is contacted.
func loadAndBind(path string, inv *inventory.Inventory) hcl.Diagnostics {
	plan, diags := Load(path, LoadOptions{})
	if diags.HasErrors() {
		return diags
	}
	return append(diags, plan.Bind(inv, nil)...)
}

func TestVariablesFromFilesAndFlags(t *testing.T) {
	dir := t.TempDir()
	pb := filepath.Join(dir, "p.hcl")
	require.NoError(t, os.WriteFile(pb, []byte(`
variable "rebuilt" { type = string }
variable "healthy" { default = "node1" }
variable "count" {
  type    = number
  default = 1
}
play "p" {
  hosts = [var.rebuilt]
  task "t" {
    retries = var.count
    service { name = "Spooler" }
  }
}
`), 0o644))
	vf := filepath.Join(dir, "vars.hcl")
	require.NoError(t, os.WriteFile(vf, []byte("rebuilt = \"node1\"\ncount = 4\n"), 0o644))

	plan, diags := Load(pb, LoadOptions{VarFiles: []string{vf}, Vars: []string{"rebuilt=node2"}})
	require.False(t, diags.HasErrors(), diags.Error())
	assert.Equal(t, []string{"node2"}, plan.Plays[0].Hosts, "-e wins over --var-file")
	assert.Equal(t, 4, plan.Plays[0].Tasks[0].Retries, "--var-file sets numbers")

	_, diags = Load(pb, LoadOptions{Vars: []string{"rebuilt=node2", "count=many"}})
	require.True(t, diags.HasErrors())
	assert.Contains(t, diags.Error(), `"many" is not a valid number`)

	_, diags = Load(pb, LoadOptions{Vars: []string{"rebuild=node2"}})
	require.True(t, diags.HasErrors())
	assert.Contains(t, diags.Error(), `Did you mean "rebuilt"?`)
}

func TestBindLimitAndSerial(t *testing.T) {
	inv := testInventory(t)
	dir := t.TempDir()
	pb := filepath.Join(dir, "p.hcl")
	require.NoError(t, os.WriteFile(pb, []byte(`
play "p" {
  hosts  = "cluster"
  serial = [1, "100%"]
  task "t" {
    service { name = "Spooler" }
  }
}
`), 0o644))
	plan, diags := Load(pb, LoadOptions{})
	require.False(t, diags.HasErrors(), diags.Error())
	require.False(t, plan.Bind(inv, []string{"all:!node1"}).HasErrors())
	assert.Equal(t, []string{"node2"}, hostNames(plan.Plays[0].BoundHosts()))

	diags = plan.Bind(inv, []string{"nodeX"})
	require.True(t, diags.HasErrors())
	assert.Contains(t, diags.Error(), "nodeX")

	require.False(t, plan.Bind(inv, nil).HasErrors())
	batches := makeBatches(plan.Plays[0].BoundHosts(), plan.Plays[0].Serial)
	require.Len(t, batches, 2)
	assert.Equal(t, []string{"node1"}, hostNames(batches[0]))
	assert.Equal(t, []string{"node2"}, hostNames(batches[1]))
}

func TestLimitThatExcludesARegisteringPlayIsExplained(t *testing.T) {
	inv := testInventory(t)
	plan, diags := Load("../testdata/playbooks/e2e/limit-register.hcl", LoadOptions{})
	require.False(t, diags.HasErrors(), diags.Error())
	require.False(t, plan.Bind(inv, nil).HasErrors(), "without --limit the result is registered")

	diags = plan.Bind(inv, []string{"node1"})
	require.True(t, diags.HasErrors())
	errs := diags.Errs()
	require.Len(t, errs, 1, diags.Error())
	d := diags[len(diags)-1]
	assert.Equal(t, "Result not registered under --limit", d.Summary)
	assert.Contains(t, d.Detail, `"isolated" is registered by task "isolate it" in play "isolate the rebuilt node" on host node2, which --limit excluded`)
	require.NotNil(t, d.Subject)
	assert.Equal(t, 21, d.Subject.Start.Line)

	src, err := os.ReadFile("../testdata/playbooks/e2e/limit-register.hcl")
	require.NoError(t, err)
	bind := func(from, to string) hcl.Diagnostics {
		path := filepath.Join(t.TempDir(), "p.hcl")
		require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(src), from, to, 1)), 0o600))
		plan, diags := Load(path, LoadOptions{})
		require.False(t, diags.HasErrors(), diags.Error())
		diags = plan.Bind(inv, []string{"node1"})
		require.True(t, diags.HasErrors())
		return diags
	}
	// The host written as a static name, either way.
	for _, ref := range []string{"hosts.node2.isolated.skipped", `hosts["node2"].isolated.skipped`} {
		diags := bind("hosts[var.rebuilt].isolated.skipped", ref)
		assert.Equal(t, "Result not registered under --limit", diags.Errs()[0].(*hcl.Diagnostic).Summary, ref)
	}
	// A misspelt attribute is still HCL's own "Unsupported attribute".
	diags = bind("isolated.skipped", "isolatd.skipped")
	assert.Equal(t, "Unsupported attribute", diags.Errs()[0].(*hcl.Diagnostic).Summary)
}

func TestSuggestions(t *testing.T) {
	inv := testInventory(t)
	for _, tt := range []struct{ name, src, want, not string }{
		{"case", `
play "p" {
  hosts = "node1"
  task "t" {
    on = "NODE2"
    command { argv = ["hostname"] }
  }
}`, `Did you mean "node2"?`, ""},
		{"own register", `
play "p" {
  hosts = "node1"
  task "t" {
    register = "r"
    when     = r.ok
    command { argv = ["hostname"] }
  }
}`, `"r" is registered only by a later task ("t")`, `Did you mean "r"?`},
	} {
		path := filepath.Join(t.TempDir(), "p.hcl")
		require.NoError(t, os.WriteFile(path, []byte(tt.src), 0o600))
		diags := loadAndBind(path, inv)
		require.True(t, diags.HasErrors(), tt.name)
		assert.Contains(t, diags.Error(), tt.want, tt.name)
		if tt.not != "" {
			assert.NotContains(t, diags.Error(), tt.not, tt.name)
		}
	}
}
