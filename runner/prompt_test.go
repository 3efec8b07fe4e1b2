package runner

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A sensitive variable without a value is asked for (the CLI asks on a
// terminal); the answer is the value, and a secret; other variables are
// never asked for.
func TestSensitiveVariablesArePromptedFor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pb.hcl")
	require.NoError(t, os.WriteFile(path, []byte(`
variable "admin_pw" {
  description = "the local administrator's password"
  sensitive   = true
}
variable "pin" {
  type      = number
  sensitive = true
}
variable "given" { sensitive = true }
play "p" {
  hosts = "all"
  task "t" {
    command { argv = ["echo", var.admin_pw, var.pin, var.given] }
  }
}`), 0o600))
	var asked []string
	prompt := func(name, description string) (string, error) {
		asked = append(asked, name+": "+description)
		return map[string]string{"admin_pw": "Hunter2Secret", "pin": "8675309"}[name], nil
	}
	plan, diags := Load(path, LoadOptions{Vars: []string{"given=x1y2z3"}, Prompt: prompt})
	require.False(t, diags.HasErrors(), diags.Error())
	assert.Equal(t, []string{"admin_pw: the local administrator's password", "pin: "}, asked, "only what has no value")
	assert.Contains(t, plan.Secrets(), "Hunter2Secret")
	assert.Contains(t, plan.Secrets(), "8675309")

	// A bad answer is an error that does not show it.
	_, diags = Load(path, LoadOptions{Vars: []string{"given=x"}, Prompt: func(name, _ string) (string, error) {
		if name == "pin" {
			return "not-a-number-Hunter2", nil
		}
		return "pw", nil
	}})
	require.True(t, diags.HasErrors())
	assert.Contains(t, diags.Error(), "var.pin")
	assert.NotContains(t, diags.Error(), "Hunter2")

	// Without a prompt (no terminal), a missing value is an error.
	_, diags = Load(path, LoadOptions{Vars: []string{"given=x"}})
	require.True(t, diags.HasErrors())
	assert.Contains(t, diags.Error(), `Variable "admin_pw" has no default`)
}
