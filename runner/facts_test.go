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

// A play with a task the host's Windows cannot run fails that host before
// its first task, in check mode too, naming the Windows and what to use.
func TestRefusalComesBeforeThePlayChangesAnything(t *testing.T) {
	t.Parallel()
	for _, check := range []bool{false, true} {
		l := labtest.StartConfig(t, lab.Config{OS: "2022", Language: "de-DE"})
		sum, rec := runOn(t, "../testdata/playbooks/e2e/refuse.hcl", labtest.Inventory(t, l), runner.Options{Check: check})
		assert.Equal(t, runner.ExitFailed, sum.ExitCode())
		res := rec.results()
		require.Contains(t, res, "IISSYNC to node2", "the refusal is reported under the task that cannot run")
		ev := res["IISSYNC to node2"]["node1"]
		assert.Equal(t, "failed", string(ev.Status))
		assert.Contains(t, ev.Error, "Windows Server 2022 Standard")
		assert.Contains(t, ev.Error, "iiscnfg.vbs /copy")
		assert.NotContains(t, res, "stop the spooler", "no task ran on the refused host")
		assert.Equal(t, "running", l.Host("node1").Dump().Services["Spooler"].State)
		assert.Empty(t, labtest.Changes(l, "node1"))
	}
}

// The small first playbook, the Cluster service taken down and brought
// back node by node, runs on every Windows the lab simulates.
func TestClusterServiceCycleOnEveryWindows(t *testing.T) {
	t.Parallel()
	for i, os := range []string{"nt4", "2003r2", "2012r2", "2022", "2025"} {
		lang := []string{"en-US", "de-DE", "ru-RU"}[i%3]
		t.Run(os+"/"+lang, func(t *testing.T) {
			t.Parallel()
			l := labtest.StartConfig(t, lab.Config{OS: os, Language: lang})
			sum, rec := runOn(t, "../playbooks/cluster-service-cycle.hcl", labtest.Inventory(t, l), runner.Options{})
			require.Equal(t, runner.ExitOK, sum.ExitCode(), "%v", rec.results())
			for _, h := range []string{"node1", "node2"} {
				st := l.Host(h).Dump().Services["ClusSvc"]
				assert.Equal(t, "running", st.State, h)
				assert.Equal(t, "auto", st.StartType, h)
			}
		})
	}
}
