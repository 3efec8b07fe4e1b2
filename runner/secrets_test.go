package runner_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/runner"
	"github.com/winplay/winplay/runner/conn"
)

// A value computed from a sensitive one is as secret as it, in whatever
// spelling the function gave it: replace(var.pw, ...) holds no copy of the
// secret, yet shows most of it.
func TestValuesComputedFromSecretsAreMasked(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	inv := labtest.Inventory(t, l)
	plan, diags := runner.Load(writePlaybook(t, `
variable "pw" {
  sensitive = true
  default   = "Hunter2Secret"
}
play "p" {
  hosts = ["node1"]
  task "echo it" {
    command {
      argv      = ["echo", replace(var.pw, "2", "-two-")]
      read_only = true
    }
  }
}`), runner.LoadOptions{})
	require.False(t, diags.HasErrors(), diags.Error())
	// As the CLI does: the redactor is made before Bind computes anything.
	redact := runner.NewRedactor(runner.Secrets(plan, inv))
	require.False(t, plan.Bind(inv, nil).HasErrors())
	rec := &recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := runner.Run(ctx, plan, inv, runner.Options{Connector: conn.Connector{}, Events: rec, Redactor: redact, Timing: labtest.Modules})
	require.NoError(t, err)
	var all strings.Builder
	for _, ev := range rec.events {
		all.WriteString(ev.Line + ev.Msg + ev.Stdout + ev.Error + "\n")
	}
	assert.NotContains(t, all.String(), "Hunter-two-Secret")
	assert.Contains(t, all.String(), runner.Mask)
	assert.Equal(t, "echo "+runner.Mask, redact.String("echo Hunter-two-Secret"), "the CLI's redactor learnt it too")
}
