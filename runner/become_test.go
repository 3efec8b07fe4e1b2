package runner

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func becomePlan(t *testing.T, src string) *Plan {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.hcl")
	require.NoError(t, os.WriteFile(path, []byte(src), 0o600))
	plan, diags := Load(path, LoadOptions{})
	require.False(t, diags.HasErrors(), diags.Error())
	require.False(t, plan.Bind(testInventory(t), nil).HasErrors())
	return plan
}

const becomeNamed = `
play "p" {
  hosts = ["node1"]
  task "sync" {
    become {
      user         = "CORP\\svc-iis"
      password_env = "SYNC_PASSWORD"
    }
    iissync { target = "node2" }
  }
  task "again" {
    become {
      user         = "corp\\SVC-IIS"
      password_env = "SYNC_PASSWORD"
    }
    iissync { target = "node2" }
  }
}
`

func TestResolveBecomeAsksOncePerAccountAndMasksThePassword(t *testing.T) {
	plan := becomePlan(t, becomeNamed)
	asked := 0
	prompt := func(q string) (string, error) {
		asked++
		assert.Contains(t, q, "SYNC_PASSWORD is not set. Password of CORP\\svc-iis")
		return "Sync-Pass1", nil
	}
	diags := plan.ResolveBecome(func(string) string { return "" }, prompt, "")
	require.False(t, diags.HasErrors(), diags.Error())
	assert.Equal(t, 1, asked, "one account, one question")
	assert.Equal(t, "Sync-Pass1", plan.Plays[0].Tasks[1].Become.password)
	assert.Contains(t, Secrets(plan, nil), "Sync-Pass1")

	plan = becomePlan(t, becomeNamed)
	diags = plan.ResolveBecome(func(name string) string { return map[string]string{"SYNC_PASSWORD": "From-Env1"}[name] }, nil, "")
	require.False(t, diags.HasErrors(), diags.Error())
	assert.Equal(t, "From-Env1", plan.Plays[0].Tasks[0].Become.password)
}

func TestResolveBecomeWithoutAPasswordIsInvalid(t *testing.T) {
	plan := becomePlan(t, becomeNamed)
	diags := plan.ResolveBecome(func(string) string { return "" }, nil, "")
	require.True(t, diags.HasErrors())
	assert.Equal(t, "Missing become password", diags[0].Summary)
	assert.Contains(t, diags[0].Detail, `Task "sync" and 1 more runs as CORP\svc-iis`)
	assert.Contains(t, diags[0].Detail, "Set SYNC_PASSWORD in winplay's environment")

	plan = becomePlan(t, becomeNamed)
	diags = plan.ResolveBecome(func(string) string { return `50%off` }, nil, "")
	require.True(t, diags.HasErrors())
	assert.Equal(t, "Unusable become password", diags[0].Summary)
	assert.NotContains(t, diags[0].Detail, "50%off")

	// The lab's rehearsal supplies the password.
	plan = becomePlan(t, becomeNamed)
	require.False(t, plan.ResolveBecome(func(string) string { return "" }, nil, "Lab-Pass1").HasErrors())
}

func TestResolveBecomeOfTheConnectionsUser(t *testing.T) {
	const src = `
play "p" {
  hosts = ["node1"]
  task "sync" {
    become { password_env = "SYNC_PASSWORD" }
    iissync { target = "node2" }
  }
}
`
	// The inventory's password serves when the variable is unset; no one
	// is asked.
	plan := becomePlan(t, src)
	asked := false
	diags := plan.ResolveBecome(func(string) string { return "" }, func(string) (string, error) { asked = true; return "", nil }, "")
	require.False(t, diags.HasErrors(), diags.Error())
	assert.False(t, asked)
	assert.Empty(t, plan.Plays[0].Tasks[0].Become.password, "the host's own password is taken when the task runs")

	plan = becomePlan(t, src)
	diags = plan.ResolveBecome(func(string) string { return "Sync-Pass1" }, nil, "")
	require.False(t, diags.HasErrors(), diags.Error())
	assert.Equal(t, "Sync-Pass1", plan.Plays[0].Tasks[0].Become.password)
	assert.Contains(t, Secrets(plan, nil), "Sync-Pass1")
}
