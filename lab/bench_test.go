package lab_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/internal/memstat"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/modules"
	"github.com/winplay/winplay/runner/conn"
)

// BenchmarkLabCommand runs commands through one reused shell with
// masterzen/winrm (winplay's connection) against one lab host, and reports
// the median latency per command. Issue 2's figure is 1,000 commands:
//
//	go test ./lab -run '^$' -bench LabCommand -benchtime 1000x
func BenchmarkLabCommand(b *testing.B) {
	for _, auth := range []string{"Basic", "NTLM"} {
		b.Run(auth, func(b *testing.B) {
			cfg := lab.Config{Hosts: []lab.HostSpec{{Name: "node1"}}, Basic: auth == "Basic", NTLM: auth == "NTLM"}
			l := labtest.StartConfig(b, cfg)
			inv := labtest.Inventory(b, l)
			h, _ := inv.Host("node1")
			// One shell for the whole run: no recycling inside the figure.
			c, err := conn.Connector{CommandsPerShell: 1 << 30}.Connect(h)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ctx := context.Background()
			cmd := modules.Command{Line: "sc query W3SVC"}
			if _, err := c.Run(ctx, cmd); err != nil {
				b.Fatal(err)
			}
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				out, err := c.Run(ctx, cmd)
				took = append(took, time.Since(start))
				if err != nil || out.ExitCode != 0 {
					b.Fatalf("%v %+v", err, out)
				}
			}
			if n := l.Host("node1").Server().Shells(); n != 1 {
				b.Fatalf("%d shells, want one reused shell", n)
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "median-ms/cmd")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms/cmd")
		})
	}
}

// BenchmarkStart500Hosts starts 500 lab hosts in one process and reports
// the start time and the resident memory they take:
//
//	go test ./lab -run '^$' -bench Start500Hosts -benchtime 3x
func BenchmarkStart500Hosts(b *testing.B) {
	specs := make([]lab.HostSpec, 500)
	for i := range specs {
		specs[i] = lab.HostSpec{Name: "node" + strconv.Itoa(i+1)}
	}
	var starts []time.Duration
	var peak int64
	for b.Loop() {
		before, _ := memstat.RSS()
		start := time.Now()
		l, err := lab.Start(lab.Config{Hosts: specs, Timing: labtest.Machine})
		if err != nil {
			b.Fatal(err)
		}
		starts = append(starts, time.Since(start))
		after, _ := memstat.RSS()
		peak = max(peak, after-before)
		l.Close()
	}
	slices.Sort(starts)
	b.ReportMetric(starts[len(starts)/2].Seconds(), "start-s")
	b.ReportMetric(float64(peak)/(1<<20), "rss-MB")
	_, hwm := memstat.RSS()
	b.ReportMetric(float64(hwm)/(1<<20), "peak-rss-MB")
}
