package runner_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/runner"
)

func TestFactsAreLearntOnceAndSeenByExpressions(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	var text bytes.Buffer
	sum, rec := runOn(t, "../testdata/playbooks/e2e/facts.hcl", labtest.Inventory(t, l), runner.Options{})
	require.Equal(t, runner.ExitOK, sum.ExitCode())
	res := rec.results()
	assert.Equal(t, "ok", string(res["the facts are the host's"]["node1"].Status))
	assert.Equal(t, "skipped", string(res["a task only where wmic is gone"]["node1"].Status), "NT 4.0 has wmic in the lab")

	var facts []runner.Event
	for _, ev := range rec.events {
		if ev.Type == runner.EventFacts {
			facts = append(facts, ev)
		}
	}
	require.Len(t, facts, 1, "the facts are learnt once per host per run")
	assert.Equal(t, `C:\WINNT`, facts[0].Facts["system_root"])
	assert.Equal(t, true, facts[0].Facts["has_wmic"])

	sink := runner.Text(&text, runner.TextOptions{Verbose: 1})
	sink.Event(facts[0])
	assert.True(t, strings.HasPrefix(text.String(), "  [node1] facts: Windows NT 4.0"), text.String())
	text.Reset()
	runner.Text(&text, runner.TextOptions{}).Event(facts[0])
	assert.Empty(t, text.String(), "facts show with -v only")
}

func TestUnknownFactIsAnError(t *testing.T) {
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	path := filepath.Join(t.TempDir(), "facts.hcl")
	require.NoError(t, os.WriteFile(path, []byte(`play "p" {
  hosts = ["all"]
  task "t" {
    assert { that = [host.facts.os_verison != ""] }
  }
}`), 0o600))
	plan, diags := runner.Load(path, runner.LoadOptions{})
	require.False(t, diags.HasErrors(), diags.Error())
	bd := plan.Bind(labtest.Inventory(t, l), nil)
	require.True(t, bd.HasErrors())
	assert.Contains(t, bd.Error(), "os_verison")
}
