package runner

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Switches written literally stay switches; values never become them.
func TestLiteralSwitchesAndValuesInSwitchLists(t *testing.T) {
	for _, tc := range []struct {
		name, argv string
		ok         bool
	}{
		{"literal switch after a value", `["net", "localgroup", var.group, "/add"]`, true},
		{"switch glued to a value", `["setup.exe", "/D=${var.dir}"]`, true},
		{"value that is a switch", `["net", "localgroup", var.sw]`, false},
		{"value in a template that starts with it", `["net", "localgroup", "${var.sw}x"]`, false},
		{"list from an expression", `concat(["net", "localgroup"], [var.sw])`, false},
		{"literal list from an expression", `concat(["net", "localgroup"], ["/add"])`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.hcl")
			require.NoError(t, os.WriteFile(path, []byte(`
variable "group" { default = "Guests" }
variable "dir" { default = "C:\\x" }
variable "sw" { default = "-remove" }
play "p" {
  hosts = ["node1"]
  task "t" {
    command { argv = `+tc.argv+` }
  }
}
`), 0o600))
			diags := loadAndBind(path, testInventory(t))
			if tc.ok {
				assert.False(t, diags.HasErrors(), diags.Error())
			} else {
				require.True(t, diags.HasErrors())
				assert.Contains(t, diags.Error(), "would read it as a switch")
			}
		})
	}
}

// A sensitive variable with no value is asked for, once, and its answer is
// a secret; the environment comes before the prompt, var files and -e
// after the environment.
func TestSensitiveVariablesFromThePromptAndTheEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.hcl")
	require.NoError(t, os.WriteFile(path, []byte(`
variable "pw" { sensitive = true }
variable "node" {}
play "p" {
  hosts = ["node1"]
  task "t" {
    command { argv = ["hostname", var.pw, var.node] }
  }
}
`), 0o600))
	var asked []string
	plan, diags := Load(path, LoadOptions{
		Getenv: func(k string) string { return map[string]string{"WINPLAY_VAR_node": "node2"}[k] },
		Prompt: func(name, _ string) (string, error) { asked = append(asked, name); return "Typed-Secret", nil },
	})
	require.False(t, diags.HasErrors(), diags.Error())
	assert.Equal(t, []string{"pw"}, asked)
	assert.Contains(t, plan.Secrets(), "Typed-Secret")
	assert.Equal(t, "node2", plan.vars["node"].AsString())

	plan, diags = Load(path, LoadOptions{
		Vars: []string{"node=node1"},
		Getenv: func(k string) string {
			return map[string]string{"WINPLAY_VAR_node": "node2", "WINPLAY_VAR_pw": "From-Env"}[k]
		},
		Prompt: func(string, string) (string, error) {
			t.Fatal("asked for a value the environment gave")
			return "", nil
		},
	})
	require.False(t, diags.HasErrors(), diags.Error())
	assert.Equal(t, "node1", plan.vars["node"].AsString(), "-e wins over the environment")
	assert.Contains(t, plan.Secrets(), "From-Env")
}
