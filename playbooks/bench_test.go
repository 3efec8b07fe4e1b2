package playbooks_test

import (
	"context"
	"testing"
	"time"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/lab/win"
	"github.com/winplay/winplay/runner"
	"github.com/winplay/winplay/runner/conn"
)

// BenchmarkRunbook runs the whole runbook against a fresh two-node lab
// cluster (node2 just rebuilt) at the test pace (a simulated second is
// 20ms, a host is off the network 300ms per reboot, installs take 50ms),
// and reports the wall time and the share of it spent waiting on reboots:
//
//	go test ./playbooks -run '^$' -bench Runbook -benchtime 3x
func BenchmarkRunbook(b *testing.B) {
	var wall, rebootWait time.Duration
	for b.Loop() {
		l, err := lab.Start(lab.Config{
			Hosts:   []lab.HostSpec{{Name: "node1"}, {Name: "node2", Profile: win.ProfileRebuilt}},
			Timing:  labtest.Machine,
			Offline: labtest.Offline,
		})
		if err != nil {
			b.Fatal(err)
		}
		plan, diags := runner.Load(runbook, runner.LoadOptions{Vars: []string{"rebuilt=node2", "healthy=node1"}})
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		inv, err := l.Inventory()
		if err != nil {
			b.Fatal(err)
		}
		if d := plan.Bind(inv, nil); d.HasErrors() {
			b.Fatal(d.Error())
		}
		rec := &recorder{}
		start := time.Now()
		sum, err := runner.Run(context.Background(), plan, inv, runner.Options{
			Forks: 5, Connector: conn.Connector{}, Events: rec, Timing: labtest.Modules,
		})
		wall += time.Since(start)
		if err != nil || sum.ExitCode() != runner.ExitOK {
			b.Fatalf("run: %v\n%s", err, rec.text(runner.EventTaskResult))
		}
		for _, ev := range rec.events {
			if ev.Type == runner.EventTaskResult && ev.Rebooted {
				for _, p := range ev.Phases {
					if p.Name != "send reboot" {
						rebootWait += p.Elapsed
					}
				}
			}
		}
		l.Close()
	}
	b.ReportMetric((wall / time.Duration(b.N)).Seconds(), "wall-s")
	b.ReportMetric(100*rebootWait.Seconds()/wall.Seconds(), "%reboot-wait")
}
